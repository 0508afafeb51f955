package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// Chain is the state of the Salesforce chain. The workflow passes it from
// state to state, so its JSON form is a wire format.
type Chain struct {
	Target Target `json:"target"`
	RunID  string `json:"run_id"`
	// StartedAt is when the chain's first step ran (the run's start in the
	// workflow, where no state can stamp a time).
	StartedAt time.Time `json:"started_at,omitempty"`
	// BudgetSeconds, when set (the workflow's StartChain), is how long after
	// StartedAt a chain step may still start: a later one fails timeout at
	// once, so Cleanup runs within the execution's timeout.
	BudgetSeconds int      `json:"budget_seconds,omitempty"`
	ContactID     string   `json:"contact_id,omitempty"`
	CaseID        string   `json:"case_id,omitempty"`
	Results       []Result `json:"results"`
	Calls         int      `json:"salesforce_calls"`
	Cleanup       *Cleanup `json:"cleanup,omitempty"`
	// CreateUncertain is true once a create's outcome was unknown in this
	// run (a lost response, a retried CreateCase): cleanup then deletes
	// every case carrying the run marker, not only CaseID.
	CreateUncertain bool       `json:"create_uncertain,omitempty"`
	Error           *StepError `json:"error,omitempty"`
	// Failed is true once a chain check failed; the workflow's Choice
	// states read it to stop the chain.
	Failed bool `json:"failed"`
}

// StepError is what a Step Functions Catch stores (ResultPath $.error).
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Marker is the run marker carried in the test Case's Subject.
func (c *Chain) Marker() string { return events.Marker(c.RunID) }

func (c *Chain) result(name string) (Result, bool) {
	for _, r := range c.Results {
		if r.Name == name {
			return r, true
		}
	}
	return Result{}, false
}

func (c *Chain) add(r Result) {
	c.Results = append(c.Results, r)
	if r.Failed() {
		c.Failed = true
	}
}

// firstFailure returns the first failed chain result.
func (c *Chain) firstFailure() (Result, bool) {
	for _, r := range c.Results {
		if r.Failed() {
			return r, true
		}
	}
	return Result{}, false
}

func (s *session) salesforce(c *Chain) *sfinvoke.Client {
	return sfinvoke.New(s.deps.Invoker, c.Target.Function,
		sfinvoke.WithCallTimeout(s.opts.callTimeout),
		sfinvoke.WithCallCounter(func() { c.Calls++ }))
}

// step runs one chain check and records its result in c. A step whose
// predecessor failed is recorded as skipped.
func (s *session) step(ctx context.Context, name string, c *Chain) Result {
	if prev, ok := c.firstFailure(); ok {
		r := skipped(name, fmt.Sprintf("skipped: %s failed (%s)", prev.Name, prev.ErrorClass))
		c.add(r)
		return r
	}
	if r, over := OverBudget(name, c, time.Now()); over {
		c.add(r)
		return r
	}
	if s.deps.Invoker == nil {
		r := failed(name, failure.Config, "no Lambda client configured")
		c.add(r)
		return r
	}
	start := time.Now()
	rec := &recorder{}
	sf := s.recorded(c, rec)
	var r Result
	for attempt := 0; ; attempt++ {
		switch name {
		case PhoneLookup:
			r = s.phoneLookup(ctx, sf, c)
		case CreateCase:
			r = s.createCase(ctx, sf, c)
		case CloseCase:
			r = s.closeCase(ctx, sf, c)
		case VerifyCaseClosed:
			r = s.verifyCaseClosed(ctx, sf, c)
		default:
			r = failed(name, failure.Config, fmt.Sprintf("%q is not a Salesforce chain check", name))
		}
		if !r.Failed() || attempt >= s.opts.stepRetries || !RetrySafe(name, r.ErrorClass) || !backoff(ctx, attempt) {
			if n := s.opts.attempt + attempt + 1; n > 1 {
				r.Attempts = n
			}
			break
		}
	}
	r = rec.apply(r, c.Target)
	r.DurationMS = time.Since(start).Milliseconds()
	c.add(r)
	return r
}

// OverBudget returns the failed result of a chain step that would start at
// now, past the chain's time budget; false when it may start.
func OverBudget(name string, c *Chain, now time.Time) (Result, bool) {
	if c.BudgetSeconds <= 0 || c.StartedAt.IsZero() {
		return Result{}, false
	}
	end := c.StartedAt.Add(time.Duration(c.BudgetSeconds) * time.Second)
	if !now.After(end) {
		return Result{}, false
	}
	return failed(name, failure.Timeout, fmt.Sprintf("not started: the chain's time budget (%d s from %s) was spent by slow or retried steps; the workflow keeps the rest of its timeout for Cleanup", c.BudgetSeconds, c.StartedAt.UTC().Format(time.RFC3339))), true
}

// RetrySafe reports whether a chain step that failed with class c may be
// run again as it is. A throttled invoke never reached the function; the
// other steps are reads or an idempotent close. CreateCase is never
// repeated blindly: it recovers a lost response by the run marker itself.
func RetrySafe(step string, c failure.Class) bool {
	switch c {
	case failure.Throttled:
		return true
	case failure.Network, failure.Timeout:
		return step != CreateCase
	}
	return false
}

// backoff waits before retry attempt+1 (full jitter, 250 ms doubling); it
// returns false when ctx ends first.
func backoff(ctx context.Context, attempt int) bool {
	return sleepCtx(ctx, time.Duration(rand.Int64N(int64(250*time.Millisecond)<<attempt)))
}

func (s *session) phoneLookup(ctx context.Context, sf *sfinvoke.Client, c *Chain) Result {
	contact, err := sf.PhoneLookup(ctx, c.Target.Phone, c.Target.Fields)
	if err != nil {
		return failedErr(PhoneLookup, err)
	}
	if contact.Count == 0 {
		return failed(PhoneLookup, failure.Data, fmt.Sprintf("test contact not found: no Contact has phone %s", MaskPhone(c.Target.Phone)))
	}
	var missing, nested []string
	for _, f := range strings.Split(c.Target.Fields, ", ") {
		top := strings.SplitN(f, ".", 2)[0]
		v, ok := contact.Fields[top]
		if !ok {
			missing = append(missing, f)
			continue
		}
		if _, isObj := v.(map[string]any); isObj {
			nested = append(nested, f)
		}
	}
	if len(missing) > 0 {
		return failed(PhoneLookup, failure.UnexpectedResponse, fmt.Sprintf("the result lacks the requested fields %s", strings.Join(missing, ", ")))
	}
	c.ContactID = contact.ID
	msg := fmt.Sprintf("found contact %s (%d match(es))", contact.ID, contact.Count)
	if len(nested) > 0 {
		return warned(PhoneLookup, msg+fmt.Sprintf("; warning: %s come back nested, which Amazon Connect's flat attribute map rejects", strings.Join(nested, ", ")))
	}
	if contact.Count > 1 {
		return warned(PhoneLookup, msg+"; warning: more than one contact has the test phone, the flow sees only the first")
	}
	return passed(PhoneLookup, msg)
}

func (s *session) createCase(ctx context.Context, sf *sfinvoke.Client, c *Chain) Result {
	if s.opts.attempt > 0 {
		// The workflow retried this step: the previous attempt may have
		// created the case (a Lambda service error can arrive after the
		// step ran), so its marker is looked up first, after any create it
		// had in flight has ended.
		c.CreateUncertain = true
		found, ferr := s.settle(ctx, sf, c, time.Now(), nil)
		switch {
		case ferr != nil:
			return failedErr(CreateCase, ferr)
		case found != "":
			c.CaseID = found
			return passed(CreateCase, fmt.Sprintf("case %s was created by the step's previous attempt and found by its run marker (attempt %d)", found, s.opts.attempt+1))
		}
	}
	start := time.Now() // real time: it is compared with ctx's deadline
	id, err := sf.CreateCase(ctx, c.ContactID, c.Marker())
	if err == nil {
		c.CaseID = id
		return passed(CreateCase, "created case "+id+" ("+events.Subject(c.Marker())+")")
	}
	if !outcomeUnknown(failure.ClassOf(err)) {
		return failedErr(CreateCase, err)
	}
	// The create may have run, or may still be running: Lambda goes on with
	// a synchronous invocation after its caller gave up, up to the
	// function's own timeout. Its marker is looked up once that has passed.
	found, ferr := s.settle(ctx, sf, c, start, err)
	switch {
	case ferr != nil:
		return failedErr(CreateCase, ferr)
	case found != "":
		c.CaseID = found
		return passed(CreateCase, fmt.Sprintf("created case %s: the create's response was lost (%s), the case was found by its run marker", found, failure.ClassOf(err)))
	}
	// The function's timeout has passed and no case carries the marker: the
	// create did not run, so it is safe to make it once more (never a third
	// time).
	start = time.Now()
	if id, err = sf.CreateCase(ctx, c.ContactID, c.Marker()); err == nil {
		c.CaseID = id
		return passed(CreateCase, "created case "+id+" on the second attempt ("+events.Subject(c.Marker())+")")
	}
	if !outcomeUnknown(failure.ClassOf(err)) {
		return failedErr(CreateCase, err)
	}
	if found, ferr = s.settle(ctx, sf, c, start, err); ferr == nil && found != "" {
		c.CaseID = found
		return passed(CreateCase, fmt.Sprintf("created case %s on the second attempt: its response was lost (%s), the case was found by its run marker", found, failure.ClassOf(err)))
	}
	if ferr != nil {
		return failedErr(CreateCase, ferr)
	}
	return failedErr(CreateCase, err)
}

// settleMargin is added to the target's timeout before a create whose
// response was lost is taken not to have run (the invoke's own round trip).
const settleMargin = 2 * time.Second

// settle waits until a create invoked at start can no longer commit (the
// target function's timeout has passed since, unless the function itself
// reported its end), then looks up the run marker. It returns the first
// case found, or an error when the lookup failed or the wait does not fit
// in ctx's deadline (then the outcome stays unknown and the create must not
// be repeated; cleanup looks the marker up again). lost is the create's
// error (nil for the previous attempt of a retried step).
func (s *session) settle(ctx context.Context, sf *sfinvoke.Client, c *Chain, start time.Time, lost error) (string, error) {
	var fe *sfinvoke.FunctionError
	if lost == nil || !errors.As(lost, &fe) {
		// No answer from the function: it may still be running.
		fn, err := s.function(ctx)
		if err != nil || fn.Timeout == nil {
			if err == nil {
				err = errors.New("no Timeout in the configuration")
			}
			return s.unsettled(lost, fmt.Sprintf("the function's timeout could not be read (%v), so it is not known when the create would have ended", redact.Err(err)))
		}
		until := start.Add(time.Duration(*fn.Timeout)*time.Second + settleMargin)
		if dl, ok := ctx.Deadline(); ok && dl.Before(until.Add(s.lookupReserve())) {
			// Too late to wait: one look now, then give up.
			ids, err := sf.FindRunCases(ctx, c.Marker())
			if err == nil && len(ids) > 0 {
				return ids[0], nil
			}
			return s.unsettled(lost, fmt.Sprintf("the invocation may commit until %s (the function's timeout, %d s), past this step's deadline", until.UTC().Format(time.TimeOnly), *fn.Timeout))
		}
		if d := time.Until(until); d > 0 && !s.opts.sleep(ctx, d) {
			return s.unsettled(lost, "the step's deadline came while waiting for the function's timeout")
		}
	}
	ids, err := sf.FindRunCases(ctx, c.Marker())
	if err != nil {
		if lost == nil {
			return "", fmt.Errorf("the run marker could not be looked up: %w", err)
		}
		return "", fmt.Errorf("%w; and the run marker could not be looked up: %v", lost, err)
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	return "", nil
}

// lookupReserve is the time a marker lookup needs after the wait.
func (s *session) lookupReserve() time.Duration {
	return min(s.opts.callTimeout, 5*time.Second)
}

// unsettled is the error of a create whose outcome stays unknown.
func (s *session) unsettled(lost error, why string) (string, error) {
	msg := "the create's outcome is unknown: " + why + "; it is not repeated, so a run never creates two cases, and cleanup looks the run marker up again"
	if lost == nil {
		return "", failure.New(failure.Timeout, "%s", "the step's previous attempt may have created the case: "+msg)
	}
	return "", failure.Wrap(failure.ClassOf(lost), msg, lost)
}

func (s *session) closeCase(ctx context.Context, sf *sfinvoke.Client, c *Chain) Result {
	status, err := sf.CloseCase(ctx, c.CaseID)
	if err != nil {
		return failedErr(CloseCase, err)
	}
	if status != 204 {
		return failed(CloseCase, failure.UnexpectedResponse, fmt.Sprintf("update of case %s returned Status %d, want 204", c.CaseID, status))
	}
	return passed(CloseCase, "update of case "+c.CaseID+" returned 204")
}

func (s *session) verifyCaseClosed(ctx context.Context, sf *sfinvoke.Client, c *Chain) Result {
	got, err := sf.LookupCase(ctx, c.CaseID)
	if err != nil {
		return failedErr(VerifyCaseClosed, err)
	}
	switch {
	case !got.Found:
		return failed(VerifyCaseClosed, failure.Data, fmt.Sprintf("case %s was not found when read back", c.CaseID))
	case !got.IsClosed:
		return failed(VerifyCaseClosed, failure.Data, fmt.Sprintf("case %s is %s (IsClosed false) after the update: a trigger, flow or validation rule may reopen it", c.CaseID, got.Status))
	}
	return passed(VerifyCaseClosed, fmt.Sprintf("case %s reads back as %s", c.CaseID, got.Status))
}

// finish records skipped or caught steps and cleans up the test case.
func (s *session) finish(ctx context.Context, c *Chain, names []string) {
	for _, name := range names {
		if _, ok := c.result(name); ok {
			continue
		}
		if c.Error != nil && !c.Failed {
			c.add(CaughtResult(name, c.Error))
			continue
		}
		s.step(ctx, name, c) // records a skip after a failure
	}
	c.Cleanup = s.cleanup(ctx, c)
}

// CaughtResult turns a workflow Catch into the failing step's result.
func CaughtResult(name string, e *StepError) Result {
	class, msg := failure.Unknown, e.Error
	var cause struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	plain := false
	if json.Unmarshal([]byte(e.Cause), &cause) == nil && cause.Message != "" {
		msg = cause.Message
	} else if e.Cause != "" {
		msg, plain = e.Error+": "+e.Cause, true
	}
	if plain && e.Error == failure.TransientErrorName {
		msg = e.Cause
	}
	switch {
	case e.Error == "States.Timeout":
		class, msg = failure.Timeout, "the step timed out in the workflow"
	case e.Error == "Sandbox.Timedout":
		// The step's Lambda ran past its own timeout.
		class = failure.Timeout
	case e.Error == "Lambda.TooManyRequestsException":
		class = failure.Throttled
	case e.Error == failure.TransientErrorName:
		if c, rest, ok := strings.Cut(msg, ": "); ok {
			if parsed, err := failure.Parse(c); err == nil {
				class, msg = parsed, rest
			}
		}
	case strings.HasPrefix(e.Error, "Lambda."), e.Error == "States.TaskFailed":
		class = failure.Network
	}
	return failed(name, class, msg)
}

// cleanup closes and deletes the run's test case. It never fails the run:
// what it could not do is reported.
func (s *session) cleanup(ctx context.Context, c *Chain) *Cleanup {
	out := &Cleanup{Status: CleanupNotNeeded, CaseID: c.CaseID}
	sf := s.salesforce(c)
	uncertain := c.CreateUncertain
	if r, ok := c.result(CreateCase); ok && r.Failed() && outcomeUnknown(r.ErrorClass) {
		uncertain = true
	}
	if c.CaseID == "" {
		if uncertain {
			return s.sweepRun(ctx, sf, c)
		}
		return out
	}
	if uncertain {
		// A create whose outcome was unknown may have left a second case.
		defer func() { mergeSweep(out, s.sweepRun(ctx, sf, c)) }()
	}
	verified, _ := c.result(VerifyCaseClosed)
	out.Closed = verified.Status == Pass || verified.Status == Warn
	var errs []string
	var class failure.Class
	note := func(op string, err error) {
		errs = append(errs, op+": "+err.Error())
		if class == "" {
			class = failure.ClassOf(err)
		}
	}
	if !out.Closed {
		if status, err := sf.CloseCase(ctx, c.CaseID); err != nil {
			note("close", err)
		} else if status == 204 {
			out.Closed = true
		} else {
			note("close", fmt.Errorf("update returned Status %d", status))
		}
	}
	switch {
	case c.Target.KeepCases && out.Closed:
		out.Status = CleanupKept
	case c.Target.KeepCases:
		out.Status = CleanupFailed
	default:
		if err := sf.DeleteCase(ctx, c.CaseID); err != nil {
			note("delete", err)
			out.Status = CleanupFailed
		} else {
			out.Deleted = true
			out.Status = CleanupDeleted
		}
	}
	if len(errs) > 0 {
		out.ErrorClass = class
		out.Message = strings.Join(errs, "; ")
	}
	return out
}

// outcomeUnknown reports whether a failed create may still have created the
// case (the response was lost), so cleanup must look for it by marker.
func outcomeUnknown(c failure.Class) bool {
	return c == failure.Timeout || c == failure.Network || c == failure.Unknown
}

// sweepRun finds every case this run may have created by its marker and
// deletes (or closes) each; except, when it is set, c.CaseID, which the
// caller cleans.
func (s *session) sweepRun(ctx context.Context, sf *sfinvoke.Client, c *Chain) *Cleanup {
	out := &Cleanup{Status: CleanupNotNeeded}
	ids, err := sf.FindRunCases(ctx, c.Marker())
	if err != nil {
		out.Status, out.ErrorClass = CleanupFailed, failure.ClassOf(err)
		out.Message = "look up the run marker after a create with unknown outcome: " + err.Error()
		return out
	}
	var msgs, cleaned []string
	keep := c.CaseID
	defer func() { c.CaseID = keep }()
	for _, id := range ids {
		if id == keep {
			continue
		}
		c.CaseID = id
		r := s.cleanupFound(ctx, sf, c)
		cleaned = append(cleaned, id)
		switch {
		case r.Status == CleanupFailed:
			out.Status, out.ErrorClass = CleanupFailed, r.ErrorClass
			msgs = append(msgs, id+": "+r.Message)
		case out.Status != CleanupFailed:
			out.Status, out.Closed, out.Deleted = r.Status, r.Closed, r.Deleted
		}
	}
	if len(cleaned) > 0 {
		out.CaseID = cleaned[0]
	}
	if len(cleaned) > 1 {
		msgs = append([]string{fmt.Sprintf("%d cases carried the run marker: %s", len(cleaned), strings.Join(cleaned, ", "))}, msgs...)
	}
	out.Message = strings.Join(msgs, "; ")
	return out
}

// mergeSweep adds what a marker sweep beside the run's case found to out.
func mergeSweep(out, sw *Cleanup) {
	if sw.Status == CleanupNotNeeded {
		return
	}
	extra := "also cleaned case " + sw.CaseID + " carrying the run marker"
	if sw.Status == CleanupFailed {
		extra = "another case carrying the run marker could not be cleaned"
		out.Status = CleanupFailed
		if out.ErrorClass == "" {
			out.ErrorClass = sw.ErrorClass
		}
	}
	if sw.Message != "" {
		extra += ": " + sw.Message
	}
	if out.Message != "" {
		extra = out.Message + "; " + extra
	}
	out.Message = extra
}

func (s *session) cleanupFound(ctx context.Context, sf *sfinvoke.Client, c *Chain) *Cleanup {
	out := &Cleanup{CaseID: c.CaseID}
	if c.Target.KeepCases {
		status, err := sf.CloseCase(ctx, c.CaseID)
		switch {
		case err != nil:
			out.Status, out.ErrorClass, out.Message = CleanupFailed, failure.ClassOf(err), "close: "+err.Error()
		case status != 204:
			out.Status, out.ErrorClass, out.Message = CleanupFailed, failure.UnexpectedResponse, fmt.Sprintf("close: update returned Status %d", status)
		default:
			out.Closed, out.Status = true, CleanupKept
		}
		return out
	}
	if err := sf.DeleteCase(ctx, c.CaseID); err != nil {
		out.Status, out.ErrorClass, out.Message = CleanupFailed, failure.ClassOf(err), "delete: "+err.Error()
		return out
	}
	out.Deleted, out.Status = true, CleanupDeleted
	return out
}

// MaskPhone hides all but the last four digits of a phone number, for logs
// and messages.
func MaskPhone(p string) string {
	if len(p) <= 4 {
		return strings.Repeat("*", len(p))
	}
	keep := p[len(p)-4:]
	prefix := ""
	if strings.HasPrefix(p, "+") {
		prefix = "+"
	}
	return prefix + strings.Repeat("*", len(p)-len(prefix)-4) + keep
}

// Complete records the chain results that are missing when the cleanup
// Lambda itself failed, without calling AWS: a skip after a failure, the
// caught error for the step that broke, and a failed cleanup when a case
// was created.
func (c *Chain) Complete(cleanupErr *StepError) {
	for _, name := range ChainChecks {
		if _, ok := c.result(name); ok {
			continue
		}
		switch {
		case c.Error != nil && !c.Failed:
			c.add(CaughtResult(name, c.Error))
		default:
			reason := "skipped: the chain did not reach this step"
			if prev, ok := c.firstFailure(); ok {
				reason = fmt.Sprintf("skipped: %s failed (%s)", prev.Name, prev.ErrorClass)
			}
			c.add(skipped(name, reason))
		}
	}
	if c.Cleanup == nil || c.Cleanup.Status == "" {
		c.Cleanup = &Cleanup{Status: CleanupNotNeeded, CaseID: c.CaseID}
		if c.CaseID != "" {
			c.Cleanup.Status = CleanupFailed
			c.Cleanup.ErrorClass = failure.Unknown
			c.Cleanup.Message = "the cleanup step failed"
			if cleanupErr != nil {
				c.Cleanup.ErrorClass = CaughtResult("cleanup", cleanupErr).ErrorClass
				c.Cleanup.Message += ": " + cleanupErr.Error + ": " + cleanupErr.Cause
			}
		}
	}
}
