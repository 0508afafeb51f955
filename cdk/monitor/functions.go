package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The functions' names (their directories under functions/ and dist/).
const (
	FnCheckConfig     = "check-config"
	FnCheckSalesforce = "check-salesforce"
	FnCleanup         = "cleanup"
	FnPublishMetrics  = "publish-metrics"
)

// FunctionTimeouts are the Lambda timeouts in seconds, each below the
// TimeoutSeconds of every Task of the workflow that invokes the function
// (check-config 60, check-salesforce 55, cleanup 45, publish-metrics 60
// and, as the pause gate, 26). Cleanup's is short so that it always ends
// within the execution's timeout (the arithmetic is in the definition's
// Comment, checked by internal/workflow's TestCleanupFitsTheExecutionTimeout).
var FunctionTimeouts = map[string]float64{
	FnCheckConfig:     30,
	FnCheckSalesforce: 50,
	FnCleanup:         40,
	FnPublishMetrics:  25,
}

// SidVpcNetworkInterfaces is the statement that lets a function in a VPC
// manage its network interfaces.
const SidVpcNetworkInterfaces = "VpcNetworkInterfaces"

// FunctionMemoryMB is every function's memory: they wait on the network.
const FunctionMemoryMB = 128

// CallTimeout is SFPROBE_CALL_TIMEOUT: the limit of one call of the target.
const CallTimeout = "15s"

// FunctionsProps configures NewFunctions.
type FunctionsProps struct {
	Config Config
	// Policies are each function's statements beyond writing its logs,
	// keyed by function name (FunctionPolicies).
	Policies map[string]RolePolicies
}

// Functions are sfprobe's four Lambda functions, keyed by name, with their
// roles and log groups.
type Functions struct {
	// Group is the construct holding the functions, roles and log groups.
	Group     constructs.Construct
	ByName    map[string]awslambda.Function
	Roles     map[string]awsiam.Role
	LogGroups map[string]awslogs.LogGroup
}

// Ordered returns the functions in workflow.Functions order.
func (f *Functions) Ordered() []awslambda.Function {
	out := make([]awslambda.Function, 0, len(workflow.Functions))
	for _, wf := range workflow.Functions {
		out = append(out, f.ByName[wf.Name])
	}
	return out
}

// NewFunctions creates the functions from the prebuilt
// <AssetRoot>/<name>/bootstrap files (provided.al2023, arm64, 128 MB), each
// with its own role (its log group plus props.Policies, nothing else) and
// an explicit log group with the configured retention.
func NewFunctions(scope constructs.Construct, id string, props *FunctionsProps) (*Functions, error) {
	c := props.Config
	if err := checkAssets(c); err != nil {
		return nil, err
	}
	env := map[string]map[string]*string{
		FnCheckConfig: {
			workflow.EnvCallTimeout:          jsii.String(CallTimeout),
			workflow.EnvConnectMaxFlows:      jsii.String(strconv.Itoa(c.ConnectMaxFlows)),
			workflow.EnvDailySalesforceCalls: jsii.String(strconv.Itoa(c.dailySalesforceCalls())),
		},
		FnCheckSalesforce: {workflow.EnvCallTimeout: jsii.String(CallTimeout)},
		FnCleanup: {
			workflow.EnvCallTimeout: jsii.String(CallTimeout),
			workflow.EnvKeepCases:   jsii.String(strconv.FormatBool(c.KeepCases)),
		},
		FnPublishMetrics: {
			workflow.EnvMetricNamespace:  jsii.String(c.MetricNamespace),
			workflow.EnvDetailedMetrics:  jsii.String(strconv.FormatBool(c.DetailedMetrics)),
			workflow.EnvMetricsTransport: jsii.String(c.MetricsTransport),
		},
	}
	if c.distributed() {
		env[FnPublishMetrics][EnvFleetTarget] = jsii.String(c.maintenanceTarget())
	}

	group := constructs.NewConstruct(scope, jsii.String(id))
	out := &Functions{
		Group:     group,
		ByName:    map[string]awslambda.Function{},
		Roles:     map[string]awsiam.Role{},
		LogGroups: map[string]awslogs.LogGroup{},
	}
	for _, wf := range workflow.Functions {
		fn, role, logs := newFunction(group, c, functionSpec{
			name: wf.Name, description: wf.Description, timeoutSeconds: FunctionTimeouts[wf.Name],
			env: env[wf.Name], statements: props.Policies[wf.Name].Inline, managed: props.Policies[wf.Name].Managed,
		})
		out.ByName[wf.Name], out.Roles[wf.Name], out.LogGroups[wf.Name] = fn, role, logs
	}
	return out, nil
}

// functionSpec is one of sfprobe's Lambda functions, as newFunction makes it.
type functionSpec struct {
	name, description string
	timeoutSeconds    float64
	env               map[string]*string
	// statements are the role's inline statements beyond writing its logs.
	statements []awsiam.PolicyStatement
	// managed are documents attached to the role as customer managed
	// policies (the grants on a targets file's targets).
	managed [][]awsiam.PolicyStatement
}

// newFunction creates the function spec.name in scope from
// <AssetRoot>/<name>/bootstrap: provided.al2023, arm64, 128 MB, its own role
// (its log group plus spec.statements, and spec.managed as customer managed
// policies, children of the role) and its own log group. Logs are JSON
// with Lambda's system logs at WARN, which drops the START, END and REPORT
// lines of every invocation, and the application's at INFO (the handlers
// log one masked line per check; publish-metrics logs the embedded metric
// format lines at INFO, so its level must not rise above INFO).
func newFunction(scope constructs.Construct, c Config, spec functionSpec) (awslambda.Function, awsiam.Role, awslogs.LogGroup) {
	cid := pascal(spec.name)
	logs := awslogs.NewLogGroup(scope, jsii.String(cid+"Logs"), &awslogs.LogGroupProps{
		Retention:     retention(c.LogRetentionDays),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	statements := append([]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(SidWriteOwnLogs),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	})}, spec.statements...)
	subnets, groups := c.vpcIDs()
	if len(subnets) > 0 {
		// What AWSLambdaVPCAccessExecutionRole grants: the function's
		// network interfaces in the VPC. EC2 offers no resource-level
		// permission for these.
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(SidVpcNetworkInterfaces),
			Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
				"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
			Resources: jsii.Strings("*"),
		}))
	}
	role := awsiam.NewRole(scope, jsii.String(cid+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("sfprobe " + spec.name + ": " + spec.description),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"sfprobe": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
		},
	})
	for i, doc := range spec.managed {
		awsiam.NewManagedPolicy(role, jsii.String(fmt.Sprintf("TargetGrants%d", i+1)), &awsiam.ManagedPolicyProps{
			Description: jsii.String(fmt.Sprintf("sfprobe %s: grants on the targets (part %d of %d)", spec.name, i+1, len(spec.managed))),
			Statements:  &doc,
			Roles:       &[]awsiam.IRole{role},
		})
	}
	fn := awslambda.NewFunction(scope, jsii.String(cid), &awslambda.FunctionProps{
		Description:           jsii.String("sfprobe " + spec.name + ": " + spec.description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(c.AssetRoot, spec.name)), nil),
		MemorySize:            jsii.Number(FunctionMemoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(spec.timeoutSeconds)),
		Environment:           ptr(spec.env),
		Role:                  role,
		LogGroup:              logs,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
	})
	if len(subnets) > 0 {
		// Subnet and security group ids alone (no VPC lookup at synth):
		// the L1 property.
		cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
		cfn.SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{SubnetIds: jsii.Strings(subnets...), SecurityGroupIds: jsii.Strings(groups...)})
	}
	return fn, role, logs
}

// checkAssets: every function has a timeout and a prebuilt bootstrap, the
// deploy gate's too when deployGate is on.
func checkAssets(c Config) error {
	names := []string{}
	for _, wf := range workflow.Functions {
		if _, ok := FunctionTimeouts[wf.Name]; !ok {
			return fmt.Errorf("function %s: no timeout configured in cdk/monitor/functions.go", wf.Name)
		}
		names = append(names, wf.Name)
	}
	if c.DeployGate {
		names = append(names, FnDeployGate)
	}
	for _, name := range names {
		boot := filepath.Join(c.AssetRoot, name, "bootstrap")
		if _, err := os.Stat(boot); err != nil {
			return fmt.Errorf("assetRoot: %s is missing: run make build (or pass -c assetRoot=<dir>)", boot)
		}
	}
	return nil
}

// retention maps validated days to CDK's enum.
func retention(days int) awslogs.RetentionDays {
	return awslogs.RetentionDays(retentions[days])
}

// pascal turns "check-config" into "CheckConfig" (construct ids).
func pascal(s string) string {
	out := make([]rune, 0, len(s))
	up := true
	for _, r := range s {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		out = append(out, r)
	}
	return string(out)
}

func ptr[T any](v T) *T { return &v }
