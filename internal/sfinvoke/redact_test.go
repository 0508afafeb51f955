package sfinvoke_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// The values of a secret this process never read: only the redactor's
// patterns can remove them.
const (
	leakKey    = "3MVG9UnreadConsumerKey.leak"
	leakSecret = "UnreadConsumerSecret0123/+="
	leakPass   = "UnreadPassw0rd!&"
	leakToken  = "UnreadSecurityToken42"
)

// realConnectionError is the function error sfInvokeAPI v5.26 raises when
// its token host is unreachable (issue 11), for one requests exception
// type and login host.
func realConnectionError(errType, host string) []byte {
	u := "/services/oauth2/token?grant_type=password&client_id=" + url.QueryEscape(leakKey) +
		"&client_secret=" + url.QueryEscape(leakSecret) + "&username=apiuser%40acme.example&password=" + url.QueryEscape(leakPass+leakToken)
	b, _ := json.Marshal(map[string]any{
		"errorType": errType,
		"errorMessage": "HTTPSConnectionPool(host='" + host + "', port=443): Max retries exceeded with url: " + u +
			" (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f1c2d3e4f50>: Failed to resolve '" + host + "' ([Errno -2] Name or service not known)\"))",
		"requestId":  requestID,
		"stackTrace": []string{"  File \"/var/task/salesforce.py\", line 206, in makeRequest\n    resp = self.request.post(url=self.login_host+\"/services/oauth2/token\", params=self.auth_data, headers=headers, hideData=True)\n"},
	})
	return b
}

func TestClient_unreachableTokenHostIsNetworkAndRedacted(t *testing.T) {
	tests := []struct {
		name, errType, host string
		wantClass           failure.Class
		wantRemedy          []string
	}{
		{"production login host", "ConnectionError", "login.salesforce.com", failure.Network,
			[]string{"login.salesforce.com", "SF_PRODUCTION is true", "VPC", "DNS", "proxy", "RUNBOOK.md#network"}},
		{"My Domain login host", "ConnectionError", "acme.my.salesforce.com", failure.Network,
			[]string{"acme.my.salesforce.com", "SF_HOST", "DNS"}},
		{"connect timeout keeps its class", "ConnectTimeout", "login.salesforce.com", failure.Timeout,
			[]string{"login.salesforce.com", "SF_PRODUCTION is true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, respond(realConnectionError(tt.errType, tt.host), "Unhandled"))
			_, err := sfinvoke.New(lambdaClient(srv), functionName).PhoneLookup(context.Background(), "+441122334455", "Id, Name")
			require.Error(t, err)
			assert.Equal(t, tt.wantClass, failure.ClassOf(err))

			msg := err.Error()
			for _, v := range []string{leakKey, leakSecret, leakPass, leakToken, "apiuser"} {
				for _, form := range redact.Forms(v) {
					assert.NotContains(t, msg, form)
				}
			}
			for _, keep := range []string{"could not reach its Salesforce token host " + tt.host, "HTTPSConnectionPool(host='" + tt.host + "'",
				"/services/oauth2/token?", "password=" + redact.Marker, "client_secret=" + redact.Marker, "Failed to resolve '" + tt.host + "'"} {
				assert.Contains(t, msg, keep)
			}
			var raised *sfinvoke.FunctionError
			require.ErrorAs(t, err, &raised)
			assert.NotContains(t, raised.Message, leakPass, "the function error itself is redacted where it enters")

			remedy := failure.RemedyOf(err)
			for _, want := range tt.wantRemedy {
				assert.Contains(t, remedy, want)
			}
		})
	}
}

// TestCheck_unreachableTokenHostResult: the chain's PhoneLookup Result
// carries the class, the redacted message and the host-specific remedy.
func TestCheck_unreachableTokenHostResult(t *testing.T) {
	srv := newInvokeServer(t, respond(realConnectionError("ConnectionError", "login.salesforce.com"), "Unhandled"))
	deps := check.Deps{Invoker: lambdaClient(srv)}
	target := check.Target{Function: functionName, Phone: "+441122334455"}
	require.NoError(t, target.Validate())
	rep := check.NewRunner(deps, check.WithStepRetries(0)).Run(context.Background(), target, []string{check.PhoneLookup})
	var got check.Result
	for _, r := range rep.Checks {
		if r.Name == check.PhoneLookup {
			got = r
		}
	}
	require.Equal(t, check.Fail, got.Status, "%+v", rep.Checks)
	assert.Equal(t, failure.Network, got.ErrorClass, got.Message)
	assert.Contains(t, got.Remediation, "login.salesforce.com")
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	for _, v := range []string{leakKey, leakSecret, leakPass, leakToken} {
		assert.False(t, strings.Contains(string(b), v) || strings.Contains(string(b), url.QueryEscape(v)), "%s in the report", v)
	}
}
