package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConditionHolds(t *testing.T) {
	ctx := map[string][]string{
		"aws:sourcearn":             {"arn:aws:connect:us-east-1:123456789012:instance/abc"},
		"aws:sourceaccount":         {"123456789012"},
		"aws:sourceip":              nil, // known absent
		"kms:encryptioncontextkeys": {"SecretARN", "SecretVersionId"},
	}
	tests := []struct {
		name string
		op   string
		key  string
		give []string
		want tri
	}{
		{"equals", "StringEquals", "aws:SourceAccount", []string{"123456789012"}, triYes},
		{"keys are case-insensitive", "StringEquals", "AWS:SOURCEACCOUNT", []string{"123456789012"}, triYes},
		{"operators are case-insensitive", "stringequals", "aws:SourceAccount", []string{"1"}, triNo},
		{"not equals on a match", "StringNotEquals", "aws:SourceAccount", []string{"123456789012"}, triNo},
		{"not equals on another value", "StringNotEquals", "aws:SourceAccount", []string{"999999999999"}, triYes},
		{"positive on an absent key", "StringEquals", "aws:SourceIp", []string{"10.0.0.1"}, triNo},
		{"IfExists on an absent key", "StringEqualsIfExists", "aws:SourceIp", []string{"10.0.0.1"}, triYes},
		{"negated on an absent key", "StringNotLike", "aws:SourceIp", []string{"10.*"}, triYes},
		{"unknown key", "StringEquals", "aws:PrincipalTag/team", []string{"x"}, triMaybe},
		{"unknown operator", "IpAddress", "aws:SourceAccount", []string{"10.0.0.0/8"}, triMaybe},
		{"ArnLike per component", "ArnLike", "aws:SourceArn", []string{"arn:aws:connect:*:123456789012:instance/*"}, triYes},
		{"ArnLike wildcard stays in its component", "ArnLike", "aws:SourceArn", []string{"arn:aws:connect:*:instance/abc"}, triNo},
		{"ArnNotEquals on the ARN", "ArnNotEquals", "aws:SourceArn", []string{"arn:aws:connect:us-east-1:123456789012:instance/abc"}, triNo},
		{"Null true on an absent key", "Null", "aws:SourceIp", []string{"true"}, triYes},
		{"Null true on a present key", "Null", "aws:SourceAccount", []string{"true"}, triNo},
		{"ForAnyValue", "ForAnyValue:StringEquals", "kms:EncryptionContextKeys", []string{"SecretARN"}, triYes},
		{"ForAllValues", "ForAllValues:StringEquals", "kms:EncryptionContextKeys", []string{"SecretARN"}, triNo},
		{"ForAllValues covered", "ForAllValues:StringLike", "kms:EncryptionContextKeys", []string{"Secret*"}, triYes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, conditionHolds(tt.op, tt.key, tt.give, ctx))
		})
	}
}

func TestResourcePolicyEvaluate(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/service-role/sfLambdaBasicExec"
	tests := []struct {
		name string
		give string
		want policyEvaluation
	}{
		{
			name: "one statement object, the role by ARN",
			give: `{"Statement":{"Sid":"A","Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":"kms:Decrypt","Resource":"*"}}`,
			want: policyEvaluation{Allow: []string{"A"}},
		},
		{
			name: "the account root delegates",
			give: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"kms:*","Resource":"*"}]}`,
			want: policyEvaluation{Delegate: []string{"statement 1"}},
		},
		{
			name: "the bare account id delegates",
			give: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*"}]}`,
			want: policyEvaluation{Delegate: []string{"statement 1"}},
		},
		{
			name: "a session of the role, without the path",
			give: `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/sfLambdaBasicExec/fn"},"Action":"kms:*","Resource":"*"}]}`,
			want: policyEvaluation{Deny: []string{"statement 1"}},
		},
		{
			name: "another role, another action, NotAction",
			give: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Other"},"Action":"kms:Decrypt","Resource":"*"},` +
				`{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"},` +
				`{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}]}`,
			want: policyEvaluation{},
		},
		{
			name: "NotPrincipal",
			give: `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Admin"},"Action":"kms:*","Resource":"*"}]}`,
			want: policyEvaluation{Deny: []string{"statement 1"}},
		},
		{
			name: "a condition sfprobe cannot evaluate",
			give: `{"Statement":[{"Sid":"Net","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
			want: policyEvaluation{MaybeDeny: []string{"Net (IpAddress on aws:SourceIp cannot be evaluated)"}},
		},
		{
			name: "a condition that fails beats one sfprobe cannot evaluate",
			give: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"kms:CallerAccount":"999999999999"}}}]}`,
			want: policyEvaluation{},
		},
		{
			name: "another resource",
			give: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:123456789012:key/other"}]}`,
			want: policyEvaluation{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseResourcePolicy(tt.give)
			require.NoError(t, err)
			got := p.evaluate(policyRequest{
				Principal: policyPrincipal{RoleARN: role}, Action: "kms:Decrypt",
				Resource: "arn:aws:kms:us-east-1:123456789012:key/k",
				Context:  map[string][]string{"kms:calleraccount": {"123456789012"}},
			})
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseResourcePolicy_errors(t *testing.T) {
	for _, give := range []string{"{", `{"Statement":"x"}`, `{"Statement":["x"]}`} {
		_, err := parseResourcePolicy(give)
		assert.Error(t, err, give)
	}
	p, err := parseResourcePolicy(`{"Version":"2012-10-17"}`)
	require.NoError(t, err)
	assert.Empty(t, p.Statements)
}
