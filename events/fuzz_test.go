package events_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sfprobe/sfprobe/events"
)

var placeholderRe = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// templateParams returns Details.Parameters of template n, placeholders
// and all (a template is valid JSON before rendering).
func templateParams(tb testing.TB, n events.Name) map[string]string {
	tb.Helper()
	tmpl, err := events.Template(n)
	if err != nil {
		tb.Fatal(err)
	}
	var e struct {
		Details struct {
			Parameters map[string]string `json:"Parameters"`
		} `json:"Details"`
	}
	if err := json.Unmarshal(tmpl, &e); err != nil {
		tb.Fatalf("template %s: %v", n, err)
	}
	return e.Details.Parameters
}

// asJSON is s as it reads back from a JSON string: encoding/json turns each
// byte of invalid UTF-8 into U+FFFD, every other string survives verbatim.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// FuzzRender renders every template with arbitrary values. Render either
// fails, naming a placeholder that had no value (or the marker, when it is
// not a valid one), or returns valid JSON whose Details.Parameters are all
// strings, each equal to the template's text with every placeholder
// replaced by its value verbatim.
func FuzzRender(f *testing.F) {
	f.Add(full.Phone, full.Fields, full.ContactID, full.CaseID, full.Marker)
	f.Add("+441122334455", "Id, Name, Email", "", "", "")
	f.Add("", "", contactID, "", marker)
	f.Add("", "", "", "5001r000023P6WQAA0", "")
	f.Add("anonymous", "Id, Name", "", "", "")
	f.Add("5551234", "Id, Name", "", "", "")
	f.Add("+441122334455", `Id", "x": "y`, `C:\temp\`, `\"`, "a\nb\tc")
	f.Add("<script>&</script>", "Zoë ☎", "{{case_id}}", "$1 ${key}", "{{subject}}")
	f.Add("\u2028\u2029", "\x00\x1f", "\xff\xfe", "\xed\xa0\x80", "sfprobe-\x80")
	f.Fuzz(func(t *testing.T, phone, fields, contact, caseID, marker string) {
		v := events.Values{Phone: phone, Fields: fields, ContactID: contact, CaseID: caseID, Marker: marker}
		vals := map[string]string{
			"phone":          phone,
			"fields":         fields,
			"contact_id":     contact,
			"case_id":        caseID,
			"subject":        "",
			"subject_prefix": strings.TrimSpace(events.SubjectPrefix),
		}
		if marker != "" {
			vals["subject"] = events.Subject(marker)
		}
		for _, n := range events.Names() {
			tmpl := templateParams(t, n)
			var missing []string
			for _, text := range tmpl {
				for _, m := range placeholderRe.FindAllStringSubmatch(text, -1) {
					if vals[m[1]] == "" {
						missing = append(missing, m[1])
					}
				}
			}

			got, err := events.Render(n, v)

			if err != nil && marker != "" && !events.ValidMarker(marker) && strings.Contains(err.Error(), "marker") {
				continue // the marker lands in a Subject and a SOQL literal: Render may refuse it
			}
			if len(missing) > 0 {
				if err == nil {
					t.Fatalf("%s: rendered without %v: %s", n, missing, got)
				}
				for _, m := range missing {
					if !strings.Contains(err.Error(), m) {
						t.Fatalf("%s: the error does not name %s: %v", n, m, err)
					}
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: every placeholder has a value, yet: %v", n, err)
			}
			if !json.Valid(got) {
				t.Fatalf("%s: not valid JSON: %q", n, got)
			}
			params, err := events.Parameters(got)
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if len(params) != len(tmpl) {
				t.Fatalf("%s: %d parameters, the template has %d: %s", n, len(params), len(tmpl), got)
			}
			for k, text := range tmpl {
				s, ok := params[k].(string)
				if !ok {
					t.Fatalf("%s: Parameters.%s is %T, want a string", n, k, params[k])
				}
				want := placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
					return asJSON(vals[placeholderRe.FindStringSubmatch(m)[1]])
				})
				if s != want {
					t.Fatalf("%s: Parameters.%s = %q, want %q", n, k, s, want)
				}
			}
		}
	})
}
