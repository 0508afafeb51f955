package handler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/handler"
)

// outcome is one target's outcome as the workflow's Map state keeps it.
func outcome(target string, ok bool, started time.Time) handler.TargetOutcome {
	r := check.Report{Target: target, RunID: "exec-" + target, StartedAt: started, SalesforceCalls: 5,
		Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Pass, Message: strings.Repeat("found contact 0031r000026MVPIAA4 ", 20)}}}
	if !ok {
		r.Checks = append(r.Checks, check.Result{Name: check.CreateCase, Status: check.Fail, ErrorClass: failure.Auth,
			Message: strings.Repeat("INVALID_SESSION_ID ", 40)})
	}
	r.Finish()
	return handler.TargetOutcome{OK: r.OK, Report: r}
}

func TestPublishMetrics_summarize(t *testing.T) {
	tests := []struct {
		name            string
		give            []handler.TargetOutcome
		wantOK          bool
		wantFailed      []string
		wantTruncated   bool
		wantFleetInCase bool
	}{
		{name: "all pass", give: []handler.TargetOutcome{outcome("eu", true, now), outcome("us", true, now.Add(time.Second))}, wantOK: true},
		{name: "one fails", give: []handler.TargetOutcome{outcome("eu", true, now), outcome("us", false, now)},
			wantFailed: []string{"us"}, wantFleetInCase: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var published []datum
			h := &handler.PublishMetrics{Publisher: recordingPublisher(&published), Now: func() time.Time { return now.Add(10 * time.Second) }}
			payload, err := json.Marshal(handler.PublishInput{RunID: "exec", Summarize: tt.give})
			require.NoError(t, err)

			out, err := invoke(t, h.Handle, payload)

			require.NoError(t, err)
			assert.Empty(t, published, "the targets' metrics are published target by target")
			var o struct {
				OK     bool        `json:"ok"`
				Output check.Fleet `json:"output"`
				Cause  string      `json:"cause"`
			}
			require.NoError(t, json.Unmarshal(out, &o))
			assert.Equal(t, tt.wantOK, o.OK)
			assert.Equal(t, tt.wantOK, o.Output.OK)
			assert.Equal(t, "exec", o.Output.RunID)
			assert.Len(t, o.Output.Targets, len(tt.give))
			assert.Equal(t, 5*len(tt.give), o.Output.SalesforceCalls)
			assert.Equal(t, now, o.Output.StartedAt, "the earliest target's start")
			assert.Equal(t, int64(10000), o.Output.DurationMS)
			if tt.wantOK {
				assert.Empty(t, o.Cause)
				return
			}
			var cause struct {
				OK            bool         `json:"ok"`
				FailedTargets []string     `json:"failed_targets"`
				Fleet         *check.Fleet `json:"fleet"`
			}
			require.NoError(t, json.Unmarshal([]byte(o.Cause), &cause))
			assert.Equal(t, tt.wantFailed, cause.FailedTargets)
			require.NotNil(t, cause.Fleet)
			assert.Len(t, cause.Fleet.Targets, len(tt.give))
		})
	}
}

func TestPublishMetrics_summarizeRejectsAnOutcomeWithoutReport(t *testing.T) {
	h := &handler.PublishMetrics{Publisher: nopPublisher{}, Now: func() time.Time { return now }}
	_, err := h.Handle(context.Background(), handler.PublishInput{Summarize: []handler.TargetOutcome{outcome("eu", true, now), {}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "summarize[1] has neither report nor error")
}

// TestPublishMetrics_summarizeALostOutcome: one target's PublishMetrics
// failed (PublishCaught): the fleet reports that target unassessed, with
// an unconfirmed cleanup, and the others as they were.
func TestPublishMetrics_summarizeALostOutcome(t *testing.T) {
	h := &handler.PublishMetrics{Publisher: nopPublisher{}, Now: func() time.Time { return now.Add(time.Second) }}
	payload := []byte(`{"run_id": "exec", "summarize": [` + mustJSON(t, outcome("eu", true, now)) + `,
		{"ok": false, "target": {"function": "sfInvokeAPI-us", "name": "us"}, "run_id": "exec-1",
		 "error": {"Error": "States.Timeout", "Cause": "PublishMetrics timed out"}}]}`)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var o struct {
		OK     bool        `json:"ok"`
		Output check.Fleet `json:"output"`
		Cause  string      `json:"cause"`
	}
	require.NoError(t, json.Unmarshal(out, &o))
	assert.False(t, o.OK)
	require.Len(t, o.Output.Targets, 2)
	assert.True(t, o.Output.Targets[0].OK)
	lost := o.Output.Targets[1]
	assert.False(t, lost.OK)
	assert.Equal(t, "us", lost.Target)
	assert.Equal(t, "exec-1", lost.RunID)
	assert.Contains(t, lost.Error, "States.Timeout: PublishMetrics timed out")
	assert.Equal(t, check.CleanupFailed, lost.Cleanup.Status, "nobody confirmed the cleanup")
	assert.Contains(t, o.Cause, `"failed_targets":["us"]`)
}

// TestFleetCause: a Fail state's cause holds at most 32,768 characters; a
// big fleet's cause keeps the failed targets' reports, then only their names
// and failed checks.
func TestFleetCause(t *testing.T) {
	many := func(n, failing int) check.Fleet {
		var rs []check.Report
		for i := range n {
			o := outcome(strings.Repeat("t", 3)+string(rune('a'+i%26))+strings.Repeat("x", i/26), i < n-failing, now)
			rs = append(rs, o.Report)
		}
		return check.NewFleet("exec", now, time.Second, rs)
	}
	tests := []struct {
		name          string
		give          check.Fleet
		wantFleet     bool
		wantTargets   int
		wantTruncated bool
	}{
		{name: "small: the whole fleet", give: many(3, 1), wantFleet: true, wantTargets: 3},
		{name: "big: only the failed targets", give: many(50, 2), wantFleet: true, wantTargets: 2, wantTruncated: true},
		{name: "huge: names and failed checks", give: many(50, 50), wantTruncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := handler.FleetCause(tt.give)

			assert.LessOrEqual(t, len(c), handler.MaxCauseBytes)
			var got struct {
				FailedTargets []string            `json:"failed_targets"`
				Fleet         *check.Fleet        `json:"fleet"`
				FailedChecks  map[string][]string `json:"failed_checks"`
				Truncated     bool                `json:"truncated"`
			}
			require.NoError(t, json.Unmarshal([]byte(c), &got))
			assert.Equal(t, tt.give.FailedTargets(), got.FailedTargets)
			assert.Equal(t, tt.wantTruncated, got.Truncated)
			if tt.wantFleet {
				require.NotNil(t, got.Fleet)
				assert.Len(t, got.Fleet.Targets, tt.wantTargets)
				return
			}
			assert.Nil(t, got.Fleet)
			assert.Len(t, got.FailedChecks, len(tt.give.FailedTargets()))
		})
	}
}

func TestPublishMetrics_pauseGateSeveralTargets(t *testing.T) {
	var got []datum
	h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Now: func() time.Time { return now }}
	payload := []byte(`{"targets": [{"function": "sfInvokeAPI-eu", "name": "eu"}, {"function": "sfInvokeAPI-us"}], "run_id": "exec1",` +
		` "pause": "{\"paused\": true, \"reason\": \"API user locked\"}"}`)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var o struct {
		Paused bool        `json:"paused"`
		Output check.Fleet `json:"output"`
	}
	require.NoError(t, json.Unmarshal(out, &o))
	assert.True(t, o.Paused)
	assert.True(t, o.Output.OK)
	require.Len(t, o.Output.Targets, 2)
	assert.Equal(t, "sfInvokeAPI-us", o.Output.Targets[1].Target, "a target without a name is labelled by its function")
	for _, r := range o.Output.Targets {
		assert.True(t, r.Paused)
	}
	assert.Equal(t, []datum{
		{Name: "Paused", Value: 1, Dims: map[string]string{"Target": "eu"}},
		{Name: "Paused", Value: 1, Dims: map[string]string{"Target": "sfInvokeAPI-us"}},
	}, got)
}

// TestAssemble_awsOnlyRunHasADuration: a run without the chain starts when
// check-config started.
func TestAssemble_awsOnlyRunHasADuration(t *testing.T) {
	aws := `{"started_at": "2025-03-04T05:06:07Z", "results": [` +
		`{"name": "TargetConfig", "status": "pass"}, {"name": "SecretAccess", "status": "pass"},` +
		`{"name": "KmsKey", "status": "pass"}, {"name": "ConnectAccess", "status": "pass"}, {"name": "SalesforceLogin", "status": "pass"}]}`
	in := handler.PublishInput{Target: check.Target{Function: "f"}, RunID: "r",
		Branches: []json.RawMessage{json.RawMessage(aws), json.RawMessage(`{"out_of_scope": "aws"}`)}}

	rep, err := handler.Assemble(in, now.Add(4*time.Second))

	require.NoError(t, err)
	assert.Equal(t, now, rep.StartedAt)
	assert.Equal(t, int64(4000), rep.DurationMS)
	assert.True(t, rep.OK)
}
