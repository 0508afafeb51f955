package check_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	connecttypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

const fnARN = checktest.FunctionARN

func connectTarget() check.Target {
	t := target()
	t.ConnectInstanceARN = instanceX
	return t
}

// runConnect runs ConnectAccess on d with a cache of its own.
func runConnect(d *checktest.Deployment, t check.Target, opts ...check.Option) check.Result {
	opts = append([]check.Option{check.WithFlowCache(check.NewFlowCache())}, opts...)
	return check.RunAWSCheck(context.Background(), d.Deps(), check.ConnectAccess, t, opts...)
}

func TestConnectAccess_instance(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		give        func(d *checktest.Deployment)
		giveTarget  func() check.Target
		wantStatus  check.Status
		wantClass   failure.Class
		wantMessage []string
		wantRemedy  string
		want        func(t *testing.T, v *check.ConnectView)
	}{
		{
			name:       "healthy: associated, a 3 s STRING_MAP flow and an 8 s JSON module",
			give:       func(d *checktest.Deployment) { d.Lambda.GetFunctionConfigurationFn = timeoutOf(3) },
			wantStatus: check.Pass,
			wantMessage: []string{"associated with " + instanceX, "1 contact flow(s) and 1 module(s) call it", "smallest block timeout 3 s (Inbound Salesforce lookup)",
				"strictest response validation STRING_MAP"},
			want: func(t *testing.T, v *check.ConnectView) {
				assert.Equal(t, check.ConnectView{InstanceARN: instanceX, InstanceSource: "target", Associated: true, AssociatedARNs: []string{fnARN},
					FlowsCalling: 1, ModulesCalling: 1, BlocksCalling: 2, MinTimeoutSeconds: 3, MinTimeoutFlow: "Inbound Salesforce lookup",
					StrictestResponseType: "STRING_MAP", StringMapFlow: "Inbound Salesforce lookup", Qualifiers: []string{"$LATEST"},
					FlowsListed: 2, FlowsRead: 2, FunctionTimeoutSeconds: 3}, *v)
			},
		},
		{
			name:        "the function's timeout above the smallest block's: a note",
			wantStatus:  check.Pass,
			wantMessage: []string{"note: the function's timeout (15 s) is above the smallest block timeout (3 s, Inbound Salesforce lookup): Connect gives up"},
			want: func(t *testing.T, v *check.ConnectView) {
				assert.True(t, v.FunctionTimeoutAboveBlock)
				assert.Equal(t, 15, v.FunctionTimeoutSeconds)
			},
		},
		{
			name: "not associated",
			give: func(d *checktest.Deployment) {
				d.Instance.Functions = []string{"arn:aws:lambda:us-east-1:123456789012:function:other"}
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Permission,
			wantMessage: []string{"not associated with Amazon Connect instance " + instanceX},
			wantRemedy:  "Add Lambda Function",
			want:        func(t *testing.T, v *check.ConnectView) { assert.False(t, v.Associated) },
		},
		{
			name: "every page read: the function on the last page of many",
			give: func(d *checktest.Deployment) {
				d.Instance.PageSize = 1
				d.Instance.Functions = []string{"arn:aws:lambda:us-east-1:123456789012:function:a", "arn:aws:lambda:us-east-1:123456789012:function:b", fnARN}
				d.Instance.Flows = append([]checktest.Flow{{ID: "f0", Name: "Other", Content: checktest.InvokeBlock("arn:aws:lambda:us-east-1:123456789012:function:a", "2", "")}}, d.Instance.Flows...)
				d.Instance.Flows = append(d.Instance.Flows, checktest.Flow{ID: "f9", Name: "Late flow", Content: checktest.InvokeBlock(fnARN, "", ""), Modified: at})
			},
			wantStatus: check.Pass,
			want: func(t *testing.T, v *check.ConnectView) {
				assert.True(t, v.Associated)
				assert.Equal(t, 2, v.FlowsCalling, "the flow on a later page counts; the other function's does not")
				assert.Equal(t, 4, v.FlowsListed)
				assert.Equal(t, 3, v.MinTimeoutSeconds, "a block without InvocationTimeLimitSeconds waits 3 s")
			},
		},
		{
			name: "archived flows are left out",
			give: func(d *checktest.Deployment) {
				d.Instance.Flows = append(d.Instance.Flows, checktest.Flow{ID: "old", Name: "Old", Archived: true, Content: checktest.InvokeBlock(fnARN, "1", "STRING_MAP")})
			},
			wantStatus: check.Pass,
			want:       func(t *testing.T, v *check.ConnectView) { assert.Equal(t, 3, v.MinTimeoutSeconds) },
		},
		{
			name: "the flows call an alias the instance does not list",
			give: func(d *checktest.Deployment) {
				d.Instance.Flows = []checktest.Flow{{ID: "f", Name: "Prod flow", Content: checktest.InvokeBlock(fnARN+":prod", "5", "JSON")}}
				d.Instance.Functions = []string{fnARN + ":staging"}
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Permission,
			wantMessage: []string{"call the function as prod", "does not list"},
			wantRemedy:  "Add Lambda Function",
		},
		{
			name: "the alias the flows call is listed",
			give: func(d *checktest.Deployment) {
				d.Lambda.GetFunctionConfigurationFn = timeoutOf(5)
				d.Instance.Flows = []checktest.Flow{{ID: "f", Name: "Prod flow", Content: checktest.InvokeBlock(fnARN+":prod", "5", "JSON")}}
				d.Instance.Functions = []string{fnARN + ":prod"}
			},
			wantStatus: check.Pass,
			want: func(t *testing.T, v *check.ConnectView) {
				assert.Equal(t, []string{"prod"}, v.Qualifiers)
				assert.Equal(t, "JSON", v.StrictestResponseType)
				assert.Empty(t, v.StringMapFlow)
			},
		},
		{
			name: "the flows call an alias, only the unqualified function is listed",
			give: func(d *checktest.Deployment) {
				d.Lambda.GetFunctionConfigurationFn = timeoutOf(5)
				d.Instance.Flows = []checktest.Flow{{ID: "f", Name: "Prod flow", Content: checktest.InvokeBlock(fnARN+":prod", "5", "JSON")}}
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"qualifier(s) prod, which the instance does not list"},
		},
		{
			name:        "no flow calls the function",
			give:        func(d *checktest.Deployment) { d.Instance.Flows = nil },
			wantStatus:  check.Pass,
			wantMessage: []string{"no contact flow or module of it calls the function"},
			want:        func(t *testing.T, v *check.ConnectView) { assert.Zero(t, v.MinTimeoutSeconds) },
		},
		{
			name: "a dynamic function ARN is counted, not guessed",
			give: func(d *checktest.Deployment) {
				d.Instance.Flows = append(d.Instance.Flows, checktest.Flow{ID: "dyn", Name: "Dynamic", Content: checktest.InvokeBlock("$.Attributes.fn", "1", "")})
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"1 InvokeLambdaFunction block(s) set the function ARN dynamically"},
			want:        func(t *testing.T, v *check.ConnectView) { assert.Equal(t, 3, v.MinTimeoutSeconds) },
		},
		{
			name:        "the instance from the resource policy",
			giveTarget:  target,
			give:        func(d *checktest.Deployment) { d.Lambda.GetFunctionConfigurationFn = timeoutOf(3) },
			wantStatus:  check.Pass,
			wantMessage: []string{"associated with " + instanceX},
			want:        func(t *testing.T, v *check.ConnectView) { assert.Equal(t, "resource-policy", v.InstanceSource) },
		},
		{
			name:       "the instance from the resource policy, sfprobe not granted its side",
			giveTarget: target,
			give: func(d *checktest.Deployment) {
				d.Connect.ListLambdaFunctionsFn = func(context.Context, *connect.ListLambdaFunctionsInput, ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error) {
					return nil, &connecttypes.AccessDeniedException{Message: aws.String("not authorized")}
				}
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"the instance side of " + instanceX + " (association, contact flows) was not checked", "AccessDeniedException", "--connect-instance-arn"},
		},
		{
			name:       "the instance from the resource policy, not associated",
			giveTarget: target,
			give:       func(d *checktest.Deployment) { d.Instance.Functions = nil },
			wantStatus: check.Fail,
			wantClass:  failure.Permission,
			wantRemedy: "Add Lambda Function",
		},
		{
			name:       "no instance known",
			giveTarget: target,
			give: func(d *checktest.Deployment) {
				d.Lambda.GetPolicyFn = policyOf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"connect.amazonaws.com"},"Action":"lambda:InvokeFunction",` +
					`"Condition":{"ArnLike":{"AWS:SourceArn":["` + instanceX + `","` + instanceY + `"]}}}]}`)
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"the instance side (association, contact flows) was not checked", "several instances"},
		},
		{
			name: "Connect denies sfprobe ListLambdaFunctions",
			give: func(d *checktest.Deployment) {
				d.Connect.ListLambdaFunctionsFn = func(context.Context, *connect.ListLambdaFunctionsInput, ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error) {
					return nil, &connecttypes.AccessDeniedException{Message: aws.String("not authorized")}
				}
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Permission,
			wantMessage: []string{"list the Lambda functions of Amazon Connect instance " + instanceX},
		},
		{
			name: "the instance does not exist",
			give: func(d *checktest.Deployment) {
				d.Connect.ListLambdaFunctionsFn = func(context.Context, *connect.ListLambdaFunctionsInput, ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error) {
					return nil, &connecttypes.ResourceNotFoundException{Message: aws.String("instance not found")}
				}
			},
			wantStatus: check.Fail,
			wantClass:  failure.NotFound,
		},
		{
			name: "Connect throttles DescribeContactFlow",
			give: func(d *checktest.Deployment) {
				d.Connect.DescribeContactFlowFn = func(context.Context, *connect.DescribeContactFlowInput, ...func(*connect.Options)) (*connect.DescribeContactFlowOutput, error) {
					return nil, &connecttypes.ThrottlingException{Message: aws.String("rate exceeded")}
				}
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Throttled,
			wantMessage: []string{`describe contact flow "Inbound Salesforce lookup"`},
		},
		{
			name: "Connect fails internally",
			give: func(d *checktest.Deployment) {
				d.Connect.ListContactFlowModulesFn = func(context.Context, *connect.ListContactFlowModulesInput, ...func(*connect.Options)) (*connect.ListContactFlowModulesOutput, error) {
					return nil, &connecttypes.InternalServiceException{Message: aws.String("oops")}
				}
			},
			wantStatus: check.Fail,
			wantClass:  failure.Network,
		},
		{
			name: "flow content that is not flow language",
			give: func(d *checktest.Deployment) {
				d.Instance.Flows[0].Content = "<xml/>"
			},
			wantStatus: check.Fail,
			wantClass:  failure.UnexpectedResponse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checktest.NewDeployment()
			if tt.give != nil {
				tt.give(d)
			}
			tg := connectTarget()
			if tt.giveTarget != nil {
				tg = tt.giveTarget()
			}
			r := runConnect(d, tg)
			assert.Equal(t, tt.wantStatus, r.Status, r.Message)
			assert.Equal(t, tt.wantClass, r.ErrorClass, r.Message)
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
			if tt.wantRemedy != "" {
				assert.Contains(t, r.Remediation, tt.wantRemedy)
			}
			if tt.want != nil {
				require.NotNil(t, r.Connect, r.Message)
				tt.want(t, r.Connect)
			}
		})
	}
}

func timeoutOf(seconds int32) func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	return func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		c := checktest.FunctionConfig(checktest.SFEnv())
		c.Timeout = aws.Int32(seconds)
		return c, nil
	}
}

func policyOf(doc string) func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	return func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
		return &lambda.GetPolicyOutput{Policy: aws.String(doc)}, nil
	}
}

// TestConnectAccess_capAndCache: the cap bounds the Describe calls of a run
// and says the scan was cut short; a later run of the same process reads the
// flows the first left and judges the rest from the cache.
func TestConnectAccess_capAndCache(t *testing.T) {
	d := checktest.NewDeployment()
	d.Lambda.GetFunctionConfigurationFn = timeoutOf(2)
	for i, timeout := range []string{"7", "6", "5"} {
		d.Instance.Flows = append(d.Instance.Flows, checktest.Flow{ID: "extra" + timeout, Name: "Extra " + timeout, Content: checktest.InvokeBlock(fnARN, timeout, "JSON"), Modified: time.Unix(int64(i), 0)})
	}
	d.Instance.Flows[0].Content = checktest.InvokeBlock(fnARN, "2", "STRING_MAP") // the strictest, first listed
	cache := check.NewFlowCache()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	run := func() check.Result {
		now = now.Add(time.Minute)
		return check.RunAWSCheck(context.Background(), d.Deps(), check.ConnectAccess, connectTarget(),
			check.WithFlowCache(cache), check.WithMaxFlows(3), check.WithClock(func() time.Time { return now }))
	}

	first := run()
	require.NotNil(t, first.Connect, first.Message)
	assert.Equal(t, check.Warn, first.Status)
	assert.Contains(t, first.Message, "scan cut short: 3 of 5 flows and modules read")
	assert.True(t, first.Connect.ScanTruncated)
	assert.Equal(t, 3, first.Connect.FlowsRead)
	assert.Equal(t, 3, d.Instance.Describes)

	second := run()
	require.NotNil(t, second.Connect)
	assert.False(t, second.Connect.ScanTruncated, second.Message)
	assert.Equal(t, 3, second.Connect.FlowsRead)
	assert.Equal(t, 2, second.Connect.FlowsFromCache)
	assert.Equal(t, 6, d.Instance.Describes, "the cap holds on every run")
	assert.Equal(t, 5, second.Connect.FlowsCalling+second.Connect.ModulesCalling, "every flow judged: read now or from the cache")
	assert.Equal(t, 2, second.Connect.MinTimeoutSeconds)
	assert.Equal(t, "STRING_MAP", second.Connect.StrictestResponseType)
	assert.Contains(t, second.Message, "judged from the content an earlier run read")
}

// TestConnectView_JSON pins the connect field's JSON names (a public interface).
func TestConnectView_JSON(t *testing.T) {
	b, err := json.Marshal(check.Result{Name: check.ConnectAccess, Connect: &check.ConnectView{InstanceARN: instanceX, Qualifiers: []string{"$LATEST"}, AssociatedARNs: []string{}}})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	c := m["connect"].(map[string]any)
	for _, k := range []string{"instance_arn", "instance_source", "associated", "associated_arns", "flows_calling", "modules_calling", "blocks_calling",
		"min_timeout_seconds", "qualifiers", "dynamic_blocks", "flows_listed", "flows_read", "flows_from_cache", "scan_truncated", "function_timeout_seconds",
		"function_timeout_above_block"} {
		assert.Contains(t, c, k)
	}
	b, err = json.Marshal(check.Result{Name: check.KmsKey})
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"connect"`, "other checks carry no connect field")
}

func TestResponseShapeProblem(t *testing.T) {
	tests := []struct {
		name         string
		give         string
		giveType     string
		wantKey      string
		wantWhyParts []string
	}{
		{name: "flat strings", give: `{"Id":"003","Name":"Jim"}`, giveType: "STRING_MAP"},
		{name: "numbers, booleans and null pass as text", give: `{"Id":"003","sf_count":1,"IsClosed":false,"Email":null}`, giveType: "STRING_MAP"},
		{name: "a nested relationship field", give: `{"Id":"003","Account":{"Name":"Acme"},"sf_count":1}`, giveType: "STRING_MAP", wantKey: "Account", wantWhyParts: []string{"nested object", "JSON"}},
		{name: "a list", give: `{"Ids":["1","2"]}`, giveType: "STRING_MAP", wantKey: "Ids", wantWhyParts: []string{"a list"}},
		{name: "the first offending key in order", give: `{"b":[1],"a":{"x":1}}`, giveType: "STRING_MAP", wantKey: "a"},
		{name: "JSON accepts nesting", give: `{"Account":{"Name":"Acme"},"l":[1]}`, giveType: "JSON"},
		{name: "lower-case type", give: `{"Account":{"Name":"Acme"}}`, giveType: "string_map", wantKey: "Account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.give), &resp))
			key, why := check.ResponseShapeProblem(resp, tt.giveType)
			assert.Equal(t, tt.wantKey, key)
			if tt.wantKey == "" {
				assert.Empty(t, why)
			}
			for _, p := range tt.wantWhyParts {
				assert.Contains(t, why, p)
			}
		})
	}
}
