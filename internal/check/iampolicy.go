package check

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A resource-based policy (a secret's, a KMS key's, a function's),
// evaluated for one request as the owning service evaluates it: an
// applicable Deny wins; an Allow for the principal itself grants; an Allow
// for the principal's account delegates to its IAM policies. Conditions are
// evaluated over the request's context; a condition sfprobe cannot evaluate
// (an unknown key or operator) makes its statement undetermined, never
// silently true or false. IAM's SimulatePrincipalPolicy cannot do this for
// a role: it takes a ResourcePolicy only with a CallerArn, and a CallerArn
// must be an IAM user.

// resourcePolicy is a parsed policy document.
type resourcePolicy struct {
	Statements []policyStatement
}

// policyStatement is one statement; the raw fields are a string or a list
// (Principal also an object).
type policyStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// parseResourcePolicy decodes a policy whose Statement is an object or a list.
func parseResourcePolicy(doc string) (resourcePolicy, error) {
	var raw struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return resourcePolicy{}, fmt.Errorf("the policy is not JSON")
	}
	var p resourcePolicy
	s := strings.TrimSpace(string(raw.Statement))
	switch {
	case s == "" || s == "null":
	case strings.HasPrefix(s, "{"):
		var one policyStatement
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return resourcePolicy{}, fmt.Errorf("the policy's statement is malformed")
		}
		p.Statements = []policyStatement{one}
	default:
		if err := json.Unmarshal(raw.Statement, &p.Statements); err != nil {
			return resourcePolicy{}, fmt.Errorf("the policy's statements are malformed")
		}
	}
	return p, nil
}

// policyPrincipal is who makes the request: an IAM role (its sessions), or
// an AWS service.
type policyPrincipal struct {
	RoleARN string // arn:<partition>:iam::<account>:role/<path><name>
	Service string // e.g. connect.amazonaws.com
}

func (p policyPrincipal) account() string { return arnAccount(p.RoleARN) }

// policyRequest is one call to evaluate.
type policyRequest struct {
	Principal policyPrincipal
	Action    string
	// Resource is the ARN called; "" matches any Resource element.
	Resource string
	// Context holds the request's condition keys, lower-case. A key mapped
	// to nil is known to be absent; a key not in the map is unknown.
	Context map[string][]string
}

// policyEvaluation is what a policy says about a request. Each list holds
// the labels of the statements concerned.
type policyEvaluation struct {
	Allow      []string // allow the principal itself
	Delegate   []string // allow the principal's account: its IAM policies decide
	Deny       []string
	MaybeAllow []string // would allow, under a condition sfprobe cannot evaluate
	MaybeDeny  []string // would deny, under a condition sfprobe cannot evaluate
}

// tri is a three-valued truth: a condition sfprobe cannot evaluate is maybe.
type tri int

const (
	triNo tri = iota
	triYes
	triMaybe
)

func triOf(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

// and combines two truths.
func (a tri) and(b tri) tri {
	switch {
	case a == triNo || b == triNo:
		return triNo
	case a == triMaybe || b == triMaybe:
		return triMaybe
	}
	return triYes
}

// evaluate evaluates p for r.
func (p resourcePolicy) evaluate(r policyRequest) policyEvaluation {
	var ev policyEvaluation
	for i, st := range p.Statements {
		label := st.Sid
		if label == "" {
			label = fmt.Sprintf("statement %d", i+1)
		}
		applies, viaAccount := st.principalMatches(r.Principal)
		applies = applies.and(triOf(st.actionMatches(r.Action))).and(triOf(st.resourceMatches(r.Resource)))
		cond, why := conditionsHold(st.Condition, r.Context)
		applies = applies.and(cond)
		if applies == triMaybe && why != "" {
			label += " (" + why + ")"
		}
		deny := strings.EqualFold(st.Effect, "Deny")
		switch {
		case applies == triYes && deny:
			ev.Deny = append(ev.Deny, label)
		case applies == triMaybe && deny:
			ev.MaybeDeny = append(ev.MaybeDeny, label)
		case applies == triYes && viaAccount:
			ev.Delegate = append(ev.Delegate, label)
		case applies == triYes:
			ev.Allow = append(ev.Allow, label)
		case applies == triMaybe:
			ev.MaybeAllow = append(ev.MaybeAllow, label)
		}
	}
	return ev
}

// principalMatches reports whether the statement names the principal, and
// whether it does so through the principal's account (a delegation).
func (st policyStatement) principalMatches(p policyPrincipal) (tri, bool) {
	switch {
	case len(st.Principal) > 0:
		return matchPrincipal(st.Principal, p)
	case len(st.NotPrincipal) > 0:
		m, _ := matchPrincipal(st.NotPrincipal, p)
		switch m {
		case triYes:
			return triNo, false
		case triNo:
			return triYes, false
		}
		return triMaybe, false
	}
	return triNo, false // a resource policy statement always names a principal
}

func matchPrincipal(raw json.RawMessage, p policyPrincipal) (tri, bool) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return triOf(star == "*"), false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return triMaybe, false
	}
	for k, v := range obj {
		switch strings.ToUpper(k) {
		case "AWS":
			for _, a := range policyValues(v) {
				if a == "*" {
					return triYes, false
				}
				if p.RoleARN == "" {
					continue
				}
				if acct := p.account(); a == acct || a == "arn:"+arnPartition(p.RoleARN)+":iam::"+acct+":root" {
					return triYes, true
				}
				if strings.EqualFold(a, p.RoleARN) || sessionOf(a, p.RoleARN) {
					return triYes, false
				}
			}
		case "SERVICE":
			for _, s := range policyValues(v) {
				if s == "*" || (p.Service != "" && strings.EqualFold(s, p.Service)) {
					return triYes, false
				}
			}
		}
	}
	return triNo, false
}

// sessionOf reports whether principal is an assumed-role session of role.
func sessionOf(principal, role string) bool {
	acct, name := arnAccount(role), roleName(role)
	prefix := "arn:" + arnPartition(role) + ":sts::" + acct + ":assumed-role/"
	if !strings.HasPrefix(principal, prefix) {
		return false
	}
	r, _, _ := strings.Cut(strings.TrimPrefix(principal, prefix), "/")
	return strings.EqualFold(r, name)
}

func (st policyStatement) actionMatches(action string) bool {
	if len(st.NotAction) > 0 {
		return !anyGlob(policyValues(st.NotAction), action, true)
	}
	return anyGlob(policyValues(st.Action), action, true)
}

func (st policyStatement) resourceMatches(resource string) bool {
	if resource == "" {
		return true
	}
	if len(st.NotResource) > 0 {
		return !anyGlob(policyValues(st.NotResource), resource, false)
	}
	if len(st.Resource) == 0 {
		return true // Lambda and Secrets Manager scope the policy to the resource
	}
	return anyGlob(policyValues(st.Resource), resource, false)
}

// conditionsHold evaluates a Condition block: every operator and every key
// must hold. It names the first undetermined one.
func conditionsHold(cond map[string]map[string]json.RawMessage, ctx map[string][]string) (tri, string) {
	result, why := triYes, ""
	for op, kv := range cond {
		for key, raw := range kv {
			t := conditionHolds(op, key, policyValues(raw), ctx)
			if t == triMaybe && why == "" {
				why = fmt.Sprintf("%s on %s cannot be evaluated", op, key)
			}
			result = result.and(t)
		}
	}
	if result != triMaybe {
		why = ""
	}
	return result, why
}

// The condition operators sfprobe evaluates, by base name: the match
// function and whether the operator is negated.
var conditionOperators = map[string]struct {
	match   func(got, want string) bool
	negated bool
}{
	"stringequals":              {func(g, w string) bool { return g == w }, false},
	"stringnotequals":           {func(g, w string) bool { return g == w }, true},
	"stringequalsignorecase":    {strings.EqualFold, false},
	"stringnotequalsignorecase": {strings.EqualFold, true},
	"stringlike":                {func(g, w string) bool { return glob(w, g, false) }, false},
	"stringnotlike":             {func(g, w string) bool { return glob(w, g, false) }, true},
	"arnequals":                 {arnMatches, false},
	"arnlike":                   {arnMatches, false},
	"arnnotequals":              {arnMatches, true},
	"arnnotlike":                {arnMatches, true},
	"bool":                      {strings.EqualFold, false},
}

// conditionHolds evaluates one operator on one key as IAM does: a positive
// operator is false on an absent key (true with IfExists); a negated one
// is true on an absent key and true on a present one only when no value
// matches; ForAnyValue/ForAllValues compare sets.
func conditionHolds(op, key string, want []string, ctx map[string][]string) tri {
	got, known := ctx[strings.ToLower(key)]
	if !known {
		return triMaybe
	}
	name := strings.ToLower(op)
	set := ""
	if q, rest, ok := strings.Cut(name, ":"); ok {
		set, name = q, rest
	}
	if name == "null" && set == "" {
		if len(want) != 1 {
			return triMaybe
		}
		absent, err := strconv.ParseBool(want[0])
		if err != nil {
			return triMaybe
		}
		return triOf(absent == (len(got) == 0))
	}
	ifExists := strings.HasSuffix(name, "ifexists")
	o, ok := conditionOperators[strings.TrimSuffix(name, "ifexists")]
	if !ok {
		return triMaybe
	}
	matchesAny := func(g string) bool {
		for _, w := range want {
			if o.match(g, w) {
				return true
			}
		}
		return false
	}
	switch set {
	case "":
		if len(got) == 0 {
			return triOf(ifExists || o.negated)
		}
		any := false
		for _, g := range got {
			any = any || matchesAny(g)
		}
		return triOf(any != o.negated)
	case "foranyvalue":
		if o.negated {
			return triMaybe
		}
		if len(got) == 0 {
			return triOf(ifExists)
		}
		for _, g := range got {
			if matchesAny(g) {
				return triYes
			}
		}
		return triNo
	case "forallvalues":
		if o.negated {
			return triMaybe
		}
		for _, g := range got {
			if !matchesAny(g) {
				return triNo
			}
		}
		return triYes
	}
	return triMaybe
}

// policyValues decodes a string, bool or number, or a list of them.
func policyValues(raw json.RawMessage) []string {
	var many []any
	if json.Unmarshal(raw, &many) != nil {
		var one any
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		many = []any{one}
	}
	out := make([]string, 0, len(many))
	for _, v := range many {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		}
	}
	return out
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// glob matches s against an IAM pattern (* any run, ? one character).
func glob(pattern, s string, fold bool) bool {
	if !strings.ContainsAny(pattern, "*?") {
		if fold {
			return strings.EqualFold(pattern, s)
		}
		return pattern == s
	}
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	if fold {
		re = "(?i)" + re
	}
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// arnMatches compares an ARN with an ArnEquals/ArnLike pattern component
// by component, as IAM does (a wildcard never crosses a colon of the first
// five).
func arnMatches(arn, pattern string) bool {
	a, p := strings.SplitN(arn, ":", 6), strings.SplitN(pattern, ":", 6)
	if len(a) != 6 || len(p) != 6 {
		return false
	}
	for i := range a {
		if !glob(p[i], a[i], false) {
			return false
		}
	}
	return true
}

// arnPart returns the i-th colon-separated field of an ARN, "" if absent.
func arnPart(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}

func arnPartition(arn string) string {
	if p := arnPart(arn, 1); p != "" {
		return p
	}
	return "aws"
}

func arnRegion(arn string) string  { return arnPart(arn, 3) }
func arnAccount(arn string) string { return arnPart(arn, 4) }

// roleName is the name of a role ARN without its path.
func roleName(role string) string {
	res := arnPart(role, 5)
	return res[strings.LastIndex(res, "/")+1:]
}
