// Package metricname holds the names of sfprobe's CloudWatch metrics: the
// namespace, the metric names and the dimension names. They are public
// (alarms, dashboards and users' queries depend on them), and both the
// publisher (internal/metrics) and the CDK alarms read them from here.
package metricname

// DefaultNamespace is the default CloudWatch namespace.
const DefaultNamespace = "sfprobe"

// The dimension names: values are a target's name and a check name, never ids.
const (
	DimTarget = "Target"
	DimCheck  = "Check"
)

// The metric names. Extend, never rename.
const (
	// RunSuccess is 1 for an OK run and 0 for a failed one (Count; Target).
	RunSuccess = "RunSuccess"
	// RunDuration is the run's duration, detailed metrics only (Milliseconds; Target).
	RunDuration = "RunDuration"
	// SalesforceCalls counts the run's sfInvokeAPI invocations (Count; Target).
	SalesforceCalls = "SalesforceCalls"
	// CheckFailure is 1 for each failed check, published only then (Count; Target, Check).
	CheckFailure = "CheckFailure"
	// CleanupFailure is 1 when the test Case could not be cleaned up (Count; Target).
	CleanupFailure = "CleanupFailure"
	// CheckLatency is a check's duration, detailed metrics only (Milliseconds; Target, Check).
	CheckLatency = "CheckLatency"
	// Paused is 1 for a run skipped because sfprobe is paused (Count; Target).
	Paused = "Paused"
	// TargetDuration is the run's longest sfInvokeAPI invocation, from its
	// REPORT line, published when a chain check reported one (Milliseconds; Target).
	TargetDuration = "TargetDuration"
	// TargetColdStart is a cold invocation's Init Duration, published only
	// when the run met a cold start (Milliseconds; Target).
	TargetColdStart = "TargetColdStart"
	// RetriedChecks counts the checks that passed only after a retry,
	// published only when > 0 (Count; Target): a flaky sfInvokeAPI shows
	// before it becomes an outage.
	RetriedChecks = "RetriedChecks"
	// SalesforceApiRemaining is the org's DailyApiRequests remaining in
	// percent, published only by runs whose SalesforceLogin read it (Percent; Target).
	SalesforceApiRemaining = "SalesforceApiRemaining" //nolint:revive // a public metric name
	// FleetRunSuccess is 1 when every target of a fleet run passed and 0
	// when one failed or was not assessed (Count; Target = the stack's
	// name): the fleet alarms of a stack of more than 50 targets watch it.
	FleetRunSuccess = "FleetRunSuccess"
)

// All returns every metric name.
func All() []string {
	return []string{RunSuccess, RunDuration, SalesforceCalls, CheckFailure, CleanupFailure, CheckLatency, Paused,
		TargetDuration, TargetColdStart, RetriedChecks, SalesforceApiRemaining, FleetRunSuccess}
}
