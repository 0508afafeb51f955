package main

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// addNagSuppressions suppresses the AwsSolutions findings sfprobe accepts,
// each on its own resource, for the named finding only, with the reason.
func addNagSuppressions(s *SfprobeStack) {
	suppress := func(construct any, id, reason string, appliesTo ...string) {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
		if len(appliesTo) > 0 {
			at := make([]any, len(appliesTo))
			for i, a := range appliesTo {
				at[i] = a
			}
			sup.AppliesTo = &at
		}
		cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
	}
	c := s.Functions
	qualifiers := "Resource::" + s.config().targetBaseArn() + ":*"
	for _, name := range []string{FnCheckConfig, FnCheckSalesforce, FnCleanup} {
		suppress(c.Roles[name], "AwsSolutions-IAM5",
			"The target function's qualifiers (versions and aliases): the checks call sfInvokeAPI by the reference configured, which may be qualified. No other function matches.",
			qualifiers)
	}
	suppress(c.Roles[FnPublishMetrics], "AwsSolutions-IAM5",
		"cloudwatch:PutMetricData supports no resource-level permissions; the statement's cloudwatch:namespace condition limits it to sfprobe's namespace.",
		"Resource::*")
	suppress(s.Workflow.StateMachine.Role(), "AwsSolutions-IAM5",
		"Added by CDK for X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and log delivery (logs:CreateLogDelivery and related): these APIs support no resource-level permissions. Lambda invocation is granted on the four function ARNs only.",
		"Resource::*")
	if s.Schedule != nil {
		suppress(s.Schedule.DeadLetterQueue, "AwsSolutions-SQS3",
			"This queue is the EventBridge Scheduler schedule's dead-letter queue; a DLQ needs no DLQ of its own.")
	}
}
