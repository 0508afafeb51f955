//go:build unix

// The benchmark reads the process's CPU time with getrusage(2).

package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// benchLatency is the fixed latency of every simulated sfInvokeAPI call;
// the fake AWS APIs answer in half of it.
const benchLatency = 100 * time.Millisecond

// BenchmarkRunTargets measures `sfprobe run --targets` (runFleet, the
// direct engine) over 1 and 50 simulated targets, all at once
// (--concurrency = targets). Each target is its own deployment: its own
// simulated sfInvokeAPI and org (internal/sim, fixed latency benchLatency)
// behind the Lambda Invoke HTTP API, its own SDK Lambda client (as each
// target gets its own AWS configuration), and checktest's fake AWS APIs
// answering in benchLatency/2. The 50 simulators share one HTTP server.
//
// Metrics: cpu-ms/run = the process's CPU time per run (sfprobe, the SDK,
// and the simulators and their HTTP server, which share the process);
// x-critical-path = mean wall time of a run / the five chained calls'
// latency; for targets=50, x-one-target = mean wall time / that of
// targets=1 at the same GOMAXPROCS (measured by the targets=1 sub-benchmark,
// or here when it was filtered out). The goal: x-one-target ≤ 1.5.
func BenchmarkRunTargets(b *testing.B) {
	one := map[int]time.Duration{} // mean wall time of targets=1 by GOMAXPROCS (-cpu)
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			procs := runtime.GOMAXPROCS(0)
			if n > 1 && one[procs] == 0 {
				one[procs] = meanFleetRun(b, 1, 5)
			}
			run := fleetRunner(b, n)
			run() // warm up: connections, each simulated org's OAuth token
			var total time.Duration
			runs := 0
			cpu0 := cpuTime()
			for b.Loop() {
				total += run()
				runs++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(runs)/float64(time.Millisecond), "cpu-ms/run")
			mean := total / time.Duration(runs)
			b.ReportMetric(float64(mean)/float64(5*benchLatency), "x-critical-path")
			if n == 1 {
				one[procs] = mean
				return
			}
			b.ReportMetric(float64(mean)/float64(one[procs]), "x-one-target")
		})
	}
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meanFleetRun is the mean wall time of runs runs over n targets, after a
// warm-up run.
func meanFleetRun(b *testing.B, n, runs int) time.Duration {
	b.Helper()
	run := fleetRunner(b, n)
	run()
	var total time.Duration
	for range runs {
		total += run()
	}
	return total / time.Duration(runs)
}

// fleetRunner builds n simulated targets and returns a function that runs
// every check over all of them at once and returns the wall time.
func fleetRunner(b *testing.B, n int) func() time.Duration {
	b.Helper()
	router := lambdahttp.NewRouter()
	srv := httptest.NewServer(router)
	b.Cleanup(srv.Close)
	ts := make([]check.Target, n)
	deps := make([]targetDeps, n)
	for i := range n {
		name := fmt.Sprintf("sfInvokeAPI-%02d", i)
		router.Handle(name, simFunction(benchLatency))
		ts[i] = check.Target{Function: name, Phone: sim.DefaultPhone, Fields: events.DefaultFields}
		d := checktest.NewDeployment().WithAWSLatency(benchLatency / 2)
		di := d.Deps()
		di.Invoker = simClient(srv.URL)
		deps[i] = fixedDeps(di)
	}
	a := newApp(io.Discard, io.Discard, func(string) string { return "" })
	return func() time.Duration {
		start := time.Now()
		code, err := runFleet(context.Background(), a, ts, deps, check.Names(), report.JSON, n, check.WithCallTimeout(10*time.Second))
		wall := time.Since(start)
		if err != nil || code != exitOK {
			b.Fatalf("exit %d: %v", code, err)
		}
		return wall
	}
}

// simFunction is a simulated sfInvokeAPI with its own default org and
// secret, answering after latency.
func simFunction(latency time.Duration) *sim.Function {
	const secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfprobe-sim-AbCdEf"
	org, fx := sim.NewDefaultOrg()
	env := map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": secret}
	for k, v := range fx.Env {
		env[k] = v
	}
	return sim.NewFunction(org, sim.NewMemorySecrets(secret, fx.SecretString), env, sim.WithLatency(sim.Latency{Fixed: latency}))
}

// simClient is a real SDK Lambda client of its own (its own connections)
// for the simulators at url, without retries.
func simClient(url string) *lambda.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "sim-secret", "")}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = 1
	})
}
