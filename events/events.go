// Package events holds the sfInvokeAPI test events that sfprobe replays, as
// JSON templates in exactly the shape of the samples that ship with the
// Amazon Connect Salesforce Lambda package (Details.Parameters, every value a
// string), and renders them.
package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

//go:embed *.json
var files embed.FS

// Name identifies one test event template.
type Name string

// The templates, in the order of the manual procedure.
const (
	PhoneLookup Name = "phoneLookup"
	Create      Name = "create"
	Update      Name = "update"
	LookupCase  Name = "lookupCase"
	Delete      Name = "delete"
	FindCases   Name = "findCases"
	FindRunCase Name = "findRunCase"
)

// Names lists every template in the order of a run.
func Names() []Name {
	return []Name{PhoneLookup, Create, Update, LookupCase, Delete, FindCases, FindRunCase}
}

// SubjectPrefix starts the Subject of every Case sfprobe creates; the sweep
// finds stale test cases by it.
const SubjectPrefix = "sfprobe synthetic test "

// MarkerPrefix starts every run marker.
const MarkerPrefix = "sfprobe-"

// DefaultFields are the fields phoneLookup requests when none are given.
const DefaultFields = "Id, Name"

// Values fill the templates' placeholders.
type Values struct {
	Phone     string // E.164 test phone, e.g. +441122334455
	Fields    string // sf_fields, comma+space separated
	ContactID string // Id returned by phoneLookup
	CaseID    string // Id returned by create
	Marker    string // unique run marker, e.g. sfprobe-<run id>
}

var (
	placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)
	markerRe    = regexp.MustCompile(`^` + MarkerPrefix + `[A-Za-z0-9_.:-]{1,100}$`)
)

// Marker returns the run marker of runID.
func Marker(runID string) string { return MarkerPrefix + runID }

// ValidMarker reports whether m is a well-formed run marker: it lands in a
// Case Subject and in a SOQL LIKE, so it must not carry quotes or wildcards.
func ValidMarker(m string) bool { return markerRe.MatchString(m) }

// Subject is the Case Subject for a run marker.
func Subject(marker string) string { return SubjectPrefix + marker }

// Template returns the raw template of n.
func Template(n Name) ([]byte, error) {
	b, err := files.ReadFile(string(n) + ".json")
	if err != nil {
		return nil, fmt.Errorf("event template %q: not found", n)
	}
	return b, nil
}

// Render fills template n with v. Values are JSON-escaped in place, so the
// layout and the key order of the template are kept. It fails when a
// placeholder the template uses has no value.
func Render(n Name, v Values) ([]byte, error) {
	tmpl, err := Template(n)
	if err != nil {
		return nil, err
	}
	if v.Marker != "" && !ValidMarker(v.Marker) {
		return nil, fmt.Errorf("render %s event: marker %q is not valid (want %s followed by letters, digits and _.:-)", n, v.Marker, MarkerPrefix)
	}
	vals := map[string]string{
		"phone":          v.Phone,
		"fields":         v.Fields,
		"contact_id":     v.ContactID,
		"case_id":        v.CaseID,
		"subject":        "",
		"subject_prefix": strings.TrimSpace(SubjectPrefix),
	}
	if v.Marker != "" {
		vals["subject"] = Subject(v.Marker)
	}
	var missing []string
	out := placeholder.ReplaceAllFunc(tmpl, func(m []byte) []byte {
		key := string(placeholder.FindSubmatch(m)[1])
		val, ok := vals[key]
		if !ok || val == "" {
			missing = append(missing, key)
			return m
		}
		q, _ := json.Marshal(val) // a string always marshals
		return q[1 : len(q)-1]
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("render %s event: missing %s", n, strings.Join(missing, ", "))
	}
	return out, nil
}

// Parameters returns Details.Parameters of a rendered event.
func Parameters(event []byte) (map[string]any, error) {
	var e struct {
		Details struct {
			Parameters map[string]any `json:"Parameters"`
		} `json:"Details"`
	}
	if err := json.Unmarshal(event, &e); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if e.Details.Parameters == nil {
		return nil, fmt.Errorf("decode event: no Details.Parameters")
	}
	return e.Details.Parameters, nil
}
