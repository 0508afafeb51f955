package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/pause"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The distributed fleet: a run of more than workflow.InlineMaxTargets
// targets, or of targets in S3, fans out on the workflow's Distributed Map.
// publish-metrics stages its targets (Stage), writes each child's full
// report to S3, answers its pause gate and gathers the fleet (Summarize),
// every large thing in the results bucket and only a FleetSummary in the
// execution's output.

// StageInput is the workflow's state when a run fans out on the
// Distributed Map: its targets inline, or the S3 object that holds them (a
// JSON array of targets).
type StageInput struct {
	Targets       []check.Target        `json:"targets,omitempty"`
	TargetsObject *check.ObjectLocation `json:"targets_object,omitempty"`
	Scope         string                `json:"scope"`
}

// CollectInput is Summarize's input for a distributed fleet: the staged
// targets (their labels for targets without a report) and their count.
type CollectInput struct {
	TargetsObject check.ObjectLocation `json:"targets_object"`
	Count         int                  `json:"count"`
	ResultsBucket string               `json:"results_bucket"`
}

// GateRun is the workflow's state at the pause gate: inline targets, or a
// staged fleet's targets object.
type GateRun struct {
	Targets       []check.Target        `json:"targets,omitempty"`
	TargetsObject *check.ObjectLocation `json:"targets_object,omitempty"`
}

// BadInput is an execution input the workflow refuses before it probes
// anything (its errorType, BadInput, is the workflow's error name).
type BadInput struct{ Msg string }

func (e *BadInput) Error() string { return e.Msg }

// collectConcurrency bounds Summarize's concurrent S3 reads.
const collectConcurrency = 16

// stage validates a distributed run's targets and writes them to the
// results bucket, the Distributed Map's one item source: inline targets
// and a targets object alike, so the run reads one list from start to end.
func (h *PublishMetrics) stage(ctx context.Context, in PublishInput) (PublishOutput, error) {
	st := in.Stage
	if in.ResultsBucket == "" {
		return PublishOutput{}, errors.New("publish metrics: stage without results_bucket")
	}
	ts := st.Targets
	field := "targets"
	if st.TargetsObject != nil {
		field = "targets_object"
		if st.TargetsObject.Bucket == "" || st.TargetsObject.Key == "" {
			return PublishOutput{}, &BadInput{Msg: "targets_object: want {\"bucket\": ..., \"key\": ...}"}
		}
		if err := getJSON(ctx, h.Store, *st.TargetsObject, &ts); err != nil {
			if errors.Is(err, errNoObject) {
				return PublishOutput{}, &BadInput{Msg: fmt.Sprintf("targets_object: %s does not exist", st.TargetsObject.URI())}
			}
			var te *failure.TransientError
			if errors.As(err, &te) {
				return PublishOutput{}, err
			}
			return PublishOutput{}, &BadInput{Msg: fmt.Sprintf("targets_object: want a JSON array of targets: %s", redact.Text(err.Error()))}
		}
	}
	switch {
	case len(ts) == 0:
		return PublishOutput{}, &BadInput{Msg: field + ": want a non-empty list of targets"}
	case len(ts) > workflow.MaxFleetTargets:
		return PublishOutput{}, &BadInput{Msg: fmt.Sprintf("%s: %d targets; at most %d per run", field, len(ts), workflow.MaxFleetTargets)}
	}
	chain := st.Scope != workflow.ScopeAWS
	var errs []error
	for i := range ts {
		if err := ts[i].ValidateFor(chain); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", field, i, err))
		}
	}
	if len(errs) > 0 {
		return PublishOutput{}, &BadInput{Msg: redact.Text(errors.Join(errs...).Error())}
	}
	loc := check.ObjectLocation{Bucket: in.ResultsBucket, Key: TargetsKey(in.RunID)}
	if err := putJSON(ctx, h.Store, loc, ts); err != nil {
		return PublishOutput{}, err
	}
	if h.Log != nil {
		h.Log.Info("stage", "run_id", in.RunID, "targets", len(ts), "targets_object", loc.URI())
	}
	return PublishOutput{FailedChecks: []string{}, TargetsObject: &loc, Count: len(ts), Scope: st.Scope}, nil
}

// writeReport keeps a distributed child's full report in the results
// bucket, where Summarize finds it by the target's index.
func (h *PublishMetrics) writeReport(ctx context.Context, in PublishInput, rep check.Report) error {
	if in.ResultsBucket == "" {
		return errors.New("publish metrics: a distributed target without results_bucket")
	}
	execution, index, err := SplitRunID(in.RunID)
	if err != nil {
		return fmt.Errorf("publish metrics: %w", err)
	}
	return putJSON(ctx, h.Store, check.ObjectLocation{Bucket: in.ResultsBucket, Key: ReportKey(execution, index)}, rep)
}

// collect gathers a distributed fleet: every child's report from S3 (a
// target without one is reported not assessed: its child failed or timed
// out before publish-metrics wrote it), the fleet report to fleet.json,
// and its summary as the run's output.
func (h *PublishMetrics) collect(ctx context.Context, in PublishInput) (PublishOutput, error) {
	c := in.Collect
	var ts []check.Target
	if err := getJSON(ctx, h.Store, c.TargetsObject, &ts); err != nil {
		return PublishOutput{}, err
	}
	if len(ts) != c.Count {
		return PublishOutput{}, fmt.Errorf("publish metrics: %s holds %d targets, the run staged %d", c.TargetsObject.URI(), len(ts), c.Count)
	}
	at := now(h.Now)().UTC()
	reports := make([]check.Report, len(ts))
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, collectConcurrency)
	for i := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			loc := check.ObjectLocation{Bucket: c.ResultsBucket, Key: ReportKey(in.RunID, i)}
			err := getJSON(ctx, h.Store, loc, &reports[i])
			switch {
			case errors.Is(err, errNoObject):
				reports[i] = check.UnassessedReport(ts[i], fmt.Sprintf("%s-%d", in.RunID, i), at,
					"the target's outcome was lost: its child execution wrote no report (it failed or timed out; see the Map Run's failed items)")
			case err != nil:
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var te *failure.TransientError
		if errors.As(err, &te) {
			return PublishOutput{}, te
		}
		return PublishOutput{}, err
	}
	started := at
	for _, r := range reports {
		if !r.StartedAt.IsZero() && r.StartedAt.Before(started) {
			started = r.StartedAt
		}
	}
	fleet := check.NewFleet(in.RunID, started, at.Sub(started), reports).Redacted()
	if err := h.publishFleet(ctx, fleet.OK, at); err != nil {
		return PublishOutput{}, err
	}
	return h.answerFleet(ctx, c.ResultsBucket, fleet)
}

// answerFleet writes the fleet report to fleet.json and answers with its
// summary (and, when it failed, the summary as the ChecksFailed cause).
func (h *PublishMetrics) answerFleet(ctx context.Context, bucket string, fleet check.Fleet) (PublishOutput, error) {
	loc := check.ObjectLocation{Bucket: bucket, Key: FleetKey(fleet.RunID)}
	if err := putJSON(ctx, h.Store, loc, fleet); err != nil {
		return PublishOutput{}, err
	}
	sum := fleet.Summary(loc)
	out := PublishOutput{OK: fleet.OK, FailedChecks: []string{}, Output: sum}
	if !fleet.OK {
		out.Cause = SummaryCause(sum)
	}
	if h.Log != nil {
		h.Log.Info("fleet", "run_id", fleet.RunID, "ok", fleet.OK, "targets", sum.Targets, "failed", sum.Failed,
			"not_assessed", sum.NotAssessed, "salesforce_calls", sum.SalesforceCalls, "report", loc.URI())
	}
	return out, nil
}

// SummaryCause is the ChecksFailed cause of a distributed fleet: its
// summary, within MaxCauseBytes (failed target names dropped from the end,
// FailedTargetsTruncated set, until it fits).
func SummaryCause(s check.FleetSummary) string {
	for {
		b, _ := json.Marshal(s)
		if len(b) <= MaxCauseBytes || len(s.FailedTargets) == 0 {
			return string(b)
		}
		s.FailedTargets = s.FailedTargets[:len(s.FailedTargets)/2]
		s.FailedTargetsTruncated = true
	}
}

// distributedGate is the pause gate of a staged fleet while paused: the
// Paused metric for every target, their skipped reports in fleet.json, and
// a FleetSummary as the run's output (the same shape as every distributed
// run's, so `sfprobe start` reads it the same way; 1,000 skipped reports
// would not fit the output).
func (h *PublishMetrics) distributedGate(ctx context.Context, in PublishInput, obj check.ObjectLocation, st pause.State, at time.Time) (PublishOutput, error) {
	var ts []check.Target
	if err := getJSON(ctx, h.Store, obj, &ts); err != nil {
		return PublishOutput{}, err
	}
	reports := make([]check.Report, len(ts))
	var datums []types.MetricDatum
	for i, t := range ts {
		reports[i] = check.SkippedReport(t, fmt.Sprintf("%s-%d", in.RunID, i), at, "skipped: sfprobe is "+st.String())
		datums = append(datums, metrics.PausedDatums(reports[i].Target, at)...)
	}
	if h.FleetTarget != "" {
		datums = append(datums, metrics.PausedDatums(h.FleetTarget, at)...)
	}
	if err := h.Publisher.Publish(ctx, datums); err != nil {
		return PublishOutput{}, &failure.TransientError{Class: failure.Network, Msg: redact.Text(err.Error())}
	}
	out, err := h.answerFleet(ctx, obj.Bucket, check.NewFleet(in.RunID, at, 0, reports))
	out.Paused = err == nil
	return out, err
}
