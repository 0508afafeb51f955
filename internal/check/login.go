package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// SalesforceLogin makes the token request sfInvokeAPI would make on its
// next 401, with the target's own settings, and with the fresh token reads
// the org's API versions and daily API budget. It never writes the secret.
const SalesforceLogin = "SalesforceLogin"

// HTTPDoer sends one HTTP request (an *http.Client): SalesforceLogin's
// requests to the org.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}

var _ HTTPDoer = (*http.Client)(nil)

// productionLoginURL is where the password flow logs in when SF_PRODUCTION
// is true (contract §4).
const productionLoginURL = "https://login.salesforce.com"

// The org's paths SalesforceLogin requests.
const (
	tokenPath    = "/services/oauth2/token"
	revokePath   = "/services/oauth2/revoke"
	versionsPath = "/services/data/"
)

// Thresholds of the daily API budget, in percent remaining.
const (
	apiBudgetWarnPercent = 20.0
	apiBudgetFailPercent = 5.0
)

// LoginAPICalls is how many requests of one SalesforceLogin run count
// against the org's daily API limit: /limits. The token request and the
// revocation are logins, not API calls; the versions list (/services/data/)
// does not count either (Salesforce's Sforce-Limit-Info documentation).
const LoginAPICalls = 1

// PassingChainCalls is what a passing chain run spends of the daily limit:
// lookup, create, update, read back, delete (each one REST call).
const PassingChainCalls = 5

// versionNotice is a dated announcement about a range of API versions.
type versionNotice struct {
	from, to   float64 // inclusive
	deprecated string
	retired    string
	source     string
}

// versionNotices are Salesforce's dated announcements about API versions,
// the one table of such facts. Source: Salesforce's "Salesforce Platform
// API Versions 31.0 through 40.0 Retirement" knowledge article (release
// updates, Summer '27 / Summer '28).
var versionNotices = []versionNotice{
	{from: 31.0, to: 40.0, deprecated: "Summer '27", retired: "Summer '28",
		source: "Salesforce Platform API Versions 31.0 through 40.0 Retirement"},
}

// passwordFlowNotice is Salesforce's retirement of the username-password
// flow for connected apps (a release update enforced in Winter '27).
const passwordFlowNotice = "Salesforce is retiring the OAuth username-password flow for connected apps (release update enforced in Winter '27): sfInvokeAPI v5.28+ supports SF_AUTH_MODE=client_credentials (see docs/RUNBOOK.md#migrate-to-client-credentials)"

// oauthCause is what one OAuth error of the token endpoint means, for
// on-call (the runbook's auth table). The class is sfinvoke's for the same
// code (every OAuth error is auth).
type oauthCause struct {
	code string
	// match, when set, must be in the error_description too.
	match string
	cause string
}

// oauthCauses are the token endpoint's errors, most specific first.
var oauthCauses = []oauthCause{
	{"invalid_grant", "ip restricted", "the Connected App is not set to \"Relax IP restrictions\", or the profile's Login IP Ranges or Login Hours exclude sfprobe's address: the function's logins from its own address may differ"},
	{"invalid_grant", "login hours", "the profile's Login Hours exclude this time"},
	{"invalid_grant", "", "the password or security token is wrong or expired (a password change resets the token), the user is locked out, the org blocks the username-password flow, or SF_PRODUCTION is true for a sandbox: the function's next login after its cached session ends fails the same way"},
	{"invalid_client_id", "", "ConsumerKey is not the Connected App's Consumer Key (another org, a deleted or recreated app)"},
	{"invalid_client", "", "ConsumerSecret is wrong (the Connected App's secret was regenerated)"},
	{"inactive_user", "", "the API user is deactivated"},
	{"inactive_org", "", "the org is locked or expired"},
	{"unsupported_grant_type", "", "the org does not allow this OAuth flow (the username-password flow is blocked, or client credentials are not enabled on the Connected App)"},
	{"unauthorized_client", "", "the Connected App does not allow this OAuth flow for the API user, or the app is blocked"},
	{"invalid_app_access", "", "the Connected App admits only pre-authorized users and the API user's profile or permission set is not among them"},
	{"invalid_request", "", "the token endpoint refused the request (a Salesforce-side fault, contract §7.4)"},
	{"unknown_error", "", "a token endpoint fault on the Salesforce side (contract §7.4): retry later"},
}

// oauthFailure is the failure of a token request that answered an OAuth
// error: always auth, with its cause.
func oauthFailure(host, code, desc string) *failure.Error {
	cause := "an OAuth error sfprobe does not know"
	for _, c := range oauthCauses {
		if c.code == code && (c.match == "" || strings.Contains(strings.ToLower(desc), c.match)) {
			cause = c.cause
			break
		}
	}
	return failure.New(failure.Auth, "the token request to %s failed: %s: %s (%s)", host, code, desc, cause)
}

// loginSettings is the login sfInvokeAPI would make, from its environment.
type loginSettings struct {
	clientCredentials bool
	tokenHost         string // scheme://host of the token endpoint
	dataHost          string // SF_HOST: where REST calls go
	version           string
	username          string
	notes             []string
}

// loginSettingsOf derives the token request from the function's
// environment; errors are config failures naming the variable.
func loginSettingsOf(env map[string]string, flow authFlow) (loginSettings, error) {
	ls := loginSettings{clientCredentials: flow.clientCredentials, version: env[EnvVersion], username: env[EnvUsername]}
	host, err := httpsHost(EnvHost, env[EnvHost])
	if err != nil {
		return ls, err
	}
	ls.dataHost = host
	if !versionRe.MatchString(ls.version) {
		return ls, failure.New(failure.Config, "%s %q is not an API version like v60.0", EnvVersion, ls.version)
	}
	if flow.unsure {
		ls.notes = append(ls.notes, fmt.Sprintf("%s is client_credentials and sfprobe cannot read the function's release: it tried the client-credentials flow, which v5.%d+ uses (v5.26 ignores the setting)", EnvAuthMode, authModeSince))
	}
	switch {
	case ls.clientCredentials:
		ls.tokenHost = host // always SF_HOST (contract §4 [upstream-newer])
	case strings.EqualFold(env[EnvProduction], "true"):
		ls.tokenHost = productionLoginURL
	default:
		ls.tokenHost = host
	}
	if !ls.clientCredentials && !usernameRe.MatchString(ls.username) {
		return ls, failure.New(failure.Config, "%s is not set to the API user's username", EnvUsername)
	}
	return ls, nil
}

// httpsHost returns scheme://host of raw: https only, except a loopback
// host (local and test environments).
func httpsHost(field, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", failure.New(failure.Config, "%s %q is not an https URL", field, raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return "", failure.New(failure.Config, "%s %q is not an https URL: sfprobe sends credentials over HTTPS only (plain http only to a loopback host)", field, raw)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

// loopback reports whether host is 127.0.0.0/8, ::1 or localhost.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loginSecret is what SalesforceLogin reads of the secret.
type loginSecret struct {
	Password       string `json:"Password"`
	AccessToken    string `json:"AccessToken"`
	ConsumerKey    string `json:"ConsumerKey"`
	ConsumerSecret string `json:"ConsumerSecret"`
	AuthToken      string `json:"AuthToken"`
}

// readLoginSecret reads the secret's values (registered with the redactor
// before anything else happens with them).
func (s *session) readLoginSecret(ctx context.Context) (loginSecret, error) {
	arn, err := s.secretARN(ctx)
	if err != nil {
		return loginSecret{}, err
	}
	raw, err := s.secretString(ctx, arn)
	if err != nil {
		return loginSecret{}, err
	}
	var sec loginSecret
	if err := json.Unmarshal([]byte(raw), &sec); err != nil {
		return loginSecret{}, failure.New(failure.Config, "secret %s: the SecretString is not a JSON object with string values", arn)
	}
	return sec, nil
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// LoginFacts are what a SalesforceLogin run learned that the report and the
// metrics carry beside its result.
type LoginFacts struct {
	// APICalls is how many of its requests count against the daily limit.
	APICalls int `json:"api_calls"`
	// APIRemainingPercent is DailyApiRequests Remaining/Max in percent,
	// when the run read it.
	APIRemainingPercent *float64 `json:"api_remaining_percent,omitempty"`
}

// checkSalesforceLogin: the login sfInvokeAPI would make on its next 401
// works; the org serves SF_VERSION; the daily API budget has room.
func (s *session) checkSalesforceLogin(ctx context.Context) Result {
	// Within check-config's 30 s, beside the other checks.
	ctx, cancel := context.WithTimeout(ctx, loginBudget)
	defer cancel()
	fn, err := s.function(ctx)
	if err != nil {
		return failedErr(SalesforceLogin, err)
	}
	ls, err := loginSettingsOf(envOf(fn), authFlowOf(fn))
	if err != nil {
		return failedErr(SalesforceLogin, err)
	}
	if s.deps.HTTP == nil {
		return failed(SalesforceLogin, failure.Config, "no HTTP client configured")
	}
	sec, err := s.readLoginSecret(ctx)
	if err != nil {
		return failedErr(SalesforceLogin, err)
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {sec.ConsumerKey}, "client_secret": {sec.ConsumerSecret}}
	if ls.clientCredentials {
		form.Set("grant_type", "client_credentials")
	} else {
		form.Set("username", ls.username)
		form.Set("password", sec.Password+sec.AccessToken)
	}
	tok, err := s.requestToken(ctx, ls.tokenHost, form)
	if err != nil {
		return failedErr(SalesforceLogin, err)
	}
	redact.RegisterSecret(tok.AccessToken)
	var facts LoginFacts
	res := s.afterLogin(ctx, ls, tok, &facts)
	// Revoke the session sfprobe opened, unless it is the function's own:
	// Salesforce may hand a second login the session already cached.
	if note := s.revoke(ctx, ls.tokenHost, tok.AccessToken, sec.AuthToken); note != "" {
		res = withWarning(res, note)
	}
	res.Login = &facts
	return res
}

// afterLogin reads the versions and the limits with the fresh token.
func (s *session) afterLogin(ctx context.Context, ls loginSettings, tok tokenResponse, facts *LoginFacts) Result {
	warnings := append([]string(nil), ls.notes...)
	flow := "username-password"
	if ls.clientCredentials {
		flow = "client-credentials"
	}
	var versions []struct {
		Version string `json:"version"`
	}
	if err := s.getJSON(ctx, ls.dataHost+versionsPath, "", &versions); err != nil {
		return failedErr(SalesforceLogin, err)
	}
	want := strings.TrimPrefix(ls.version, "v")
	served, latest := false, ""
	for _, v := range versions {
		served = served || v.Version == want
		latest = v.Version
	}
	if !served {
		return failed(SalesforceLogin, failure.Config, fmt.Sprintf("the login works (%s flow at %s) but the org does not serve %s %s (latest %s): every sfInvokeAPI call fails with NOT_FOUND; set SalesforceVersion to a served version", flow, ls.tokenHost, EnvVersion, ls.version, latest))
	}
	if n := noticeOf(want); n != nil {
		warnings = append(warnings, fmt.Sprintf("%s %s is deprecated in %s and retired in %s (%s): move to a current version", EnvVersion, ls.version, n.deprecated, n.retired, n.source))
	}

	var limits struct {
		DailyAPIRequests struct {
			Max       int `json:"Max"`
			Remaining int `json:"Remaining"`
		} `json:"DailyApiRequests"`
	}
	budget := ""
	facts.APICalls = LoginAPICalls
	err := s.getJSON(ctx, ls.dataHost+versionsPath+ls.version+"/limits", tok.AccessToken, &limits)
	switch c := failure.ClassOf(err); {
	case err == nil && limits.DailyAPIRequests.Max > 0:
		d := limits.DailyAPIRequests
		pct := float64(d.Remaining) * 100 / float64(d.Max)
		facts.APIRemainingPercent = &pct
		budget = fmt.Sprintf("%d of %d daily API requests remain (%.1f %%); %s", d.Remaining, d.Max, pct, s.ownUse())
		if pct < apiBudgetFailPercent {
			return failed(SalesforceLogin, failure.APILimit, fmt.Sprintf("the login works but only %s, below %.0f %%: sfInvokeAPI's calls fail with REQUEST_LIMIT_EXCEEDED when it runs out", budget, apiBudgetFailPercent))
		}
		if pct < apiBudgetWarnPercent {
			warnings = append(warnings, fmt.Sprintf("only %.1f %% of the daily API requests remain (below %.0f %%)", pct, apiBudgetWarnPercent))
		}
	case err == nil:
		warnings = append(warnings, "the org's limits carry no DailyApiRequests")
	case c == failure.APILimit:
		return failedErr(SalesforceLogin, err)
	case c == failure.Permission:
		// The API user may lack View Setup and Configuration: the login
		// works, only the budget is unknown.
		warnings = append(warnings, "the daily API budget is unknown (the API user may not read /limits: "+err.Error()+")")
	default:
		return failedErr(SalesforceLogin, err)
	}
	if tok.InstanceURL != "" && !sameHost(tok.InstanceURL, ls.dataHost) {
		warnings = append(warnings, fmt.Sprintf("the login's instance_url %s differs from %s %s (a My Domain change?): sfInvokeAPI ignores instance_url and keeps calling %s", tok.InstanceURL, EnvHost, ls.dataHost, EnvHost))
	}
	if !ls.clientCredentials {
		warnings = append(warnings, passwordFlowNotice)
	}
	msg := fmt.Sprintf("the %s login at %s works (the token was not stored); the org serves %s", flow, ls.tokenHost, ls.version)
	if budget != "" {
		msg += "; " + budget
	}
	if len(warnings) > 0 {
		return warned(SalesforceLogin, msg+"; warning: "+strings.Join(warnings, "; "))
	}
	return passed(SalesforceLogin, msg)
}

// ownUse says how many of the org's daily calls sfprobe's schedule spends.
func (s *session) ownUse() string {
	if n := s.opts.dailyCalls; n > 0 {
		return fmt.Sprintf("sfprobe's own schedule spends about %d of them a day", n)
	}
	return fmt.Sprintf("sfprobe spends %d per passing chain run and %d per SalesforceLogin run", PassingChainCalls, LoginAPICalls)
}

func noticeOf(version string) *versionNotice {
	v, err := strconv.ParseFloat(version, 64)
	if err != nil {
		return nil
	}
	for i, n := range versionNotices {
		if v >= n.from && v <= n.to {
			return &versionNotices[i]
		}
	}
	return nil
}

func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && strings.EqualFold(ua.Hostname(), ub.Hostname())
}

// requestToken posts the form, in the body, to host's token endpoint.
func (s *session) requestToken(ctx context.Context, host string, form url.Values) (tokenResponse, error) {
	body, status, err := s.post(ctx, host+tokenPath, form)
	if err != nil {
		return tokenResponse{}, err
	}
	var tok tokenResponse
	if jerr := json.Unmarshal(body, &tok); jerr != nil {
		return tokenResponse{}, failure.New(failure.UnexpectedResponse, "the token request to %s answered HTTP %d with a body that is not JSON", host, status)
	}
	if tok.Error != "" {
		return tokenResponse{}, oauthFailure(host, tok.Error, tok.Description)
	}
	if status/100 != 2 || tok.AccessToken == "" {
		return tokenResponse{}, failure.New(failure.UnexpectedResponse, "the token request to %s answered HTTP %d without an access_token", host, status)
	}
	return tok, nil
}

// revoke revokes token unless it is the function's cached one, read at
// the start and read again now (the function may have cached it since).
// It returns a warning, or "".
func (s *session) revoke(ctx context.Context, host, token, cached string) string {
	if token == cached {
		return ""
	}
	if now, err := s.readLoginSecret(ctx); err != nil || now.AuthToken == token {
		return ""
	}
	if _, status, err := s.post(ctx, host+revokePath, url.Values{"token": {token}}); err != nil || status/100 != 2 {
		return fmt.Sprintf("the revocation of sfprobe's session at %s failed (it ends with the org's session timeout)", host)
	}
	return ""
}

// post sends a form-encoded POST (credentials in the body, never the URL).
func (s *session) post(ctx context.Context, target string, form url.Values) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, failure.New(failure.Config, "the URL %s is not valid", target)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return s.do(ctx, req)
}

// getJSON GETs target (with bearer, if any) and decodes a 2xx JSON answer;
// a Salesforce error body is classified by its errorCode.
func (s *session) getJSON(ctx context.Context, target, bearer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return failure.New(failure.Config, "the URL %s is not valid", target)
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	body, status, err := s.do(ctx, req)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return restFailure(target, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return failure.New(failure.UnexpectedResponse, "GET %s answered a body that is not the expected JSON", target)
	}
	return nil
}

// restErrorClasses are the Salesforce REST error codes SalesforceLogin's
// reads may answer, with their class.
var restErrorClasses = map[string]failure.Class{
	"REQUEST_LIMIT_EXCEEDED":          failure.APILimit,
	"INVALID_SESSION_ID":              failure.Auth,
	"NOT_FOUND":                       failure.Config,
	"INSUFFICIENT_ACCESS":             failure.Permission,
	"INSUFFICIENT_ACCESS_OR_READONLY": failure.Permission,
	"API_DISABLED_FOR_ORG":            failure.Permission,
	"API_CURRENTLY_DISABLED":          failure.Permission,
}

func restFailure(target string, status int, body []byte) error {
	var errs []struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(body, &errs) == nil && len(errs) > 0 {
		c, ok := restErrorClasses[errs[0].ErrorCode]
		if !ok {
			c = failure.UnexpectedResponse
		}
		return failure.New(c, "GET %s answered HTTP %d %s: %s", target, status, errs[0].ErrorCode, errs[0].Message)
	}
	switch status {
	case http.StatusForbidden:
		return failure.New(failure.Permission, "GET %s answered HTTP 403", target)
	case http.StatusNotFound:
		return failure.New(failure.Config, "GET %s answered HTTP 404", target)
	}
	return failure.New(failure.UnexpectedResponse, "GET %s answered HTTP %d", target, status)
}

// loginBudget bounds a whole SalesforceLogin run (four requests).
const loginBudget = 20 * time.Second

// maxBody bounds what sfprobe reads of an answer.
const maxBody = 1 << 20

func (s *session) do(ctx context.Context, req *http.Request) ([]byte, int, error) {
	// The request's URL never holds a credential: safe to name.
	where := req.Method + " " + req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	resp, err := s.deps.HTTP.Do(req)
	if err != nil {
		var netErr net.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded, errors.As(err, &netErr) && netErr.Timeout():
			return nil, 0, failure.New(failure.Timeout, "%s did not answer in time", where)
		}
		return nil, 0, &failure.Error{Class: failure.Network, Msg: where + " failed: " + redact.Text(unwrapURLError(err).Error()),
			Remedy: "Check that sfprobe's functions reach " + req.URL.Host + " over HTTPS (a VPC needs a NAT gateway or a proxy: the stack's vpc prop); see docs/RUNBOOK.md#network"}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, 0, failure.New(failure.Network, "%s: reading the answer failed", where)
	}
	return body, resp.StatusCode, nil
}

// unwrapURLError drops *url.Error's "Post <url>:" prefix (the URL is
// named already).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NewHTTPClient is the client SalesforceLogin uses: a timeout, no
// redirects (a redirect would carry nothing sfprobe wants to send on).
// endpoint, when set, must be a loopback http(s) URL: every request goes
// there instead, its path kept (a local org: `sfprobe local`).
func NewHTTPClient(endpoint string) (*http.Client, error) {
	c := &http.Client{
		Timeout:       8 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if endpoint == "" {
		return c, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || !loopback(u.Hostname()) {
		return nil, fmt.Errorf("salesforce endpoint %q: want a loopback http URL like http://127.0.0.1:8443", endpoint)
	}
	c.Transport = redirectTransport{to: u, next: http.DefaultTransport}
	return c, nil
}

// redirectTransport sends every request to one loopback endpoint.
type redirectTransport struct {
	to   *url.URL
	next http.RoundTripper
}

func (t redirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("X-Forwarded-Host", req.URL.Host)
	r.Header.Set("X-Forwarded-Proto", req.URL.Scheme)
	r.URL.Scheme, r.URL.Host = t.to.Scheme, t.to.Host
	r.Host = t.to.Host
	return t.next.RoundTrip(r)
}

// OAuthErrorCodes lists the OAuth error codes SalesforceLogin explains,
// without repeats (the runbook's auth table names each).
func OAuthErrorCodes() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range oauthCauses {
		if !seen[c.code] {
			seen[c.code] = true
			out = append(out, c.code)
		}
	}
	return out
}
