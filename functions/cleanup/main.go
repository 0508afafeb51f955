// Command cleanup is the Lambda that ends the Salesforce chain on every
// path: it records skipped steps and closes and deletes the run's test Case.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
)

func main() {
	ctx := context.Background()
	conf, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("cleanup: %v", err)
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Fatalf("cleanup: %v", err)
	}
	deps := func(region string, creds aws.CredentialsProvider) check.Deps {
		return check.DepsFrom(check.Clients{Lambda: awslambda.NewFromConfig(handler.ConfigFor(cfg, region, creds))})
	}
	h := &handler.Cleanup{
		Deps:      deps(cfg.Region, nil),
		Regions:   handler.NewRegions(cfg.Region, deps, assume.FromConfig(cfg)),
		Opts:      conf.CheckOptions(),
		KeepCases: conf.KeepCases,
		Log:       handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
