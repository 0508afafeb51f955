package check

// CompactMessageRunes is how much of a check's message a compact report
// keeps.
const CompactMessageRunes = 300

// Compact returns r as a fleet's execution output carries each target: the
// checks' names, statuses, durations, classes, runbook anchors and
// attempts, their messages cut to CompactMessageRunes, and the details
// left out (connect, invocation, response_shape, salesforce_login and
// remediation, which the runbook anchor names). Fifty full reports do not
// fit the 256 KiB a Step Functions state may pass on; the metrics and
// PublishMetrics' log were made from the full report.
func (r Report) Compact() Report {
	if r.Checks != nil {
		checks := make([]Result, len(r.Checks))
		for i, c := range r.Checks {
			checks[i] = Result{
				Name: c.Name, Status: c.Status, DurationMS: c.DurationMS, ErrorClass: c.ErrorClass,
				Message: cut(c.Message, CompactMessageRunes), Runbook: c.Runbook, Attempts: c.Attempts,
			}
		}
		r.Checks = checks
	}
	r.Cleanup.Message = cut(r.Cleanup.Message, CompactMessageRunes)
	return r
}

// cut shortens s to at most n runes, marking the cut with "…".
func cut(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:n-1]) + "…"
}
