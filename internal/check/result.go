// Package check holds sfprobe's eight checks of an sfInvokeAPI deployment and
// the runner that executes them. A check's Result is also its wire format:
// the workflow's Lambdas pass Results between states as JSON.
package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// The check names. They are public: metric dimension values, JSON keys and
// CLI arguments. Extend, never rename.
const (
	TargetConfig     = "TargetConfig"
	SecretAccess     = "SecretAccess"
	KmsKey           = "KmsKey"
	ConnectAccess    = "ConnectAccess"
	PhoneLookup      = "PhoneLookup"
	CreateCase       = "CreateCase"
	CloseCase        = "CloseCase"
	VerifyCaseClosed = "VerifyCaseClosed"
)

// AWSChecks run independently of each other and of the Salesforce chain.
var AWSChecks = []string{TargetConfig, SecretAccess, KmsKey, ConnectAccess, SalesforceLogin}

// ChainChecks replay the manual procedure in order; the chain stops at its
// first failure.
var ChainChecks = []string{PhoneLookup, CreateCase, CloseCase, VerifyCaseClosed}

// Names returns every check name in report order.
func Names() []string {
	return append(append([]string{}, AWSChecks...), ChainChecks...)
}

// IsChain reports whether name is a Salesforce chain check.
func IsChain(name string) bool {
	for _, n := range ChainChecks {
		if n == name {
			return true
		}
	}
	return false
}

// ParseNames validates a comma-separated list of check names. An empty list
// selects every check.
func ParseNames(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return Names(), nil
	}
	known := map[string]bool{}
	for _, n := range Names() {
		known[n] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		n := strings.TrimSpace(part)
		if !known[n] {
			return nil, fmt.Errorf("--checks: unknown check %q (known: %s)", n, strings.Join(Names(), ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// Status is a check's outcome.
type Status string

// The statuses. Warn passes with something on-call should know.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one check.
type Result struct {
	Name        string        `json:"name"`
	Status      Status        `json:"status"`
	DurationMS  int64         `json:"duration_ms"`
	ErrorClass  failure.Class `json:"error_class"`
	Message     string        `json:"message"`
	Remediation string        `json:"remediation"`
	// Runbook is the runbook anchor for a failure, e.g. docs/RUNBOOK.md#auth.
	Runbook string `json:"runbook,omitempty"`
	// Connect is what ConnectAccess found on the Connect instance's side
	// (ConnectAccess only, when it got as far as the instance).
	Connect *ConnectView `json:"connect,omitempty"`

	// Invocation is what sfInvokeAPI's own REPORT line said about the
	// check's invocations (chain checks only): of several, the longest
	// one's durations, the highest memory used, a cold start's Init
	// Duration if any invocation was cold, and the version that ran.
	Invocation *Invocation `json:"invocation,omitempty"`
	// Shape lists the top-level keys of the check's sfInvokeAPI result
	// whose values are not strings, by name and kind (never values): what
	// an Amazon Connect STRING_MAP block would not take as it is.
	Shape []ShapeKey `json:"response_shape,omitempty"`
	// Attempts is how many attempts the check took, when more than one
	// (sfprobe run's step retries, or the workflow's Retry): a check that
	// passed only after a retry says so.
	Attempts int `json:"attempts,omitempty"`
	// Login carries SalesforceLogin's calls and the org's API budget.
	Login *LoginFacts `json:"salesforce_login,omitempty"`
	// SalesforceHost is the org the function calls, the host name of its
	// SF_HOST (TargetConfig only, when it read the configuration).
	SalesforceHost string `json:"salesforce_host,omitempty"`
}

// Invocation is the REPORT figures of a check's invocations.
type Invocation = sfinvoke.Invocation

// ShapeKey is a non-string top-level key of a result, with its kind.
type ShapeKey = sfinvoke.ShapeKey

// Retried reports whether r passed (or warned) only after a retry.
func (r Result) Retried() bool { return r.Attempts > 1 && (r.Status == Pass || r.Status == Warn) }

// Failed reports whether r failed.
func (r Result) Failed() bool { return r.Status == Fail }

// passed returns a passing result.
func passed(name, msg string) Result {
	return Result{Name: name, Status: Pass, Message: redact.Text(msg)}
}

// warned returns a passing result that carries a warning.
func warned(name, msg string) Result {
	return Result{Name: name, Status: Warn, Message: redact.Text(msg)}
}

// withWarning adds a warning to a passing or warning result (a failed or
// skipped one is left as it is): "<message>; warning: <warning>", further
// warnings joined with "; ". Only the name, status and message are kept.
func withWarning(r Result, warning string) Result {
	switch {
	case r.Status != Pass && r.Status != Warn:
		return r
	case strings.Contains(r.Message, "; warning: "):
		return warned(r.Name, r.Message+"; "+warning)
	}
	return warned(r.Name, r.Message+"; warning: "+warning)
}

// failed returns a failing result of class c with its remedy. Every
// message passes the redactor: it may quote text from outside.
func failed(name string, c failure.Class, msg string) Result {
	return Result{Name: name, Status: Fail, ErrorClass: c, Message: redact.Text(msg), Remediation: c.Remedy(), Runbook: c.Anchor()}
}

// failedErr returns a failing result from an error, classified by its
// chain; a remedy the error carries (failure.RemedyOf) replaces the class's.
func failedErr(name string, err error) Result {
	r := failed(name, failure.ClassOf(err), err.Error())
	if remedy := failure.RemedyOf(err); remedy != "" {
		r.Remediation = redact.Text(remedy)
	}
	return r
}

// skipped returns a skipped result with its reason.
func skipped(name, reason string) Result {
	return Result{Name: name, Status: Skip, Message: redact.Text(reason)}
}

// SkippedResult is a check that did not run, with the reason.
func SkippedResult(name, reason string) Result { return skipped(name, reason) }

// Cleanup says what the run did with the test Case it created.
type Cleanup struct {
	// Status is one of "not-needed", "deleted", "closed", "kept", "failed".
	Status  string `json:"status"`
	CaseID  string `json:"case_id,omitempty"`
	Closed  bool   `json:"closed"`
	Deleted bool   `json:"deleted"`
	// ErrorClass and Message describe a failed cleanup step.
	ErrorClass failure.Class `json:"error_class,omitempty"`
	Message    string        `json:"message,omitempty"`
}

// The cleanup statuses.
const (
	CleanupNotNeeded = "not-needed"
	CleanupDeleted   = "deleted"
	CleanupClosed    = "closed"
	CleanupKept      = "kept"
	CleanupFailed    = "failed"
)

// Report is the outcome of a run: the JSON report schema (a public interface).
type Report struct {
	OK         bool      `json:"ok"`
	Target     string    `json:"target"`
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Checks     []Result  `json:"checks"`
	Cleanup    Cleanup   `json:"cleanup"`
	// SalesforceCalls counts the sfInvokeAPI invocations of the run; each
	// spends at least one call of the org's daily API allowance.
	SalesforceCalls int `json:"salesforce_calls"`
	// SalesforceAPIRemaining is the org's DailyApiRequests remaining in
	// percent, when SalesforceLogin read it in this run.
	SalesforceAPIRemaining *float64 `json:"salesforce_api_remaining_percent,omitempty"`
	// Paused is true for a run skipped because sfprobe is paused.
	Paused bool `json:"paused,omitempty"`
	// Error says why a target could not be assessed at all (its outcome
	// was lost in the workflow); its checks are then unknown.
	Error string `json:"error,omitempty"`
	// SalesforceHost is the org the target's function calls (the host
	// name of its SF_HOST, from TargetConfig), when this run read it:
	// targets on one org share its daily API allowance (Fleet.Orgs).
	SalesforceHost string `json:"salesforce_host,omitempty"`
}

// UnassessedReport is the report of a target whose outcome was lost: not
// OK, no check known, and a cleanup nobody confirmed.
func UnassessedReport(t Target, runID string, at time.Time, reason string) Report {
	return Report{
		Target: t.Label(), RunID: runID, StartedAt: at.UTC(), Checks: []Result{}, Error: reason,
		Cleanup: Cleanup{Status: CleanupFailed, ErrorClass: failure.Unknown,
			Message: "not confirmed: the run's outcome was lost; `sfprobe cleanup` removes a test Case it left"},
	}
}

// SkippedReport is the report of a run that did not probe (sfprobe is
// paused): every check skipped with reason.
func SkippedReport(t Target, runID string, at time.Time, reason string) Report {
	r := Report{Target: t.Label(), RunID: runID, StartedAt: at.UTC(), Cleanup: Cleanup{Status: CleanupNotNeeded}, Paused: true}
	for _, n := range Names() {
		r.Checks = append(r.Checks, skipped(n, reason))
	}
	r.Finish()
	return r
}

// Finish judges ConnectAccess's timeout budget (the chain's figures
// against the flows' blocks), takes the org's host from TargetConfig, then
// sets OK from the checks: a run is OK when no check failed.
func (r *Report) Finish() {
	if r.Checks == nil {
		r.Checks = []Result{}
	}
	r.takeSalesforceHost()
	r.judgeConnectBudget()
	r.OK = true
	for _, c := range r.Checks {
		if c.Failed() {
			r.OK = false
		}
	}
}

// Retried counts the checks that passed (or warned) only after a retry.
func (r Report) Retried() int {
	n := 0
	for _, c := range r.Checks {
		if c.Retried() {
			n++
		}
	}
	return n
}

// CountLogin adds SalesforceLogin's API calls to SalesforceCalls and takes
// the API budget it read. Call it once, when the checks are in.
func (r *Report) CountLogin() {
	for _, c := range r.Checks {
		if c.Login == nil {
			continue
		}
		r.SalesforceCalls += c.Login.APICalls
		if c.Login.APIRemainingPercent != nil {
			v := *c.Login.APIRemainingPercent
			r.SalesforceAPIRemaining = &v
		}
	}
}

// FailedChecks names the failed checks.
func (r Report) FailedChecks() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Failed() {
			out = append(out, c.Name)
		}
	}
	return out
}

// Fleet is the outcome of a run over several targets: the JSON report of
// `sfprobe run --targets` and of a workflow run that fanned out over more than
// one target (a public interface, like Report). Targets keep the order of the
// targets file.
type Fleet struct {
	OK         bool      `json:"ok"`
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	// SalesforceCalls sums the targets' sfInvokeAPI invocations.
	SalesforceCalls int      `json:"salesforce_calls"`
	Targets         []Report `json:"targets"`
	// Orgs groups the targets by the Salesforce org they call, with the
	// org's calls in this run: targets on one org share its daily API
	// allowance. Sorted by host; the targets whose org was not read are
	// under OrgUnknown, last.
	Orgs []Org `json:"orgs"`
}

// NewFleet gathers the reports of one run over several targets. The fleet is
// OK when every target's report is.
func NewFleet(runID string, startedAt time.Time, duration time.Duration, reports []Report) Fleet {
	f := Fleet{OK: true, RunID: runID, StartedAt: startedAt.UTC(), DurationMS: duration.Milliseconds(), Targets: reports}
	if f.Targets == nil {
		f.Targets = []Report{}
	}
	for _, r := range reports {
		f.SalesforceCalls += r.SalesforceCalls
		if !r.OK {
			f.OK = false
		}
	}
	f.Orgs = orgsOf(f.Targets)
	return f
}

// FailedTargets names the targets whose run failed, in order.
func (f Fleet) FailedTargets() []string {
	var out []string
	for _, r := range f.Targets {
		if !r.OK {
			out = append(out, r.Target)
		}
	}
	return out
}
