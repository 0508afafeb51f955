package main

import (
	"flag"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
)

// targetFlags are the flags that describe a target and a run, shared by
// run and start.
type targetFlags struct {
	target  check.Target
	checks  string
	output  string
	timeout time.Duration
	region  string
	profile string
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.target.Function, "function", "", "sfInvokeAPI function name or ARN, optionally :qualifier (required)")
	fs.StringVar(&f.target.Phone, "phone", "", "E.164 phone number of the test contact, e.g. +441122334455 (required for the Salesforce checks)")
	fs.StringVar(&f.target.Fields, "fields", events.DefaultFields, "fields phoneLookup requests, separated by comma and space; must include Id")
	fs.StringVar(&f.target.SecretARN, "secret-arn", "", "credentials secret ARN (default: the function's SF_CREDENTIALS_SECRETS_MANAGER_ARN)")
	fs.StringVar(&f.target.KMSKeyARN, "kms-key-arn", "", "KMS key ARN the secret must be encrypted with (default: any enabled key)")
	fs.StringVar(&f.target.ConnectInstanceARN, "connect-instance-arn", "", "Amazon Connect instance ARN that must be allowed to invoke the function")
	fs.StringVar(&f.target.Name, "name", "", "target label in reports and metrics (default: the function name)")
	fs.BoolVar(&f.target.KeepCases, "keep-cases", false, "keep the closed test Case instead of deleting it (audits)")
	fs.StringVar(&f.checks, "checks", "", "comma-separated checks to run (default: all): "+joinNames())
	fs.StringVar(&f.output, "output", "text", "report format: text, json or junit")
	fs.DurationVar(&f.timeout, "timeout", check.DefaultTimeout, "deadline of the whole run")
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
}

func joinNames() string {
	s := ""
	for i, n := range check.Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// validated checks the flags before any AWS call.
func (f *targetFlags) validated() ([]string, report.Format, error) {
	names, err := check.ParseNames(f.checks)
	if err != nil {
		return nil, "", &usageError{err.Error()}
	}
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return nil, "", &usageError{err.Error()}
	}
	if f.timeout <= 0 {
		return nil, "", usagef("--timeout: %s is not a positive duration", f.timeout)
	}
	chain := false
	for _, n := range names {
		chain = chain || check.IsChain(n)
	}
	if err := f.target.ValidateFor(chain); err != nil {
		return nil, "", &usageError{flagNames(err.Error())}
	}
	return names, format, nil
}

// flagNames turns the target's field names that start validation messages
// (one per line) into the flags that set them.
func flagNames(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		field, rest, ok := strings.Cut(l, ": ")
		if ok && !strings.Contains(field, " ") {
			lines[i] = "--" + strings.ReplaceAll(field, "_", "-") + ": " + rest
		}
	}
	return strings.Join(lines, "\n")
}
