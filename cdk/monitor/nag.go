package monitor

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/gate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// regexAppliesTo matches a finding's resource by an ECMAScript regex, for
// resources whose text holds a logical id.
func regexAppliesTo(re string) cdknag.RegexAppliesTo {
	return cdknag.RegexAppliesTo{Regex: jsii.String("/" + re + "/")}
}

// addNagSuppressions suppresses the AwsSolutions findings sfprobe accepts,
// each on its own resource, for the named finding only, with the reason.
func addNagSuppressions(s *Monitor) {
	suppress := func(construct any, id, reason string, appliesTo ...any) {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			at := append([]any(nil), appliesTo...)
			sup.AppliesTo = &at
		}
		cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
	}
	c := s.Functions
	cfg := s.config()
	// The targets reached through their role_arn have no grant here.
	var direct []check.Target
	for _, t := range cfg.DefaultTargets() {
		if t.RoleARN == "" {
			direct = append(direct, t)
		}
	}
	var qualifiers []any
	for _, t := range direct {
		qualifiers = append(qualifiers, "Resource::"+baseArn(t.Function)+":*")
	}
	for _, name := range []string{FnCheckConfig, FnCheckSalesforce, FnCleanup} {
		if len(qualifiers) == 0 {
			break
		}
		// On the role and its children: the targets' managed policies too.
		suppress(c.Roles[name], "AwsSolutions-IAM5",
			"The target functions' qualifiers (versions and aliases): the checks call sfInvokeAPI by the reference configured, which may be qualified. No other function matches.",
			qualifiers...)
	}
	var flows []any
	for _, t := range direct {
		if t.ConnectInstanceARN != "" {
			flows = append(flows, "Resource::"+t.ConnectInstanceARN+"/contact-flow/*", "Resource::"+t.ConnectInstanceARN+"/flow-module/*")
		}
	}
	if len(flows) > 0 {
		suppress(c.Roles[FnCheckConfig], "AwsSolutions-IAM5",
			"The named Connect instances' contact flows and flow modules: ConnectAccess reads every flow that may invoke sfInvokeAPI (ListContactFlows, then DescribeContactFlow/DescribeContactFlowModule per flow), and flows are created in the Connect console after the deploy. No other instance's flows match.",
			flows...)
	}
	if subnets, _ := cfg.vpcIDs(); len(subnets) > 0 {
		for _, wf := range workflow.Functions {
			suppress(c.Roles[wf.Name], "AwsSolutions-IAM5",
				"The functions run in the VPC of vpcSubnetIds: Lambda manages their network interfaces with ec2:CreateNetworkInterface and related actions (AWSLambdaVPCAccessExecutionRole's), which support no resource-level permissions.",
				"Resource::*")
		}
	}
	if cfg.MetricsTransport == MetricsAPI {
		suppress(c.Roles[FnPublishMetrics], "AwsSolutions-IAM5",
			"cloudwatch:PutMetricData supports no resource-level permissions; the statement's cloudwatch:namespace condition limits it to sfprobe's namespace.",
			"Resource::*")
	}
	var star []string
	if cfg.Tracing {
		star = append(star, "X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets)")
	}
	if s.Workflow.LogGroup != nil {
		star = append(star, "log delivery (logs:CreateLogDelivery and related)")
	}
	if len(star) > 0 {
		suppress(s.Workflow.StateMachine.Role(), "AwsSolutions-IAM5",
			"Added by CDK for "+strings.Join(star, " and ")+": these APIs support no resource-level permissions. Lambda invocation is granted on the four function ARNs only.",
			"Resource::*")
	}
	if cfg.WorkflowLogLevel != string(awsstepfunctions.LogLevel_ALL) {
		suppress(s.Workflow.StateMachine, "AwsSolutions-SF1",
			"workflowLogLevel is "+cfg.WorkflowLogLevel+" to keep a probe within its cost budget: ERROR (the default) logs the events of failed executions only, so a healthy run writes nothing; the run's report is in its output and metrics, and -c workflowLogLevel=ALL logs every event. Execution data is excluded at every level (payloads hold the test phone).")
	}
	if !cfg.Tracing {
		suppress(s.Workflow.StateMachine, "AwsSolutions-SF2",
			"X-Ray tracing is opt-in (-c tracing=true, $5 per million traces): every run's per-check durations and failures are in its report, logs and metrics; trace while debugging.")
	}
	if g := s.DeployGate; g != nil {
		if cfg.WorkflowType == WorkflowStandard {
			suppress(g.Role, "AwsSolutions-IAM5",
				"Execution ARNs are made at run time: the statement covers only this state machine's executions whose names start with the gate's prefix ("+gate.ExecutionPrefix+"), which the gate starts itself.",
				regexAppliesTo(`^Resource::arn:[^:]+:states:[^:]+:\d{12}:execution:<[A-Za-z0-9]+\.Name>:`+gate.ExecutionPrefix+`\*$`))
		}
	}
	if s.Schedule != nil {
		suppress(s.Schedule.DeadLetterQueue, "AwsSolutions-SQS3",
			"This queue is the EventBridge Scheduler schedule's dead-letter queue; a DLQ needs no DLQ of its own.")
	}
}
