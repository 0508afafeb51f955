// Package redact is the one place that strips secret values and
// credential-bearing text from anything sfprobe takes from outside: the
// function errors sfInvokeAPI raises (errorMessage and stackTrace),
// Salesforce error bodies, AWS API error messages and log tails. Every such
// text goes through it before it is stored in a Result, logged, published
// or printed.
//
// A Redactor removes two kinds of text:
//   - values it was told about (Add): the target's secret values, whenever
//     sfprobe has read them, in every form they take in a URL, a form body, a
//     JSON document or a Python repr;
//   - values it was not told about but can recognise by their place: URL
//     query and form parameters that carry credentials (password,
//     client_secret, ...), the same names as JSON or Python dict keys,
//     "Bearer ..." and "Authorization:" values, and Salesforce session ids
//     (00D...!...).
//
// It keeps the rest readable (host, path, exception type, the cause), so a
// redacted failure is still diagnosable, and puts Marker where text was
// removed.
package redact

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Marker replaces every removed value.
const Marker = "[redacted]"

// MinLength is the shortest secret value Add registers. A shorter value
// cannot be told apart from ordinary text; no credential Salesforce issues
// is that short (passwords have 8 characters at least), and the parameter
// patterns still remove short values in credential positions.
const MinLength = 6

// credentialParams are the URL query and form parameters whose values are
// credentials (OAuth 2.0 token and revoke requests, sfInvokeAPI's token URL).
var credentialParams = []string{
	"password", "client_secret", "client_id", "username", "access_token",
	"refresh_token", "assertion", "code", "token",
}

// credentialKeys are the JSON or Python dict keys whose values are
// credentials: the OAuth parameters and the sfInvokeAPI secret's keys.
var credentialKeys = []string{
	"password", "client_secret", "client_id", "username", "access_token",
	"refresh_token", "assertion", "token", "id_token",
	"AccessToken", "AuthToken", "ConsumerKey", "ConsumerSecret", "SecretString",
}

var (
	// name=value in a query string or form body; the value ends where a URL
	// or a sentence would end it. (?i) because requests keeps the case the
	// caller gave.
	// The name starts a word, or follows an escaped "&" (\u0026 in JSON,
	// %26 in a URL) that leaves no word boundary before it.
	paramRE = regexp.MustCompile(`(?i)(\\u0026|%26|\b)(` + strings.Join(credentialParams, "|") + `)(=|%3D)[^&\s"'<>\\]*`)
	// "key": "value" and 'key': 'value' (JSON, Python repr), also escaped
	// inside a JSON string (\"key\": \"value\").
	keyRE = regexp.MustCompile(`(?i)((?:\\?["'])(?:` + strings.Join(credentialKeys, "|") + `)(?:\\?["'])\s*[:=]\s*)(\\?["'])((?:[^"'\\]|\\[^"'])*)`)
	// Authorization: <anything to the end of the line or value>.
	authHeaderRE = regexp.MustCompile(`(?i)(\bauthorization(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)(?:bearer\s+|basic\s+|oauth\s+)?[^"'\\\r\n,}]+`)
	// Bearer <token>: a token has a digit or punctuation, which keeps
	// prose ("Bearer credentials") readable.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer)(?:\s+|%20|\+)([A-Za-z0-9._~+/=!%\-]{8,})`)
	tokenish = regexp.MustCompile(`[0-9._~+/=!%\-]`)
	// A Salesforce session id: the 15- or 18-character org id, "!" (or its
	// URL encoding) and the session part.
	sessionRE = regexp.MustCompile(`\b00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?(?:!|%21)[A-Za-z0-9._%\-]+`)
)

// Redactor removes secret values and credential-bearing text. The zero
// value removes only what the patterns recognise; it is safe for
// concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	forms    map[string]struct{}
	replacer *strings.Replacer
}

// New returns a Redactor that knows the given secret values (see Add).
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers secret values: each is removed from then on in every form
// it takes in a text, raw, URL-encoded (%XX and +, both hex cases),
// JSON-escaped (Go's and Python's), Python-repr-escaped. Values shorter than
// MinLength are ignored.
func (r *Redactor) Add(secrets ...string) {
	var forms []string
	for _, s := range secrets {
		if len(s) < MinLength {
			continue
		}
		forms = append(forms, Forms(s)...)
	}
	if len(forms) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forms == nil {
		r.forms = map[string]struct{}{}
	}
	added := false
	for _, f := range forms {
		if _, ok := r.forms[f]; !ok {
			r.forms[f] = struct{}{}
			added = true
		}
	}
	if !added {
		return
	}
	// Longest first: at one position the longest known form wins (the
	// password and security token concatenated before either alone).
	all := make([]string, 0, len(r.forms))
	for f := range r.forms {
		all = append(all, f)
	}
	sort.Slice(all, func(i, j int) bool {
		if len(all[i]) != len(all[j]) {
			return len(all[i]) > len(all[j])
		}
		return all[i] < all[j]
	})
	pairs := make([]string, 0, 2*len(all))
	for _, f := range all {
		pairs = append(pairs, f, Marker)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Forms returns the forms a secret value takes in the texts sfprobe reads:
// raw; URL-encoded as a query value (+ for space) and as a path (%20), with
// upper- and lower-case hex; JSON-escaped by Go (with and without HTML
// escaping) and by Python's json.dumps (ASCII only); escaped as in a
// Python repr; and each of those JSON-escaped once more (a message inside
// a JSON string, such as a Step Functions cause).
func Forms(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	// url.QueryEscape escapes what Python's quote_plus (requests) does.
	base := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	for _, b := range base {
		add(b)
		add(lowerHex(b))
	}
	for _, b := range append([]string(nil), out...) {
		add(jsonEscape(b, true))
		add(jsonEscape(b, false))
		add(pythonJSON(b))
		add(pythonRepr(b))
	}
	for _, b := range append([]string(nil), out...) {
		add(jsonEscape(b, false))
	}
	return out
}

// String returns s with every registered secret value and every
// recognised credential removed.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep != nil {
		s = rep.Replace(s)
	}
	s = sessionRE.ReplaceAllString(s, Marker)
	s = paramRE.ReplaceAllString(s, "${1}${2}${3}"+Marker)
	s = keyRE.ReplaceAllString(s, "${1}${2}"+Marker)
	s = authHeaderRE.ReplaceAllString(s, "${1}"+Marker)
	s = bearerRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := bearerRE.FindStringSubmatch(m)
		if !tokenish.MatchString(sub[2]) {
			return m
		}
		return sub[1] + " " + Marker
	})
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// Strings redacts each element of ss in place and returns ss.
func (r *Redactor) Strings(ss []string) []string {
	for i := range ss {
		ss[i] = r.String(ss[i])
	}
	return ss
}

// Error returns err with its message redacted; errors.Is and errors.As
// still see the original chain, so classification is unchanged. A nil err
// stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	var re *redacted
	if errors.As(err, &re) && re.r == r && re.msg == err.Error() {
		return err
	}
	return &redacted{r: r, err: err, msg: r.String(err.Error())}
}

type redacted struct {
	r   *Redactor
	err error
	msg string
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// std is the process's redactor: the secret values this process has read,
// for every target.
var std = &Redactor{}

// Register adds secret values to the process's redactor. sfprobe calls it
// wherever it reads a target's secret, before it uses any value.
func Register(secrets ...string) { std.Add(secrets...) }

// RegisterSecret registers the string values of a secret's JSON object
// (an sfInvokeAPI secret: Password, AccessToken, ConsumerKey,
// ConsumerSecret, AuthToken) and the concatenation of Password and
// AccessToken that sfInvokeAPI sends as the password. A secret that is not
// a JSON object is registered whole.
func RegisterSecret(secretString string) {
	Register(SecretValues(secretString)...)
}

// SecretValues returns the values of an sfInvokeAPI secret to redact: every
// string value of its JSON object, Password+AccessToken, and the whole
// secret string.
func SecretValues(secretString string) []string {
	out := []string{secretString}
	var obj map[string]any
	if json.Unmarshal([]byte(secretString), &obj) != nil {
		return out
	}
	for _, v := range obj {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	pw, _ := obj["Password"].(string)
	tok, _ := obj["AccessToken"].(string)
	if pw != "" && tok != "" {
		out = append(out, pw+tok)
	}
	return out
}

// Text redacts s with the process's redactor.
func Text(s string) string { return std.String(s) }

// Texts redacts each element of ss in place with the process's redactor.
func Texts(ss []string) []string { return std.Strings(ss) }

// Err redacts err's message with the process's redactor (see
// Redactor.Error).
func Err(err error) error { return std.Error(err) }

// Default returns the process's redactor.
func Default() *Redactor { return std }
