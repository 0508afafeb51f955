package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/pause"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// fleetSandbox is a sandbox for many targets on its one simulated
// function: a production-like function timeout and no contact flows (see
// TestWorkflowWithMaxTargets).
func fleetSandbox(t *testing.T, ctx context.Context) *sandbox.Sandbox {
	t.Helper()
	a := sandboxtest.AWS(t)
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{FunctionTimeout: 15 * time.Second, NoContactFlows: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

func fleetOf(sb *sandbox.Sandbox, n int) []check.Target {
	ts := make([]check.Target, n)
	for i := range ts {
		ts[i] = named(sb.Target, fmt.Sprintf("target-%03d", i))
	}
	return ts
}

func input(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// summaryOf reads the run's FleetSummary (the output, or the ChecksFailed
// cause) and the full fleet report it points at.
func summaryOf(t *testing.T, ctx context.Context, sb *sandbox.Sandbox, ex sandbox.Execution) (check.FleetSummary, check.Fleet) {
	t.Helper()
	raw := ex.Output
	if ex.Status != "SUCCEEDED" {
		require.Equal(t, workflow.ErrChecksFailed, ex.Error, "%.500s", ex.Cause)
		raw = ex.Cause
	}
	var sum check.FleetSummary
	require.NoError(t, json.Unmarshal([]byte(raw), &sum), "%.500s", raw)
	assert.Equal(t, check.ObjectLocation{Bucket: sandbox.ResultsBucketName, Key: handler.FleetKey(ex.Name)}, sum.Report)
	var fleet check.Fleet
	require.NoError(t, sb.ReadResultsObject(ctx, sum.Report.Key, &fleet))
	assert.Equal(t, ex.Name, sum.RunID)
	assert.Equal(t, ex.Name, fleet.RunID)
	return sum, fleet
}

// TestDistributedMapInlineFleet: more than 50 targets inline fan out on the
// Distributed Map (the same document as the cloud's; children STANDARD):
// each target's full report in S3, one test Case per target cleaned up,
// the output a small FleetSummary, fleet.json the full fleet.
func TestDistributedMapInlineFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sb := fleetSandbox(t, ctx)
	const n = 60
	ts := fleetOf(sb, n)

	start := time.Now()
	ex, err := sb.ExecuteJSON(ctx, input(t, map[string]any{"targets": ts, "scope": workflow.ScopeAll}))
	require.NoError(t, err)
	t.Logf("%d targets, scope all, through the Distributed Map: %s", n, time.Since(start).Round(time.Millisecond))

	require.Equal(t, "SUCCEEDED", ex.Status, "%s %.500s", ex.Error, ex.Cause)
	assert.Less(t, len(ex.Output), 4<<10, "the output stays small: %d bytes", len(ex.Output))
	sum, fleet := summaryOf(t, ctx, sb, ex)
	assert.True(t, sum.OK)
	assert.Equal(t, n, sum.Targets)
	assert.Equal(t, n, sum.Passed)
	assert.Zero(t, sum.Failed)
	assert.Equal(t, []string{}, sum.FailedTargets)
	assert.Equal(t, n*(5+1), sum.SalesforceCalls)

	require.Len(t, fleet.Targets, n)
	assert.True(t, fleet.OK)
	for i, r := range fleet.Targets {
		assert.Equal(t, ts[i].Label(), r.Target, "the targets' order")
		assert.Equal(t, fmt.Sprintf("%s-%d", ex.Name, i), r.RunID, "the parent's execution name: its own Case marker")
		assert.True(t, r.OK, "%s: %v", r.Target, r.FailedChecks())
		assert.Equal(t, check.CleanupDeleted, r.Cleanup.Status, "%s: its one test Case deleted", r.Target)
		assert.Len(t, r.Checks, len(check.Names()), "the full report, not the compact one")
		var own check.Report
		require.NoError(t, sb.ReadResultsObject(ctx, handler.ReportKey(ex.Name, i), &own))
		assert.Equal(t, r.RunID, own.RunID)
	}
	assert.Empty(t, sb.Org.Cases(), "every target deleted its own test Case")
	var staged []check.Target
	require.NoError(t, sb.ReadResultsObject(ctx, handler.TargetsKey(ex.Name), &staged))
	assert.Len(t, staged, n)
}

// TestDistributedMapTargetsObject: a run's targets in an S3 object fan out
// on the Distributed Map, however few; a broken target fails its own
// report and the run (ChecksFailed, a small cause), never the fleet.
func TestDistributedMapTargetsObject(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb := fleetSandbox(t, ctx)

	t.Run("items from S3", func(t *testing.T) {
		ts := fleetOf(sb, 3)
		require.NoError(t, sb.PutResultsObject(ctx, "fleets/three.json", ts))

		ex, err := sb.ExecuteJSON(ctx, input(t, map[string]any{
			"targets_object": check.ObjectLocation{Bucket: sandbox.ResultsBucketName, Key: "fleets/three.json"},
		}))

		require.NoError(t, err)
		require.Equal(t, "SUCCEEDED", ex.Status, "%s %.500s", ex.Error, ex.Cause)
		sum, fleet := summaryOf(t, ctx, sb, ex)
		assert.Equal(t, 3, sum.Targets)
		assert.Equal(t, 3, sum.Passed)
		require.Len(t, fleet.Targets, 3)
		for i, r := range fleet.Targets {
			assert.Equal(t, ts[i].Label(), r.Target)
			assert.True(t, r.OK, "%s: %v", r.Target, r.FailedChecks())
		}
		assert.Empty(t, sb.Org.Cases())
	})

	t.Run("read back by sfn.Outcome", func(t *testing.T) {
		loc := check.ObjectLocation{Bucket: sandbox.ResultsBucketName, Key: "fleets/three.json"}

		out, err := sb.Execute(ctx, sfn.Input{TargetsObject: &loc}, nil)

		require.NoError(t, err)
		require.NotNil(t, out.Summary, "%s %s %.300s", out.Status, out.Error, out.Cause)
		assert.Equal(t, 3, out.Summary.Targets)
		assert.True(t, out.Passed())
		assert.Equal(t, sandbox.ResultsBucketName, out.Summary.Report.Bucket)
	})

	t.Run("one target failing", func(t *testing.T) {
		ts := fleetOf(sb, 3)
		ts[1].Name, ts[1].Function = "gone", "sfInvokeAPI-gone"
		require.NoError(t, sb.PutResultsObject(ctx, "fleets/broken.json", ts))

		ex, err := sb.ExecuteJSON(ctx, input(t, map[string]any{
			"targets_object": check.ObjectLocation{Bucket: sandbox.ResultsBucketName, Key: "fleets/broken.json"},
		}))

		require.NoError(t, err)
		assert.Equal(t, "FAILED", ex.Status)
		sum, fleet := summaryOf(t, ctx, sb, ex)
		assert.False(t, sum.OK)
		assert.Equal(t, []string{"gone"}, sum.FailedTargets)
		assert.Equal(t, 2, sum.Passed)
		assert.Equal(t, 1, sum.Failed)
		assert.Zero(t, sum.NotAssessed)
		require.Len(t, fleet.Targets, 3)
		assert.True(t, fleet.Targets[0].OK, "a broken target does not hide a healthy one")
		assert.True(t, fleet.Targets[2].OK, "nor stop the ones after it")
		broken := fleet.Targets[1]
		assert.False(t, broken.OK)
		for _, r := range broken.Checks {
			if r.Name == check.TargetConfig {
				assert.Equal(t, failure.NotFound, r.ErrorClass)
			}
		}
		assert.Empty(t, sb.OpenTestCases())
	})

	t.Run("a missing object", func(t *testing.T) {
		ex, err := sb.ExecuteJSON(ctx, input(t, map[string]any{
			"targets_object": check.ObjectLocation{Bucket: sandbox.ResultsBucketName, Key: "fleets/none.json"},
		}))

		require.NoError(t, err)
		assert.Equal(t, "FAILED", ex.Status)
		assert.Equal(t, workflow.ErrBadInput, ex.Error)
		assert.Contains(t, ex.Cause, "targets_object: s3://"+sandbox.ResultsBucketName+"/fleets/none.json does not exist")
	})
}

// largeFleetEnv runs TestDistributedMapFiveHundred: moto runs the
// Distributed Map's children as threads of one GIL-bound process, about
// 0.9 CPU-seconds per target even at scope aws (500 targets: 7 min 7 s of
// wall time on 2 idle cores; 9 min 16 s, 7 min 22 s of CPU, with the cores
// shared), too slow for every run of the package (go test's default
// 10-minute timeout).
const largeFleetEnv = "SFPROBE_LARGE_FLEET"

// TestDistributedMapFiveHundred: 500 simulated targets through the
// Distributed Map, scope aws (the AWS-side checks and SalesforceLogin):
// the fleet's size, not the chain, is under test here; the chain's fan-out
// is TestDistributedMapInlineFleet's. Set SFPROBE_LARGE_FLEET=1 (and
// -timeout 20m) to run it.
func TestDistributedMapFiveHundred(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if os.Getenv(largeFleetEnv) == "" {
		t.Skipf("500 targets on moto take about 9 minutes: set %s=1 (and -timeout 20m) to run", largeFleetEnv)
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Minute)
	defer cancel()
	sb := fleetSandbox(t, ctx)
	const n = 500
	ts := fleetOf(sb, n)

	start := time.Now()
	ex, err := sb.ExecuteJSON(ctx, input(t, map[string]any{"targets": ts, "scope": workflow.ScopeAWS}))
	require.NoError(t, err)
	t.Logf("%d targets, scope aws, through the Distributed Map: %s", n, time.Since(start).Round(time.Millisecond))

	require.Equal(t, "SUCCEEDED", ex.Status, "%s %.500s", ex.Error, ex.Cause)
	assert.Less(t, len(ex.Output), 4<<10, "the output stays small: %d bytes", len(ex.Output))
	sum, fleet := summaryOf(t, ctx, sb, ex)
	assert.Equal(t, n, sum.Targets)
	assert.Equal(t, n, sum.Passed)
	assert.Equal(t, n, sum.SalesforceCalls, "SalesforceLogin's /limits, one per target")
	require.Len(t, fleet.Targets, n)
	for i, r := range fleet.Targets {
		assert.Equal(t, ts[i].Label(), r.Target)
		assert.True(t, r.OK, "%s: %v", r.Target, r.FailedChecks())
	}
}

// TestDistributedMapDefaultTargetsInS3: a stack whose default targets are
// in S3 (DefaultTargetsKey) fans its scheduled runs out on the Distributed
// Map; while paused, such a run answers a small FleetSummary of skipped
// targets, their reports in fleet.json.
func TestDistributedMapDefaultTargetsInS3(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t.Parallel()
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{FunctionTimeout: 15 * time.Second, DefaultTargetsInS3: true})
	require.NoError(t, err)
	defer sb.Close()

	ex, err := sb.ExecuteJSON(ctx, `{}`)
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", ex.Status, "%s %.500s", ex.Error, ex.Cause)
	sum, fleet := summaryOf(t, ctx, sb, ex)
	assert.Equal(t, 1, sum.Targets)
	assert.Equal(t, 1, sum.Passed)
	require.Len(t, fleet.Targets, 1)
	assert.Equal(t, sb.Target.Label(), fleet.Targets[0].Target)
	assert.Equal(t, 5+1, fleet.Targets[0].SalesforceCalls)
	assert.Empty(t, sb.Org.Cases())

	require.NoError(t, pause.Write(ctx, ssm.NewFromConfig(sb.Config()), sandbox.PauseParameter, pause.State{Paused: true, Reason: "API user locked out"}))
	calls := sb.Function.Invocations()
	ex, err = sb.ExecuteJSON(ctx, `{}`)
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", ex.Status, "%s %.500s", ex.Error, ex.Cause)
	sum, fleet = summaryOf(t, ctx, sb, ex)
	assert.Equal(t, 1, sum.Targets)
	require.Len(t, fleet.Targets, 1)
	assert.True(t, fleet.Targets[0].Paused)
	for _, c := range fleet.Targets[0].Checks {
		assert.Equal(t, check.Skip, c.Status)
		assert.Contains(t, c.Message, "API user locked out")
	}
	assert.Equal(t, calls, sb.Function.Invocations(), "a paused run never calls sfInvokeAPI")
}
