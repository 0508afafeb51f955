package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// MaintenanceWindowMetric is the metric a deploy pipeline sets to 1 (with the
// Target dimension) while it changes the target: the MaintenanceWindow alarm
// then suppresses the paging alarm's actions.
// TODO(metricname): move to internal/metricname.
const MaintenanceWindowMetric = "MaintenanceWindow"

// RunHealthExpression is the RunFailure alarm's metric: RunSuccess's
// minimum, or 1 in a period where a paused run published Paused.
const RunHealthExpression = "MAX([FILL(success, 0), FILL(paused, 0)])"

// alarmSpec is one alarm as NewAlarms makes it.
type alarmSpec struct {
	kind alarmname.Kind
	// label is the target of a per-target alarm: it names the alarm
	// (with a targets file) and its description; empty for the
	// stack's own alarms (and the fleet alarms).
	label     string
	cid       string // construct id suffix, for kinds with one alarm per function or check
	detail    string // name and description suffix: the function or check
	metric    awscloudwatch.IMetric
	op        awscloudwatch.ComparisonOperator
	threshold float64
	m, n      int
	missing   awscloudwatch.TreatMissingData
}

// AlarmsProps configures NewAlarms.
type AlarmsProps struct {
	Config    Config
	Functions *Functions
	Workflow  *Workflow
	Topic     awssns.ITopic
	Checks    []string
}

// Alarms are the stack's alarms. Only Paging has an action (the topic);
// the others feed it or the dashboard.
type Alarms struct {
	// Group is the construct holding every alarm.
	Group constructs.Construct
	// Metric alarms by kind. The per-target kinds (RunFailure, RunLatency,
	// CleanupFailure, CheckFailure) hold one alarm per target (and check),
	// in target order; FunctionErrors one per function. An opt-in kind that
	// is off has none.
	ByKind map[alarmname.Kind][]awscloudwatch.Alarm
	Paging awscloudwatch.CompositeAlarm
}

// All returns every alarm, metric alarms first, in alarmname order.
func (a *Alarms) All() []awscloudwatch.IAlarm {
	var out []awscloudwatch.IAlarm
	for _, info := range alarmname.All() {
		for _, al := range a.ByKind[info.Kind] {
			out = append(out, al)
		}
	}
	return append(out, a.Paging)
}

// NewAlarms creates the alarms. Every description names the alarm's runbook
// section (internal/alarmname). The run alarms' period is the schedule's
// cadence; RunFailure treats missing data as breaching, so a probe that
// stops running raises it (the dead-man's switch).
//
// By default a stack has, per target, RunFailure (the alarm that pages)
// and CleanupFailure (a run that leaves its Case behind still passes), and
// once MaintenanceWindow (the paging alarm's suppressor) and Paging: 3
// alarm metrics per target, 1 more and a composite alarm. The kinds
// alarmname marks opt-in come with their configuration key; RunLatency and
// CheckFailure are per target too, the state machine's and the functions'
// alarms once per stack. In the single-target form the alarms are named
// <stack>-<Kind>[-<detail>]; with a targets file a target's alarms are
// <stack>-<Kind>-<label>[-<detail>].
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) *Alarms {
	c := props.Config
	group := constructs.NewConstruct(scope, jsii.String(id))
	optIn := map[string]bool{
		alarmname.OptInDetailedMetrics:  c.DetailedMetrics,
		alarmname.OptInDiagnosticAlarms: c.DiagnosticAlarms,
		alarmname.OptInPerCheckAlarms:   c.PerCheckAlarms,
	}
	period := awscdk.Duration_Seconds(jsii.Number(c.alarmPeriod().Seconds()))
	m, n := c.runFailureMOfN()
	metric := func(name, statistic string, dims map[string]*string, p awscdk.Duration) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(c.MetricNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &dims,
			Statistic:     jsii.String(statistic),
			Period:        p,
		})
	}
	out := &Alarms{Group: group, ByKind: map[alarmname.Kind][]awscloudwatch.Alarm{}}
	add := func(s alarmSpec) {
		info, _ := alarmname.Lookup(s.kind)
		if info.OptIn != "" && !optIn[info.OptIn] {
			return
		}
		name := c.StackName + "-" + string(s.kind)
		cid := string(s.kind)
		about := c.summary()
		if s.label != "" {
			about = s.label
			name += c.alarmSuffix(s.label)
			if c.fileForm() {
				// Construct ids may not hold "/"; labels never hold "%".
				cid += "-" + strings.ReplaceAll(s.label, "/", "%2F")
			}
		}
		what := info.Summary
		if s.detail != "" {
			name += "-" + s.detail
			what += " (" + s.detail + ")"
		}
		al := awscloudwatch.NewAlarm(group, jsii.String(cid+s.cid), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(name),
			AlarmDescription:   jsii.String(fmt.Sprintf("sfprobe %s: %s. Runbook: %s", about, what, s.kind.Anchor())),
			Metric:             s.metric,
			ComparisonOperator: s.op,
			Threshold:          jsii.Number(s.threshold),
			EvaluationPeriods:  jsii.Number(float64(s.n)),
			DatapointsToAlarm:  jsii.Number(float64(s.m)),
			TreatMissingData:   s.missing,
		})
		out.ByKind[s.kind] = append(out.ByKind[s.kind], al)
	}
	const (
		gte = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
		gt  = awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
		lt  = awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	)
	breaching, notBreaching := awscloudwatch.TreatMissingData_BREACHING, awscloudwatch.TreatMissingData_NOT_BREACHING
	runMissing := breaching
	if c.Schedule == ScheduleOff {
		// Without a schedule, no run is not a failure.
		runMissing = notBreaching
	}
	sum := jsii.String("Sum")
	sm := props.Workflow.StateMachine

	labels := c.labels()
	if c.fleetAlarms() {
		labels = nil
		addFleetAlarms(c, props.Checks, period, add)
	}
	for _, label := range labels {
		target := map[string]*string{metricname.DimTarget: jsii.String(label)}
		// A paused run publishes Paused instead of RunSuccess: it counts as
		// healthy. A period with neither, while the other has data, counts
		// as a failure (FILL 0); no data at all is missing, hence breaching.
		health := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(RunHealthExpression),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"success": metric(metricname.RunSuccess, "Minimum", target, period),
				"paused":  metric(metricname.Paused, "Maximum", target, period),
			},
			Label:  jsii.String("run health (1 ok or paused, 0 failed)"),
			Period: period,
		})
		add(alarmSpec{kind: alarmname.RunFailure, label: label, metric: health, op: lt, threshold: 1, m: m, n: n, missing: runMissing})
		add(alarmSpec{kind: alarmname.RunLatency, label: label, metric: metric(metricname.RunDuration, "Maximum", target, period),
			op: gt, threshold: float64(c.RunLatencyMs), m: m, n: n, missing: notBreaching})
		add(alarmSpec{kind: alarmname.CleanupFailure, label: label, metric: metric(metricname.CleanupFailure, "Sum", target, period),
			op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
		// Published by the AWS-side runs (configSchedule): an hour holds at
		// least one; none (no login read it) is not a breach.
		add(alarmSpec{kind: alarmname.SalesforceApiRemaining, label: label, metric: metric(metricname.SalesforceApiRemaining, "Minimum", target, awscdk.Duration_Hours(jsii.Number(1))),
			op: lt, threshold: float64(c.ApiRemainingAlarmPercent), m: 1, n: 1, missing: notBreaching})
		for _, ch := range props.Checks {
			dims := map[string]*string{metricname.DimTarget: jsii.String(label), metricname.DimCheck: jsii.String(ch)}
			add(alarmSpec{kind: alarmname.CheckFailure, label: label, cid: ch, detail: ch, metric: metric(metricname.CheckFailure, "Sum", dims, period),
				op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
		}
	}
	add(alarmSpec{kind: alarmname.ExecutionsFailed, metric: sm.MetricFailed(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
		op: gte, threshold: 1, m: m, n: n, missing: notBreaching})
	add(alarmSpec{kind: alarmname.ExecutionsTimedOut, metric: sm.MetricTimedOut(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
		op: gte, threshold: 1, m: m, n: n, missing: notBreaching})
	add(alarmSpec{kind: alarmname.ExecutionThrottled, metric: sm.MetricThrottled(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
		op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
	for _, wf := range workflow.Functions {
		fn := props.Functions.ByName[wf.Name]
		add(alarmSpec{kind: alarmname.FunctionErrors, cid: pascal(wf.Name), detail: wf.Name,
			metric: fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: sum, Period: period}),
			op:     gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
	}
	// In ALARM while a pipeline puts MaintenanceWindow=1 (each minute while
	// it changes the target; with a targets file, Target=<stack>, one window
	// for every target): the paging alarm's actions are suppressed.
	maintenance := map[string]*string{metricname.DimTarget: jsii.String(c.maintenanceTarget())}
	add(alarmSpec{kind: alarmname.MaintenanceWindow, metric: metric(MaintenanceWindowMetric, "Maximum", maintenance, awscdk.Duration_Minutes(jsii.Number(1))),
		op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})

	var rules []awscloudwatch.IAlarmRule
	for _, k := range alarmname.PagingKinds() {
		for _, al := range out.ByKind[k] {
			rules = append(rules, awscloudwatch.AlarmRule_FromAlarm(al, awscloudwatch.AlarmState_ALARM))
		}
	}
	info, _ := alarmname.Lookup(alarmname.Paging)
	// After a maintenance window, the M-of-N alarms need up to N periods to
	// clear: keep suppressing that long.
	extension := time.Duration(n) * c.alarmPeriod()
	out.Paging = awscloudwatch.NewCompositeAlarm(group, jsii.String(string(alarmname.Paging)), &awscloudwatch.CompositeAlarmProps{
		CompositeAlarmName: jsii.String(c.StackName + "-" + string(alarmname.Paging)),
		AlarmDescription: jsii.String(fmt.Sprintf("sfprobe %s: %s (%v). Suppressed while %s-%s is in ALARM. Runbook: %s",
			c.summary(), info.Summary, alarmname.PagingKinds(), c.StackName, alarmname.MaintenanceWindow, alarmname.Paging.Anchor())),
		AlarmRule:                        awscloudwatch.AlarmRule_AnyOf(rules...),
		ActionsSuppressor:                out.ByKind[alarmname.MaintenanceWindow][0],
		ActionsSuppressorWaitPeriod:      awscdk.Duration_Seconds(jsii.Number(60)),
		ActionsSuppressorExtensionPeriod: awscdk.Duration_Seconds(jsii.Number(extension.Seconds())),
	})
	action := awscloudwatchactions.NewSnsAction(props.Topic)
	out.Paging.AddAlarmAction(action)
	out.Paging.AddOkAction(action)
	return out
}
