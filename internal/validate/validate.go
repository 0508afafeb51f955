// Package validate checks the user-supplied values sfprobe takes (function
// references, ARNs, the test phone, sf_fields) before any AWS call. The CLI,
// the Lambdas and the CDK app share it, so each field is judged the same way
// everywhere, with a message that names the field and what was expected.
package validate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// FieldError is a validation error naming the offending field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

const region = `[a-z]{2}(-[a-z]+)+-\d`

var (
	functionNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	functionARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:` + region + `:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	phoneRe        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	fieldRe        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	secretARNRe    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:` + region + `:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	kmsARNRe       = regexp.MustCompile(`^arn:aws[a-z-]*:kms:` + region + `:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`)
	connectARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:connect:` + region + `:\d{12}:instance/[A-Za-z0-9-]+$`)
	stateMachineRe = regexp.MustCompile(`^arn:aws[a-z-]*:states:` + region + `:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$`)
	labelRe        = regexp.MustCompile(`^[A-Za-z0-9_.:/+=@-]{1,200}$`)
	roleARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/([\x21-\x7e]{0,510}/)?[\w+=,.@-]{1,64}$`)
	externalIDRe   = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// Function checks an sfInvokeAPI function name or ARN (optionally qualified).
func Function(field, s string) error {
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

// FunctionARN checks a full Lambda function ARN.
func FunctionARN(field, s string) error {
	if !functionARNRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not a Lambda function ARN (want arn:aws:lambda:<region>:<account>:function:<name>)", s)}
	}
	return nil
}

// Phone checks an E.164 phone number.
func Phone(field, s string) error {
	if !phoneRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not an E.164 phone number (want + then 7 to 15 digits, e.g. +441122334455)", s)}
	}
	return nil
}

// Fields checks sf_fields: sfInvokeAPI splits them on exactly ", ", and the
// create step needs the contact's Id.
func Fields(field, s string) error {
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

// SecretARN checks a Secrets Manager secret ARN.
func SecretARN(field, s string) error {
	if !secretARNRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not a Secrets Manager secret ARN (want arn:aws:secretsmanager:<region>:<account>:secret:<name>)", s)}
	}
	return nil
}

// KMSKeyARN checks a KMS key or alias ARN.
func KMSKeyARN(field, s string) error {
	if !kmsARNRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not a KMS key or alias ARN (want arn:aws:kms:<region>:<account>:key/<id>)", s)}
	}
	return nil
}

// ConnectInstanceARN checks an Amazon Connect instance ARN.
func ConnectInstanceARN(field, s string) error {
	if !connectARNRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not an Amazon Connect instance ARN (want arn:aws:connect:<region>:<account>:instance/<id>)", s)}
	}
	return nil
}

// Label checks a target label (a metric dimension value).
func Label(field, s string) error {
	if !labelRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q: want 1 to 200 of letters, digits and _.:/+=@-", s)}
	}
	return nil
}

var versionRE = regexp.MustCompile(`^(\$LATEST|[1-9][0-9]{0,9})$`)

// Version checks a Lambda function version as Invoke reports it executed:
// "$LATEST" or a published version number. An alias name is refused: the
// version it points to is what an alias-qualified function reports, so
// comparing with the alias would compare the alias with itself.
func Version(field, s string) error {
	if !versionRE.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not a function version (want a published version number such as 7, or $LATEST; for an alias, pass the version it should point to)", s)}
	}
	return nil
}

// RoleARN checks an IAM role ARN (a target's role_arn: the role sfprobe
// assumes in the target's account).
func RoleARN(field, s string) error {
	if !roleARNRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not an IAM role ARN (want arn:aws:iam::<account>:role/<name>)", s)}
	}
	return nil
}

// ExternalID checks an STS ExternalId as AssumeRole accepts it.
func ExternalID(field, s string) error {
	if len(s) < 2 || len(s) > 1224 || !externalIDRe.MatchString(s) {
		return &FieldError{field, "want 2 to 1224 of letters, digits and _+=,.@:/- (the ExternalId the target role's trust policy requires)"}
	}
	return nil
}

// StateMachineARN checks a Step Functions state machine ARN.
func StateMachineARN(field, s string) error {
	if !stateMachineRe.MatchString(s) {
		return &FieldError{field, fmt.Sprintf("%q is not a state machine ARN (want arn:aws:states:<region>:<account>:stateMachine:<name>)", s)}
	}
	return nil
}

// Prefixed puts path in front of the field of each validation error in err
// (a FieldError, or several joined): "phone" under "targets[2]" becomes
// "targets[2].phone". An error that names no field is filed under path.
func Prefixed(path string, err error) []error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, &FieldError{Field: path + "." + fe.Field, Msg: fe.Msg})
		} else {
			out = append(out, &FieldError{Field: path, Msg: e.Error()})
		}
	}
	return out
}
