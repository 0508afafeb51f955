// Command publish-metrics is the Lambda that builds a run's report from the
// workflow's branches and publishes its CloudWatch metrics.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/metrics"
)

func main() {
	ctx := context.Background()
	conf, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("publish-metrics: %v", err)
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		log.Fatalf("publish-metrics: %v", err)
	}
	h := &handler.PublishMetrics{
		Publisher: metrics.NewPublisher(awsconf.CloudWatch(cfg), conf.Namespace),
		Detailed:  conf.DetailedMetrics,
		Log:       handler.Logger(),
	}
	lambda.StartHandlerFunc(h.Handle)
}
