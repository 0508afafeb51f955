// Command check-config is the Lambda that runs one AWS-side check of an
// sfInvokeAPI deployment (TargetConfig, SecretAccess, KmsKey, ConnectAccess, SalesforceLogin).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

func main() {
	ctx := context.Background()
	conf, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("check-config: %v", err)
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Fatalf("check-config: %v", err)
	}
	sfHTTP, err := check.NewHTTPClient(os.Getenv(workflow.EnvSalesforceEndpoint))
	if err != nil {
		log.Fatalf("check-config: %v", err)
	}
	// A target in another region (a targets file) gets that region's
	// clients; IAM is global.
	deps := func(region string) check.Deps {
		return check.DepsFrom(check.Clients{
			Lambda:         awslambda.NewFromConfig(cfg, func(o *awslambda.Options) { o.Region = region }),
			SecretsManager: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region = region }),
			KMS:            kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region }),
			IAM:            iam.NewFromConfig(cfg),
			// ConnectAccess sends each Connect call to the instance's region.
			Connect: connect.NewFromConfig(cfg),
			HTTP:    sfHTTP,
		})
	}
	h := &handler.CheckConfig{
		Deps:    deps(cfg.Region),
		Regions: handler.NewRegions(cfg.Region, deps),
		Opts:    conf.CheckOptions(),
		Log:     handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
