package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/workflow"
)

// PauseResumed is the pause parameter's initial value: running (the value
// sfprobe resume writes).
const PauseResumed = `{"paused":false}`

// SfprobeStackProps are the stack's props: CDK's, and sfprobe's Config.
type SfprobeStackProps struct {
	awscdk.StackProps
	Config Config
	// DeploySalt, with deployGate, is the trigger's value that changes with
	// every synthesis so that every deploy runs the gate; empty: the
	// synthesis time. Tests fix it.
	DeploySalt string
}

// SfprobeStack probes one sfInvokeAPI deployment, or the targets of a
// targets file, on a schedule.
type SfprobeStack struct {
	awscdk.Stack
	Functions     *Functions
	Workflow      *Workflow
	Schedule      *Schedule // nil for schedule "off"
	Alarms        *Alarms
	Notifications *Notifications
	Dashboard     awscloudwatch.Dashboard
	// PauseParameter is the pause switch the workflow reads first
	// (sfprobe pause / sfprobe resume write it).
	PauseParameter awsssm.StringParameter
	// DeployGate runs the workflow after each deploy; nil unless deployGate.
	DeployGate *DeployGate

	cfg Config
}

// config is the validated configuration the stack was made from.
func (s *SfprobeStack) config() Config { return s.cfg }

// The stack's outputs.
const (
	OutputStateMachineArn   = "StateMachineArn"
	OutputTopicArn          = "TopicArn"
	OutputDashboardName     = "DashboardName"
	OutputPauseParameter    = "PauseParameterName"
	OutputDeadLetterQueue   = "ScheduleDeadLetterQueueUrl"
	OutputPagingAlarmName   = "PagingAlarmName"
	OutputMaintenanceMetric = "MaintenanceWindowMetric"
)

// NewSfprobeStack validates props.Config, then creates the stack: the four
// functions, the state machine, the schedules, the alarms, the paging topic,
// the dashboard, the pause parameter and, with deployGate, the deploy gate.
// Without props.Env the stack is pinned to the account and region of the
// target function, or of a targets file's first (the CLI then refuses
// credentials for another account); the other targets may be in other
// regions and accounts. Nothing is created when the configuration is
// invalid.
func NewSfprobeStack(scope constructs.Construct, id string, props *SfprobeStackProps) (*SfprobeStack, error) {
	c := props.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkAssets(c); err != nil {
		return nil, err
	}
	checks, err := Checks()
	if err != nil {
		return nil, err
	}
	policies, err := FunctionPolicies(c)
	if err != nil {
		return nil, err
	}
	sprops := props.StackProps
	if sprops.Env == nil {
		sprops.Env = &awscdk.Environment{
			Account: jsii.String(c.account()),
			Region:  jsii.String(c.region()),
		}
	}
	if sprops.StackName == nil {
		sprops.StackName = jsii.String(c.StackName)
	}
	if sprops.Description == nil {
		sprops.Description = jsii.String("sfprobe: scheduled health check of the Amazon Connect Salesforce function " + c.summary())
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sprops)
	s := &SfprobeStack{Stack: stack, cfg: c}

	if s.Functions, err = NewFunctions(stack, "Functions", &FunctionsProps{Config: c, Policies: policies}); err != nil {
		return nil, err
	}
	pauseName := "/sfprobe/" + c.StackName + "/paused"
	s.PauseParameter = awsssm.NewStringParameter(stack, jsii.String("PauseParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(pauseName),
		StringValue:   jsii.String(PauseResumed),
		Description:   jsii.String(`sfprobe pause switch: {"paused": true} skips the scheduled runs (sfprobe pause / sfprobe resume)`),
	})
	extra := map[string]Substitution{
		workflow.PauseParameterName: {
			Value: pauseName,
			Statements: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String(SidReadPauseParameter),
				Actions:   jsii.Strings("ssm:GetParameter"),
				Resources: jsii.Strings(*s.PauseParameter.ParameterArn()),
			})},
		},
	}
	if s.Workflow, err = NewWorkflow(stack, "Workflow", &WorkflowProps{Config: c, Functions: s.Functions, Extra: extra}); err != nil {
		return nil, err
	}
	s.Schedule = NewSchedule(stack, "Schedule", c, s.Workflow.StateMachine)
	s.Notifications = NewNotifications(stack, "Notifications", c)
	s.Alarms = NewAlarms(stack, "Alarms", &AlarmsProps{
		Config: c, Functions: s.Functions, Workflow: s.Workflow, Topic: s.Notifications.Topic, Checks: checks,
	})
	if c.Dashboard {
		s.Dashboard = NewDashboard(stack, "Dashboard", &DashboardProps{
			Config: c, Workflow: s.Workflow, Functions: s.Functions, Alarms: s.Alarms, Checks: checks,
		})
	}
	if c.DeployGate {
		s.DeployGate = NewDeployGate(stack, "DeployGate", &DeployGateProps{
			Config: c, StateMachine: s.Workflow.StateMachine, Salt: props.DeploySalt,
			After: []constructs.Construct{s.Functions.Group, s.Workflow.Group, s.PauseParameter, s.Alarms.Group},
		})
	}
	addNagSuppressions(s)

	output := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	output(OutputStateMachineArn, s.Workflow.StateMachine.StateMachineArn(), "the state machine: start an execution with no input to probe the default target")
	output(OutputTopicArn, s.Notifications.Topic.TopicArn(), "the paging topic: subscribe on-call here")
	if s.Dashboard != nil {
		output(OutputDashboardName, s.Dashboard.DashboardName(), "the CloudWatch dashboard")
	}
	output(OutputPagingAlarmName, s.Alarms.Paging.AlarmName(), "the composite alarm that notifies the topic")
	output(OutputPauseParameter, jsii.String(pauseName), "the pause switch: sfprobe pause --parameter <name>")
	output(OutputMaintenanceMetric, jsii.String(c.MetricNamespace+" "+MaintenanceWindowMetric+" Target="+c.maintenanceTarget()),
		"put 1 each minute during a change of the target to suppress paging")
	if s.Schedule != nil {
		output(OutputDeadLetterQueue, s.Schedule.DeadLetterQueue.QueueUrl(), "starts the schedule could not deliver")
	}
	return s, nil
}
