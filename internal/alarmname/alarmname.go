// Package alarmname names sfprobe's CloudWatch alarms and their runbook
// sections. The CDK app writes each alarm's runbook anchor into its
// description; the runbook test reads this table to check that every anchor
// exists in docs/RUNBOOK.md. It imports nothing, so that test never compiles
// the CDK.
package alarmname

import "strings"

// Kind is one kind of sfprobe alarm. Its string form is part of the alarm's
// name (<stack>-<Kind>[-<detail>]). Extend, never rename.
type Kind string

// The alarm kinds.
const (
	// RunFailure: neither RunSuccess 1 nor Paused in M of N periods
	// (MAX of the two, filled with 0); missing data is breaching (the
	// dead-man's switch). Pages. One per target.
	RunFailure Kind = "RunFailure"
	// RunLatency: RunDuration above the threshold in M of N periods; only
	// with detailed metrics (RunDuration is published only then).
	RunLatency Kind = "RunLatency"
	// ExecutionsFailed: the state machine's ExecutionsFailed; opt-in
	// (diagnostic alarms).
	ExecutionsFailed Kind = "ExecutionsFailed"
	// ExecutionsTimedOut: the state machine's ExecutionsTimedOut; opt-in
	// (diagnostic alarms).
	ExecutionsTimedOut Kind = "ExecutionsTimedOut"
	// ExecutionThrottled: the state machine's ExecutionThrottled; opt-in
	// (diagnostic alarms).
	ExecutionThrottled Kind = "ExecutionThrottled"
	// FunctionErrors: one of sfprobe's own Lambdas reported Errors (one
	// alarm per function); opt-in (diagnostic alarms).
	FunctionErrors Kind = "FunctionErrors"
	// CleanupFailure: the run's test Case was left in Salesforce.
	CleanupFailure Kind = "CleanupFailure"
	// CheckFailure: one check failed (one alarm per check; opt-in).
	CheckFailure Kind = "CheckFailure"
	// MaintenanceWindow: a pipeline declared a maintenance window; while it
	// is in ALARM the paging alarm's actions are suppressed.
	MaintenanceWindow Kind = "MaintenanceWindow"
	// Paging: the composite alarm, the only one with an action (the SNS topic).
	Paging Kind = "Paging"
	// SalesforceApiRemaining: the org's daily API budget is running low
	// (SalesforceLogin's SalesforceApiRemaining below the threshold).
	SalesforceApiRemaining Kind = "SalesforceApiRemaining" //nolint:revive // a public alarm kind
)

// Info describes one kind of alarm.
type Info struct {
	Kind Kind
	// Fragment is the runbook section's anchor, e.g. "alarm-run-failure".
	Fragment string
	// Summary says in a few words what the alarm means.
	Summary string
	// Pages is true for the alarms the Paging composite alarm ORs together.
	Pages bool
	// OptIn is the stack's configuration key that creates alarms of this
	// kind; empty for the kinds every stack has. A kind is opt-in when it
	// neither pages nor detects what RunFailure cannot, or when its metric
	// is published only on request.
	OptIn string
}

// RunbookPath is the runbook, relative to the repository root.
const RunbookPath = "docs/RUNBOOK.md"

// The configuration keys that create the opt-in kinds (see the CDK app's
// Config).
const (
	OptInDetailedMetrics  = "detailedMetrics"
	OptInDiagnosticAlarms = "diagnosticAlarms"
	OptInPerCheckAlarms   = "perCheckAlarms"
)

var table = []Info{
	{RunFailure, "alarm-run-failure", "runs of the probe failed or stopped reporting", true, ""},
	{RunLatency, "alarm-run-latency", "runs of the probe are slower than the threshold", false, OptInDetailedMetrics},
	// A failed check is RunFailure's to report (its run publishes RunSuccess
	// 0); a run that breaks or times out publishes no RunSuccess, which
	// RunFailure treats as breaching.
	{ExecutionsFailed, "alarm-executions-failed", "executions of the state machine failed", false, OptInDiagnosticAlarms},
	{ExecutionsTimedOut, "alarm-executions-timed-out", "executions of the state machine timed out", false, OptInDiagnosticAlarms},
	{ExecutionThrottled, "alarm-execution-throttled", "Step Functions throttled executions of the state machine", false, OptInDiagnosticAlarms},
	{FunctionErrors, "alarm-function-errors", "one of sfprobe's own Lambda functions reported errors", false, OptInDiagnosticAlarms},
	// A run that leaves its Case behind still passes: RunFailure cannot see it.
	{CleanupFailure, "alarm-cleanup-failure", "a run could not delete its test Case from Salesforce", false, ""},
	{CheckFailure, "alarm-check-failure", "one check of the probe failed", false, OptInPerCheckAlarms},
	// The paging alarm's actions suppressor.
	{MaintenanceWindow, "alarm-maintenance-window", "a maintenance window is open: paging is suppressed", false, ""},
	{Paging, "alarm-paging", "the probe's paging alarm: one of the paging alarms is in ALARM", false, ""},
	// Warns before REQUEST_LIMIT_EXCEEDED; SalesforceLogin fails api-limit
	// below 5 % (RunFailure pages then).
	{SalesforceApiRemaining, "alarm-salesforce-api-remaining", "the Salesforce org's daily API requests remaining are below the threshold", false, ""},
}

// All returns every kind's Info in a stable order.
func All() []Info { return append([]Info(nil), table...) }

// Lookup returns the Info of k, and false for a kind sfprobe does not know.
func Lookup(k Kind) (Info, bool) {
	for _, i := range table {
		if i.Kind == k {
			return i, true
		}
	}
	return Info{}, false
}

// PagingKinds returns the kinds the Paging composite alarm ORs together.
func PagingKinds() []Kind {
	var out []Kind
	for _, i := range table {
		if i.Pages {
			out = append(out, i.Kind)
		}
	}
	return out
}

// Anchor is k's runbook section, e.g. "docs/RUNBOOK.md#alarm-run-failure".
func (k Kind) Anchor() string { return RunbookPath + "#" + k.Fragment() }

// Fragment is k's anchor without the file, e.g. "alarm-run-failure".
func (k Kind) Fragment() string {
	if i, ok := Lookup(k); ok {
		return i.Fragment
	}
	return "alarm-" + kebab(string(k))
}

// kebab turns "ExecutionsTimedOut" into "executions-timed-out".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
