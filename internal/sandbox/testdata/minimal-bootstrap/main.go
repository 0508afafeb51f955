// Command minimal-bootstrap is the smallest aws-lambda-go function: it
// echoes its event. BenchmarkBootstrapColdStart runs it under the Lambda
// emulator as the baseline of sfprobe's bootstraps.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.StartHandlerFunc(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
}
