package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/sim"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const localDescription = `
Runs sfprobe's deployed workflow end to end without an AWS account: it starts
moto (a local AWS) and a gateway in front of it, provisions a KMS key, the
encrypted credentials secret, the sfInvokeAPI function (its environment, role
and Connect permission) and the state machine from the same ASL document CDK
deploys, then executes it. moto's Step Functions engine calls sfprobe's own
Lambda handlers over the Lambda Invoke API; they call a faithful simulator of
sfInvokeAPI v5.26 and a Salesforce org. It prints the run's report, the
metrics read back from CloudWatch, and whether any test Case was left open.

Needs python3 with moto: pip install 'moto[server]'.

Examples:
  sfprobe local
  sfprobe local --fault auth-expired
  sfprobe local --list-faults
  sfprobe local --keep        # then, in another shell, the printed exports and: sfprobe run ...`

type localFlags struct {
	faults     string
	listFaults bool
	keep       bool
	keepCases  bool
	output     string
	timeout    time.Duration
	latency    time.Duration
	jitter     time.Duration
	fnTimeout  time.Duration
	python     string
}

func localCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f localFlags
	fs := a.newFlagSet("local", "[--fault NAME[,NAME]] [--keep] [--output text|json|junit]", localDescription)
	fs.StringVar(&f.faults, "fault", "", "inject faults, comma-separated (see --list-faults)")
	fs.BoolVar(&f.listFaults, "list-faults", false, "list the faults --fault takes, with the check and class each fails")
	fs.BoolVar(&f.keep, "keep", false, "leave the sandbox running after the run and print how to use it; Ctrl-C ends it")
	fs.BoolVar(&f.keepCases, "keep-cases", false, "keep the closed test Case instead of deleting it")
	fs.StringVar(&f.output, "output", "text", "report format: text, json or junit")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Minute, "deadline of the start-up and the run")
	fs.DurationVar(&f.latency, "latency", 0, "fixed latency added to every simulated sfInvokeAPI call")
	fs.DurationVar(&f.jitter, "jitter", 0, "random extra latency, up to this much, per simulated call")
	fs.DurationVar(&f.fnTimeout, "function-timeout", 6*time.Second, "the simulated sfInvokeAPI's timeout (the SAM template's is 6s)")
	fs.StringVar(&f.python, "python", "", "python3 interpreter with moto (default: python3 on PATH)")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if f.listFaults {
		return exitOK, listFaults(a.stdout)
	}
	faults, err := sandbox.ParseFaults(f.faults)
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	if f.timeout <= 0 || f.latency < 0 || f.jitter < 0 || f.fnTimeout <= 0 {
		return exitUsage, usagef("--timeout and --function-timeout must be positive, --latency and --jitter not negative")
	}

	interrupted := ctx // Ctrl-C ends a --keep sandbox; the timeout does not
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	log := a.stderr
	start := time.Now()
	fmt.Fprintf(log, "sfprobe local: starting moto and the sfInvokeAPI simulator")
	if len(faults) > 0 {
		fmt.Fprintf(log, " with faults %s", strings.Join(faults, ", "))
	}
	fmt.Fprintln(log, "...")
	opts := sandbox.Options{
		Faults: faults, KeepCases: f.keepCases, FunctionTimeout: f.fnTimeout,
		Latency: sim.Latency{Fixed: f.latency, Jitter: f.jitter},
	}
	if f.python != "" {
		opts.Moto = append(opts.Moto, sandbox.WithPython(f.python))
	}
	sb, err := sandbox.Start(interrupted, opts) // lives until Ctrl-C with --keep
	if err != nil {
		if errors.Is(err, sandbox.ErrPythonNotFound) || errors.Is(err, sandbox.ErrMotoNotInstalled) {
			return exitUsage, &usageError{err.Error()}
		}
		return exitFailed, err
	}
	defer sb.Close()
	fmt.Fprintf(log, "  local AWS at %s (%.1fs): function %s, secret %s, key %s, state machine %s\n",
		sb.AWS().Endpoint(), time.Since(start).Seconds(), check.FunctionName(sb.Target.Function),
		sandbox.SecretName, sandbox.KeyAlias, sandbox.StateMachineName)

	runStart := time.Now()
	fmt.Fprintln(log, "running the workflow (the schedule's input: the stack's default target):")
	out, err := sb.Execute(ctx, sfn.Input{}, func(e sfn.Event) { printEvent(log, e) })
	if err != nil {
		return exitFailed, fmt.Errorf("execute the workflow: %w", err)
	}
	fmt.Fprintf(log, "execution %s: %s in %.1fs\n", lastPart(out.ExecutionARN), out.Status, time.Since(runStart).Seconds())

	code := exitOK
	if out.Report != nil {
		if err := report.Write(a.stdout, *out.Report, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
			return exitFailed, fmt.Errorf("write report: %w", err)
		}
		if !out.Report.OK {
			code = exitFailed
		}
	} else {
		fmt.Fprintf(log, "the workflow ended without a report: %s %s (state %s)\n", out.Error, out.Cause, out.FailedState)
		code = exitFailed
	}
	if out.Status != "SUCCEEDED" {
		code = exitFailed
	}

	if ms, err := sb.Metrics(ctx, runStart); err != nil {
		fmt.Fprintf(log, "metrics: cannot read them back: %v\n", err)
	} else {
		printMetrics(log, ms)
	}
	open := sb.OpenTestCases()
	fmt.Fprintf(log, "simulated org: %d open test case(s), %d case(s) in all, %d Salesforce API call(s)\n", len(open), len(sb.Org.Cases()), sb.Org.APICalls())

	if f.keep {
		keepRunning(interrupted, a, sb)
	}
	return code, nil
}

func listFaults(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tFAILS\tCLASS\tWHAT IT DOES")
	for _, f := range sandbox.Faults() {
		class := string(f.Class)
		if class == "" && f.Check != "" {
			class = "(warns)" // the check passes with a warning
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Check, class, f.Description)
	}
	return tw.Flush()
}

// shown reports whether `local` prints a state's progress: the checks and
// the steps that act; the Pass and Choice plumbing stays quiet.
func shown(state string) bool {
	return slices.Contains([]string{"AWSChecks", "Cleanup", "PublishMetrics", "Summarize"}, state) || slices.Contains(check.Names(), state)
}

func printEvent(w io.Writer, e sfn.Event) {
	if !shown(e.State) && e.Phase != "failed" {
		return
	}
	switch e.Phase {
	case "succeeded":
		fmt.Fprintf(w, "  done    %s\n", e.State)
	case "failed":
		fmt.Fprintf(w, "  failed  %s (%s)\n", e.State, e.Detail)
	}
}

func printMetrics(w io.Writer, ms []sandbox.MetricValue) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "metrics: none published")
		return
	}
	fmt.Fprintln(w, "metrics read back from CloudWatch (namespace sfprobe):")
	for _, m := range ms {
		dims := []string{}
		for _, k := range []string{"Target", "Check"} {
			if v, ok := m.Dimensions[k]; ok {
				dims = append(dims, k+"="+v)
			}
		}
		fmt.Fprintf(w, "  %-16s %-40s %g\n", m.Name, strings.Join(dims, " "), m.Value)
	}
}

func keepRunning(ctx context.Context, a *app, sb *sandbox.Sandbox) {
	w := a.stderr
	fmt.Fprintln(w, "\nThe sandbox keeps running; in another shell:")
	for _, e := range sb.AWS().Env() {
		fmt.Fprintf(w, "  export %s\n", e)
	}
	fmt.Fprintf(w, "  export %s=%s\n", workflow.EnvSalesforceEndpoint, sb.SalesforceEndpoint())
	t := sb.Target
	fmt.Fprintf(w, "  sfprobe run --function %s --phone '%s' --kms-key-arn %s --connect-instance-arn %s\n", t.Function, t.Phone, t.KMSKeyARN, t.ConnectInstanceARN)
	fmt.Fprintf(w, "  sfprobe start --state-machine %s --wait\n", sb.StateMachineARN)
	fmt.Fprintf(w, "  aws stepfunctions list-executions --state-machine-arn %s\n", sb.StateMachineARN)
	fmt.Fprintf(w, "function %s\nsecret   %s\nkey      %s\nstate machine %s\nPress Ctrl-C to stop.\n", t.Function, t.SecretARN, sb.KeyARN, sb.StateMachineARN)
	<-ctx.Done()
}

func lastPart(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
