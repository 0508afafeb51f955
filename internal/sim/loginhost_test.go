package sim

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoginHostUnreachableQuotesTheTokenURL: with the cached token refused
// and the token host unresolvable, the function raises requests'
// ConnectionError whose message holds the token URL exactly as
// sfInvokeAPI v5.26 builds it (the credentials in the query string, in
// auth_data's order, urlencoded), and nothing is written to the secret.
func TestLoginHostUnreachableQuotesTheTokenURL(t *testing.T) {
	tests := []struct {
		name, production, wantHost string
	}{
		{"production", "True", "login.salesforce.com"},
		{"sandbox logs in at SF_HOST", "false", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, fx := NewDefaultOrg()
			store := NewMemorySecrets(testARN, fx.SecretString)
			env := testEnv(fx)
			env["SF_PRODUCTION"] = tt.production
			fn := NewFunction(org, store, env, WithFaults(LoginHostUnreachable))
			want := tt.wantHost
			if want == "" {
				u, err := url.Parse(env["SF_HOST"])
				require.NoError(t, err)
				want = u.Hostname()
			}

			resp, err := fn.Invoke(context.Background(), phoneLookupEvent(t))
			require.NoError(t, err)
			assert.Equal(t, "Unhandled", resp.FunctionError)
			var got struct {
				Type       string   `json:"errorType"`
				Message    string   `json:"errorMessage"`
				StackTrace []string `json:"stackTrace"`
			}
			require.NoError(t, json.Unmarshal(resp.Payload, &got))
			assert.Equal(t, "ConnectionError", got.Type)
			c := fx.Credentials
			wantURL := "/services/oauth2/token?grant_type=password&client_id=" + url.QueryEscape(c.ConsumerKey) +
				"&client_secret=" + url.QueryEscape(c.ConsumerSecret) + "&username=" + url.QueryEscape(env["SF_USERNAME"]) +
				"&password=" + url.QueryEscape(c.Password+c.SecurityToken)
			assert.Equal(t, "HTTPSConnectionPool(host='"+want+"', port=443): Max retries exceeded with url: "+wantURL+
				" (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f3a2c1b2d50>: Failed to resolve '"+want+
				"' ([Errno -2] Name or service not known)\"))", got.Message)
			assert.NotEmpty(t, got.StackTrace)
			for _, frame := range got.StackTrace {
				assert.NotContains(t, frame, c.Password, "a traceback shows source lines, not values")
			}
			assert.Equal(t, 1, store.Versions(testARN), "no token, no write to the secret")
		})
	}
}
