// Package monitor is sfprobe as a CDK construct: NewMonitor builds, inside
// any stack, what the ready app in cdk/ deploys (the functions, the one
// workflow definition, the schedules, the alarms, the paging topic or a
// given one, the dashboard, the pause switch and the deploy gate), from
// typed props validated as the app's context keys are. NewStack is the
// ready app's stack: a stack pinned to the target's account and region
// holding one monitor. It is the only package besides cdk/ itself that
// imports awscdk.
package monitor

import (
	"errors"
	"os"
	"reflect"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// PauseResumed is the pause parameter's initial value: running (the value
// sfprobe resume writes).
const PauseResumed = `{"paused":false}`

// MonitorProps configure NewMonitor.
type MonitorProps struct {
	// Config holds the settings the app reads from its context keys, one
	// field per key (docs/DEPLOY.md). Start from DefaultConfig(): a field
	// left empty (a string, or a number 0) takes its default, but a bool is
	// taken as given (Dashboard false: no dashboard). Config.StackName
	// names the monitor's resources (alarm, dashboard, log group and
	// parameter names); empty: "<stack name>-<id>", so that two monitors
	// in one stack do not clash. Config.WorkflowType left empty is
	// STANDARD above 50 targets, EXPRESS otherwise (DefaultConfig's
	// EXPRESS is taken as given, and refused above 50 targets).
	Config Config
	// Topic is an existing topic for the paging alarm (your on-call's);
	// nil: the monitor creates one with its own key, or
	// Config.TopicKmsKeyArn's. A given topic must let CloudWatch alarms of
	// this account publish and, when encrypted, its key must let
	// cloudwatch.amazonaws.com use it (docs/DEPLOY.md).
	Topic awssns.ITopic
	// DeploySalt, with Config.DeployGate, is the trigger's value that
	// changes with every synthesis so that every deploy runs the gate;
	// empty: the synthesis time. Tests fix it.
	DeploySalt string
}

// Monitor is sfprobe inside a stack. Wire to StateMachine (start runs),
// Topic (subscribe on-call), PagingAlarm (your own paging), DeployGate
// (make its Trigger depend on your sfInvokeAPI deployment:
// DeployGate.Trigger.ExecuteAfter(yourConstruct)) and Roles (the
// functions' roles, by function name).
type Monitor struct {
	constructs.Construct
	Functions     *Functions
	Workflow      *Workflow
	Schedule      *Schedule // nil for schedule "off"
	Alarms        *Alarms
	Notifications *Notifications
	Dashboard     awscloudwatch.Dashboard // nil without Config.Dashboard
	// PauseParameter is the pause switch the workflow reads first
	// (sfprobe pause / sfprobe resume write it).
	PauseParameter awsssm.StringParameter
	// DeployGate runs the workflow after each deploy; nil unless
	// Config.DeployGate.
	DeployGate *DeployGate
	// Fleet is the results bucket and, above 50 targets, the targets
	// object; nil for an EXPRESS stack.
	Fleet *Fleet

	// StateMachine is the workflow's state machine (Workflow.StateMachine).
	StateMachine awsstepfunctions.StateMachine
	// Topic is the paging topic: the given one or the monitor's own.
	Topic awssns.ITopic
	// PagingAlarm is the composite alarm that notifies Topic.
	PagingAlarm awscloudwatch.CompositeAlarm
	// Roles are the functions' execution roles, keyed by function name
	// (FnCheckConfig, ...; FnDeployGate with the deploy gate).
	Roles map[string]awsiam.Role

	cfg Config
	// fleetPolicy is the state machine's Distributed Map grants.
	fleetPolicy awsiam.Policy
}

// config is the validated configuration the monitor was made from.
func (m *Monitor) config() Config { return m.cfg }

// The monitor's outputs (CfnOutput ids).
const (
	OutputStateMachineArn   = "StateMachineArn"
	OutputTopicArn          = "TopicArn"
	OutputDashboardName     = "DashboardName"
	OutputPauseParameter    = "PauseParameterName"
	OutputDeadLetterQueue   = "ScheduleDeadLetterQueueUrl"
	OutputPagingAlarmName   = "PagingAlarmName"
	OutputMaintenanceMetric = "MaintenanceWindowMetric"
	// OutputResultsBucket names the results bucket (STANDARD stacks only).
	OutputResultsBucket = "ResultsBucketName"
)

// gateAfter is what the deploy gate runs after: everything a run uses.
func (m *Monitor) gateAfter() []constructs.Construct {
	after := []constructs.Construct{m.Functions.Group, m.Workflow.Group, m.PauseParameter, m.Alarms.Group}
	if m.Fleet != nil {
		after = append(after, m.Fleet.Group)
	}
	return after
}

// NewMonitor validates props, then creates the monitor in scope (a stack,
// or a construct in one): the four functions, the state machine, the
// schedules, the alarms, the paging topic (unless props.Topic), the
// dashboard, the pause parameter and, with Config.DeployGate, the deploy
// gate, with the stack outputs that name them. Nothing is created when the
// props are invalid: every error names its prop (Config.TestPhone, ...)
// and the context key the app reads it from. The prebuilt bootstraps must
// be in Config.AssetRoot (default dist/, make build).
//
// An id of "Default" keeps the construct out of the resources' logical
// ids: the ready app uses it, so its template is what it was before the
// construct existed.
func NewMonitor(scope constructs.Construct, id string, props *MonitorProps) (*Monitor, error) {
	if props == nil {
		props = &MonitorProps{Config: DefaultConfig()}
	}
	c, err := propsConfig(scope, id, props.Config)
	if err != nil {
		return nil, err
	}
	return newMonitor(scope, id, c, props)
}

// newMonitor builds the monitor from a validated configuration.
func newMonitor(scope constructs.Construct, id string, c Config, props *MonitorProps) (*Monitor, error) {
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
	node := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitor{Construct: node, cfg: c}

	if m.Fleet, err = NewFleet(node, "Fleet", c); err != nil {
		return nil, err
	}
	if st := m.Fleet.publishStatements(); len(st) > 0 {
		p := policies[FnPublishMetrics]
		p.Inline = append(p.Inline, st...)
		policies[FnPublishMetrics] = p
	}
	if m.Functions, err = NewFunctions(node, "Functions", &FunctionsProps{Config: c, Policies: policies}); err != nil {
		return nil, err
	}
	pauseName := "/sfprobe/" + c.StackName + "/paused"
	m.PauseParameter = awsssm.NewStringParameter(node, jsii.String("PauseParameter"), &awsssm.StringParameterProps{
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
				Resources: jsii.Strings(*m.PauseParameter.ParameterArn()),
			})},
		},
	}
	for k, v := range fleetSubstitutions(m.Fleet) {
		extra[k] = v
	}
	if m.Workflow, err = NewWorkflow(node, "Workflow", &WorkflowProps{Config: c, Functions: m.Functions, Extra: extra}); err != nil {
		return nil, err
	}
	m.fleetPolicy = m.Fleet.grantStateMachine(m.Workflow.StateMachine)
	m.Schedule = NewSchedule(node, "Schedule", c, m.Workflow.StateMachine)
	m.Notifications = NewNotifications(node, "Notifications", c, props.Topic)
	m.Alarms = NewAlarms(node, "Alarms", &AlarmsProps{
		Config: c, Functions: m.Functions, Workflow: m.Workflow, Topic: m.Notifications.Topic, Checks: checks,
	})
	if c.Dashboard {
		m.Dashboard = NewDashboard(node, "Dashboard", &DashboardProps{
			Config: c, Workflow: m.Workflow, Functions: m.Functions, Alarms: m.Alarms, Checks: checks,
		})
	}
	if c.DeployGate {
		m.DeployGate = NewDeployGate(node, "DeployGate", &DeployGateProps{
			Config: c, StateMachine: m.Workflow.StateMachine, Salt: props.DeploySalt,
			After: m.gateAfter(),
		})
	}
	m.StateMachine = m.Workflow.StateMachine
	m.Topic = m.Notifications.Topic
	m.PagingAlarm = m.Alarms.Paging
	m.Roles = map[string]awsiam.Role{}
	for name, r := range m.Functions.Roles {
		m.Roles[name] = r
	}
	if m.DeployGate != nil {
		m.Roles[FnDeployGate] = m.DeployGate.Role
	}
	addNagSuppressions(m)
	addFleetNagSuppressions(m)

	output := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(node, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	output(OutputStateMachineArn, m.Workflow.StateMachine.StateMachineArn(), "the state machine: start an execution with no input to probe the default target")
	output(OutputTopicArn, m.Notifications.Topic.TopicArn(), "the paging topic: subscribe on-call here")
	if m.Dashboard != nil {
		output(OutputDashboardName, m.Dashboard.DashboardName(), "the CloudWatch dashboard")
	}
	output(OutputPagingAlarmName, m.Alarms.Paging.AlarmName(), "the composite alarm that notifies the topic")
	output(OutputPauseParameter, jsii.String(pauseName), "the pause switch: sfprobe pause --parameter <name>")
	output(OutputMaintenanceMetric, jsii.String(c.MetricNamespace+" "+MaintenanceWindowMetric+" Target="+c.maintenanceTarget()),
		"put 1 each minute during a change of the target to suppress paging")
	if m.Fleet != nil {
		output(OutputResultsBucket, m.Fleet.Bucket.BucketName(), "the results bucket: runs/<execution name>/fleet.json is a fleet run's full report (sfprobe start reads it)")
	}
	if m.Schedule != nil {
		output(OutputDeadLetterQueue, m.Schedule.DeadLetterQueue.QueueUrl(), "starts the schedule could not deliver")
	}
	return m, nil
}

// propsConfig fills c's empty fields with the defaults (the monitor's name
// from the stack and id), reads Config.TargetsFile unless Config.Targets
// are given, and validates the result; each error names its prop.
func propsConfig(scope constructs.Construct, id string, c Config) (Config, error) {
	named := c.StackName != ""
	typeGiven := c.WorkflowType != ""
	def := DefaultConfig()
	cv, dv := reflect.ValueOf(&c).Elem(), reflect.ValueOf(def)
	for i := 0; i < cv.NumField(); i++ {
		if f := cv.Field(i); f.Kind() != reflect.Bool && f.CanSet() && f.IsZero() {
			f.Set(dv.Field(i))
		}
	}
	if !named {
		if name := defaultName(scope, id); name != "" {
			c.StackName = name
		}
	}
	if c.TargetsFile != "" && len(c.Targets) == 0 {
		entries, err := loadTargets(c.TargetsFile, os.ReadFile)
		if err != nil {
			return c, propErrors(err)
		}
		c.Targets = entries
	}
	c.fleetDefaults(typeGiven)
	return c, propErrors(c.Validate())
}

// defaultName is "<stack name>-<id>", or "" when the stack's name is not
// known at synthesis (a token) or id is "Default".
func defaultName(scope constructs.Construct, id string) string {
	if id == constructsDefaultID {
		return ""
	}
	name := *awscdk.Stack_Of(scope).StackName()
	if strings.Contains(name, "${Token[") {
		return ""
	}
	return name + "-" + id
}

// constructsDefaultID is the construct id CDK leaves out of logical ids.
const constructsDefaultID = "Default"

// propKeys maps each context key to its Config field's name.
var propKeys = func() map[string]string {
	t := reflect.TypeOf(Config{})
	out := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		if k := t.Field(i).Tag.Get("json"); k != "-" {
			out[k] = t.Field(i).Name
		}
	}
	return out
}()

// propErrors renames each *validate.FieldError's field from its context key
// (targetFunctionArn) to the prop (Config.TargetFunctionArn
// (targetFunctionArn)); a targets file's field paths keep their
// "targetsFile: ..." tail.
func propErrors(err error) error {
	if err == nil {
		return nil
	}
	var fe *validate.FieldError
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, propErrors(e))
		}
		return errors.Join(out...)
	}
	if errors.As(err, &fe) && fe == err {
		key, rest, _ := strings.Cut(fe.Field, ".")
		key, idx, _ := strings.Cut(key, "[")
		if name, ok := propKeys[key]; ok {
			field := "Config." + name + " (" + key + ")"
			if idx != "" {
				field += "[" + idx
			}
			if rest != "" {
				field += "." + rest
			}
			return &validate.FieldError{Field: field, Msg: fe.Msg}
		}
	}
	return err
}

// StackProps are the ready app's stack's props: CDK's, and sfprobe's
// Config (already validated by ConfigFrom, or validated here).
type StackProps struct {
	awscdk.StackProps
	Config Config
	// DeploySalt is MonitorProps.DeploySalt.
	DeploySalt string
}

// Stack is the ready app's stack: one monitor, id "Default".
type Stack struct {
	awscdk.Stack
	*Monitor
}

// NewStack validates props.Config (errors name the context keys, as the
// app reads them), then creates a stack holding one monitor. Without
// props.Env the stack is pinned to the account and region of the target
// function, or of a targets file's first (the CLI then refuses credentials
// for another account); the other targets may be in other regions and
// accounts. Nothing is created when the configuration is invalid.
func NewStack(scope constructs.Construct, id string, props *StackProps) (*Stack, error) {
	c := props.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkAssets(c); err != nil {
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
	m, err := newMonitor(stack, constructsDefaultID, c, &MonitorProps{Config: c, DeploySalt: props.DeploySalt})
	if err != nil {
		return nil, err
	}
	return &Stack{Stack: stack, Monitor: m}, nil
}
