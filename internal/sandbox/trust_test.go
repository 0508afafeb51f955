package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEvaluateTrust(t *testing.T) {
	sfprobe := principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:role/sfprobe-check-config"}
	withID := request{Caller: sfprobe, ExternalID: "ext", HasExternalID: true}
	const accountWithID = `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext"}}}}`
	tests := []struct {
		name string
		doc  string
		req  request
		want bool
	}{
		{name: "account root with the external id", doc: accountWithID, req: withID, want: true},
		{name: "wrong external id", doc: accountWithID, req: request{Caller: sfprobe, ExternalID: "other", HasExternalID: true}},
		{name: "no external id", doc: accountWithID, req: request{Caller: sfprobe}},
		{name: "another account", doc: accountWithID, req: request{Caller: principal{Account: "222222222222", ARN: "arn:aws:iam::222222222222:role/x"}, ExternalID: "ext", HasExternalID: true}},
		{name: "account id as principal", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["sts:AssumeRole"]}]}`, req: withID, want: true},
		{name: "the role ARN", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:role/sfprobe-check-config"]},"Action":"sts:AssumeRole"}]}`, req: withID, want: true},
		{name: "another role ARN", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/other"},"Action":"sts:AssumeRole"}]}`, req: withID},
		{name: "aws:PrincipalArn like sfprobe-*", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/sfprobe-*"},"StringEquals":{"sts:ExternalId":"ext"}}}]}`, req: withID, want: true},
		{name: "aws:PrincipalArn not matching", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/monitor-*"}}}]}`, req: withID},
		{name: "a service principal only", doc: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, req: withID},
		{name: "another action", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:TagSession"}]}`, req: withID},
		{name: "an explicit deny wins", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:*"}]}`, req: withID},
		{name: "a condition beyond the stand-in never grants", doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, req: withID},
		{name: "not JSON", doc: `{`, req: withID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := evaluateTrust(tt.doc, tt.req)
			assert.Equal(t, tt.want, got, why)
			if !tt.want {
				assert.NotEmpty(t, why)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	assert.True(t, glob("arn:aws:iam::1:role/sfprobe-*", "arn:aws:iam::1:role/sfprobe-check-config"))
	assert.True(t, glob("a?c", "abc"))
	assert.False(t, glob("a?c", "ac"))
	assert.False(t, glob("sfprobe-*", "other"))
}
