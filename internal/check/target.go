package check

import (
	"errors"
	"strings"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/validate"
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
	// ExpectVersion, when set, is the function version ("7" or "$LATEST")
	// the invocations must report as executed; PhoneLookup fails config
	// when another version answered (a deploy that did not take).
	ExpectVersion string `json:"expect_version,omitempty"`
	// RoleARN, when set, is the role in the target's account that sfprobe
	// assumes for every AWS call of this target (the invokes, the AWS-side
	// checks, the IAM simulation, Connect's APIs); empty: sfprobe's own
	// credentials, as before.
	RoleARN string `json:"role_arn,omitempty"`
	// ExternalID is the ExternalId the role's trust policy requires; only
	// with RoleARN.
	ExternalID string `json:"external_id,omitempty"`
}

// Validate checks every field of t for a run of every check and fills
// defaults. It makes no AWS call. Errors are *validate.FieldError values
// joined, each naming its field.
func (t *Target) Validate() error { return t.ValidateFor(true) }

// ValidateFor is Validate for a run that needs the test phone only when it
// runs the Salesforce chain.
func (t *Target) ValidateFor(chain bool) error {
	if t.Fields == "" {
		t.Fields = events.DefaultFields
	}
	errs := []error{
		validate.Function("function", t.Function),
		validate.Fields("fields", t.Fields),
	}
	if chain || t.Phone != "" {
		errs = append(errs, validate.Phone("phone", t.Phone))
	}
	if t.SecretARN != "" {
		errs = append(errs, validate.SecretARN("secret_arn", t.SecretARN))
	}
	if t.KMSKeyARN != "" {
		errs = append(errs, validate.KMSKeyARN("kms_key_arn", t.KMSKeyARN))
	}
	if t.ConnectInstanceARN != "" {
		errs = append(errs, validate.ConnectInstanceARN("connect_instance_arn", t.ConnectInstanceARN))
	}
	if t.Name != "" {
		errs = append(errs, validate.Label("name", t.Name))
	}
	if t.ExpectVersion != "" {
		errs = append(errs, validate.Version("expect_version", t.ExpectVersion))
	}
	if t.RoleARN != "" {
		errs = append(errs, validate.RoleARN("role_arn", t.RoleARN))
	}
	if t.ExternalID != "" {
		if t.RoleARN == "" {
			errs = append(errs, &validate.FieldError{Field: "external_id", Msg: "set without role_arn: an ExternalId is sent only when sfprobe assumes the target's role"})
		} else {
			errs = append(errs, validate.ExternalID("external_id", t.ExternalID))
		}
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

// FunctionRegion is the region of a Lambda function ARN, "" for a name (the
// caller's region applies) or anything else.
func FunctionRegion(nameOrARN string) string {
	parts := strings.Split(nameOrARN, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" {
		return ""
	}
	return parts[3]
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
