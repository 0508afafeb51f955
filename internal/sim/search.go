package sim

import (
	"strings"
	"unicode"
)

// searchTarget is one object a search returns, with its fields and filter.
type searchTarget struct {
	obj     *sobject
	fields  []fieldRef
	where   cond
	order   *fieldRef
	desc    bool
	limit   int
	keepIDs bool
}

// searchSpec is a resolved SOSL search (from /search or /parameterizedSearch).
type searchSpec struct {
	term    string
	scope   string // ALL, NAME, EMAIL, PHONE
	targets []searchTarget
	limit   int
}

// search runs spec and renders the hits; o.mu must be held.
func (o *Org) search(spec searchSpec, version string, fs faultSet) []any {
	words := searchWords(spec.term)
	hits := []any{}
	for _, t := range spec.targets {
		if t.obj == contactObject && fs.has(ContactMissing) {
			continue
		}
		var rs []*record
		for _, r := range o.records {
			if r.obj == t.obj && termMatches(words, r, spec.scope) && (t.where == nil || t.where.eval(o, r)) {
				rs = append(rs, r)
			}
		}
		rs = o.orderAndLimit(rs, t.order, t.desc, t.limit, 0)
		for _, r := range rs {
			if spec.limit >= 0 && len(hits) >= spec.limit {
				return hits
			}
			hits = append(hits, o.renderRecord(r, t.fields, version))
		}
	}
	return hits
}

// searchWords splits a search term into words; quotes and SOSL's AND
// are ignored, every word must match (SOSL's default).
func searchWords(term string) []string {
	var out []string
	for _, w := range strings.Fields(strings.NewReplacer(`"`, " ", "'", " ").Replace(term)) {
		if strings.EqualFold(w, "AND") {
			continue
		}
		out = append(out, w)
	}
	return out
}

// termMatches reports whether every word matches one of r's searchable
// fields in scope. A word of digits matches a phone field as
// phoneFieldMatches says.
func termMatches(words []string, r *record, scope string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !wordMatches(w, r, scope) {
			return false
		}
	}
	return true
}

func wordMatches(word string, r *record, scope string) bool {
	digits, phoneLike := phoneDigits(word)
	wtoks := tokens(strings.TrimSuffix(word, "*"))
	prefix := strings.HasSuffix(word, "*")
	for i := range r.obj.fields {
		f := &r.obj.fields[i]
		if f.scope == scopeNone || !inScope(f.scope, scope) {
			continue
		}
		v := r.text(f)
		if v == "" {
			continue
		}
		if f.scope == scopePhone {
			if phoneLike && phoneFieldMatches(v, digits) {
				return true
			}
			continue
		}
		if tokensContain(tokens(v), wtoks, prefix) {
			return true
		}
	}
	return false
}

func inScope(fieldScope, scope string) bool {
	switch scope {
	case "", "ALL":
		return true
	case "NAME":
		return fieldScope == scopeName
	case "EMAIL":
		return fieldScope == scopeEmail
	case "PHONE":
		return fieldScope == scopePhone
	}
	return true
}

// phoneFieldMatches reports whether a search word's digits find the phone
// field value v. SOSL indexes a phone number by its digit groups (words are
// delimited by spaces and punctuation) and by its digits without the
// country code: the word must be one group or a run of adjacent groups
// ("1122 334455" of "+44 1122 334455"), or the national number of an
// international value ("1122334455" of "+441122334455"). Any other digit
// substring ("12233") is no match. This is a model of Salesforce's phone
// search, not its specification.
func phoneFieldMatches(v, digits string) bool {
	groups := strings.FieldsFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	for i := range groups {
		run := ""
		for _, g := range groups[i:] {
			run += g
			if run == digits {
				return true
			}
			if len(run) >= len(digits) {
				break
			}
		}
	}
	if strings.HasPrefix(strings.TrimSpace(v), "+") {
		if n, err := nationalNumber(v); err == nil && n == digits {
			return true
		}
	}
	return false
}

// phoneDigits returns the digits of s and whether s is a phone number:
// at least two digits and nothing but digits and phone punctuation.
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case strings.ContainsRune("+-(). /*", c):
		default:
			return b.String(), false
		}
	}
	return b.String(), b.Len() >= 2
}

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// tokensContain reports whether want appears as a contiguous run in have;
// with prefix the last word may be a prefix.
func tokensContain(have, want []string, prefix bool) bool {
	if len(want) == 0 {
		return false
	}
	for i := 0; i+len(want) <= len(have); i++ {
		ok := true
		for j, w := range want {
			h := have[i+j]
			if j == len(want)-1 && prefix {
				ok = ok && strings.HasPrefix(h, w)
			} else {
				ok = ok && h == w
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// parseSOSL parses and resolves
// FIND {term} [IN scope FIELDS] [RETURNING Obj[(fields [WHERE …] [ORDER BY …] [LIMIT n])], …] [LIMIT n].
func parseSOSL(src string) (searchSpec, error) {
	p := newParser(src, "MALFORMED_SEARCH")
	spec := searchSpec{scope: "ALL", limit: 2000}
	if err := p.expectKeyword("FIND"); err != nil {
		return spec, err
	}
	if p.peek().kind != tBrace {
		return spec, badRequest("MALFORMED_SEARCH", "No search term found. The search term must be enclosed in braces.")
	}
	spec.term = p.next().val
	if p.acceptKeyword("IN") {
		t := p.peek()
		scope := strings.ToUpper(t.val)
		if t.kind != tIdent || (scope != "ALL" && scope != "NAME" && scope != "EMAIL" && scope != "PHONE" && scope != "SIDEBAR") {
			return spec, p.unexpected()
		}
		p.i++
		if scope != "SIDEBAR" {
			spec.scope = scope
		}
		if err := p.expectKeyword("FIELDS"); err != nil {
			return spec, err
		}
	}
	type rawTarget struct {
		name   string
		fields []string
		where  rawCond
		order  string
		desc   bool
		limit  int
	}
	var raws []rawTarget
	if p.acceptKeyword("RETURNING") {
		for {
			t, err := p.fieldName()
			if err != nil {
				return spec, err
			}
			rt := rawTarget{name: t.val, limit: -1}
			if p.peek().kind == tLParen {
				p.i++
				if rt.fields, err = p.fieldList(); err != nil {
					return spec, err
				}
				if p.acceptKeyword("WHERE") {
					if rt.where, err = p.expr(); err != nil {
						return spec, err
					}
				}
				if rt.order, rt.desc, rt.limit, _, err = p.tail(false); err != nil {
					return spec, err
				}
				if p.peek().kind != tRParen {
					return spec, p.unexpected()
				}
				p.i++
			}
			raws = append(raws, rt)
			if p.peek().kind != tComma {
				break
			}
			p.i++
		}
	}
	if p.acceptKeyword("LIMIT") {
		n, err := p.count()
		if err != nil {
			return spec, err
		}
		spec.limit = n
	}
	if p.peek().kind != tEOF {
		return spec, p.unexpected()
	}
	if len(strings.Trim(spec.term, `*?" `)) < 2 {
		return spec, badRequest("INVALID_SEARCH", "search term must be longer than one character: %s", spec.term)
	}
	if len(raws) == 0 {
		for _, obj := range sobjects {
			raws = append(raws, rawTarget{name: obj.name, limit: -1})
		}
	}
	for _, rt := range raws {
		obj := findObject(rt.name)
		if obj == nil {
			return spec, invalidType(rt.name)
		}
		fields := rt.fields
		if len(fields) == 0 {
			fields = []string{"Id"}
		}
		t := searchTarget{obj: obj, desc: rt.desc, limit: rt.limit}
		var err error
		if t.fields, err = resolveFields(obj, fields); err != nil {
			return spec, err
		}
		if rt.where != nil {
			if t.where, err = rt.where.resolve(obj); err != nil {
				return spec, err
			}
		}
		if rt.order != "" {
			ref, err := resolveField(obj, rt.order)
			if err != nil {
				return spec, err
			}
			t.order = &ref
		}
		spec.targets = append(spec.targets, t)
	}
	return spec, nil
}

// parseWhere parses a standalone condition (a parameterizedSearch "where").
func parseWhere(src string, obj *sobject) (cond, error) {
	p := newParser(src, "MALFORMED_SEARCH")
	rc, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	return rc.resolve(obj)
}
