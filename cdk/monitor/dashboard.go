package monitor

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// insightsLines is how many series a Metrics Insights graph shows (the
// worst first; a query returns at most 500).
const insightsLines = 100

// insightsStat maps a statistic to Metrics Insights' functions (AVG,
// COUNT, MAX, MIN, SUM; no percentiles) and the order that puts the worst
// series first: the lowest for Minimum, the highest otherwise.
func insightsStat(statistic string) (fn, order string) {
	switch statistic {
	case "Minimum":
		return "MIN", "ASC"
	case "Maximum":
		return "MAX", "DESC"
	case "Sum":
		return "SUM", "DESC"
	}
	return "AVG", "DESC" // p50 and the like
}

// insightsGroupQuery is one line per series of metric with exactly the
// dimensions dims (and the where clause), the insightsLines worst ones.
func insightsGroupQuery(c Config, metric, statistic string, dims []string, where string) string {
	fn, order := insightsStat(statistic)
	return insightsQuery(c, fn, metric, dims, where) + fmt.Sprintf(" GROUP BY %s ORDER BY %s() %s LIMIT %d", strings.Join(dims, ", "), fn, order, insightsLines)
}

// DashboardProps configures NewDashboard.
type DashboardProps struct {
	Config    Config
	Workflow  *Workflow
	Functions *Functions
	Alarms    *Alarms
	Checks    []string
}

// NewDashboard creates the dashboard: the alarms' states, run success per
// target and duration (RunDuration with detailedMetrics, else the state
// machine's own ExecutionTime, which costs nothing), per-check failures and
// (with detailedMetrics) latency, and the state machine's and functions'
// own health. With several targets every per-target graph has a line per
// target.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) awscloudwatch.Dashboard {
	c := props.Config
	labels := c.labels()
	several := len(labels) > 1
	period := awscdk.Duration_Seconds(jsii.Number(c.alarmPeriod().Seconds()))
	metric := func(name, statistic, lbl string, dims map[string]*string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(c.MetricNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &dims,
			Statistic:     jsii.String(statistic),
			Period:        period,
			Label:         jsii.String(lbl),
		})
	}
	target := func(label string) map[string]*string {
		return map[string]*string{metricname.DimTarget: jsii.String(label)}
	}
	// Above 50 targets a line per target and check would pass a graph's
	// 500 metrics: the graphs are Metrics Insights queries instead, the
	// worst insightsLines targets first.
	insightsView := len(labels) > workflow.InlineMaxTargets
	insights := func(query string) []awscloudwatch.IMetric {
		return []awscloudwatch.IMetric{awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(query), Period: period, Label: jsii.String(""),
		})}
	}
	// perTarget is one line per target (labelled lbl alone for one target).
	perTarget := func(name, statistic, lbl string) []awscloudwatch.IMetric {
		if insightsView {
			return insights(insightsGroupQuery(c, name, statistic, []string{metricname.DimTarget}, ""))
		}
		out := []awscloudwatch.IMetric{}
		for _, l := range labels {
			line := lbl
			if several {
				line = l
				if lbl != "" {
					line = l + " " + lbl
				}
			}
			out = append(out, metric(name, statistic, line, target(l)))
		}
		return out
	}
	perCheck := func(name, statistic string) *[]awscloudwatch.IMetric {
		if insightsView {
			return ptr(insights(insightsGroupQuery(c, name, statistic, []string{metricname.DimTarget, metricname.DimCheck}, "")))
		}
		out := []awscloudwatch.IMetric{}
		for _, l := range labels {
			for _, ch := range props.Checks {
				line := ch
				if several {
					line = l + " " + ch
				}
				out = append(out, metric(name, statistic, line, map[string]*string{
					metricname.DimTarget: jsii.String(l), metricname.DimCheck: jsii.String(ch),
				}))
			}
		}
		return &out
	}
	// loginFailures is CheckFailure of SalesforceLogin, one line per target.
	loginFailures := func() []awscloudwatch.IMetric {
		if insightsView {
			return insights(insightsGroupQuery(c, metricname.CheckFailure, "Sum", []string{metricname.DimTarget, metricname.DimCheck},
				fmt.Sprintf("%s = '%s'", metricname.DimCheck, check.SalesforceLogin)))
		}
		out := []awscloudwatch.IMetric{}
		for _, l := range labels {
			out = append(out, metric(metricname.CheckFailure, "Sum", l, map[string]*string{
				metricname.DimTarget: jsii.String(l), metricname.DimCheck: jsii.String(check.SalesforceLogin),
			}))
		}
		return out
	}
	graph := func(title string, left []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6)})
	}

	sm := props.Workflow.StateMachine
	sum := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
	fnErrors := []awscloudwatch.IMetric{}
	for _, fn := range props.Functions.Ordered() {
		fnErrors = append(fnErrors, fn.MetricErrors(sum))
	}

	var latency awscloudwatch.IWidget
	if c.DetailedMetrics {
		latency = awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Check latency p90 (ms)"), Left: perCheck(metricname.CheckLatency, "p90"),
			Width: jsii.Number(12), Height: jsii.Number(6),
		})
	} else {
		latency = awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("### Check latency\nPer-check latency (CheckLatency) and the run's duration (RunDuration) are published with " +
				"`-c detailedMetrics=true` (9 more metrics per target, $2.70 a month each, and the RunLatency alarm). " +
				"The execution time on the left is the state machine's own metric."),
			Width: jsii.Number(12), Height: jsii.Number(6),
		})
	}

	d := awscloudwatch.NewDashboard(scope, jsii.String(id), &awscloudwatch.DashboardProps{
		// Dashboard names are unique per account, across regions.
		DashboardName:   jsii.String(c.StackName + "-" + c.region()),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(1)),
	})
	what := fmt.Sprintf("Target `%s`", c.TargetFunctionArn)
	if c.fileForm() {
		what = fmt.Sprintf("%d targets from `%s`", len(labels), c.TargetsFile)
	}
	d.AddWidgets(
		awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String(fmt.Sprintf("## sfprobe: %s\n%s, %s, %s workflow. "+
				"Only **%s-%s** notifies; each alarm's description names its runbook section (%s).",
				c.summary(), what, c.scheduleSummary(), c.WorkflowType, c.StackName, alarmname.Paging, alarmname.RunbookPath)),
			Width: jsii.Number(24), Height: jsii.Number(2),
		}),
	)
	// An alarm status widget shows at most 100 alarms.
	const perWidget = 100
	all := props.Alarms.All()
	for i := 0; i < len(all); i += perWidget {
		alarms := []interfacesawscloudwatch.IAlarmRef{}
		for _, a := range all[i:min(i+perWidget, len(all))] {
			alarms = append(alarms, a)
		}
		d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24), Height: jsii.Number(4),
			SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
		}))
	}
	duration := graph("Run duration (ms)", append(perTarget(metricname.RunDuration, "p50", "p50"), perTarget(metricname.RunDuration, "Maximum", "max")...))
	if !c.DetailedMetrics {
		// AWS/States ExecutionTime: the whole execution, pause check and
		// publishing included; free, unlike a metric of sfprobe's own.
		duration = graph("Execution time (ms)", []awscloudwatch.IMetric{
			sm.MetricTime(&awscloudwatch.MetricOptions{Statistic: jsii.String("p50"), Period: period, Label: jsii.String("p50")}),
			sm.MetricTime(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period, Label: jsii.String("max")}),
		})
	}
	success := "Run success (1 ok, 0 failed)"
	if several {
		success = "Run success per target (1 ok, 0 failed)"
	}
	if insightsView {
		success = fmt.Sprintf("Run success, the %d lowest targets (1 ok, 0 failed)", insightsLines)
		d.AddWidgets(graph("Fleet run success (1 every target ok, 0 one failed or unassessed)", []awscloudwatch.IMetric{
			metric(FleetRunSuccessMetric, "Minimum", FleetRunSuccessMetric+" min", target(c.maintenanceTarget())),
		}))
	}
	d.AddWidgets(
		graph(success, perTarget(metricname.RunSuccess, "Minimum", "RunSuccess min")),
		duration,
		graph("Salesforce calls per period", perTarget(metricname.SalesforceCalls, "Sum", "calls")),
	)
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Check failures (count per check)"), Left: perCheck(metricname.CheckFailure, "Sum"),
			Width: jsii.Number(12), Height: jsii.Number(6),
		}),
		latency,
	)
	d.AddWidgets(
		graph("Executions", []awscloudwatch.IMetric{sm.MetricSucceeded(sum), sm.MetricFailed(sum), sm.MetricTimedOut(sum), sm.MetricThrottled(sum)}),
		graph("sfprobe function errors", fnErrors),
		graph("Cleanup failures and paused runs", append(
			perTarget(metricname.CleanupFailure, "Sum", "CleanupFailure"),
			perTarget(metricname.Paused, "Sum", "Paused")...)),
	)
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Salesforce daily API requests remaining (%)"), Left: ptr(perTarget(metricname.SalesforceApiRemaining, "Minimum", "remaining %")),
			LeftAnnotations: &[]*awscloudwatch.HorizontalAnnotation{{Value: jsii.Number(float64(c.ApiRemainingAlarmPercent)), Label: jsii.String("alarm")}},
			Width:           jsii.Number(12), Height: jsii.Number(6),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("SalesforceLogin failures (the next login of the function would fail)"), Left: ptr(loginFailures()),
			Width: jsii.Number(12), Height: jsii.Number(6),
		}),
	)
	return d
}
