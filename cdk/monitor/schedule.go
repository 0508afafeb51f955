package monitor

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

// The schedules' execution inputs. The workflow reads an optional "scope":
// "salesforce" runs the Salesforce chain only, "aws" the AWS-side checks
// only; without it a run makes every check.
const (
	InputAllChecks  = `{}`
	InputSalesforce = `{"scope":"salesforce"}`
	InputAWS        = `{"scope":"aws"}`
)

// Schedule is the EventBridge Scheduler schedules and their dead-letter queue.
type Schedule struct {
	// Schedule starts a run on the schedule key: every check, or only the
	// Salesforce chain when Config is set.
	Schedule awsscheduler.Schedule
	// Config starts the AWS-side checks on configSchedule; nil when every
	// run makes every check.
	Config          awsscheduler.Schedule
	DeadLetterQueue awssqs.Queue
}

// NewSchedule starts the state machine on the configured schedule. With one
// cadence (configSchedule every-run, off or equal to schedule) one schedule
// starts every check (input {}: the stack's default targets). Otherwise the
// cheap Salesforce chain runs on schedule ({"scope":"salesforce"}) and the
// AWS-side checks, which cost Secrets Manager and KMS requests, on
// configSchedule ({"scope":"aws"}). A start Scheduler cannot deliver after
// its retries, or later than one cadence, lands in the encrypted, SSL-only
// dead-letter queue: a stale run is worth less than the next one. It
// returns nil for schedule "off".
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
	schedule := func(cid, expr, input, what string, maxAge time.Duration) awsscheduler.Schedule {
		maxAge = min(max(maxAge, time.Minute), 24*time.Hour)
		target := awsschedulertargets.NewStepFunctionsStartExecution(sm, &awsschedulertargets.ScheduleTargetBaseProps{
			Input:           awsscheduler.ScheduleTargetInput_FromText(jsii.String(input)),
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(ScheduleRetryAttempts),
			MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(maxAge.Seconds())),
		})
		props := &awsscheduler.ScheduleProps{
			Description: jsii.String("sfprobe " + c.StackName + ": " + what + " of " + c.summary()),
			Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(expr), nil),
			Target:      target,
		}
		if w := c.jitter(maxAge); w > 0 {
			props.TimeWindow = awsscheduler.TimeWindow_Flexible(awscdk.Duration_Minutes(jsii.Number(w.Minutes())))
		}
		return awsscheduler.NewSchedule(group, jsii.String(cid), props)
	}
	out := &Schedule{DeadLetterQueue: dlq}
	if !c.splitSchedules() {
		out.Schedule = schedule("Schedule", c.Schedule, InputAllChecks, "probes every check", c.alarmPeriod())
		return out
	}
	out.Schedule = schedule("Schedule", c.Schedule, InputSalesforce, "probes the Salesforce chain", c.alarmPeriod())
	every, _ := parseSchedule("configSchedule", c.ConfigSchedule, "")
	if every == 0 {
		every = c.alarmPeriod() // a cron(...) configSchedule
	}
	out.Config = schedule("ConfigSchedule", c.ConfigSchedule, InputAWS, "probes the AWS-side checks", every)
	return out
}

// scheduleSummary says when the checks run, for the dashboard.
func (c Config) scheduleSummary() string {
	switch {
	case c.Schedule == ScheduleOff:
		return "no schedule"
	case c.splitSchedules():
		return "Salesforce chain `" + c.Schedule + "`, AWS-side checks `" + c.ConfigSchedule + "`"
	default:
		return "schedule `" + c.Schedule + "`"
	}
}

// jitter is a fleet stack's flexible time window for a schedule of cadence
// every: a fifth of it, in whole minutes (none below 5 minutes). Fleet
// stacks of one account or org then start at spread times instead of all
// on the minute. A run then comes 0.8 to 1.2 cadences after the one
// before, so an alarm period may see none, but never two periods in a row:
// RunFailure's M/N with M >= 2 (default 2/3) does not fire on it; with
// M = 1 it would, so that stack gets no window.
func (c Config) jitter(every time.Duration) time.Duration {
	if m, _ := c.runFailureMOfN(); !c.distributed() || m < 2 {
		return 0
	}
	return (every / 5).Truncate(time.Minute)
}
