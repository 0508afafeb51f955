package check

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sfprobe/sfprobe/events"
)

// Target is one sfInvokeAPI deployment to probe. It is also the workflow's
// execution input ("target"), so its JSON names are a public interface.
type Target struct {
	// Function is the sfInvokeAPI function name or ARN (optionally qualified).
	Function string `json:"function"`
	// Phone is the E.164 phone number of the test contact.
	Phone string `json:"phone"`
	// Fields are the fields phoneLookup requests, comma+space separated.
	Fields string `json:"fields,omitempty"`
	// SecretARN is the credentials secret; empty means discover it from the
	// function's SF_CREDENTIALS_SECRETS_MANAGER_ARN.
	SecretARN string `json:"secret_arn,omitempty"`
	// KMSKeyARN, when set, must be the secret's key.
	KMSKeyARN string `json:"kms_key_arn,omitempty"`
	// ConnectInstanceARN, when set, scopes the Connect invoke permission check.
	ConnectInstanceARN string `json:"connect_instance_arn,omitempty"`
	// Name labels the target in reports and metrics; default: the function name.
	Name string `json:"name,omitempty"`
	// KeepCases keeps the test Case (closed) instead of deleting it.
	KeepCases bool `json:"keep_cases,omitempty"`
}

var (
	functionNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	functionARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	phoneRe        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	fieldRe        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(__c|__r)?(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	secretARNRe    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	kmsARNRe       = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`)
	connectARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:connect:[a-z]{2}(-[a-z]+)+-\d:\d{12}:instance/[A-Za-z0-9-]+$`)
	nameRe         = regexp.MustCompile(`^[A-Za-z0-9_.:/+=@-]{1,200}$`)
)

// FieldError is a validation error naming the offending field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidateFunction checks a function name or ARN.
func ValidateFunction(field, s string) error {
	switch {
	case s == "":
		return &FieldError{field, "required: the sfInvokeAPI function name or ARN"}
	case strings.HasPrefix(s, "arn:"):
		if !functionARNRe.MatchString(s) {
			return &FieldError{field, fmt.Sprintf("%q is not a Lambda function ARN (want arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])", s)}
		}
	case !functionNameRe.MatchString(s):
		return &FieldError{field, fmt.Sprintf("%q is not a Lambda function name (letters, digits, - and _, at most 64, optional :qualifier)", s)}
	}
	return nil
}

// ValidatePhone checks an E.164 phone number.
func ValidatePhone(field, s string) error {
	if !phoneRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not an E.164 phone number (want + then 7 to 15 digits, e.g. +441122334455)", s)}
	}
	return nil
}

// ValidateFields checks sf_fields. sfInvokeAPI splits them on exactly ", ".
func ValidateFields(field, s string) error {
	if s == "" {
		return &FieldError{field, "required: at least Id"}
	}
	hasID := false
	for _, f := range strings.Split(s, ", ") {
		if !fieldRe.MatchString(f) {
			return &FieldError{field, fmt.Sprintf("%q: %q is not a Salesforce field name; separate fields with a comma and one space (sfInvokeAPI splits on \", \")", s, f)}
		}
		if f == "Id" {
			hasID = true
		}
	}
	if !hasID {
		return &FieldError{field, fmt.Sprintf("%q must include Id (the create step needs the contact Id)", s)}
	}
	return nil
}

// Validate checks every field of t and fills defaults. It makes no AWS call.
func (t *Target) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if t.Fields == "" {
		t.Fields = events.DefaultFields
	}
	add(ValidateFunction("function", t.Function))
	add(ValidatePhone("phone", t.Phone))
	add(ValidateFields("fields", t.Fields))
	if t.SecretARN != "" && !secretARNRe.MatchString(t.SecretARN) {
		add(&FieldError{"secret_arn", fmt.Sprintf("%q is not a Secrets Manager secret ARN (want arn:aws:secretsmanager:<region>:<account>:secret:<name>)", t.SecretARN)})
	}
	if t.KMSKeyARN != "" && !kmsARNRe.MatchString(t.KMSKeyARN) {
		add(&FieldError{"kms_key_arn", fmt.Sprintf("%q is not a KMS key or alias ARN (want arn:aws:kms:<region>:<account>:key/<id>)", t.KMSKeyARN)})
	}
	if t.ConnectInstanceARN != "" && !connectARNRe.MatchString(t.ConnectInstanceARN) {
		add(&FieldError{"connect_instance_arn", fmt.Sprintf("%q is not an Amazon Connect instance ARN (want arn:aws:connect:<region>:<account>:instance/<id>)", t.ConnectInstanceARN)})
	}
	if t.Name != "" && !nameRe.MatchString(t.Name) {
		add(&FieldError{"name", fmt.Sprintf("%q: want 1 to 200 of letters, digits and _.:/+=@-", t.Name)})
	}
	return errors.Join(errs...)
}

// Label is the target's name in reports and metrics: Name, else the bare
// function name.
func (t Target) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return FunctionName(t.Function)
}

// FunctionName strips an ARN and a qualifier from a function reference.
func FunctionName(nameOrARN string) string {
	s := nameOrARN
	if strings.HasPrefix(s, "arn:") {
		parts := strings.Split(s, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[:i]
	}
	return s
}
