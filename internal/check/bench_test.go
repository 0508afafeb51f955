package check_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// criticalCalls is the length of a passing run's critical path: the
// Salesforce chain's sfInvokeAPI calls, one after the other (phoneLookup,
// create, update, lookup, then the cleanup's delete).
const criticalCalls = 5

// timedInvoker adds the duration of every call to spent: the critical
// path as it really ran (timer slack, and with the simulator the SDK and
// HTTP round trip, included).
type timedInvoker struct {
	sfinvoke.Invoker
	spent *atomic.Int64
}

func (t timedInvoker) Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	start := time.Now()
	defer func() { t.spent.Add(int64(time.Since(start))) }()
	return t.Invoker.Invoke(ctx, in, optFns...)
}

// benchRun runs every check of t per op and reports the mean wall time of
// a run over its nominal critical path (criticalCalls × latency) as
// x-critical-path, the time above it as ms-over-critical-path, and the wall
// time over the time the chain's calls really took as x-calls (what the
// runner itself adds), and by how much a call exceeded the latency on
// average as ms-call-overhead (timer slack; with the simulator also the
// SDK, HTTP and the simulator's own work).
func benchRun(b *testing.B, deps check.Deps, t check.Target, latency time.Duration) {
	b.Helper()
	var spent atomic.Int64
	deps.Invoker = timedInvoker{Invoker: deps.Invoker, spent: &spent}
	runner := check.NewRunner(deps, check.WithCallTimeout(10*time.Second))
	run := func() time.Duration {
		start := time.Now()
		rep := runner.Run(context.Background(), t, check.Names())
		wall := time.Since(start)
		if !rep.OK || rep.SalesforceCalls != criticalCalls || rep.Cleanup.Status != check.CleanupDeleted {
			b.Fatalf("ok %t, %d Salesforce calls, cleanup %s, failed %v", rep.OK, rep.SalesforceCalls, rep.Cleanup.Status, rep.FailedChecks())
		}
		return wall
	}
	run() // warm up: connections, the simulator's OAuth token
	spent.Store(0)
	critical := criticalCalls * latency
	var total time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		total += run()
		n++
	}
	mean := total / time.Duration(n)
	b.ReportMetric(float64(mean)/float64(critical), "x-critical-path")
	b.ReportMetric(float64(mean-critical)/float64(time.Millisecond), "ms-over-critical-path")
	b.ReportMetric(float64(total)/float64(spent.Load()), "x-calls")
	perCall := time.Duration(spent.Load()) / time.Duration(n*criticalCalls)
	b.ReportMetric(float64(perCall-latency)/float64(time.Millisecond), "ms-call-overhead")
}

// BenchmarkRunCriticalPath: the engine of `sfprobe run` with every check
// selected. The Salesforce chain is the critical path; the four AWS checks
// run beside it and finish first (each of their API calls takes half of an
// sfInvokeAPI call). The wall time of a run should stay within 1.05× of the
// chain's five calls.
//
//   - fake: sfInvokeAPI is checktest's fake answering after the latency, in
//     process: the runner's own scheduling and decoding.
//   - sim: sfInvokeAPI is the simulator with that fixed latency, served over
//     the Lambda Invoke HTTP API (lambdahttp on httptest) to a real SDK
//     Lambda client: the SDK, HTTP and the simulator's work are included.
func BenchmarkRunCriticalPath(b *testing.B) {
	for _, latency := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond} {
		b.Run("fake/latency="+latency.String(), func(b *testing.B) {
			d := checktest.NewDeployment().WithAWSLatency(latency / 2)
			api := d.SFInvokeAPI
			d.Lambda.InvokeFn = checktest.Delayed(latency, api.Invoke)
			benchRun(b, d.Deps(), target(), latency)
		})
	}
	for _, latency := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		b.Run("sim/latency="+latency.String(), func(b *testing.B) {
			d := checktest.NewDeployment().WithAWSLatency(latency / 2)
			deps := d.Deps()
			deps.Invoker = simClient(b, sim.Latency{Fixed: latency})
			t := target()
			t.Function = simFunction
			benchRun(b, deps, t, latency)
		})
	}
}

const simFunction = "sfInvokeAPI"

// simClient serves the simulated sfInvokeAPI (default org and secret) with
// latency over HTTP and returns a real SDK client for it, without retries.
func simClient(b *testing.B, latency sim.Latency) sfinvoke.Invoker {
	b.Helper()
	const secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfprobe-sim-AbCdEf"
	org, fx := sim.NewDefaultOrg()
	env := map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": secret}
	for k, v := range fx.Env {
		env[k] = v
	}
	fn := sim.NewFunction(org, sim.NewMemorySecrets(secret, fx.SecretString), env, sim.WithLatency(latency))
	router := lambdahttp.NewRouter()
	router.Handle(simFunction, fn)
	srv := httptest.NewServer(router)
	b.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "sim-secret", "")}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
}
