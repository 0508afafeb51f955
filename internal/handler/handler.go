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
)

// CheckConfigInput is the check-config function's event.
type CheckConfigInput struct {
	Check  string       `json:"check"`
	Target check.Target `json:"target"`
}

// CheckConfig runs one AWS-side check (TargetConfig, SecretAccess, KmsKey,
// ConnectAccess).
type CheckConfig struct {
	Deps check.Deps
	Opts []check.Option
	Log  *slog.Logger
}

// Handle runs the named check. Assertion failures are results, never
// errors; a transient failure is returned as *failure.TransientError so the
// workflow retries it.
func (h *CheckConfig) Handle(ctx context.Context, in CheckConfigInput) (check.Result, error) {
	if !isOneOf(in.Check, check.AWSChecks) {
		return check.Result{}, fmt.Errorf("check %q is not one of %v", in.Check, check.AWSChecks)
	}
	if err := in.Target.ValidateFor(false); err != nil {
		return invalidTarget(in.Check, err), nil
	}
	res := check.RunAWSCheck(ctx, h.Deps, in.Check, in.Target, h.Opts...)
	logResult(h.Log, in.Target, res)
	if res.Failed() && transient(res.ErrorClass) {
		return check.Result{}, &failure.TransientError{Class: res.ErrorClass, Msg: res.Message}
	}
	return res, nil
}

// ChainInput is the event of the check-salesforce and cleanup functions.
type ChainInput struct {
	Check string      `json:"check,omitempty"`
	Chain check.Chain `json:"chain"`
}

// CheckSalesforce runs one step of the Salesforce chain.
type CheckSalesforce struct {
	Deps check.Deps
	Opts []check.Option
	Log  *slog.Logger
	Now  func() time.Time
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
	res := check.Step(ctx, h.Deps, in.Check, &c, slices.Concat(h.Opts, []check.Option{check.WithStepRetries(0)})...)
	logResult(h.Log, c.Target, res)
	if res.Failed() && check.RetrySafe(in.Check, res.ErrorClass) {
		// The workflow retries with the original input: nothing of this
		// attempt is kept.
		return c, &failure.TransientError{Class: res.ErrorClass, Msg: res.Message}
	}
	return c, nil
}

// Cleanup completes the chain: skipped or caught steps, then the test
// case's close and delete.
type Cleanup struct {
	Deps check.Deps
	Opts []check.Option
	// KeepCases keeps closed test cases (the stack's keepCases prop).
	KeepCases bool
	Log       *slog.Logger
}

// Handle cleans up after the chain, whatever its outcome.
func (h *Cleanup) Handle(ctx context.Context, in ChainInput) (check.Chain, error) {
	c := in.Chain
	c.Target.KeepCases = c.Target.KeepCases || h.KeepCases
	check.Finish(ctx, h.Deps, &c, h.Opts...)
	c.Error = nil
	if h.Log != nil && c.Cleanup != nil {
		h.Log.Info("cleanup", "target", c.Target.Label(), "status", c.Cleanup.Status, "case_id", c.Cleanup.CaseID, "error_class", c.Cleanup.ErrorClass)
	}
	return c, nil
}

func invalidTarget(name string, err error) check.Result {
	return check.Result{Name: name, Status: check.Fail, ErrorClass: failure.Config,
		Message: "invalid target: " + err.Error(), Remediation: failure.Config.Remedy(), Runbook: failure.Config.Anchor()}
}

// transient reports whether a failed read-only check is worth a retry.
func transient(c failure.Class) bool {
	return c == failure.Throttled || c == failure.Network || c == failure.Timeout
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
		"error_class", r.ErrorClass, "duration_ms", r.DurationMS, "message", r.Message)
}
