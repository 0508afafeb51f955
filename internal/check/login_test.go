package check_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// loginOrg is a fake Salesforce org for check.SalesforceLogin: it records every
// request and answers as configured.
type loginOrg struct {
	mu       sync.Mutex
	requests []loginRequest

	tokenStatus int
	tokenBody   string // default: a token for the server's URL
	versions    []string
	limitsMax   int
	limitsLeft  int
	limitsBody  string // overrides the limits answer (with limitsStatus)
	limitsCode  int
	revokeCode  int
}

type loginRequest struct {
	Method, Path, RawQuery, ContentType, Authorization string
	Form                                               url.Values
}

const (
	tokenPath    = "/services/oauth2/token"
	revokePath   = "/services/oauth2/revoke"
	versionsPath = "/services/data/"
)

const freshToken = "00Dfresh!token-sfprobe"

func (o *loginOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	o.mu.Lock()
	o.requests = append(o.requests, loginRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), form})
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == tokenPath:
		if o.tokenStatus != 0 {
			w.WriteHeader(o.tokenStatus)
		}
		if o.tokenBody != "" {
			_, _ = io.WriteString(w, o.tokenBody)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": freshToken, "instance_url": "http://" + r.Host, "token_type": "Bearer"})
	case r.URL.Path == revokePath:
		if o.revokeCode != 0 {
			w.WriteHeader(o.revokeCode)
		}
	case r.URL.Path == versionsPath:
		var vs []map[string]string
		for _, v := range o.versions {
			vs = append(vs, map[string]string{"version": v, "label": "x", "url": "/services/data/v" + v})
		}
		_ = json.NewEncoder(w).Encode(vs)
	case strings.HasSuffix(r.URL.Path, "/limits"):
		if o.limitsCode != 0 {
			w.WriteHeader(o.limitsCode)
		}
		if o.limitsBody != "" {
			_, _ = io.WriteString(w, o.limitsBody)
			return
		}
		_, _ = fmt.Fprintf(w, `{"DailyApiRequests":{"Max":%d,"Remaining":%d}}`, o.limitsMax, o.limitsLeft)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (o *loginOrg) paths() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, r := range o.requests {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (o *loginOrg) request(path string) *loginRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.requests {
		if o.requests[i].Path == path {
			return &o.requests[i]
		}
	}
	return nil
}

func newLoginOrg() *loginOrg {
	return &loginOrg{versions: []string{"58.0", "59.0", "60.0"}, limitsMax: 15000, limitsLeft: 14000}
}

const loginSecretJSON = `{"Password":"pw-Secret1","AccessToken":"secTok9","ConsumerKey":"ck-123","ConsumerSecret":"cs-456","AuthToken":"cached-tok"}`

// loginDeps serves env and the secret; puts counts PutSecretValue calls on
// a client that could make them (the check's check.Deps cannot).
type writableSecrets struct {
	checktest.SecretsManager
	puts int
}

func (w *writableSecrets) PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	w.puts++
	return &secretsmanager.PutSecretValueOutput{}, nil
}

func loginDeps(env map[string]string, secret string, desc string) (check.Deps, *writableSecrets) {
	fn := &checktest.Lambda{GetFunctionConfigurationFn: func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		return &lambda.GetFunctionConfigurationOutput{Description: aws.String(desc), Environment: &lambdatypes.EnvironmentResponse{Variables: env}}, nil
	}}
	sm := &writableSecrets{}
	sm.GetSecretValueFn = func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(secret)}, nil
	}
	client, _ := check.NewHTTPClient("")
	return check.Deps{FunctionConfig: fn, Secrets: sm, HTTP: client}, sm
}

func loginEnv(host string) map[string]string {
	return map[string]string{
		check.EnvHost: host, check.EnvVersion: "v60.0", check.EnvUsername: "api.user@example.com", check.EnvProduction: "false",
		check.EnvSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-AbCdEf", check.EnvNamespace: "amazonconnect",
	}
}

func runLogin(t *testing.T, d check.Deps) check.Result {
	t.Helper()
	return check.RunAWSCheck(context.Background(), d, check.SalesforceLogin, check.Target{Function: "sfInvokeAPI"}, check.WithStepRetries(0))
}

func TestSalesforceLoginPasswordFlow(t *testing.T) {
	org := newLoginOrg()
	srv := httptest.NewServer(org)
	defer srv.Close()
	d, sm := loginDeps(loginEnv(srv.URL), loginSecretJSON, "")

	r := runLogin(t, d)

	assert.Equal(t, check.Warn, r.Status, r.Message)
	assert.Contains(t, r.Message, "retiring the OAuth username-password flow")
	assert.Contains(t, r.Message, "14000 of 15000 daily API requests remain")
	tok := org.request(tokenPath)
	require.NotNil(t, tok)
	assert.Equal(t, http.MethodPost, tok.Method)
	assert.Empty(t, tok.RawQuery, "no credential in the URL")
	assert.Equal(t, "application/x-www-form-urlencoded", tok.ContentType)
	assert.Equal(t, url.Values{"grant_type": {"password"}, "client_id": {"ck-123"}, "client_secret": {"cs-456"},
		"username": {"api.user@example.com"}, "password": {"pw-Secret1secTok9"}}, tok.Form)
	lim := org.request("/services/data/v60.0/limits")
	require.NotNil(t, lim)
	assert.Equal(t, "Bearer "+freshToken, lim.Authorization)
	rev := org.request(revokePath)
	require.NotNil(t, rev, "the fresh token is revoked")
	assert.Equal(t, url.Values{"token": {freshToken}}, rev.Form)
	assert.Empty(t, rev.RawQuery)
	assert.Zero(t, sm.puts, "check.SalesforceLogin never writes the secret")
	require.NotNil(t, r.Login)
	assert.Equal(t, 1, r.Login.APICalls)
	require.NotNil(t, r.Login.APIRemainingPercent)
	assert.InDelta(t, 93.33, *r.Login.APIRemainingPercent, 0.01)
	for _, secret := range []string{"pw-Secret1", "secTok9", "cs-456", freshToken, "cached-tok"} {
		assert.NotContains(t, r.Message, secret)
	}
}

func TestSalesforceLoginClientCredentials(t *testing.T) {
	org := newLoginOrg()
	srv := httptest.NewServer(org)
	defer srv.Close()
	env := loginEnv(srv.URL)
	env[check.EnvAuthMode] = "Client_Credentials"
	env[check.EnvProduction] = "true" // ignored: client credentials log in at SF_HOST
	delete(env, check.EnvUsername)
	d, _ := loginDeps(env, `{"ConsumerKey":"ck-123","ConsumerSecret":"cs-456"}`, "sfInvokeAPI v5.28")

	r := runLogin(t, d)

	assert.Equal(t, check.Pass, r.Status, r.Message)
	tok := org.request(tokenPath)
	require.NotNil(t, tok, "the token request goes to SF_HOST: %v", org.paths())
	assert.Empty(t, tok.RawQuery)
	assert.Equal(t, "application/x-www-form-urlencoded", tok.ContentType)
	assert.Equal(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"ck-123"}, "client_secret": {"cs-456"}}, tok.Form)
	assert.NotNil(t, org.request(revokePath))
}

func TestSalesforceLoginKeepsTheCachedToken(t *testing.T) {
	org := newLoginOrg()
	srv := httptest.NewServer(org)
	defer srv.Close()
	secret := strings.Replace(loginSecretJSON, "cached-tok", freshToken, 1)
	d, sm := loginDeps(loginEnv(srv.URL), secret, "")

	r := runLogin(t, d)

	assert.NotEqual(t, check.Fail, r.Status, r.Message)
	assert.Nil(t, org.request(revokePath), "the function's own session is never revoked")
	assert.Zero(t, sm.puts)
}

func TestSalesforceLoginOAuthErrors(t *testing.T) {
	tests := []struct {
		code, desc, wantCause string
	}{
		{"invalid_grant", "authentication failure", "password or security token"},
		{"invalid_grant", "IP restricted or invalid login hours", "Relax IP restrictions"},
		{"invalid_client_id", "client identifier invalid", "Consumer Key"},
		{"invalid_client", "invalid client credentials", "regenerated"},
		{"inactive_user", "user is inactive", "deactivated"},
		{"inactive_org", "organization is locked", "locked or expired"},
		{"unsupported_grant_type", "grant type not supported", "does not allow this OAuth flow"},
		{"unauthorized_client", "x", "app is blocked"},
		{"invalid_app_access", "user is not admin approved to access this app", "pre-authorized"},
		{"invalid_request", "must use HTTP POST", "Salesforce-side"},
		{"unknown_error", "retry your request", "retry later"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.desc, func(t *testing.T) {
			org := newLoginOrg()
			org.tokenStatus = http.StatusBadRequest
			org.tokenBody = fmt.Sprintf(`{"error":%q,"error_description":%q}`, tt.code, tt.desc)
			srv := httptest.NewServer(org)
			defer srv.Close()
			d, _ := loginDeps(loginEnv(srv.URL), loginSecretJSON, "")

			r := runLogin(t, d)

			assert.Equal(t, check.Fail, r.Status)
			assert.Equal(t, failure.Auth, r.ErrorClass)
			assert.Contains(t, r.Message, tt.code+": "+tt.desc)
			assert.Contains(t, r.Message, tt.wantCause)
			assert.Nil(t, org.request(revokePath), "no token, nothing to revoke")
		})
	}
	for _, code := range check.OAuthErrorCodes() {
		assert.Contains(t, fmt.Sprint(tests), code, "every row of the OAuth cause table is tested")
	}
}

func TestSalesforceLoginVersionsAndBudget(t *testing.T) {
	tests := []struct {
		name       string
		version    string
		left       int
		limitsCode int
		limitsBody string
		wantStatus check.Status
		wantClass  failure.Class
		want       string
	}{
		{"version not served", "v57.0", 14000, 0, "", check.Fail, failure.Config, "does not serve SF_VERSION v57.0"},
		{"version retiring", "v40.0", 14000, 0, "", check.Warn, "", "deprecated in Summer '27 and retired in Summer '28"},
		{"budget low", "v60.0", 2000, 0, "", check.Warn, "", "below 20 %"},
		{"budget exhausted", "v60.0", 450, 0, "", check.Fail, failure.APILimit, "450 of 15000"},
		{"limit exceeded", "v60.0", 0, 403, `[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]`, check.Fail, failure.APILimit, "REQUEST_LIMIT_EXCEEDED"},
		{"limits not readable", "v60.0", 0, 403, `[{"errorCode":"INSUFFICIENT_ACCESS","message":"no"}]`, check.Warn, "", "budget is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newLoginOrg()
			org.versions = append(org.versions, "40.0")
			org.limitsLeft, org.limitsCode, org.limitsBody = tt.left, tt.limitsCode, tt.limitsBody
			srv := httptest.NewServer(org)
			defer srv.Close()
			env := loginEnv(srv.URL)
			env[check.EnvVersion] = tt.version
			d, _ := loginDeps(env, loginSecretJSON, "")

			r := runLogin(t, d)

			assert.Equal(t, tt.wantStatus, r.Status, r.Message)
			assert.Equal(t, tt.wantClass, r.ErrorClass)
			assert.Contains(t, r.Message, tt.want)
			assert.NotNil(t, org.request(revokePath), "the token is revoked whatever the outcome")
		})
	}
}

func TestSalesforceLoginInstanceURLChanged(t *testing.T) {
	org := newLoginOrg()
	org.tokenBody = `{"access_token":"` + freshToken + `","instance_url":"https://new-domain.my.salesforce.com"}`
	srv := httptest.NewServer(org)
	defer srv.Close()
	d, _ := loginDeps(loginEnv(srv.URL), loginSecretJSON, "")

	r := runLogin(t, d)

	assert.Equal(t, check.Warn, r.Status)
	assert.Contains(t, r.Message, "instance_url https://new-domain.my.salesforce.com differs")
}

func TestSalesforceLoginUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	host := srv.URL
	srv.Close()
	d, _ := loginDeps(loginEnv(host), loginSecretJSON, "")

	r := runLogin(t, d)

	assert.Equal(t, check.Fail, r.Status)
	assert.Equal(t, failure.Network, r.ErrorClass)
	assert.NotContains(t, r.Message, "pw-Secret1")
}

func TestReportCountsLogin(t *testing.T) {
	pct := 42.0
	rep := check.Report{SalesforceCalls: 5, Checks: []check.Result{{Name: check.SalesforceLogin, Status: check.Pass, Login: &check.LoginFacts{APICalls: 1, APIRemainingPercent: &pct}}}}
	rep.CountLogin()
	assert.Equal(t, 6, rep.SalesforceCalls)
	require.NotNil(t, rep.SalesforceAPIRemaining)
	assert.Equal(t, 42.0, *rep.SalesforceAPIRemaining)
}

func TestNewHTTPClientEndpoint(t *testing.T) {
	_, err := check.NewHTTPClient("http://example.com")
	assert.Error(t, err, "only a loopback endpoint")
	org := newLoginOrg()
	srv := httptest.NewServer(org)
	defer srv.Close()
	c, err := check.NewHTTPClient(srv.URL)
	require.NoError(t, err)
	resp, err := c.Get("https://acme.my.salesforce.com/services/data/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, []string{"GET /services/data/"}, org.paths())
}
