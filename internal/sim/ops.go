package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signatures of the operations the handler calls as op(sf=sf, **params),
// from sfInvokeAPI.py v5.26. phoneLookup is called with positional values
// instead (a missing one is a KeyError).
var signatures = map[string]signature{
	"lookup":               {name: "lookup", required: []string{"sf_object", "sf_fields"}, varKw: true},
	"create":               {name: "create", required: []string{"sf_object"}, varKw: true},
	"update":               {name: "update", required: []string{"sf_object", "sf_id"}, varKw: true},
	"delete":               {name: "delete", required: []string{"sf_object", "sf_id"}},
	"lookup_all":           {name: "lookup_all", required: []string{"sf_object", "sf_fields"}, varKw: true},
	"query":                {name: "query", required: []string{"query"}, varKw: true},
	"queryOne":             {name: "queryOne", required: []string{"query"}, varKw: true},
	"createChatterPost":    {name: "createChatterPost", required: []string{"sf_feedElementType", "sf_subjectId", "sf_messageType", "sf_message"}, varKw: true},
	"createChatterComment": {name: "createChatterComment", required: []string{"sf_feedElementId", "sf_commentType", "sf_commentMessage"}, varKw: true},
	"search": {name: "search", required: []string{"q", "sf_fields", "sf_object"}, optional: []string{"where", "overallLimit"},
		defaults: map[string]any{"where": "", "overallLimit": 100}, varKw: true},
	"searchOne": {name: "searchOne", required: []string{"q", "sf_fields", "sf_object"}, optional: []string{"where"},
		defaults: map[string]any{"where": ""}, varKw: true},
	"searchSOSL":    {name: "searchSOSL", required: []string{"query"}, varKw: true},
	"searchOneSOSL": {name: "searchOneSOSL", required: []string{"query"}, varKw: true},
}

// dispatch is lambda_handler's if/elif chain.
func (c *sfClient) dispatch(ctx context.Context, op string, params *dict) (any, error) {
	if op == "phoneLookup" {
		c.op = op
		phone, err := subscript(params, "sf_phone")
		if err != nil {
			return nil, err
		}
		fields, err := subscript(params, "sf_fields")
		if err != nil {
			return nil, err
		}
		return c.phoneLookup(ctx, phone, fields)
	}
	c.op = op
	sig, ok := signatures[op]
	if !ok {
		return nil, raise("Exception", "sf_operation unknown")
	}
	args, kw, err := sig.bind(params)
	if err != nil {
		return nil, err
	}
	switch op {
	case "lookup":
		return c.lookup(ctx, args, kw)
	case "lookup_all":
		return c.lookupAll(ctx, args, kw)
	case "create":
		return c.createOp(ctx, args, kw)
	case "update":
		return c.updateOp(ctx, args, kw)
	case "delete":
		if err := c.delete(ctx, pyStr(args["sf_object"]), pyStr(args["sf_id"])); err != nil {
			return nil, err
		}
		return newDict("Response", nil), nil
	case "query", "queryOne", "searchOneSOSL":
		q, err := substitute(args["query"], kw)
		if err != nil {
			return nil, err
		}
		recs, err := c.query(ctx, q)
		if err != nil {
			return nil, err
		}
		if op == "query" {
			return flattenRecords(recs), nil
		}
		return flattenOne(recs), nil
	case "searchSOSL":
		q, err := substitute(args["query"], kw)
		if err != nil {
			return nil, err
		}
		recs, err := c.search(ctx, q)
		if err != nil {
			return nil, err
		}
		return flattenRecords(recs), nil
	case "search", "searchOne":
		return c.searchOp(ctx, op == "search", args)
	case "createChatterPost":
		return c.chatterPost(ctx, args, kw)
	case "createChatterComment":
		return c.chatterComment(ctx, args, kw)
	}
	return nil, raise("Exception", "sf_operation unknown")
}

// phoneLookup searches Contacts by the national number of an E.164 phone
// and returns the first record (not flattened) plus sf_count.
func (c *sfClient) phoneLookup(ctx context.Context, phone, fields any) (any, error) {
	p, ok := phone.(string)
	if !ok {
		return nil, noAttribute(phone, "lower")
	}
	if strings.ToLower(p) == "anonymous" {
		return newDict("sf_count", 0), nil
	}
	national, err := nationalNumber(p)
	if err != nil {
		return nil, err
	}
	fieldList := fields
	if s, ok := fields.(string); ok {
		fieldList = splitFields(s)
	}
	recs, err := c.parameterizedSearch(ctx, newDict(
		"q", national,
		"sobjects", []any{newDict("name", "Contact")},
		"fields", fieldList,
	))
	if err != nil {
		return nil, err
	}
	return firstWithCount(recs), nil
}

// splitFields is sf_fields.split(", ").
func splitFields(s string) []any {
	parts := strings.Split(s, ", ")
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

func firstWithCount(recs []any) *dict {
	result := newDict()
	if len(recs) > 0 {
		if first, ok := recs[0].(*dict); ok {
			result = first
		}
	}
	result.set("sf_count", len(recs))
	return result
}

// whereClause joins where_parser over the extra parameters with " AND ".
func whereClause(kw *dict) (string, error) {
	parts := make([]string, 0, kw.size())
	for _, k := range kw.keys {
		p, err := whereParser(k, kw.vals[k])
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " AND "), nil
}

// whereParser: phone keys become a LIKE over the last ten characters split
// 3/3/4; a value holding % a LIKE; anything else key='value'. Nothing is
// escaped.
func whereParser(key string, value any) (string, error) {
	if k := strings.ToLower(key); k == "mobilephone" || k == "homephone" {
		s, ok := value.(string)
		if !ok {
			return "", raise("TypeError", "'%s' object is not subscriptable", pyTypeName(value))
		}
		return fmt.Sprintf("%s LIKE '%%%s%%%s%%%s%%'", key, pySlice(s, -10, -7, true), pySlice(s, -7, -4, true), pySlice(s, -4, 0, false)), nil
	}
	like, err := contains(value, "%")
	if err != nil {
		return "", err
	}
	if like {
		return fmt.Sprintf("%s LIKE '%s'", key, pyStr(value)), nil
	}
	return fmt.Sprintf("%s='%s'", key, pyStr(value)), nil
}

func (c *sfClient) lookup(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	where, err := whereClause(kw)
	if err != nil {
		return nil, err
	}
	recs, err := c.query(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s", pyStr(args["sf_fields"]), pyStr(args["sf_object"]), where))
	if err != nil {
		return nil, err
	}
	return firstWithCount(recs), nil
}

func (c *sfClient) lookupAll(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	where, err := whereClause(kw)
	if err != nil {
		return nil, err
	}
	filter := ""
	if kw.size() > 0 {
		filter = "WHERE " + where
	}
	recs, err := c.query(ctx, fmt.Sprintf("SELECT %s FROM %s  %s", pyStr(args["sf_fields"]), pyStr(args["sf_object"]), filter))
	if err != nil {
		return nil, err
	}
	return flattenRecords(recs), nil
}

// substitute replaces every extra parameter's name in the query template
// by its value, in parameter order (str.replace).
func substitute(query any, kw *dict) (string, error) {
	for _, k := range kw.keys {
		q, ok := query.(string)
		if !ok {
			return "", noAttribute(query, "replace")
		}
		v, ok := kw.vals[k].(string)
		if !ok {
			return "", raise("TypeError", "replace() argument 2 must be str, not %s", pyTypeName(kw.vals[k]))
		}
		query = strings.ReplaceAll(q, k, v)
	}
	return pyStr(query), nil
}

// fieldData runs parse_date over the extra parameters, except for the
// Contact Channel Analytics object, whose values go unchanged.
func (c *sfClient) fieldData(sobject any, kw *dict) (*dict, error) {
	cca := c.f.namespacePrefix() + "AC_ContactChannelAnalytics__c"
	s, isStr := sobject.(string)
	data := newDict()
	for _, k := range kw.keys {
		v := kw.vals[k]
		if !isStr || s != cca {
			var err error
			if v, err = parseDate(v, c.f.coldStart); err != nil {
				return nil, err
			}
		}
		data.set(k, v)
	}
	return data, nil
}

// namespacePrefix is SF_ADAPTER_NAMESPACE + "__", or "" for an empty or
// "-" namespace.
func (f *Function) namespacePrefix() string {
	ns := f.env["SF_ADAPTER_NAMESPACE"]
	if ns == "" || ns == "-" {
		return ""
	}
	return ns + "__"
}

func (c *sfClient) createOp(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	data, err := c.fieldData(args["sf_object"], kw)
	if err != nil {
		return nil, err
	}
	id, err := c.create(ctx, pyStr(args["sf_object"]), data)
	if err != nil {
		return nil, err
	}
	return newDict("Id", id), nil
}

func (c *sfClient) updateOp(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	data, err := c.fieldData(args["sf_object"], kw)
	if err != nil {
		return nil, err
	}
	status, err := c.update(ctx, pyStr(args["sf_object"]), pyStr(args["sf_id"]), data)
	if err != nil {
		return nil, err
	}
	return newDict("Status", status), nil
}

func (c *sfClient) searchOp(ctx context.Context, all bool, args map[string]any) (any, error) {
	fields, ok := args["sf_fields"].(string)
	if !ok {
		return nil, noAttribute(args["sf_fields"], "split")
	}
	target := newDict("name", args["sf_object"])
	if pyTruthy(args["where"]) {
		target.set("where", args["where"])
	}
	data := newDict("q", args["q"], "fields", splitFields(fields), "sobjects", []any{target})
	if all {
		data.set("overallLimit", args["overallLimit"])
	}
	recs, err := c.parameterizedSearch(ctx, data)
	if err != nil {
		return nil, err
	}
	if all {
		return flattenRecords(recs), nil
	}
	return flattenOne(recs), nil
}

func (c *sfClient) chatterPost(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	msg, err := textReplace(args["sf_message"], kw)
	if err != nil {
		return nil, err
	}
	segments := []any{newDict("type", args["sf_messageType"], "text", msg)}
	if mention, ok := kw.get("sf_mention"); ok && mention != nil && mention != "" {
		segments = append(segments, newDict("type", "Mention", "id", mention))
	}
	id, err := c.post(ctx, "createChatterPost", "chatter/feed-elements", newDict(
		"body", newDict("messageSegments", segments),
		"feedElementType", args["sf_feedElementType"],
		"subjectId", args["sf_subjectId"],
	))
	if err != nil {
		return nil, err
	}
	return newDict("Id", id), nil
}

func (c *sfClient) chatterComment(ctx context.Context, args map[string]any, kw *dict) (any, error) {
	msg, err := textReplace(args["sf_commentMessage"], kw)
	if err != nil {
		return nil, err
	}
	resource := "chatter/feed-elements/" + pyStr(args["sf_feedElementId"]) + "/capabilities/comments/items"
	id, err := c.post(ctx, "createChatterComment", resource, newDict("body", newDict("messageSegments", []any{
		newDict("type", args["sf_commentType"], "text", msg),
	})))
	if err != nil {
		return nil, err
	}
	return newDict("Id", id), nil
}

var errImproperlyFormatted = &exception{Type: "Exception", Message: "ERROR: string is improperly formatted"}

// textReplace is sf_util.text_replace_string: each {{key}} is replaced by
// the extra parameter key.
func textReplace(s any, words *dict) (any, error) {
	for {
		has, err := contains(s, "{{")
		if err != nil {
			return nil, err
		}
		if !has {
			return s, nil
		}
		str, ok := s.(string)
		if !ok {
			// "{{" is an item of a list or a key of a dict: str.find.
			return nil, noAttribute(s, "find")
		}
		start := strings.Index(str, "{{")
		end := strings.Index(str, "}}")
		if end < 0 || start > end {
			return nil, errImproperlyFormatted
		}
		key := strings.TrimSpace(str[start+2 : end])
		v, ok := words.get(key)
		if !ok {
			return nil, errImproperlyFormatted
		}
		nested, err := contains(v, "{{")
		if err != nil {
			return nil, err
		}
		if nested {
			return nil, errImproperlyFormatted
		}
		vs, ok := v.(string)
		if !ok {
			return nil, raise("TypeError", "can only concatenate str (not \"%s\") to str", pyTypeName(v))
		}
		s = str[:start] + vs + str[end+2:]
	}
}

var dateFormats = map[string]string{
	"datetime": "2006-01-02T15:04:05Z",
	"date":     "2006-01-02",
	"time":     "15:04:05",
}

// parseDate is sf_util.parse_date: "<delta>|<format>" becomes the cold-start
// time plus delta, formatted; other values pass through.
func parseDate(v any, base time.Time) (any, error) {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "|") {
		return v, nil
	}
	parts := strings.Split(s, "|")
	delta := strings.TrimSpace(parts[0])
	layout, ok := dateFormats[strings.TrimSpace(parts[1])]
	if !ok {
		return nil, raise("Exception", "Supported formats are 'date', 'time' and 'datetime', example '2h|date'")
	}
	t := base
	if delta != "" {
		r := []rune(delta)
		unit := strings.ToLower(string(r[len(r)-1]))
		perDay := map[string]int64{"w": -7, "d": 1, "h": 24, "m": 1440}[unit]
		if perDay == 0 {
			return nil, raise("Exception", "Supported delta types are 'd' for days, 'h' for hours and 'm' for minutes, example '2h|date'")
		}
		n, err := pyInt(string(r[:len(r)-1]))
		if err != nil {
			return nil, err
		}
		var days, rest int64
		switch {
		case perDay < 0: // weeks
			days = n * 7
		default:
			days = floorDiv(n, perDay)
			rest = n - days*perDay
		}
		if days > 999999999 || days < -999999999 || (perDay < 0 && (n > 999999999/7 || n < -999999999/7)) {
			return nil, raise("OverflowError", "days=%d; must have magnitude <= 999999999", days)
		}
		t = t.AddDate(0, 0, int(days))
		switch unit {
		case "h":
			t = t.Add(time.Duration(rest) * time.Hour)
		case "m":
			t = t.Add(time.Duration(rest) * time.Minute)
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return nil, raise("OverflowError", "date value out of range")
		}
	}
	return t.Format(layout), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// flatten is flatten_json: nested keys joined with sep. A list's items are
// flattened under the list's own name, without an index, so the last
// item's values win (upstream's loop counter is never used).
func flatten(v any, sep string) *dict {
	out := newDict()
	var walk func(v any, name string)
	walk = func(v any, name string) {
		switch x := v.(type) {
		case *dict:
			for _, k := range x.keys {
				walk(x.vals[k], name+k+sep)
			}
		case []any:
			for _, e := range x {
				walk(e, name)
			}
		default:
			if name != "" {
				name = name[:len(name)-len(sep)]
			}
			out.set(name, v)
		}
	}
	walk(v, "")
	return out
}

// flattenRecords is the multi-record result: each record flattened with
// "." and keyed by str(records.index(record)), the index of the first
// record equal to it (equal records share one key: the last one's values,
// at the first one's place), then {"sf_records": {…}, "sf_count": n}
// flattened with "_".
func flattenRecords(recs []any) *dict {
	byIndex := newDict()
	for _, r := range recs {
		i := 0
		for !pyEqual(recs[i], r) {
			i++
		}
		byIndex.set(strconv.Itoa(i), flatten(r, "."))
	}
	return flatten(newDict("sf_records", byIndex, "sf_count", len(recs)), "_")
}

// pyEqual is Python's == on decoded JSON values: dicts by their items in
// any order, lists item by item, numbers and booleans by value.
func pyEqual(a, b any) bool {
	if x, ok := pyNumber(a); ok {
		y, ok := pyNumber(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *dict:
		y, ok := b.(*dict)
		if !ok || x.size() != y.size() {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.get(k)
			if !ok || !pyEqual(x.vals[k], yv) {
				return false
			}
		}
		return true
	}
	return false
}

// pyNumber is the numeric value of a number or a bool.
func pyNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// flattenOne is the *One result: the single record flattened plus sf_count,
// or only sf_count unless exactly one record matched.
func flattenOne(recs []any) *dict {
	result := newDict()
	if len(recs) == 1 {
		result = flatten(recs[0], ".")
	}
	result.set("sf_count", len(recs))
	return result
}
