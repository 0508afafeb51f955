package sandbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// named returns the sandbox's target under another label (the metric
// dimension): several targets on one org, as two Connect instances sharing
// a Salesforce org would be.
func named(t check.Target, name string) check.Target {
	t.Name = name
	return t
}

// TestWorkflowFansOutOverTargets runs the workflow's Map state over several
// targets: each gets its own report, its own metrics (the Target
// dimension) and its own test Case marker, so targets on one org never
// touch each other's Case; one broken target fails the run without
// hiding the others.
func TestWorkflowFansOutOverTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)

	t.Run("all pass", func(t *testing.T) {
		start := time.Now()
		in := sfn.Input{Targets: []check.Target{named(sb.Target, "eu"), named(sb.Target, "us"), named(sb.Target, "ap")}}

		out, err := sb.Execute(ctx, in, nil)

		require.NoError(t, err)
		require.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
		require.NotNil(t, out.Fleet, "several targets answer with the fleet report")
		assert.Nil(t, out.Report)
		assert.True(t, out.Passed())
		f := out.Fleet
		assert.True(t, f.OK)
		require.Len(t, f.Targets, 3)
		runIDs := map[string]bool{}
		for i, r := range f.Targets {
			assert.Equal(t, []string{"eu", "us", "ap"}[i], r.Target, "the file's order")
			assert.True(t, r.OK, "%s: %v", r.Target, r.FailedChecks())
			assert.Equal(t, check.CleanupDeleted, r.Cleanup.Status)
			assert.Equal(t, 5+1, r.SalesforceCalls, "the chain's and SalesforceLogin's /limits")
			runIDs[r.RunID] = true
		}
		assert.Len(t, runIDs, 3, "each target has its own run id, so its own Case marker")
		assert.Equal(t, 3*(5+1), f.SalesforceCalls)
		assert.Empty(t, sb.Org.Cases(), "every target deleted its own test Case")

		ms, err := sb.Metrics(ctx, start)
		require.NoError(t, err)
		success := map[string]float64{}
		for _, m := range ms {
			if m.Name == metrics.RunSuccess {
				success[m.Dimensions[metrics.DimTarget]] = m.Value
			}
		}
		assert.Equal(t, map[string]float64{"eu": 1, "us": 1, "ap": 1}, success)
	})

	t.Run("one target broken", func(t *testing.T) {
		gone := named(sb.Target, "gone")
		gone.Function = "sfInvokeAPI-gone"
		in := sfn.Input{Targets: []check.Target{named(sb.Target, "eu"), gone}}

		out, err := sb.Execute(ctx, in, nil)

		require.NoError(t, err)
		assert.Equal(t, "FAILED", out.Status)
		assert.Equal(t, workflow.ErrChecksFailed, out.Error)
		require.NotNil(t, out.Fleet, "the ChecksFailed cause carries the fleet: %s", out.Cause)
		assert.False(t, out.Passed())
		assert.Contains(t, out.Cause, `"failed_targets":["gone"]`)
		require.Len(t, out.Fleet.Targets, 2)
		assert.True(t, out.Fleet.Targets[0].OK, "a broken target does not hide a healthy one")
		broken := out.Fleet.Targets[1]
		assert.False(t, broken.OK)
		assert.Contains(t, broken.FailedChecks(), check.TargetConfig)
		for _, r := range broken.Checks {
			if r.Name == check.TargetConfig {
				assert.Equal(t, failure.NotFound, r.ErrorClass)
			}
		}
		assert.Empty(t, sb.OpenTestCases())
	})
}

// TestWorkflowWithMaxTargets: the inline Map's largest fleet
// (workflow.InlineMaxTargets) goes through the workflow within Step
// Functions' 256 KiB per state, failed targets and all.
func TestWorkflowWithMaxTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// 50 targets on one simulated function and 2 CPUs: a production-like
	// function timeout, not options()' short one for the timeout fault.
	// No flows call it: 25 concurrent invocations of the one simulated
	// function outlast Connect's 3 s block, which says nothing of 50 real
	// functions.
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{FunctionTimeout: 15 * time.Second, NoContactFlows: true})
	require.NoError(t, err)
	var in sfn.Input
	for i := range workflow.InlineMaxTargets {
		tg := named(sb.Target, fmt.Sprintf("target-%02d-with-a-long-label-like-a-real-one", i))
		if i%2 == 1 {
			tg.Phone = "+15005550006" // no such contact: PhoneLookup fails with its remedy
		}
		in.Targets = append(in.Targets, tg)
	}

	out, err := sb.Execute(ctx, in, nil)

	require.NoError(t, err)
	assert.Equal(t, "FAILED", out.Status)
	require.Equal(t, workflow.ErrChecksFailed, out.Error, "not States.DataLimitExceeded: %.300s", out.Cause)
	assert.LessOrEqual(t, len(out.Cause), 32768)
	assert.True(t, out.Truncated, "50 targets' reports do not fit a cause")
	if out.Fleet != nil {
		assert.Len(t, out.Fleet.FailedTargets(), workflow.InlineMaxTargets/2)
	} else {
		assert.Len(t, out.FailedChecks, workflow.InlineMaxTargets/2, "the failed targets and their checks, at least")
		for target, checks := range out.FailedChecks {
			assert.Equal(t, []string{check.PhoneLookup}, checks, "%s: %s", target, out.Cause)
		}
	}
	assert.Empty(t, sb.OpenTestCases())
}

// TestWorkflowScopes: the stack's two schedules run the Salesforce chain and
// the AWS-side checks at their own cadences; a bad input ends the run at once.
func TestWorkflowScopes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)

	tests := []struct {
		scope     string
		wantRun   []string
		wantCalls int
	}{
		{workflow.ScopeSalesforce, check.ChainChecks, 5},
		{workflow.ScopeAWS, check.AWSChecks, 1}, // SalesforceLogin's /limits
		{workflow.ScopeAll, check.Names(), 5 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			out, err := sb.Execute(ctx, sfn.Input{Scope: tt.scope}, nil)

			require.NoError(t, err)
			require.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
			require.NotNil(t, out.Report)
			assert.True(t, out.Report.OK)
			assert.Equal(t, check.Names(), names(out.Report.Checks), "a report always lists every check")
			var ran []string
			for _, r := range out.Report.Checks {
				if r.Status == check.Skip {
					assert.Contains(t, r.Message, "out of this run's scope")
					continue
				}
				ran = append(ran, r.Name)
			}
			assert.Equal(t, tt.wantRun, ran)
			assert.Equal(t, tt.wantCalls, out.Report.SalesforceCalls)
			assert.Empty(t, sb.Org.Cases())
		})
	}

	badInputs := []struct {
		name string
		give sfn.Input
		want string
	}{
		{"unknown scope", sfn.Input{Scope: "everything"}, "scope: want"},
	}
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sb.Execute(ctx, tt.give, nil)
			require.NoError(t, err)
			assert.Equal(t, "FAILED", out.Status)
			assert.Equal(t, workflow.ErrBadInput, out.Error)
			assert.Contains(t, out.Cause, tt.want)
			assert.Nil(t, out.Report)
		})
	}
}

func names(rs []check.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}
