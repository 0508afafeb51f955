package sim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The SOQL subset the org understands:
//
//	SELECT field, … FROM object [WHERE cond] [ORDER BY field [ASC|DESC]] [LIMIT n] [OFFSET n]
//	cond: cond AND cond | cond OR cond | NOT cond | (cond) | field op value | field [NOT] IN (value, …)
//	op:   = != <> < <= > >= LIKE (with % and _ wildcards)
//
// Fields are resolved case-insensitively, including one level of
// relationship (Case: Contact.Name). SOSL (FIND {term} … RETURNING …) reuses
// the lexer and the condition grammar.

// sfFault is an error Salesforce answers with a list body
// [{"message": …, "errorCode": …}].
type sfFault struct {
	status int
	code   string
	msg    string
}

func (e *sfFault) Error() string { return e.code + ": " + e.msg }

func badRequest(code, format string, args ...any) *sfFault {
	return &sfFault{status: 400, code: code, msg: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tOp
	tComma
	tLParen
	tRParen
	tBrace
	tBad
)

type token struct {
	kind tokKind
	raw  string // as written
	val  string // unescaped string, brace content, upper-cased op
	pos  int    // byte offset
}

var (
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	dateTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$`)
	numberRe   = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// lex splits src into tokens; a character it cannot start a token with
// becomes a tBad token, which the parser reports.
func lex(src string) []token {
	var out []token
	i := 0
	for {
		for i < len(src) && strings.IndexByte(" \t\r\n", src[i]) >= 0 {
			i++
		}
		if i >= len(src) {
			return append(out, token{kind: tEOF, raw: "<EOF>", pos: i})
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			out = append(out, token{kind: tIdent, raw: src[start:i], val: src[start:i], pos: start})
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			i++
			for i < len(src) && (strings.IndexByte("0123456789-:.TZ+", src[i]) >= 0) {
				i++
			}
			raw := src[start:i]
			k := tBad
			switch {
			case numberRe.MatchString(raw):
				k = tNumber
			case dateRe.MatchString(raw):
				k = tDate
			case dateTimeRe.MatchString(raw):
				k = tDateTime
			}
			out = append(out, token{kind: k, raw: raw, val: raw, pos: start})
		case c == '\'':
			val, end, ok := lexString(src, i)
			if !ok {
				return append(out, token{kind: tBad, raw: src[start:], pos: start})
			}
			i = end
			out = append(out, token{kind: tString, raw: src[start:i], val: val, pos: start})
		case c == '{':
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == '\\' && i+1 < len(src) {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == '}' {
					closed = true
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return append(out, token{kind: tBad, raw: src[start:], pos: start})
			}
			out = append(out, token{kind: tBrace, raw: src[start:i], val: b.String(), pos: start})
		case c == ',':
			i++
			out = append(out, token{kind: tComma, raw: ",", pos: start})
		case c == '(':
			i++
			out = append(out, token{kind: tLParen, raw: "(", pos: start})
		case c == ')':
			i++
			out = append(out, token{kind: tRParen, raw: ")", pos: start})
		case c == '=' || c == '<' || c == '>' || c == '!':
			i++
			if i < len(src) && (src[i] == '=' || (c == '<' && src[i] == '>')) {
				i++
			}
			op := src[start:i]
			k := tOp
			if op == "!" {
				k = tBad
			}
			out = append(out, token{kind: k, raw: op, val: op, pos: start})
		default:
			i++
			out = append(out, token{kind: tBad, raw: src[start:i], pos: start})
		}
	}
}

// lexString reads a quoted SOQL string at src[i]. \% and \_ keep their
// backslash so LIKE can tell them from wildcards.
func lexString(src string, i int) (string, int, bool) {
	var b strings.Builder
	i++
	for i < len(src) {
		c := src[i]
		switch c {
		case '\'':
			return b.String(), i + 1, true
		case '\\':
			if i+1 >= len(src) {
				return "", 0, false
			}
			n := src[i+1]
			switch n {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '\'', '"', '\\':
				b.WriteByte(n)
			case '%', '_':
				b.WriteByte('\\')
				b.WriteByte(n)
			default:
				return "", 0, false
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, false
}

// parser is a recursive-descent parser over lex's tokens.
type parser struct {
	src  string
	toks []token
	i    int
	code string // MALFORMED_QUERY or MALFORMED_SEARCH
}

func newParser(src, code string) *parser { return &parser{src: src, toks: lex(src), code: code} }

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.val, kw)
}

func (p *parser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw string) error {
	if !p.acceptKeyword(kw) {
		return p.unexpected()
	}
	return nil
}

// unexpected is Salesforce's syntax error for the current token.
func (p *parser) unexpected() error {
	t := p.peek()
	return &sfFault{status: 400, code: p.code, msg: syntaxMessage(p.src, t.pos, "unexpected token: "+t.raw)}
}

// syntaxMessage renders Salesforce's multi-line syntax error: the source
// line, a caret under the position, the row and column, and the detail.
func syntaxMessage(src string, pos int, detail string) string {
	if pos > len(src) {
		pos = len(src)
	}
	row := 1 + strings.Count(src[:pos], "\n")
	lineStart := strings.LastIndexByte(src[:pos], '\n') + 1
	lineEnd := strings.IndexByte(src[pos:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += pos
	}
	col := pos - lineStart + 1
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s", src[lineStart:lineEnd], strings.Repeat(" ", col-1), row, col, detail)
}

var reserved = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "LIKE": true,
	"IN": true, "ORDER": true, "BY": true, "LIMIT": true, "OFFSET": true, "NULL": true, "TRUE": true, "FALSE": true,
	"FIND": true, "RETURNING": true, "ASC": true, "DESC": true, "NULLS": true}

func (p *parser) fieldName() (token, error) {
	t := p.peek()
	if t.kind != tIdent || reserved[strings.ToUpper(t.val)] {
		return t, p.unexpected()
	}
	p.i++
	return t, nil
}

// selectQuery is a parsed SELECT, resolved against its object.
type selectQuery struct {
	obj     *sobject
	fields  []fieldRef
	where   cond
	orderBy *fieldRef
	desc    bool
	limit   int // -1: none
	offset  int
}

// parseSOQL parses and resolves a SELECT statement.
func parseSOQL(src string) (*selectQuery, error) {
	p := newParser(src, "MALFORMED_QUERY")
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	names, err := p.fieldList()
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	objTok, err := p.fieldName()
	if err != nil {
		return nil, err
	}
	var where rawCond
	if p.acceptKeyword("WHERE") {
		if where, err = p.expr(); err != nil {
			return nil, err
		}
	}
	order, desc, limit, offset, err := p.tail(true)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	obj := findObject(objTok.val)
	if obj == nil {
		return nil, invalidType(objTok.val)
	}
	q := &selectQuery{obj: obj, desc: desc, limit: limit, offset: offset}
	if q.fields, err = resolveFields(obj, names); err != nil {
		return nil, err
	}
	if where != nil {
		if q.where, err = where.resolve(obj); err != nil {
			return nil, err
		}
	}
	if order != "" {
		ref, err := resolveField(obj, order)
		if err != nil {
			return nil, err
		}
		q.orderBy = &ref
	}
	return q, nil
}

func invalidType(name string) *sfFault {
	return badRequest("INVALID_TYPE", "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", name)
}

// fieldList parses "a, b, c" (at least one field).
func (p *parser) fieldList() ([]string, error) {
	var names []string
	for {
		t, err := p.fieldName()
		if err != nil {
			return nil, err
		}
		names = append(names, t.val)
		if p.peek().kind != tComma {
			return names, nil
		}
		p.i++
	}
}

// tail parses [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST]] [LIMIT n] [OFFSET n].
func (p *parser) tail(allowOffset bool) (order string, desc bool, limit, offset int, err error) {
	limit = -1
	if p.acceptKeyword("ORDER") {
		if err = p.expectKeyword("BY"); err != nil {
			return
		}
		var t token
		if t, err = p.fieldName(); err != nil {
			return
		}
		order = t.val
		if p.acceptKeyword("DESC") {
			desc = true
		} else {
			p.acceptKeyword("ASC")
		}
		if p.acceptKeyword("NULLS") {
			if !p.acceptKeyword("FIRST") && !p.acceptKeyword("LAST") {
				err = p.unexpected()
				return
			}
		}
	}
	if p.acceptKeyword("LIMIT") {
		if limit, err = p.count(); err != nil {
			return
		}
	}
	if allowOffset && p.acceptKeyword("OFFSET") {
		if offset, err = p.count(); err != nil {
			return
		}
	}
	return
}

func (p *parser) count() (int, error) {
	t := p.peek()
	n, err := strconv.Atoi(t.raw)
	if t.kind != tNumber || err != nil || n < 0 {
		return 0, p.unexpected()
	}
	p.i++
	return n, nil
}

// rawCond is a parsed, not yet resolved condition.
type rawCond interface {
	resolve(obj *sobject) (cond, error)
}

type rawLogic struct {
	and   bool
	parts []rawCond
}

type rawNot struct{ inner rawCond }

type rawCmp struct {
	field string
	op    string // = != < <= > >= LIKE IN NOT IN
	vals  []token
}

func (p *parser) expr() (rawCond, error) {
	first, err := p.factor()
	if err != nil {
		return nil, err
	}
	var op string
	parts := []rawCond{first}
	for p.isKeyword("AND") || p.isKeyword("OR") {
		kw := strings.ToUpper(p.peek().val)
		if op != "" && kw != op {
			// SOQL requires parentheses to mix AND and OR.
			return nil, p.unexpected()
		}
		op = kw
		p.i++
		c, err := p.factor()
		if err != nil {
			return nil, err
		}
		parts = append(parts, c)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return &rawLogic{and: op == "AND", parts: parts}, nil
}

func (p *parser) factor() (rawCond, error) {
	if p.acceptKeyword("NOT") {
		c, err := p.factor()
		if err != nil {
			return nil, err
		}
		return &rawNot{c}, nil
	}
	if p.peek().kind == tLParen {
		p.i++
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tRParen {
			return nil, p.unexpected()
		}
		p.i++
		return c, nil
	}
	f, err := p.fieldName()
	if err != nil {
		return nil, err
	}
	c := &rawCmp{field: f.val}
	switch t := p.peek(); {
	case t.kind == tOp:
		c.op = t.val
		p.i++
	case p.isKeyword("LIKE"):
		c.op = "LIKE"
		p.i++
	case p.isKeyword("IN"):
		c.op = "IN"
		p.i++
	case p.isKeyword("NOT"):
		p.i++
		if err := p.expectKeyword("IN"); err != nil {
			return nil, err
		}
		c.op = "NOT IN"
	default:
		return nil, p.unexpected()
	}
	if c.op == "<>" {
		c.op = "!="
	}
	if c.op == "IN" || c.op == "NOT IN" {
		if p.peek().kind != tLParen {
			return nil, p.unexpected()
		}
		p.i++
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			c.vals = append(c.vals, v)
			if p.peek().kind == tComma {
				p.i++
				continue
			}
			if p.peek().kind != tRParen {
				return nil, p.unexpected()
			}
			p.i++
			return c, nil
		}
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	c.vals = []token{v}
	return c, nil
}

func (p *parser) value() (token, error) {
	t := p.peek()
	switch {
	case t.kind == tString, t.kind == tNumber, t.kind == tDate, t.kind == tDateTime:
	case t.kind == tIdent && (strings.EqualFold(t.val, "null") || strings.EqualFold(t.val, "true") || strings.EqualFold(t.val, "false")):
	default:
		return t, p.unexpected()
	}
	p.i++
	return t, nil
}

// fieldRef is a resolved field path: a field of the object, or a field of
// a related object (rel set).
type fieldRef struct {
	rel *fieldDef
	f   *fieldDef
}

func (r fieldRef) name() string {
	if r.rel != nil {
		return r.rel.rel + "." + r.f.name
	}
	return r.f.name
}

// resolveField resolves "Field", "Object.Field" or "Relationship.Field".
func resolveField(obj *sobject, name string) (fieldRef, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 1 && strings.EqualFold(parts[0], obj.name) {
		parts = parts[1:]
	}
	switch len(parts) {
	case 1:
		if f := obj.field(parts[0]); f != nil {
			return fieldRef{f: f}, nil
		}
		return fieldRef{}, noSuchColumn(parts[0], obj.name)
	case 2:
		rel := obj.relationship(parts[0])
		if rel == nil {
			return fieldRef{}, badRequest("INVALID_FIELD", "Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", parts[0])
		}
		if f := rel.ref.field(parts[1]); f != nil {
			return fieldRef{rel: rel, f: f}, nil
		}
		return fieldRef{}, noSuchColumn(parts[1], rel.ref.name)
	}
	return fieldRef{}, noSuchColumn(name, obj.name)
}

func noSuchColumn(field, object string) *sfFault {
	return badRequest("INVALID_FIELD", "No such column '%s' on entity '%s'", field, object)
}

func resolveFields(obj *sobject, names []string) ([]fieldRef, error) {
	seen := map[string]bool{}
	out := make([]fieldRef, 0, len(names))
	for _, n := range names {
		ref, err := resolveField(obj, n)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(ref.name())
		if seen[key] {
			return nil, badRequest("INVALID_FIELD", "duplicate field selected: %s", ref.name())
		}
		seen[key] = true
		out = append(out, ref)
	}
	return out, nil
}

// cond is a resolved condition, evaluated against a record.
type cond interface {
	eval(o *Org, r *record) bool
}

type logicCond struct {
	and   bool
	parts []cond
}

func (c *logicCond) eval(o *Org, r *record) bool {
	for _, p := range c.parts {
		if p.eval(o, r) != c.and {
			return !c.and
		}
	}
	return c.and
}

type notCond struct{ inner cond }

func (c *notCond) eval(o *Org, r *record) bool { return !c.inner.eval(o, r) }

func (c *rawLogic) resolve(obj *sobject) (cond, error) {
	out := &logicCond{and: c.and}
	for _, p := range c.parts {
		rc, err := p.resolve(obj)
		if err != nil {
			return nil, err
		}
		out.parts = append(out.parts, rc)
	}
	return out, nil
}

func (c *rawNot) resolve(obj *sobject) (cond, error) {
	inner, err := c.inner.resolve(obj)
	if err != nil {
		return nil, err
	}
	return &notCond{inner}, nil
}

// literal is a typed comparison value; null when isNull.
type literal struct {
	isNull bool
	s      string
	b      bool
	t      time.Time
}

type cmpCond struct {
	ref  fieldRef
	op   string
	vals []literal
}

func (c *rawCmp) resolve(obj *sobject) (cond, error) {
	ref, err := resolveField(obj, c.field)
	if err != nil {
		return nil, err
	}
	f := ref.f
	out := &cmpCond{ref: ref, op: c.op}
	switch {
	case c.op == "LIKE" && (f.kind == kindID || f.kind == kindRef):
		return nil, badRequest("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on id field")
	case c.op == "LIKE" && f.kind == kindBool:
		return nil, badRequest("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on boolean field")
	case c.op == "LIKE" && f.kind == kindDateTime:
		return nil, badRequest("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on dateTime field")
	case f.kind == kindBool && c.op != "=" && c.op != "!=" && c.op != "IN" && c.op != "NOT IN":
		return nil, badRequest("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on boolean field")
	}
	for _, t := range c.vals {
		lit, err := typedLiteral(f, t)
		if err != nil {
			return nil, err
		}
		out.vals = append(out.vals, lit)
	}
	return out, nil
}

func typedLiteral(f *fieldDef, t token) (literal, error) {
	if t.kind == tIdent && strings.EqualFold(t.val, "null") {
		return literal{isNull: true}, nil
	}
	switch f.kind {
	case kindBool:
		if t.kind == tIdent {
			return literal{b: strings.EqualFold(t.val, "true")}, nil
		}
		return literal{}, badRequest("INVALID_FIELD", "value of filter criterion for field '%s' must be of type boolean and should not be enclosed in quotes", f.name)
	case kindDateTime:
		if t.kind == tDateTime {
			return literal{t: parseDateTimeLiteral(t.val)}, nil
		}
		return literal{}, badRequest("INVALID_FIELD", "value of filter criterion for field '%s' must be of type dateTime and should not be enclosed in quotes", f.name)
	case kindID, kindRef:
		if t.kind != tString {
			return literal{}, badRequest("INVALID_FIELD", "value of filter criterion for field '%s' must be of type id and should be enclosed in quotes", f.name)
		}
		if t.val != "" && !validID(t.val) {
			return literal{}, badRequest("INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: %s", t.val)
		}
		return literal{s: t.val}, nil
	}
	if t.kind != tString {
		return literal{}, badRequest("INVALID_FIELD", "value of filter criterion for field '%s' must be of type string and should be enclosed in quotes", f.name)
	}
	return literal{s: t.val}, nil
}

func parseDateTimeLiteral(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999Z07:00", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.999-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// fieldValue reads a field path of r: string, bool, time.Time or nil.
func (o *Org) fieldValue(r *record, ref fieldRef) any {
	if ref.rel != nil {
		target := o.lookup(ref.rel.ref, r.vals[ref.rel.name])
		if target == nil {
			return nil
		}
		r = target
	}
	if ref.f.kind == kindDateTime {
		return r.created
	}
	return r.value(ref.f)
}

func (c *cmpCond) eval(o *Org, r *record) bool {
	v := o.fieldValue(r, c.ref)
	switch c.op {
	case "IN":
		for _, lit := range c.vals {
			if equalValue(c.ref.f, v, lit) {
				return true
			}
		}
		return false
	case "NOT IN":
		for _, lit := range c.vals {
			if equalValue(c.ref.f, v, lit) {
				return false
			}
		}
		return true
	case "=":
		return equalValue(c.ref.f, v, c.vals[0])
	case "!=":
		return !equalValue(c.ref.f, v, c.vals[0])
	case "LIKE":
		s, ok := v.(string)
		return ok && !c.vals[0].isNull && likeMatch(c.vals[0].s, s)
	}
	lit := c.vals[0]
	if v == nil || lit.isNull {
		return false
	}
	var cmp int
	switch x := v.(type) {
	case time.Time:
		cmp = x.Compare(lit.t)
	case string:
		cmp = strings.Compare(strings.ToLower(x), strings.ToLower(unescapeLike(lit.s)))
	default:
		return false
	}
	switch c.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

func equalValue(f *fieldDef, v any, lit literal) bool {
	if lit.isNull || (lit.s == "" && (f.kind == kindID || f.kind == kindRef)) {
		return v == nil
	}
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x == lit.b
	case time.Time:
		return x.Equal(lit.t)
	case string:
		if f.kind == kindID || f.kind == kindRef {
			return id15(x) == id15(lit.s)
		}
		return strings.EqualFold(x, unescapeLike(lit.s))
	}
	return false
}

func unescapeLike(s string) string {
	return strings.NewReplacer(`\%`, "%", `\_`, "_").Replace(s)
}

// likeMatch is SOQL LIKE: case-insensitive, % any run, _ one character,
// \% and \_ literal.
func likeMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("(?is)^")
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch c := pr[i]; {
		case c == '\\' && i+1 < len(pr) && (pr[i+1] == '%' || pr[i+1] == '_'):
			re.WriteString(regexp.QuoteMeta(string(pr[i+1])))
			i++
		case c == '%':
			re.WriteString(".*")
		case c == '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}

// selectRecords returns the live records of obj matching where, ordered
// and limited; o.mu must be held.
func (o *Org) selectRecords(obj *sobject, where cond, fs faultSet) []*record {
	var out []*record
	if obj == contactObject && fs.has(ContactMissing) {
		return nil
	}
	for _, r := range o.records {
		if r.obj == obj && (where == nil || where.eval(o, r)) {
			out = append(out, r)
		}
	}
	return out
}

func (o *Org) orderAndLimit(rs []*record, order *fieldRef, desc bool, limit, offset int) []*record {
	if order != nil {
		sort.SliceStable(rs, func(i, j int) bool {
			c := compareValues(o.fieldValue(rs[i], *order), o.fieldValue(rs[j], *order))
			if desc {
				return c > 0
			}
			return c < 0
		})
	}
	if offset > 0 {
		if offset >= len(rs) {
			return nil
		}
		rs = rs[offset:]
	}
	if limit >= 0 && len(rs) > limit {
		rs = rs[:limit]
	}
	return rs
}

// compareValues orders nulls first, then by value.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

// renderRecord renders r with the selected fields, in order, after its
// attributes; relationship fields nest under the relationship name.
func (o *Org) renderRecord(r *record, fields []fieldRef, version string) *dict {
	out := newDict("attributes", r.attributes(version))
	for _, ref := range fields {
		if ref.rel == nil {
			out.set(ref.f.name, r.value(ref.f))
			continue
		}
		target := o.lookup(ref.rel.ref, r.vals[ref.rel.name])
		if target == nil {
			out.set(ref.rel.rel, nil)
			continue
		}
		nested, _ := out.vals[ref.rel.rel].(*dict)
		if nested == nil {
			nested = newDict("attributes", target.attributes(version))
			out.set(ref.rel.rel, nested)
		}
		nested.set(ref.f.name, target.value(ref.f))
	}
	return out
}
