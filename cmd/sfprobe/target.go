package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/targets"
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
	// maxFlows caps the contact flows ConnectAccess reads per run.
	maxFlows int
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
	fs.StringVar(&f.target.ExpectVersion, "expect-version", "", "function version the invocations must report as executed, e.g. 7 or $LATEST (deploy verification: PhoneLookup fails config otherwise)")
	fs.StringVar(&f.target.RoleARN, "role-arn", "", "IAM role in the target's account to assume for every AWS call of the target (default: none, this machine's credentials)")
	fs.StringVar(&f.target.ExternalID, "external-id", "", "ExternalId the role's trust policy requires (only with --role-arn; never printed)")
	fs.StringVar(&f.checks, "checks", "", "comma-separated checks to run (default: all): "+joinNames())
	fs.StringVar(&f.output, "output", "text", "report format: text, json or junit")
	fs.DurationVar(&f.timeout, "timeout", check.DefaultTimeout, "deadline of the whole run (with --targets: of each target's run)")
	fs.IntVar(&f.maxFlows, "connect-max-flows", check.DefaultMaxFlows, fmt.Sprintf("ConnectAccess reads at most this many contact flows and modules per run, 1 to %d (the report warns when it cut the scan short)", check.MaxMaxFlows))
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

// validated checks the flags of a run over one target before any AWS call.
func (f *targetFlags) validated() ([]string, report.Format, error) {
	names, format, err := f.runFlags()
	if err != nil {
		return nil, "", err
	}
	chain := false
	for _, n := range names {
		chain = chain || check.IsChain(n)
	}
	if err := f.target.ValidateFor(chain); err != nil {
		return nil, "", &usageError{flagNames(err.Error())}
	}
	if !chain && f.target.ExpectVersion != "" {
		return nil, "", usagef("--expect-version: the version is read from PhoneLookup's invocation: add PhoneLookup to --checks")
	}
	return names, format, nil
}

// runFlags checks the flags of a run that do not describe its target.
func (f *targetFlags) runFlags() ([]string, report.Format, error) {
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
	if f.maxFlows < 1 || f.maxFlows > check.MaxMaxFlows {
		return nil, "", usagef("--connect-max-flows: %d is not between 1 and %d", f.maxFlows, check.MaxMaxFlows)
	}
	return names, format, nil
}

// fleetFlags select a run over the targets of a file instead of one target.
type fleetFlags struct {
	path        string
	concurrency int
}

func (f *fleetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "targets", "", "YAML or JSON file listing targets to check concurrently, instead of the target flags (see above)")
	fs.IntVar(&f.concurrency, "concurrency", 0, fmt.Sprintf("with --targets: how many targets run at once, 1 to %d (default: the file's max_concurrency, else min(targets, %d))", targets.MaxConcurrency, targets.DefaultConcurrency))
}

// singleTargetFlags describe one target: --targets replaces them.
var singleTargetFlags = []string{"function", "phone", "fields", "secret-arn", "kms-key-arn", "connect-instance-arn", "name", "keep-cases", "expect-version", "role-arn", "external-id"}

// set reports whether --name was given on fs's command line.
func set(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// enabled reports whether the command line asks for a run over a file.
func (f *fleetFlags) enabled(fs *flag.FlagSet) bool {
	return set(fs, "targets") || set(fs, "concurrency")
}

// load checks the fleet flags against the others given on fs, then reads
// and validates the targets file; it returns the file and the concurrency.
func (f *fleetFlags) load(fs *flag.FlagSet) (targets.File, int, error) {
	switch {
	case f.path != "":
	case set(fs, "targets"):
		return targets.File{}, 0, usagef("--targets: want the path of a YAML or JSON targets file")
	default:
		return targets.File{}, 0, usagef("--concurrency: only with --targets FILE")
	}
	var conflicts []string
	for _, name := range singleTargetFlags {
		if set(fs, name) {
			conflicts = append(conflicts, "--"+name)
		}
	}
	if len(conflicts) > 0 {
		return targets.File{}, 0, usagef("--targets excludes %s: each target's settings go in the file", strings.Join(conflicts, ", "))
	}
	concurrency := 0
	if set(fs, "concurrency") {
		if f.concurrency < 1 || f.concurrency > targets.MaxConcurrency {
			return targets.File{}, 0, usagef("--concurrency: %d is out of range: want 1 to %d", f.concurrency, targets.MaxConcurrency)
		}
		concurrency = f.concurrency
	}
	file, err := targets.Load(f.path)
	if err != nil {
		return targets.File{}, 0, usagef("--targets: %s", indent(err.Error()))
	}
	if concurrency == 0 {
		concurrency = file.Concurrency()
	}
	return file, concurrency, nil
}

// indent puts the lines after the first of a multi-line message under it.
func indent(msg string) string { return strings.ReplaceAll(msg, "\n", "\n  ") }

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
