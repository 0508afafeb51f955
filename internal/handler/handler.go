// Package handler holds the logic of sfprobe's Lambda functions. The
// functions/ binaries wire SDK clients into these structs; the local sandbox
// serves the same structs through its invoke gateway.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// CheckConfigInput is the check-config function's event.
type CheckConfigInput struct {
	// Checks are the AWS-side checks to run, each once, in report order.
	Checks []string     `json:"checks"`
	Target check.Target `json:"target"`
	// RunID is the run's id (the target's Case marker in the chain): the
	// session name of the target's assumed role carries it.
	RunID string `json:"run_id,omitempty"`
	// Attempt is the workflow's retry count of the state ($$.State.RetryCount).
	Attempt int `json:"attempt,omitempty"`
}

// CheckConfigOutput is the check-config function's answer: one result per
// check asked for, in order, and when the checks started (the start of a
// run without the Salesforce chain).
type CheckConfigOutput struct {
	Results   []check.Result `json:"results"`
	StartedAt time.Time      `json:"started_at"`
}

// AWSCheckRetries is how often check-config retries an AWS check that
// failed transiently (throttled, network, timeout), alone: the checks'
// step retries (check.RunAWSChecks).
const AWSCheckRetries = check.DefaultStepRetries

// CheckConfig runs the AWS-side checks (TargetConfig, SecretAccess, KmsKey,
// ConnectAccess, SalesforceLogin) in one invocation: they share the function's discovery.
type CheckConfig struct {
	// Deps are the clients of the function's own region; Regions, when
	// set, those of a target in another region or with a role.
	Deps    check.Deps
	Regions *Regions
	Opts    []check.Option
	Log     *slog.Logger
	Now     func() time.Time
}

// Handle runs the named checks concurrently. Assertion failures are
// results, never errors. A check that failed transiently is retried alone
// (every check is read-only), so one throttled read never fails the
// others; one still failing after AWSCheckRetries is reported with its
// class.
func (h *CheckConfig) Handle(ctx context.Context, in CheckConfigInput) (CheckConfigOutput, error) {
	if len(in.Checks) == 0 {
		return CheckConfigOutput{}, fmt.Errorf("checks: want one or more of %v", check.AWSChecks)
	}
	seen := map[string]bool{}
	for _, name := range in.Checks {
		if !isOneOf(name, check.AWSChecks) {
			return CheckConfigOutput{}, fmt.Errorf("checks: %q is not one of %v", name, check.AWSChecks)
		}
		if seen[name] {
			return CheckConfigOutput{}, fmt.Errorf("checks: %q is listed twice", name)
		}
		seen[name] = true
	}
	out := CheckConfigOutput{Results: make([]check.Result, 0, len(in.Checks)), StartedAt: now(h.Now)().UTC()}
	if err := in.Target.ValidateFor(false); err != nil {
		for _, name := range in.Checks {
			out.Results = append(out.Results, invalidTarget(name, err))
		}
		return out, nil
	}
	deps, err := depsFor(ctx, h.Deps, h.Regions, in.Target, in.RunID)
	if err != nil {
		// The target's role could not be assumed: no check may call it.
		out.Results = RoleFailed(in.Checks, err)
	} else {
		out.Results = check.RunAWSChecks(ctx, deps, in.Checks, in.Target, slices.Concat(h.Opts, []check.Option{check.WithAttempt(max(in.Attempt, 0))})...)
	}
	for _, r := range out.Results {
		logResult(h.Log, in.Target, r)
	}
	return out, nil
}

// ChainInput is the event of the check-salesforce and cleanup functions.
type ChainInput struct {
	Check string      `json:"check,omitempty"`
	Chain check.Chain `json:"chain"`
	// Attempt is the workflow's retry count of the step
	// ($$.State.RetryCount: 0 on the first attempt). A retried CreateCase
	// looks its run marker up before it creates anything.
	Attempt int `json:"attempt,omitempty"`
}

// CheckSalesforce runs one step of the Salesforce chain.
type CheckSalesforce struct {
	// Deps are the clients of the function's own region; Regions, when
	// set, those of a target in another region or with a role.
	Deps    check.Deps
	Regions *Regions
	Opts    []check.Option
	Log     *slog.Logger
	Now     func() time.Time
}

// Handle runs the step and returns the chain with its result appended.
func (h *CheckSalesforce) Handle(ctx context.Context, in ChainInput) (check.Chain, error) {
	c := in.Chain
	if !isOneOf(in.Check, check.ChainChecks) {
		return c, fmt.Errorf("check %q is not one of %v", in.Check, check.ChainChecks)
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = now(h.Now)().UTC()
	}
	if err := c.Target.Validate(); err != nil {
		c.Results = append(c.Results, invalidTarget(in.Check, err))
		c.Failed = true
		return c, nil
	}
	// Step Functions' Retry repeats the step: no retries in the Lambda.
	if r, over := check.OverBudget(in.Check, &c, time.Now()); over {
		// Final, not transient: the workflow goes on to Cleanup.
		c.Results = append(c.Results, r)
		c.Failed = true
		logResult(h.Log, c.Target, r)
		return c, nil
	}
	if in.Attempt < 0 {
		return c, fmt.Errorf("attempt: %d is negative", in.Attempt)
	}
	deps, err := depsFor(ctx, h.Deps, h.Regions, c.Target, c.RunID)
	if err != nil {
		// The target's role could not be assumed: the step made no call,
		// so the workflow may retry any step whose cause is transient.
		res := RoleFailed([]string{in.Check}, err)[0]
		logResult(h.Log, c.Target, res)
		if res.ErrorClass.Transient() {
			return c, &failure.TransientError{Class: res.ErrorClass, Msg: redact.Text(res.Message)}
		}
		c.Results = append(c.Results, res)
		c.Failed = true
		return c, nil
	}
	res := check.Step(ctx, deps, in.Check, &c, slices.Concat(h.Opts, []check.Option{check.WithStepRetries(0), check.WithAttempt(in.Attempt)})...)
	logResult(h.Log, c.Target, res)
	if res.Failed() && check.RetrySafe(in.Check, res.ErrorClass) {
		// The workflow retries with the original input: nothing of this
		// attempt is kept.
		return c, &failure.TransientError{Class: res.ErrorClass, Msg: redact.Text(res.Message)}
	}
	return c, nil
}

// Cleanup completes the chain: skipped or caught steps, then the test
// case's close and delete.
type Cleanup struct {
	// Deps are the clients of the function's own region; Regions, when
	// set, those of a target in another region or with a role.
	Deps    check.Deps
	Regions *Regions
	Opts    []check.Option
	// KeepCases keeps closed test cases (the stack's keepCases prop).
	KeepCases bool
	Log       *slog.Logger
}

// Handle cleans up after the chain, whatever its outcome.
func (h *Cleanup) Handle(ctx context.Context, in ChainInput) (check.Chain, error) {
	c := in.Chain
	c.Target.KeepCases = c.Target.KeepCases || h.KeepCases
	deps, err := depsFor(ctx, h.Deps, h.Regions, c.Target, c.RunID)
	if err != nil {
		// The role could not be assumed: skipped steps are recorded; a
		// Case an earlier step created is reported as left, with the cause.
		deps = check.Deps{Invoker: unreachable{err}}
	}
	check.Finish(ctx, deps, &c, h.Opts...)
	c.Error = nil
	if c.Cleanup != nil {
		c.Cleanup.Message = redact.Text(c.Cleanup.Message)
	}
	if h.Log != nil && c.Cleanup != nil {
		h.Log.Info("cleanup", "target", c.Target.Label(), "status", c.Cleanup.Status, "case_id", c.Cleanup.CaseID, "error_class", c.Cleanup.ErrorClass)
	}
	return c, nil
}

func invalidTarget(name string, err error) check.Result {
	return check.Result{Name: name, Status: check.Fail, ErrorClass: failure.Config,
		Message: "invalid target: " + redact.Text(err.Error()), Remediation: failure.Config.Remedy(), Runbook: failure.Config.Anchor()}
}

func isOneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func now(f func() time.Time) func() time.Time {
	if f == nil {
		return time.Now
	}
	return f
}

// logResult writes one structured line per check: no secrets, the phone
// number masked.
func logResult(l *slog.Logger, t check.Target, r check.Result) {
	if l == nil {
		return
	}
	l.Info("check", "target", t.Label(), "phone", check.MaskPhone(t.Phone), "check", r.Name, "status", r.Status,
		"error_class", r.ErrorClass, "duration_ms", r.DurationMS, "message", redact.Text(r.Message))
}
