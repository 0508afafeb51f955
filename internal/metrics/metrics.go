// Package metrics turns a run's report into CloudWatch metrics and publishes
// them. The namespace, metric names and dimensions are public: alarms and
// dashboards depend on them. Extend, never rename.
//
// Per target, every run publishes 2 metrics (RunSuccess, SalesforceCalls):
// $0.60 per month at $0.30 per metric-month. CloudWatch bills a metric pro
// rata for the hours it is published, so CheckFailure (up to 8, one per
// check), CleanupFailure, RetriedChecks and Paused cost only in the hours
// something failed, passed only after a retry, or sfprobe was paused: about
// $0.0004 per metric-hour. WithDetailed adds RunDuration and CheckLatency
// for up to 8 checks, and, from sfInvokeAPI's REPORT lines, TargetDuration
// (the run's longest invocation, when the chain ran) and TargetColdStart
// (only in the hours with a cold start): 13 standing metrics or $3.90 per
// month. The worst case, every metric all month, is 24 metrics or $7.20.
package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metricname"
)

// The namespace, dimension and metric names; see internal/metricname, where
// the CDK alarms read them too.
const (
	DefaultNamespace = metricname.DefaultNamespace
	DimTarget        = metricname.DimTarget
	DimCheck         = metricname.DimCheck
	RunSuccess       = metricname.RunSuccess
	RunDuration      = metricname.RunDuration
	SalesforceCalls  = metricname.SalesforceCalls
	CheckFailure     = metricname.CheckFailure
	CleanupFailure   = metricname.CleanupFailure
	CheckLatency     = metricname.CheckLatency
	Paused           = metricname.Paused
	TargetDuration   = metricname.TargetDuration
	TargetColdStart  = metricname.TargetColdStart
	RetriedChecks    = metricname.RetriedChecks
	// SalesforceApiRemaining is the org's daily API budget left, in percent.
	SalesforceApiRemaining = metricname.SalesforceApiRemaining //nolint:revive // a public metric name
	FleetRunSuccess        = metricname.FleetRunSuccess
)

// MetricNames returns every metric name.
func MetricNames() []string { return metricname.All() }

// MaxDatumsPerCall is PutMetricData's limit of datums per request.
const MaxDatumsPerCall = 1000

// Option configures Datums.
type Option func(*options)

type options struct {
	detailed bool
}

// WithDetailed adds RunDuration, CheckLatency for every check that was not
// skipped, TargetDuration when a chain check reported REPORT figures and
// TargetColdStart when one of them was cold.
func WithDetailed(on bool) Option { return func(o *options) { o.detailed = on } }

// Datums returns the metrics of report r for target, the Target dimension
// value (empty means r.Target), all timestamped r.StartedAt.
func Datums(r check.Report, target string, opts ...Option) []types.MetricDatum {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if target == "" {
		target = r.Target
	}
	var at *time.Time
	if !r.StartedAt.IsZero() {
		at = aws.Time(r.StartedAt)
	}
	runSuccess := 0.0
	if r.OK {
		runSuccess = 1
	}

	out := []types.MetricDatum{datum(RunSuccess, runSuccess, types.StandardUnitCount, at, target, "")}
	if o.detailed {
		out = append(out, datum(RunDuration, float64(r.DurationMS), types.StandardUnitMilliseconds, at, target, ""))
	}
	out = append(out, datum(SalesforceCalls, float64(r.SalesforceCalls), types.StandardUnitCount, at, target, ""))
	for _, c := range r.Checks {
		if c.Failed() {
			out = append(out, datum(CheckFailure, 1, types.StandardUnitCount, at, target, c.Name))
		}
	}
	if h, ok := r.Health(); ok && o.detailed {
		out = append(out, datum(TargetDuration, h.LongestMS, types.StandardUnitMilliseconds, at, target, ""))
		if h.ColdStartMS > 0 {
			out = append(out, datum(TargetColdStart, h.ColdStartMS, types.StandardUnitMilliseconds, at, target, ""))
		}
	}
	if r.SalesforceAPIRemaining != nil {
		out = append(out, datum(SalesforceApiRemaining, *r.SalesforceAPIRemaining, types.StandardUnitPercent, at, target, ""))
	}
	if r.Cleanup.Status == check.CleanupFailed {
		out = append(out, datum(CleanupFailure, 1, types.StandardUnitCount, at, target, ""))
	}
	if n := r.Retried(); n > 0 {
		out = append(out, datum(RetriedChecks, float64(n), types.StandardUnitCount, at, target, ""))
	}
	if o.detailed {
		for _, c := range r.Checks {
			if c.Status != check.Skip {
				out = append(out, datum(CheckLatency, float64(c.DurationMS), types.StandardUnitMilliseconds, at, target, c.Name))
			}
		}
	}
	return out
}

// FleetDatums returns the fleet run's own metric: FleetRunSuccess 1 when
// every target passed, 0 when one failed or was not assessed, with Target
// = fleet (the stack's name).
func FleetDatums(fleet string, ok bool, at time.Time) []types.MetricDatum {
	var ts *time.Time
	if !at.IsZero() {
		ts = aws.Time(at)
	}
	v := 0.0
	if ok {
		v = 1
	}
	return []types.MetricDatum{datum(FleetRunSuccess, v, types.StandardUnitCount, ts, fleet, "")}
}

// PausedDatums returns the metric of a run of target that was skipped at at
// because sfprobe is paused.
func PausedDatums(target string, at time.Time) []types.MetricDatum {
	var ts *time.Time
	if !at.IsZero() {
		ts = aws.Time(at)
	}
	return []types.MetricDatum{datum(Paused, 1, types.StandardUnitCount, ts, target, "")}
}

// datum builds one datum with the Target dimension and, when checkName is
// set, the Check dimension.
func datum(name string, value float64, unit types.StandardUnit, at *time.Time, target, checkName string) types.MetricDatum {
	dims := []types.Dimension{{Name: aws.String(DimTarget), Value: aws.String(target)}}
	if checkName != "" {
		dims = append(dims, types.Dimension{Name: aws.String(DimCheck), Value: aws.String(checkName)})
	}
	return types.MetricDatum{
		MetricName: aws.String(name),
		Dimensions: dims,
		Timestamp:  at,
		Unit:       unit,
		Value:      aws.Float64(value),
	}
}

// PutMetricDataAPI is the CloudWatch PutMetricData API as Publisher needs it.
type PutMetricDataAPI interface {
	PutMetricData(ctx context.Context, params *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

var _ PutMetricDataAPI = (*cloudwatch.Client)(nil)

// Publisher sends datums to one CloudWatch namespace.
type Publisher struct {
	api       PutMetricDataAPI
	namespace string
}

// NewPublisher returns a Publisher to namespace; empty means DefaultNamespace.
func NewPublisher(api PutMetricDataAPI, namespace string) *Publisher {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Publisher{api: api, namespace: namespace}
}

// Publish sends datums in batches of at most MaxDatumsPerCall. It stops at
// the first failed batch; the batches before it stay published.
func (p *Publisher) Publish(ctx context.Context, datums []types.MetricDatum) error {
	for len(datums) > 0 {
		n := min(len(datums), MaxDatumsPerCall)
		_, err := p.api.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String(p.namespace),
			MetricData: datums[:n:n],
		})
		if err != nil {
			return fmt.Errorf("put metric data (%d datums): %w", n, err)
		}
		datums = datums[n:]
	}
	return nil
}
