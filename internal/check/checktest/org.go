package checktest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Org is a fake Salesforce org for SalesforceLogin, an HTTPDoer: the token
// endpoint (any credentials), revoke, the versions list and /limits. DoFn,
// when set, answers instead.
type Org struct {
	DoFn func(req *http.Request) (*http.Response, error)

	mu       sync.Mutex
	requests []string
}

// Do answers req as a healthy org does: 14,000 of 15,000 daily API
// requests remain, versions 58.0 to 60.0 are served.
func (o *Org) Do(req *http.Request) (*http.Response, error) {
	o.mu.Lock()
	o.requests = append(o.requests, req.Method+" "+req.URL.Path)
	o.mu.Unlock()
	if o.DoFn != nil {
		return o.DoFn(req)
	}
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	switch p := req.URL.Path; {
	case p == "/services/oauth2/token":
		_, _ = fmt.Fprintf(rec, `{"access_token":"00Dfake!fresh","instance_url":%q,"token_type":"Bearer"}`, SFHost)
	case p == "/services/oauth2/revoke":
	case p == "/services/data/":
		_, _ = io.WriteString(rec, `[{"version":"58.0"},{"version":"59.0"},{"version":"60.0"}]`)
	case strings.HasSuffix(p, "/limits"):
		_, _ = io.WriteString(rec, `{"DailyApiRequests":{"Max":15000,"Remaining":14000}}`)
	default:
		rec.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(rec, `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`)
	}
	return rec.Result(), nil
}

// Requests lists the requests the org saw, "METHOD /path".
func (o *Org) Requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.requests...)
}
