package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// runApp runs the CLI in-process.
func runApp(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := newApp(&out, &errOut, getenv).run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// noAWS points every AWS call at a closed port, so a test proves an error
// came before any AWS call: a call would fail with a network error instead.
func noAWS(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
}

func TestUsageErrorsExit2BeforeAnyAWSCall(t *testing.T) {
	noAWS(t)
	const fn = "--function=sfInvokeAPI"
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"missing function", []string{"run", "--phone", "+441122334455"}, "--function: required"},
		{"bad function ARN", []string{"run", "--function", "arn:aws:lambda:us-east-1:12:function:x", "--phone", "+441122334455"}, "--function:"},
		{"non-E.164 phone", []string{"run", fn, "--phone", "441122334455"}, "--phone: \"441122334455\" is not an E.164 phone number"},
		{"unknown check", []string{"run", fn, "--phone", "+441122334455", "--checks", "PhoneLookup,Nope"}, `--checks: unknown check "Nope"`},
		{"bad output", []string{"run", fn, "--phone", "+441122334455", "--output", "xml"}, "--output"},
		{"fields without Id", []string{"run", fn, "--phone", "+441122334455", "--fields", "Name, Email"}, "--fields:"},
		{"fields without space", []string{"run", fn, "--phone", "+441122334455", "--fields", "Id,Name"}, "comma and one space"},
		{"bad secret ARN", []string{"run", fn, "--phone", "+441122334455", "--secret-arn", "mysecret"}, "--secret-arn:"},
		{"bad kms ARN", []string{"run", fn, "--phone", "+441122334455", "--kms-key-arn", "arn:aws:kms:us-east-1:123456789012:thing"}, "--kms-key-arn:"},
		{"bad connect ARN", []string{"run", fn, "--phone", "+441122334455", "--connect-instance-arn", "x"}, "--connect-instance-arn:"},
		{"connect max flows out of range", []string{"run", fn, "--phone", "+441122334455", "--connect-max-flows", "0"}, "--connect-max-flows: 0 is not between 1 and 1000"},
		{"bad timeout", []string{"run", fn, "--phone", "+441122334455", "--timeout", "-1s"}, "--timeout"},
		{"expect-version an alias", []string{"run", fn, "--phone", "+441122334455", "--expect-version", "live"}, `--expect-version: "live" is not a function version`},
		{"start expect-version without target", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--expect-version", "7"}, "--expect-version: needs the target flags"},
		{"expect-version without the chain", []string{"run", fn, "--checks", "TargetConfig", "--expect-version", "7"}, "--expect-version: the version is read from PhoneLookup's invocation"},
		{"start expect-version scope aws", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", fn, "--phone", "+441122334455", "--scope", "aws", "--expect-version", "7"}, "--expect-version: the version is read from the chain's invocations"},
		{"start expect-version bad", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", fn, "--phone", "+441122334455", "--expect-version", "v7"}, "--expect-version:"},
		{"positional", []string{"run", fn, "--phone", "+441122334455", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"start without state machine", []string{"start"}, "--state-machine: required"},
		{"start bad state machine", []string{"start", "--state-machine", "sfprobe"}, "--state-machine:"},
		{"start with checks", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--checks", "PhoneLookup"}, "--checks"},
		{"start bad scope", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--scope", "everything"}, `--scope: "everything" is not all, salesforce or aws`},
		{"start targets and function", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--targets", "t.yaml", "--function", "f"}, "--targets excludes --function"},
		{"start targets and name", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--targets", "t.yaml", "--name", "x"}, "--targets excludes --name"},
		{"start missing targets file", []string{"start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--targets", "/nonexistent/targets.yaml"}, "/nonexistent/targets.yaml"},
		{"local unknown fault", []string{"local", "--fault", "gremlins"}, `--fault: unknown fault "gremlins"`},
		{"pause without parameter", []string{"pause", "--reason", "x"}, "--parameter: required"},
		{"pause without reason", []string{"pause", "--parameter", "/sfprobe/x/paused"}, "--reason: required"},
		{"pause until past", []string{"pause", "--parameter", "/sfprobe/x/paused", "--reason", "x", "--until", "2020-01-01T00:00:00Z"}, "in the past"},
		{"pause bad until", []string{"pause", "--parameter", "/sfprobe/x/paused", "--reason", "x", "--until", "tomorrow"}, "RFC 3339"},
		{"pause for and until", []string{"pause", "--parameter", "/sfprobe/x/paused", "--reason", "x", "--for", "1h", "--until", "2099-01-01T00:00:00Z"}, "exclude each other"},
		{"resume bad parameter", []string{"resume", "--parameter", "sfprobe/x paused"}, "--parameter:"},
		{"events bad phone", []string{"events", "--phone", "12"}, "--phone:"},
		{"events unknown event", []string{"events", "--event", "nope"}, `--event: unknown event "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runApp(t, nil, tt.give...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.NotContains(t, stderr, "127.0.0.1:1", "no AWS call may be made")
		})
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"run", "start", "local", "events", "pause", "resume", "version"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, _ := runApp(t, nil, cmd, "--help")
			assert.Equal(t, exitOK, code)
			assert.Contains(t, stdout, "Usage: sfprobe "+cmd)
		})
	}
	code, stdout, _ := runApp(t, nil, "help")
	assert.Equal(t, exitOK, code)
	for _, cmd := range []string{"run", "start", "local", "events"} {
		assert.Contains(t, stdout, "  "+cmd+" ")
	}
}

func TestEventsPrintsPasteableEvents(t *testing.T) {
	code, stdout, stderr := runApp(t, nil, "events", "--phone", "+15005550006", "--case-id", "500000000000001AAA")
	require.Equal(t, exitOK, code, stderr)
	blocks := strings.Split(stdout, "# event-")
	require.Len(t, blocks, len(events.Names())+1, "every event")
	for _, b := range blocks[1:] {
		body := b[strings.IndexByte(b, '\n')+1:]
		var ev struct {
			Details struct {
				Parameters map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(body), &ev), "each event is JSON with string values: %s", body)
		assert.NotEmpty(t, ev.Details.Parameters["sf_operation"])
	}
	assert.Contains(t, stdout, `"sf_phone": "+15005550006"`)
	assert.Contains(t, stdout, `"sf_id": "500000000000001AAA"`)
}

func TestLocalListFaults(t *testing.T) {
	code, stdout, _ := runApp(t, nil, "local", "--list-faults")
	require.Equal(t, exitOK, code)
	for _, f := range sandbox.Faults() {
		assert.Contains(t, stdout, f.Name)
	}
}

func TestLocalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sandboxtest.AWS(t) // skips (or fails in CI) without python3 and moto
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantCheck string
		wantClass string
	}{
		{"happy path", nil, exitOK, "", ""},
		{"auth expired", []string{"--fault", "auth-expired"}, exitFailed, check.PhoneLookup, "auth"},
		{"no connect permission", []string{"--fault", "no-connect-permission"}, exitFailed, check.ConnectAccess, "permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"local", "--output", "json"}, tt.args...)
			code, stdout, stderr := runApp(t, nil, args...)
			require.Equal(t, tt.wantCode, code, stderr)
			var rep check.Report
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
			assert.Equal(t, tt.wantCode == exitOK, rep.OK)
			assert.Contains(t, stderr, "metrics read back from CloudWatch")
			assert.Contains(t, stderr, "simulated org: 0 open test case(s)")
			if tt.wantCheck != "" {
				assert.Equal(t, []string{tt.wantCheck}, rep.FailedChecks())
				for _, c := range rep.Checks {
					if c.Name == tt.wantCheck {
						assert.Equal(t, tt.wantClass, string(c.ErrorClass))
					}
				}
			}
		})
	}
}

// sandboxForCLI provisions a sandbox on a shared local AWS and points the
// test's AWS settings at it, so the CLI under test reaches it as a user's
// shell would after `sfprobe local --keep`.
func sandboxForCLI(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{})
	require.NoError(t, err)
	sandboxtest.SetEnv(t, a)
	t.Setenv(workflow.EnvSalesforceEndpoint, sb.SalesforceEndpoint())
	return sb
}

// TestStartAgainstSandbox is the post-deploy smoke test against a sandbox:
// a passing run exits 0 and a failing one exits 1, with JUnit output.
func TestStartAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sb := sandboxForCLI(t)

	code, stdout, stderr := runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "execution arn:aws:states:")
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.True(t, rep.OK)

	dir := t.TempDir()
	in := filepath.Join(dir, "input.json")
	require.NoError(t, os.WriteFile(in, []byte(`{"target": {"function": "sfInvokeAPI", "phone": "+15005550006"}}`), 0o600))
	code, stdout, stderr = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--input", in, "--output", "junit")
	require.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stdout, `<failure message="[data] test contact not found`)

	targetsFile := filepath.Join(dir, "targets.yaml")
	require.NoError(t, os.WriteFile(targetsFile, []byte("targets:\n"+
		"  - {name: eu, function: sfInvokeAPI, phone: \"+441122334455\"}\n"+
		"  - {name: us, function: sfInvokeAPI, phone: \"+15005550006\"}\n"), 0o600))
	code, stdout, stderr = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--targets", targetsFile, "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var fleet check.Fleet
	require.NoError(t, json.Unmarshal([]byte(stdout), &fleet), stdout)
	require.Len(t, fleet.Targets, 2, "the workflow fanned out over the file's targets")
	assert.Equal(t, []string{"us"}, fleet.FailedTargets(), "us has no test contact")
	assert.True(t, fleet.Targets[0].OK)
	require.Len(t, fleet.Orgs, 1, "both targets call the sandbox's one org: %+v", fleet.Orgs)
	assert.NotEqual(t, check.OrgUnknown, fleet.Orgs[0].Host, "TargetConfig read SF_HOST")
	assert.Equal(t, []string{"eu", "us"}, fleet.Orgs[0].Targets)
	assert.Equal(t, fleet.SalesforceCalls, fleet.Orgs[0].SalesforceCalls)

	code, stdout, stderr = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--scope", "aws")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "out of this run's scope")
	assert.Empty(t, sb.OpenTestCases())

	code, stdout, _ = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN)
	require.Equal(t, exitOK, code, "without --wait it only starts")
	assert.True(t, strings.HasPrefix(stdout, "arn:aws:states:"), stdout)
}

// TestPauseResumeAgainstSandbox: pause, a run that probes nothing, resume,
// a run that probes again: through the CLI and the workflow.
func TestPauseResumeAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sb := sandboxForCLI(t)
	code, stdout, stderr := runApp(t, map[string]string{"USER": "oncall"}, "pause", "--parameter", sandbox.PauseParameter, "--reason", "API user locked out", "--for", "1h")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "paused: API user locked out")
	code, stdout, _ = runApp(t, nil, "pause", "--parameter", sandbox.PauseParameter, "--status")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "by oncall")

	code, stdout, stderr = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.True(t, rep.Paused)
	assert.Zero(t, sb.Function.Invocations())

	code, _, stderr = runApp(t, nil, "resume", "--parameter", sandbox.PauseParameter)
	require.Equal(t, exitOK, code, stderr)
	code, stdout, stderr = runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	rep = check.Report{}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.False(t, rep.Paused)
	assert.Equal(t, 5, sb.Function.Invocations())
}
