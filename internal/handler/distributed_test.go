package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// fakeStore is an in-memory results bucket.
type fakeStore struct {
	mu      sync.Mutex
	objects map[string][]byte // bucket/key
	getErr  error
}

func newStore() *fakeStore { return &fakeStore{objects: map[string][]byte{}} }

func (f *fakeStore) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeStore) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeStore) put(t *testing.T, key string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	f.objects["results/"+key] = b
}

func (f *fakeStore) get(t *testing.T, key string, v any) {
	t.Helper()
	b, ok := f.objects["results/"+key]
	require.True(t, ok, "s3://results/%s", key)
	require.NoError(t, json.Unmarshal(b, v))
}

func targetsN(n int) []check.Target {
	ts := make([]check.Target, n)
	for i := range ts {
		ts[i] = check.Target{Function: "sfInvokeAPI", Phone: "+441122334455", Name: fmt.Sprintf("t%03d", i)}
	}
	return ts
}

func TestPublishMetrics_stage(t *testing.T) {
	badPhone := targetsN(3)
	badPhone[2].Phone = "12"
	tests := []struct {
		name      string
		give      handler.StageInput
		object    []check.Target // at s3://results/fleets/f.json
		wantCount int
		wantErr   string
	}{
		{name: "inline", give: handler.StageInput{Targets: targetsN(51), Scope: workflow.ScopeAll}, wantCount: 51},
		{name: "object", give: handler.StageInput{TargetsObject: &check.ObjectLocation{Bucket: "results", Key: "fleets/f.json"}, Scope: workflow.ScopeAll},
			object: targetsN(3), wantCount: 3},
		{name: "the phone only with the chain", give: handler.StageInput{Targets: []check.Target{{Function: "sfInvokeAPI"}}, Scope: workflow.ScopeAWS}, wantCount: 1},
		{name: "missing object", give: handler.StageInput{TargetsObject: &check.ObjectLocation{Bucket: "results", Key: "fleets/none.json"}, Scope: workflow.ScopeAll},
			wantErr: "targets_object: s3://results/fleets/none.json does not exist"},
		{name: "not a list", give: handler.StageInput{TargetsObject: &check.ObjectLocation{Bucket: "results", Key: "fleets/f.json"}, Scope: workflow.ScopeAll},
			wantErr: "targets_object: want a JSON array of targets"},
		{name: "empty", give: handler.StageInput{TargetsObject: &check.ObjectLocation{Bucket: "results", Key: "fleets/f.json"}, Scope: workflow.ScopeAll},
			object: []check.Target{}, wantErr: "targets_object: want a non-empty list"},
		{name: "too many", give: handler.StageInput{Targets: targetsN(workflow.MaxFleetTargets + 1), Scope: workflow.ScopeAll},
			wantErr: "targets: 1001 targets; at most 1000 per run"},
		{name: "a bad target", give: handler.StageInput{Targets: badPhone, Scope: workflow.ScopeAll}, wantErr: "targets[2]: phone"},
		{name: "no location", give: handler.StageInput{TargetsObject: &check.ObjectLocation{}, Scope: workflow.ScopeAll}, wantErr: "targets_object: want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			switch {
			case tt.object != nil:
				store.put(t, "fleets/f.json", tt.object)
			case tt.name == "not a list":
				store.objects["results/fleets/f.json"] = []byte(`{"function": "x"}`)
			}
			h := &handler.PublishMetrics{Store: store}

			out, err := h.Handle(context.Background(), handler.PublishInput{RunID: "exec", ResultsBucket: "results", Stage: &tt.give})

			if tt.wantErr != "" {
				var bad *handler.BadInput
				require.ErrorAs(t, err, &bad, "the workflow's BadInput")
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, store.objects, "results/runs/exec/targets.json")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, &check.ObjectLocation{Bucket: "results", Key: "runs/exec/targets.json"}, out.TargetsObject)
			assert.Equal(t, tt.wantCount, out.Count)
			assert.Equal(t, tt.give.Scope, out.Scope)
			var staged []check.Target
			store.get(t, "runs/exec/targets.json", &staged)
			require.Len(t, staged, tt.wantCount)
			assert.NotEmpty(t, staged[0].Fields, "validated, defaults filled")
		})
	}
}

func TestPublishMetrics_distributedChildWritesItsReport(t *testing.T) {
	store := newStore()
	var got []datum
	h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Store: store, Now: func() time.Time { return now.Add(30 * time.Second) }}
	payload := withField(t, withField(t, withField(t, withField(t, fixture(t, "publish-metrics.json"),
		"distributed", true), "results_bucket", "results"), "run_id", "local-20250304T050607Z-7"), "fleet_size", 120)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var o handler.PublishOutput
	require.NoError(t, json.Unmarshal(out, &o))
	var full check.Report
	store.get(t, handler.ReportKey("local-20250304T050607Z", 7), &full)
	assert.Equal(t, "local-20250304T050607Z-7", full.RunID)
	assert.Equal(t, o.OK, full.OK)
	assert.Equal(t, o.Report, full.Compact(), "the output is the compact report, S3 has the full one")
	assert.NotEmpty(t, got, "its metrics are published as any target's")

	t.Run("no bucket", func(t *testing.T) {
		_, err := invoke(t, h.Handle, withField(t, payload, "results_bucket", ""))
		require.Error(t, err)
	})
	t.Run("S3 fails", func(t *testing.T) {
		h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Store: failingStore{newStore()}}
		_, err := h.Handle(context.Background(), decode(t, payload))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "s3://results/runs/local-20250304T050607Z/reports/7.json")
	})
}

type failingStore struct{ *fakeStore }

func (failingStore) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return nil, errors.New("connection reset")
}

func decode(t *testing.T, payload []byte) handler.PublishInput {
	t.Helper()
	var in handler.PublishInput
	require.NoError(t, json.Unmarshal(payload, &in))
	return in
}

func report(target check.Target, runID string, ok bool) check.Report {
	r := check.Report{Target: target.Label(), RunID: runID, StartedAt: now, SalesforceCalls: 6,
		Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Pass}}}
	if !ok {
		r.Checks = append(r.Checks, check.Result{Name: check.CreateCase, Status: check.Fail, Message: "INVALID_SESSION_ID"})
	}
	r.Finish()
	return r
}

func TestPublishMetrics_collect(t *testing.T) {
	store := newStore()
	ts := targetsN(4)
	store.put(t, "runs/exec/targets.json", ts)
	store.put(t, handler.ReportKey("exec", 0), report(ts[0], "exec-0", true))
	store.put(t, handler.ReportKey("exec", 1), report(ts[1], "exec-1", false))
	store.put(t, handler.ReportKey("exec", 3), report(ts[3], "exec-3", true))
	h := &handler.PublishMetrics{Store: store, Now: func() time.Time { return now.Add(time.Minute) }}
	payload := []byte(`{"collect": {"targets_object": {"bucket": "results", "key": "runs/exec/targets.json"}, "count": 4, "results_bucket": "results"}, "run_id": "exec"}`)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var o struct {
		OK     bool               `json:"ok"`
		Output check.FleetSummary `json:"output"`
		Cause  string             `json:"cause"`
	}
	require.NoError(t, json.Unmarshal(out, &o))
	assert.False(t, o.OK)
	want := check.FleetSummary{RunID: "exec", StartedAt: now, DurationMS: 60000, Targets: 4, Passed: 2, Failed: 2, NotAssessed: 1,
		FailedTargets: []string{"t001", "t002"}, SalesforceCalls: 18, Report: check.ObjectLocation{Bucket: "results", Key: "runs/exec/fleet.json"}}
	assert.Equal(t, want, o.Output)
	var cause check.FleetSummary
	require.NoError(t, json.Unmarshal([]byte(o.Cause), &cause), "the ChecksFailed cause is the summary")
	assert.Equal(t, want, cause)

	var fleet check.Fleet
	store.get(t, "runs/exec/fleet.json", &fleet)
	require.Len(t, fleet.Targets, 4)
	lost := fleet.Targets[2]
	assert.True(t, lost.Unassessed(), "a target without a report")
	assert.Equal(t, "t002", lost.Target, "labelled from the staged targets")
	assert.Equal(t, "exec-2", lost.RunID)
	assert.Contains(t, lost.Error, "wrote no report")
	assert.Equal(t, "t003", fleet.Targets[3].Target)

	t.Run("the fleet alarms' metric", func(t *testing.T) {
		var got []datum
		h := &handler.PublishMetrics{Store: store, Publisher: recordingPublisher(&got), FleetTarget: "sfprobe-fleet", Now: h.Now}
		_, err := invoke(t, h.Handle, payload)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "FleetRunSuccess", got[0].Name)
		assert.Equal(t, 0.0, got[0].Value, "a failed and an unassessed target: the fleet run failed")
		assert.Equal(t, map[string]string{"Target": "sfprobe-fleet"}, got[0].Dims)
	})
	t.Run("a count that does not match", func(t *testing.T) {
		_, err := invoke(t, h.Handle, []byte(strings.Replace(string(payload), `"count": 4`, `"count": 5`, 1)))
		require.Error(t, err)
	})
	t.Run("S3 fails", func(t *testing.T) {
		store.getErr = errors.New("throttled")
		defer func() { store.getErr = nil }()
		_, err := h.Handle(context.Background(), decode(t, payload))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "throttled")
	})
}

func TestPublishMetrics_distributedPauseGate(t *testing.T) {
	store := newStore()
	store.put(t, "runs/exec/targets.json", targetsN(300))
	var got []datum
	h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Store: store, Now: func() time.Time { return now }}
	payload := []byte(`{"pause": "{\"paused\": true, \"reason\": \"API user locked\"}", "run_id": "exec",
		"run": {"targets_object": {"bucket": "results", "key": "runs/exec/targets.json"}, "count": 300, "scope": "all"}}`)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	assert.Less(t, len(out), 2<<10, "small: no per-target reports in the output")
	var o struct {
		Paused bool               `json:"paused"`
		OK     bool               `json:"ok"`
		Output check.FleetSummary `json:"output"`
	}
	require.NoError(t, json.Unmarshal(out, &o))
	assert.True(t, o.Paused)
	assert.True(t, o.OK)
	assert.Equal(t, 300, o.Output.Targets)
	assert.Equal(t, "runs/exec/fleet.json", o.Output.Report.Key)
	assert.Len(t, got, 300, "Paused for every target")
	var fleet check.Fleet
	store.get(t, "runs/exec/fleet.json", &fleet)
	require.Len(t, fleet.Targets, 300)
	assert.True(t, fleet.Targets[299].Paused)
	assert.Equal(t, "exec-299", fleet.Targets[299].RunID)

	t.Run("resumed: the run goes on", func(t *testing.T) {
		out, err := invoke(t, h.Handle, []byte(strings.Replace(string(payload), `true`, `false`, 1)))
		require.NoError(t, err)
		var o handler.PublishOutput
		require.NoError(t, json.Unmarshal(out, &o))
		assert.False(t, o.Paused)
	})
}

func TestSummaryCause(t *testing.T) {
	s := check.FleetSummary{Targets: 1000, Failed: 100}
	for i := range 100 {
		s.FailedTargets = append(s.FailedTargets, strings.Repeat("x", 390)+fmt.Sprint(i))
	}
	c := handler.SummaryCause(s)
	assert.LessOrEqual(t, len(c), handler.MaxCauseBytes)
	var got check.FleetSummary
	require.NoError(t, json.Unmarshal([]byte(c), &got))
	assert.True(t, got.FailedTargetsTruncated)
	assert.NotEmpty(t, got.FailedTargets)
	assert.Equal(t, 100, got.Failed, "the counts stay whole")
}

func TestSplitRunID(t *testing.T) {
	tests := []struct {
		give    string
		wantExe string
		wantIdx int
		wantErr bool
	}{
		{give: "local-20250304T050607Z-12", wantExe: "local-20250304T050607Z", wantIdx: 12},
		{give: "a-0", wantExe: "a", wantIdx: 0},
		{give: "exec", wantErr: true},
		{give: "exec-x", wantErr: true},
		{give: "-3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			exe, idx, err := handler.SplitRunID(tt.give)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantExe, exe)
			assert.Equal(t, tt.wantIdx, idx)
		})
	}
}
