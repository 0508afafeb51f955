// Command check-salesforce is the Lambda that replays one step of the manual
// test procedure (PhoneLookup, CreateCase, CloseCase, VerifyCaseClosed)
// against sfInvokeAPI.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
)

func main() {
	ctx := context.Background()
	conf, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("check-salesforce: %v", err)
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Fatalf("check-salesforce: %v", err)
	}
	deps := func(region string) check.Deps {
		return check.DepsFrom(check.Clients{Lambda: awslambda.NewFromConfig(cfg, func(o *awslambda.Options) { o.Region = region })})
	}
	h := &handler.CheckSalesforce{
		Deps:    deps(cfg.Region),
		Regions: handler.NewRegions(cfg.Region, deps),
		Opts:    conf.CheckOptions(),
		Log:     handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
