package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLambdaBlocks(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"
	tests := []struct {
		name    string
		give    string
		want    []lambdaBlock
		wantErr bool
	}{
		{
			name: "timeout as the flow language writes it, a string",
			give: `{"Actions":[{"Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"` + fn + `","InvocationTimeLimitSeconds":"8","ResponseValidation":{"ResponseType":"JSON"}}}]}`,
			want: []lambdaBlock{{FunctionARN: fn, TimeoutSeconds: 8, ResponseType: ResponseJSON}},
		},
		{
			name: "a number is read too",
			give: `{"Actions":[{"Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"` + fn + `:prod","InvocationTimeLimitSeconds":5}}]}`,
			want: []lambdaBlock{{FunctionARN: fn + ":prod", TimeoutSeconds: 5, ResponseType: ResponseStringMap}},
		},
		{
			name: "no timeout, no response validation: 3 s, STRING_MAP",
			give: `{"Actions":[{"Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"` + fn + `"}}]}`,
			want: []lambdaBlock{{FunctionARN: fn, TimeoutSeconds: 3, ResponseType: ResponseStringMap}},
		},
		{
			name: "a dynamic ARN",
			give: `{"Actions":[{"Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"$.Attributes.fn","InvocationTimeLimitSeconds":"x"}}]}`,
			want: []lambdaBlock{{Dynamic: true, TimeoutSeconds: 3, ResponseType: ResponseStringMap}},
		},
		{
			name: "other actions are left out",
			give: `{"Actions":[{"Type":"MessageParticipant","Parameters":{"Text":"hi"}},{"Type":"DisconnectParticipant"}]}`,
		},
		{name: "not JSON", give: `<flow/>`, wantErr: true},
		{name: "Parameters not an object", give: `{"Actions":[{"Type":"InvokeLambdaFunction","Parameters":"x"}]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLambdaBlocks(tt.give)
			if tt.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), tt.give, "errors never quote the content")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSplitFunctionARN(t *testing.T) {
	tests := []struct{ give, wantBase, wantQualifier string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws:lambda:us-east-1:123456789012:function:f", "$LATEST"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:7", "arn:aws:lambda:us-east-1:123456789012:function:f", "7"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:prod", "arn:aws:lambda:us-east-1:123456789012:function:f", "prod"},
		{"f", "", ""},
		{"arn:aws:lambda:us-east-1:123456789012:layer:f:1", "", ""},
	}
	for _, tt := range tests {
		base, q, _ := splitFunctionARN(tt.give)
		assert.Equal(t, tt.wantBase, base, tt.give)
		assert.Equal(t, tt.wantQualifier, q, tt.give)
	}
}
