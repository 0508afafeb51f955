package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// A stack of more than workflow.InlineMaxTargets targets runs them on the
// workflow's Distributed Map: a STANDARD parent starting one child
// execution per target, the stack's targets read from S3, every target's
// report and the fleet report written to the results bucket (the S3
// layout: internal/workflow, docs/DEPLOY.md "Fleets of more than 50
// targets").

// FleetRunSuccessMetric is the fleet's run metric the fleet alarms watch
// (metricname.FleetRunSuccess, published by publish-metrics' fleet summary
// with Target = EnvFleetTarget's value, the stack's name).
const FleetRunSuccessMetric = metricname.FleetRunSuccess

// EnvFleetTarget is publish-metrics' environment variable naming the
// Target dimension of the fleet's metrics.
const EnvFleetTarget = workflow.EnvFleetTarget

// The results bucket's prefixes (internal/workflow's S3 layout).
const (
	resultsRunsPrefix = "runs/"
	// resultsMapPrefix is the Distributed Map's ResultWriter Prefix.
	resultsMapPrefix = "map-results/"
	// inlineTargetsKeys are the objects holding a run's targets when they
	// came inline or from sfprobe start --targets: runs/<exec>/targets.json.
	inlineTargetsKeys = resultsRunsPrefix + "*/targets.json"
	// maxResultsRetentionDays bounds resultsRetentionDays (ten years).
	maxResultsRetentionDays = 3650
	// fleetResources are the CloudFormation resources the results bucket
	// brings (the bucket, its policy, the state machine's fleet policy):
	// they come out of the alarms' share of the 500.
	fleetResources = 3
)

// The Sids of the fleet's statements.
const (
	SidStartChildExecutions  = "StartDistributedMapChildren"
	SidManageChildExecutions = "DescribeAndStopDistributedMapChildren"
	SidReadTargetsObject     = "ReadFleetTargets"
	SidWriteMapResults       = "WriteDistributedMapResults"
	SidReadWriteRunReports   = "ReadWriteRunReports"
	SidListRunReports        = "ListRunReports"
)

// distributed reports whether the stack's targets are more than the inline
// Map probes: its scheduled runs fan out on the Distributed Map.
func (c Config) distributed() bool { return len(c.Targets) > workflow.InlineMaxTargets }

// resultsBucket reports whether the stack has the results bucket: every
// STANDARD stack, whose document can fan out on the Distributed Map (its
// own targets above 50, or sfprobe start --targets of a longer list). An
// EXPRESS stack cannot run a Distributed Map and has none.
func (c Config) resultsBucket() bool { return c.WorkflowType == WorkflowStandard }

// fleetAlarms reports whether the stack alarms per fleet instead of per
// target: alarmScope fleet, or auto when an alarm per target would not fit
// the stack (above 50 targets only).
func (c Config) fleetAlarms() bool {
	switch c.AlarmScope {
	case AlarmScopeFleet:
		return true
	case AlarmScopeAuto:
		// Above 50 the per-target alarms soon stop fitting: the Paging
		// rule's 10,240 characters hold ~100 alarm ARNs, the stack's 500
		// resources ~140 targets' alarms.
		return c.distributed()
	}
	return false
}

// maxAlarms is the alarms' share of CloudFormation's 500 resources.
func (c Config) maxAlarms() int {
	if c.resultsBucket() {
		return maxAlarms - fleetResources
	}
	return maxAlarms
}

// fleetDefaults makes STANDARD the default workflow type of a stack of
// more than 50 targets (typeGiven: workflowType was set explicitly).
func (c *Config) fleetDefaults(typeGiven bool) {
	if !typeGiven && c.distributed() {
		c.WorkflowType = WorkflowStandard
	}
}

// validateFleet checks the keys of a fleet of more than 50 targets.
func (c Config) validateFleet() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.distributed() && c.WorkflowType == WorkflowExpress {
		bad("workflowType", "EXPRESS cannot probe %d targets: above %d a run fans out on a Distributed Map, which Express workflows cannot run; use STANDARD (the default above %d targets: a parent execution of ~%d transitions per run, its children stay EXPRESS)",
			len(c.Targets), workflow.InlineMaxTargets, workflow.InlineMaxTargets, fleetParentTransitions)
	}
	if c.ResultsRetentionDays < 1 || c.ResultsRetentionDays > maxResultsRetentionDays {
		bad("resultsRetentionDays", "%d: want 1 to %d days (default %d): how long the results bucket keeps the runs' reports", c.ResultsRetentionDays, maxResultsRetentionDays, DefaultResultsRetentionDays)
	}
	switch c.AlarmScope {
	case AlarmScopeAuto, AlarmScopeTarget:
	case AlarmScopeFleet:
		if !c.distributed() {
			bad("alarmScope", "fleet needs more than %d targets (here %d): the fleet alarm watches %s, which the Distributed Map's fleet summary publishes; up to %d targets alarm per target", workflow.InlineMaxTargets, len(c.Targets), FleetRunSuccessMetric, workflow.InlineMaxTargets)
		}
	default:
		bad("alarmScope", "%q: want %s (default: an alarm per target while they fit the stack, fleet alarms above), %s or %s", c.AlarmScope, AlarmScopeAuto, AlarmScopeTarget, AlarmScopeFleet)
	}
	if c.fileForm() && !c.fleetAlarms() {
		if n := c.pagingRuleLength(); n > maxAlarmRule {
			bad("alarmScope", "%d targets' RunFailure alarms make a Paging rule of about %d characters; CloudWatch allows %d in a composite alarm's rule: use alarmScope=%s (one fleet RunFailure) or fewer targets", len(c.Targets), n, maxAlarmRule, AlarmScopeFleet)
		}
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// maxAlarmRule is the longest AlarmRule CloudWatch takes for a composite alarm.
const maxAlarmRule = 10240

// pagingRuleLength estimates the Paging rule with an alarm per target:
// ALARM("<alarm ARN>") per paging alarm, joined by " OR ".
func (c Config) pagingRuleLength() int {
	n := 0
	for _, l := range c.labels() {
		for _, k := range alarmname.PagingKinds() {
			arn := "arn:aws:cloudwatch:" + c.region() + ":" + c.account() + ":alarm:" + c.StackName + "-" + string(k) + c.alarmSuffix(l)
			n += len(`ALARM("`+arn+`")`) + len(" OR ")
		}
	}
	return n
}

// fleetParentTransitions is about how many state transitions a STANDARD
// parent makes per run (pause gate, the Distributed Map, the summary).
const fleetParentTransitions = 10

// Fleet is the results bucket and the stack's targets object.
type Fleet struct {
	Group constructs.Construct
	// Bucket is the results bucket; nil for an EXPRESS stack.
	Bucket awss3.Bucket
	// Targets is the stack's targets as a JSON array of check.Target in
	// the CDK assets bucket; nil for a stack of at most 50 targets.
	Targets awss3assets.Asset
	// targetsPath is the file the targets object was made from.
	targetsPath string
}

// NewFleet creates the results bucket (a STANDARD stack's) and, above 50
// targets, the targets object (a file asset written at synth). It returns
// nil for an EXPRESS stack.
func NewFleet(scope constructs.Construct, id string, c Config) (*Fleet, error) {
	if !c.resultsBucket() {
		return nil, nil
	}
	group := constructs.NewConstruct(scope, jsii.String(id))
	f := &Fleet{Group: group}
	f.Bucket = awss3.NewBucket(group, jsii.String("Results"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		// Kept when the stack is deleted, and emptied by the expiry: a
		// bucket that is not empty cannot be deleted with the stack, and
		// emptying it at deletion would take CDK's auto-delete custom
		// resource (a Node.js function whose role has an AWS managed
		// policy, which no role of sfprobe's has).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireResults"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(c.ResultsRetentionDays))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	if c.distributed() {
		path, err := writeTargetsObject(c)
		if err != nil {
			return nil, err
		}
		f.targetsPath = path
		f.Targets = awss3assets.NewAsset(group, jsii.String("Targets"), &awss3assets.AssetProps{Path: jsii.String(path)})
	}
	return f, nil
}

// writeTargetsObject writes the stack's default targets as a JSON array to
// a new temporary file, which the asset uploads as it is.
func writeTargetsObject(c Config) (string, error) {
	raw, err := json.Marshal(c.DefaultTargets())
	if err != nil {
		return "", fmt.Errorf("targetsFile: the targets object: %w", err)
	}
	dir, err := os.MkdirTemp("", "sfprobe-targets-")
	if err != nil {
		return "", fmt.Errorf("targetsFile: the targets object: %w", err)
	}
	path := filepath.Join(dir, "targets.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return "", fmt.Errorf("targetsFile: the targets object: %w", err)
	}
	return path, nil
}

// fleetSubstitutions are the Distributed Map's placeholders: the results
// bucket, EXPRESS children, and where the stack's targets are ("" for
// both at most 50 targets, which travel inline in DefaultTargets). f is
// nil for an EXPRESS stack, whose document has no Distributed Map.
func fleetSubstitutions(f *Fleet) map[string]Substitution {
	out := map[string]Substitution{
		workflow.ChildExecutionType:   {Value: WorkflowExpress},
		workflow.DefaultTargetsBucket: {Value: ""},
		workflow.DefaultTargetsKey:    {Value: ""},
		workflow.ResultsBucket:        {Value: ""},
	}
	if f == nil {
		return out
	}
	out[workflow.ResultsBucket] = Substitution{Value: *f.Bucket.BucketName()}
	if f.Targets != nil {
		out[workflow.DefaultTargetsBucket] = Substitution{Value: *f.Targets.S3BucketName()}
		out[workflow.DefaultTargetsKey] = Substitution{Value: *f.Targets.S3ObjectKey()}
	}
	return out
}

// publishStatements are publish-metrics' grants on the results bucket:
// Stage reads the stack's targets object and writes the run's targets to
// runs/<exec>/targets.json, a child writes its target's report
// (runs/<exec>/reports/<i>.json), the fleet summary reads them and writes
// runs/<exec>/fleet.json. It writes nothing outside runs/.
func (f *Fleet) publishStatements() []awsiam.PolicyStatement {
	if f == nil {
		return nil
	}
	out := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidReadWriteRunReports),
			Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
			Resources: jsii.Strings(*f.Bucket.ArnForObjects(jsii.String(resultsRunsPrefix + "*"))),
		}),
		// Without s3:ListBucket, S3 answers a GetObject of a missing key
		// with 403 instead of 404, and the summary could not tell a child
		// that wrote no report (unassessed) from a denied read. Not
		// narrowed by s3:prefix: that request carries no prefix.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidListRunReports),
			Actions:   jsii.Strings("s3:ListBucket"),
			Resources: jsii.Strings(*f.Bucket.BucketArn()),
		}),
	}
	if f.Targets != nil {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidReadTargetsObject),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{f.Targets.Bucket().ArnForObjects(f.Targets.S3ObjectKey())},
		}))
	}
	return out
}

// grantStateMachine gives the state machine's role what the Distributed
// Map needs (AWS's "IAM policies for using Distributed Map states"):
// starting its own children, describing and stopping them, reading the
// run's staged targets (the ItemReader: runs/<exec>/targets.json) and
// writing the ResultWriter's files under map-results/. Staging the run's targets there is publish-metrics' (Stage).
// The statements are a policy of their own, not the role's
// default policy: they name the state machine, which depends on that one.
func (f *Fleet) grantStateMachine(sm awsstepfunctions.StateMachine) awsiam.Policy {
	if f == nil {
		return nil
	}
	stack := awscdk.Stack_Of(sm)
	executions := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("states"),
		Resource:     jsii.String("execution"),
		ResourceName: jsii.String(*sm.StateMachineName() + ":*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidStartChildExecutions),
			Actions:   jsii.Strings("states:StartExecution"),
			Resources: &[]*string{sm.StateMachineArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidManageChildExecutions),
			Actions:   jsii.Strings("states:DescribeExecution", "states:StopExecution"),
			Resources: &[]*string{executions},
		}),
		// The ItemReader reads the run's staged targets, which
		// publish-metrics (Stage) wrote to runs/<exec>/targets.json.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidReadTargetsObject),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: jsii.Strings(*f.Bucket.ArnForObjects(jsii.String(inlineTargetsKeys))),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidWriteMapResults),
			Actions:   jsii.Strings("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"),
			Resources: jsii.Strings(*f.Bucket.ArnForObjects(jsii.String(resultsMapPrefix + "*"))),
		}),
	}
	return awsiam.NewPolicy(f.Group, jsii.String("StateMachinePolicy"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{sm.Role()},
		Statements: &statements,
	})
}

// addFleetNagSuppressions suppresses the AwsSolutions findings of the
// results bucket and its grants, each on its resource with its reason.
func addFleetNagSuppressions(m *Monitor) {
	f := m.Fleet
	if f == nil {
		return
	}
	suppress := func(construct any, id, reason string, appliesTo ...any) {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			at := append([]any(nil), appliesTo...)
			sup.AppliesTo = &at
		}
		cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
	}
	suppress(f.Bucket, "AwsSolutions-S1",
		"The results bucket holds sfprobe's own run reports, written and read only by this stack's roles and expired after resultsRetentionDays; server access logs would need a second bucket for what CloudTrail's S3 data events record on request.")
	suppress(m.fleetPolicy, "AwsSolutions-IAM5",
		"The Distributed Map's child executions are named at run time (execution:<state machine>:*, AWS's documented grant for a Distributed Map), a run's targets are keyed by its execution name (runs/*/targets.json) and the ResultWriter writes its files under its prefix (map-results/*): only this state machine's executions and this stack's results bucket.",
		regexAppliesTo(`^Resource::arn:[^:]+:states:[^:]+:\d{12}:execution:<[A-Za-z0-9]+\.Name>:\*$`),
		regexAppliesTo(`^Resource::<[A-Za-z0-9]+\.Arn>/(runs/\*/targets\.json|map-results/\*)$`))
	suppress(m.Functions.Roles[FnPublishMetrics], "AwsSolutions-IAM5",
		"A run's reports are keyed by its execution name (runs/<execution>/reports/<index>.json, runs/<execution>/fleet.json): publish-metrics reads and writes only under runs/ of this stack's results bucket.",
		regexAppliesTo(`^Resource::<[A-Za-z0-9]+\.Arn>/runs/\*$`))
}

// RunFailure's fleet metric (FleetRunSuccess, or Paused of a paused fleet
// run, Target = the stack's name) uses RunHealthExpression as a target's does.

// insightsQuery is a CloudWatch Metrics Insights query of fn(metric) over
// every series of the namespace with exactly the dimensions dims (and the
// where clause, if any).
func insightsQuery(c Config, fn, metric string, dims []string, where string) string {
	q := fmt.Sprintf(`SELECT %s(%s) FROM SCHEMA("%s", %s)`, fn, metric, c.MetricNamespace, strings.Join(dims, ", "))
	if where != "" {
		q += " WHERE " + where
	}
	return q
}

// addFleetAlarms adds the fleet's alarms instead of an alarm per target
// (alarmScope fleet, or auto above 50 targets). RunFailure keeps its
// meaning, a failed run of any target or no run at all: it watches
// FleetRunSuccess, which the fleet summary publishes per run as 0 when any
// target failed or has no report (unassessed), and missing data is
// breaching (the dead-man's switch: a fleet run that never summarized).
// The other per-target kinds become one Metrics Insights alarm each over
// every target's series in the namespace (one query instead of an alarm
// per target; a query sees every stack's targets in that namespace: give
// a fleet stack a metricNamespace of its own).
func addFleetAlarms(c Config, checks []string, period awscdk.Duration, add func(alarmSpec)) {
	m, n := c.runFailureMOfN()
	fleet := map[string]*string{metricname.DimTarget: jsii.String(c.maintenanceTarget())}
	metric := func(name, statistic string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(c.MetricNamespace), MetricName: jsii.String(name),
			DimensionsMap: &fleet, Statistic: jsii.String(statistic), Period: period,
		})
	}
	insights := func(query, label string, p awscdk.Duration) awscloudwatch.MathExpression {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(query), Label: jsii.String(label), Period: p,
		})
	}
	missing := awscloudwatch.TreatMissingData_BREACHING
	if c.Schedule == ScheduleOff {
		missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	const (
		gte = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
		gt  = awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
		lt  = awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	)
	notBreaching := awscloudwatch.TreatMissingData_NOT_BREACHING
	health := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(RunHealthExpression),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"success": metric(FleetRunSuccessMetric, "Minimum"),
			"paused":  metric(metricname.Paused, "Maximum"),
		},
		Label:  jsii.String("fleet run health (1 every target ok or paused, 0 a target failed or unassessed)"),
		Period: period,
	})
	target := []string{metricname.DimTarget}
	add(alarmSpec{kind: alarmname.RunFailure, metric: health, op: lt, threshold: 1, m: m, n: n, missing: missing})
	add(alarmSpec{kind: alarmname.RunLatency, metric: insights(insightsQuery(c, "MAX", metricname.RunDuration, target, ""), "slowest target's RunDuration", period),
		op: gt, threshold: float64(c.RunLatencyMs), m: m, n: n, missing: notBreaching})
	add(alarmSpec{kind: alarmname.CleanupFailure, metric: insights(insightsQuery(c, "SUM", metricname.CleanupFailure, target, ""), "cleanup failures, every target", period),
		op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
	add(alarmSpec{kind: alarmname.SalesforceApiRemaining, metric: insights(insightsQuery(c, "MIN", metricname.SalesforceApiRemaining, target, ""), "lowest org's API requests remaining %", awscdk.Duration_Hours(jsii.Number(1))),
		op: lt, threshold: float64(c.ApiRemainingAlarmPercent), m: 1, n: 1, missing: notBreaching})
	for _, ch := range checks {
		q := insightsQuery(c, "SUM", metricname.CheckFailure, []string{metricname.DimTarget, metricname.DimCheck}, fmt.Sprintf("%s = '%s'", metricname.DimCheck, ch))
		add(alarmSpec{kind: alarmname.CheckFailure, cid: ch, detail: ch, metric: insights(q, ch+" failures, every target", period),
			op: gte, threshold: 1, m: 1, n: 1, missing: notBreaching})
	}
}
