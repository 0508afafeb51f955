package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/pause"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// PublishInput is the publish-metrics function's event. It has five
// uses: for one target, the Checks Parallel state's two branches (the AWS
// checks, then the chain); with Pause, the workflow's pause gate; with
// Summarize, the gathering of several targets' outcomes into the fleet
// report; with Stage and Collect, a distributed fleet's staging and
// gathering (distributed.go).
type PublishInput struct {
	Target check.Target `json:"target"`
	RunID  string       `json:"run_id"`
	// Scope is the run's scope (workflow.Scope*); out-of-scope checks are
	// reported skipped.
	Scope    string            `json:"scope,omitempty"`
	Branches []json.RawMessage `json:"branches"`
	// Pause, when present, makes the call the workflow's pause gate: the
	// pause switch's raw value, for Targets.
	Pause   *string        `json:"pause,omitempty"`
	Targets []check.Target `json:"targets,omitempty"`
	// FleetSize is how many targets the run has (the Map's item count);
	// above 1 the output carries the compact report (Report.Compact), so
	// that a fleet's outputs fit the state's 256 KiB.
	FleetSize int `json:"fleet_size,omitempty"`
	// Summarize, when present, holds every target's outcome (the Map
	// state's output).
	Summarize []TargetOutcome `json:"summarize,omitempty"`
	// Run, at the pause gate, is the workflow's state: its inline targets
	// or a staged fleet's targets object (Targets is the older spelling).
	Run *GateRun `json:"run,omitempty"`
	// Distributed says the target runs in a Distributed Map's child: its
	// full report goes to ResultsBucket (ReportKey) as well.
	Distributed   bool   `json:"distributed,omitempty"`
	ResultsBucket string `json:"results_bucket,omitempty"`
	// Stage, when present, stages a distributed fleet's targets.
	Stage *StageInput `json:"stage,omitempty"`
	// Collect, when present, gathers a distributed fleet from S3.
	Collect *CollectInput `json:"collect,omitempty"`
}

// TargetOutcome is one target's outcome: what the workflow's Map state
// keeps of PublishOutput per target, or, when that target's PublishMetrics
// failed (PublishCaught), the target and the error.
type TargetOutcome struct {
	OK     bool             `json:"ok"`
	Report check.Report     `json:"report"`
	Target check.Target     `json:"target"`
	RunID  string           `json:"run_id"`
	Error  *check.StepError `json:"error,omitempty"`
}

// PublishOutput feeds the workflow's Verdict: ok, and for a failed run the
// Fail state's cause.
type PublishOutput struct {
	OK           bool         `json:"ok"`
	FailedChecks []string     `json:"failed_checks"`
	Report       check.Report `json:"report"`
	// Output is the run's output for the pause gate and Summarize: a
	// check.Report for one target, a check.Fleet for several.
	Output any `json:"output,omitempty"`
	// Cause is the ChecksFailed cause of Summarize, a JSON string:
	// {"ok": false, "failed_targets": [...], "fleet": {...}}; empty
	// otherwise (but present: the workflow's ResultSelector reads it).
	Cause string `json:"cause"`
	// Paused answers the pause gate: the run is skipped.
	Paused bool `json:"paused"`
	// TargetsObject, Count and Scope answer Stage: where the staged
	// targets are, how many, and the run's scope.
	TargetsObject *check.ObjectLocation `json:"targets_object,omitempty"`
	Count         int                   `json:"count,omitempty"`
	Scope         string                `json:"scope,omitempty"`
}

// MaxCauseBytes bounds a Fail state's cause (Step Functions allows 32,768
// characters).
const MaxCauseBytes = 32000

// MetricsPublisher publishes datums.
type MetricsPublisher interface {
	Publish(ctx context.Context, datums []types.MetricDatum) error
}

var _ MetricsPublisher = (*metrics.Publisher)(nil)

// PublishMetrics builds the run's report from every branch and publishes
// its metrics.
type PublishMetrics struct {
	Publisher MetricsPublisher
	// Detailed adds per-check latency metrics.
	Detailed bool
	Now      func() time.Time
	Log      *slog.Logger
	// Store is the results bucket's S3 client (a distributed fleet's
	// targets and reports); nil when the stack has no fleet beyond the
	// inline Map.
	Store ObjectStore
	// FleetTarget, when set, is the Target dimension of a fleet run's own
	// metrics (FleetRunSuccess; Paused while paused): the stack's name
	// (workflow.EnvFleetTarget), for the fleet alarms.
	FleetTarget string
}

// Handle assembles, publishes and returns the verdict.
func (h *PublishMetrics) Handle(ctx context.Context, in PublishInput) (PublishOutput, error) {
	switch {
	case in.Pause != nil:
		return h.gate(ctx, in)
	case in.Summarize != nil:
		return h.summarize(ctx, in)
	case in.Stage != nil:
		return h.stage(ctx, in)
	case in.Collect != nil:
		return h.collect(ctx, in)
	}
	rep, err := Assemble(in, now(h.Now)())
	if err != nil {
		return PublishOutput{}, err
	}
	// The report leaves here for the execution's output, cause and logs.
	rep = rep.Redacted()
	opts := []metrics.Option{}
	if h.Detailed {
		opts = append(opts, metrics.WithDetailed(true))
	}
	if err := h.Publisher.Publish(ctx, metrics.Datums(rep, rep.Target, opts...)); err != nil {
		return PublishOutput{}, &failure.TransientError{Class: failure.Network, Msg: redact.Text(err.Error())}
	}
	if in.Distributed {
		if err := h.writeReport(ctx, in, rep); err != nil {
			return PublishOutput{}, err
		}
	}
	out := PublishOutput{OK: rep.OK, FailedChecks: rep.FailedChecks(), Report: rep}
	if out.FailedChecks == nil {
		out.FailedChecks = []string{}
	}
	if in.FleetSize > 1 {
		out.Report = rep.Compact()
		if h.Log != nil && !rep.OK {
			// The details the compact output leaves out, for on-call.
			h.Log.Info("report", "target", rep.Target, "run_id", rep.RunID, "report", rep)
		}
	}
	if h.Log != nil {
		h.Log.Info("run", "target", rep.Target, "run_id", rep.RunID, "ok", rep.OK, "failed_checks", out.FailedChecks,
			"duration_ms", rep.DurationMS, "salesforce_calls", rep.SalesforceCalls, "cleanup", rep.Cleanup.Status)
	}
	return out, nil
}

// caughtBranch is what a branch's Catch Pass state emits.
type caughtBranch struct {
	Name   string           `json:"name"`
	Caught *check.StepError `json:"caught"`
}

// outOfScope is what a branch emits when the run's scope leaves it out.
type outOfScope struct {
	OutOfScope string `json:"out_of_scope"`
}

// Assemble builds the report of one target's workflow run from its two
// branches: the AWS checks' results (or their caught error, or out of
// scope), then the chain.
func Assemble(in PublishInput, now time.Time) (check.Report, error) {
	if len(in.Branches) != 2 {
		return check.Report{}, fmt.Errorf("publish metrics: %d branches, want 2 (the AWS checks, then the chain)", len(in.Branches))
	}
	rep := check.Report{Target: in.Target.Label(), RunID: in.RunID}
	aws, awsStarted, err := awsResults(in.Branches[0])
	if err != nil {
		return check.Report{}, err
	}
	rep.Checks = append(rep.Checks, aws...)

	var chain struct {
		check.Chain
		CleanupError *check.StepError `json:"cleanup_error"`
		outOfScope
	}
	if err := json.Unmarshal(in.Branches[1], &chain); err != nil {
		return check.Report{}, fmt.Errorf("publish metrics: the chain branch: %w", err)
	}
	switch {
	case chain.OutOfScope != "":
		for _, name := range check.ChainChecks {
			rep.Checks = append(rep.Checks, check.SkippedResult(name, "skipped: out of this run's scope ("+chain.OutOfScope+")"))
		}
		rep.Cleanup = check.Cleanup{Status: check.CleanupNotNeeded}
	default:
		chain.Complete(chain.CleanupError)
		for _, name := range check.ChainChecks {
			for _, r := range chain.Results {
				if r.Name == name {
					rep.Checks = append(rep.Checks, r)
					break
				}
			}
		}
		rep.Cleanup = *chain.Cleanup
		rep.SalesforceCalls = chain.Calls
		rep.StartedAt = chain.StartedAt
	}
	if rep.StartedAt.IsZero() || (!awsStarted.IsZero() && awsStarted.Before(rep.StartedAt)) {
		rep.StartedAt = awsStarted
	}
	if rep.StartedAt.IsZero() {
		rep.StartedAt = now.UTC()
	}
	rep.CountLogin()
	rep.DurationMS = now.Sub(rep.StartedAt).Milliseconds()
	rep.Finish()
	return rep, nil
}

// awsResults reads the AWS checks' branch: check-config's results and when
// they started, its caught error (every AWS check fails with it), or out of
// scope.
func awsResults(raw json.RawMessage) ([]check.Result, time.Time, error) {
	var branch struct {
		CheckConfigOutput
		caughtBranch
		outOfScope
	}
	if err := json.Unmarshal(raw, &branch); err != nil {
		return nil, time.Time{}, fmt.Errorf("publish metrics: the AWS checks' branch: %w", err)
	}
	out := make([]check.Result, 0, len(check.AWSChecks))
	switch {
	case branch.Caught != nil:
		for _, name := range check.AWSChecks {
			out = append(out, check.CaughtResult(name, branch.Caught))
		}
	case branch.OutOfScope != "":
		for _, name := range check.AWSChecks {
			out = append(out, check.SkippedResult(name, "skipped: out of this run's scope ("+branch.OutOfScope+")"))
		}
	default:
		if len(branch.Results) != len(check.AWSChecks) {
			return nil, time.Time{}, fmt.Errorf("publish metrics: the AWS checks' branch has %d results, want %d", len(branch.Results), len(check.AWSChecks))
		}
		for i, r := range branch.Results {
			if r.Name != check.AWSChecks[i] {
				return nil, time.Time{}, fmt.Errorf("publish metrics: the AWS checks' result %d is %q, want %s", i, r.Name, check.AWSChecks[i])
			}
			out = append(out, r)
		}
	}
	return out, branch.StartedAt, nil
}

// summarize gathers several targets' outcomes into the fleet report. Their
// metrics are already published, target by target.
func (h *PublishMetrics) summarize(ctx context.Context, in PublishInput) (PublishOutput, error) {
	at := now(h.Now)().UTC()
	reports := make([]check.Report, len(in.Summarize))
	started := at
	for i, o := range in.Summarize {
		switch {
		case o.Error != nil:
			reports[i] = check.UnassessedReport(o.Target, o.RunID, at,
				fmt.Sprintf("the target's outcome was lost: publish-metrics failed: %s: %s", o.Error.Error, o.Error.Cause))
		case o.Report.Checks == nil:
			return PublishOutput{}, fmt.Errorf("publish metrics: summarize[%d] has neither report nor error", i)
		default:
			reports[i] = o.Report
		}
		if r := reports[i]; !r.StartedAt.IsZero() && r.StartedAt.Before(started) {
			started = r.StartedAt
		}
	}
	fleet := check.NewFleet(in.RunID, started, at.Sub(started), reports).Redacted()
	if err := h.publishFleet(ctx, fleet.OK, at); err != nil {
		return PublishOutput{}, err
	}
	out := PublishOutput{OK: fleet.OK, FailedChecks: []string{}, Output: fleet}
	if !fleet.OK {
		out.Cause = FleetCause(fleet)
	}
	if h.Log != nil {
		h.Log.Info("fleet", "run_id", fleet.RunID, "ok", fleet.OK, "targets", len(fleet.Targets),
			"failed_targets", fleet.FailedTargets(), "salesforce_calls", fleet.SalesforceCalls)
	}
	return out, nil
}

// FleetCause is the ChecksFailed cause of a failed fleet run, within
// MaxCauseBytes: the whole fleet if it fits, else only the failed targets'
// reports, else their names and failed checks only ("truncated": true).
func FleetCause(f check.Fleet) string {
	type cause struct {
		OK            bool                `json:"ok"`
		FailedTargets []string            `json:"failed_targets"`
		Fleet         *check.Fleet        `json:"fleet,omitempty"`
		FailedChecks  map[string][]string `json:"failed_checks,omitempty"`
		Truncated     bool                `json:"truncated,omitempty"`
	}
	c := cause{FailedTargets: f.FailedTargets(), Fleet: &f}
	if b, _ := json.Marshal(c); len(b) <= MaxCauseBytes {
		return string(b)
	}
	failed := f
	failed.Targets = nil
	for _, r := range f.Targets {
		if !r.OK {
			failed.Targets = append(failed.Targets, r)
		}
	}
	c.Fleet, c.Truncated = &failed, true
	if b, _ := json.Marshal(c); len(b) <= MaxCauseBytes {
		return string(b)
	}
	c.Fleet, c.FailedChecks = nil, map[string][]string{}
	for _, r := range f.Targets {
		if !r.OK {
			c.FailedChecks[r.Target] = r.FailedChecks()
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// gate answers the workflow's pause gate. A value that does not parse, or a
// pause that expired, lets the run go on. While paused it publishes Paused
// for every target and answers with their skipped reports.
func (h *PublishMetrics) gate(ctx context.Context, in PublishInput) (PublishOutput, error) {
	at := now(h.Now)()
	targets := in.Targets
	var staged *check.ObjectLocation
	if in.Run != nil {
		targets, staged = in.Run.Targets, in.Run.TargetsObject
	}
	if len(targets) == 0 && staged == nil {
		targets = []check.Target{in.Target}
	}
	st, err := pause.Parse(*in.Pause)
	if err != nil || !st.Active(at) {
		if h.Log != nil {
			h.Log.Info("pause gate: running", "targets", len(targets), "staged", staged != nil, "switch", st.String(), "error", err)
		}
		return PublishOutput{Paused: false, FailedChecks: []string{}}, nil
	}
	if staged != nil {
		if h.Log != nil {
			h.Log.Info("pause gate: paused", "targets_object", staged.URI(), "run_id", in.RunID, "switch", st.String())
		}
		return h.distributedGate(ctx, in, *staged, st, at)
	}
	reports := make([]check.Report, len(targets))
	var datums []types.MetricDatum
	for i, t := range targets {
		reports[i] = check.SkippedReport(t, in.RunID, at, "skipped: sfprobe is "+st.String())
		datums = append(datums, metrics.PausedDatums(reports[i].Target, at)...)
	}
	if err := h.Publisher.Publish(ctx, datums); err != nil {
		return PublishOutput{}, &failure.TransientError{Class: failure.Network, Msg: redact.Text(err.Error())}
	}
	if h.Log != nil {
		h.Log.Info("pause gate: paused", "targets", len(targets), "run_id", in.RunID, "switch", st.String())
	}
	out := PublishOutput{OK: true, Paused: true, FailedChecks: []string{}, Report: reports[0], Output: reports[0]}
	if len(reports) > 1 {
		out.Report = check.Report{}
		out.Output = check.NewFleet(in.RunID, at, 0, reports)
	}
	return out, nil
}

// publishFleet publishes the fleet run's FleetRunSuccess when the stack
// alarms on the fleet (FleetTarget set). A failed publish is transient: the
// workflow retries the step, and the metric is what the paging alarm reads.
func (h *PublishMetrics) publishFleet(ctx context.Context, ok bool, at time.Time) error {
	if h.FleetTarget == "" {
		return nil
	}
	if err := h.Publisher.Publish(ctx, metrics.FleetDatums(h.FleetTarget, ok, at)); err != nil {
		return &failure.TransientError{Class: failure.Network, Msg: redact.Text(err.Error())}
	}
	return nil
}
