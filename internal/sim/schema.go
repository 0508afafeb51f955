package sim

import (
	"strings"
	"time"
)

// kind is a Salesforce field type, as far as the simulator needs it.
type kind int

const (
	kindString kind = iota
	kindID
	kindRef
	kindBool
	kindDateTime
	kindEmail
	kindPhone
)

// search scopes of a field for SOSL's IN … FIELDS.
const (
	scopeNone  = ""
	scopeText  = "TEXT"
	scopeName  = "NAME"
	scopeEmail = "EMAIL"
	scopePhone = "PHONE"
)

type fieldDef struct {
	name     string
	kind     kind
	writable bool
	maxLen   int
	scope    string
	ref      *sobject // kindRef: the target object
	rel      string   // kindRef: the relationship name, e.g. Contact
	label    string   // kindRef: the label used in error texts, e.g. Contact ID
}

type sobject struct {
	name   string
	prefix string
	fields []fieldDef
}

var contactObject = &sobject{name: "Contact", prefix: "003", fields: []fieldDef{
	{name: "Id", kind: kindID},
	{name: "Name", kind: kindString, scope: scopeName},
	{name: "FirstName", kind: kindString, writable: true, maxLen: 40, scope: scopeName},
	{name: "LastName", kind: kindString, writable: true, maxLen: 80, scope: scopeName},
	{name: "Email", kind: kindEmail, writable: true, maxLen: 80, scope: scopeEmail},
	{name: "Phone", kind: kindPhone, writable: true, maxLen: 40, scope: scopePhone},
	{name: "MobilePhone", kind: kindPhone, writable: true, maxLen: 40, scope: scopePhone},
	{name: "HomePhone", kind: kindPhone, writable: true, maxLen: 40, scope: scopePhone},
	{name: "CreatedDate", kind: kindDateTime},
}}

var caseObject = &sobject{name: "Case", prefix: "500", fields: []fieldDef{
	{name: "Id", kind: kindID},
	{name: "CaseNumber", kind: kindString, scope: scopeText},
	{name: "Subject", kind: kindString, writable: true, maxLen: 255, scope: scopeText},
	{name: "Description", kind: kindString, writable: true, maxLen: 32000, scope: scopeText},
	{name: "Status", kind: kindString, writable: true, maxLen: 40},
	{name: "IsClosed", kind: kindBool},
	{name: "Origin", kind: kindString, writable: true, maxLen: 40},
	{name: "Priority", kind: kindString, writable: true, maxLen: 40},
	{name: "ContactId", kind: kindRef, writable: true, ref: contactObject, rel: "Contact", label: "Contact ID"},
	{name: "CreatedDate", kind: kindDateTime},
}}

var sobjects = []*sobject{contactObject, caseObject}

// findObject resolves an sObject name case-insensitively.
func findObject(name string) *sobject {
	for _, o := range sobjects {
		if strings.EqualFold(o.name, name) {
			return o
		}
	}
	return nil
}

// field resolves a field name case-insensitively.
func (s *sobject) field(name string) *fieldDef {
	for i := range s.fields {
		if strings.EqualFold(s.fields[i].name, name) {
			return &s.fields[i]
		}
	}
	return nil
}

// relationship resolves a relationship name (Case.Contact) case-insensitively.
func (s *sobject) relationship(name string) *fieldDef {
	for i := range s.fields {
		f := &s.fields[i]
		if f.kind == kindRef && strings.EqualFold(f.rel, name) {
			return f
		}
	}
	return nil
}

// record is one stored sObject. vals holds the writable fields (and
// CaseNumber) by canonical name; "" is null.
type record struct {
	obj     *sobject
	id      string
	seq     int
	created time.Time
	vals    map[string]string
}

// value returns the field's JSON value: string, bool or nil.
func (r *record) value(f *fieldDef) any {
	switch f.name {
	case "Id":
		return r.id
	case "CreatedDate":
		return r.created.Format(sfTimeLayout)
	case "IsClosed":
		return r.vals["Status"] == "Closed"
	case "Name":
		if r.obj == contactObject {
			return nullable(strings.TrimSpace(r.vals["FirstName"] + " " + r.vals["LastName"]))
		}
	}
	return nullable(r.vals[f.name])
}

func (r *record) text(f *fieldDef) string {
	s, _ := r.value(f).(string)
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (r *record) contact() Contact {
	c := Contact{ID: r.id, FirstName: r.vals["FirstName"], LastName: r.vals["LastName"], Email: r.vals["Email"],
		Phone: r.vals["Phone"], MobilePhone: r.vals["MobilePhone"], HomePhone: r.vals["HomePhone"]}
	c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	return c
}

func (r *record) caseValue() Case {
	return Case{ID: r.id, ContactID: r.vals["ContactId"], Subject: r.vals["Subject"], Status: r.vals["Status"],
		Origin: r.vals["Origin"], Priority: r.vals["Priority"], IsClosed: r.vals["Status"] == "Closed", CreatedDate: r.created}
}

// attributes is the record's "attributes" object in REST answers.
func (r *record) attributes(version string) *dict {
	return newDict("type", r.obj.name, "url", "/services/data/"+version+"/sobjects/"+r.obj.name+"/"+r.id)
}
