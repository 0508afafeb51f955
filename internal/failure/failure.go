// Package failure names the ways a probe of sfInvokeAPI can fail. It holds the
// one table of failure classes that the CLI, the reports, the metrics, the
// alarms and the runbook all read.
package failure

import (
	"errors"
	"fmt"
	"sort"
)

// Class is a stable, documented failure class. Its string form is a public
// interface: it appears in JSON reports, JUnit output and metric dimensions.
type Class string

// The failure classes. Extend, never rename.
const (
	Auth               Class = "auth"
	APILimit           Class = "api-limit"
	Config             Class = "config"
	Timeout            Class = "timeout"
	Packaging          Class = "packaging"
	Permission         Class = "permission"
	Data               Class = "data"
	Throttled          Class = "throttled"
	NotFound           Class = "not-found"
	Network            Class = "network"
	UnexpectedResponse Class = "unexpected-response"
	Unknown            Class = "unknown"
)

// Info describes a class for people: what it means and what to do first.
type Info struct {
	Class Class
	// Summary says in a few words what went wrong.
	Summary string
	// Remedy is the one-line first action for on-call.
	Remedy string
	// Transient is true when a retry of the same call may succeed.
	Transient bool
}

// table is the single source of truth for classes; see docs/RUNBOOK.md.
var table = map[Class]Info{
	Auth: {Auth, "Salesforce rejected the API user's credentials",
		"Check the API user's password and security token in the secret (password set to never expire, token reset after a password change) and that the Connected App allows the OAuth username-password flow; see docs/RUNBOOK.md#auth", false},
	APILimit: {APILimit, "the Salesforce org's API request limit is exhausted",
		"Check Setup > Company Information > API Requests in Salesforce; reduce callers or raise the limit; see docs/RUNBOOK.md#api-limit", false},
	Config: {Config, "sfInvokeAPI is misconfigured",
		"Correct the function's environment (SF_HOST must be the My Domain https URL, SF_VERSION like v60.0) or the secret's keys; see docs/RUNBOOK.md#config", false},
	Timeout: {Timeout, "sfInvokeAPI or Salesforce did not answer in time",
		"Look at the function's duration in CloudWatch; raise its 6 s timeout and check Salesforce and Secrets Manager latency; see docs/RUNBOOK.md#timeout", true},
	Packaging: {Packaging, "sfInvokeAPI's code or layer cannot be loaded",
		"Redeploy the function with a layer built for its Python runtime; see docs/RUNBOOK.md#packaging", false},
	Permission: {Permission, "an IAM, KMS or resource policy denies a call",
		"Grant the missing permission named in the message (secret, KMS key policy, Connect invoke permission); see docs/RUNBOOK.md#permission", false},
	Data: {Data, "the Salesforce data did not match what the test expects",
		"Check the test contact's phone, the Case validation rules and workflow that may reopen a case; see docs/RUNBOOK.md#data", false},
	Throttled: {Throttled, "AWS throttled the invocation",
		"Check the function's reserved concurrency and the account's Lambda concurrency; see docs/RUNBOOK.md#throttled", true},
	NotFound: {NotFound, "a resource the probe needs does not exist",
		"Check the function name or ARN, the secret ARN and the KMS key given to sfprobe; see docs/RUNBOOK.md#not-found", false},
	Network: {Network, "the probe could not reach the AWS endpoint",
		"Check the network path, VPC endpoints and the region; see docs/RUNBOOK.md#network", true},
	UnexpectedResponse: {UnexpectedResponse, "sfInvokeAPI answered in a shape the contract does not allow",
		"Compare the function's version with the contract (v5.26); check for a custom or partial deploy; see docs/RUNBOOK.md#unexpected-response", false},
	Unknown: {Unknown, "an error sfprobe cannot classify",
		"Read the message and the function's CloudWatch logs; see docs/RUNBOOK.md#unknown", false},
}

// Lookup returns the table row of c, and false for a class sfprobe does not know.
func Lookup(c Class) (Info, bool) {
	info, ok := table[c]
	return info, ok
}

// Describe returns the row of c, falling back to Unknown's remedy.
func Describe(c Class) Info {
	if info, ok := table[c]; ok {
		return info
	}
	info := table[Unknown]
	info.Class = c
	return info
}

// All returns every class in a stable order.
func All() []Class {
	out := make([]Class, 0, len(table))
	for c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Parse turns a string into a known Class.
func Parse(s string) (Class, error) {
	c := Class(s)
	if _, ok := table[c]; !ok {
		return "", fmt.Errorf("unknown failure class %q (known: %v)", s, All())
	}
	return c, nil
}

// Remedy is the one-line remedy of c.
func (c Class) Remedy() string { return Describe(c).Remedy }

// Anchor is the runbook anchor of c, e.g. "docs/RUNBOOK.md#auth".
func (c Class) Anchor() string { return "docs/RUNBOOK.md#" + string(c) }

// Transient reports whether c is worth a retry.
func (c Class) Transient() bool { return Describe(c).Transient }

// Error is an error that carries its failure class.
type Error struct {
	Class Class
	// Msg says what failed, for people; it never holds secret values.
	Msg string
	// Err is the cause, if any.
	Err error
	// Remedy, when set, replaces the class's remedy: the first action for
	// this cause in particular (e.g. naming the host that could not be
	// reached).
	Remedy string
}

// New returns an *Error of class c.
func New(c Class, format string, args ...any) *Error {
	return &Error{Class: c, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of class c with msg as context for err.
func Wrap(c Class, msg string, err error) *Error {
	return &Error{Class: c, Msg: msg, Err: err}
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return e.Err.Error()
	default:
		return e.Msg + ": " + e.Err.Error()
	}
}

func (e *Error) Unwrap() error { return e.Err }

// RemedyOf returns the remedy of the first *Error in err's chain that
// carries its own, or "".
func RemedyOf(err error) string {
	for err != nil {
		if fe, ok := err.(*Error); ok && fe.Remedy != "" {
			return fe.Remedy
		}
		err = errors.Unwrap(err)
	}
	return ""
}

// ClassOf returns the class of the first *Error in err's chain, or Unknown.
func ClassOf(err error) Class {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Class
	}
	return Unknown
}

// TransientErrorName is the Step Functions error name of *TransientError:
// aws-lambda-go reports a returned error's Go type name as errorType. The
// workflow's Retry and Catch lists name it.
const TransientErrorName = "TransientError"

// TransientError is returned by sfprobe's Lambdas, unwrapped, for a failure
// that a retry of the same step may cure (throttling, a lost connection on a
// read-only call). Its message is "<class>: <message>".
type TransientError struct {
	Class Class
	Msg   string
}

func (e *TransientError) Error() string { return string(e.Class) + ": " + e.Msg }
