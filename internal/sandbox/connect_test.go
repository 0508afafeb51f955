package sandbox_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
)

// TestConnectInstance_overTheSDK: the real Connect client reads the
// sandbox's instance over the REST-JSON wire protocol, every page of it.
func TestConnectInstance_overTheSDK(t *testing.T) {
	inst := &sandbox.ConnectInstance{ID: sandbox.ConnectInstanceID, PageSize: 1}
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"
	inst.SetFunctions("arn:aws:lambda:us-east-1:123456789012:function:a", "arn:aws:lambda:us-east-1:123456789012:function:b", fnARN)
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	inst.AddFlow(sandbox.ConnectFlow{ID: "f1", Name: "Inbound", Content: checktest.InvokeBlock(fnARN, "3", "STRING_MAP"), Modified: at})
	inst.AddFlow(sandbox.ConnectFlow{ID: "f2", Name: "Other", Content: checktest.InvokeBlock("arn:aws:lambda:us-east-1:123456789012:function:a", "1", ""), Modified: at})
	inst.AddFlow(sandbox.ConnectFlow{ID: "m1", Name: "Module", Module: true, Content: checktest.InvokeBlock(fnARN, "8", "JSON"), Modified: at})
	srv := httptest.NewServer(inst)
	defer srv.Close()
	client := connect.New(connect.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})

	ctx := context.Background()
	out, err := client.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: aws.String(sandbox.ConnectInstanceID), ContactFlowId: aws.String("f1")})
	require.NoError(t, err)
	assert.Equal(t, at, aws.ToTime(out.ContactFlow.LastModifiedTime).UTC())
	_, err = client.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: aws.String("nope"), ContactFlowId: aws.String("f1")})
	var nf interface{ ErrorCode() string }
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "ResourceNotFoundException", nf.ErrorCode())

	d := checktest.NewDeployment()
	d.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		c := checktest.FunctionConfig(checktest.SFEnv())
		c.FunctionArn = aws.String(fnARN)
		return c, nil
	}
	deps := d.Deps()
	deps.Connect = client
	tg := check.Target{Function: "sfInvokeAPI", Phone: checktest.Phone, ConnectInstanceARN: "arn:aws:connect:us-east-1:123456789012:instance/" + sandbox.ConnectInstanceID}
	d.Lambda.GetPolicyFn = func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
		return &lambda.GetPolicyOutput{Policy: aws.String(checktest.ConnectPolicy(tg.ConnectInstanceARN))}, nil
	}
	r := check.RunAWSCheck(ctx, deps, check.ConnectAccess, tg, check.WithFlowCache(check.NewFlowCache()))
	require.NotNil(t, r.Connect, r.Message)
	assert.Equal(t, check.Pass, r.Status, r.Message)
	assert.True(t, r.Connect.Associated)
	assert.Equal(t, 1, r.Connect.FlowsCalling)
	assert.Equal(t, 1, r.Connect.ModulesCalling)
	assert.Equal(t, 3, r.Connect.FlowsListed)
	assert.Equal(t, 3, r.Connect.MinTimeoutSeconds)
	assert.Equal(t, "STRING_MAP", r.Connect.StrictestResponseType)
}

// TestConnectAccess_local: in the sandbox, ConnectAccess reports the
// association, the flow and module calling the function and the smallest
// block timeout, through both engines.
func TestConnectAccess_local(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, options())
	require.NoError(t, err)

	assertView := func(t *testing.T, rep check.Report) {
		for _, c := range rep.Checks {
			if c.Name != check.ConnectAccess {
				continue
			}
			assert.NotEqual(t, check.Fail, c.Status, c.Message)
			require.NotNil(t, c.Connect, c.Message)
			v := *c.Connect
			assert.True(t, v.Associated)
			assert.Equal(t, 1, v.FlowsCalling)
			assert.Equal(t, 1, v.ModulesCalling)
			assert.Equal(t, 3, v.MinTimeoutSeconds)
			assert.Equal(t, sandbox.InboundFlowName, v.MinTimeoutFlow)
			assert.Equal(t, "STRING_MAP", v.StrictestResponseType)
			assert.Equal(t, []string{"$LATEST"}, v.Qualifiers)
			assert.False(t, v.ScanTruncated)
			return
		}
		t.Fatal("no ConnectAccess result")
	}
	t.Run("workflow", func(t *testing.T) {
		out, err := sb.Execute(ctx, sfn.Input{}, nil)
		require.NoError(t, err)
		require.NotNil(t, out.Report, "%s %s", out.Error, out.Cause)
		assertView(t, *out.Report)
	})
	t.Run("run", func(t *testing.T) {
		deps := sb.Deps()
		rep := check.NewRunner(deps, check.WithCallTimeout(10*time.Second)).Run(ctx, sb.Target, check.AWSChecks)
		assertView(t, rep)
		for _, c := range rep.Checks {
			if c.Name == check.ConnectAccess {
				assert.Empty(t, c.ErrorClass, failure.Class(""))
			}
		}
	})
}
