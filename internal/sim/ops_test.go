package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
)

// seeded holds the Ids seedOrg assigns; they are the same in every fresh org.
type seeded struct{ ann, closedCase, openCase string }

// seedOrg adds a second contact and two cases to the default org.
func seedOrg(org *Org) seeded {
	return seeded{
		ann: org.AddContact(Contact{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", HomePhone: "+1 202 555 0123"}),
		closedCase: org.AddCaseAgedForTest(Case{Subject: events.Subject("sfprobe-a"), Status: "Closed", ContactID: DefaultContactID,
			CreatedDate: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}),
		openCase: org.AddCaseAgedForTest(Case{Subject: "Printer on fire", Origin: "Phone", CreatedDate: time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)}),
	}
}

func TestOperations(t *testing.T) {
	defaultOrg, _ := NewDefaultOrg()
	ids := seedOrg(defaultOrg)
	contactAttrs := func(id string) map[string]any {
		return map[string]any{"type": "Contact", "url": "/services/data/v60.0/sobjects/Contact/" + id}
	}
	tests := []struct {
		name string
		give []byte
		want result
	}{
		{
			name: "lookup by home phone LIKE",
			give: params("sf_operation", "lookup", "homephone", "+12025550123", "sf_object", "Contact", "sf_fields", "Id, Name"),
			want: ok(map[string]any{"Id": ids.ann, "Name": "Ann Lee", "sf_count": float64(1)}),
		},
		{
			name: "lookup returns the first of several",
			give: params("sf_operation", "lookup", "sf_object", "Case", "sf_fields", "Id", "Subject", "%"),
			want: ok(map[string]any{"Id": ids.closedCase, "sf_count": float64(2)}),
		},
		{
			name: "lookup with an unescaped quote",
			give: params("sf_operation", "lookup", "sf_object", "Contact", "sf_fields", "Id", "LastName", "O'Brien"),
			want: fnError("Exception", "MALFORMED_QUERY: \nSELECT Id FROM Contact WHERE LastName='O'Brien'\n                                         ^\nERROR at Row:1:Column:42\nunexpected token: Brien"),
		},
		{
			name: "lookup of a boolean in quotes",
			give: params("sf_operation", "lookup", "sf_object", "Case", "sf_fields", "Id", "IsClosed", "true"),
			want: fnError("Exception", "INVALID_FIELD: value of filter criterion for field 'IsClosed' must be of type boolean and should not be enclosed in quotes"),
		},
		{
			name: "lookup of an unknown object",
			give: params("sf_operation", "lookup", "sf_object", "Lead", "sf_fields", "Id", "Id", ids.ann),
			want: fnError("Exception", "INVALID_TYPE: sObject type 'Lead' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."),
		},
		{
			name: "lookup_all without conditions",
			give: params("sf_operation", "lookup_all", "sf_object", "Case", "sf_fields", "Id, Contact.Name"),
			want: ok(map[string]any{
				"sf_records_0_Id": ids.closedCase, "sf_records_0_Contact.attributes.type": "Contact",
				"sf_records_0_Contact.attributes.url": contactAttrs(DefaultContactID)["url"], "sf_records_0_Contact.Name": "Jim Smith",
				"sf_records_1_Id": ids.openCase, "sf_records_1_Contact": nil,
				"sf_count": float64(2),
			}),
		},
		{
			name: "findCases query",
			give: render(t, events.FindCases, events.Values{}),
			want: ok(map[string]any{
				"sf_records_0_Id": ids.closedCase, "sf_records_0_Subject": "sfprobe synthetic test sfprobe-a",
				"sf_records_0_IsClosed": true, "sf_records_0_CreatedDate": "2024-05-06T07:08:09.000+0000",
				"sf_count": float64(1),
			}),
		},
		{
			name: "query with nothing found",
			give: params("sf_operation", "query", "query", "SELECT Id FROM Case WHERE Subject = 'none'"),
			want: ok(map[string]any{"sf_count": float64(0)}),
		},
		{
			name: "queryOne substitutes parameters",
			give: params("sf_operation", "queryOne", "query", "SELECT Id, Name FROM Contact WHERE Email = 'EMAIL'", "EMAIL", "ANN@example.com"),
			want: ok(map[string]any{"Id": ids.ann, "Name": "Ann Lee", "sf_count": float64(1)}),
		},
		{
			name: "queryOne with two records",
			give: params("sf_operation", "queryOne", "query", "SELECT Id FROM Contact"),
			want: ok(map[string]any{"sf_count": float64(2)}),
		},
		{
			name: "query with a non-string value",
			give: params("sf_operation", "query", "query", "SELECT Id FROM Contact LIMIT N", "N", 1),
			want: fnError("TypeError", "replace() argument 2 must be str, not int"),
		},
		{
			name: "search with overallLimit as a string",
			give: params("sf_operation", "search", "q", "example.com", "sf_fields", "Id, Email", "sf_object", "Contact", "overallLimit", "1"),
			want: ok(map[string]any{"sf_records_0_Id": ids.ann, "sf_records_0_Email": "ann@example.com", "sf_count": float64(1)}),
		},
		{
			name: "searchOne with where",
			give: params("sf_operation", "searchOne", "q", "Jim", "sf_fields", "Id, Name", "sf_object", "Contact", "where", "LastName = 'Smith'"),
			want: ok(map[string]any{"Id": DefaultContactID, "Name": "Jim Smith", "sf_count": float64(1)}),
		},
		{
			name: "searchSOSL keeps attributes",
			give: params("sf_operation", "searchSOSL", "query", "FIND {WHO} IN NAME FIELDS RETURNING Contact(Id)", "WHO", "Ann"),
			want: ok(map[string]any{"sf_records_0_attributes.type": "Contact", "sf_records_0_attributes.url": contactAttrs(ids.ann)["url"],
				"sf_records_0_Id": ids.ann, "sf_count": float64(1)}),
		},
		{
			name: "searchOneSOSL sends SOSL to the query endpoint",
			give: params("sf_operation", "searchOneSOSL", "query", "FIND {Ann} RETURNING Contact(Id)"),
			want: fnError("Exception", "MALFORMED_QUERY: \nFIND {Ann} RETURNING Contact(Id)\n^\nERROR at Row:1:Column:1\nunexpected token: FIND"),
		},
		{
			name: "phoneLookup with a list of fields",
			give: params("sf_operation", "phoneLookup", "sf_phone", "+12025550123", "sf_fields", []any{"Id", "Email"}),
			want: ok(map[string]any{"Id": ids.ann, "Email": "ann@example.com", "sf_count": float64(1)}),
		},
		{
			name: "phoneLookup Anonymous",
			give: params("sf_operation", "phoneLookup", "sf_phone", "Anonymous", "sf_fields", "Id"),
			want: ok(map[string]any{"sf_count": float64(0)}),
		},
		{
			name: "phoneLookup fields without the space",
			give: params("sf_operation", "phoneLookup", "sf_phone", DefaultPhone, "sf_fields", "Id,Name"),
			want: fnError("Exception", "INVALID_FIELD: No such column 'Id,Name' on entity 'Contact'"),
		},
		{
			name: "phoneLookup without sf_fields",
			give: params("sf_operation", "phoneLookup", "sf_phone", "anonymous"),
			want: fnError("KeyError", "'sf_fields'"),
		},
		{
			name: "create with an unknown field",
			give: params("sf_operation", "create", "sf_object", "Case", "Foo", "x"),
			want: fnError("Exception", "INVALID_FIELD: No such column 'Foo' on sobject of type Case"),
		},
		{
			name: "create with a malformed ContactId",
			give: params("sf_operation", "create", "sf_object", "Case", "ContactId", "nope"),
			want: fnError("Exception", "MALFORMED_ID: Contact ID: id value of incorrect type: nope"),
		},
		{
			name: "create with a Case Id as ContactId",
			give: params("sf_operation", "create", "sf_object", "Case", "ContactId", ids.openCase),
			want: fnError("Exception", "FIELD_INTEGRITY_EXCEPTION: Contact ID: id value of incorrect type: "+ids.openCase),
		},
		{
			name: "create of the CCA object skips parse_date",
			give: params("sf_operation", "create", "sf_object", "amazonconnect__AC_ContactChannelAnalytics__c", "Name", "a|b"),
			want: fnError("Exception", "NOT_FOUND: The requested resource does not exist"),
		},
		{
			name: "update with a bad delta unit",
			give: params("sf_operation", "update", "sf_object", "Case", "sf_id", ids.openCase, "Subject", "2y|date"),
			want: fnError("Exception", "Supported delta types are 'd' for days, 'h' for hours and 'm' for minutes, example '2h|date'"),
		},
		{
			name: "update with a non-numeric delta",
			give: params("sf_operation", "update", "sf_object", "Case", "sf_id", ids.openCase, "Subject", "xd|date"),
			want: fnError("ValueError", "invalid literal for int() with base 10: 'x'"),
		},
		{
			name: "update of an unknown record",
			give: params("sf_operation", "update", "sf_object", "Case", "sf_id", "5001r0000000999AAA", "Status", "Closed"),
			want: fnError("Exception", "NOT_FOUND: The requested resource does not exist"),
		},
		{
			name: "missing three arguments",
			give: params("sf_operation", "createChatterComment"),
			want: fnError("TypeError", "createChatterComment() missing 3 required positional arguments: 'sf_feedElementId', 'sf_commentType', and 'sf_commentMessage'"),
		},
		{
			name: "parameter named sf",
			give: params("sf_operation", "lookup", "sf", "x", "sf_object", "Case", "sf_fields", "Id"),
			want: fnError("TypeError", "sfInvokeAPI.lookup() got multiple values for keyword argument 'sf'"),
		},
		{
			name: "chatter message with a missing key",
			give: params("sf_operation", "createChatterPost", "sf_feedElementType", "FeedItem", "sf_subjectId", DefaultContactID,
				"sf_messageType", "Text", "sf_message", "Call {{who}}"),
			want: fnError("Exception", "ERROR: string is improperly formatted"),
		},
		{
			name: "operation is not a string",
			give: params("sf_operation", 5),
			want: fnError("Exception", "sf_operation unknown"),
		},
		{
			name: "event without Details",
			give: []byte(`{"Name": "ContactFlowEvent"}`),
			want: fnError("KeyError", "'Details'"),
		},
		{
			name: "payload not JSON",
			give: []byte(`not json`),
			want: fnError("Runtime.UnmarshalError", "Unable to unmarshal input: Expecting value: line 1 column 1 (char 0)"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, org, _, _ := newDefault(t)
			require.Equal(t, ids, seedOrg(org))

			assert.Equal(t, tt.want, call(t, fn, tt.give))
		})
	}
}

func TestCreateUpdateDeleteCase(t *testing.T) {
	coldStart := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	fn, org, _, _ := newDefault(t, WithClock(func() time.Time { return coldStart }))

	got := call(t, fn, params("sf_operation", "create", "sf_object", "Case", "ContactId", DefaultContactID,
		"Subject", "-1w|date", "Description", " 2h | datetime "))
	require.Empty(t, got.FunctionError, got.Payload)
	id, _ := got.Payload["Id"].(string)
	assert.Regexp(t, `^5001r[0-9A-Za-z]{13}$`, id)
	c, found := org.Case(id)
	require.True(t, found)
	assert.Equal(t, Case{ID: id, ContactID: DefaultContactID, Subject: "2025-02-25", Status: "New", Priority: "Medium", CreatedDate: c.CreatedDate}, c)

	assert.Equal(t, ok(map[string]any{"Status": float64(204)}), call(t, fn, render(t, events.Update, events.Values{CaseID: id})))
	c, _ = org.Case(id)
	assert.True(t, c.IsClosed)

	assert.Equal(t, ok(map[string]any{"Response": nil}), call(t, fn, render(t, events.Delete, events.Values{CaseID: id})))
	_, found = org.Case(id)
	assert.False(t, found)
	assert.Equal(t, fnError("Exception", "ENTITY_IS_DELETED: entity is deleted"), call(t, fn, render(t, events.Update, events.Values{CaseID: id})))
}

func TestChatterPostAndComment(t *testing.T) {
	fn, _, _, _ := newDefault(t)

	post := call(t, fn, params("sf_operation", "createChatterPost", "sf_feedElementType", "FeedItem", "sf_subjectId", DefaultContactID,
		"sf_messageType", "Text", "sf_message", "Call {{ who }} back", "who", "Jim", "sf_mention", "0051r000000SIMUSR"))
	require.Empty(t, post.FunctionError, post.Payload)
	feedID, _ := post.Payload["Id"].(string)
	assert.Regexp(t, `^0D51r`, feedID)

	comment := call(t, fn, params("sf_operation", "createChatterComment", "sf_feedElementId", feedID, "sf_commentType", "Text", "sf_commentMessage", "done"))
	require.Empty(t, comment.FunctionError, comment.Payload)
	assert.Regexp(t, `^0D71r`, comment.Payload["Id"])

	missing := call(t, fn, params("sf_operation", "createChatterComment", "sf_feedElementId", "0D51r0000000999AAA", "sf_commentType", "Text", "sf_commentMessage", "x"))
	assert.Equal(t, fnError("Exception", "NOT_FOUND: The requested resource does not exist"), missing)
}
