package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// DefaultTimeout bounds a whole run.
const DefaultTimeout = 2 * time.Minute

type options struct {
	timeout           time.Duration
	callTimeout       time.Duration
	maxSecretVersions int
	progress          func(name string, status Status)
	now               func() time.Time
	runID             string
	stepRetries       int
	maxFlows          int
	flowCache         *FlowCache
	// attempt is the workflow's retry count of the step (0 on its first
	// attempt), from the Task's Payload ($$.State.RetryCount).
	attempt    int
	sleep      func(ctx context.Context, d time.Duration) bool
	dailyCalls int
}

// WithAttempt tells a chain step it is the workflow's retry number n of the
// step (0: the first attempt). A retried CreateCase looks its run marker up
// before it creates anything.
func WithAttempt(n int) Option { return func(o *options) { o.attempt = n } }

// WithSleep replaces how the runner waits (tests); it returns false when
// ctx ended first.
func WithSleep(fn func(ctx context.Context, d time.Duration) bool) Option {
	return func(o *options) { o.sleep = fn }
}

// DefaultStepRetries is how often `sfprobe run` repeats a chain step that
// failed transiently (RetrySafe). The workflow's Lambdas repeat nothing
// themselves: Step Functions' Retry does.
const DefaultStepRetries = 2

// WithMaxFlows caps the contact flows and flow modules ConnectAccess reads
// (DescribeContactFlow/DescribeContactFlowModule calls) per run.
func WithMaxFlows(n int) Option { return func(o *options) { o.maxFlows = n } }

// WithFlowCache sets the cache of flow contents ConnectAccess keeps between
// runs (default: one per process, so per warm Lambda).
func WithFlowCache(c *FlowCache) Option { return func(o *options) { o.flowCache = c } }

// WithStepRetries sets how often a transiently failed chain step is repeated.
func WithStepRetries(n int) Option { return func(o *options) { o.stepRetries = n } }

// WithDailyCalls sets how many Salesforce API calls sfprobe's own schedule
// spends a day (SalesforceLogin's message names it).
func WithDailyCalls(n int) Option { return func(o *options) { o.dailyCalls = n } }

// Option configures the runner.
type Option func(*options)

// WithTimeout sets the overall deadline of a run.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithCallTimeout sets the deadline of each sfInvokeAPI invocation.
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// WithMaxSecretVersions sets the version count above which SecretAccess warns.
func WithMaxSecretVersions(n int) Option { return func(o *options) { o.maxSecretVersions = n } }

// WithProgress registers fn, called when a check starts ("running") and ends.
func WithProgress(fn func(name string, status Status)) Option {
	return func(o *options) { o.progress = fn }
}

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRunID fixes the run id (the workflow passes the execution name).
func WithRunID(id string) Option { return func(o *options) { o.runID = id } }

// Running is the progress status of a check that started.
const Running Status = "running"

func newOptions(opts []Option) options {
	o := options{
		timeout:           DefaultTimeout,
		callTimeout:       sfinvoke.DefaultCallTimeout,
		maxSecretVersions: DefaultMaxSecretVersions,
		progress:          func(string, Status) {},
		now:               time.Now,
		stepRetries:       DefaultStepRetries,
		maxFlows:          DefaultMaxFlows,
		flowCache:         processFlowCache,
		sleep:             sleepCtx,
	}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// sleepCtx waits d; it returns false when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// NewRunID returns a unique, sortable run id usable in a run marker.
func NewRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Runner runs checks directly against AWS (the `sfprobe run` engine). The
// workflow runs the same checks one Lambda at a time.
type Runner struct {
	deps Deps
	opts options
}

// NewRunner returns a Runner over deps.
func NewRunner(deps Deps, opts ...Option) *Runner {
	return &Runner{deps: deps, opts: newOptions(opts)}
}

// Run validates nothing (the caller validated t) and runs the named checks:
// the AWS checks concurrently with the Salesforce chain. Selecting a chain
// check runs the chain up to it. It always returns a complete report.
func (r *Runner) Run(ctx context.Context, t Target, names []string) Report {
	o := r.opts
	start := o.now()
	runID := o.runID
	if runID == "" {
		runID = NewRunID(start)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	s := newSession(r.deps, t, o)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	chainNames := chainUpTo(want)

	results := map[string]Result{}
	var mu sync.Mutex
	record := func(res Result) {
		mu.Lock()
		results[res.Name] = res
		mu.Unlock()
		o.progress(res.Name, res.Status)
	}
	var wg sync.WaitGroup
	for _, name := range AWSChecks {
		if !want[name] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.progress(name, Running)
			record(s.runAWS(ctx, name))
		}()
	}
	chain := &Chain{Target: t, RunID: runID}
	if len(chainNames) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, name := range chainNames {
				if !chain.Failed {
					o.progress(name, Running)
				}
				record(s.step(ctx, name, chain))
			}
			// Cleanup gets its own deadline: it must run even when the run's ran out.
			cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 2*o.callTimeout+5*time.Second)
			defer ccancel()
			chain.Cleanup = s.cleanup(cctx, chain)
		}()
	}
	wg.Wait()

	rep := Report{
		Target:          t.Label(),
		RunID:           runID,
		StartedAt:       start.UTC(),
		Cleanup:         Cleanup{Status: CleanupNotNeeded},
		SalesforceCalls: chain.Calls,
	}
	if chain.Cleanup != nil {
		rep.Cleanup = *chain.Cleanup
	}
	for _, name := range Names() {
		if res, ok := results[name]; ok {
			rep.Checks = append(rep.Checks, res)
		}
	}
	rep.CountLogin()
	rep.DurationMS = o.now().Sub(start).Milliseconds()
	rep.Finish()
	return rep
}

// chainUpTo returns the chain checks to run so that every wanted one can.
func chainUpTo(want map[string]bool) []string {
	last := -1
	for i, n := range ChainChecks {
		if want[n] {
			last = i
		}
	}
	return ChainChecks[:last+1]
}

// runAWS runs one AWS-side check and times it.
func (s *session) runAWS(ctx context.Context, name string) Result {
	start := time.Now()
	var res Result
	switch name {
	case TargetConfig:
		res = s.checkTargetConfig(ctx)
	case SecretAccess:
		res = s.checkSecretAccess(ctx)
	case KmsKey:
		res = s.checkKmsKey(ctx)
	case ConnectAccess:
		res = s.checkConnectAccess(ctx)
	case SalesforceLogin:
		res = s.checkSalesforceLogin(ctx)
	default:
		res = failed(name, failure.Config, fmt.Sprintf("%q is not an AWS check", name))
	}
	res.DurationMS = time.Since(start).Milliseconds()
	return res
}

// RunAWSCheck runs one AWS-side check by name (the check-config Lambda).
func RunAWSCheck(ctx context.Context, deps Deps, name string, t Target, opts ...Option) Result {
	return newSession(deps, t, newOptions(opts)).runAWS(ctx, name)
}

// RunAWSChecks runs the named AWS-side checks concurrently, sharing one
// discovery of the function (the check-config Lambda). Results come in the
// order of names.
//
// A check that failed transiently (RetrySafe) is retried as the chain's
// steps are (WithStepRetries, jittered backoff), alone and in a fresh
// session, since the shared one keeps a failed discovery: one throttled
// read never fails the other checks.
func RunAWSChecks(ctx context.Context, deps Deps, names []string, t Target, opts ...Option) []Result {
	o := newOptions(opts)
	s := newSession(deps, t, o)
	out := make([]Result, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.runAWS(ctx, name)
			n := 1
			for attempt := 0; r.Failed() && attempt < o.stepRetries && RetrySafe(name, r.ErrorClass) && backoff(ctx, attempt); attempt++ {
				r = newSession(deps, t, o).runAWS(ctx, name)
				n++
			}
			if n += o.attempt; n > 1 {
				r.Attempts = n
			}
			out[i] = r
		}()
	}
	wg.Wait()
	return out
}

// Step runs one chain check on c (the check-salesforce Lambda).
func Step(ctx context.Context, deps Deps, name string, c *Chain, opts ...Option) Result {
	return newSession(deps, c.Target, newOptions(opts)).step(ctx, name, c)
}

// Finish completes the chain after the workflow's last chain state or its
// Catch: it records skipped or caught steps and cleans up (the cleanup Lambda).
func Finish(ctx context.Context, deps Deps, c *Chain, opts ...Option) {
	newSession(deps, c.Target, newOptions(opts)).finish(ctx, c, ChainChecks)
}
