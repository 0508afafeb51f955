package check_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// targetFields are the JSON names of Target's fields: a validation error
// must name one of them.
var targetFields = map[string]bool{
	"function": true, "phone": true, "fields": true, "secret_arn": true,
	"kms_key_arn": true, "connect_instance_arn": true, "name": true,
}

// fieldErrors splits a joined validation error.
func fieldErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// e164 is the phone rule, written out without a regexp.
func e164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// arnOf reports whether s looks like an ARN of service with a resource
// starting with resourcePrefix: arn:<partition>:<service>:<region>:<12 digits>:<resource>.
func arnOf(s, service, resourcePrefix string) bool {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != service || parts[3] == "" || len(parts[4]) != 12 {
		return false
	}
	for _, c := range parts[4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return strings.HasPrefix(parts[5], resourcePrefix) && len(parts[5]) > len(resourcePrefix)
}

// FuzzTargetValidate: ValidateFor never panics; what it accepts passes every
// validator (and the plain rules for phones and ARNs); what it rejects is a
// join of *validate.FieldError, each naming a field of the target.
func FuzzTargetValidate(f *testing.F) {
	f.Add(fnName, testPhone, "Id, Name", secretARN, keyARN, instanceX, "prod-eu", true)
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-prod:live", testPhone, "", givenSecretARN, keyAliasARN, instanceY, "", true)
	f.Add(fnName, "", "", "", "", "", "", false)
	f.Add("sf invoke", "441122334455", "Id,Name", "sfCredentials", keyID, "instance/x", "prod eu", true)
	f.Add("", "123", "Name, Email", "x", "", "", "", true)
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:", "+0441122334455", "Id, Account.Name", "arn:aws:secretsmanager:us-east-1:12345678901:secret:x", "arn:aws:kms:us-east-1:123456789012:key/", "arn:aws:connect:us-east-1:123456789012:instance/", "a/b", true)
	f.Add("sfInvokeAPI\n", "+441122334455\n", "Id\n", secretARN+"\n", keyARN+"\n", instanceX+"\n", "prod\n", true)
	f.Add("sfInvokeAPI:$LATEST", "+1234567", "Id", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a", "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/a", "arn:aws:connect:eu-west-2:123456789012:instance/a", strings.Repeat("n", 201), false)
	f.Fuzz(func(t *testing.T, function, phone, fields, secret, key, instance, name string, chain bool) {
		tg := check.Target{Function: function, Phone: phone, Fields: fields, SecretARN: secret, KMSKeyARN: key, ConnectInstanceARN: instance, Name: name}
		err := tg.ValidateFor(chain)
		if fields == "" && tg.Fields != events.DefaultFields {
			t.Fatalf("empty fields became %q, want the default %q", tg.Fields, events.DefaultFields)
		}
		if err == nil {
			accepted := []error{validate.Function("function", tg.Function), validate.Fields("fields", tg.Fields)}
			if chain || phone != "" {
				accepted = append(accepted, validate.Phone("phone", phone))
				if !e164(phone) {
					t.Fatalf("accepted phone %q, which is not E.164", phone)
				}
			}
			if secret != "" {
				accepted = append(accepted, validate.SecretARN("secret_arn", secret))
				if !arnOf(secret, "secretsmanager", "secret:") {
					t.Fatalf("accepted secret ARN %q", secret)
				}
			}
			if key != "" {
				accepted = append(accepted, validate.KMSKeyARN("kms_key_arn", key))
				if !arnOf(key, "kms", "key/") && !arnOf(key, "kms", "alias/") {
					t.Fatalf("accepted KMS key ARN %q", key)
				}
			}
			if instance != "" {
				accepted = append(accepted, validate.ConnectInstanceARN("connect_instance_arn", instance))
				if !arnOf(instance, "connect", "instance/") {
					t.Fatalf("accepted Connect instance ARN %q", instance)
				}
			}
			if strings.HasPrefix(function, "arn:") && !arnOf(function, "lambda", "function:") {
				t.Fatalf("accepted function ARN %q", function)
			}
			if name != "" {
				accepted = append(accepted, validate.Label("name", name))
			}
			if err := errors.Join(accepted...); err != nil {
				t.Fatalf("ValidateFor(%t) accepted %+v, but: %v", chain, tg, err)
			}
			return
		}
		for _, e := range fieldErrors(err) {
			var fe *validate.FieldError
			if !errors.As(e, &fe) {
				t.Fatalf("%T is not a *validate.FieldError: %v", e, e)
			}
			if !targetFields[fe.Field] {
				t.Fatalf("the error names %q, not a field of the target: %v", fe.Field, e)
			}
			if !strings.HasPrefix(e.Error(), fe.Field+": ") || fe.Msg == "" {
				t.Fatalf("the message does not start with its field: %q", e)
			}
		}
	})
}

// FuzzParseNames: ParseNames never panics; it returns known check names
// without duplicates, or an error that names the --checks flag.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{
		"", "  ", "PhoneLookup", "KmsKey, PhoneLookup ,TargetConfig", "KmsKey,KmsKey", "PhoneLookup,Nope",
		"phonelookup", "PhoneLookup,,KmsKey", "PhoneLookup,", strings.Join(check.Names(), ","), "\tVerifyCaseClosed\n",
	} {
		f.Add(s)
	}
	known := map[string]bool{}
	for _, n := range check.Names() {
		known[n] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := check.ParseNames(s)
		if err != nil {
			if got != nil {
				t.Fatalf("an error and names %v", got)
			}
			if !strings.HasPrefix(err.Error(), "--checks: ") {
				t.Fatalf("the error does not name --checks: %v", err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParseNames(%q) selected nothing", s)
		}
		seen := map[string]bool{}
		for _, n := range got {
			if !known[n] || seen[n] {
				t.Fatalf("ParseNames(%q) = %v", s, got)
			}
			seen[n] = true
		}
		if strings.TrimSpace(s) == "" && len(got) != len(check.Names()) {
			t.Fatalf("a blank list selects every check, got %v", got)
		}
	})
}
