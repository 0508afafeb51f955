package events_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
)

const (
	marker    = "sfprobe-20250304T050607Z-0a1b2c3d"
	contactID = "0031r000026MVPIAA4"
	caseID    = "5001r0000000000002"
)

// full fills every placeholder any template uses.
var full = events.Values{
	Phone:     "+441122334455",
	Fields:    "Id, Name, Email",
	ContactID: contactID,
	CaseID:    caseID,
	Marker:    marker,
}

// keyOrder returns the keys of the JSON object raw, in document order.
func keyOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok, "want a JSON object: %s", raw)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

// parameters returns Details.Parameters of event as raw JSON, after checking
// that the event holds Details.Parameters and nothing else.
func parameters(t *testing.T, event []byte) []byte {
	t.Helper()
	require.True(t, json.Valid(event), "not valid JSON: %s", event)
	require.Equal(t, []string{"Details"}, keyOrder(t, event), "top level")
	var top struct {
		Details json.RawMessage `json:"Details"`
	}
	require.NoError(t, json.Unmarshal(event, &top))
	require.Equal(t, []string{"Parameters"}, keyOrder(t, top.Details), "Details")
	var details struct {
		Parameters json.RawMessage `json:"Parameters"`
	}
	require.NoError(t, json.Unmarshal(top.Details, &details))
	return details.Parameters
}

// stringParams decodes Parameters and fails unless every value is a string,
// as Amazon Connect sends them.
func stringParams(t *testing.T, params []byte) map[string]string {
	t.Helper()
	var anyVals map[string]any
	require.NoError(t, json.Unmarshal(params, &anyVals))
	out := map[string]string{}
	for k, v := range anyVals {
		s, ok := v.(string)
		require.True(t, ok, "Parameters.%s is %T, want a string", k, v)
		out[k] = s
	}
	return out
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".golden.json"))
	require.NoError(t, err)
	return b
}

// TestRender_matchesContractShape renders every template and compares it
// with a golden event: the contract's samples event-phoneLookup.json and
// event-update.json exactly; event-create.json with the run's Subject; the
// lookup and delete events of the contract's vectors (lookup-case,
// delete-case); findCases and findRunCase as sfprobe's own query events.
func TestRender_matchesContractShape(t *testing.T) {
	tests := []struct {
		name       events.Name
		give       events.Values
		wantGolden string
		wantKeys   []string
	}{
		{
			name:       events.PhoneLookup,
			give:       events.Values{Phone: "+441122334455", Fields: "Id, Name, Email"},
			wantGolden: "phoneLookup",
			wantKeys:   []string{"sf_operation", "sf_phone", "sf_fields"},
		},
		{
			name:       events.Create,
			give:       events.Values{ContactID: contactID, Marker: marker},
			wantGolden: "create",
			wantKeys:   []string{"sf_operation", "sf_object", "Origin", "Status", "ContactId", "Subject", "Priority"},
		},
		{
			name:       events.Update,
			give:       events.Values{CaseID: "5001r000023P6WQAA0"},
			wantGolden: "update",
			wantKeys:   []string{"sf_operation", "sf_object", "sf_id", "Status"},
		},
		{
			name:       events.LookupCase,
			give:       events.Values{CaseID: caseID},
			wantGolden: "lookupCase",
			wantKeys:   []string{"sf_operation", "sf_object", "sf_fields", "Id"},
		},
		{
			name:       events.Delete,
			give:       events.Values{CaseID: caseID},
			wantGolden: "delete",
			wantKeys:   []string{"sf_operation", "sf_object", "sf_id"},
		},
		{
			name:       events.FindCases,
			give:       events.Values{},
			wantGolden: "findCases",
			wantKeys:   []string{"sf_operation", "query"},
		},
		{
			name:       events.FindRunCase,
			give:       events.Values{Marker: marker},
			wantGolden: "findRunCase",
			wantKeys:   []string{"sf_operation", "query"},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.name), func(t *testing.T) {
			got, err := events.Render(tt.name, tt.give)
			require.NoError(t, err)

			params := parameters(t, got)
			assert.Equal(t, tt.wantKeys, keyOrder(t, params), "Parameters key order")
			stringParams(t, params)

			want := golden(t, tt.wantGolden)
			assert.JSONEq(t, string(want), string(got))
			assert.Equal(t, keyOrder(t, parameters(t, want)), keyOrder(t, params), "golden key order")
		})
	}
}

func TestRender_everyNameWithAllValues(t *testing.T) {
	require.Equal(t, []events.Name{events.PhoneLookup, events.Create, events.Update, events.LookupCase, events.Delete, events.FindCases, events.FindRunCase}, events.Names())
	for _, n := range events.Names() {
		t.Run(string(n), func(t *testing.T) {
			got, err := events.Render(n, full)
			require.NoError(t, err)
			params := stringParams(t, parameters(t, got))
			assert.Equal(t, "sf_operation", keyOrder(t, parameters(t, got))[0], "sf_operation comes first, as in the samples")
			assert.NotEmpty(t, params["sf_operation"])
			for k, v := range params {
				assert.NotContains(t, v, "{{", "Parameters.%s keeps a placeholder", k)
			}
		})
	}
}

func TestRender_markerLandsInSubject(t *testing.T) {
	got, err := events.Render(events.Create, events.Values{ContactID: contactID, Marker: marker})
	require.NoError(t, err)

	params := stringParams(t, parameters(t, got))
	assert.Equal(t, "sfprobe synthetic test "+marker, params["Subject"])
	assert.Equal(t, events.Subject(marker), params["Subject"])
	assert.True(t, strings.HasPrefix(params["Subject"], events.SubjectPrefix))
	assert.Equal(t, contactID, params["ContactId"])
}

func TestRender_escapesValues(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "double quote", give: `Id", "x": "y`},
		{name: "backslash", give: `C:\temp\`},
		{name: "quote and backslash", give: `\"`},
		{name: "newline and tab", give: "a\nb\tc"},
		{name: "html", give: "<script>&</script>"},
		{name: "unicode", give: "Zoë ☎"},
		{name: "placeholder text", give: "{{case_id}}"},
		{name: "regexp replacement text", give: "$1 ${key}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Render(events.PhoneLookup, events.Values{Phone: "+441122334455", Fields: tt.give})
			require.NoError(t, err)

			params := stringParams(t, parameters(t, got))
			assert.Equal(t, tt.give, params["sf_fields"])
			assert.Equal(t, "+441122334455", params["sf_phone"])
			assert.Equal(t, []string{"sf_operation", "sf_phone", "sf_fields"}, keyOrder(t, parameters(t, got)))
		})
	}
}

func TestRender_missingValue(t *testing.T) {
	tests := []struct {
		name        events.Name
		give        events.Values
		wantMissing []string
	}{
		{name: events.PhoneLookup, give: events.Values{Fields: "Id"}, wantMissing: []string{"phone"}},
		{name: events.PhoneLookup, give: events.Values{Phone: "+441122334455"}, wantMissing: []string{"fields"}},
		{name: events.PhoneLookup, give: events.Values{}, wantMissing: []string{"phone", "fields"}},
		{name: events.Create, give: events.Values{Marker: marker}, wantMissing: []string{"contact_id"}},
		{name: events.Create, give: events.Values{ContactID: contactID}, wantMissing: []string{"subject"}},
		{name: events.Update, give: events.Values{}, wantMissing: []string{"case_id"}},
		{name: events.LookupCase, give: events.Values{}, wantMissing: []string{"case_id"}},
		{name: events.Delete, give: events.Values{}, wantMissing: []string{"case_id"}},
		{name: events.FindRunCase, give: events.Values{}, wantMissing: []string{"subject"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.name)+" without "+strings.Join(tt.wantMissing, "+"), func(t *testing.T) {
			got, err := events.Render(tt.name, tt.give)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), string(tt.name))
			assert.Contains(t, err.Error(), "missing "+strings.Join(tt.wantMissing, ", "))
		})
	}
}

func TestRender_findCasesNeedsNoValue(t *testing.T) {
	got, err := events.Render(events.FindCases, events.Values{})
	require.NoError(t, err)
	params := stringParams(t, parameters(t, got))
	assert.Equal(t, "query", params["sf_operation"])
	assert.Contains(t, params["query"], "LIKE '"+strings.TrimSpace(events.SubjectPrefix)+"%'")
}

func TestRender_markerLandsInFindRunCase(t *testing.T) {
	got, err := events.Render(events.FindRunCase, events.Values{Marker: marker})
	require.NoError(t, err)
	params := stringParams(t, parameters(t, got))
	assert.Equal(t, "query", params["sf_operation"])
	assert.True(t, strings.HasSuffix(params["query"], "WHERE Subject = '"+events.Subject(marker)+"'"), params["query"])
}

// TestRender_rejectsInvalidMarker: the marker lands inside a SOQL string
// literal (findRunCase) and the Case Subject; ValidMarker's doc says it
// must therefore carry no quote. Render only JSON-escapes, so a marker with
// a quote (a Step Functions execution name may hold one) breaks the query.
func TestRender_rejectsInvalidMarker(t *testing.T) {
	for _, n := range []events.Name{events.Create, events.FindRunCase} {
		t.Run(string(n), func(t *testing.T) {
			_, err := events.Render(n, events.Values{ContactID: contactID, Marker: "sfprobe-it's"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "marker")
		})
	}
}

func TestRender_unknownTemplate(t *testing.T) {
	_, err := events.Render("nope", full)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"nope"`)

	_, err = events.Template("nope")
	require.Error(t, err)
}

func TestTemplate_keepsPlaceholders(t *testing.T) {
	for _, n := range events.Names() {
		t.Run(string(n), func(t *testing.T) {
			b, err := events.Template(n)
			require.NoError(t, err)
			assert.True(t, json.Valid(b), "a template is valid JSON before rendering")
		})
	}
	b, err := events.Template(events.Create)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"{{subject}}"`)
	assert.Contains(t, string(b), `"{{contact_id}}"`)
}

func TestParameters(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    map[string]any
		wantErr string
	}{
		{
			name: "rendered event",
			give: `{"Details": {"Parameters": {"sf_operation": "delete", "sf_object": "Case", "sf_id": "5001"}}}`,
			want: map[string]any{"sf_operation": "delete", "sf_object": "Case", "sf_id": "5001"},
		},
		{name: "no parameters", give: `{"Details": {}}`, wantErr: "no Details.Parameters"},
		{name: "not JSON", give: `{"Details":`, wantErr: "decode event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Parameters([]byte(tt.give))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMarkerAndSubject(t *testing.T) {
	assert.Equal(t, "sfprobe-run1", events.Marker("run1"))
	assert.Equal(t, "sfprobe synthetic test sfprobe-run1", events.Subject(events.Marker("run1")))
	assert.True(t, events.ValidMarker(events.Marker("20250304T050607Z-0a1b2c3d")))
}

func TestValidMarker(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{give: "sfprobe-20250304T050607Z-0a1b2c3d", want: true},
		{give: "sfprobe-a", want: true},
		{give: "sfprobe-run.1:2", want: true},
		{give: "sfprobe-" + strings.Repeat("a", 100), want: true},
		{give: "sfprobe-" + strings.Repeat("a", 101), want: false},
		{give: "sfprobe-", want: false},
		{give: "", want: false},
		{give: "run1", want: false},
		{give: "SFPROBE-run1", want: false},
		{give: " sfprobe-run1", want: false},
		{give: "sfprobe-run1\n", want: false},
		{give: "sfprobe-it's", want: false},
		{give: `sfprobe-a"b`, want: false},
		{give: `sfprobe-a\b`, want: false},
		{give: "sfprobe-100%", want: false},
		{give: "sfprobe-a b", want: false},
		{give: "sfprobe-a/b", want: false},
		{give: "sfprobe-ä", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, events.ValidMarker(tt.give))
		})
	}
}
