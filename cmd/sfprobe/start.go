package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const startDescription = `
Starts sfprobe's deployed workflow and, with --wait, waits for it and prints
the same report as ` + "`sfprobe run`" + `, with the same exit codes: the post-deploy smoke
test of a pipeline. Without target flags the workflow probes the stack's
default targets (as the schedule does); --function and the other target flags
probe another, --targets FILE several (the workflow fans out over them, at most
25 at a time, and prints the fleet report), --input FILE takes the execution
input as it is. --scope salesforce or aws runs only that half of the checks,
as the stack's two schedules do.

More than 50 targets run on the workflow's Distributed Map (a Standard state
machine): --targets sends them in the execution input while it fits Step
Functions' 256 KiB; a larger fleet goes to S3 as a JSON array of targets and
--targets-object s3://bucket/key names it. Such a run answers with a summary
(counts, failed targets, where the full report is); start then reads the
full fleet report from the stack's results bucket (s3:GetObject) and prints
it as for a smaller fleet. --summary-only prints the summary instead.

A Standard state machine is started and polled, and on failure the execution
history names the failing state; an Express one runs synchronously
(StartSyncExecution) and its status field says how it ended.

Examples:
  sfprobe start --state-machine arn:aws:states:eu-west-2:123456789012:stateMachine:sfprobe --wait --output junit > sfprobe.xml
  sfprobe start --state-machine $SM --function sfInvokeAPI-staging --phone +441122334455 --wait
  sfprobe start --state-machine $SM --targets targets.yaml --wait --output json
  sfprobe start --state-machine $SM --targets-object s3://my-bucket/fleet/targets.json --wait`

func startCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f targetFlags
	var smARN, input, smType, targetsFile, targetsObject, scope string
	var wait, summaryOnly bool
	fs := a.newFlagSet("start", "--state-machine ARN [--wait] [target flags | --input FILE | --targets FILE | --targets-object s3://BUCKET/KEY] [--summary-only]", startDescription)
	f.register(fs)
	fs.StringVar(&smARN, "state-machine", "", "ARN of sfprobe's state machine (the stack output StateMachineArn) (required)")
	fs.BoolVar(&wait, "wait", false, "wait for the run and print its report; the exit code says how it went")
	fs.StringVar(&input, "input", "", "JSON file holding the execution input {\"target\": {...}} (instead of the target flags)")
	fs.StringVar(&smType, "type", "auto", "workflow type: auto (ask Step Functions), standard or express")
	fs.StringVar(&targetsFile, "targets", "", "YAML or JSON targets file: probe its targets (instead of the target flags)")
	fs.StringVar(&targetsObject, "targets-object", "", "s3://bucket/key of a JSON array of targets, for a fleet too large for the execution input (the workflow reads it)")
	fs.BoolVar(&summaryOnly, "summary-only", false, "for a fleet run on the Distributed Map: print its summary, do not read the full report from S3")
	fs.StringVar(&scope, "scope", workflow.ScopeAll, "checks to run: all, salesforce (the chain only) or aws (the AWS-side checks only)")
	if fl := fs.Lookup("function"); fl != nil {
		fl.Usage = "sfInvokeAPI function name or ARN to probe instead of the stack's default targets"
	}
	if fl := fs.Lookup("checks"); fl != nil {
		fl.Usage = "not for start: the workflow runs every check (see --scope); use sfprobe run --checks"
	}
	// The wait covers the whole workflow, which may run 280 s.
	if fl := fs.Lookup("timeout"); fl != nil {
		_ = fl.Value.Set(startTimeout.String())
		fl.DefValue = startTimeout.String()
		fl.Usage = "deadline of the start and the wait (the workflow itself times out after 280 s)"
	}
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if smARN == "" {
		return exitUsage, usagef("--state-machine: required: the ARN of sfprobe's state machine")
	}
	if err := validate.StateMachineARN("--state-machine", smARN); err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	if f.checks != "" {
		return exitUsage, usagef("--checks: the workflow runs every check; use `sfprobe run --checks` for a subset")
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	switch smType {
	case "auto", "standard", "express":
	default:
		return exitUsage, usagef("--type: %q is not auto, standard or express", smType)
	}
	switch scope {
	case workflow.ScopeAll, workflow.ScopeSalesforce, workflow.ScopeAWS:
	default:
		return exitUsage, usagef("--scope: %q is not all, salesforce or aws", scope)
	}
	if scope == workflow.ScopeAWS && f.target.ExpectVersion != "" {
		return exitUsage, usagef("--expect-version: the version is read from the chain's invocations, which --scope aws does not run")
	}
	if targetsFile != "" || targetsObject != "" {
		flagName := "--targets"
		if targetsObject != "" {
			flagName = "--targets-object"
		}
		if targetsFile != "" && targetsObject != "" {
			return exitUsage, usagef("--targets and --targets-object exclude each other")
		}
		if input != "" {
			return exitUsage, usagef("%s and --input exclude each other", flagName)
		}
		var given []string
		for _, name := range singleTargetFlags {
			if set(fs, name) {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 {
			return exitUsage, usagef("%s excludes %s: the file describes the targets", flagName, strings.Join(given, ", "))
		}
	}
	var in sfn.Input
	if targetsObject != "" {
		loc, err := check.ParseObjectLocation(targetsObject)
		if err != nil {
			return exitUsage, usagef("--targets-object: %v", err)
		}
		in.TargetsObject = &loc
	} else if in, err = startInput(a, f, input, targetsFile); err != nil {
		return exitUsage, err
	}
	if set(fs, "scope") {
		if in.Scope != "" && in.Scope != scope {
			return exitUsage, usagef("--scope %s contradicts the scope %q of --input %s", scope, in.Scope, input)
		}
		in.Scope = scope
	}
	if in.Scope == workflow.ScopeAll {
		in.Scope = ""
	}
	if _, err := in.Encode(); err != nil {
		return exitUsage, inputTooLarge(err, len(in.Targets), targetsFile, input)
	}
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion(f.region), awsconf.WithProfile(f.profile))
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	client := awssfn.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	if smType == "auto" {
		d, err := client.DescribeStateMachine(ctx, &awssfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN)})
		if err != nil {
			return exitFailed, fmt.Errorf("describe state machine %s: %w", smARN, err)
		}
		smType = strings.ToLower(string(d.Type))
	}
	if smType == strings.ToLower(string(sfntypes.StateMachineTypeExpress)) && (len(in.Targets) > workflow.InlineMaxTargets || in.TargetsObject != nil) {
		return exitUsage, usagef("%s is an Express state machine: more than %d targets (or targets in S3) run on the Distributed Map, which needs a Standard one (deploy with workflowType STANDARD)", smARN, workflow.InlineMaxTargets)
	}
	name := sfn.ExecutionName("start-", time.Now())
	var out sfn.Outcome
	if smType == strings.ToLower(string(sfntypes.StateMachineTypeExpress)) {
		out, err = sfn.RunSync(ctx, client, smARN, name, in)
		if err != nil {
			return exitFailed, err
		}
		fmt.Fprintf(a.stderr, "execution %s\n", out.ExecutionARN)
	} else {
		arn, err := sfn.Start(ctx, client, smARN, name, in)
		if err != nil {
			return exitFailed, err
		}
		fmt.Fprintf(a.stderr, "execution %s\n", arn)
		if u := sfn.ConsoleURL(arn); u != "" {
			fmt.Fprintf(a.stderr, "console   %s\n", u)
		}
		if !wait {
			fmt.Fprintln(a.stdout, arn)
			return exitOK, nil
		}
		progress := report.NewProgress(a.stderr, isTerminal(a.stderr))
		w := &sfn.Waiter{Describe: client, History: client, Progress: func(e sfn.Event) { progress.Update(e.State, e.Phase) }}
		out, err = w.Wait(ctx, arn)
		progress.Done()
		if err != nil {
			return exitFailed, err
		}
	}
	var fleets sfn.ObjectGetter
	if !summaryOnly {
		// The results bucket is the stack's, in the state machine's region.
		fleets = s3.NewFromConfig(cfg, func(o *s3.Options) {
			if a, err := arn.Parse(smARN); err == nil && a.Region != "" {
				o.Region = a.Region
			}
		})
	}
	return finishStart(ctx, a, out, format, fleets)
}

// startInput builds the execution input from --input, --targets or the
// target flags; without any the workflow uses the stack's default targets.
func startInput(a *app, f targetFlags, path, targetsFile string) (sfn.Input, error) {
	given := f.target.Function != "" || f.target.Phone != ""
	if targetsFile != "" {
		if given || path != "" {
			return sfn.Input{}, usagef("--targets, --input and the target flags exclude each other")
		}
		file, err := targets.Load(targetsFile)
		if err != nil {
			return sfn.Input{}, &usageError{err.Error()}
		}
		notes := 0
		for i, e := range file.Targets {
			var note string
			if e.Region != "" || e.Profile != "" {
				note = fmt.Sprintf("note: targets[%d] (%s): region and profile are sfprobe run's; the workflow calls %s with its own role, in the function ARN's region", i, e.Label(), e.Function)
			} else if !strings.HasPrefix(e.Function, "arn:") {
				note = fmt.Sprintf("note: targets[%d] (%s): %s is not an ARN: the workflow calls it in the state machine's region and account", i, e.Label(), e.Function)
			}
			if note == "" {
				continue
			}
			if notes++; notes <= maxStartNotes {
				fmt.Fprintln(a.stderr, note)
			}
		}
		if notes > maxStartNotes {
			fmt.Fprintf(a.stderr, "note: and %d more targets like these\n", notes-maxStartNotes)
		}
		return sfn.Input{Targets: file.CheckTargets()}, nil
	}
	if path != "" {
		if given {
			return sfn.Input{}, usagef("--input and the target flags exclude each other")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return sfn.Input{}, usagef("--input: %v", err)
		}
		var in sfn.Input
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return sfn.Input{}, usagef("--input %s: not an execution input {\"target\": {...}}: %v", path, err)
		}
		if in.Target != nil {
			if err := in.Target.Validate(); err != nil {
				return sfn.Input{}, usagef("--input %s: %v", path, err)
			}
		}
		for i := range in.Targets {
			if err := in.Targets[i].Validate(); err != nil {
				return sfn.Input{}, usagef("--input %s: targets[%d]: %v", path, i, err)
			}
		}
		if o := in.TargetsObject; o != nil {
			switch {
			case in.Target != nil || len(in.Targets) > 0:
				return sfn.Input{}, usagef("--input %s: targets_object excludes target and targets", path)
			case o.Bucket == "" || o.Key == "":
				return sfn.Input{}, usagef("--input %s: targets_object: want {\"bucket\": ..., \"key\": ...}, both set", path)
			}
		}
		switch in.Scope {
		case "", workflow.ScopeAll, workflow.ScopeSalesforce, workflow.ScopeAWS:
		default:
			return sfn.Input{}, usagef("--input %s: scope %q is not all, salesforce or aws", path, in.Scope)
		}
		return in, nil
	}
	if !given {
		if f.target.ExpectVersion != "" {
			return sfn.Input{}, usagef("--expect-version: needs the target flags (--function, --phone): the stack's own targets take expect_version in their targets file entry")
		}
		return sfn.Input{}, nil
	}
	t := f.target
	if err := t.Validate(); err != nil {
		return sfn.Input{}, &usageError{flagNames(err.Error())}
	}
	return sfn.Input{Target: &t}, nil
}

// maxStartNotes bounds the notes start prints about a targets file's
// entries (a fleet may have a thousand).
const maxStartNotes = 10

// startTimeout is start's default deadline: the workflow's own 280 s and
// some.
const startTimeout = 5 * time.Minute

// finishStart prints the run's report and returns its exit code. A fleet
// that ran on the Distributed Map is read back from S3 with fleets (nil:
// print its summary only).
func finishStart(ctx context.Context, a *app, out sfn.Outcome, format report.Format, fleets sfn.ObjectGetter) (int, error) {
	if out.Summary != nil && out.Fleet == nil {
		return finishSummary(ctx, a, out, format, fleets)
	}
	if out.Paused() {
		fmt.Fprintln(a.stderr, "warning: sfprobe is paused: the run skipped every check (sfprobe resume --parameter <name> ends the pause)")
	}
	if out.Truncated {
		if out.Fleet != nil {
			fmt.Fprintln(a.stderr, "note: the report holds the failed targets only: the whole fleet did not fit the execution's 32 KB cause (see the execution in the console)")
		} else if len(out.FailedChecks) > 0 {
			names := make([]string, 0, len(out.FailedChecks))
			for target := range out.FailedChecks {
				names = append(names, target)
			}
			sort.Strings(names)
			for _, target := range names {
				fmt.Fprintf(a.stderr, "FAILED  %s: %s\n", target, strings.Join(out.FailedChecks[target], ", "))
			}
			return exitFailed, fmt.Errorf("execution %s: %d target(s) failed; their reports did not fit the execution's cause (see the execution in the console)", lastPart(out.ExecutionARN), len(names))
		}
	}
	if out.Fleet != nil {
		if err := report.WriteFleet(a.stdout, *out.Fleet, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
			return exitFailed, fmt.Errorf("write report: %w", err)
		}
		if out.Passed() {
			return exitOK, nil
		}
		return exitFailed, nil
	}
	if out.Report != nil {
		if err := report.Write(a.stdout, *out.Report, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
			return exitFailed, fmt.Errorf("write report: %w", err)
		}
		if out.Status == string(sfntypes.ExecutionStatusSucceeded) && out.Report.OK {
			return exitOK, nil
		}
		return exitFailed, nil
	}
	msg := fmt.Sprintf("execution %s ended %s without a report", lastPart(out.ExecutionARN), out.Status)
	if out.FailedState != "" {
		msg += " in state " + out.FailedState
	}
	if out.Error != "" {
		msg += ": " + out.Error
	}
	if out.Cause != "" {
		msg += ": " + out.Cause
	}
	return exitFailed, fmt.Errorf("%s", msg)
}
