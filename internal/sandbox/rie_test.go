package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// buildBootstraps builds every function's bootstrap for this host with the
// flags `make build` uses.
func buildBootstraps(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, f := range workflow.Functions {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
			"-o", filepath.Join(dir, f.Name, "bootstrap"), "../../functions/"+f.Name)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		out, err := cmd.CombinedOutput()
		require.NoError(tb, err, "build %s: %s", f.Name, out)
	}
	return dir
}

// skipWithoutRIE skips a test that needs aws-lambda-rie before it builds
// or provisions anything, unless SFPROBE_REQUIRE_TOOLS asks to fail
// instead. A test whose runs are subtests must call it first: a subtest's
// skip does not skip its parent.
func skipWithoutRIE(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("aws-lambda-rie"); err != nil {
		requireRIE(tb, sandbox.ErrRIENotFound)
	}
}

func requireRIE(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, sandbox.ErrRIENotFound) && os.Getenv("SFPROBE_REQUIRE_TOOLS") == "" {
		tb.Skipf("%v (set SFPROBE_REQUIRE_TOOLS=1 to fail instead)", err)
	}
	require.NoError(tb, err)
}

// TestBinariesUnderRIE proves the binaries CDK ships start and answer: the
// workflow runs end to end with each function a built bootstrap under the
// Lambda Runtime Interface Emulator, and each binary answers a direct
// invocation through the gateway.
func TestBinariesUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	skipWithoutRIE(t)
	a := sandboxtest.AWS(t)
	bins := buildBootstraps(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{Binaries: bins})
	requireRIE(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	out, err := sb.Execute(ctx, sfn.Input{}, nil)
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", out.Status, "%s %s\n%s", out.Error, out.Cause, sb.RIEs["publish-metrics"].Log())
	require.NotNil(t, out.Report)
	assert.True(t, out.Report.OK)
	assert.Empty(t, sb.OpenTestCases())
	ms, err := sb.Metrics(ctx, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.NoError(t, sb.MetricErrors())
	names := map[string]bool{}
	for _, m := range ms {
		names[m.Name] = true
	}
	assert.True(t, names[metrics.RunSuccess], "the bootstrap's embedded-metric-format lines reached CloudWatch: %v", ms)
	for name, r := range sb.RIEs {
		assert.Positive(t, r.ColdStart, name)
		t.Logf("cold start of %s under the emulator: %s", name, r.ColdStart.Round(time.Millisecond))
	}

	// A direct invocation of the built check-config binary through the
	// gateway, with the real SDK.
	lc := lambda.NewFromConfig(sb.Config())
	payload, _ := json.Marshal(map[string]any{"checks": []string{check.TargetConfig}, "target": sb.Target})
	res, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(a.FunctionARN(sandbox.FunctionPrefix + "check-config")), Payload: payload})
	require.NoError(t, err)
	assert.Nil(t, res.FunctionError, string(res.Payload))
	var cc handler.CheckConfigOutput
	require.NoError(t, json.Unmarshal(res.Payload, &cc))
	require.Len(t, cc.Results, 1, string(res.Payload))
	r := cc.Results[0]
	assert.Equal(t, check.TargetConfig, r.Name)
	assert.Contains(t, []check.Status{check.Pass, check.Warn}, r.Status, r.Message)

	// A malformed event comes back as a function error with its Go type.
	res, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(a.FunctionARN(sandbox.FunctionPrefix + "check-config")), Payload: []byte(`{"checks": ["Nope"]}`)})
	require.NoError(t, err)
	assert.Equal(t, "Unhandled", aws.ToString(res.FunctionError))
	assert.Contains(t, string(res.Payload), `"errorType"`)
}
