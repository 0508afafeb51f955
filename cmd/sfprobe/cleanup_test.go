package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
	"github.com/sfprobe/sfprobe/internal/sim"
)

func TestCleanupUsageErrorsExit2BeforeAnyAWSCall(t *testing.T) {
	noAWS(t)
	const fn = "--function=sfInvokeAPI"
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{"missing function", nil, "--function: required"},
		{"bad function", []string{"--function", "arn:aws:lambda:us-east-1:12:function:x"}, "--function:"},
		{"age below the minimum", []string{fn, "--older-than", "4m"}, "--older-than: 4m is shorter than 5m"},
		{"zero age", []string{fn, "--older-than", "0"}, "--older-than: 0s is shorter than 5m"},
		{"negative age", []string{fn, "--older-than", "-1h"}, "--older-than:"},
		{"not a duration", []string{fn, "--older-than", "1 day"}, "-older-than"},
		{"junit output", []string{fn, "--output", "junit"}, `--output: unknown format "junit" (known: text, json)`},
		{"zero limit", []string{fn, "--limit", "0"}, "--limit: 0 is not between 1 and 200"},
		{"limit above the bound", []string{fn, "--limit", "201"}, "--limit: 201 is not between 1 and 200"},
		{"bad timeout", []string{fn, "--timeout", "0s"}, "--timeout"},
		{"positional", []string{fn, "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{fn, "--phone", "+441122334455"}, "flag provided but not defined: -phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runApp(t, nil, append([]string{"cleanup"}, tt.give...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Contains(t, stderr, "Run `sfprobe cleanup --help` for usage.")
			assert.NotContains(t, stdout, "(Salesforce API budget)", "no sweep ran")
			assert.NotContains(t, stderr, "127.0.0.1:1", "no AWS call may be made")
		})
	}
}

func TestCleanupHelp(t *testing.T) {
	code, stdout, _ := runApp(t, nil, "cleanup", "--help")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Usage: sfprobe cleanup --function NAME|ARN")
	for _, s := range []string{"-older-than", "-dry-run", "-keep-cases", "-limit", "-output", "-region", "-profile", "-timeout",
		`"cases": [{"id", "subject", "run_id", "created_at", "was_open",`, "Exit codes: 0"} {
		assert.Contains(t, stdout, s)
	}
	_, stdout, _ = runApp(t, nil, "help")
	assert.Contains(t, stdout, "  cleanup ")
}

// simulatedAWS serves the simulated sfInvokeAPI (as function sfInvokeAPI)
// over the Lambda Invoke API and points the SDK at it.
func simulatedAWS(t *testing.T) (*sim.Org, *sim.Function) {
	t.Helper()
	const secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfprobe-sim-AbCdEf"
	org, fx := sim.NewDefaultOrg()
	env := map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": secret}
	for k, v := range fx.Env {
		env[k] = v
	}
	fn := sim.NewFunction(org, sim.NewMemorySecrets(secret, fx.SecretString), env)
	router := lambdahttp.NewRouter()
	router.Handle("sfInvokeAPI", fn)
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIM")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sim-secret")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	return org, fn
}

func caseIDs(cs []sim.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// jsonKeys returns the sorted keys of a JSON object.
func jsonKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	sweepReportKeys = []string{"cases", "cutoff", "dry_run", "found", "function", "ignored", "keep_cases", "kept",
		"limit", "ok", "older_than", "remaining", "salesforce_calls", "too_recent"}
	sweptCaseKeys = []string{"action", "closed", "created_at", "deleted", "id", "message", "run_id", "status", "subject", "was_open"}
)

func TestCleanupJSONAgainstSimulator(t *testing.T) {
	org, fn := simulatedAWS(t)
	seeded := sim.SeedStaleCases(org, time.Now(), time.Hour)
	before := org.Cases()

	code, stdout, stderr := runApp(t, nil, "cleanup", "--function", "sfInvokeAPI", "--dry-run", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, before, org.Cases(), "a dry run changes nothing")
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(stdout), &top), stdout)
	assert.Equal(t, sweepReportKeys, jsonKeys(t, []byte(stdout)), "the public schema")
	var cases []json.RawMessage
	require.NoError(t, json.Unmarshal(top["cases"], &cases))
	require.Len(t, cases, 2)
	assert.Equal(t, sweptCaseKeys, jsonKeys(t, cases[0]))

	var rep check.SweepReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.True(t, rep.OK)
	assert.True(t, rep.DryRun)
	assert.Equal(t, "1h", rep.OlderThan)
	assert.Equal(t, 1, rep.SalesforceCalls)
	assert.Equal(t, 1, fn.Invocations())
	assert.Equal(t, seeded.AgedOpen, rep.Cases[0].ID)
	assert.Equal(t, check.SweepCloseDelete, rep.Cases[0].Action)
	assert.Equal(t, check.SweepDelete, rep.Cases[1].Action)

	code, stdout, stderr = runApp(t, nil, "cleanup", "--function", "sfInvokeAPI", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	rep = check.SweepReport{}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.True(t, rep.OK)
	assert.Equal(t, 4, rep.SalesforceCalls)
	assert.ElementsMatch(t, seeded.Untouched(), caseIDs(org.Cases()))
}

func TestCleanupTextAgainstSimulator(t *testing.T) {
	org, _ := simulatedAWS(t)
	seeded := sim.SeedStaleCases(org, time.Now(), time.Hour)

	code, stdout, stderr := runApp(t, nil, "cleanup", "--function", "sfInvokeAPI", "--keep-cases")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "sfprobe cleanup  function: sfInvokeAPI  older than: 1h (created before ")
	assert.Contains(t, stdout, "found 4 Case(s) with the test Subject prefix: 1 old enough to sweep, 1 too recent, 1 closed and kept (--keep-cases), 1 without a run marker")
	assert.Contains(t, stdout, "CASE ")
	assert.Regexp(t, seeded.AgedOpen+`\s+\S+\s+\S+\s+open\s+close\s+closed\n`, stdout)
	assert.Contains(t, stdout, "sfInvokeAPI calls: 2 (Salesforce API budget)")
	assert.Contains(t, stdout, "OK: 1 Case(s) swept: 1 closed, 0 deleted")
	assert.Len(t, org.Cases(), 5, "--keep-cases deletes nothing")
	c, _ := org.Case(seeded.AgedOpen)
	assert.True(t, c.IsClosed)

	code, stdout, stderr = runApp(t, nil, "cleanup", "--function", "sfInvokeAPI", "--older-than", "5m")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "OK: 3 Case(s) swept: 1 closed, 3 deleted", "with 5m the fresh Case (30 min old) is swept too")
	assert.ElementsMatch(t, []string{seeded.Unmarked, seeded.Lookalike}, caseIDs(org.Cases()))

	code, stdout, _ = runApp(t, nil, "cleanup", "--function", "sfInvokeAPI")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "OK: nothing to sweep")
	assert.Contains(t, stdout, "sfInvokeAPI calls: 1 (Salesforce API budget)")
}

func TestCleanupQueryFailureExits1(t *testing.T) {
	org, fn := simulatedAWS(t)
	sim.SeedStaleCases(org, time.Now(), time.Hour)
	fn.SetFaults(sim.AuthExpired)

	code, stdout, stderr := runApp(t, nil, "cleanup", "--function", "sfInvokeAPI", "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var rep check.SweepReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.False(t, rep.OK)
	assert.Equal(t, "auth", string(rep.ErrorClass))
	assert.Contains(t, rep.Message, "invalid_grant")
	assert.Empty(t, rep.Cases)
	assert.Len(t, org.Cases(), 5)

	code, stdout, _ = runApp(t, nil, "cleanup", "--function", "sfInvokeAPI")
	require.Equal(t, exitFailed, code)
	assert.Contains(t, stdout, "auth: Check the API user's password")
	assert.Contains(t, stdout, "FAILED (auth): nothing was swept")
}

// TestCleanupCaseFailureText: a Case that cannot be deleted exits 1, with
// its class, the remedy and the Cases left unattempted.
func TestCleanupCaseFailureText(t *testing.T) {
	old := time.Now().Add(-3 * time.Hour)
	api := checktest.NewSFInvokeAPI()
	api.Ops["query"] = checktest.Query(
		checktest.Case{ID: "500000000000001AAA", Subject: events.Subject(events.Marker("run-a")), IsClosed: true, CreatedDate: old.Format("2006-01-02T15:04:05.000-0700")},
		checktest.Case{ID: "500000000000002AAA", Subject: events.Subject(events.Marker("run-b")), CreatedDate: old.Add(time.Second).Format("2006-01-02T15:04:05.000-0700")},
	)
	api.Ops["delete"] = checktest.Raise("Exception", "INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id\x1b[31m")
	var out, errOut bytes.Buffer
	a := newApp(&out, &errOut, func(string) string { return "" })
	f := cleanupFlags{cfg: check.SweepConfig{Function: "sfInvokeAPI", OlderThan: time.Hour}, output: "text", timeout: time.Minute}
	code, err := runSweep(context.Background(), a, sfinvoke.New(api, "sfInvokeAPI"), f)
	require.NoError(t, err)
	assert.Equal(t, exitFailed, code)
	got := out.String()
	assert.Regexp(t, `500000000000001AAA  run-a .* closed +delete +FAILED \(permission\) delete: .*INSUFFICIENT_ACCESS_OR_READONLY`, got)
	assert.NotContains(t, got, "\x1b", "text from Salesforce cannot drive the terminal")
	assert.Contains(t, got, "NOT ATTEMPTED the sweep stopped after Case 500000000000001AAA failed with permission")
	assert.Contains(t, got, "permission: Grant the missing permission")
	assert.Contains(t, got, "stopped after Case 500000000000001AAA failed with permission")
	assert.Contains(t, got, "FAILED: 2 of 2 Case(s) not swept; 0 closed, 0 deleted")
	assert.Equal(t, []string{"query", "delete"}, api.Operations())
	assert.Empty(t, errOut.String(), "no progress line off a terminal")
}

func TestCleanupLimitText(t *testing.T) {
	old := time.Now().Add(-3 * time.Hour)
	var cases []checktest.Case
	for _, id := range []string{"500000000000001AAA", "500000000000002AAA", "500000000000003AAA"} {
		cases = append(cases, checktest.Case{ID: id, Subject: events.Subject(events.Marker("run-" + id[14:])), IsClosed: true,
			CreatedDate: old.Format("2006-01-02T15:04:05.000-0700")})
	}
	api := checktest.NewSFInvokeAPI()
	api.Ops["query"] = checktest.Query(cases...)
	var out bytes.Buffer
	a := newApp(&out, &bytes.Buffer{}, func(string) string { return "" })
	f := cleanupFlags{cfg: check.SweepConfig{Function: "sfInvokeAPI", OlderThan: time.Hour, Limit: 2, DryRun: true}, output: "text", timeout: time.Minute}
	code, err := runSweep(context.Background(), a, sfinvoke.New(api, "sfInvokeAPI"), f)
	require.NoError(t, err)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out.String(), "1 more Case(s) old enough remain beyond the limit of 2: run sfprobe cleanup again")
	assert.Contains(t, out.String(), "DRY RUN: nothing changed; without --dry-run this would close 0 and delete 2 Case(s)")
	assert.Equal(t, 2, strings.Count(out.String(), "would delete"))
}

// TestCleanupAgainstSandbox: the sweep end to end through the real SDK, the
// local AWS (moto) and the gateway, against the simulated org; then a
// sweep that fails exits 1.
func TestCleanupAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sb := sandboxForCLI(t)
	seeded := sim.SeedStaleCases(sb.Org, time.Now(), time.Hour)
	before := sb.Org.Cases()

	code, stdout, stderr := runApp(t, nil, "cleanup", "--function", sb.Target.Function, "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "DRY RUN: nothing changed; without --dry-run this would close 1 and delete 2 Case(s)")
	assert.Equal(t, before, sb.Org.Cases())

	code, stdout, stderr = runApp(t, nil, "cleanup", "--function", sb.Target.Function, "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	var rep check.SweepReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.True(t, rep.OK)
	assert.Equal(t, sb.Target.Function, rep.Function)
	require.Len(t, rep.Cases, 2)
	for _, c := range rep.Cases {
		assert.Equal(t, check.SweepDone, c.Status, c.Message)
		assert.True(t, c.Deleted)
	}
	assert.Equal(t, 4, rep.SalesforceCalls)
	assert.Equal(t, 5, sb.Function.Invocations(), "the dry run's query and the sweep's four calls")
	assert.ElementsMatch(t, seeded.Untouched(), caseIDs(sb.Org.Cases()), "only the fresh and the unmarked Cases remain")

	sim.SeedStaleCases(sb.Org, time.Now(), time.Hour)
	sb.Function.SetFaults(sim.APILimit)
	code, stdout, stderr = runApp(t, nil, "cleanup", "--function", sb.Target.Function, "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	rep = check.SweepReport{}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.False(t, rep.OK)
	assert.Equal(t, "api-limit", string(rep.ErrorClass))
}
