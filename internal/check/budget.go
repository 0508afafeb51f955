package check

import (
	"fmt"
	"strings"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// Budget is ConnectAccess's verdict on the run's sfInvokeAPI invocations
// as the contact flows make them: each call must finish within the
// smallest timeout of an "Invoke AWS Lambda function" block that calls the
// function (Connect gives up then and takes the Error branch, while the
// function runs on), and return a shape the strictest block accepts. It is
// judged once the chain's results and ConnectAccess's are both in the
// report (Report.Finish), from the chain's REPORT figures.
type Budget struct {
	// Verdict is ok, warn (at least BudgetWarnPercent of the block's
	// timeout), fail (above it), or not-judged (no REPORT figures: the
	// chain did not run, scope aws, or no REPORT line came back).
	Verdict string `json:"verdict"`
	// LongestMS is the run's longest invocation as Connect waits for it:
	// the REPORT Duration plus the Init Duration of a cold start; in
	// LongestCheck.
	LongestMS    int64  `json:"longest_ms,omitempty"`
	LongestCheck string `json:"longest_check,omitempty"`
	ColdStart    bool   `json:"cold_start,omitempty"`
	// BlockTimeoutSeconds is ConnectView.MinTimeoutSeconds; Percent is
	// LongestMS of it.
	BlockTimeoutSeconds int `json:"block_timeout_seconds"`
	Percent             int `json:"percent,omitempty"`
	// ShapeProblem names the key of a chain result that a STRING_MAP block
	// would refuse ("PhoneLookup: Account is an object"); empty when none.
	ShapeProblem string `json:"shape_problem,omitempty"`
}

// The budget's verdicts.
const (
	BudgetOK        = "ok"
	BudgetWarn      = "warn"
	BudgetFail      = "fail"
	BudgetNotJudged = "not-judged"
)

// BudgetWarnPercent is the share of the block's timeout at which the
// budget warns: a call that takes 80 % of it today is one slow Salesforce
// response away from the Error branch.
const BudgetWarnPercent = 80

// shapeChecks are the chain checks whose results a contact flow receives
// as they are: the operations the flows make (phoneLookup with the
// target's fields, create, update). VerifyCaseClosed's read-back is
// sfprobe's own query, not one a flow makes, so its shape is not judged.
var shapeChecks = []string{PhoneLookup, CreateCase, CloseCase}

// judgeConnectBudget amends ConnectAccess's result with the budget once
// per report: a fail turns a passing ConnectAccess into a timeout (or, for
// the shape, unexpected-response) failure; a warn into a warning. A
// ConnectAccess that failed already, was skipped, or saw no block calling
// the function is left as it is.
func (r *Report) judgeConnectBudget() {
	i := -1
	for j := range r.Checks {
		if r.Checks[j].Name == ConnectAccess {
			i = j
		}
	}
	if i < 0 {
		return
	}
	ca := r.Checks[i]
	v := ca.Connect
	if v == nil || v.Budget != nil || v.BlocksCalling == 0 || (ca.Status != Pass && ca.Status != Warn) {
		return
	}
	b := &Budget{Verdict: BudgetNotJudged, BlockTimeoutSeconds: v.MinTimeoutSeconds}
	for _, res := range r.Checks {
		if res.Invocation == nil || !IsChain(res.Name) {
			continue
		}
		ms := int64(res.Invocation.DurationMS + res.Invocation.InitDurationMS + 0.5)
		if ms > b.LongestMS {
			b.LongestMS, b.LongestCheck, b.ColdStart = ms, res.Name, res.Invocation.Cold()
		}
	}
	if v.StrictestResponseType == ResponseStringMap {
		b.ShapeProblem = r.shapeProblem()
	}
	var failClass failure.Class
	var infos, notes, problems []string
	if b.LongestCheck != "" && v.MinTimeoutSeconds > 0 {
		limit := int64(v.MinTimeoutSeconds) * 1000
		b.Percent = int(b.LongestMS * 100 / limit)
		cold := ""
		if b.ColdStart {
			cold = ", cold start included"
		}
		said := fmt.Sprintf("the longest sfInvokeAPI call of this run (%s, %d ms%s) is %d %% of the %d s timeout of the Invoke AWS Lambda function block in %q",
			b.LongestCheck, b.LongestMS, cold, b.Percent, v.MinTimeoutSeconds, v.MinTimeoutFlow)
		switch {
		case b.LongestMS > limit:
			b.Verdict = BudgetFail
			failClass = failure.Timeout
			problems = append(problems, said+": Connect gives up and takes the Error branch while the function runs on (the chain passed because sfprobe waits longer)")
		case b.Percent >= BudgetWarnPercent:
			b.Verdict = BudgetWarn
			notes = append(notes, said+fmt.Sprintf(": at least %d %%, one slow Salesforce response away from the Error branch", BudgetWarnPercent))
		default:
			b.Verdict = BudgetOK
			infos = append(infos, "timeout budget: "+said)
		}
		if ft := v.FunctionTimeoutSeconds; ft > 0 && b.LongestMS*100 >= int64(ft)*1000*BudgetWarnPercent {
			notes = append(notes, fmt.Sprintf("the longest call (%d ms) is at least %d %% of the function's own timeout (%d s)", b.LongestMS, BudgetWarnPercent, ft))
		}
	} else {
		infos = append(infos, fmt.Sprintf("timeout budget not judged: no sfInvokeAPI REPORT figures in this run (the chain did not run, or returned no log tail) to compare with the %d s block in %q", v.MinTimeoutSeconds, v.MinTimeoutFlow))
	}
	if b.ShapeProblem != "" {
		if failClass == "" {
			failClass = failure.UnexpectedResponse
		}
		problems = append(problems, fmt.Sprintf("%s; the STRING_MAP block in %q sends the contact down the Error branch (\"The Lambda function returned an error\")", b.ShapeProblem, v.StringMapFlow))
	}
	v2 := *v
	v2.Budget = b
	var verdict Result
	switch {
	case len(problems) > 0:
		verdict = failed(ConnectAccess, failClass, ca.Message+"; "+strings.Join(append(problems, notes...), "; "))
		if failClass == failure.Timeout {
			verdict.Remediation = BudgetRemedy
		}
	case len(notes) > 0:
		verdict = withWarning(withInfo(ca, infos), strings.Join(notes, "; "))
	default:
		verdict = withInfo(ca, infos)
	}
	// The verdict replaces the status and its words; the rest of the
	// result (duration, attempts, ...) stays.
	out := ca
	out.Status, out.ErrorClass, out.Message = verdict.Status, verdict.ErrorClass, verdict.Message
	out.Remediation, out.Runbook = verdict.Remediation, verdict.Runbook
	out.Connect = &v2
	r.Checks[i] = out
}

// withInfo adds plain facts to r's message, its status unchanged.
func withInfo(r Result, infos []string) Result {
	if len(infos) > 0 {
		r.Message = redact.Text(r.Message + "; " + strings.Join(infos, "; "))
	}
	return r
}

// BudgetRemedy is the remedy of a call that outlasts the flows' block.
const BudgetRemedy = "Give the Invoke AWS Lambda function block more time (InvocationTimeLimitSeconds, up to 8 s) in the flow named, or make the call faster: a cold start (Init Duration) calls for provisioned concurrency or more memory; a slow Salesforce response for a narrower sf_fields or query. See docs/RUNBOOK.md#timeout-budget."

// shapeProblem names the first key of a flow-facing chain result that a
// STRING_MAP block refuses: a nested object or a list.
func (r *Report) shapeProblem() string {
	for _, name := range shapeChecks {
		for _, res := range r.Checks {
			if res.Name != name {
				continue
			}
			for _, k := range res.Shape {
				if stringMapRefuses(k.Kind) {
					return fmt.Sprintf("%s's result has %q as a nested %s", name, k.Key, k.Kind)
				}
			}
		}
	}
	return ""
}
