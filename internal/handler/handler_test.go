package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// now is the fixed clock of the handlers.
var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// withField returns the JSON object payload with key set to v.
func withField(t *testing.T, payload []byte, key string, v any) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(payload, &m))
	m[key] = v
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// normalise zeroes every duration_ms, which varies from run to run.
func normalise(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "duration_ms" {
					x[k] = 0
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

func invoke(t *testing.T, handlerFunc any, payload []byte) ([]byte, error) {
	t.Helper()
	return lambda.NewHandler(handlerFunc).Invoke(context.Background(), payload)
}

// ---- check-config -------------------------------------------------------

func TestCheckConfig_golden(t *testing.T) {
	d := checktest.NewDeployment()
	var discoveries atomic.Int32
	get := d.Lambda.GetFunctionConfigurationFn
	d.Lambda.GetFunctionConfigurationFn = func(ctx context.Context, in *awslambda.GetFunctionConfigurationInput, opts ...func(*awslambda.Options)) (*awslambda.GetFunctionConfigurationOutput, error) {
		discoveries.Add(1)
		return get(ctx, in, opts...)
	}
	h := &handler.CheckConfig{Deps: d.Deps(), Now: func() time.Time { return now }}

	out, err := invoke(t, h.Handle, fixture(t, "check-config.json"))

	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "check-config.out.json")), normalise(t, out))
	assert.Empty(t, d.SFInvokeAPI.Calls(), "the AWS checks never call sfInvokeAPI")
	assert.EqualValues(t, 1, discoveries.Load(), "the four checks share one discovery of the function")
}

// checkConfigResults decodes check-config's answer.
func checkConfigResults(t *testing.T, out []byte) []check.Result {
	t.Helper()
	var got handler.CheckConfigOutput
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	return got.Results
}

func TestCheckConfig_oneCheck(t *testing.T) {
	for _, name := range check.AWSChecks {
		t.Run(name, func(t *testing.T) {
			h := &handler.CheckConfig{Deps: checktest.NewDeployment().Deps()}
			payload := withField(t, fixture(t, "check-config.json"), "checks", []string{name})

			out, err := invoke(t, h.Handle, payload)

			require.NoError(t, err)
			res := checkConfigResults(t, out)
			require.Len(t, res, 1)
			assert.Equal(t, name, res[0].Name)
			if name == check.SalesforceLogin {
				// The healthy deployment logs in with the username-password flow.
				assert.Equal(t, check.Warn, res[0].Status, res[0].Message)
				assert.Contains(t, res[0].Message, "retiring the OAuth username-password flow")
				return
			}
			assert.Equal(t, check.Pass, res[0].Status, res[0].Message)
		})
	}
}

func TestCheckConfig_failureIsAResult(t *testing.T) {
	d := checktest.NewDeployment()
	d.Lambda.GetFunctionConfigurationFn = func(context.Context, *awslambda.GetFunctionConfigurationInput, ...func(*awslambda.Options)) (*awslambda.GetFunctionConfigurationOutput, error) {
		return nil, &lambdatypes.ResourceNotFoundException{}
	}
	h := &handler.CheckConfig{Deps: d.Deps()}

	out, err := invoke(t, h.Handle, withField(t, fixture(t, "check-config.json"), "checks", []string{check.TargetConfig}))

	require.NoError(t, err, "an assertion failure is a result, not an error")
	res := checkConfigResults(t, out)
	require.Len(t, res, 1)
	assert.Equal(t, check.Fail, res[0].Status)
	assert.Equal(t, failure.NotFound, res[0].ErrorClass)
	assert.Equal(t, failure.NotFound.Anchor(), res[0].Runbook)
}

// TestCheckConfig_transientFailures: a read that fails transiently is
// retried alone; one that keeps failing is reported with its class and
// never fails the other checks.
func TestCheckConfig_transientFailures(t *testing.T) {
	tests := []struct {
		name      string
		give      error
		failures  int32 // how many calls fail before the API answers
		wantClass failure.Class
	}{
		{name: "throttled, always", give: &lambdatypes.TooManyRequestsException{}, failures: 99, wantClass: failure.Throttled},
		{name: "network, always", give: &lambdatypes.ServiceException{}, failures: 99, wantClass: failure.Network},
		{name: "timeout, always", give: context.DeadlineExceeded, failures: 99, wantClass: failure.Timeout},
		{name: "throttled once", give: &lambdatypes.TooManyRequestsException{}, failures: 1},
		{name: "throttled twice", give: &lambdatypes.TooManyRequestsException{}, failures: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checktest.NewDeployment()
			var calls atomic.Int32
			get := d.Lambda.GetPolicyFn
			d.Lambda.GetPolicyFn = func(ctx context.Context, in *awslambda.GetPolicyInput, opts ...func(*awslambda.Options)) (*awslambda.GetPolicyOutput, error) {
				if calls.Add(1) <= tt.failures {
					return nil, &smithy.OperationError{ServiceID: "Lambda", OperationName: "GetPolicy", Err: tt.give}
				}
				return get(ctx, in, opts...)
			}
			h := &handler.CheckConfig{Deps: d.Deps()}

			out, err := invoke(t, h.Handle, fixture(t, "check-config.json"))

			require.NoError(t, err, "a transient failure is a result after the retries, not an error")
			res := checkConfigResults(t, out)
			require.Len(t, res, 4)
			for _, r := range res {
				if r.Name != check.ConnectAccess {
					assert.Contains(t, []check.Status{check.Pass, check.Warn}, r.Status, "%s is not failed by another check's throttling: %s", r.Name, r.Message)
					continue
				}
				if tt.wantClass == "" {
					assert.Contains(t, []check.Status{check.Pass, check.Warn}, r.Status, r.Message)
					assert.EqualValues(t, tt.failures+1, calls.Load(), "retried until it answered")
					continue
				}
				assert.Equal(t, check.Fail, r.Status)
				assert.Equal(t, tt.wantClass, r.ErrorClass, r.Message)
				assert.EqualValues(t, 1+handler.AWSCheckRetries, calls.Load(), "tried once and retried %d times", handler.AWSCheckRetries)
			}
		})
	}
}

func TestCheckConfig_startedAt(t *testing.T) {
	h := &handler.CheckConfig{Deps: checktest.NewDeployment().Deps(), Now: func() time.Time { return now }}
	out, err := h.Handle(context.Background(), handler.CheckConfigInput{Checks: []string{check.TargetConfig}, Target: check.Target{Function: checktest.FunctionName}})
	require.NoError(t, err)
	assert.Equal(t, now, out.StartedAt, "an AWS-only run's duration starts here")
}

func TestCheckConfig_badInput(t *testing.T) {
	tests := []struct {
		name        string
		give        []byte
		wantErr     string
		wantMessage string
	}{
		{
			name:    "unknown check",
			give:    []byte(`{"checks": ["PhoneLookup"], "target": {"function": "sfInvokeAPI-prod"}}`),
			wantErr: `checks: "PhoneLookup" is not one of [TargetConfig SecretAccess KmsKey ConnectAccess SalesforceLogin]`,
		},
		{
			name:    "no checks",
			give:    []byte(`{"target": {"function": "sfInvokeAPI-prod"}}`),
			wantErr: `checks: want one or more of [TargetConfig SecretAccess KmsKey ConnectAccess SalesforceLogin]`,
		},
		{
			name:    "a check twice",
			give:    []byte(`{"checks": ["KmsKey", "KmsKey"], "target": {"function": "sfInvokeAPI-prod"}}`),
			wantErr: `checks: "KmsKey" is listed twice`,
		},
		{
			name:        "invalid target",
			give:        []byte(`{"checks": ["KmsKey"], "target": {"function": "sf invoke", "secret_arn": "nope"}}`),
			wantMessage: "invalid target: function: ",
		},
		{
			name:        "no phone is fine for the AWS checks",
			give:        []byte(`{"checks": ["TargetConfig"], "target": {"function": "sfInvokeAPI-prod"}}`),
			wantMessage: "is Active",
		},
		{
			name:    "not JSON",
			give:    []byte(`{"checks":`),
			wantErr: "unexpected EOF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &handler.CheckConfig{Deps: checktest.NewDeployment().Deps()}
			out, err := invoke(t, h.Handle, tt.give)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			res := checkConfigResults(t, out)
			require.Len(t, res, 1)
			assert.Contains(t, res[0].Message, tt.wantMessage)
		})
	}
	t.Run("invalid target names the fields, for every check", func(t *testing.T) {
		h := &handler.CheckConfig{Deps: checktest.NewDeployment().Deps()}
		out, err := invoke(t, h.Handle, []byte(`{"checks": ["KmsKey", "SecretAccess"], "target": {"function": "sf invoke", "secret_arn": "nope"}}`))
		require.NoError(t, err)
		res := checkConfigResults(t, out)
		require.Len(t, res, 2)
		for i, name := range []string{check.KmsKey, check.SecretAccess} {
			assert.Equal(t, name, res[i].Name)
			assert.Equal(t, check.Fail, res[i].Status)
			assert.Equal(t, failure.Config, res[i].ErrorClass)
			assert.Contains(t, res[i].Message, "secret_arn: ")
		}
	})
}

// ---- check-salesforce and cleanup ---------------------------------------

// chainPayload is the workflow's input to a chain step.
func chainPayload(t *testing.T, name string, chain []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"check": name, "chain": json.RawMessage(chain)})
	require.NoError(t, err)
	return b
}

// TestChain_workflow runs the chain as the workflow does: the fixture is
// StartChain's output; each step's output is the next step's chain; the
// cleanup's output is the chain branch PublishMetrics reads.
func TestChain_workflow(t *testing.T) {
	d := checktest.NewDeployment()
	step := &handler.CheckSalesforce{Deps: d.Deps(), Now: func() time.Time { return now }}
	cleanup := &handler.Cleanup{Deps: d.Deps()}

	out, err := invoke(t, step.Handle, fixture(t, "check-salesforce.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "check-salesforce.out.json")), normalise(t, out))

	for _, name := range check.ChainChecks[1:] {
		out, err = invoke(t, step.Handle, chainPayload(t, name, out))
		require.NoError(t, err, name)
	}
	out, err = invoke(t, cleanup.Handle, chainPayload(t, "", out))
	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "cleanup.out.json")), normalise(t, out))

	// The events sfInvokeAPI received are the rendered templates.
	marker := events.Marker("20250304T050607Z-exec1")
	want := []struct {
		name events.Name
		v    events.Values
	}{
		{events.PhoneLookup, events.Values{Phone: checktest.Phone, Fields: "Id, Name"}},
		{events.Create, events.Values{ContactID: checktest.ContactID, Marker: marker}},
		{events.Update, events.Values{CaseID: checktest.CaseID}},
		{events.LookupCase, events.Values{CaseID: checktest.CaseID}},
		{events.Delete, events.Values{CaseID: checktest.CaseID}},
	}
	calls := d.SFInvokeAPI.Calls()
	require.Len(t, calls, len(want))
	for i, w := range want {
		b, err := events.Render(w.name, w.v)
		require.NoError(t, err)
		assert.Equal(t, string(b), string(calls[i].Payload), "call %d (%s)", i, w.name)
		assert.Equal(t, checktest.FunctionName, calls[i].Function)
	}
}

func TestCheckSalesforce_transientFailures(t *testing.T) {
	tests := []struct {
		name      string
		giveCheck string
		giveOp    string
		giveErr   error
		wantClass failure.Class
	}{
		{name: "PhoneLookup throttled", giveCheck: check.PhoneLookup, giveOp: "phoneLookup", giveErr: &lambdatypes.TooManyRequestsException{}, wantClass: failure.Throttled},
		{name: "PhoneLookup network", giveCheck: check.PhoneLookup, giveOp: "phoneLookup", giveErr: &lambdatypes.ServiceException{}, wantClass: failure.Network},
		{name: "PhoneLookup timeout", giveCheck: check.PhoneLookup, giveOp: "phoneLookup", giveErr: context.DeadlineExceeded, wantClass: failure.Timeout},
		{name: "CreateCase throttled", giveCheck: check.CreateCase, giveOp: "create", giveErr: &lambdatypes.TooManyRequestsException{}, wantClass: failure.Throttled},
		{name: "CloseCase network", giveCheck: check.CloseCase, giveOp: "update", giveErr: &lambdatypes.ServiceException{}, wantClass: failure.Network},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checktest.NewDeployment()
			d.SFInvokeAPI.Ops[tt.giveOp] = checktest.Fail(tt.giveErr)
			h := &handler.CheckSalesforce{Deps: d.Deps(), Now: func() time.Time { return now }}
			chain := chainAfter(t, check.ChainChecks[:indexOf(check.ChainChecks, tt.giveCheck)])

			_, err := invoke(t, h.Handle, chainPayload(t, tt.giveCheck, chain))

			require.Error(t, err)
			assert.Equal(t, failure.TransientErrorName, lambdahttp.ErrorType(err))
			var te *failure.TransientError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.wantClass, te.Class)
		})
	}
}

// TestCheckSalesforce_createNotRetried: a create whose outcome is unknown
// must not be repeated; it is a failed result and the cleanup sweeps.
func TestCheckSalesforce_createNotRetried(t *testing.T) {
	d := checktest.NewDeployment()
	d.SFInvokeAPI.Ops["create"] = checktest.Fail(&lambdatypes.ServiceException{})
	noWait := check.WithSleep(func(context.Context, time.Duration) bool { return true })
	h := &handler.CheckSalesforce{Deps: d.Deps(), Opts: []check.Option{noWait}, Now: func() time.Time { return now }}

	out, err := invoke(t, h.Handle, chainPayload(t, check.CreateCase, chainAfter(t, check.ChainChecks[:1])))

	require.NoError(t, err)
	var c check.Chain
	require.NoError(t, json.Unmarshal(out, &c))
	assert.True(t, c.Failed)
	require.Len(t, c.Results, 2)
	assert.Equal(t, failure.Network, c.Results[1].ErrorClass)
	assert.Equal(t, []string{"create", "query", "create", "query"}, d.SFInvokeAPI.Operations(),
		"the Lambda looks the marker up, repeats the create at most once, and never retries the step itself")
}

func TestCheckSalesforce_badInput(t *testing.T) {
	h := &handler.CheckSalesforce{Deps: checktest.NewDeployment().Deps(), Now: func() time.Time { return now }}

	_, err := invoke(t, h.Handle, []byte(`{"check": "TargetConfig", "chain": {"target": {"function": "f"}, "results": []}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `check "TargetConfig" is not one of`)

	out, err := invoke(t, h.Handle, []byte(`{"check": "PhoneLookup", "chain": {"target": {"function": "f", "phone": "123"}, "run_id": "r", "results": []}}`))
	require.NoError(t, err)
	var c check.Chain
	require.NoError(t, json.Unmarshal(out, &c))
	assert.True(t, c.Failed)
	require.Len(t, c.Results, 1)
	assert.Equal(t, failure.Config, c.Results[0].ErrorClass)
	assert.Contains(t, c.Results[0].Message, "invalid target: phone: ")
	assert.Equal(t, now, c.StartedAt)
}

// chainAfter runs the named steps on a healthy deployment and returns the
// chain's JSON, as the workflow would pass it on.
func chainAfter(t *testing.T, steps []string) []byte {
	t.Helper()
	d := checktest.NewDeployment()
	h := &handler.CheckSalesforce{Deps: d.Deps(), Now: func() time.Time { return now }}
	var chain struct {
		Chain json.RawMessage `json:"chain"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "check-salesforce.json"), &chain))
	out := []byte(chain.Chain)
	for _, name := range steps {
		var err error
		out, err = invoke(t, h.Handle, chainPayload(t, name, out))
		require.NoError(t, err)
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestCleanup(t *testing.T) {
	tests := []struct {
		name        string
		giveSteps   []string
		giveError   *check.StepError
		giveKeep    bool
		wantCleanup check.Cleanup
		wantOps     []string
		wantLast    check.Result
	}{
		{
			name:        "after the whole chain",
			giveSteps:   check.ChainChecks,
			wantCleanup: check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true},
			wantOps:     []string{"delete"},
			wantLast:    check.Result{Name: check.VerifyCaseClosed, Status: check.Pass},
		},
		{
			name:        "keep cases from the stack",
			giveSteps:   check.ChainChecks,
			giveKeep:    true,
			wantCleanup: check.Cleanup{Status: check.CleanupKept, CaseID: checktest.CaseID, Closed: true},
			wantOps:     []string{},
			wantLast:    check.Result{Name: check.VerifyCaseClosed, Status: check.Pass},
		},
		{
			name:        "caught at CloseCase",
			giveSteps:   check.ChainChecks[:2],
			giveError:   &check.StepError{Error: "TransientError", Cause: `{"errorMessage":"network: invoke update: connection reset","errorType":"TransientError"}`},
			wantCleanup: check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true},
			wantOps:     []string{"update", "delete"},
			wantLast:    check.Result{Name: check.VerifyCaseClosed, Status: check.Skip},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := chainAfter(t, tt.giveSteps)
			if tt.giveError != nil {
				chain = withField(t, chain, "error", tt.giveError)
			}
			d := checktest.NewDeployment()
			h := &handler.Cleanup{Deps: d.Deps(), KeepCases: tt.giveKeep}

			out, err := invoke(t, h.Handle, chainPayload(t, "", chain))

			require.NoError(t, err)
			var c check.Chain
			require.NoError(t, json.Unmarshal(out, &c))
			require.NotNil(t, c.Cleanup)
			assert.Equal(t, tt.wantCleanup, *c.Cleanup)
			assert.Nil(t, c.Error, "the caught error is consumed")
			assert.Equal(t, tt.wantOps, d.SFInvokeAPI.Operations())
			require.Len(t, c.Results, 4)
			last := c.Results[3]
			assert.Equal(t, tt.wantLast.Name, last.Name)
			assert.Equal(t, tt.wantLast.Status, last.Status)
		})
	}
}

// ---- publish-metrics ----------------------------------------------------

// fakePublisher is a MetricsPublisher whose behaviour each test assigns.
type fakePublisher struct {
	PublishFn func(ctx context.Context, datums []cwtypes.MetricDatum) error
}

var _ handler.MetricsPublisher = (*fakePublisher)(nil)

func (f *fakePublisher) Publish(ctx context.Context, datums []cwtypes.MetricDatum) error {
	return f.PublishFn(ctx, datums)
}

// datum is a metric datum reduced to what the tests compare.
type datum struct {
	Name  string
	Value float64
	Dims  map[string]string
}

func simplify(datums []cwtypes.MetricDatum) []datum {
	out := make([]datum, 0, len(datums))
	for _, d := range datums {
		dims := map[string]string{}
		for _, dim := range d.Dimensions {
			dims[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
		}
		out = append(out, datum{Name: aws.ToString(d.MetricName), Value: aws.ToFloat64(d.Value), Dims: dims})
	}
	return out
}

// recordingPublisher returns a publisher that stores the datums in *got.
func recordingPublisher(got *[]datum) *fakePublisher {
	return &fakePublisher{PublishFn: func(_ context.Context, d []cwtypes.MetricDatum) error {
		*got = simplify(d)
		return nil
	}}
}

func TestPublishMetrics_golden(t *testing.T) {
	var got []datum
	pub := recordingPublisher(&got)
	h := &handler.PublishMetrics{Publisher: pub, Now: func() time.Time { return now.Add(30 * time.Second) }}

	out, err := invoke(t, h.Handle, fixture(t, "publish-metrics.json"))

	require.NoError(t, err)
	assert.JSONEq(t, string(fixture(t, "publish-metrics.out.json")), string(out))
	assert.Equal(t, []datum{
		{Name: "RunSuccess", Value: 0, Dims: map[string]string{"Target": "prod-eu"}},
		{Name: "SalesforceCalls", Value: 6, Dims: map[string]string{"Target": "prod-eu"}},
		{Name: "CheckFailure", Value: 1, Dims: map[string]string{"Target": "prod-eu", "Check": "KmsKey"}},
		{Name: "SalesforceApiRemaining", Value: 90, Dims: map[string]string{"Target": "prod-eu"}},
	}, got, "RunDuration is a detailed metric")
}

func TestPublishMetrics_ok(t *testing.T) {
	var got []datum
	pub := recordingPublisher(&got)
	h := &handler.PublishMetrics{Publisher: pub, Detailed: true, Now: func() time.Time { return now.Add(30 * time.Second) }}
	payload := replaceAWSResult(t, fixture(t, "publish-metrics.json"), 2, map[string]any{
		"name": "KmsKey", "status": "pass", "duration_ms": 300, "error_class": "", "message": "ok", "remediation": "",
	})

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var o map[string]any
	require.NoError(t, json.Unmarshal(out, &o))
	assert.Equal(t, true, o["ok"])
	assert.Equal(t, []any{}, o["failed_checks"])
	assert.Equal(t, "", o["cause"])
	assert.Len(t, got, 4+9, "4 run metrics (SalesforceApiRemaining: SalesforceLogin read it) and CheckLatency for the 9 checks")
	assert.Equal(t, datum{Name: "SalesforceApiRemaining", Value: 90, Dims: map[string]string{"Target": "prod-eu"}}, got[3])
	assert.Equal(t, datum{Name: "CheckLatency", Value: 300, Dims: map[string]string{"Target": "prod-eu", "Check": "KmsKey"}}, got[4+2])
}

func TestPublishMetrics_publishFails(t *testing.T) {
	pub := &fakePublisher{PublishFn: func(context.Context, []cwtypes.MetricDatum) error {
		return errors.New("put metric data: connection reset")
	}}
	h := &handler.PublishMetrics{Publisher: pub, Now: func() time.Time { return now }}

	_, err := invoke(t, h.Handle, fixture(t, "publish-metrics.json"))

	require.Error(t, err)
	assert.Equal(t, failure.TransientErrorName, lambdahttp.ErrorType(err))
	var te *failure.TransientError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, failure.Network, te.Class)
	assert.Contains(t, te.Msg, "connection reset")
}

// replaceAWSResult replaces the i-th result of the AWS checks' branch.
func replaceAWSResult(t *testing.T, payload []byte, i int, result any) []byte {
	t.Helper()
	var in map[string]any
	require.NoError(t, json.Unmarshal(payload, &in))
	in["branches"].([]any)[0].(map[string]any)["results"].([]any)[i] = result
	b, err := json.Marshal(in)
	require.NoError(t, err)
	return b
}

func TestAssemble(t *testing.T) {
	var in handler.PublishInput
	require.NoError(t, json.Unmarshal(fixture(t, "publish-metrics.json"), &in))

	t.Run("the fixture", func(t *testing.T) {
		rep, err := handler.Assemble(in, now.Add(30*time.Second))
		require.NoError(t, err)
		assert.False(t, rep.OK)
		assert.Equal(t, check.Names(), resultNames(rep.Checks))
		assert.Equal(t, []string{check.KmsKey}, rep.FailedChecks())
		assert.Equal(t, int64(30000), rep.DurationMS)
		assert.Equal(t, now, rep.StartedAt)
		assert.Equal(t, "prod-eu", rep.Target)
		assert.Equal(t, "20250304T050607Z-exec1", rep.RunID)
	})

	results := func(in handler.PublishInput) []json.RawMessage {
		var branch struct {
			Results []json.RawMessage `json:"results"`
		}
		require.NoError(t, json.Unmarshal(in.Branches[0], &branch))
		return branch.Results
	}
	withAWS := func(in handler.PublishInput, raw string) handler.PublishInput {
		in.Branches = []json.RawMessage{json.RawMessage(raw), in.Branches[1]}
		return in
	}
	tests := []struct {
		name    string
		give    func(in handler.PublishInput) handler.PublishInput
		wantErr string
	}{
		{
			name:    "too few branches",
			give:    func(in handler.PublishInput) handler.PublishInput { in.Branches = in.Branches[:1]; return in },
			wantErr: "1 branches, want 2",
		},
		{
			name: "too many branches",
			give: func(in handler.PublishInput) handler.PublishInput {
				in.Branches = append(append([]json.RawMessage{}, in.Branches...), in.Branches[0])
				return in
			},
			wantErr: "3 branches, want 2",
		},
		{
			name:    "no branches",
			give:    func(in handler.PublishInput) handler.PublishInput { in.Branches = nil; return in },
			wantErr: "0 branches, want 2",
		},
		{
			name: "AWS results out of order",
			give: func(in handler.PublishInput) handler.PublishInput {
				r := results(in)
				r[0], r[1] = r[1], r[0]
				return withAWS(in, `{"results": [`+string(r[0])+`,`+string(r[1])+`,`+string(r[2])+`,`+string(r[3])+`,`+string(r[4])+`]}`)
			},
			wantErr: `result 0 is "SecretAccess", want TargetConfig`,
		},
		{
			name: "an AWS result missing",
			give: func(in handler.PublishInput) handler.PublishInput {
				r := results(in)
				return withAWS(in, `{"results": [`+string(r[0])+`]}`)
			},
			wantErr: "has 1 results, want 5",
		},
		{
			name:    "AWS branch not an object",
			give:    func(in handler.PublishInput) handler.PublishInput { return withAWS(in, `[]`) },
			wantErr: "the AWS checks' branch",
		},
		{
			name: "chain branch not an object",
			give: func(in handler.PublishInput) handler.PublishInput {
				in.Branches = []json.RawMessage{in.Branches[0], json.RawMessage(`[]`)}
				return in
			},
			wantErr: "the chain branch",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := handler.Assemble(tt.give(in), now)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestAssemble_branchShapes: the AWS branch caught (its Lambda failed) and
// either branch left out by the run's scope.
func TestAssemble_branchShapes(t *testing.T) {
	var in handler.PublishInput
	require.NoError(t, json.Unmarshal(fixture(t, "publish-metrics.json"), &in))
	chain := in.Branches[1]
	tests := []struct {
		name      string
		aws       string
		chain     json.RawMessage
		wantOK    bool
		wantFail  []string
		wantSkip  []string
		wantClass failure.Class
		wantCalls int
	}{
		{
			name:      "AWS checks caught",
			aws:       `{"name": "AWSChecks", "caught": {"Error": "States.Timeout", "Cause": ""}}`,
			chain:     chain,
			wantFail:  check.AWSChecks,
			wantClass: failure.Timeout,
			wantCalls: 5,
		},
		{
			name:      "salesforce scope",
			aws:       `{"out_of_scope": "salesforce"}`,
			chain:     chain,
			wantOK:    true,
			wantSkip:  check.AWSChecks,
			wantCalls: 5,
		},
		{
			name:     "aws scope",
			aws:      string(in.Branches[0]),
			chain:    json.RawMessage(`{"out_of_scope": "aws"}`),
			wantFail: []string{check.KmsKey},
			wantSkip: check.ChainChecks,
			// SalesforceLogin's /limits.
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := in
			give.Branches = []json.RawMessage{json.RawMessage(tt.aws), tt.chain}

			rep, err := handler.Assemble(give, now.Add(time.Second))

			require.NoError(t, err)
			assert.Equal(t, check.Names(), resultNames(rep.Checks))
			assert.Equal(t, tt.wantOK, rep.OK)
			assert.Equal(t, tt.wantFail, rep.FailedChecks())
			var skipped []string
			for _, r := range rep.Checks {
				if r.Status == check.Skip {
					skipped = append(skipped, r.Name)
					assert.Contains(t, r.Message, "out of this run's scope")
				}
				if r.Failed() && tt.wantClass != "" {
					assert.Equal(t, tt.wantClass, r.ErrorClass, r.Name)
				}
			}
			assert.Equal(t, tt.wantSkip, skipped)
			assert.Equal(t, tt.wantCalls, rep.SalesforceCalls)
			if tt.wantCalls <= 1 { // no chain call: at most SalesforceLogin's
				assert.Equal(t, check.CleanupNotNeeded, rep.Cleanup.Status)
			}
		})
	}
}

// TestAssemble_cleanupCaught: the cleanup Lambda itself failed
// (CleanupCaught): the missing steps and the cleanup are completed.
func TestAssemble_cleanupCaught(t *testing.T) {
	var in handler.PublishInput
	require.NoError(t, json.Unmarshal(fixture(t, "publish-metrics.json"), &in))
	in.Branches[1] = json.RawMessage(`{
		"target": {"function": "sfInvokeAPI-prod"}, "run_id": "20250304T050607Z-exec1",
		"started_at": "2025-03-04T05:06:07Z", "case_id": "5001r0000000000002",
		"results": [
			{"name": "PhoneLookup", "status": "pass", "duration_ms": 1, "error_class": "", "message": "", "remediation": ""},
			{"name": "CreateCase", "status": "pass", "duration_ms": 1, "error_class": "", "message": "", "remediation": ""}
		],
		"salesforce_calls": 2, "failed": false,
		"error": {"Error": "States.Timeout", "Cause": ""},
		"cleanup_error": {"Error": "Lambda.ServiceException", "Cause": "internal"}}`)

	rep, err := handler.Assemble(in, now)

	require.NoError(t, err)
	got := map[string]check.Result{}
	for _, r := range rep.Checks {
		got[r.Name] = r
	}
	assert.Equal(t, failure.Timeout, got[check.CloseCase].ErrorClass)
	assert.Equal(t, check.Skip, got[check.VerifyCaseClosed].Status)
	assert.Equal(t, check.CleanupFailed, rep.Cleanup.Status)
	assert.Equal(t, failure.Network, rep.Cleanup.ErrorClass)
	assert.Contains(t, rep.Cleanup.Message, "Lambda.ServiceException: internal")
	assert.Equal(t, 2+1, rep.SalesforceCalls, "two chain calls and SalesforceLogin's /limits")
	assert.ElementsMatch(t, []string{check.KmsKey, check.CloseCase}, rep.FailedChecks())
}

func resultNames(rs []check.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// TestPublishMetrics_pauseGate covers the call with "pause" set: the
// workflow's pause gate (work in progress upstream; kept minimal).
func TestPublishMetrics_pauseGate(t *testing.T) {
	tests := []struct {
		name        string
		givePause   string
		wantPaused  bool
		wantDatums  []datum
		wantSkipped bool
	}{
		{name: "paused", givePause: `{"paused": true, "reason": "API user locked"}`, wantPaused: true,
			wantDatums: []datum{{Name: "Paused", Value: 1, Dims: map[string]string{"Target": "prod-eu"}}}, wantSkipped: true},
		{name: "pause expired", givePause: `{"paused": true, "until": "2025-03-04T05:00:00Z"}`},
		{name: "resumed", givePause: `{"paused": false}`},
		{name: "garbage fails open", givePause: `paused`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []datum
			h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Now: func() time.Time { return now }}
			payload := []byte(`{"target": {"function": "sfInvokeAPI-prod", "name": "prod-eu"}, "run_id": "exec1", "pause": ` + mustJSON(t, tt.givePause) + `}`)

			out, err := invoke(t, h.Handle, payload)

			require.NoError(t, err)
			var o handler.PublishOutput
			require.NoError(t, json.Unmarshal(out, &o))
			assert.Equal(t, tt.wantPaused, o.Paused)
			assert.Equal(t, tt.wantDatums, got)
			assert.Equal(t, []string{}, o.FailedChecks)
			if tt.wantSkipped {
				assert.True(t, o.OK)
				assert.Equal(t, check.Names(), resultNames(o.Report.Checks))
				for _, r := range o.Report.Checks {
					assert.Equal(t, check.Skip, r.Status)
					assert.Contains(t, r.Message, "API user locked")
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestLogging: one structured line per check, the phone masked, no secret.
func TestLogging(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	d := checktest.NewDeployment()
	cfg := &handler.CheckConfig{Deps: d.Deps(), Log: log}
	step := &handler.CheckSalesforce{Deps: d.Deps(), Log: log, Now: func() time.Time { return now }}

	_, err := invoke(t, cfg.Handle, withField(t, fixture(t, "check-config.json"), "checks", []string{check.SecretAccess}))
	require.NoError(t, err)
	_, err = invoke(t, step.Handle, fixture(t, "check-salesforce.json"))
	require.NoError(t, err)

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	for _, l := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(l, &rec), "%s", l)
		assert.Equal(t, "check", rec["msg"])
		assert.Equal(t, "prod-eu", rec["target"])
		assert.Equal(t, "+********4455", rec["phone"])
	}
	assert.NotContains(t, buf.String(), checktest.Phone)
	for k, v := range checktest.SecretValues {
		assert.NotContains(t, buf.String(), v, "the log leaks the secret's %s", k)
	}
}

// TestCheckSalesforce_retriedCreateGoesThroughTheMarker: the workflow's
// Retry of CreateCase ("attempt" from $$.State.RetryCount) looks the run
// marker up before creating, and the result says how many attempts it took.
func TestCheckSalesforce_retriedCreateGoesThroughTheMarker(t *testing.T) {
	d := checktest.NewDeployment()
	after := chainAfter(t, check.ChainChecks[:1])
	var chain check.Chain
	require.NoError(t, json.Unmarshal(after, &chain))
	d.SFInvokeAPI.Ops["query"] = checktest.Query(checktest.Case{ID: checktest.CaseID, Subject: events.Subject(chain.Marker())})
	noWait := check.WithSleep(func(context.Context, time.Duration) bool { return true })
	h := &handler.CheckSalesforce{Deps: d.Deps(), Opts: []check.Option{noWait}, Now: func() time.Time { return now }}
	payload, err := json.Marshal(map[string]any{"check": check.CreateCase, "chain": json.RawMessage(after), "attempt": 1})
	require.NoError(t, err)

	out, err := invoke(t, h.Handle, payload)

	require.NoError(t, err)
	var c check.Chain
	require.NoError(t, json.Unmarshal(out, &c))
	assert.False(t, c.Failed)
	assert.Equal(t, checktest.CaseID, c.CaseID)
	assert.Equal(t, []string{"query"}, d.SFInvokeAPI.Operations(), "no create: the previous attempt's case was found")
	assert.Equal(t, 2, c.Results[1].Attempts)
	assert.True(t, c.CreateUncertain)
}

// TestCheckSalesforce_overBudget: a step that would start past the chain's
// time budget fails timeout at once, not transiently (no Retry), and calls
// nothing, so the workflow reaches Cleanup in time.
func TestCheckSalesforce_overBudget(t *testing.T) {
	d := checktest.NewDeployment()
	after := chainAfter(t, check.ChainChecks[:1])
	var chain check.Chain
	require.NoError(t, json.Unmarshal(after, &chain))
	chain.StartedAt = time.Now().Add(-61 * time.Second)
	chain.BudgetSeconds = 60
	h := &handler.CheckSalesforce{Deps: d.Deps(), Now: func() time.Time { return now }}

	out, err := invoke(t, h.Handle, chainPayload(t, check.CreateCase, []byte(mustJSON(t, chain))))

	require.NoError(t, err, "not a TransientError: the Task is not retried")
	var c check.Chain
	require.NoError(t, json.Unmarshal(out, &c))
	assert.True(t, c.Failed)
	assert.Equal(t, failure.Timeout, c.Results[1].ErrorClass)
	assert.Contains(t, c.Results[1].Message, "time budget (60 s")
	assert.Empty(t, d.SFInvokeAPI.Operations())
}

// TestPublishMetrics_fleetOutputIsCompact: in a fleet (fleet_size > 1) the
// output carries the compact report, so that 50 targets fit the Map's 256
// KiB; the metrics come from the full report all the same, and a single
// target's output keeps every detail.
func TestPublishMetrics_fleetOutputIsCompact(t *testing.T) {
	for _, tt := range []struct {
		fleet       int
		wantCompact bool
	}{{0, false}, {1, false}, {2, true}, {50, true}} {
		var got []datum
		h := &handler.PublishMetrics{Publisher: recordingPublisher(&got), Now: func() time.Time { return now.Add(30 * time.Second) }}
		var payload map[string]any
		require.NoError(t, json.Unmarshal(fixture(t, "publish-metrics.json"), &payload))
		if tt.fleet > 0 {
			payload["fleet_size"] = tt.fleet
		}
		raw, err := json.Marshal(payload)
		require.NoError(t, err)

		out, err := invoke(t, h.Handle, raw)

		require.NoError(t, err)
		var o handler.PublishOutput
		require.NoError(t, json.Unmarshal(out, &o))
		require.NotEmpty(t, o.Report.Checks)
		var remedies, long int
		for _, c := range o.Report.Checks {
			if c.Remediation != "" {
				remedies++
			}
			if len([]rune(c.Message)) > check.CompactMessageRunes {
				long++
			}
		}
		if tt.wantCompact {
			assert.Zero(t, remedies, "fleet %d: the runbook anchor stands for the remedy", tt.fleet)
			assert.Zero(t, long, "fleet %d: messages are cut", tt.fleet)
		} else {
			assert.NotZero(t, remedies, "fleet %d: a single target's report is whole", tt.fleet)
		}
		assert.Contains(t, got, datum{Name: "CheckFailure", Value: 1, Dims: map[string]string{"Target": "prod-eu", "Check": "KmsKey"}})
		assert.Equal(t, []string{check.KmsKey}, o.FailedChecks)
	}
}

func TestReportCompact(t *testing.T) {
	long := strings.Repeat("é", check.CompactMessageRunes+50)
	rep := check.Report{Target: "t", Checks: []check.Result{{
		Name: check.ConnectAccess, Status: check.Fail, ErrorClass: "timeout", Message: long, Remediation: "do this",
		Runbook: "docs/RUNBOOK.md#timeout", Attempts: 2, Connect: &check.ConnectView{BlocksCalling: 1},
		Invocation: &check.Invocation{DurationMS: 1}, Shape: []check.ShapeKey{{Key: "a", Kind: "list"}},
	}}}
	c := rep.Compact()
	got := c.Checks[0]
	assert.Equal(t, check.CompactMessageRunes, len([]rune(got.Message)))
	assert.True(t, strings.HasSuffix(got.Message, "…"))
	assert.Nil(t, got.Connect)
	assert.Nil(t, got.Invocation)
	assert.Nil(t, got.Shape)
	assert.Empty(t, got.Remediation)
	assert.Equal(t, "docs/RUNBOOK.md#timeout", got.Runbook)
	assert.Equal(t, 2, got.Attempts)
	assert.NotNil(t, rep.Checks[0].Connect, "the original is left alone")
}
