package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postForm(t *testing.T, srv *httptest.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func get(t *testing.T, srv *httptest.Server, path, bearer string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestOrgHandlerLoginBothModes(t *testing.T) {
	org, fx := NewDefaultOrg()
	srv := httptest.NewServer(org.Handler())
	defer srv.Close()
	c := fx.Credentials
	tests := []struct {
		name string
		form url.Values
	}{
		{"password", url.Values{"grant_type": {"password"}, "client_id": {c.ConsumerKey}, "client_secret": {c.ConsumerSecret}, "username": {c.Username}, "password": {c.Password + c.SecurityToken}}},
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ConsumerKey}, "client_secret": {c.ConsumerSecret}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, tok := postForm(t, srv, tokenPath, tt.form)
			require.Equal(t, http.StatusOK, status, "%v", tok)
			token, _ := tok["access_token"].(string)
			require.NotEmpty(t, token)
			st, body := get(t, srv, "/services/data/v60.0/limits", token)
			assert.Equal(t, http.StatusOK, st, "%s", body)
			assert.Contains(t, string(body), `"Max":15000`)
			st, _ = postForm(t, srv, revokePath, url.Values{"token": {token}})
			assert.Equal(t, http.StatusOK, st)
			st, _ = get(t, srv, "/services/data/v60.0/limits", token)
			assert.Equal(t, http.StatusUnauthorized, st, "a revoked token is refused")
		})
	}
	assert.Equal(t, 4, org.Logins(), "two logins and two revocations")
	assert.Equal(t, 4, org.APICalls(), "only /limits is charged")
	assert.Equal(t, 2, org.Revocations())
}

func TestOrgFaults(t *testing.T) {
	tests := []struct {
		fault     Fault
		wantError string // the token endpoint's error, "" for a login that works
		check     func(t *testing.T, srv *httptest.Server, token string)
	}{
		{PasswordRotated, "invalid_grant", nil},
		{ClientSecretRegenerated, "invalid_client", nil},
		{APIVersionRetired, "", func(t *testing.T, srv *httptest.Server, token string) {
			_, body := get(t, srv, "/services/data/", "")
			assert.NotContains(t, string(body), `"60.0"`)
			assert.Contains(t, string(body), `"59.0"`)
			st, _ := get(t, srv, "/services/data/v60.0/limits", token)
			assert.Equal(t, http.StatusNotFound, st)
		}},
		{APIBudgetLow, "", func(t *testing.T, srv *httptest.Server, token string) {
			_, body := get(t, srv, "/services/data/v60.0/limits", token)
			assert.Contains(t, string(body), `"Remaining":450`)
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			org, fx := NewDefaultOrg()
			cached := org.IssueToken()
			org.ApplyOrgFault(tt.fault, DefaultVersion)
			srv := httptest.NewServer(org.Handler())
			defer srv.Close()
			c := fx.Credentials
			status, tok := postForm(t, srv, tokenPath, url.Values{"grant_type": {"password"}, "client_id": {c.ConsumerKey},
				"client_secret": {c.ConsumerSecret}, "username": {c.Username}, "password": {c.Password + c.SecurityToken}})
			if tt.wantError != "" {
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, tt.wantError, tok["error"])
				st, _ := get(t, srv, "/services/data/v60.0/limits", cached)
				assert.Equal(t, http.StatusOK, st, "the cached session still works")
				return
			}
			require.Equal(t, http.StatusOK, status)
			tt.check(t, srv, tok["access_token"].(string))
		})
	}
}
