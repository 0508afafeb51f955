package monitor

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/triggers"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/gate"
)

// FnDeployGate is the deploy gate's function (functions/deploy-gate).
const FnDeployGate = "deploy-gate"

// The deploy gate's timeouts: the function outlives the longest run (the
// workflow's TimeoutSeconds, 280 s), and the trigger waits longer than
// the function, so a run that fails still fails the deploy with its own
// message rather than the trigger's timeout.
const (
	DeployGateTimeoutSeconds = 300
	TriggerTimeoutSeconds    = 360
)

// The Sids of the deploy gate's statements.
const (
	SidRunWorkflow       = "RunWorkflowOnce"
	SidReadGateExecution = "ReadOwnExecutions"
	SidReadStackStatus   = "ReadStackStatus"
)

// DeployGateSaltProperty is the trigger's property that changes with every
// synthesis, so that every deploy runs the gate.
const DeployGateSaltProperty = "DeploySalt"

// DeployGateProps configures NewDeployGate.
type DeployGateProps struct {
	Config       Config
	StateMachine awsstepfunctions.StateMachine
	// After are the scopes whose resources must exist before the run: the
	// functions, the workflow, the pause parameter, the alarms.
	After []constructs.Construct
	// Salt is the value of DeployGateSaltProperty.
	Salt string
}

// DeployGate is the function that runs the workflow once and the CDK
// trigger that invokes it as the deploy's last step.
type DeployGate struct {
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
	Trigger  triggers.Trigger
}

// NewDeployGate creates the deploy gate. The trigger invokes the function
// synchronously after every scope of props.After is deployed; when the
// function fails (the run failed) the trigger's custom resource fails and
// so does the deploy, with the function's error message (the failed checks,
// their classes and the execution's console URL) as the reason.
//
// When it runs: the trigger is a custom resource whose provider invokes the
// handler on Create and on every Update (unless executeOnHandlerChange is
// false); CloudFormation updates it only when one of its properties
// changes. Its HandlerArn is the handler's current version, which changes
// only with the function's code or configuration: alone, the gate would run
// on the first deploy and after changes to the gate itself. The triggers
// module's README plans "executeOnEveryDeployment: re-executes every time
// the stack is deployed (add random "salt" during synthesis)"; until it
// exists we do exactly that: DeployGateSaltProperty holds a value that
// changes with every synthesis (the synthesis time by default), so every
// deploy updates the custom resource and runs the gate. The cost: the
// template is never unchanged, so cdk diff always shows the trigger and
// cdk deploy never reports "no changes" while the gate is on.
func NewDeployGate(scope constructs.Construct, id string, props *DeployGateProps) *DeployGate {
	c := props.Config
	group := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(scope)
	sm := props.StateMachine
	statement := func(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
		})
	}
	var statements []awsiam.PolicyStatement
	if c.WorkflowType == WorkflowExpress {
		statements = append(statements, statement(SidRunWorkflow, []string{"states:StartSyncExecution"}, *sm.StateMachineArn()))
	} else {
		// Only the executions the gate starts: their names begin with its prefix.
		executions := stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("states"),
			Resource:     jsii.String("execution"),
			ResourceName: jsii.String(*sm.StateMachineName() + ":" + gate.ExecutionPrefix + "*"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
		statements = append(statements,
			statement(SidRunWorkflow, []string{"states:StartExecution"}, *sm.StateMachineArn()),
			statement(SidReadGateExecution, []string{"states:DescribeExecution", "states:GetExecutionHistory"}, *executions))
	}
	statements = append(statements, statement(SidReadStackStatus, []string{"cloudformation:DescribeStacks"}, *stack.StackId()))

	fn, role, logs := newFunction(group, c, functionSpec{
		name:           FnDeployGate,
		description:    "runs the workflow once after each deploy and fails the deploy when the run fails",
		timeoutSeconds: DeployGateTimeoutSeconds,
		env: map[string]*string{
			gate.EnvStateMachineArn: sm.StateMachineArn(),
			gate.EnvWorkflowType:    jsii.String(c.WorkflowType),
			gate.EnvStackID:         stack.StackId(),
		},
		statements: statements,
	})
	trigger := triggers.NewTrigger(group, jsii.String("Trigger"), &triggers.TriggerProps{
		Handler:                fn,
		InvocationType:         triggers.InvocationType_REQUEST_RESPONSE,
		Timeout:                awscdk.Duration_Seconds(jsii.Number(TriggerTimeoutSeconds)),
		ExecuteOnHandlerChange: jsii.Bool(true),
		ExecuteAfter:           &props.After,
	})
	salt := props.Salt
	if salt == "" {
		salt = time.Now().UTC().Format(time.RFC3339Nano)
	}
	// Trigger → its CustomResource ("Default") → the CfnResource ("Default").
	trigger.Node().DefaultChild().Node().DefaultChild().(awscdk.CfnResource).
		AddPropertyOverride(jsii.String(DeployGateSaltProperty), salt)
	return &DeployGate{Function: fn, Role: role, LogGroup: logs, Trigger: trigger}
}
