package sim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// sfRequest is one HTTP request the function sends to Salesforce.
type sfRequest struct {
	method string
	host   string     // scheme://host of the request
	path   string     // e.g. /services/data/v60.0/query
	query  url.Values // URL parameters
	bearer string     // from "Authorization: Bearer <token>"
	body   []byte     // nil: no body
}

// sfResponse is Salesforce's answer: a status and a JSON body (or none).
type sfResponse struct {
	status int
	body   []byte
}

const (
	pageSize   = 2000
	tokenPath  = "/services/oauth2/token"
	restPrefix = "/services/data/"
)

var versionRe = regexp.MustCompile(`^v\d+\.\d+$`)

// serve answers one request. Every request is charged to the API budget.
func (o *Org) serve(req sfRequest, fs faultSet) sfResponse {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.apiCalls++
	if req.path == tokenPath {
		return o.token(req, fs)
	}
	rest, ok := strings.CutPrefix(req.path, restPrefix)
	if !ok {
		return errorResponse(notFound())
	}
	if fs.has(AuthExpired) || fs.has(LoginHostUnreachable) || !o.tokens[req.bearer] {
		return errorResponse(&sfFault{status: http.StatusUnauthorized, code: "INVALID_SESSION_ID", msg: "Session expired or invalid"})
	}
	if fs.has(APILimit) {
		return errorResponse(&sfFault{status: http.StatusForbidden, code: "REQUEST_LIMIT_EXCEEDED", msg: "TotalRequests Limit exceeded."})
	}
	version, resource, _ := strings.Cut(rest, "/")
	if !versionRe.MatchString(version) || !o.served(version) {
		return errorResponse(notFound())
	}
	resp, err := o.route(req, version, strings.Split(resource, "/"), fs)
	if err != nil {
		return errorResponse(err)
	}
	return resp
}

func (o *Org) route(req sfRequest, version string, segs []string, fs faultSet) (sfResponse, error) {
	m := req.method
	switch {
	case len(segs) == 1 && segs[0] == "query":
		if m != http.MethodGet {
			return sfResponse{}, methodNotAllowed(m, "GET,HEAD")
		}
		return o.restQuery(req.query.Get("q"), version, fs)
	case len(segs) == 1 && segs[0] == "search":
		if m != http.MethodGet {
			return sfResponse{}, methodNotAllowed(m, "GET,HEAD")
		}
		return o.restSearch(req.query.Get("q"), version, fs)
	case len(segs) == 1 && segs[0] == "parameterizedSearch":
		if m != http.MethodPost {
			return sfResponse{}, methodNotAllowed(m, "GET,HEAD,POST")
		}
		return o.restParameterizedSearch(req.body, version, fs)
	case len(segs) == 2 && segs[0] == "sobjects":
		if m != http.MethodPost {
			return sfResponse{}, methodNotAllowed(m, "GET,HEAD,POST")
		}
		return o.restCreate(segs[1], req.body, fs)
	case len(segs) == 3 && segs[0] == "sobjects":
		switch m {
		case http.MethodPatch:
			return o.restUpdate(segs[1], segs[2], req.body, fs)
		case http.MethodDelete:
			return o.restDelete(segs[1], segs[2])
		}
		return sfResponse{}, methodNotAllowed(m, "GET,PATCH,HEAD,DELETE")
	case len(segs) == 2 && segs[0] == "chatter" && segs[1] == "feed-elements" && m == http.MethodPost:
		return o.restFeedElement(req.body)
	case len(segs) == 6 && segs[0] == "chatter" && segs[1] == "feed-elements" && segs[3] == "capabilities" &&
		segs[4] == "comments" && segs[5] == "items" && m == http.MethodPost:
		return o.restComment(segs[2], req.body)
	}
	return sfResponse{}, notFound()
}

func notFound() *sfFault {
	return &sfFault{status: http.StatusNotFound, code: "NOT_FOUND", msg: "The requested resource does not exist"}
}

func methodNotAllowed(method, allowed string) *sfFault {
	return &sfFault{status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED", msg: fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", method, allowed)}
}

func errorResponse(err error) sfResponse {
	var f *sfFault
	if !errors.As(err, &f) {
		f = &sfFault{status: http.StatusInternalServerError, code: "UNKNOWN_EXCEPTION", msg: "An unexpected error occurred. Please include this ErrorId if you contact support: 0-0 (0)"}
	}
	return sfResponse{status: f.status, body: compactJSON([]any{newDict("message", f.msg, "errorCode", f.code)})}
}

func jsonResponse(status int, v any) sfResponse {
	return sfResponse{status: status, body: compactJSON(v)}
}

// token is the OAuth 2.0 token endpoint (username-password flow; the
// client-credentials flow of v5.28 is accepted too).
func (o *Org) token(req sfRequest, fs faultSet) sfResponse {
	oauthErr := func(code, desc string) sfResponse {
		return jsonResponse(http.StatusBadRequest, newDict("error", code, "error_description", desc))
	}
	if req.method != http.MethodPost {
		return oauthErr("invalid_request", "must use HTTP POST")
	}
	params := url.Values{}
	for k, v := range req.query {
		params[k] = v
	}
	if form, err := url.ParseQuery(string(req.body)); err == nil && strings.Contains(string(req.body), "=") {
		for k, v := range form {
			params[k] = v
		}
	}
	grant := params.Get("grant_type")
	if grant != "password" && grant != "client_credentials" {
		return oauthErr("unsupported_grant_type", "grant type not supported")
	}
	if params.Get("client_id") != o.creds.ConsumerKey {
		return oauthErr("invalid_client_id", "client identifier invalid")
	}
	if params.Get("client_secret") != o.creds.ConsumerSecret {
		return oauthErr("invalid_client", "invalid client credentials")
	}
	if fs.has(AuthExpired) {
		return oauthErr("invalid_grant", "authentication failure")
	}
	if grant == "password" && (!strings.EqualFold(params.Get("username"), o.creds.Username) ||
		params.Get("password") != o.creds.Password+o.creds.SecurityToken) {
		return oauthErr("invalid_grant", "authentication failure")
	}
	var sig [32]byte
	_, _ = rand.Read(sig[:])
	return jsonResponse(http.StatusOK, newDict(
		"access_token", o.issueToken(),
		"instance_url", req.host,
		"id", "https://login.salesforce.com/id/"+orgID+"/0051r000000SIMUSR",
		"token_type", "Bearer",
		"issued_at", strconv.FormatInt(o.now().UnixMilli(), 10),
		"signature", base64.StdEncoding.EncodeToString(sig[:]),
	))
}

func (o *Org) restQuery(q, version string, fs faultSet) (sfResponse, error) {
	sq, err := parseSOQL(q)
	if err != nil {
		return sfResponse{}, err
	}
	rs := o.orderAndLimit(o.selectRecords(sq.obj, sq.where, fs), sq.orderBy, sq.desc, sq.limit, sq.offset)
	total := len(rs)
	out := newDict("totalSize", total, "done", total <= pageSize)
	if total > pageSize {
		rs = rs[:pageSize]
		out.set("nextRecordsUrl", fmt.Sprintf("/services/data/%s/query/01g1r00000SIMQRY-%d", version, pageSize))
	}
	records := make([]any, len(rs))
	for i, r := range rs {
		records[i] = o.renderRecord(r, sq.fields, version)
	}
	out.set("records", records)
	return jsonResponse(http.StatusOK, out), nil
}

func (o *Org) restSearch(q, version string, fs faultSet) (sfResponse, error) {
	spec, err := parseSOSL(q)
	if err != nil {
		return sfResponse{}, err
	}
	recs := o.search(spec, version, fs)
	if fs.has(NestedResponse) {
		withAccount(recs, version)
	}
	return jsonResponse(http.StatusOK, newDict("searchRecords", recs)), nil
}

// withAccount adds to each Contact search record its Account relationship
// as Salesforce returns a requested Account.Name: a nested record with its
// own attributes.
func withAccount(recs []any, version string) {
	for _, r := range recs {
		rec, ok := r.(*dict)
		if !ok {
			continue
		}
		attrs, _ := rec.vals["attributes"].(*dict)
		if attrs == nil || attrs.vals["type"] != contactObject.name {
			continue
		}
		const accountID = "001000000000001AAA"
		rec.set("Account", newDict(
			"attributes", newDict("type", "Account", "url", "/services/data/"+version+"/sobjects/Account/"+accountID),
			"Name", "Sfprobe Test Account",
		))
	}
}

func jsonParserError(detail string) *sfFault {
	return badRequest("JSON_PARSER_ERROR", "%s", detail)
}

// restParameterizedSearch answers POST parameterizedSearch:
// {"q", "fields", "sobjects": [{"name", "fields", "where", "limit"}], "in", "overallLimit"}.
func (o *Org) restParameterizedSearch(body []byte, version string, fs faultSet) (sfResponse, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return sfResponse{}, jsonParserError(err.Error())
	}
	req, ok := v.(*dict)
	if !ok {
		return sfResponse{}, jsonParserError("Cannot deserialize instance of search request from " + pyTypeName(v))
	}
	q, _ := req.vals["q"].(string)
	if q == "" {
		return sfResponse{}, badRequest("MISSING_ARGUMENT", "q not specified")
	}
	if len(strings.Trim(q, `*?" `)) < 2 {
		return sfResponse{}, badRequest("INVALID_SEARCH", "search term must be longer than one character: %s", q)
	}
	spec := searchSpec{term: q, scope: "ALL", limit: pageSize}
	if in, ok := req.vals["in"].(string); ok && in != "" {
		spec.scope = strings.ToUpper(in)
	}
	if lim, ok := req.vals["overallLimit"]; ok {
		n, err := intValue(lim)
		if err != nil {
			return sfResponse{}, jsonParserError("Cannot deserialize value of type int from " + pyReprValue(lim))
		}
		spec.limit = n
	}
	defaultFields, err := stringList(req.vals["fields"], []string{"Id"})
	if err != nil {
		return sfResponse{}, err
	}
	targets, _ := req.vals["sobjects"].([]any)
	if _, present := req.vals["sobjects"]; !present {
		for _, obj := range sobjects {
			targets = append(targets, newDict("name", obj.name))
		}
	}
	for _, raw := range targets {
		spec0, ok := raw.(*dict)
		if !ok {
			return sfResponse{}, jsonParserError("Cannot deserialize sobjects entry from " + pyTypeName(raw))
		}
		name, _ := spec0.vals["name"].(string)
		obj := findObject(name)
		if obj == nil {
			return sfResponse{}, invalidType(name)
		}
		names, err := stringList(spec0.vals["fields"], defaultFields)
		if err != nil {
			return sfResponse{}, err
		}
		t := searchTarget{obj: obj, limit: -1}
		if t.fields, err = resolveFields(obj, names); err != nil {
			return sfResponse{}, err
		}
		if where, _ := spec0.vals["where"].(string); where != "" {
			if t.where, err = parseWhere(where, obj); err != nil {
				return sfResponse{}, err
			}
		}
		if lim, ok := spec0.vals["limit"]; ok {
			if t.limit, err = intValue(lim); err != nil {
				return sfResponse{}, jsonParserError("Cannot deserialize value of type int from " + pyReprValue(lim))
			}
		}
		spec.targets = append(spec.targets, t)
	}
	recs := o.search(spec, version, fs)
	if fs.has(NestedResponse) {
		withAccount(recs, version)
	}
	return jsonResponse(http.StatusOK, newDict("searchRecords", recs)), nil
}

// intValue reads a JSON number or a numeric string (Salesforce's parser
// accepts both).
func intValue(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.Atoi(x.String())
	case string:
		return strconv.Atoi(strings.TrimSpace(x))
	}
	return 0, fmt.Errorf("not a number")
}

func stringList(v any, def []string) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, jsonParserError("Cannot deserialize instance of string from " + pyTypeName(e))
			}
			out[i] = s
		}
		if len(out) == 0 {
			return def, nil
		}
		return out, nil
	}
	return nil, jsonParserError("Cannot deserialize instance of list from " + pyTypeName(v))
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// fieldValues validates a create/update body against obj's schema and
// returns the field values by canonical name.
func (o *Org) fieldValues(obj *sobject, body []byte) (map[string]string, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, jsonParserError(err.Error())
	}
	data, ok := v.(*dict)
	if !ok {
		return nil, jsonParserError("Cannot deserialize instance of " + obj.name + " from " + pyTypeName(v))
	}
	out := map[string]string{}
	for _, k := range data.keys {
		f := obj.field(k)
		if f == nil {
			return nil, badRequest("INVALID_FIELD", "No such column '%s' on sobject of type %s", k, obj.name)
		}
		if !f.writable {
			return nil, badRequest("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.name)
		}
		var s string
		switch x := data.vals[k].(type) {
		case nil:
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		default:
			return nil, jsonParserError(fmt.Sprintf("Cannot deserialize instance of string from %s value", pyTypeName(x)))
		}
		if f.maxLen > 0 && utf8.RuneCountInString(s) > f.maxLen {
			return nil, badRequest("STRING_TOO_LONG", "%s: data value too large: %s (max length=%d)", f.name, s, f.maxLen)
		}
		switch {
		case f.kind == kindEmail && s != "" && !emailRe.MatchString(s):
			return nil, badRequest("INVALID_EMAIL_ADDRESS", "%s: invalid email address: %s", f.name, s)
		case f.kind == kindRef && s != "":
			if s, err = o.checkReference(f, s); err != nil {
				return nil, err
			}
		}
		out[f.name] = s
	}
	return out, nil
}

// checkReference validates a lookup value and returns the 18-char Id.
func (o *Org) checkReference(f *fieldDef, id string) (string, error) {
	switch {
	case !validID(id):
		return "", badRequest("MALFORMED_ID", "%s: id value of incorrect type: %s", f.label, id)
	case !strings.HasPrefix(id, f.ref.prefix):
		return "", badRequest("FIELD_INTEGRITY_EXCEPTION", "%s: id value of incorrect type: %s", f.label, id)
	case o.deleted[id15(id)]:
		return "", badRequest("ENTITY_IS_DELETED", "entity is deleted")
	}
	target := o.lookup(f.ref, id)
	if target == nil {
		return "", badRequest("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
	}
	return target.id, nil
}

func (o *Org) restCreate(name string, body []byte, fs faultSet) (sfResponse, error) {
	obj := findObject(name)
	if obj == nil {
		return sfResponse{}, notFound()
	}
	vals, err := o.fieldValues(obj, body)
	if err != nil {
		return sfResponse{}, err
	}
	switch obj {
	case contactObject:
		if vals["LastName"] == "" {
			return sfResponse{}, badRequest("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]")
		}
	case caseObject:
		if fs.has(CreateRejected) {
			return sfResponse{}, badRequest("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Cases cannot be created by this user")
		}
		if vals["Status"] == "" {
			vals["Status"] = "New"
		}
		if vals["Priority"] == "" {
			vals["Priority"] = "Medium"
		}
	}
	r := o.newRecord(obj, "", time.Time{})
	for k, v := range vals {
		r.vals[k] = v
	}
	return jsonResponse(http.StatusCreated, newDict("id", r.id, "success", true, "errors", []any{})), nil
}

// target finds the record a /sobjects/<name>/<id> URL names.
func (o *Org) target(name, id string) (*record, error) {
	obj := findObject(name)
	if obj == nil {
		return nil, notFound()
	}
	if r := o.lookup(obj, id); r != nil {
		return r, nil
	}
	switch {
	case !validID(id):
		return nil, &sfFault{status: http.StatusNotFound, code: "NOT_FOUND", msg: "Provided external ID field does not exist or is not accessible: " + id}
	case o.deleted[id15(id)]:
		return nil, &sfFault{status: http.StatusNotFound, code: "ENTITY_IS_DELETED", msg: "entity is deleted"}
	}
	return nil, notFound()
}

func (o *Org) restUpdate(name, id string, body []byte, fs faultSet) (sfResponse, error) {
	r, err := o.target(name, id)
	if err != nil {
		return sfResponse{}, err
	}
	vals, err := o.fieldValues(r.obj, body)
	if err != nil {
		return sfResponse{}, err
	}
	if fs.has(UpdateNot204) {
		return sfResponse{status: http.StatusOK}, nil
	}
	for k, v := range vals {
		r.vals[k] = v
	}
	if r.obj == caseObject && fs.has(CaseStaysOpen) && r.vals["Status"] == "Closed" {
		// A trigger reopens the case.
		r.vals["Status"] = "New"
	}
	return sfResponse{status: http.StatusNoContent}, nil
}

func (o *Org) restDelete(name, id string) (sfResponse, error) {
	r, err := o.target(name, id)
	if err != nil {
		return sfResponse{}, err
	}
	o.removeRecord(r)
	o.deleted[id15(r.id)] = true
	return sfResponse{status: http.StatusNoContent}, nil
}

func (o *Org) restFeedElement(body []byte) (sfResponse, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return sfResponse{}, jsonParserError(err.Error())
	}
	req, ok := v.(*dict)
	if !ok {
		return sfResponse{}, jsonParserError("Cannot deserialize feed element input from " + pyTypeName(v))
	}
	if t, _ := req.vals["feedElementType"].(string); t != "FeedItem" {
		return sfResponse{}, badRequest("INVALID_INPUT", "Invalid feed element type: %s", pyStr(req.vals["feedElementType"]))
	}
	if s, _ := req.vals["subjectId"].(string); s == "" {
		return sfResponse{}, badRequest("INVALID_INPUT", "Missing required input: subjectId")
	}
	o.seq++
	id := newID("0D5", o.seq)
	o.feed[id15(id)] = true
	return jsonResponse(http.StatusCreated, newDict("id", id, "type", "TextPost")), nil
}

func (o *Org) restComment(feedElementID string, body []byte) (sfResponse, error) {
	if !o.feed[id15(feedElementID)] {
		return sfResponse{}, notFound()
	}
	if _, err := decodeJSON(body); err != nil {
		return sfResponse{}, jsonParserError(err.Error())
	}
	o.seq++
	return jsonResponse(http.StatusCreated, newDict("id", newID("0D7", o.seq), "feedElement", newDict("id", feedElementID))), nil
}
