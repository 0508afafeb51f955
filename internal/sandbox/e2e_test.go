package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/pause"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// faultCase is one row of the fault matrix: what a run with the fault must
// end with, in the workflow and in `sfprobe run` alike.
type faultCase struct {
	fault     string
	wantCheck string
	wantClass failure.Class
	// wantCleanup is the cleanup status; every row must leave no open test Case.
	wantCleanup string
}

// chainClass is, for a fault an AWS check reports first, the class the
// Salesforce chain's PhoneLookup fails with too: what sfInvokeAPI raised,
// classified.
var chainClass = map[string]failure.Class{
	sandbox.FaultTargetMisconfigured: failure.Config, // URL_NOT_RESET
	sandbox.FaultHostWithoutScheme:   failure.Config, // MissingSchema
	sandbox.FaultSecretARNEmpty:      failure.Config, // ParamValidationError
}

var faultMatrix = []faultCase{
	{"auth-expired", check.PhoneLookup, failure.Auth, check.CleanupNotNeeded},
	{"api-limit", check.PhoneLookup, failure.APILimit, check.CleanupNotNeeded},
	{"contact-missing", check.PhoneLookup, failure.Data, check.CleanupNotNeeded},
	{"create-rejected", check.CreateCase, failure.Data, check.CleanupNotNeeded},
	{"update-not-204", check.CloseCase, failure.UnexpectedResponse, check.CleanupDeleted},
	{"case-stays-open", check.VerifyCaseClosed, failure.Data, check.CleanupDeleted},
	{"timeout", check.PhoneLookup, failure.Timeout, check.CleanupNotNeeded},
	{"import-error", check.PhoneLookup, failure.Packaging, check.CleanupNotNeeded},
	{"throttled", check.PhoneLookup, failure.Throttled, check.CleanupNotNeeded},
	{"service-error", check.PhoneLookup, failure.Network, check.CleanupNotNeeded},
	{"login-host-unreachable", check.PhoneLookup, failure.Network, check.CleanupNotNeeded},
	{sandbox.FaultSecretMissingKey, check.SecretAccess, failure.Config, check.CleanupNotNeeded},
	{sandbox.FaultKeyDisabled, check.KmsKey, failure.Config, check.CleanupDeleted},
	{sandbox.FaultKeyMismatch, check.KmsKey, failure.Config, check.CleanupDeleted},
	{sandbox.FaultAccessDenied, check.SecretAccess, failure.Permission, check.CleanupNotNeeded},
	{sandbox.FaultNoConnectPermission, check.ConnectAccess, failure.Permission, check.CleanupDeleted},
	{sandbox.FaultTargetMisconfigured, check.TargetConfig, failure.Config, check.CleanupNotNeeded},
	{sandbox.FaultHostWithoutScheme, check.TargetConfig, failure.Config, check.CleanupNotNeeded},
	{sandbox.FaultSecretARNEmpty, check.TargetConfig, failure.Config, check.CleanupNotNeeded},
	{sandbox.FaultNotAssociated, check.ConnectAccess, failure.Permission, check.CleanupDeleted},
	{sandbox.FaultWrongVersion, check.PhoneLookup, failure.Config, check.CleanupNotNeeded},
	// The chain passes; ConnectAccess judges its calls as Connect's blocks make them.
	{"flow-timeout-too-short", check.ConnectAccess, failure.Timeout, check.CleanupDeleted},
	{"nested-response", check.ConnectAccess, failure.UnexpectedResponse, check.CleanupDeleted},
	// SalesforceLogin's faults: the replay rides the cached session (and
	// passes, but for a retired version), only a fresh login sees them.
	{"password-rotated", check.SalesforceLogin, failure.Auth, check.CleanupDeleted},
	{"api-version-retired", check.SalesforceLogin, failure.Config, check.CleanupNotNeeded},
	{"api-budget-low", check.SalesforceLogin, failure.APILimit, check.CleanupDeleted},
	{"client-secret-regenerated", check.SalesforceLogin, failure.Auth, check.CleanupDeleted},
}

// warnedFaults pass with a warning on every chain check (wantClass empty):
// what sfInvokeAPI's own REPORT lines say is worth knowing, not an outage.
var warnedFaults = []faultCase{
	{sandbox.FaultMemoryNearlyFull, check.PhoneLookup, "", check.CleanupDeleted},
}

func TestFaultMatrixCoversEveryFault(t *testing.T) {
	covered := map[string]bool{}
	for _, fc := range faultMatrix {
		covered[fc.fault] = true
	}
	for _, f := range absorbed {
		covered[f] = true
	}
	for _, fc := range warnedFaults {
		covered[fc.fault] = true
		for _, f := range sandbox.Faults() {
			if f.Name == fc.fault {
				assert.Equal(t, fc.wantCheck, f.Check, f.Name)
				assert.Empty(t, f.Class, "%s warns: it fails nothing", f.Name)
			}
		}
	}
	for _, f := range sandbox.Faults() {
		assert.True(t, covered[f.Name], "fault %s has no row in the fault matrix", f.Name)
		if f.Name == "create-response-lost" || f.Name == sandbox.FaultStepResponseLost || f.Name == "create-commits-late" {
			assert.Empty(t, f.Check, "a lost create response is recovered")
			continue
		}
		if !assert.NotEmpty(t, f.Check, f.Name) {
			continue
		}
		for _, fc := range faultMatrix {
			if fc.fault == f.Name {
				assert.Equal(t, fc.wantCheck, f.Check, "--list-faults says %s fails another check", f.Name)
				assert.Equal(t, fc.wantClass, f.Class, "--list-faults says %s fails with another class", f.Name)
			}
		}
	}
}

func options(faults ...string) sandbox.Options {
	// A short function timeout keeps the timeout fault quick; a slow
	// lookup needs the real function's 6 s to succeed at 3.5 s.
	timeout := 1500 * time.Millisecond
	for _, f := range faults {
		if f == string(sim.SlowLookup) {
			timeout = 0
		}
	}
	return sandbox.Options{Faults: faults, FunctionTimeout: timeout}
}

func TestWorkflowHappyPath(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)

	start := time.Now()
	var entered []string
	out, err := sb.Execute(ctx, sfn.Input{}, func(e sfn.Event) {
		if e.Phase == "succeeded" {
			entered = append(entered, e.State)
		}
	})
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
	require.NotNil(t, out.Report)
	rep := out.Report
	assert.True(t, rep.OK)
	assert.Len(t, rep.Checks, 9)
	for _, c := range rep.Checks {
		assert.Contains(t, []check.Status{check.Pass, check.Warn}, c.Status, "%s: %s", c.Name, c.Message)
	}
	assert.Equal(t, check.CleanupDeleted, rep.Cleanup.Status)
	assert.Equal(t, 5+1, rep.SalesforceCalls, "lookup, create, update, lookup, delete; SalesforceLogin's /limits")
	assert.Equal(t, 1, sb.Org.Revocations(), "SalesforceLogin revoked the session it opened")
	assert.Contains(t, entered, "PublishMetrics")
	assert.Contains(t, entered, "Cleanup")
	assert.Empty(t, sb.OpenTestCases())
	assert.Empty(t, sb.Org.Cases(), "a passing run deletes its test Case")

	ms, err := sb.Metrics(ctx, start)
	require.NoError(t, err)
	require.NoError(t, sb.MetricErrors(), "every embedded-metric-format line was extracted")
	got := metricMap(ms)
	assert.Equal(t, 1.0, got[metrics.RunSuccess+"/"])
	assert.Equal(t, 6.0, got[metrics.SalesforceCalls+"/"])
	assert.Contains(t, got, metrics.SalesforceApiRemaining+"/", "SalesforceLogin read the API budget")
	assert.NotContains(t, got, metrics.RunDuration+"/", "RunDuration is a detailed metric")
	for k := range got {
		assert.NotContains(t, k, metrics.CheckFailure, "no check failed")
	}
}

func metricMap(ms []sandbox.MetricValue) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		out[m.Name+"/"+m.Dimensions[metrics.DimCheck]] = m.Value
	}
	return out
}

// TestFaultMatrix runs every fault through both engines: the workflow in the
// sandbox (moto's Step Functions engine calling sfprobe's handlers), and the
// runner of `sfprobe run` against the same sandbox.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	for _, tt := range faultMatrix {
		t.Run(tt.fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sb, err := sandbox.Provision(ctx, a, options(tt.fault))
			require.NoError(t, err)

			t.Run("workflow", func(t *testing.T) {
				start := time.Now()
				out, err := sb.Execute(ctx, sfn.Input{}, nil)
				require.NoError(t, err)
				assert.Equal(t, "FAILED", out.Status)
				assert.Equal(t, "ChecksFailed", out.Error)
				require.NotNil(t, out.Report, "the ChecksFailed cause carries the report")
				assertFailure(t, *out.Report, tt)
				assert.Empty(t, sb.OpenTestCases(), "no open test case is left")

				ms, err := sb.Metrics(ctx, start)
				require.NoError(t, err)
				got := metricMap(ms)
				assert.Equal(t, 0.0, got[metrics.RunSuccess+"/"])
				assert.Equal(t, 1.0, got[metrics.CheckFailure+"/"+tt.wantCheck], "CheckFailure for %s", tt.wantCheck)
			})
			t.Run("run", func(t *testing.T) {
				deps := sb.Deps()
				rep := check.NewRunner(deps, check.WithCallTimeout(10*time.Second)).Run(ctx, sb.Target, check.Names())
				assertFailure(t, rep, tt)
				assert.Empty(t, sb.OpenTestCases(), "no open test case is left")
			})
			if tt.wantCheck == check.SalesforceLogin {
				assertSecretUnwritten(ctx, t, sb)
			}
		})
	}
}

// assertSecretUnwritten: the secret still has its one version: neither
// SalesforceLogin nor the replay (riding the cached session) wrote it.
func assertSecretUnwritten(ctx context.Context, t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(sb.Config()).ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: &sb.Target.SecretARN})
	require.NoError(t, err)
	assert.Len(t, out.Versions, 1, "the secret's versions are unchanged")
}

func assertFailure(t *testing.T, rep check.Report, tt faultCase) {
	t.Helper()
	assert.False(t, rep.OK)
	var first *check.Result
	for i, c := range rep.Checks {
		if c.Failed() {
			first = &rep.Checks[i]
			break
		}
	}
	require.NotNil(t, first, "a check must fail")
	assert.Equal(t, tt.wantCheck, first.Name, "first failing check (%s)", first.Message)
	assert.Equal(t, tt.wantClass, first.ErrorClass, "%s: %s", first.Name, first.Message)
	assert.NotEmpty(t, first.Remediation)
	assert.Equal(t, tt.wantCleanup, rep.Cleanup.Status, "cleanup: %+v", rep.Cleanup)
	if tt.wantCheck == check.SalesforceLogin && tt.wantCleanup == check.CleanupDeleted {
		for _, c := range rep.Checks {
			if check.IsChain(c.Name) {
				assert.Equal(t, check.Pass, c.Status, "the replay rides the cached session: %s: %s", c.Name, c.Message)
			}
		}
	}
	if want, ok := chainClass[tt.fault]; ok {
		for _, c := range rep.Checks {
			if c.Name == check.PhoneLookup {
				assert.Equal(t, check.Fail, c.Status, "%s: %s", c.Name, c.Message)
				assert.Equal(t, want, c.ErrorClass, "%s: %s", c.Name, c.Message)
			}
		}
	}
	if check.IsChain(tt.wantCheck) {
		seen := false
		for _, c := range rep.Checks {
			if c.Name == tt.wantCheck {
				seen = true
				continue
			}
			if seen && check.IsChain(c.Name) {
				assert.Equal(t, check.Skip, c.Status, "%s runs after the failed %s", c.Name, tt.wantCheck)
			}
		}
	}
}

// TestPauseAndResume: while the switch says paused a run probes nothing,
// ends SUCCEEDED with every check skipped and publishes Paused instead of
// RunSuccess; an expired pause and a resume run again.
func TestPauseAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)
	params := ssm.NewFromConfig(sb.Config())

	require.NoError(t, pause.Write(ctx, params, sandbox.PauseParameter, pause.State{Paused: true, Reason: "API user locked out"}))
	start := time.Now()
	out, err := sb.Execute(ctx, sfn.Input{}, nil)
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
	require.NotNil(t, out.Report)
	assert.True(t, out.Report.Paused)
	for _, c := range out.Report.Checks {
		assert.Equal(t, check.Skip, c.Status)
		assert.Contains(t, c.Message, "API user locked out")
	}
	assert.Zero(t, sb.Function.Invocations(), "a paused run never calls sfInvokeAPI")
	ms, err := sb.Metrics(ctx, start)
	require.NoError(t, err)
	got := metricMap(ms)
	assert.Equal(t, 1.0, got[metrics.Paused+"/"])
	assert.NotContains(t, got, metrics.RunSuccess+"/", "a paused run publishes no RunSuccess")

	past := time.Now().Add(-time.Minute)
	require.NoError(t, pause.Write(ctx, params, sandbox.PauseParameter, pause.State{Paused: true, Reason: "expired", Until: &past}))
	out, err = sb.Execute(ctx, sfn.Input{}, nil)
	require.NoError(t, err)
	require.NotNil(t, out.Report)
	assert.False(t, out.Report.Paused, "an expired pause runs")
	assert.True(t, out.Report.OK)

	require.NoError(t, pause.Write(ctx, params, sandbox.PauseParameter, pause.Resumed))
	out, err = sb.Execute(ctx, sfn.Input{}, nil)
	require.NoError(t, err)
	require.NotNil(t, out.Report)
	assert.False(t, out.Report.Paused)
	assert.Equal(t, 5+1, out.Report.SalesforceCalls)
}

// absorbed are transient faults injected once, and a create whose response
// is lost: the run passes, and each run creates exactly one case.
var absorbed = []string{"throttled:1", "service-error:1", "timeout:1", "create-response-lost",
	sandbox.FaultStepResponseLost, "create-commits-late"}

func TestTransientFaultsAreAbsorbed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	for _, fault := range absorbed {
		t.Run(fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			t.Run("workflow", func(t *testing.T) {
				sb, err := sandbox.Provision(ctx, a, options(fault))
				require.NoError(t, err)
				out, err := sb.Execute(ctx, sfn.Input{}, nil)
				require.NoError(t, err)
				require.NotNil(t, out.Report, "%s %s", out.Error, out.Cause)
				assert.True(t, out.Report.OK, "%+v", out.Report.Checks)
				assert.Equal(t, "SUCCEEDED", out.Status)
				assert.Equal(t, 1, sb.Org.CasesCreated(), "exactly one case per run")
				assert.Empty(t, sb.Org.Cases(), "and it was deleted")
				if fault == sandbox.FaultStepResponseLost {
					// moto passes $$.State.RetryCount to the retried step.
					for _, c := range out.Report.Checks {
						if c.Name == check.CreateCase {
							assert.Equal(t, 2, c.Attempts, "the CreateCase that passed on the Task's retry says so: %s", c.Message)
						}
					}
				}
			})
			t.Run("run", func(t *testing.T) {
				sb, err := sandbox.Provision(ctx, a, options(fault))
				require.NoError(t, err)
				deps := sb.Deps()
				rep := check.NewRunner(deps, check.WithCallTimeout(10*time.Second)).Run(ctx, sb.Target, check.Names())
				assert.True(t, rep.OK, "%+v", rep.Checks)
				assert.Equal(t, 1, sb.Org.CasesCreated(), "exactly one case per run")
				assert.Empty(t, sb.Org.Cases(), "and it was deleted")
			})
		})
	}
}

// TestWarnedFaults runs each warning fault through both engines: the run
// passes, every chain check warns and carries the REPORT figures that
// explain the warning.
func TestWarnedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	for _, tt := range warnedFaults {
		t.Run(tt.fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sb, err := sandbox.Provision(ctx, a, options(tt.fault))
			require.NoError(t, err)
			assertWarned := func(t *testing.T, rep check.Report) {
				t.Helper()
				assert.True(t, rep.OK, "%+v", rep.Checks)
				assert.Equal(t, tt.wantCleanup, rep.Cleanup.Status)
				for _, c := range rep.Checks {
					if !check.IsChain(c.Name) {
						continue
					}
					assert.Equal(t, check.Warn, c.Status, "%s: %s", c.Name, c.Message)
					assert.Contains(t, c.Message, "used 121 of its 128 MB")
					require.NotNil(t, c.Invocation, c.Name)
					assert.Equal(t, 121, c.Invocation.MaxMemoryUsedMB)
					assert.Equal(t, sandbox.TargetMemorySizeMB, c.Invocation.MemorySizeMB)
				}
			}
			t.Run("workflow", func(t *testing.T) {
				out, err := sb.Execute(ctx, sfn.Input{}, nil)
				require.NoError(t, err)
				assert.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
				require.NotNil(t, out.Report)
				assertWarned(t, *out.Report)
			})
			t.Run("run", func(t *testing.T) {
				deps := sb.Deps()
				rep := check.NewRunner(deps, check.WithCallTimeout(10*time.Second)).Run(ctx, sb.Target, check.Names())
				assertWarned(t, rep)
			})
		})
	}
}

// TestSandboxInvocationReport: the sandbox's invoke gateway answers like
// Lambda with LogType Tail: the chain checks carry the REPORT figures,
// only the sandbox's first invocation is cold, and $LATEST ran.
func TestSandboxInvocationReport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)
	out, err := sb.Execute(ctx, sfn.Input{}, nil)
	require.NoError(t, err)
	require.NotNil(t, out.Report, "%s %s", out.Error, out.Cause)
	rep := *out.Report
	for _, c := range rep.Checks {
		if !check.IsChain(c.Name) {
			assert.Nil(t, c.Invocation, c.Name)
			continue
		}
		require.NotNil(t, c.Invocation, c.Name)
		assert.Equal(t, sandbox.TargetMemorySizeMB, c.Invocation.MemorySizeMB, c.Name)
		assert.Positive(t, c.Invocation.MaxMemoryUsedMB, c.Name)
		assert.Positive(t, c.Invocation.DurationMS, c.Name)
		assert.Equal(t, sandbox.ExecutedVersion, c.Invocation.ExecutedVersion, c.Name)
		assert.Equal(t, c.Name == check.PhoneLookup, c.Invocation.Cold(), "%s: only the first invocation is cold", c.Name)
	}
	byName := map[string]check.Result{}
	for _, c := range rep.Checks {
		byName[c.Name] = c
	}
	assert.Contains(t, byName[check.CloseCase].Shape, check.ShapeKey{Key: "Status", Kind: "number"}, "update answers {\"Status\": 204}")
}

// TestSlowOrgStillCleansUp: with an org so slow that the chain's steps use
// up its time budget (21 s per call against budget_seconds 60), the step
// past the budget fails timeout at once and Cleanup still runs and deletes
// the Case, well within the execution's TimeoutSeconds.
func TestSlowOrgStillCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{Latency: sim.Latency{Fixed: 21 * time.Second}, FunctionTimeout: 25 * time.Second})
	require.NoError(t, err)

	out, err := sb.Execute(ctx, sfn.Input{}, nil)

	require.NoError(t, err)
	require.NotNil(t, out.Report, "%s %s", out.Error, out.Cause)
	assert.Equal(t, "FAILED", out.Status)
	var verify check.Result
	for _, c := range out.Report.Checks {
		if c.Name == check.VerifyCaseClosed {
			verify = c
		}
	}
	assert.Equal(t, check.Fail, verify.Status, verify.Message)
	assert.Equal(t, failure.Timeout, verify.ErrorClass)
	assert.Contains(t, verify.Message, "time budget")
	assert.Equal(t, check.CleanupDeleted, out.Report.Cleanup.Status, "%+v", out.Report.Cleanup)
	assert.Equal(t, 1, sb.Org.CasesCreated())
	assert.Empty(t, sb.Org.Cases(), "the Case was deleted")
}
