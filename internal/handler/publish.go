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
)

// PublishInput is the publish-metrics function's event: the Parallel
// state's branches, in order (four AWS checks, then the chain).
type PublishInput struct {
	Target   check.Target      `json:"target"`
	RunID    string            `json:"run_id"`
	Branches []json.RawMessage `json:"branches"`
	// Pause, when present, makes the call the workflow's pause gate: the
	// pause switch's raw value.
	Pause *string `json:"pause,omitempty"`
}

// PublishOutput feeds the workflow's Verdict: ok, and for a failed run the
// Fail state's cause.
type PublishOutput struct {
	OK           bool         `json:"ok"`
	FailedChecks []string     `json:"failed_checks"`
	Report       check.Report `json:"report"`
	// Cause is the ChecksFailed cause: {"failed_checks": [...], "report": {...}}
	// as a JSON string, so Express callers get the report too.
	Cause string `json:"cause,omitempty"`
	// Paused answers the pause gate: the run is skipped.
	Paused bool `json:"paused"`
}

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
}

// Handle assembles, publishes and returns the verdict.
func (h *PublishMetrics) Handle(ctx context.Context, in PublishInput) (PublishOutput, error) {
	if in.Pause != nil {
		return h.gate(ctx, in)
	}
	rep, err := Assemble(in, now(h.Now)())
	if err != nil {
		return PublishOutput{}, err
	}
	opts := []metrics.Option{}
	if h.Detailed {
		opts = append(opts, metrics.WithDetailed(true))
	}
	if err := h.Publisher.Publish(ctx, metrics.Datums(rep, rep.Target, opts...)); err != nil {
		return PublishOutput{}, &failure.TransientError{Class: failure.Network, Msg: err.Error()}
	}
	out := PublishOutput{OK: rep.OK, FailedChecks: rep.FailedChecks(), Report: rep}
	if out.FailedChecks == nil {
		out.FailedChecks = []string{}
	}
	if !rep.OK {
		cause, _ := json.Marshal(struct {
			FailedChecks []string     `json:"failed_checks"`
			Report       check.Report `json:"report"`
		}{out.FailedChecks, rep})
		out.Cause = string(cause)
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

// Assemble builds the report of a workflow run from its branches.
func Assemble(in PublishInput, now time.Time) (check.Report, error) {
	n := len(check.AWSChecks)
	if len(in.Branches) != n+1 {
		return check.Report{}, fmt.Errorf("publish metrics: %d branches, want %d (the AWS checks, then the chain)", len(in.Branches), n+1)
	}
	rep := check.Report{Target: in.Target.Label(), RunID: in.RunID}
	for i, raw := range in.Branches[:n] {
		var caught caughtBranch
		if err := json.Unmarshal(raw, &caught); err == nil && caught.Caught != nil {
			rep.Checks = append(rep.Checks, check.CaughtResult(caught.Name, caught.Caught))
			continue
		}
		var r check.Result
		if err := json.Unmarshal(raw, &r); err != nil || r.Name != check.AWSChecks[i] {
			return check.Report{}, fmt.Errorf("publish metrics: branch %d is not a %s result", i, check.AWSChecks[i])
		}
		rep.Checks = append(rep.Checks, r)
	}
	var chain struct {
		check.Chain
		CleanupError *check.StepError `json:"cleanup_error"`
	}
	if err := json.Unmarshal(in.Branches[n], &chain); err != nil {
		return check.Report{}, fmt.Errorf("publish metrics: the chain branch: %w", err)
	}
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
	if rep.StartedAt.IsZero() {
		rep.StartedAt = now.UTC()
	}
	rep.DurationMS = now.Sub(rep.StartedAt).Milliseconds()
	rep.Finish()
	return rep, nil
}

// gate answers the workflow's pause gate. A value that does not parse, or a
// pause that expired, lets the run go on.
func (h *PublishMetrics) gate(ctx context.Context, in PublishInput) (PublishOutput, error) {
	at := now(h.Now)()
	st, err := pause.Parse(*in.Pause)
	if err != nil || !st.Active(at) {
		if h.Log != nil {
			h.Log.Info("pause gate: running", "target", in.Target.Label(), "switch", st.String(), "error", err)
		}
		return PublishOutput{Paused: false, FailedChecks: []string{}}, nil
	}
	rep := check.SkippedReport(in.Target, in.RunID, at, "skipped: sfprobe is "+st.String())
	if err := h.Publisher.Publish(ctx, metrics.PausedDatums(rep.Target, at)); err != nil {
		return PublishOutput{}, &failure.TransientError{Class: failure.Network, Msg: err.Error()}
	}
	if h.Log != nil {
		h.Log.Info("pause gate: paused", "target", rep.Target, "run_id", rep.RunID, "switch", st.String())
	}
	return PublishOutput{OK: true, Paused: true, FailedChecks: []string{}, Report: rep}, nil
}
