// Command cdk is sfprobe's ready CDK app: one stack holding one monitor
// (package cdk/monitor, which a team's own CDK app can embed instead; see
// docs/DEPLOY.md). Configuration comes from context keys (cdk deploy -c
// targetFunctionArn=... -c testPhone=...) or a JSON file (-c
// configFile=sfprobe.json). An invalid configuration stops synth with exit
// code 2 before any construct is made.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sfprobe/sfprobe/cdk/monitor"
)

func main() {
	os.Exit(run())
}

func run() int {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := ConfigFromContext(app)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sfprobe cdk: invalid configuration (see docs/DEPLOY.md):\n%s\n", indent(err))
		return 2
	}
	if _, err := monitor.NewStack(app, cfg.StackName, &monitor.StackProps{Config: cfg}); err != nil {
		fmt.Fprintf(os.Stderr, "sfprobe cdk: %s\n", indent(err))
		return 2
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	return 0
}
