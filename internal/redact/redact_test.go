package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sentinel secret of these tests, with characters that every encoding
// changes.
const (
	consumerKey    = "3MVG9ConsumerKey.Sentinel_123"
	consumerSecret = "ConsumerSecret/Sentinel+456="
	password       = "P@ss w0rd&!#%Sentinel"
	securityToken  = "SecTokSentinel789xyz"
	authToken      = "00D5g000004ABCD!AQEAQSentinelSessionToken.xyz"
)

func sentinelSecret(t testing.TB) string {
	b, err := json.Marshal(map[string]string{
		"Password": password, "AccessToken": securityToken,
		"ConsumerKey": consumerKey, "ConsumerSecret": consumerSecret, "AuthToken": authToken,
	})
	require.NoError(t, err)
	return string(b)
}

// tokenURL is the URL sfInvokeAPI v5.26 builds for its token request, as
// requests' urlencode writes it.
func tokenURL(user, pw string) string {
	q := url.Values{}
	q.Set("grant_type", "password")
	q.Set("client_id", consumerKey)
	q.Set("client_secret", consumerSecret)
	q.Set("username", user)
	q.Set("password", pw)
	// sfInvokeAPI's parameter order, not url.Values' sorted one.
	return "/services/oauth2/token?grant_type=password&client_id=" + url.QueryEscape(consumerKey) +
		"&client_secret=" + url.QueryEscape(consumerSecret) + "&username=" + url.QueryEscape(user) +
		"&password=" + url.QueryEscape(pw)
}

// connectionError is the errorMessage the real function raises when the
// token host is unreachable (issue 11).
func connectionError(path string) string {
	return "HTTPSConnectionPool(host='login.salesforce.com', port=443): Max retries exceeded with url: " + path +
		" (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f3a2c1b2d50>: Failed to resolve 'login.salesforce.com' ([Errno -2] Name or service not known)\"))"
}

func TestKnownSecretValuesAreRemovedInEveryForm(t *testing.T) {
	r := New(SecretValues(sentinelSecret(t))...)
	values := []string{consumerKey, consumerSecret, password, securityToken, password + securityToken, authToken}
	for _, v := range values {
		for _, form := range Forms(v) {
			t.Run(fmt.Sprintf("%s/%s", v, form), func(t *testing.T) {
				got := r.String("before " + form + " after")
				assert.Equal(t, "before "+Marker+" after", got)
			})
		}
	}
}

func TestTheRealConnectionErrorKeepsItsCauseAndLosesItsCredentials(t *testing.T) {
	msg := connectionError(tokenURL("apiuser@acme.example", password+securityToken))
	tests := []struct {
		name string
		r    *Redactor
	}{
		{"secret read", New(SecretValues(sentinelSecret(t))...)},
		{"secret not read", &Redactor{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.String(msg)
			for _, v := range []string{consumerKey, consumerSecret, password, securityToken, "apiuser", "acme.example"} {
				for _, form := range Forms(v) {
					assert.NotContains(t, got, form)
				}
			}
			for _, keep := range []string{
				"HTTPSConnectionPool(host='login.salesforce.com', port=443)", "Max retries exceeded with url: /services/oauth2/token?",
				"grant_type=password", "client_id=" + Marker, "client_secret=" + Marker, "username=" + Marker, "password=" + Marker,
				"Caused by NameResolutionError", "Failed to resolve 'login.salesforce.com'", "Name or service not known",
			} {
				assert.Contains(t, got, keep)
			}
		})
	}
}

func TestRecognisedCredentials(t *testing.T) {
	r := &Redactor{}
	tests := []struct {
		name, give, want string
	}{
		{"query", "GET /x?a=1&access_token=abc.def&b=2", "GET /x?a=1&access_token=" + Marker + "&b=2"},
		{"form body", "grant_type=refresh_token&refresh_token=5Aep861&client_id=abc", "grant_type=refresh_token&refresh_token=" + Marker + "&client_id=" + Marker},
		{"json-escaped ampersand", `"url: /t?a=1\u0026password=hunter2hunter2\u0026client_id=abc (Caused"`, `"url: /t?a=1\u0026password=` + Marker + `\u0026client_id=` + Marker + ` (Caused"`},
		{"url-escaped ampersand", "next=%2Fx%3Fa%3D1%26password%3Dhunter2", "next=%2Fx%3Fa%3D1%26password%3D" + Marker},
		{"upper case", "PASSWORD=hunter2hunter2 done", "PASSWORD=" + Marker + " done"},
		{"encoded equals", "password%3Dhunter2hunter2&x=1", "password%3D" + Marker + "&x=1"},
		{"revoke", "POST /services/oauth2/revoke token=00Dxx", "POST /services/oauth2/revoke token=" + Marker},
		{"code", "/callback?code=aPrx123&state=1", "/callback?code=" + Marker + "&state=1"},
		{"not a credential param", "/x?grant_type=password&errorCode=X&format=json", "/x?grant_type=password&errorCode=X&format=json"},
		{"json key", `{"access_token":"00Dabc!xyz","instance_url":"https://acme.my.salesforce.com"}`, `{"access_token":"` + Marker + `","instance_url":"https://acme.my.salesforce.com"}`},
		{"json key spaced", `{"Password": "hunter2", "ConsumerKey": "k"}`, `{"Password": "` + Marker + `", "ConsumerKey": "` + Marker + `"}`},
		{"escaped json key", `"{\"ConsumerSecret\":\"s3cr3t\",\"x\":1}"`, `"{\"ConsumerSecret\":\"` + Marker + `\",\"x\":1}"`},
		{"python dict", `{'AuthToken': 'abc', 'AccessToken': ''}`, `{'AuthToken': '` + Marker + `', 'AccessToken': '` + Marker + `'}`},
		{"bearer", "Authorization failed for Bearer 00D5g000004ABCD!AQEAQtoken.x", "Authorization failed for Bearer " + Marker},
		{"authorization header", "headers: {'Authorization': 'Bearer abcdefghij', 'Content-Type': 'application/json'}", "headers: {'Authorization': '" + Marker + "', 'Content-Type': 'application/json'}"},
		{"authorization line", "Authorization: Basic dXNlcjpwYXNz\r\nHost: x", "Authorization: " + Marker + "\r\nHost: x"},
		{"session id", "INVALID_SESSION_ID for 00D5g000004ABCDEAQ!AQEAQ.tok-en_1 expired", "INVALID_SESSION_ID for " + Marker + " expired"},
		{"encoded session id", "sid=00D5g000004ABCD%21AQEAQtok", "sid=" + Marker},
		{"org id alone is kept", "org 00D5g000004ABCD is locked", "org 00D5g000004ABCD is locked"},
		{"record ids are kept", "Case 5001r000023P6WQAA0 for Contact 0031r000026MVPIAA4", "Case 5001r000023P6WQAA0 for Contact 0031r000026MVPIAA4"},
		{"aws error is kept", "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: 1, ResourceNotFoundException: Secrets Manager can't find the specified secret.", "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: 1, ResourceNotFoundException: Secrets Manager can't find the specified secret."},
		{"bearer in prose", "send a Bearer credentials header; the OAuth username-password flow", "send a Bearer credentials header; the OAuth username-password flow"},
		{"plain words", "the password has expired: invalid_grant: authentication failure", "the password has expired: invalid_grant: authentication failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, r.String(tt.give))
		})
	}
}

func TestShortValuesAreNotRegistered(t *testing.T) {
	r := New("abc", "")
	assert.Equal(t, "abc def", r.String("abc def"))
}

func TestLongestKnownFormWins(t *testing.T) {
	r := New(password, securityToken, password+securityToken)
	got := r.String("x" + password + securityToken + "y")
	assert.Equal(t, "x"+Marker+"y", got)
}

func TestErrorKeepsTheChain(t *testing.T) {
	sentinel := errors.New("cause with " + password)
	wrapped := fmt.Errorf("context: %w", sentinel)
	r := New(password)
	got := r.Error(wrapped)
	assert.Equal(t, "context: cause with "+Marker, got.Error())
	assert.ErrorIs(t, got, sentinel)
	assert.Same(t, got, r.Error(got), "redacting twice wraps once")
	assert.NoError(t, r.Error(nil))
}

func TestRegisterIsProcessWide(t *testing.T) {
	const v = "process-wide-sentinel-value"
	assert.Contains(t, Text("a "+v), v)
	RegisterSecret(`{"Password":"` + v + `","AccessToken":"tok12345"}`)
	assert.Equal(t, "a "+Marker, Text("a "+v))
	assert.Equal(t, "b "+Marker, Text("b "+v+"tok12345"))
	assert.Equal(t, "c "+Marker, Err(errors.New("c "+v)).Error())
}

func TestSecretValues(t *testing.T) {
	got := SecretValues(sentinelSecret(t))
	for _, v := range []string{password, securityToken, consumerKey, consumerSecret, authToken, password + securityToken} {
		assert.Contains(t, got, v)
	}
	assert.Equal(t, []string{"[1,2]"}, SecretValues("[1,2]"), "not an object: the whole text")
}

// survives reports the first form of secret that is still in out, outside
// the markers.
func survives(out, secret string) (string, bool) {
	for _, piece := range strings.Split(out, Marker) {
		for _, form := range Forms(secret) {
			if strings.Contains(piece, form) {
				return form, true
			}
		}
	}
	return "", false
}

// FuzzRedact: a secret value of any bytes, registered, embedded in the
// texts sfprobe reads (a token URL, a JSON document, a Python repr, a
// Step Functions cause), never survives in any of its forms, and the
// redactor never panics. Base64 is not a form sfInvokeAPI or Salesforce
// writes credentials in; it is not looked for.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{password, consumerSecret, authToken, "ümlaut-pässwörd", "a'b\"c\\d\n\te", "\xff\xfe\x00bytes", "redacted", "[redacted]x", "%2F%2f+ +"} {
		f.Add(s, "apiuser@acme.example")
	}
	f.Fuzz(func(t *testing.T, secret, user string) {
		r := New(secret)
		texts := []string{
			connectionError(tokenURL(user, secret)),
			connectionError(tokenURL(user, secret+securityToken)),
			mustJSON(t, map[string]string{"errorType": "ConnectionError", "errorMessage": connectionError(tokenURL(user, secret))}),
			mustJSON(t, map[string]any{"stackTrace": []string{"  File \"/var/task/salesforce.py\", line 70, in makeRequest\n    r = requests.post(url, params=" + pythonRepr(secret) + ")\n"}}),
			"{'Password': '" + pythonRepr(secret) + "', 'x': 1}",
			mustJSON(t, mustJSON(t, map[string]string{"message": "sfInvokeAPI raised " + secret})),
			"Bearer " + secret,
		}
		for i, text := range texts {
			out := r.String(text)
			if len(secret) < MinLength {
				continue
			}
			if form, ok := survives(out, secret); ok {
				t.Fatalf("text %d: form %q of the secret survives in %q", i, form, out)
			}
		}
		// Unknown values in credential parameters never survive either.
		out := (&Redactor{}).String(connectionError(tokenURL(user, secret)))
		for _, p := range []string{"password=", "client_secret=", "client_id=", "username="} {
			i := strings.Index(out, p)
			if i < 0 || !strings.HasPrefix(out[i+len(p):], Marker) {
				t.Fatalf("%s value survives in %q", p, out)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
