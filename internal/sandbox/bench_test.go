package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// BenchmarkLocalEndToEnd measures `sfprobe local`:
//
//   - execution: one execution of the workflow per op on a provisioned
//     sandbox (moto's Step Functions engine, the gateway, sfprobe's handlers
//     in process, the simulated sfInvokeAPI without added latency), after a
//     first execution that warms moto's boto3 up;
//   - cli: the built `sfprobe local --output json` per op, as a user runs
//     it: moto's start, provisioning, one execution, the metrics read back
//     and the teardown.
//
// Both skip when python3 or moto is missing (unless SFPROBE_REQUIRE_MOTO is
// set).
func BenchmarkLocalEndToEnd(b *testing.B) {
	b.Run("execution", func(b *testing.B) {
		a := sandboxtest.AWS(b)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		sb, err := sandbox.Provision(ctx, a, sandbox.Options{})
		if err != nil {
			b.Fatal(err)
		}
		execute := func() {
			out, err := sb.Execute(ctx, sfn.Input{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if out.Status != "SUCCEEDED" || out.Report == nil || !out.Report.OK {
				b.Fatalf("%s %s %s", out.Status, out.Error, out.Cause)
			}
		}
		execute()
		for b.Loop() {
			execute()
		}
	})
	b.Run("cli", func(b *testing.B) {
		m, err := sandbox.StartMoto(context.Background())
		sandboxtest.Require(b, err)
		if err := m.Stop(); err != nil {
			b.Fatal(err)
		}
		bin := filepath.Join(b.TempDir(), "sfprobe")
		if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "../../cmd/sfprobe").CombinedOutput(); err != nil {
			b.Fatalf("build sfprobe: %v: %s", err, out)
		}
		for b.Loop() {
			if out, err := exec.Command(bin, "local", "--output", "json").CombinedOutput(); err != nil {
				b.Fatalf("sfprobe local: %v: %s", err, out)
			}
		}
	})
}

// coldStartEvents are events each function answers without calling AWS:
// an invalid target, an empty chain (the first step cannot render its
// event), a pause switch that does not parse. The invocation costs the
// runtime's start, main's configuration and clients, and a trivial handler
// run: the cold start.
var coldStartEvents = map[string]string{
	"check-config":     `{"checks": ["TargetConfig"], "target": {"function": "sf invoke"}}`,
	"check-salesforce": `{"check": "PhoneLookup", "chain": {"target": {"function": "sf invoke"}}}`,
	"cleanup":          `{"chain": {}}`,
	"publish-metrics":  `{"pause": ""}`,
	baseline:           `{}`,
}

// baseline is testdata/minimal-bootstrap: aws-lambda-go echoing its event,
// built with the same flags, to tell the emulator's share of a cold start
// from sfprobe's.
const baseline = "minimal-bootstrap"

// initReport is the emulator's report of the init phase: from the
// bootstrap's start until it asks for its first event.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// buildFor builds pkg's bootstrap into dir/name/bootstrap for linux/goarch
// with the flags of `make build`.
func buildFor(b *testing.B, dir, name, pkg, goarch string) string {
	b.Helper()
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s for linux/%s: %v: %s", name, goarch, err, msg)
	}
	return out
}

func fileSize(b *testing.B, path string) float64 {
	b.Helper()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(st.Size())
}

// BenchmarkBootstrapColdStart builds the four bootstraps with the flags of
// `make build` and reports, per function, their sizes for this host
// (bytes-<fn>) and for the Lambda target linux/arm64 (bytes-arm64-<fn>),
// and a cold start under the Lambda Runtime Interface Emulator: each op
// starts a fresh emulator and invokes it once. ns/op is the emulator's
// start plus the first response; ms-first-invoke the first invocation
// alone (it starts the bootstrap); ms-init the emulator's INIT REPORT (the
// bootstrap's start until it is ready for events: Go's runtime, package
// init, main's SDK configuration and clients). minimal-bootstrap is the
// baseline. It skips when aws-lambda-rie is missing (`make tools`), unless
// SFPROBE_REQUIRE_TOOLS is set.
func BenchmarkBootstrapColdStart(b *testing.B) {
	if _, err := exec.LookPath("aws-lambda-rie"); err != nil {
		requireRIE(b, sandbox.ErrRIENotFound)
	}
	host, arm64 := b.TempDir(), b.TempDir()
	names := []string{}
	for _, f := range workflow.Functions {
		names = append(names, f.Name)
	}
	names = append(names, baseline)
	pkg := func(name string) string {
		if name == baseline {
			return "./testdata/" + baseline
		}
		return "../../functions/" + name
	}
	for _, name := range names {
		buildFor(b, host, name, pkg(name), runtime.GOARCH)
		buildFor(b, arm64, name, pkg(name), "arm64")
	}
	env := []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench",
		// Nothing may reach AWS: the events need no call.
		"AWS_ENDPOINT_URL=http://127.0.0.1:9",
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			bootstrap := filepath.Join(host, name, "bootstrap")
			fnEnv := append(env[:len(env):len(env)], "AWS_LAMBDA_FUNCTION_NAME="+sandbox.FunctionPrefix+name)
			var firstInvoke time.Duration
			var initMS float64
			inits := 0
			for i := 0; i < b.N; i++ {
				r, err := sandbox.StartRIE(context.Background(), bootstrap, fnEnv)
				requireRIE(b, err)
				resp, err := r.Invoke(context.Background(), []byte(coldStartEvents[name]))
				b.StopTimer()
				log := r.Log()
				_ = r.Stop()
				if err != nil {
					b.Fatalf("invoke %s: %v\n%s", name, err, log)
				}
				if resp.FunctionError != "" {
					b.Fatalf("%s raised: %s\n%s", name, resp.Payload, log)
				}
				firstInvoke += r.ColdStart
				if m := initReport.FindStringSubmatch(log); m != nil {
					ms, _ := strconv.ParseFloat(m[1], 64)
					initMS += ms
					inits++
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(firstInvoke)/float64(b.N)/float64(time.Millisecond), "ms-first-invoke")
			if inits > 0 {
				b.ReportMetric(initMS/float64(inits), "ms-init")
			}
			b.ReportMetric(fileSize(b, bootstrap), "bytes-"+name)
			b.ReportMetric(fileSize(b, filepath.Join(arm64, name, "bootstrap")), "bytes-arm64-"+name)
		})
	}
}

// BenchmarkFleetWorkflow measures one execution of the deployed workflow
// over a fleet of 1, 50 and 500 targets on moto: the wall time (ns/op) and
// the CPU it costs, as user + system time per execution of this process
// (sfprobe's handlers in process, the gateway, the simulated sfInvokeAPI:
// getrusage RUSAGE_SELF) and of moto (its Step Functions engine, S3, the
// other services: the utime + stime of every process in moto's process
// group, read from /proc, because moto is still running when the op ends
// and RUSAGE_CHILDREN only counts children that have exited and been
// waited for). Every target is the sandbox's own simulated deployment
// under its own label (one simulated function and org, no latency added).
// Provisioning and a warm-up execution of one target are not timed.
//
// 1 and 50 targets run on the inline Map. 500 need the Distributed Map;
// it skips while the definition has none. It skips when python3 or moto is
// missing (unless SFPROBE_REQUIRE_MOTO is set).
func BenchmarkFleetWorkflow(b *testing.B) {
	for _, n := range []int{1, 50, 500} {
		b.Run("targets="+strconv.Itoa(n), func(b *testing.B) {
			if n > workflow.InlineMaxTargets && !strings.Contains(workflow.Definition(), `"DISTRIBUTED"`) {
				b.Skipf("%d targets need the workflow's Distributed Map, which this definition does not have yet", n)
			}
			a := sandboxtest.AWS(b)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			// As TestWorkflowWithMaxTargets: a production-like function
			// timeout, and no flows (many concurrent invocations of one
			// simulated function say nothing of a fleet's separate ones).
			sb, err := sandbox.Provision(ctx, a, sandbox.Options{FunctionTimeout: 15 * time.Second, NoContactFlows: true})
			if err != nil {
				b.Fatal(err)
			}
			in := sfn.Input{Target: &sb.Target}
			if n > 1 {
				in = sfn.Input{}
				for i := range n {
					tg := sb.Target
					tg.Name = fmt.Sprintf("target-%03d", i)
					in.Targets = append(in.Targets, tg)
				}
			}
			execute := func(in sfn.Input, want int) {
				out, err := sb.Execute(ctx, in, nil)
				if err != nil {
					b.Fatal(err)
				}
				if !out.Passed() {
					b.Fatalf("%d targets: %s %s %.500s", want, out.Status, out.Error, out.Cause)
				}
				switch {
				case out.Summary != nil && out.Summary.Targets != want:
					b.Fatalf("the fleet summary counts %d targets, want %d", out.Summary.Targets, want)
				case out.Fleet != nil && len(out.Fleet.Targets) != want:
					b.Fatalf("the fleet holds %d targets, want %d", len(out.Fleet.Targets), want)
				}
			}
			execute(sfn.Input{Target: &sb.Target}, 1)
			pgid := a.Moto().PID()
			self0, moto0 := selfCPU(b), groupCPU(b, pgid)
			b.ResetTimer()
			for b.Loop() {
				execute(in, n)
			}
			b.StopTimer()
			ops := float64(b.N)
			b.ReportMetric((selfCPU(b)-self0).Seconds()*1000/ops, "cpu-ms-sfprobe/op")
			b.ReportMetric((groupCPU(b, pgid)-moto0).Seconds()*1000/ops, "cpu-ms-moto/op")
			b.ReportMetric(ops*float64(n)/b.Elapsed().Seconds(), "targets/s")
		})
	}
}

// selfCPU is this process's user + system time so far.
func selfCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the unit of /proc/<pid>/stat's utime and stime
// (sysconf(_SC_CLK_TCK), 100 on Linux for every architecture Go supports).
const clockTicks = 100

// groupCPU is the user + system time so far of the live processes in
// process group pgid (moto is started as a group leader), from
// /proc/<pid>/stat. It fails the benchmark where /proc is missing.
func groupCPU(b *testing.B, pgid int) time.Duration {
	b.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		b.Fatalf("read /proc: %v (the moto CPU figure needs Linux's /proc)", err)
	}
	var ticks int64
	for _, path := range stats {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid pgrp ... utime(14) stime(15): comm may hold
		// spaces, so split after its closing parenthesis.
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 {
			continue
		}
		if pgrp, _ := strconv.Atoi(fields[2]); pgrp != pgid {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += utime + stime
	}
	return time.Duration(ticks) * time.Second / clockTicks
}
