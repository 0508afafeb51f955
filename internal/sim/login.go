package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The org's OAuth revocation endpoint.
const revokePath = "/services/oauth2/revoke"

// DefaultDailyAPIRequests is the simulated org's DailyApiRequests Max (a
// Developer Edition's allowance).
const DefaultDailyAPIRequests = 15000

// servedVersions are the API versions the simulated org serves by default.
func servedVersions() []string {
	var out []string
	for v := 31; v <= 64; v++ {
		out = append(out, fmt.Sprintf("%d.0", v))
	}
	return out
}

// RetireVersion stops serving API version v ("v60.0" or "60.0"): the
// versions list leaves it out and REST calls on it answer NOT_FOUND.
func (o *Org) RetireVersion(v string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retired[strings.TrimPrefix(v, "v")] = true
}

// served reports whether the org serves version ("v60.0"); o.mu held.
func (o *Org) served(version string) bool {
	return !o.retired[strings.TrimPrefix(version, "v")]
}

// SetAPIRemaining fixes DailyApiRequests Remaining at n (-1: Max minus the
// calls served).
func (o *Org) SetAPIRemaining(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.apiRemaining = n
}

// IssueToken opens a session, as a login the function cached did.
func (o *Org) IssueToken() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.issueToken()
}

// Logins is how many token and revocation requests the org answered: they
// are not charged to the API budget.
func (o *Org) Logins() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.logins
}

// Revocations is how many sessions were revoked.
func (o *Org) Revocations() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.revoked
}

// Handler serves the org over HTTP for sfprobe's own requests
// (SalesforceLogin): the token endpoint in both grant modes, revoke, the
// versions list and /limits. Its scheme and host are those the client
// meant (X-Forwarded-Proto and -Host, set by a redirecting client), so
// instance_url is the My Domain.
func (o *Org) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		host := r.Header.Get("X-Forwarded-Host")
		if host == "" {
			host = r.Host
		}
		scheme := r.Header.Get("X-Forwarded-Proto")
		if scheme == "" {
			scheme = "http"
		}
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		req := sfRequest{method: r.Method, host: scheme + "://" + host, path: r.URL.Path, query: r.URL.Query(), bearer: bearer, body: body}
		resp := o.serveHTTP(req)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
	})
}

// serveHTTP answers sfprobe's requests; sfInvokeAPI's go through serve.
func (o *Org) serveHTTP(req sfRequest) sfResponse {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case req.path == tokenPath:
		o.logins++
		return o.token(req, faultSet{})
	case req.path == revokePath:
		o.logins++
		form, _ := url.ParseQuery(string(req.body))
		if req.method != http.MethodPost || !o.tokens[form.Get("token")] {
			return jsonResponse(http.StatusBadRequest, newDict("error", "unsupported_token_type", "error_description", "this token type is not supported"))
		}
		delete(o.tokens, form.Get("token"))
		o.revoked++
		return sfResponse{status: http.StatusOK}
	case req.path == restPrefix && req.method == http.MethodGet:
		// The versions list needs no session and is not an API call.
		var vs []any
		for _, v := range servedVersions() {
			if !o.retired[v] {
				vs = append(vs, newDict("label", "Simulated", "url", restPrefix+"v"+v, "version", v))
			}
		}
		return jsonResponse(http.StatusOK, vs)
	}
	rest, _ := strings.CutPrefix(req.path, restPrefix)
	version, resource, _ := strings.Cut(rest, "/")
	if resource != "limits" || req.method != http.MethodGet || !versionRe.MatchString(version) {
		return errorResponse(notFound())
	}
	o.apiCalls++
	if !o.tokens[req.bearer] {
		return errorResponse(&sfFault{status: http.StatusUnauthorized, code: "INVALID_SESSION_ID", msg: "Session expired or invalid"})
	}
	if !o.served(version) {
		return errorResponse(notFound())
	}
	remaining := o.apiRemaining
	if remaining < 0 {
		remaining = max(DefaultDailyAPIRequests-o.apiCalls, 0)
	}
	b, _ := json.Marshal(map[string]any{"DailyApiRequests": map[string]int{"Max": DefaultDailyAPIRequests, "Remaining": remaining}})
	return sfResponse{status: http.StatusOK, body: b}
}

// orgFaults are the faults that change the org rather than one invocation.
var orgFaults = map[Fault]bool{PasswordRotated: true, APIVersionRetired: true, APIBudgetLow: true, ClientSecretRegenerated: true}

// IsOrgFault reports whether f changes the org itself: ApplyOrgFault
// injects it, before the function first runs.
func IsOrgFault(f Fault) bool { return orgFaults[f] }

// ApplyOrgFault changes the org as f says. version is the function's
// SF_VERSION.
func (o *Org) ApplyOrgFault(f Fault, version string) {
	switch f {
	case PasswordRotated:
		o.mu.Lock()
		o.creds.Password += "-rotated"
		o.mu.Unlock()
	case ClientSecretRegenerated:
		o.mu.Lock()
		o.creds.ConsumerSecret = "regenerated-" + o.creds.ConsumerSecret
		o.mu.Unlock()
	case APIVersionRetired:
		o.RetireVersion(version)
	case APIBudgetLow:
		o.SetAPIRemaining(DefaultDailyAPIRequests * 3 / 100)
	}
}
