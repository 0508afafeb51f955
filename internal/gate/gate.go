// Package gate is sfprobe's deploy gate: run the deployed workflow once and
// fail when the run fails. It is the handler of the stack's CDK trigger
// (functions/deploy-gate), which CloudFormation runs as the deploy's last
// step: an error here fails the deploy and CloudFormation shows its message.
package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// The environment of the deploy gate's function (set by the CDK app).
const (
	// EnvStateMachineArn is the workflow to run.
	EnvStateMachineArn = "SFPROBE_STATE_MACHINE_ARN"
	// EnvWorkflowType is the state machine's type, EXPRESS or STANDARD.
	EnvWorkflowType = "SFPROBE_WORKFLOW_TYPE"
	// EnvStackID is the stack whose deploy the gate guards (its ARN).
	EnvStackID = "SFPROBE_STACK_ID"
)

// ExecutionPrefix starts the name of every execution the gate makes.
const ExecutionPrefix = "deploy-gate-"

// The Step Functions and CloudFormation calls the gate makes.
type (
	// SyncStarter runs an Express execution synchronously.
	SyncStarter interface {
		StartSyncExecution(ctx context.Context, params *awssfn.StartSyncExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.StartSyncExecutionOutput, error)
	}
	// Starter starts a Standard execution.
	Starter interface {
		StartExecution(ctx context.Context, params *awssfn.StartExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.StartExecutionOutput, error)
	}
	// ExecutionDescriber reads a Standard execution's status.
	ExecutionDescriber interface {
		DescribeExecution(ctx context.Context, params *awssfn.DescribeExecutionInput, optFns ...func(*awssfn.Options)) (*awssfn.DescribeExecutionOutput, error)
	}
	// HistoryGetter reads a Standard execution's history (the failed state).
	HistoryGetter interface {
		GetExecutionHistory(ctx context.Context, params *awssfn.GetExecutionHistoryInput, optFns ...func(*awssfn.Options)) (*awssfn.GetExecutionHistoryOutput, error)
	}
	// StackDescriber reads the stack's status.
	StackDescriber interface {
		DescribeStacks(ctx context.Context, params *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	}
)

var (
	_ SyncStarter        = (*awssfn.Client)(nil)
	_ Starter            = (*awssfn.Client)(nil)
	_ ExecutionDescriber = (*awssfn.Client)(nil)
	_ HistoryGetter      = (*awssfn.Client)(nil)
	_ StackDescriber     = (*cloudformation.Client)(nil)
)

// Clients are the gate's AWS clients. An Express workflow needs Sync, a
// Standard one Start, Describe and History. Stacks is optional.
type Clients struct {
	Sync     SyncStarter
	Start    Starter
	Describe ExecutionDescriber
	History  HistoryGetter
	Stacks   StackDescriber
}

// Config is what the gate runs.
type Config struct {
	StateMachineARN string
	// Express selects StartSyncExecution; otherwise StartExecution and polling.
	Express bool
	// StackID is the guarded stack; empty skips the rollback check.
	StackID string
}

// ConfigFromEnv reads the gate's configuration from its environment.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{StateMachineARN: getenv(EnvStateMachineArn), StackID: getenv(EnvStackID)}
	var errs []error
	if c.StateMachineARN == "" {
		errs = append(errs, &validate.FieldError{Field: EnvStateMachineArn, Msg: "required: the state machine to run"})
	} else if err := validate.StateMachineARN(EnvStateMachineArn, c.StateMachineARN); err != nil {
		errs = append(errs, err)
	}
	switch typ := getenv(EnvWorkflowType); typ {
	case string(sfntypes.StateMachineTypeExpress):
		c.Express = true
	case string(sfntypes.StateMachineTypeStandard):
	default:
		errs = append(errs, &validate.FieldError{Field: EnvWorkflowType, Msg: fmt.Sprintf("%q: want EXPRESS or STANDARD", typ)})
	}
	return c, errors.Join(errs...)
}

// Gate runs the workflow once per call of Handle.
type Gate struct {
	cfg      Config
	clients  Clients
	now      func() time.Time
	interval time.Duration
	log      *slog.Logger
}

// Option configures a Gate.
type Option func(*Gate)

// WithClock sets the clock that names executions.
func WithClock(now func() time.Time) Option { return func(g *Gate) { g.now = now } }

// WithPollInterval sets the interval between polls of a Standard execution
// (default 2 s).
func WithPollInterval(d time.Duration) Option { return func(g *Gate) { g.interval = d } }

// WithLogger sets the logger of the gate's one line per pass (default: none).
func WithLogger(l *slog.Logger) Option { return func(g *Gate) { g.log = l } }

// New returns a gate for cfg using clients.
func New(cfg Config, clients Clients, opts ...Option) *Gate {
	g := &Gate{cfg: cfg, clients: clients, now: time.Now, interval: 2 * time.Second}
	for _, opt := range opts {
		opt(g)
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	return g
}

// Handle is the trigger's handler (the trigger invokes it without a
// payload). It runs the workflow with input {} (every check of the stack's
// default targets) and returns nil when the run passed, a *FailedError
// when it failed, and another error when it could not run or wait.
//
// While the stack rolls back it returns nil without running: CloudFormation
// rolls a failed update back by updating the trigger again with its old
// properties, which runs the gate again, and a fault outside the stack
// (Salesforce down) would then fail the rollback too (UPDATE_ROLLBACK_FAILED).
func (g *Gate) Handle(ctx context.Context) error {
	if status := g.stackStatus(ctx); strings.HasSuffix(status, "ROLLBACK_IN_PROGRESS") {
		g.log.WarnContext(ctx, "deploy gate skipped: the stack is rolling back", "stack", g.cfg.StackID, "status", status)
		return nil
	}
	name := sfn.ExecutionName(ExecutionPrefix, g.now())
	o, err := g.run(ctx, name)
	if err != nil {
		return err
	}
	if o.Status == string(sfntypes.ExecutionStatusSucceeded) {
		// A succeeded execution passed (the workflow fails a run with a
		// failed check); a paused one checked nothing.
		if o.Paused() {
			g.log.WarnContext(ctx, "deploy gate passed without checking: sfprobe is paused", "execution", o.ExecutionARN)
			return nil
		}
		g.log.InfoContext(ctx, "deploy gate passed", "execution", o.ExecutionARN)
		return nil
	}
	return failed(o)
}

// run starts the execution and waits for its end.
func (g *Gate) run(ctx context.Context, name string) (sfn.Outcome, error) {
	arn := g.cfg.StateMachineARN
	if g.cfg.Express {
		o, err := sfn.RunSync(ctx, g.clients.Sync, arn, name, sfn.Input{})
		if err != nil {
			return o, fmt.Errorf("sfprobe deploy gate: %w", err)
		}
		return o, nil
	}
	exec, err := sfn.Start(ctx, g.clients.Start, arn, name, sfn.Input{})
	if err != nil {
		return sfn.Outcome{}, fmt.Errorf("sfprobe deploy gate: %w", err)
	}
	w := &sfn.Waiter{Describe: g.clients.Describe, History: g.clients.History, Interval: g.interval}
	o, err := w.Wait(ctx, exec)
	if err != nil {
		return o, fmt.Errorf("sfprobe deploy gate: the run did not end in time (execution %s): %w", sfn.ConsoleURL(exec), err)
	}
	return o, nil
}

// stackStatus returns the guarded stack's status, "" when unknown: the
// rollback check never fails the gate by itself.
func (g *Gate) stackStatus(ctx context.Context) string {
	if g.clients.Stacks == nil || g.cfg.StackID == "" {
		return ""
	}
	out, err := g.clients.Stacks.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(g.cfg.StackID)})
	if err != nil {
		g.log.WarnContext(ctx, "deploy gate: cannot read the stack's status; running", "stack", g.cfg.StackID, "error", redact.Text(err.Error()))
		return ""
	}
	if len(out.Stacks) != 1 {
		return ""
	}
	return string(out.Stacks[0].StackStatus)
}

// FailedCheck is one failed check of a failed run.
type FailedCheck struct {
	// Target is the target's name; empty for a run of one target.
	Target string
	Check  string
	Class  string
}

func (f FailedCheck) String() string {
	s := f.Check
	if f.Class != "" {
		s += " (" + f.Class + ")"
	}
	if f.Target != "" {
		s = f.Target + ": " + s
	}
	return s
}

// FailedError is a gated run that failed. Its message is what
// CloudFormation shows as the deploy's failure reason.
type FailedError struct {
	ExecutionARN string
	// Status is FAILED, TIMED_OUT or ABORTED.
	Status string
	// Checks are the failed checks, when the run got as far as its report.
	Checks []FailedCheck
	// ErrorName and Cause are the execution's error, when no report names
	// the checks.
	ErrorName, Cause string
	// FailedState is the state that failed, when known (Standard only).
	FailedState string
}

// maxCause bounds the cause quoted in the message: CloudFormation shows a
// reason of a few hundred characters well, not a whole report.
const maxCause = 300

func (e *FailedError) Error() string {
	var b strings.Builder
	b.WriteString("sfprobe deploy gate: the workflow run failed")
	if len(e.Checks) > 0 {
		parts := make([]string, len(e.Checks))
		for i, c := range e.Checks {
			parts[i] = c.String()
		}
		b.WriteString(": failed checks " + strings.Join(parts, ", "))
	} else {
		b.WriteString(" (" + e.Status)
		if e.ErrorName != "" {
			b.WriteString(", " + e.ErrorName)
		}
		if e.FailedState != "" {
			b.WriteString(" in state " + e.FailedState)
		}
		b.WriteString(")")
		if cause := strings.TrimSpace(e.Cause); cause != "" {
			if len(cause) > maxCause {
				cause = cause[:maxCause] + "..."
			}
			b.WriteString(": " + cause)
		}
	}
	if u := sfn.ConsoleURL(e.ExecutionARN); u != "" {
		b.WriteString("; execution " + u)
	} else if e.ExecutionARN != "" {
		b.WriteString("; execution " + e.ExecutionARN)
	}
	return b.String()
}

// failed builds the error of a run that did not succeed.
func failed(o sfn.Outcome) *FailedError {
	e := &FailedError{ExecutionARN: o.ExecutionARN, Status: o.Status, ErrorName: redact.Text(o.Error), Cause: redact.Text(o.Cause), FailedState: o.FailedState}
	switch {
	case o.Report != nil:
		e.Checks = failedChecks("", *o.Report)
	case o.Fleet != nil:
		for _, r := range o.Fleet.Targets {
			e.Checks = append(e.Checks, failedChecks(r.Target, r)...)
		}
	}
	return e
}

func failedChecks(target string, r check.Report) []FailedCheck {
	var out []FailedCheck
	for _, c := range r.Checks {
		if c.Failed() {
			out = append(out, FailedCheck{Target: target, Check: c.Name, Class: string(c.ErrorClass)})
		}
	}
	return out
}
