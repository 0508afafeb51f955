package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/handler"
)

// The benchmarks of this file measure sfprobe's own CPU time and
// allocations per Lambda invocation: every AWS API is an in-memory fake
// that answers at once with a response built before the timer starts, and
// the handlers log as in Lambda (JSON), to io.Discard.

// benchLog is the functions' JSON logger, writing nowhere.
var benchLog = slog.New(slog.NewJSONHandler(io.Discard, nil))

// instantInvoker answers sfInvokeAPI's operations with prebuilt responses
// (the contract's success payloads), reading only the event's sf_operation.
type instantInvoker map[string]*awslambda.InvokeOutput

func newInstantInvoker() instantInvoker {
	out := instantInvoker{}
	for op, v := range map[string]any{
		"phoneLookup": map[string]any{"Id": checktest.ContactID, "Name": "Jim Smith", "Email": nil, "sf_count": 1},
		"create":      map[string]any{"Id": checktest.CaseID},
		"update":      map[string]any{"Status": 204},
		"lookup":      map[string]any{"Id": checktest.CaseID, "Status": "Closed", "IsClosed": true, "sf_count": 1},
		"delete":      map[string]any{"Response": nil},
		"query":       map[string]any{"sf_count": 0},
	} {
		out[op] = checktest.Returns(v)
	}
	return out
}

var sfOperationKey = []byte(`"sf_operation"`)

func (f instantInvoker) Invoke(_ context.Context, in *awslambda.InvokeInput, _ ...func(*awslambda.Options)) (*awslambda.InvokeOutput, error) {
	rest := in.Payload[bytes.Index(in.Payload, sfOperationKey)+len(sfOperationKey):]
	rest = rest[bytes.IndexByte(rest, '"')+1:]
	if out, ok := f[string(rest[:bytes.IndexByte(rest, '"')])]; ok {
		return out, nil
	}
	return checktest.Raises("Exception", "sf_operation unknown"), nil
}

// instantDeps is the healthy deployment of checktest with every answer
// built once, so the fakes allocate nothing per call.
func instantDeps() check.Deps {
	d := checktest.NewDeployment()
	ctx := context.Background()
	fn, _ := d.Lambda.GetFunctionConfigurationFn(ctx, nil)
	policy, _ := d.Lambda.GetPolicyFn(ctx, nil)
	d.Lambda.GetFunctionConfigurationFn = func(context.Context, *awslambda.GetFunctionConfigurationInput, ...func(*awslambda.Options)) (*awslambda.GetFunctionConfigurationOutput, error) {
		return fn, nil
	}
	d.Lambda.GetPolicyFn = func(context.Context, *awslambda.GetPolicyInput, ...func(*awslambda.Options)) (*awslambda.GetPolicyOutput, error) {
		return policy, nil
	}
	meta, _ := d.SecretsManager.DescribeSecretFn(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(checktest.SecretARN)})
	value, _ := d.SecretsManager.GetSecretValueFn(ctx, &secretsmanager.GetSecretValueInput{SecretId: meta.ARN})
	versions, _ := d.SecretsManager.ListSecretVersionIdsFn(ctx, nil)
	d.SecretsManager.DescribeSecretFn = func(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		return meta, nil
	}
	d.SecretsManager.GetSecretValueFn = func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		return value, nil
	}
	d.SecretsManager.ListSecretVersionIdsFn = func(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
		return versions, nil
	}
	key, _ := d.KMS.DescribeKeyFn(ctx, nil)
	keyPolicy, _ := d.KMS.GetKeyPolicyFn(ctx, nil)
	d.KMS.DescribeKeyFn = func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
		return key, nil
	}
	d.KMS.GetKeyPolicyFn = func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
		return keyPolicy, nil
	}
	simulated := map[string]*iam.SimulatePrincipalPolicyOutput{}
	d.IAM.SimulatePrincipalPolicyFn = func(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
		k := ""
		for _, a := range in.ActionNames {
			k += a + ","
		}
		if len(in.ResourceArns) > 0 {
			k += in.ResourceArns[0]
		}
		out, ok := simulated[k]
		if !ok {
			out = checktest.Simulated(in, iamtypes.PolicyEvaluationDecisionTypeAllowed)
			simulated[k] = out
		}
		return out, nil
	}
	deps := d.Deps()
	deps.Invoker = newInstantInvoker()
	return deps
}

func benchTarget(b *testing.B) check.Target {
	b.Helper()
	var in handler.CheckConfigInput
	if err := json.Unmarshal(benchFixture(b, "check-config.json"), &in); err != nil {
		b.Fatal(err)
	}
	return in.Target
}

func benchFixture(b *testing.B, name string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func requirePassed(b *testing.B, r check.Result) {
	b.Helper()
	if r.Status != check.Pass && r.Status != check.Warn {
		b.Fatalf("%s: %s %s: %s", r.Name, r.Status, r.ErrorClass, r.Message)
	}
}

// singles returns each name alone.
func singles(names []string) [][]string {
	out := make([][]string, len(names))
	for i, n := range names {
		out[i] = []string{n}
	}
	return out
}

// BenchmarkCheckConfig: through CheckConfig.Handle, the four AWS checks in
// one invocation (as the workflow calls it: "all"), and each alone.
func BenchmarkCheckConfig(b *testing.B) {
	h := &handler.CheckConfig{Deps: instantDeps(), Log: benchLog}
	target := benchTarget(b)
	for _, names := range append([][]string{check.AWSChecks}, singles(check.AWSChecks)...) {
		name := names[0]
		if len(names) > 1 {
			name = "all"
		}
		b.Run(name, func(b *testing.B) {
			in := handler.CheckConfigInput{Checks: names, Target: target}
			res, err := h.Handle(context.Background(), in)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res.Results {
				requirePassed(b, r)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h.Handle(context.Background(), in)
			}
		})
	}
}

// chainBefore runs the chain's steps before step and returns the chain
// state the workflow hands to it.
func chainBefore(b *testing.B, h *handler.CheckSalesforce, target check.Target, step string) check.Chain {
	b.Helper()
	c := check.Chain{Target: target, RunID: "20250304T050607Z-bench", Results: []check.Result{}}
	for _, name := range check.ChainChecks {
		if name == step {
			break
		}
		var err error
		if c, err = h.Handle(context.Background(), handler.ChainInput{Check: name, Chain: c}); err != nil {
			b.Fatal(err)
		}
		requirePassed(b, c.Results[len(c.Results)-1])
	}
	return c
}

// BenchmarkCheckSalesforce: one chain step per op through
// CheckSalesforce.Handle, each from the chain state the previous steps
// leave.
func BenchmarkCheckSalesforce(b *testing.B) {
	h := &handler.CheckSalesforce{Deps: instantDeps(), Log: benchLog, Now: func() time.Time { return now }}
	target := benchTarget(b)
	for _, step := range check.ChainChecks {
		b.Run(step, func(b *testing.B) {
			in := handler.ChainInput{Check: step, Chain: chainBefore(b, h, target, step)}
			out, err := h.Handle(context.Background(), in)
			if err != nil {
				b.Fatal(err)
			}
			requirePassed(b, out.Results[len(out.Results)-1])
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h.Handle(context.Background(), in)
			}
		})
	}
}

// BenchmarkCleanup: the cleanup Lambda after a passing chain (it deletes
// the closed test case: one sfInvokeAPI call).
func BenchmarkCleanup(b *testing.B) {
	deps := instantDeps()
	sf := &handler.CheckSalesforce{Deps: deps, Now: func() time.Time { return now }}
	in := handler.ChainInput{Chain: chainBefore(b, sf, benchTarget(b), "")}
	h := &handler.Cleanup{Deps: deps, Log: benchLog}
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	if out.Cleanup == nil || out.Cleanup.Status != check.CleanupDeleted {
		b.Fatalf("cleanup: %+v", out.Cleanup)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.Handle(context.Background(), in)
	}
}

// passingBranches are the Parallel state's branches of a passing run.
func passingBranches(b *testing.B) []json.RawMessage {
	b.Helper()
	deps := instantDeps()
	target := benchTarget(b)
	cc := &handler.CheckConfig{Deps: deps}
	res, err := cc.Handle(context.Background(), handler.CheckConfigInput{Checks: check.AWSChecks, Target: target})
	if err != nil {
		b.Fatal(err)
	}
	out := []json.RawMessage{mustMarshal(b, res)}
	sf := &handler.CheckSalesforce{Deps: deps, Now: func() time.Time { return now }}
	chain, err := (&handler.Cleanup{Deps: deps}).Handle(context.Background(), handler.ChainInput{Chain: chainBefore(b, sf, target, "")})
	if err != nil {
		b.Fatal(err)
	}
	return append(out, mustMarshal(b, chain))
}

func mustMarshal(b *testing.B, v any) json.RawMessage {
	b.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkPublishMetrics: the report of a run from its branches, its
// metric datums (detailed) and the verdict, with a publisher that does
// nothing: a passing run, and the failed run of
// testdata/publish-metrics.json (which also builds the Fail cause).
func BenchmarkPublishMetrics(b *testing.B) {
	h := &handler.PublishMetrics{Publisher: nopPublisher{}, Detailed: true, Log: benchLog, Now: func() time.Time { return now }}
	var failed handler.PublishInput
	if err := json.Unmarshal(benchFixture(b, "publish-metrics.json"), &failed); err != nil {
		b.Fatal(err)
	}
	passing := handler.PublishInput{Target: benchTarget(b), RunID: "20250304T050607Z-bench", Branches: passingBranches(b)}
	for _, tt := range []struct {
		name   string
		in     handler.PublishInput
		wantOK bool
	}{
		{"pass", passing, true},
		{"failed", failed, false},
	} {
		b.Run(tt.name, func(b *testing.B) {
			out, err := h.Handle(context.Background(), tt.in)
			if err != nil {
				b.Fatal(err)
			}
			if out.OK != tt.wantOK {
				b.Fatalf("ok %t, failed checks %v", out.OK, out.FailedChecks)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h.Handle(context.Background(), tt.in)
			}
		})
	}
}

// BenchmarkLambdaInvoke: one invocation of each function as the Lambda
// runtime makes it (aws-lambda-go decodes the JSON event and encodes the
// result), with the same fakes: the handler cost plus the JSON envelope.
func BenchmarkLambdaInvoke(b *testing.B) {
	deps := instantDeps()
	target := benchTarget(b)
	sf := &handler.CheckSalesforce{Deps: deps, Log: benchLog, Now: func() time.Time { return now }}
	publish := handler.PublishInput{Target: target, RunID: "20250304T050607Z-bench", Branches: passingBranches(b)}
	for _, tt := range []struct {
		name    string
		handler any
		event   any
	}{
		{"check-config", (&handler.CheckConfig{Deps: deps, Log: benchLog}).Handle, handler.CheckConfigInput{Checks: check.AWSChecks, Target: target}},
		{"check-salesforce", sf.Handle, handler.ChainInput{Check: check.PhoneLookup, Chain: chainBefore(b, sf, target, check.PhoneLookup)}},
		{"cleanup", (&handler.Cleanup{Deps: deps, Log: benchLog}).Handle, handler.ChainInput{Chain: chainBefore(b, sf, target, "")}},
		{"publish-metrics", (&handler.PublishMetrics{Publisher: nopPublisher{}, Log: benchLog, Now: func() time.Time { return now }}).Handle, publish},
	} {
		b.Run(tt.name, func(b *testing.B) {
			h := lambda.NewHandler(tt.handler)
			payload := mustMarshal(b, tt.event)
			if _, err := h.Invoke(context.Background(), payload); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h.Invoke(context.Background(), payload)
			}
		})
	}
}
