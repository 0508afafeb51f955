// Command deploy-gate is the Lambda behind the stack's deploy gate (a CDK
// trigger, -c deployGate=true): it runs the deployed workflow once and
// fails the deploy when the run fails.
package main

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/gate"
)

func main() {
	ctx := context.Background()
	conf, err := gate.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("deploy-gate: %v", err)
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Fatalf("deploy-gate: %v", err)
	}
	states := sfn.NewFromConfig(cfg)
	g := gate.New(conf, gate.Clients{
		Sync:     states,
		Start:    states,
		Describe: states,
		History:  states,
		Stacks:   cloudformation.NewFromConfig(cfg),
	}, gate.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))))
	lambda.Start(g.Handle)
}
