package sim

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

const functionARN = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"

// newLambdaClient serves fn as sfInvokeAPI on a test server and returns a
// real SDK client for it. Retries do not back off.
func newLambdaClient(t *testing.T, fn lambdahttp.Function, maxAttempts int) *lambda.Client {
	t.Helper()
	router := lambdahttp.NewRouter()
	router.Handle("sfInvokeAPI", fn)
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "sim-secret", "")}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
}

func TestWireInvoke(t *testing.T) {
	tests := []struct {
		name          string
		faults        []Fault
		give          events.Values
		wantFnError   string
		wantPayload   string
		wantThrottled bool
	}{
		{
			name:        "success",
			give:        events.Values{Phone: DefaultPhone, Fields: "Id, Name, Email"},
			wantPayload: `{"Id": "0031r000026MVPIAA4", "Name": "Jim Smith", "Email": null, "sf_count": 1}`,
		},
		{
			name:        "function error",
			faults:      []Fault{APILimit},
			give:        events.Values{Phone: DefaultPhone, Fields: "Id"},
			wantFnError: "Unhandled",
			wantPayload: `{"errorType": "Exception", "errorMessage": "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."}`,
		},
		{
			name:          "throttled",
			faults:        []Fault{Throttled},
			give:          events.Values{Phone: DefaultPhone, Fields: "Id"},
			wantThrottled: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, _, _, _ := newDefault(t, WithFaults(tt.faults...))
			client := newLambdaClient(t, fn, 1)

			out, err := client.Invoke(context.Background(), &lambda.InvokeInput{
				FunctionName: aws.String(functionARN),
				Payload:      render(t, events.PhoneLookup, tt.give),
			})

			if tt.wantThrottled {
				var tooMany *lambdatypes.TooManyRequestsException
				require.True(t, errors.As(err, &tooMany), "error %v", err)
				assert.Equal(t, "Rate Exceeded.", aws.ToString(tooMany.Message))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int32(200), out.StatusCode)
			assert.Equal(t, tt.wantFnError, aws.ToString(out.FunctionError))
			assert.JSONEq(t, tt.wantPayload, string(dropRuntimeFields(t, out.Payload)))
		})
	}
}

func TestWireThrottledOnceIsRetried(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithFaultSpecs(Once(Throttled)))
	client := newLambdaClient(t, fn, 3)

	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("sfInvokeAPI"),
		Payload:      render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}),
	})

	require.NoError(t, err)
	assert.Nil(t, out.FunctionError)
	assert.JSONEq(t, `{"Id": "0031r000026MVPIAA4", "sf_count": 1}`, string(out.Payload))
	assert.Equal(t, 1, fn.Invocations())
}

func dropRuntimeFields(t *testing.T, payload []byte) []byte {
	t.Helper()
	v, err := decodeJSON(payload)
	require.NoError(t, err)
	if d, ok := v.(*dict); ok {
		d.del("requestId")
		d.del("stackTrace")
	}
	return pyDumps(v)
}
