package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ScheduleRetryAttempts is how often Scheduler retries a failed StartExecution.
const ScheduleRetryAttempts = 3

// Schedule is the EventBridge Scheduler schedule and its dead-letter queue.
type Schedule struct {
	Schedule        awsscheduler.Schedule
	DeadLetterQueue awssqs.Queue
}

// NewSchedule starts the state machine on the configured schedule with an
// empty input ({}: the workflow then probes the stack's default target). A
// start Scheduler cannot deliver after its retries, or later than one
// cadence, lands in the encrypted, SSL-only dead-letter queue: a stale
// run is worth less than the next one. It returns nil for schedule "off".
func NewSchedule(scope constructs.Construct, id string, c Config, sm awsstepfunctions.IStateMachine) *Schedule {
	if c.Schedule == ScheduleOff {
		return nil
	}
	group := constructs.NewConstruct(scope, jsii.String(id))
	dlq := awssqs.NewQueue(group, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	maxAge := c.alarmPeriod()
	if maxAge < time.Minute {
		maxAge = time.Minute
	}
	if maxAge > 24*time.Hour {
		maxAge = 24 * time.Hour
	}
	target := awsschedulertargets.NewStepFunctionsStartExecution(sm, &awsschedulertargets.ScheduleTargetBaseProps{
		Input:           awsscheduler.ScheduleTargetInput_FromText(jsii.String("{}")),
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(ScheduleRetryAttempts),
		MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(maxAge.Seconds())),
	})
	s := awsscheduler.NewSchedule(group, jsii.String("Schedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String("sfprobe " + c.StackName + ": probes " + c.Label()),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(c.Schedule), nil),
		Target:      target,
	})
	return &Schedule{Schedule: s, DeadLetterQueue: dlq}
}
