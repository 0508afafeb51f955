package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const partnerRole = "arn:aws:iam::210987654321:role/sfprobe-target"

func TestRunRoleUsageErrorsExit2BeforeAnyAWSCall(t *testing.T) {
	noAWS(t)
	file := writeFile(t, "fleet.yaml", twoTargets)
	badFile := writeFile(t, "bad.yaml", `
targets:
  - {function: sfInvokeAPI-prod, phone: "+441122334455", external_id: abc}
`)
	target := []string{"--function", "sfInvokeAPI", "--phone", "+441122334455"}
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{"--external-id without --role-arn", append(target, "--external-id", "abc"), "--external-id: set without role_arn"},
		{"--role-arn not a role", append(target, "--role-arn", "arn:aws:iam::210987654321:user/x"), "--role-arn: "},
		{"--role-arn with --targets", []string{"--targets", file, "--role-arn", partnerRole}, "--targets excludes --role-arn"},
		{"--external-id with --targets", []string{"--targets", file, "--external-id", "x"}, "--targets excludes --external-id"},
		{"external_id without role_arn in the file", []string{"--targets", badFile}, "targets[0].external_id: set without role_arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runApp(t, nil, append([]string{"run"}, tt.give...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Empty(t, stdout)
			assert.NotContains(t, stderr, "127.0.0.1:1", "no AWS call may be made")
		})
	}
}

func TestRunHelpShowsRoles(t *testing.T) {
	code, stdout, _ := runApp(t, nil, "run", "--help")
	require.Equal(t, exitOK, code)
	for _, want := range []string{"-role-arn", "-external-id", "role_arn:", "external_id:", "sfprobe-<run id>", "docs/RUNBOOK.md#assume-role"} {
		assert.Contains(t, stdout, want)
	}
}

// TestRunFleetRoleNotAssumed: a target whose role is refused fails every
// check it would run with permission, naming the role, without a call;
// the other target runs.
func TestRunFleetRoleNotAssumed(t *testing.T) {
	ts, ds := fleet(t, twoTargets)
	ts[1].RoleARN, ts[1].ExternalID = partnerRole, "ext-value"
	deps := depsOf(ds)
	var runIDs []string
	deps[1] = func(ctx context.Context, runID string) (check.Deps, error) {
		runIDs = append(runIDs, runID)
		k := assume.Key{RoleARN: partnerRole, ExternalID: "ext-value", RunID: runID, Region: "us-east-1"}
		return check.Deps{}, assume.Explain(ctx, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}, k, "")
	}
	code, stdout, _ := runFleetApp(t, ts, deps, report.JSON, 1)
	assert.Equal(t, exitFailed, code)
	var got check.Fleet
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	require.Len(t, got.Targets, 2)
	assert.True(t, got.Targets[0].OK, "%+v", got.Targets[0])
	b := got.Targets[1]
	assert.False(t, b.OK)
	require.Len(t, runIDs, 1)
	assert.Equal(t, runIDs[0], b.RunID, "the session is named after the report's run")
	require.Len(t, b.Checks, len(check.Names()))
	for _, r := range b.Checks {
		if check.IsChain(r.Name) && r.Name != check.PhoneLookup {
			assert.Equal(t, check.Skip, r.Status, "%s: the chain stops at its first failure", r.Name)
			assert.Equal(t, "skipped: PhoneLookup failed (permission)", r.Message)
			continue
		}
		assert.Equal(t, check.Fail, r.Status, r.Name)
		assert.Equal(t, failure.Permission, r.ErrorClass, r.Name)
		assert.Contains(t, r.Message, "may not assume "+partnerRole, r.Name)
	}
	assert.Equal(t, check.CleanupNotNeeded, b.Cleanup.Status)
	assert.NotContains(t, stdout, "ext-value", "the external id is never printed")
	assert.Empty(t, ds[1].SFInvokeAPI.Calls())
}

func TestReported(t *testing.T) {
	tests := []struct{ give, want []string }{
		{give: check.Names(), want: check.Names()},
		{give: []string{check.KmsKey}, want: []string{check.KmsKey}},
		{give: []string{check.CreateCase, check.TargetConfig}, want: []string{check.TargetConfig, check.PhoneLookup, check.CreateCase}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, reported(tt.give), "%v", tt.give)
	}
}

// TestRunRolesAgainstSandbox: `sfprobe run` over a same-account target and
// a target in the sandbox's second account reached through its role, then
// the single-target form with a wrong --external-id.
func TestRunRolesAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{Partner: true})
	require.NoError(t, err)
	sandboxtest.SetEnv(t, a)
	t.Setenv(workflow.EnvSalesforceEndpoint, sb.SalesforceEndpoint())
	home, partner := sb.Target, sb.Partner().Target
	home.Name = "home"
	b, err := json.Marshal(map[string]any{"targets": []check.Target{home, partner}})
	require.NoError(t, err)
	file := writeFile(t, "fleet.json", string(b))

	code, stdout, stderr := runApp(t, nil, "run", "--targets", file, "--output", "json")
	require.Equal(t, exitOK, code, "%s\n%s", stderr, stdout)
	var got check.Fleet
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	require.Len(t, got.Targets, 2)
	for _, r := range got.Targets {
		assert.True(t, r.OK, "%s: %v", r.Target, r.FailedChecks())
		assert.Equal(t, check.CleanupDeleted, r.Cleanup.Status)
	}
	assert.Equal(t, 5, sb.Partner().Function.Invocations(), "the partner's chain ran through its role")
	assert.NotContains(t, stdout+stderr, sandbox.PartnerExternalID)

	code, stdout, stderr = runApp(t, nil, "run", "--function", partner.Function, "--phone", partner.Phone, "--secret-arn", partner.SecretARN,
		"--role-arn", partner.RoleARN, "--external-id", "wrong-id", "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	assert.Contains(t, rep.FailedChecks(), check.TargetConfig)
	for _, r := range rep.Checks {
		if r.Failed() {
			assert.Equal(t, failure.Permission, r.ErrorClass, r.Name)
			assert.Contains(t, r.Message, "may not assume "+partner.RoleARN)
		}
	}
	assert.NotContains(t, stdout, "wrong-id")
	assert.Equal(t, 5, sb.Partner().Function.Invocations(), "no call with a refused role")
}
