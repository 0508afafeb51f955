package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// fakeCloudWatch is a PutMetricDataAPI whose behaviour each test assigns.
type fakeCloudWatch struct {
	PutMetricDataFn func(ctx context.Context, params *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

func (f *fakeCloudWatch) PutMetricData(ctx context.Context, params *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	return f.PutMetricDataFn(ctx, params, optFns...)
}

var startedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// got is a datum reduced to what the tests compare.
type got struct {
	Name  string
	Value float64
	Unit  types.StandardUnit
	Dims  map[string]string
}

func simplify(t *testing.T, datums []types.MetricDatum) []got {
	t.Helper()
	out := make([]got, 0, len(datums))
	for _, d := range datums {
		require.NotNil(t, d.Timestamp, "timestamp of %s", aws.ToString(d.MetricName))
		assert.Equal(t, startedAt, *d.Timestamp, "timestamp of %s", aws.ToString(d.MetricName))
		dims := map[string]string{}
		for _, dim := range d.Dimensions {
			dims[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
		}
		out = append(out, got{Name: aws.ToString(d.MetricName), Value: aws.ToFloat64(d.Value), Unit: d.Unit, Dims: dims})
	}
	return out
}

func target(name string) map[string]string { return map[string]string{"Target": name} }

func targetCheck(name, checkName string) map[string]string {
	return map[string]string{"Target": name, "Check": checkName}
}

func report(results []check.Result, cleanup string) check.Report {
	r := check.Report{Target: "prod", RunID: "run-1", StartedAt: startedAt, DurationMS: 1500, Checks: results, Cleanup: check.Cleanup{Status: cleanup}, SalesforceCalls: 4}
	r.Finish()
	return r
}

func TestDatums(t *testing.T) {
	passing := []check.Result{
		{Name: check.TargetConfig, Status: check.Pass, DurationMS: 10},
		{Name: check.PhoneLookup, Status: check.Warn, DurationMS: 420},
	}
	twoFailed := []check.Result{
		{Name: check.SecretAccess, Status: check.Fail, DurationMS: 30, ErrorClass: failure.Permission},
		{Name: check.PhoneLookup, Status: check.Fail, DurationMS: 420, ErrorClass: failure.Auth},
		{Name: check.CreateCase, Status: check.Skip},
	}
	reported := []check.Result{
		{Name: check.PhoneLookup, Status: check.Pass, DurationMS: 1300, Invocation: &check.Invocation{DurationMS: 410.5, MemorySizeMB: 128, MaxMemoryUsedMB: 80, InitDurationMS: 812.25}},
		{Name: check.CreateCase, Status: check.Pass, DurationMS: 700, Invocation: &check.Invocation{DurationMS: 650, MemorySizeMB: 128, MaxMemoryUsedMB: 82}},
	}
	warm := []check.Result{
		{Name: check.PhoneLookup, Status: check.Pass, DurationMS: 300, Invocation: &check.Invocation{DurationMS: 250, MemorySizeMB: 128, MaxMemoryUsedMB: 80}},
	}
	tests := []struct {
		name       string
		give       check.Report
		giveTarget string
		giveOpts   []Option
		want       []got
	}{
		{
			name: "passing run publishes the two standing run metrics",
			give: report(passing, check.CleanupDeleted),
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
			},
		},
		{
			name:       "target overrides the report's target",
			give:       report(passing, check.CleanupDeleted),
			giveTarget: "connect-eu",
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("connect-eu")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("connect-eu")},
			},
		},
		{
			name: "two failed checks",
			give: report(twoFailed, check.CleanupNotNeeded),
			want: []got{
				{RunSuccess, 0, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{CheckFailure, 1, types.StandardUnitCount, targetCheck("prod", check.SecretAccess)},
				{CheckFailure, 1, types.StandardUnitCount, targetCheck("prod", check.PhoneLookup)},
			},
		},
		{
			name: "failed cleanup",
			give: report(passing, check.CleanupFailed),
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{CleanupFailure, 1, types.StandardUnitCount, target("prod")},
			},
		},
		{
			name:     "detailed adds the run's duration and the latency of checks that ran",
			give:     report(twoFailed, check.CleanupNotNeeded),
			giveOpts: []Option{WithDetailed(true)},
			want: []got{
				{RunSuccess, 0, types.StandardUnitCount, target("prod")},
				{RunDuration, 1500, types.StandardUnitMilliseconds, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{CheckFailure, 1, types.StandardUnitCount, targetCheck("prod", check.SecretAccess)},
				{CheckFailure, 1, types.StandardUnitCount, targetCheck("prod", check.PhoneLookup)},
				{CheckLatency, 30, types.StandardUnitMilliseconds, targetCheck("prod", check.SecretAccess)},
				{CheckLatency, 420, types.StandardUnitMilliseconds, targetCheck("prod", check.PhoneLookup)},
			},
		},
		{
			name:     "detailed adds the REPORT figures: the run's longest invocation and its cold start",
			give:     report(reported, check.CleanupDeleted),
			giveOpts: []Option{WithDetailed(true)},
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{RunDuration, 1500, types.StandardUnitMilliseconds, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{TargetDuration, 650, types.StandardUnitMilliseconds, target("prod")},
				{TargetColdStart, 812.25, types.StandardUnitMilliseconds, target("prod")},
				{CheckLatency, 1300, types.StandardUnitMilliseconds, targetCheck("prod", check.PhoneLookup)},
				{CheckLatency, 700, types.StandardUnitMilliseconds, targetCheck("prod", check.CreateCase)},
			},
		},
		{
			name:     "a warm run has no TargetColdStart",
			give:     report(warm, check.CleanupDeleted),
			giveOpts: []Option{WithDetailed(true)},
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{RunDuration, 1500, types.StandardUnitMilliseconds, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{TargetDuration, 250, types.StandardUnitMilliseconds, target("prod")},
				{CheckLatency, 300, types.StandardUnitMilliseconds, targetCheck("prod", check.PhoneLookup)},
			},
		},
		{
			name: "without detailed metrics the REPORT figures stay in the report",
			give: report(reported, check.CleanupDeleted),
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
			},
		},
		{
			name: "checks that passed only after a retry are counted (a failed retried one is a CheckFailure)",
			give: report([]check.Result{
				{Name: check.PhoneLookup, Status: check.Pass, Attempts: 2},
				{Name: check.CreateCase, Status: check.Warn, Attempts: 3},
				{Name: check.CloseCase, Status: check.Fail, Attempts: 2, ErrorClass: failure.Network},
			}, check.CleanupDeleted),
			want: []got{
				{RunSuccess, 0, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
				{CheckFailure, 1, types.StandardUnitCount, targetCheck("prod", check.CloseCase)},
				{RetriedChecks, 2, types.StandardUnitCount, target("prod")},
			},
		},
		{
			name:     "detailed off",
			give:     report(passing, check.CleanupDeleted),
			giveOpts: []Option{WithDetailed(false)},
			want: []got{
				{RunSuccess, 1, types.StandardUnitCount, target("prod")},
				{SalesforceCalls, 4, types.StandardUnitCount, target("prod")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, simplify(t, Datums(tt.give, tt.giveTarget, tt.giveOpts...)))
		})
	}
}

func TestPausedDatums(t *testing.T) {
	assert.Equal(t,
		[]got{{Paused, 1, types.StandardUnitCount, target("prod")}},
		simplify(t, PausedDatums("prod", startedAt)))
}

func TestFleetDatums(t *testing.T) {
	assert.Equal(t,
		[]got{{FleetRunSuccess, 1, types.StandardUnitCount, target("sfprobe-fleet")}},
		simplify(t, FleetDatums("sfprobe-fleet", true, startedAt)))
	assert.Equal(t,
		[]got{{FleetRunSuccess, 0, types.StandardUnitCount, target("sfprobe-fleet")}},
		simplify(t, FleetDatums("sfprobe-fleet", false, startedAt)))
}

func TestMetricNames(t *testing.T) {
	// The names are public: alarms and dashboards depend on them.
	assert.Equal(t, []string{"RunSuccess", "RunDuration", "SalesforceCalls", "CheckFailure", "CleanupFailure", "CheckLatency", "Paused", "TargetDuration", "TargetColdStart", "RetriedChecks", "SalesforceApiRemaining", "FleetRunSuccess"}, MetricNames())
	assert.Equal(t, "sfprobe", DefaultNamespace)
	assert.Equal(t, "Target", DimTarget)
	assert.Equal(t, "Check", DimCheck)
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name          string
		giveNamespace string
		giveDatums    int
		wantNamespace string
		wantBatches   []int
	}{
		{name: "nothing to publish", giveDatums: 0, wantNamespace: "sfprobe", wantBatches: nil},
		{name: "one batch", giveDatums: 3, wantNamespace: "sfprobe", wantBatches: []int{3}},
		{name: "exactly the limit", giveDatums: 1000, wantNamespace: "sfprobe", wantBatches: []int{1000}},
		{name: "2500 datums in 3 calls", giveNamespace: "sfprobe-dev", giveDatums: 2500, wantNamespace: "sfprobe-dev", wantBatches: []int{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			datums := make([]types.MetricDatum, tt.giveDatums)
			for i := range datums {
				datums[i] = types.MetricDatum{MetricName: aws.String(RunSuccess), Value: aws.Float64(float64(i))}
			}
			var batches []int
			var next float64
			api := &fakeCloudWatch{PutMetricDataFn: func(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
				assert.Equal(t, tt.wantNamespace, aws.ToString(in.Namespace))
				for _, d := range in.MetricData {
					assert.Equal(t, next, aws.ToFloat64(d.Value), "datums in order, each once")
					next++
				}
				batches = append(batches, len(in.MetricData))
				return &cloudwatch.PutMetricDataOutput{}, nil
			}}

			require.NoError(t, NewPublisher(api, tt.giveNamespace).Publish(context.Background(), datums))
			assert.Equal(t, tt.wantBatches, batches)
		})
	}
}

func TestPublishError(t *testing.T) {
	errDenied := errors.New("access denied")
	calls := 0
	api := &fakeCloudWatch{PutMetricDataFn: func(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
		calls++
		if calls == 2 {
			return nil, errDenied
		}
		return &cloudwatch.PutMetricDataOutput{}, nil
	}}

	err := NewPublisher(api, "").Publish(context.Background(), make([]types.MetricDatum, 1700))
	require.Error(t, err)
	assert.ErrorIs(t, err, errDenied)
	assert.EqualError(t, err, "put metric data (700 datums): access denied")
	assert.Equal(t, 2, calls, "stops at the first failed batch")
}
