package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
)

// request is what a trust policy is evaluated against: an AssumeRole call.
type request struct {
	Caller        principal
	ExternalID    string
	HasExternalID bool
}

// The trust policy subset the stand-in evaluates: Effect Allow or Deny,
// Action sts:AssumeRole (sts:*, *), Principal "*" or AWS (account ids,
// account roots, role and user ARNs), and conditions StringEquals,
// StringLike, ArnEquals, ArnLike (and their Not forms) on sts:ExternalId,
// aws:PrincipalArn and aws:PrincipalAccount. A statement with anything
// else does not apply (fail closed: a statement the stand-in cannot read
// never grants), and an explicit Deny that applies wins.
type policyDoc struct {
	Statement oneOrMany[statement]
}

type statement struct {
	Effect    string
	Action    oneOrMany[string]
	Principal json.RawMessage
	Condition map[string]map[string]oneOrMany[string]
}

// oneOrMany is a policy value given as one item or a list.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var many []T
	if err := json.Unmarshal(b, &many); err == nil {
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

// evaluateTrust decides whether doc lets req assume the role, and why not.
func evaluateTrust(doc string, req request) (bool, string) {
	var p policyDoc
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return false, "trust policy: " + err.Error()
	}
	allowed, why := false, "no statement allows the caller"
	for i, st := range p.Statement {
		applies, reason := st.applies(req)
		switch {
		case applies && strings.EqualFold(st.Effect, "Deny"):
			return false, fmt.Sprintf("statement %d denies", i)
		case applies && strings.EqualFold(st.Effect, "Allow"):
			allowed = true
		case !applies && reason != "":
			why = fmt.Sprintf("statement %d: %s", i, reason)
		}
	}
	if allowed {
		return true, ""
	}
	return false, why
}

// applies reports whether st covers req, and if not, why.
func (st statement) applies(req request) (bool, string) {
	action := false
	for _, a := range st.Action {
		action = action || strings.EqualFold(a, "sts:AssumeRole") || a == "sts:*" || a == "*"
	}
	if !action {
		return false, "not sts:AssumeRole"
	}
	if !principalMatches(st.Principal, req.Caller) {
		return false, "the principal is not the caller"
	}
	for op, keys := range st.Condition {
		for key, values := range keys {
			ok, known := condition(op, key, values, req)
			if !known {
				return false, "condition " + op + " " + key + " is beyond the sandbox's evaluation"
			}
			if !ok {
				return false, "condition " + op + " " + key + " does not hold"
			}
		}
	}
	return true, ""
}

func principalMatches(raw json.RawMessage, c principal) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var p struct{ AWS oneOrMany[string] }
	if json.Unmarshal(raw, &p) != nil {
		return false
	}
	for _, v := range p.AWS {
		if v == "*" || v == c.Account || v == "arn:aws:iam::"+c.Account+":root" || v == c.ARN {
			return true
		}
	}
	return false
}

// condition evaluates one condition key; known is false for an operator or
// key the stand-in does not evaluate.
func condition(op, key string, values []string, req request) (ok, known bool) {
	var got string
	present := true
	switch strings.ToLower(key) {
	case "sts:externalid":
		got, present = req.ExternalID, req.HasExternalID
	case "aws:principalarn":
		got = req.Caller.ARN
	case "aws:principalaccount":
		got = req.Caller.Account
	default:
		return false, false
	}
	var match func(pattern, s string) bool
	negate := false
	switch op {
	case "StringEquals", "ArnEquals":
		match = func(p, s string) bool { return p == s }
	case "StringLike", "ArnLike":
		match = glob
	case "StringNotEquals", "ArnNotEquals":
		match, negate = func(p, s string) bool { return p == s }, true
	case "StringNotLike", "ArnNotLike":
		match, negate = glob, true
	default:
		return false, false
	}
	matched := false
	for _, v := range values {
		matched = matched || present && match(v, got)
	}
	if negate {
		return !matched, true
	}
	return matched, true
}

// glob matches s against an IAM pattern: * any run, ? one character.
func glob(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if glob(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && glob(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && glob(pattern[1:], s[1:])
	}
}
