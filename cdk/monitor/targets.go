package monitor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// singleTargetKeys are the keys of the single-target form, which
// targetsFile replaces.
var singleTargetKeys = []string{
	"targetFunctionArn", "testPhone", "testFields", "secretArn", "kmsKeyArn", "connectInstanceArn", "targetRoleArn", "targetName",
}

// maxAlarmName is the longest name CloudWatch accepts for an alarm.
const maxAlarmName = 255

// fileForm reports whether the stack probes the targets of a targets file
// rather than the single target of the single-target keys.
func (c Config) fileForm() bool { return c.TargetsFile != "" || len(c.Targets) > 0 }

// loadTargets reads the targets file at path with readFile and parses it
// with internal/targets (YAML or JSON, every entry validated as a target of
// the workflow). Each error names targetsFile, the file and the field path.
func loadTargets(path string, readFile func(string) ([]byte, error)) ([]targets.Entry, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, &validate.FieldError{Field: "targetsFile", Msg: fmt.Sprintf("read %s: %v", path, err)}
	}
	f, err := targets.Parse(data, path)
	if err != nil {
		return nil, inTargetsFile(path, err)
	}
	return f.Targets, nil
}

// inTargetsFile turns the errors joined in err into targetsFile errors
// naming the file: "targetsFile: fleet.yaml: targets[2].secret_arn: ...".
func inTargetsFile(path string, err error) error {
	if err == nil {
		return nil
	}
	if path == "" {
		path = "(Targets)"
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, &validate.FieldError{Field: "targetsFile", Msg: path + ": " + e.Error()})
	}
	return errors.Join(out...)
}

// validateTargetsFile checks the targets-file form: no single-target key
// beside it (given: the keys set explicitly), and every entry as the
// stack's IAM policies and alarms need it.
func (c Config) validateTargetsFile(given map[string]bool) error {
	var errs []error
	var both []string
	for _, k := range singleTargetKeys {
		if given[k] || c.singleTargetValue(k) {
			both = append(both, k)
		}
	}
	if len(both) > 0 {
		errs = append(errs, &validate.FieldError{Field: "targetsFile", Msg: fmt.Sprintf(
			"give either targetsFile or the single-target keys (%s), not both: remove %s (a target's settings go in its entry of the file; targetRoleArn has no per-entry form)",
			strings.Join(singleTargetKeys, ", "), strings.Join(both, ", "))})
	}
	switch n := len(c.Targets); {
	case n == 0:
		errs = append(errs, &validate.FieldError{Field: "targetsFile", Msg: fmt.Sprintf("%s was not read: ConfigFrom reads it into Targets", c.TargetsFile)})
	case n > targets.MaxTargets:
		errs = append(errs, &validate.FieldError{Field: "targetsFile", Msg: fmt.Sprintf("%d targets; at most %d per stack (the workflow's output holds every target's report, and Step Functions limits it to 256 KiB)", n, targets.MaxTargets)})
	}
	var entryErrs []error
	first := map[string]int{}
	for i, e := range c.Targets {
		entryErrs = append(entryErrs, c.validateEntry(fmt.Sprintf("targets[%d]", i), e)...)
		l := e.Label()
		if j, seen := first[l]; seen {
			entryErrs = append(entryErrs, &validate.FieldError{Field: fmt.Sprintf("targets[%d].name", i), Msg: fmt.Sprintf("label %q is also the label of targets[%d]; give each target a distinct name (the label is the metric dimension Target and part of its alarms' names)", l, j)})
		} else {
			first[l] = i
		}
	}
	if err := inTargetsFile(c.TargetsFile, errors.Join(entryErrs...)); err != nil {
		errs = append(errs, err)
	}
	if n, per := c.alarmCount(len(c.Targets)); n > maxAlarms {
		key := "targetsFile"
		if c.PerCheckAlarms {
			key = "perCheckAlarms"
		}
		errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf(
			"%d targets make %d alarms (%d per target): more than the %d of the 500 resources CloudFormation allows a stack; at most %d targets with these alarms (perCheckAlarms adds %d per target): split the targets into several stacks",
			len(c.Targets), n, per, maxAlarms, (maxAlarms-(n-per*len(c.Targets)))/per, len(check.Names()))})
	}
	return errors.Join(errs...)
}

// maxAlarms bounds a stack's alarms: CloudFormation allows 500 resources in
// a stack, and the rest of sfprobe's takes at most 70 (with deployGate and
// 30 managed policies).
const maxAlarms = 430

// alarmCount is how many alarms (metric and composite) a stack of n
// targets makes, and how many of them each target adds.
func (c Config) alarmCount(n int) (total, perTarget int) {
	checks, _ := Checks()
	perTarget = 3 // RunFailure, CleanupFailure, SalesforceApiRemaining
	if c.DetailedMetrics {
		perTarget++ // RunLatency
	}
	if c.PerCheckAlarms {
		perTarget += len(checks)
	}
	shared := 2 // MaintenanceWindow, Paging
	if c.DiagnosticAlarms {
		shared += 3 + len(workflow.Functions) // the state machine's and one per function
	}
	return n*perTarget + shared, perTarget
}

// validateEntry checks one entry of the targets file for a stack: the
// target itself (as the workflow takes it), then the full ARNs the IAM
// policies name, their regions and the length of the alarms' names.
func (c Config) validateEntry(path string, e targets.Entry) []error {
	t := e.Target()
	errs := validate.Prefixed(path, t.Validate())
	if e.Function != "" && !strings.HasPrefix(e.Function, "arn:") {
		errs = append(errs, &validate.FieldError{Field: path + ".function", Msg: fmt.Sprintf(
			"%q is a function name: a stack needs the full ARN, arn:aws:lambda:<region>:<account>:function:<name> (its IAM policies name the function, and the ARN gives the target's region and account)", e.Function)})
	}
	if e.RoleARN == "" {
		for _, err := range []error{
			stackSecretARN(path+".secret_arn", e.SecretARN, "required for a stack"),
			stackKeyARN(path+".kms_key_arn", e.KMSKeyARN, "required for a stack"),
		} {
			if err != nil {
				errs = append(errs, err)
			}
		}
	} else if err := rolePartition(path, e); err != nil {
		// Through role_arn the stack names none of the target's resources
		// (the role in its account grants them): secret_arn and
		// kms_key_arn stay optional, as for sfprobe run.
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errs
	}
	if err := sameRegion(e.Function, path+".function", map[string]string{
		path + ".secret_arn": e.SecretARN, path + ".kms_key_arn": e.KMSKeyARN, path + ".connect_instance_arn": e.ConnectInstanceARN,
	}); err != nil {
		errs = append(errs, err)
	}
	if name := c.longestAlarmName(t.Label()); len(name) > maxAlarmName {
		errs = append(errs, &validate.FieldError{Field: path + ".name", Msg: fmt.Sprintf(
			"label %q makes the alarm name %q, %d characters; CloudWatch allows %d: shorten name (or stackName)", t.Label(), name, len(name), maxAlarmName)})
	}
	return errs
}

// singleTargetValue reports whether the single-target key k holds a value
// (testFields: other than its default).
func (c Config) singleTargetValue(k string) bool {
	switch k {
	case "targetFunctionArn":
		return c.TargetFunctionArn != ""
	case "testPhone":
		return c.TestPhone != ""
	case "testFields":
		return c.TestFields != "" && c.TestFields != DefaultTestFields
	case "secretArn":
		return c.SecretArn != ""
	case "kmsKeyArn":
		return c.KmsKeyArn != ""
	case "connectInstanceArn":
		return c.ConnectInstanceArn != ""
	case "targetRoleArn":
		return c.TargetRoleArn != ""
	case "targetName":
		return c.TargetName != ""
	}
	return false
}

// DefaultTargets are the targets a scheduled run probes: the stack's
// target, or the targets file's in file order, each labelled so that the
// functions publish exactly the Target dimension the alarms watch. The
// entries' region and profile (sfprobe run's settings) are left out: the
// functions call each target in its function ARN's region.
func (c Config) DefaultTargets() []check.Target {
	if c.fileForm() {
		out := make([]check.Target, 0, len(c.Targets))
		for _, e := range c.Targets {
			t := e.Target()
			t.Name = t.Label()
			if t.Fields == "" {
				t.Fields = DefaultTestFields
			}
			out = append(out, t)
		}
		return out
	}
	return []check.Target{{
		Function:           c.TargetFunctionArn,
		Phone:              c.TestPhone,
		Fields:             c.TestFields,
		SecretARN:          c.SecretArn,
		KMSKeyARN:          c.KmsKeyArn,
		ConnectInstanceARN: c.ConnectInstanceArn,
		Name:               c.Label(),
	}}
}

// labels are the default targets' labels (the Target dimension's values).
func (c Config) labels() []string {
	ts := c.DefaultTargets()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// firstFunction is the function ARN that pins the stack's account and
// region: the target's, or the targets file's first.
func (c Config) firstFunction() string {
	if c.fileForm() {
		if len(c.Targets) == 0 {
			return ""
		}
		return c.Targets[0].Function
	}
	return c.TargetFunctionArn
}

// region is the stack's region: its (first) target function's.
func (c Config) region() string { return arnField(c.firstFunction(), 3) }

// account is the stack's account: its (first) target function's.
func (c Config) account() string { return arnField(c.firstFunction(), 4) }

// summary names what the stack probes, for descriptions: the target's
// label, or "3 targets: a, b, c" (cut short past a few).
func (c Config) summary() string {
	labels := c.labels()
	if !c.fileForm() || len(labels) == 1 {
		return strings.Join(labels, "")
	}
	// Descriptions are short (a schedule's at most 512 characters).
	const show, maxLen = 5, 160
	list := strings.Join(labels[:min(show, len(labels))], ", ")
	if len(list) > maxLen {
		list = list[:maxLen]
	}
	if len(list) < len(strings.Join(labels, ", ")) {
		list += ", ..."
	}
	return fmt.Sprintf("%d targets: %s", len(labels), list)
}

// maintenanceTarget is the Target dimension of the MaintenanceWindow
// metric: the target's label, or with a targets file the stack's name (one
// window for the stack's targets).
func (c Config) maintenanceTarget() string {
	if c.fileForm() {
		return c.StackName
	}
	return c.Label()
}

// alarmSuffix is what a per-target alarm's name adds for the target:
// nothing in the single-target form (today's public names), "-<label>"
// with a targets file.
func (c Config) alarmSuffix(label string) string {
	if c.fileForm() {
		return "-" + label
	}
	return ""
}

// longestAlarmName is the longest alarm name the stack makes for a target
// labelled label.
func (c Config) longestAlarmName(label string) string {
	longest := c.StackName + "-CleanupFailure" + c.alarmSuffix(label)
	if c.PerCheckAlarms {
		checks, _ := Checks()
		for _, ch := range checks {
			if n := c.StackName + "-CheckFailure" + c.alarmSuffix(label) + "-" + ch; len(n) > len(longest) {
				longest = n
			}
		}
	}
	return longest
}

// rolePartition: a target's role_arn is in its function ARN's partition
// (STS assumes a role only within the caller's partition, and the role's
// grants name the function in its own).
func rolePartition(path string, e targets.Entry) error {
	if e.Function == "" || !strings.HasPrefix(e.Function, "arn:") {
		return nil
	}
	if fp, rp := arnField(e.Function, 1), arnField(e.RoleARN, 1); fp != rp {
		return &validate.FieldError{Field: path + ".role_arn", Msg: fmt.Sprintf("partition %s differs from function's %s: the target's role is in its function's partition (arn:%s:iam::<account>:role/<name>)", rp, fp, fp)}
	}
	return nil
}
