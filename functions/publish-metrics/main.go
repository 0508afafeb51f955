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
	"github.com/sfprobe/sfprobe/internal/workflow"
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
	// EMF: CloudWatch Logs extracts the metrics from stdout, no API call.
	var pub handler.MetricsPublisher = metrics.NewEMF(os.Stdout, conf.Namespace)
	if conf.MetricsTransport == workflow.MetricsAPI {
		pub = metrics.NewPublisher(awsconf.CloudWatch(cfg), conf.Namespace)
	}
	h := &handler.PublishMetrics{
		Publisher: pub,
		Detailed:  conf.DetailedMetrics,
		Log:       handler.Logger(),
		// The results bucket: a distributed fleet's targets and reports.
		Store: handler.NewObjectStore(cfg),
		// The fleet alarms' Target (set by CDK above 50 targets).
		FleetTarget: os.Getenv(workflow.EnvFleetTarget),
	}
	lambda.StartHandlerFunc(h.Handle)
}
