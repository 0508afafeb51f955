// Command embedded is an example CDK app that embeds sfprobe's monitor in a
// team's own stack, next to the stack's sfInvokeAPI deployment, with the
// deploy gate running after that deployment on every cdk deploy: a deploy
// that breaks the function fails (and CloudFormation rolls it back).
//
//	make build
//	npx cdk synth --app "go run ./cdk/examples/embedded"
//
// The stand-in below is an sfInvokeAPI function of the team's own; in a
// real app it is the Salesforce package's function (the Serverless
// Application Repository's AmazonConnectSalesforceLambda, or the team's own
// copy), whatever construct deploys it.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/cdk/monitor"
)

// The team's environment and the names its own stack gives sfInvokeAPI and
// its secret, key and Connect instance.
const (
	account     = "123456789012"
	region      = "us-east-1"
	function    = "sfInvokeAPI"
	secretArn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfcreds-AbCdEf"
	kmsKeyArn   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	instanceArn = "arn:aws:connect:us-east-1:123456789012:instance/aaaabbbb-cccc-dddd-eeee-ffff00001111"
	onCallTopic = "arn:aws:sns:us-east-1:123456789012:contact-centre-on-call"
)

// ContactCentre is the team's stack: its sfInvokeAPI and the monitor.
type ContactCentre struct {
	awscdk.Stack
	SfInvokeAPI awslambda.Function
	Monitor     *monitor.Monitor
}

// NewContactCentre builds the team's stack. assetRoot is where make build
// put sfprobe's bootstraps ("" for dist/).
func NewContactCentre(scope constructs.Construct, id, assetRoot string) (*ContactCentre, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)},
	})
	// A stand-in for the team's sfInvokeAPI deployment.
	fn := awslambda.NewFunction(stack, jsii.String("SfInvokeAPI"), &awslambda.FunctionProps{
		FunctionName: jsii.String(function),
		Runtime:      awslambda.Runtime_PYTHON_3_13(),
		Handler:      jsii.String("index.handler"),
		Code:         awslambda.Code_FromInline(jsii.String("def handler(event, context):\n    return {}\n")),
	})

	cfg := monitor.DefaultConfig()
	cfg.StackName = "" // named <stack>-<id>: ContactCentre-Sfprobe
	cfg.TargetFunctionArn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, function)
	cfg.TestPhone = "+441122334455"
	cfg.SecretArn = secretArn
	cfg.KmsKeyArn = kmsKeyArn
	cfg.ConnectInstanceArn = instanceArn
	cfg.DeployGate = true
	cfg.Schedule = "rate(5 minutes)"
	if assetRoot != "" {
		cfg.AssetRoot = assetRoot
	}
	m, err := monitor.NewMonitor(stack, "Sfprobe", &monitor.MonitorProps{
		Config: cfg,
		// The team's own on-call topic instead of a new one.
		Topic: awssns.Topic_FromTopicArn(stack, jsii.String("OnCall"), jsii.String(onCallTopic)),
	})
	if err != nil {
		return nil, err
	}
	// The gate runs after the function is deployed (or updated).
	m.DeployGate.Trigger.ExecuteAfter(fn)
	return &ContactCentre{Stack: stack, SfInvokeAPI: fn, Monitor: m}, nil
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if _, err := NewContactCentre(app, "ContactCentre", os.Getenv("SFPROBE_ASSET_ROOT")); err != nil {
		fmt.Fprintln(os.Stderr, "embedded:", err)
		os.Exit(2)
	}
	app.Synth(nil)
}
