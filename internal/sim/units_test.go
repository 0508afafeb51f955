package sim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNationalNumber(t *testing.T) {
	tests := []struct {
		give    string
		want    string
		wantErr string
	}{
		{give: "+441122334455", want: "1122334455"},
		{give: " +44 (0)1122 334455 ", want: "1122334455"},
		{give: "+1-202-555-0123", want: "2025550123"},
		{give: "+1-800-FLOWERS", want: "8003569377"},
		{give: "+390612345678", want: "612345678"},
		{give: "5551234", wantErr: "(0) Missing or invalid default region."},
		{give: "+999123456", wantErr: "(0) Country calling code supplied was not recognised."},
		{give: "+0123456", wantErr: "(0) Country calling code supplied was not recognised."},
		{give: "+44", wantErr: "(1) The string supplied did not seem to be a phone number."},
		{give: "restricted", wantErr: "(1) The string supplied did not seem to be a phone number."},
		{give: "", wantErr: "(1) The string supplied did not seem to be a phone number."},
		{give: "+441", wantErr: "(3) The string supplied is too short to be a phone number."},
		{give: "+4412345678901234567890", wantErr: "(4) The string supplied is too long to be a phone number."},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := nationalNumber(tt.give)
			if tt.wantErr != "" {
				var exc *exception
				require.True(t, errors.As(err, &exc), "error %v", err)
				assert.Equal(t, &exception{Type: "NumberParseException", Message: tt.wantErr}, exc)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseSOQLErrors(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "SELECT Id FROM Case WHERE ", want: "MALFORMED_QUERY: \nSELECT Id FROM Case WHERE \n                          ^\nERROR at Row:1:Column:27\nunexpected token: <EOF>"},
		{give: "SELECT FROM Case", want: "MALFORMED_QUERY: \nSELECT FROM Case\n       ^\nERROR at Row:1:Column:8\nunexpected token: FROM"},
		{give: "SELECT Id, Nope FROM Contact", want: "INVALID_FIELD: No such column 'Nope' on entity 'Contact'"},
		{give: "SELECT Id, id FROM Contact", want: "INVALID_FIELD: duplicate field selected: Id"},
		{give: "SELECT Owner.Name FROM Case", want: "INVALID_FIELD: Didn't understand relationship 'Owner' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."},
		{give: "SELECT Id FROM Case WHERE Id = 'abc'", want: "INVALID_QUERY_FILTER_OPERATOR: invalid ID field: abc"},
		{give: "SELECT Id FROM Case WHERE Subject = 5", want: "INVALID_FIELD: value of filter criterion for field 'Subject' must be of type string and should be enclosed in quotes"},
		{give: "SELECT Id FROM Case WHERE CreatedDate < '2024-01-01'", want: "INVALID_FIELD: value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{give: "SELECT Id FROM Case WHERE Subject = 'a' AND Status = 'b' OR Origin = 'c'", want: "MALFORMED_QUERY: \nSELECT Id FROM Case WHERE Subject = 'a' AND Status = 'b' OR Origin = 'c'\n                                                         ^\nERROR at Row:1:Column:58\nunexpected token: OR"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, err := parseSOQL(tt.give)
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestSOQLEvaluation(t *testing.T) {
	org, _ := NewDefaultOrg()
	ids := seedOrg(org)
	tests := []struct {
		give string
		want []string
	}{
		{give: "SELECT Id FROM Case WHERE IsClosed = false", want: []string{ids.openCase}},
		{give: "SELECT Id FROM Case WHERE Subject LIKE 'SFPROBE synthetic%'", want: []string{ids.closedCase}},
		{give: "SELECT Id FROM Case WHERE Subject LIKE 'Printer_on%'", want: []string{ids.openCase}},
		{give: "SELECT Id FROM Case WHERE CreatedDate < 2024-05-06T12:00:00Z", want: []string{ids.closedCase}},
		{give: "SELECT Id FROM Case WHERE Contact.Name = 'jim smith'", want: []string{ids.closedCase}},
		{give: "SELECT Id FROM Case WHERE ContactId = null", want: []string{ids.openCase}},
		{give: "SELECT Id FROM Case WHERE Id IN ('" + ids.openCase[:15] + "') OR (NOT Status = 'New')", want: []string{ids.closedCase, ids.openCase}},
		{give: "SELECT Id FROM Case ORDER BY CreatedDate DESC LIMIT 1", want: []string{ids.openCase}},
		{give: "SELECT Id FROM Contact WHERE Email != null", want: []string{ids.ann}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			q, err := parseSOQL(tt.give)
			require.NoError(t, err)
			rs := org.orderAndLimit(org.selectRecords(q.obj, q.where, nil), q.orderBy, q.desc, q.limit, q.offset)
			var got []string
			for _, r := range rs {
				got = append(got, r.id)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPythonFormatting(t *testing.T) {
	assert.Equal(t, `'x'`, pyRepr("x"))
	assert.Equal(t, `"O'Brien"`, pyRepr("O'Brien"))
	assert.Equal(t, `'a\'b"c\n'`, pyRepr("a'b\"c\n"))
	assert.Equal(t, `['Id', None, True, 1.5, {'a': 2}]`, pyReprValue([]any{"Id", nil, true, 1.5, newDict("a", 2)}))
	assert.Equal(t, "1e+16", pyFloatRepr(1e16))
	assert.Equal(t, "100000.0", pyFloatRepr(1e5))
	assert.Equal(t, `{"a": "\u00e9\ud83d\ude00", "b": [1, 2.0, null]}`, string(pyDumps(newDict("a", "é😀", "b", []any{1, 2.0, nil}))))
	assert.Equal(t, `{"a":"é","b":true}`, string(compactJSON(newDict("a", "é", "b", true))))

	v, err := decodeJSON([]byte(`{"b": 1, "a": {"y": 2.50, "x": null}}`))
	require.NoError(t, err)
	assert.Equal(t, `{"b": 1, "a": {"y": 2.5, "x": null}}`, string(pyDumps(v)))
	_, err = decodeJSON([]byte(`{} x`))
	assert.EqualError(t, err, "Extra data: line 1 column 4 (char 3)")
	_, err = decodeJSON([]byte(``))
	assert.EqualError(t, err, "Expecting value: line 1 column 1 (char 0)")
}

func TestBindLikeCPython(t *testing.T) {
	sig := signatures["delete"]
	_, _, err := sig.bind(newDict("x", "1"))
	assert.EqualError(t, err, "TypeError: delete() got an unexpected keyword argument 'x'")
	_, _, err = sig.bind(newDict())
	assert.EqualError(t, err, "TypeError: delete() missing 2 required positional arguments: 'sf_object' and 'sf_id'")
	args, kw, err := signatures["search"].bind(newDict("q", "a", "sf_fields", "Id", "sf_object", "Contact", "extra", "1"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"q": "a", "sf_fields": "Id", "sf_object": "Contact", "where": "", "overallLimit": 100}, args)
	assert.Equal(t, []string{"extra"}, kw.keys)
}

func TestParseDate(t *testing.T) {
	base := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		give    any
		want    any
		wantErr string
	}{
		{give: "plain", want: "plain"},
		{give: 5, want: 5},
		{give: "|date", want: "2025-03-04"},
		{give: "|time", want: "05:06:07"},
		{give: "1d|datetime", want: "2025-03-05T05:06:07Z"},
		{give: "-2H|datetime", want: "2025-03-04T03:06:07Z"},
		{give: "-90m|time", want: "03:36:07"},
		{give: "+1w|date", want: "2025-03-11"},
		{give: "1d|date|extra", want: "2025-03-05"},
		{give: "a|b", wantErr: "Exception: Supported formats are 'date', 'time' and 'datetime', example '2h|date'"},
		{give: "2y|date", wantErr: "Exception: Supported delta types are 'd' for days, 'h' for hours and 'm' for minutes, example '2h|date'"},
		{give: "d|date", wantErr: "ValueError: invalid literal for int() with base 10: ''"},
		{give: "99999999w|date", wantErr: "OverflowError: date value out of range"},
	}
	for _, tt := range tests {
		t.Run(pyStr(tt.give), func(t *testing.T) {
			got, err := parseDate(tt.give, base)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFlatten(t *testing.T) {
	recs := []any{
		newDict("Id", "1", "Owner", newDict("attributes", newDict("type", "User"), "Name", "A")),
		newDict("Id", "2", "Owner", nil),
	}
	assert.Equal(t, `{"sf_records_0_Id": "1", "sf_records_0_Owner.attributes.type": "User", "sf_records_0_Owner.Name": "A", "sf_records_1_Id": "2", "sf_records_1_Owner": null, "sf_count": 2}`,
		string(pyDumps(flattenRecords(recs))))
	assert.Equal(t, `{"sf_count": 0}`, string(pyDumps(flattenRecords(nil))))
	assert.Equal(t, `{"sf_count": 2}`, string(pyDumps(flattenOne(recs))))
}

// TestFlattenAsUpstream: sfInvokeAPI keys records by records.index(record)
// and flattens list items without an index (outputs of the real
// flatten_json and the multi-record operations' loop).
func TestFlattenAsUpstream(t *testing.T) {
	num := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name string
		give []any
		want string
	}{
		{"equal records share the first one's key",
			[]any{newDict("Name", "A"), newDict("Name", "B"), newDict("Name", "A")},
			`{"sf_records_0_Name": "A", "sf_records_1_Name": "B", "sf_count": 3}`},
		{"list items have no index; empty lists and objects vanish",
			[]any{newDict("Id", "1", "Tags", []any{"x", "y"}), newDict("Id", "2", "L", []any{newDict("a", num("1")), newDict("b", num("2"))}, "E", []any{}, "D", newDict())},
			`{"sf_records_0_Id": "1", "sf_records_0_Tags": "y", "sf_records_1_Id": "2", "sf_records_1_L.a": 1, "sf_records_1_L.b": 2, "sf_count": 2}`},
		{"1, 1.0 and true are equal",
			[]any{newDict("N", num("1")), newDict("N", num("1.0")), newDict("N", true)},
			`{"sf_records_0_N": true, "sf_count": 3}`},
		{"key order does not make records different",
			[]any{newDict("a", "x", "b", nil), newDict("b", nil, "a", "x")},
			`{"sf_records_0_b": null, "sf_records_0_a": "x", "sf_count": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(pyDumps(flattenRecords(tt.give))))
		})
	}
	assert.Equal(t, `{"a.b": null, "c": 3}`, string(pyDumps(flatten(newDict("a", newDict("b", nil), "c", []any{num("1"), []any{num("2"), num("3")}}), "."))))
}

func TestIDs(t *testing.T) {
	assert.Equal(t, "AA4", idSuffix("0031r000026MVPI"))
	assert.Equal(t, "5001r0000000002AAA", newID("500", 2))
	assert.Equal(t, "5001r000000000ZAAQ", newID("500", 35))
	assert.True(t, validID(DefaultContactID))
	assert.False(t, validID("0031r000026MVPIAA"))
}

func TestOrgSnapshots(t *testing.T) {
	org := NewOrg()
	id := org.AddContact(Contact{ID: "0031r000026MVPI", Name: "Mary Ann Jones"})
	assert.Equal(t, DefaultContactID, id)
	c, found := org.Contact(DefaultContactID)
	require.True(t, found)
	assert.Equal(t, Contact{ID: DefaultContactID, Name: "Mary Ann Jones", FirstName: "Mary", LastName: "Ann Jones"}, c)

	now := time.Now().UTC().Truncate(time.Second)
	newer := org.AddCaseAgedForTest(Case{Subject: "sfprobe synthetic test b"})
	older := org.AddCaseAgedForTest(Case{Subject: "sfprobe synthetic test a", CreatedDate: now.Add(-72 * time.Hour)})
	closed := org.AddCaseAgedForTest(Case{Subject: "sfprobe synthetic test c", IsClosed: true, CreatedDate: now.Add(-96 * time.Hour)})
	org.AddCaseAgedForTest(Case{Subject: "other"})

	var got []string
	for _, c := range org.Cases() {
		got = append(got, c.ID)
	}
	assert.Equal(t, closed, got[0])
	assert.Equal(t, older, got[1])
	open := org.OpenCases("sfprobe synthetic test ")
	require.Len(t, open, 2)
	assert.Equal(t, []string{older, newer}, []string{open[0].ID, open[1].ID})
	cc, _ := org.Case(closed[:15])
	assert.Equal(t, "Closed", cc.Status)
	assert.Zero(t, org.APICalls())
}
