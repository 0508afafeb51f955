// Command check-config is the Lambda that runs one AWS-side check of an
// sfInvokeAPI deployment (TargetConfig, SecretAccess, KmsKey, ConnectAccess, SalesforceLogin).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/assume"
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
	// clients, a target with a role_arn clients signed with that role's
	// credentials (STS in the target's region); IAM is global.
	deps := func(region string, creds aws.CredentialsProvider) check.Deps {
		c := handler.ConfigFor(cfg, region, creds)
		return check.DepsFrom(check.Clients{
			Lambda:         awslambda.NewFromConfig(c),
			SecretsManager: secretsmanager.NewFromConfig(c),
			KMS:            kms.NewFromConfig(c),
			IAM:            iam.NewFromConfig(c),
			// ConnectAccess sends each Connect call to the instance's region.
			Connect: connect.NewFromConfig(c),
			HTTP:    sfHTTP,
		})
	}
	h := &handler.CheckConfig{
		Deps:    deps(cfg.Region, nil),
		Regions: handler.NewRegions(cfg.Region, deps, assume.FromConfig(cfg)),
		Opts:    conf.CheckOptions(),
		Log:     handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
