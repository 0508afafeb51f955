// Command check-config is the Lambda that runs one AWS-side check of an
// sfInvokeAPI deployment (TargetConfig, SecretAccess, KmsKey, ConnectAccess).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
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
	h := &handler.CheckConfig{
		Deps: check.DepsFrom(check.Clients{
			Lambda:         awslambda.NewFromConfig(cfg),
			SecretsManager: secretsmanager.NewFromConfig(cfg),
			KMS:            kms.NewFromConfig(cfg),
			IAM:            iam.NewFromConfig(cfg),
		}),
		Opts: conf.CheckOptions(),
		Log:  handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
