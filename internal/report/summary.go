package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// WriteFleetSummary renders the summary of a fleet that ran on the
// Distributed Map (`sfprobe start --summary-only`, or when its full report
// could not be read from S3) to w in format f:
//
//   - text: the fleet report's summary line, then the counts and where the
//     full report is;
//   - json: exactly the JSON encoding of the check.FleetSummary;
//   - junit: one testsuite "fleet" with a failed testcase per failed target
//     it names (and one for those it does not), and one passing testcase
//     for the passed targets.
func WriteFleetSummary(w io.Writer, s check.FleetSummary, f Format, opts ...Option) error {
	s.FailedTargets = redact.Texts(append([]string(nil), s.FailedTargets...))
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch f {
	case Text:
		return writeSummaryText(w, s, o.terminal && os.Getenv("NO_COLOR") == "")
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("write json report: %w", err)
		}
		return nil
	case JUnit:
		return writeSummaryJUnit(w, s)
	default:
		return fmt.Errorf("write report: unknown format %q", f)
	}
}

// writeSummaryText writes e.g.
//
//	fleet: 60 targets, 1 failed: prod-eu; sfInvokeAPI calls: 300 (Salesforce API budget)
//	passed 59, failed 1 (0 not assessed); full report: s3://bucket/runs/x/fleet.json
func writeSummaryText(w io.Writer, s check.FleetSummary, color bool) error {
	line := fmt.Sprintf("fleet: %d %s, %d failed", s.Targets, plural(s.Targets, "target", "targets"), s.Failed)
	if len(s.FailedTargets) > 0 {
		names := make([]string, len(s.FailedTargets))
		for i, n := range s.FailedTargets {
			names[i] = OneLine(n)
		}
		line += ": " + strings.Join(names, ", ")
		if more := s.Failed - len(s.FailedTargets); s.FailedTargetsTruncated && more > 0 {
			line += fmt.Sprintf(" and %d more", more)
		}
	}
	line += fmt.Sprintf("; sfInvokeAPI calls: %d (Salesforce API budget)", s.SalesforceCalls)
	if color {
		if s.OK {
			line = ansiBold + ansiGreen + line + ansiReset
		} else {
			line = ansiBold + ansiRed + line + ansiReset
		}
	}
	counts := fmt.Sprintf("passed %d, failed %d (%d not assessed); full report: %s", s.Passed, s.Failed, s.NotAssessed, OneLine(s.Report.URI()))
	if _, err := io.WriteString(w, line+"\n"+counts+"\n"); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// writeSummaryJUnit writes the summary as one testsuite "fleet".
func writeSummaryJUnit(w io.Writer, s check.FleetSummary) error {
	suite := junitSuite{
		Name: "fleet",
		Time: junitSeconds(s.DurationMS),
		ID:   s.RunID,
		Properties: []junitProperty{
			{"run_id", s.RunID},
			{"ok", strconv.FormatBool(s.OK)},
			{"targets", strconv.Itoa(s.Targets)},
			{"salesforce_calls", strconv.Itoa(s.SalesforceCalls)},
			{"report", s.Report.URI()},
		},
		Cases: []junitCase{},
	}
	if !s.StartedAt.IsZero() {
		suite.Timestamp = s.StartedAt.UTC().Format(junitTimestamp)
	}
	details := "its report is in " + s.Report.URI()
	for _, name := range s.FailedTargets {
		suite.Cases = append(suite.Cases, junitCase{Name: name, Classname: "sfprobe.fleet", Time: junitSeconds(0),
			Failure: &junitMessage{Message: "the target failed: " + details, Type: "fleet"}})
	}
	if more := s.Failed - len(s.FailedTargets); more > 0 {
		suite.Cases = append(suite.Cases, junitCase{Name: fmt.Sprintf("%d more failed targets", more), Classname: "sfprobe.fleet", Time: junitSeconds(0),
			Failure: &junitMessage{Message: "the summary names the first " + strconv.Itoa(len(s.FailedTargets)) + ": " + details, Type: "fleet"}})
	}
	if s.Passed > 0 {
		suite.Cases = append(suite.Cases, junitCase{Name: fmt.Sprintf("%d passed %s", s.Passed, plural(s.Passed, "target", "targets")), Classname: "sfprobe.fleet", Time: junitSeconds(0)})
	}
	suite.Tests = len(suite.Cases)
	suite.Failures = suite.Tests
	if s.Passed > 0 {
		suite.Failures--
	}
	return writeJUnitSuites(w, []junitSuite{suite}, s.DurationMS)
}
