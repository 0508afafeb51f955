// Package sfn starts sfprobe's workflow and waits for it: for a Standard
// state machine StartExecution then polling (with the execution history for
// progress), for an Express one StartSyncExecution. It reads the run's
// report back from the output (success) or the ChecksFailed cause.
package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// ExecutionStarter starts a Standard execution.
type ExecutionStarter interface {
	StartExecution(ctx context.Context, params *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// SyncExecutionStarter runs an Express execution synchronously.
type SyncExecutionStarter interface {
	StartSyncExecution(ctx context.Context, params *sfn.StartSyncExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error)
}

// ExecutionDescriber reads an execution's status.
type ExecutionDescriber interface {
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// HistoryGetter reads an execution's history.
type HistoryGetter interface {
	GetExecutionHistory(ctx context.Context, params *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// StateMachineDescriber reads a state machine's type.
type StateMachineDescriber interface {
	DescribeStateMachine(ctx context.Context, params *sfn.DescribeStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
}

var (
	_ ExecutionStarter      = (*sfn.Client)(nil)
	_ SyncExecutionStarter  = (*sfn.Client)(nil)
	_ ExecutionDescriber    = (*sfn.Client)(nil)
	_ HistoryGetter         = (*sfn.Client)(nil)
	_ StateMachineDescriber = (*sfn.Client)(nil)
)

// Input is the workflow's execution input.
type Input struct {
	// Target is the one target to probe; Targets several (the workflow fans
	// out over them). Neither: the stack's default targets.
	Target  *check.Target  `json:"target,omitempty"`
	Targets []check.Target `json:"targets,omitempty"`
	// TargetsObject is an S3 object holding the targets (a JSON array of
	// check.Target): the workflow's Distributed Map reads it.
	TargetsObject *check.ObjectLocation `json:"targets_object,omitempty"`
	// Scope is "all" (empty), "salesforce" or "aws": which checks to run.
	Scope string `json:"scope,omitempty"`
}

// Outcome is how an execution ended.
type Outcome struct {
	ExecutionARN string
	// Status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string
	// Error and Cause are the failure's, when the execution failed.
	Error, Cause string
	// Report is the run's report for one target, Fleet for several; both
	// nil when the workflow broke before PublishMetrics (Error RunBroken or
	// BadInput, a timeout, an abort).
	Report *check.Report
	Fleet  *check.Fleet
	// Summary is the output (or ChecksFailed cause) of a run whose fleet
	// ran on the Distributed Map: its counts, failed targets and where the
	// full Fleet is in S3. LoadFleet reads that into Fleet.
	Summary *check.FleetSummary
	// Truncated says the ChecksFailed cause was cut to fit Step Functions'
	// 32 KB: Fleet then holds only the failed targets' reports, or is nil
	// and FailedChecks names them and their failed checks.
	Truncated    bool
	FailedChecks map[string][]string
	// FailedState is the state whose failure ended the execution, from the
	// history, when known.
	FailedState string
}

// Event is one step of progress.
type Event struct {
	State string
	// Phase is "entered", "succeeded" or "failed".
	Phase string
	// Detail is the error name of a failed state.
	Detail string
}

// MaxInputBytes is the largest execution input Step Functions accepts
// (256 KiB, UTF-8).
const MaxInputBytes = 256 * 1024

// Encode is the execution input as Step Functions receives it; an input
// larger than MaxInputBytes is an error.
func (in Input) Encode() (string, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("encode execution input: %w", err)
	}
	if len(body) > MaxInputBytes {
		return "", &InputTooLargeError{Bytes: len(body)}
	}
	return string(body), nil
}

// InputTooLargeError says an execution input exceeds MaxInputBytes.
type InputTooLargeError struct{ Bytes int }

func (e *InputTooLargeError) Error() string {
	return fmt.Sprintf("the execution input is %d bytes, more than Step Functions' %d (256 KiB)", e.Bytes, MaxInputBytes)
}

// ExecutionName returns a unique execution name (also the run id).
func ExecutionName(prefix string, now time.Time) string {
	return prefix + check.NewRunID(now)
}

// Start starts a Standard execution and returns its ARN.
func Start(ctx context.Context, api ExecutionStarter, stateMachineARN, name string, in Input) (string, error) {
	body, err := in.Encode()
	if err != nil {
		return "", err
	}
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(stateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(body),
	})
	if err != nil {
		return "", fmt.Errorf("start execution of %s: %w", stateMachineARN, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// RunSync runs an Express execution synchronously. A synchronous start
// answers 200 even when the run failed: the status field says.
func RunSync(ctx context.Context, api SyncExecutionStarter, stateMachineARN, name string, in Input) (Outcome, error) {
	body, err := in.Encode()
	if err != nil {
		return Outcome{}, err
	}
	out, err := api.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(stateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(body),
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("start sync execution of %s: %w", stateMachineARN, err)
	}
	o := Outcome{
		ExecutionARN: aws.ToString(out.ExecutionArn),
		Status:       string(out.Status),
		Error:        aws.ToString(out.Error),
		Cause:        aws.ToString(out.Cause),
	}
	o.readReport(aws.ToString(out.Output))
	o.redact()
	return o, nil
}

// Waiter polls a Standard execution until it ends.
type Waiter struct {
	Describe ExecutionDescriber
	History  HistoryGetter
	// Interval between polls; default 250 ms.
	Interval time.Duration
	// Progress, when set, receives each state's progress once.
	Progress func(Event)
}

// Wait polls until the execution ends or ctx is done.
func (w *Waiter) Wait(ctx context.Context, executionARN string) (Outcome, error) {
	interval := w.Interval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	seen := map[int64]bool{}
	var failedState string
	// The history is read every 4th poll while the run goes on (a fleet's
	// runs hold thousands of events) and once at the end.
	for poll := 0; ; poll++ {
		if w.History != nil && poll%4 == 0 {
			fs, err := w.progress(ctx, executionARN, seen)
			if err != nil {
				return Outcome{}, err
			}
			if fs != "" {
				failedState = fs
			}
		}
		d, err := w.Describe.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		if err != nil {
			return Outcome{}, fmt.Errorf("describe execution %s: %w", executionARN, err)
		}
		if d.Status != types.ExecutionStatusRunning && d.Status != types.ExecutionStatusPendingRedrive {
			if w.History != nil {
				if fs, err := w.progress(ctx, executionARN, seen); err == nil && fs != "" {
					failedState = fs
				}
			}
			o := Outcome{
				ExecutionARN: executionARN,
				Status:       string(d.Status),
				Error:        aws.ToString(d.Error),
				Cause:        aws.ToString(d.Cause),
				FailedState:  failedState,
			}
			o.readReport(aws.ToString(d.Output))
			o.redact()
			return o, nil
		}
		select {
		case <-ctx.Done():
			return Outcome{}, fmt.Errorf("wait for execution %s: %w", executionARN, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// progress reports new history events and returns the name of a state that
// failed, if one did. It stops at the first terminal execution event (moto
// may log events after it).
func (w *Waiter) progress(ctx context.Context, executionARN string, seen map[int64]bool) (string, error) {
	var failedState, lastEntered string
	// Names and error names only: no execution data, the largest pages.
	p := sfn.NewGetExecutionHistoryPaginator(w.History, &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(executionARN), IncludeExecutionData: aws.Bool(false), MaxResults: 1000,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("get execution history of %s: %w", executionARN, err)
		}
		for _, e := range page.Events {
			switch e.Type {
			case types.HistoryEventTypeExecutionSucceeded, types.HistoryEventTypeExecutionFailed,
				types.HistoryEventTypeExecutionTimedOut, types.HistoryEventTypeExecutionAborted:
				return failedState, nil
			}
			ev, name := event(e)
			if e.StateEnteredEventDetails != nil {
				lastEntered = name
			}
			if ev.Phase == "failed" {
				if ev.State == "" {
					ev.State = lastEntered
				}
				failedState = ev.State
			}
			if seen[e.Id] || ev.Phase == "" || ev.State == "" {
				seen[e.Id] = true
				continue
			}
			seen[e.Id] = true
			if w.Progress != nil {
				w.Progress(ev)
			}
		}
	}
	return failedState, nil
}

func event(e types.HistoryEvent) (Event, string) {
	switch {
	case e.StateEnteredEventDetails != nil:
		n := aws.ToString(e.StateEnteredEventDetails.Name)
		return Event{State: n, Phase: "entered"}, n
	case e.StateExitedEventDetails != nil:
		return Event{State: aws.ToString(e.StateExitedEventDetails.Name), Phase: "succeeded"}, ""
	case e.TaskFailedEventDetails != nil:
		return Event{Phase: "failed", Detail: redact.Text(aws.ToString(e.TaskFailedEventDetails.Error))}, ""
	case e.LambdaFunctionFailedEventDetails != nil:
		return Event{Phase: "failed", Detail: aws.ToString(e.LambdaFunctionFailedEventDetails.Error)}, ""
	case e.TaskTimedOutEventDetails != nil:
		return Event{Phase: "failed", Detail: aws.ToString(e.TaskTimedOutEventDetails.Error)}, ""
	}
	return Event{}, ""
}

// Passed reports whether the execution succeeded with an OK report or
// fleet.
func (o Outcome) Passed() bool {
	if o.Status != string(types.ExecutionStatusSucceeded) {
		return false
	}
	switch {
	case o.Fleet != nil:
		return o.Fleet.OK
	case o.Report != nil:
		return o.Report.OK
	case o.Summary != nil:
		return o.Summary.OK
	}
	return false
}

// Paused reports whether the run skipped its checks because sfprobe is
// paused (the workflow then answers with skipped reports).
func (o Outcome) Paused() bool {
	switch {
	case o.Report != nil:
		return o.Report.Paused
	case o.Fleet != nil && len(o.Fleet.Targets) > 0:
		return o.Fleet.Targets[0].Paused
	}
	return false
}

// redact passes what the execution let out (its error, cause, report and
// fleet) through the redactor: the cause may quote a function's error. The
// report is read from the unredacted cause first, so a redaction can never
// make it unreadable.
func (o *Outcome) redact() {
	o.Error = redact.Text(o.Error)
	o.Cause = redact.Text(o.Cause)
	if o.Report != nil {
		r := o.Report.Redacted()
		o.Report = &r
	}
	if o.Fleet != nil {
		f := o.Fleet.Redacted()
		o.Fleet = &f
	}
	for target, checks := range o.FailedChecks {
		o.FailedChecks[target] = redact.Texts(checks)
	}
	if o.Summary != nil {
		s := *o.Summary
		s.FailedTargets = redact.Texts(s.FailedTargets)
		o.Summary = &s
	}
}

// readReport reads the report or the fleet from a successful output or a
// ChecksFailed cause: {"failed_checks", "report"} for one target,
// {"failed_targets", "fleet"} for several, a check.FleetSummary (itself,
// or under "summary" or "fleet") for a fleet that ran on the Distributed Map.
func (o *Outcome) readReport(output string) {
	var raw string
	switch {
	case o.Status == string(types.ExecutionStatusSucceeded):
		raw = output
		if o.Summary = fleetSummary(raw); o.Summary != nil {
			return
		}
	case o.Error == workflow.ErrChecksFailed:
		if o.Summary = fleetSummary(o.Cause); o.Summary != nil {
			return
		}
		var c struct {
			Report    json.RawMessage `json:"report"`
			Fleet     json.RawMessage `json:"fleet"`
			Truncated bool            `json:"truncated"`
			// A list for one target; a map of target to checks in a
			// fleet's truncated cause.
			FailedChecks json.RawMessage `json:"failed_checks"`
		}
		if json.Unmarshal([]byte(o.Cause), &c) != nil {
			return
		}
		o.Truncated = c.Truncated
		if c.Truncated {
			_ = json.Unmarshal(c.FailedChecks, &o.FailedChecks)
		}
		raw = string(c.Report)
		if len(c.Fleet) > 0 {
			raw = string(c.Fleet)
		}
	default:
		return
	}
	var probe struct {
		Targets json.RawMessage `json:"targets"`
		Checks  json.RawMessage `json:"checks"`
	}
	if json.Unmarshal([]byte(raw), &probe) != nil {
		return
	}
	switch {
	case len(probe.Targets) > 0:
		var f check.Fleet
		if json.Unmarshal([]byte(raw), &f) == nil && f.Targets != nil {
			o.Fleet = &f
		}
	case len(probe.Checks) > 0:
		var r check.Report
		if json.Unmarshal([]byte(raw), &r) == nil && r.Checks != nil {
			o.Report = &r
		}
	}
}

// fleetSummary reads a check.FleetSummary from raw, itself or under the key
// "summary" (or "fleet", as a ChecksFailed cause holds a fleet): an object whose targets is a count (a Fleet's is a list) and
// whose report names a bucket and a key. Anything else is nil.
func fleetSummary(raw string) *check.FleetSummary {
	var wrapped struct {
		Summary json.RawMessage `json:"summary"`
		Fleet   json.RawMessage `json:"fleet"`
	}
	if json.Unmarshal([]byte(raw), &wrapped) == nil {
		switch {
		case len(wrapped.Summary) > 0:
			raw = string(wrapped.Summary)
		case len(wrapped.Fleet) > 0:
			raw = string(wrapped.Fleet)
		}
	}
	var probe struct {
		Targets json.RawMessage `json:"targets"`
	}
	if json.Unmarshal([]byte(raw), &probe) != nil || len(probe.Targets) == 0 || probe.Targets[0] < '0' || probe.Targets[0] > '9' {
		return nil
	}
	var s check.FleetSummary
	if json.Unmarshal([]byte(raw), &s) != nil || s.Report.Bucket == "" || s.Report.Key == "" {
		return nil
	}
	return &s
}

// ConsoleURL is the AWS console page of an execution.
func ConsoleURL(executionARN string) string {
	a, err := arn.Parse(executionARN)
	if err != nil {
		return ""
	}
	host := "console.aws.amazon.com"
	switch {
	case strings.HasPrefix(a.Partition, "aws-cn"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(a.Partition, "aws-us-gov"):
		host = "console.amazonaws-us-gov.com"
	}
	return fmt.Sprintf("https://%s.%s/states/home?region=%s#/v2/executions/details/%s", a.Region, host, a.Region, url.PathEscape(executionARN))
}
