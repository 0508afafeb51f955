package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
)

func TestGatewayRoutes(t *testing.T) {
	var motoSaw atomic.Value
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		motoSaw.Store(r.Method + " " + r.Host + " " + r.URL.RequestURI())
		_, _ = fmt.Fprint(w, "from moto")
	}))
	defer moto.Close()
	router := lambdahttp.NewRouter()
	router.Handle("fn", lambdahttp.FunctionFunc(func(context.Context, []byte) (lambdahttp.Response, error) {
		return lambdahttp.Response{Payload: []byte(`"from go"`)}, nil
	}))
	gw := httptest.NewServer(sandbox.NewGateway(moto.URL, router))
	defer gw.Close()
	gwHost := strings.TrimPrefix(gw.URL, "http://")

	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		wantBody   string
		wantMoto   string
	}{
		{name: "by name", giveMethod: "POST", givePath: "/2015-03-31/functions/fn/invocations", wantBody: `"from go"`},
		{
			name:       "by escaped ARN",
			giveMethod: "POST",
			givePath:   "/2015-03-31/functions/" + strings.ReplaceAll("arn:aws:lambda:us-east-1:123456789012:function:fn", ":", "%3A") + "/invocations",
			wantBody:   `"from go"`,
		},
		{
			name:       "unregistered function",
			giveMethod: "POST",
			givePath:   "/2015-03-31/functions/other/invocations",
			wantBody:   "from moto",
			wantMoto:   "POST " + gwHost + " /2015-03-31/functions/other/invocations",
		},
		{
			name:       "other API",
			giveMethod: "GET",
			givePath:   "/2015-03-31/functions/?MaxItems=5",
			wantBody:   "from moto",
			wantMoto:   "GET " + gwHost + " /2015-03-31/functions/?MaxItems=5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			motoSaw.Store("")
			req, err := http.NewRequest(tt.giveMethod, gw.URL+tt.givePath, strings.NewReader("{}"))
			require.NoError(t, err)

			resp, err := gw.Client().Do(req)

			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.wantBody, string(body))
			assert.Equal(t, tt.wantMoto, motoSaw.Load())
		})
	}
}

func TestGatewayWithMotoDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	gw := httptest.NewServer(sandbox.NewGateway(down, lambdahttp.NewRouter()))
	defer gw.Close()

	resp, err := gw.Client().Get(gw.URL + "/")

	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("X-Amzn-RequestId"))
}

// probe is the Go function the sandbox test registers: it echoes n, raises
// MyError for mode "fail" and Transient on the first call for mode "flaky".
type probe struct{ flakyCalls atomic.Int32 }

func (p *probe) Invoke(_ context.Context, payload []byte) (lambdahttp.Response, error) {
	var in struct {
		Mode string `json:"mode"`
		N    int    `json:"n"`
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return lambdahttp.Response{}, err
	}
	switch {
	case in.Mode == "fail":
		return lambdahttp.Response{Payload: lambdahttp.ErrorPayload("MyError", "boom"), FunctionError: "Unhandled"}, nil
	case in.Mode == "flaky" && p.flakyCalls.Add(1) == 1:
		return lambdahttp.Response{Payload: lambdahttp.ErrorPayload("Transient", "try again"), FunctionError: "Unhandled"}, nil
	}
	out, err := json.Marshal(map[string]any{"from": "go", "n": in.N})
	return lambdahttp.Response{Payload: out}, err
}

const definition = `{
  "StartAt": "Probe",
  "States": {
    "Probe": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "%s", "Payload.$": "$"},
      "ResultSelector": {"from.$": "$.Payload.from", "n.$": "$.Payload.n"},
      "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
      "Catch": [{"ErrorEquals": ["MyError"], "ResultPath": "$.error", "Next": "Caught"}],
      "End": true
    },
    "Caught": {"Type": "Pass", "End": true}
  }
}`

func TestSandboxAWS(t *testing.T) {
	before := runtime.NumGoroutine()
	started := time.Now()
	a, err := sandbox.StartSandboxAWS(context.Background())
	sandboxtest.Require(t, err)
	t.Logf("sandbox AWS started in %s", time.Since(started).Round(time.Millisecond))
	fn := &probe{}
	a.Router().Handle("probe", fn)
	ctx := context.Background()
	cfg, err := a.Config(ctx)
	require.NoError(t, err)
	assert.Equal(t, a.Endpoint(), aws.ToString(cfg.BaseEndpoint))

	t.Run("secrets manager", func(t *testing.T) {
		sm := secretsmanager.NewFromConfig(cfg)
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String("sfprobe/test"), SecretString: aws.String(`{"user":"u"}`)})
		require.NoError(t, err)

		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sfprobe/test")})

		require.NoError(t, err)
		assert.JSONEq(t, `{"user":"u"}`, aws.ToString(out.SecretString))
	})

	t.Run("kms", func(t *testing.T) {
		k := kms.NewFromConfig(cfg)
		key, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("sfprobe test")})
		require.NoError(t, err)
		enc, err := k.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("secret")})
		require.NoError(t, err)

		dec, err := k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})

		require.NoError(t, err)
		assert.Equal(t, "secret", string(dec.Plaintext))
	})

	t.Run("lambda invoke", func(t *testing.T) {
		lc := lambda.NewFromConfig(cfg)
		tests := []struct {
			name              string
			giveFunction      string
			givePayload       string
			wantPayload       string
			wantFunctionError string
		}{
			{name: "by name", giveFunction: "probe", givePayload: `{"n":7}`, wantPayload: `{"from":"go","n":7}`},
			{name: "by ARN", giveFunction: a.FunctionARN("probe"), givePayload: `{"n":8}`, wantPayload: `{"from":"go","n":8}`},
			{name: "function error", giveFunction: "probe", givePayload: `{"mode":"fail"}`, wantFunctionError: "Unhandled"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tt.giveFunction), Payload: []byte(tt.givePayload)})

				require.NoError(t, err)
				assert.Equal(t, tt.wantFunctionError, aws.ToString(out.FunctionError))
				if tt.wantPayload != "" {
					assert.JSONEq(t, tt.wantPayload, string(out.Payload))
				}
			})
		}

		t.Run("unregistered function reaches moto", func(t *testing.T) {
			_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})

			var notFound *lambdatypes.ResourceNotFoundException
			assert.True(t, errors.As(err, &notFound), "got %v", err)
		})
	})

	t.Run("step functions", func(t *testing.T) {
		sf := sfn.NewFromConfig(cfg)
		started := time.Now()
		sm, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name:       aws.String("probe"),
			Definition: aws.String(fmt.Sprintf(definition, a.FunctionARN("probe"))),
			RoleArn:    aws.String("arn:aws:iam::123456789012:role/x"),
		})
		require.NoError(t, err)
		t.Logf("CreateStateMachine took %s", time.Since(started).Round(time.Millisecond))
		tests := []struct {
			name       string
			giveInput  string
			wantOutput string
		}{
			{name: "first", giveInput: `{"n":1}`, wantOutput: `{"from":"go","n":1}`},
			{name: "second", giveInput: `{"n":2}`, wantOutput: `{"from":"go","n":2}`},
			{name: "caught", giveInput: `{"mode":"fail","n":3}`,
				wantOutput: `{"mode":"fail","n":3,"error":{"Error":"MyError"}}`},
			{name: "retried", giveInput: `{"mode":"flaky","n":4}`, wantOutput: `{"from":"go","n":4}`},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				started := time.Now()
				exec, err := sf.StartExecution(ctx, &sfn.StartExecutionInput{
					StateMachineArn: sm.StateMachineArn,
					Name:            aws.String(fmt.Sprintf("run-%d-%s", i, tt.name)),
					Input:           aws.String(tt.giveInput),
				})
				require.NoError(t, err)

				out := waitForExecution(t, sf, exec.ExecutionArn)

				t.Logf("execution %q took %s", tt.name, time.Since(started).Round(time.Millisecond))
				require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "error %s, cause %s",
					aws.ToString(out.Error), aws.ToString(out.Cause))
				assertJSONEqual(t, tt.wantOutput, aws.ToString(out.Output))
			})
		}
		assert.Equal(t, int32(2), fn.flakyCalls.Load(), "calls of the flaky execution")
	})

	t.Run("cloudwatch", func(t *testing.T) {
		cw := awsconf.CloudWatch(cfg)
		now := time.Now().UTC().Truncate(time.Minute)
		_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String("sfprobe/sandbox"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Runs"), Timestamp: aws.Time(now), Value: aws.Float64(1)}},
		})
		require.NoError(t, err)

		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-5 * time.Minute)),
			EndTime:   aws.Time(now.Add(5 * time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{
				Id: aws.String("runs"),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("sfprobe/sandbox"), MetricName: aws.String("Runs")},
					Period: aws.Int32(60), Stat: aws.String("SampleCount"),
				},
			}},
		})

		require.NoError(t, err)
		require.Len(t, out.MetricDataResults, 1)
		assert.Equal(t, []float64{1}, out.MetricDataResults[0].Values)
	})

	t.Run("reset", func(t *testing.T) {
		require.NoError(t, a.Moto().Reset(ctx))

		secrets, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})

		require.NoError(t, err)
		assert.Empty(t, secrets.SecretList)
	})

	t.Run("env", func(t *testing.T) {
		assert.Equal(t, []string{
			"AWS_ENDPOINT_URL=" + a.Endpoint(),
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=testing",
			"AWS_SECRET_ACCESS_KEY=testing",
		}, a.Env())
	})

	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "second Close")
	_, err = lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe")},
		func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	assert.Error(t, err, "the gateway still answers after Close")
	if tr, ok := cfg.HTTPClient.(interface{ CloseIdleConnections() }); ok {
		tr.CloseIdleConnections()
	}
	assertGoroutinesBack(t, before)
}

// assertJSONEqual compares JSON documents. A caught error's Cause (the
// function's error object, with a random request id) only has to name the
// error; want leaves it out.
func assertJSONEqual(t *testing.T, want, got string) {
	t.Helper()
	var g map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	if ge, ok := g["error"].(map[string]any); ok {
		cause, _ := ge["Cause"].(string)
		assert.Contains(t, cause, fmt.Sprintf(`"errorType":"%v"`, ge["Error"]))
		delete(ge, "Cause")
	}
	normalized, err := json.Marshal(g)
	require.NoError(t, err)
	assert.JSONEq(t, want, string(normalized))
}

func waitForExecution(t *testing.T, sf *sfn.Client, arn *string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := sf.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: arn})
		require.NoError(t, err)
		if out.Status != sfntypes.ExecutionStatusRunning {
			return out
		}
		require.True(t, time.Now().Before(deadline), "execution %s still running", aws.ToString(arn))
		time.Sleep(25 * time.Millisecond)
	}
}
