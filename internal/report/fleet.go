package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
)

// WriteFleet renders the run over several targets to w in format f:
//
//   - text: each target's text report under a rule naming it, then one
//     summary line: how many targets, which failed, the sfInvokeAPI calls;
//   - json: exactly the JSON encoding of the check.Fleet;
//   - junit: one testsuite per target, named by its label.
func WriteFleet(w io.Writer, fl check.Fleet, f Format, opts ...Option) error {
	fl = fl.Redacted()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch f {
	case Text:
		return writeFleetText(w, fl, o.terminal && os.Getenv("NO_COLOR") == "")
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(fl); err != nil {
			return fmt.Errorf("write json report: %w", err)
		}
		return nil
	case JUnit:
		return writeFleetJUnit(w, fl)
	default:
		return fmt.Errorf("write report: unknown format %q", f)
	}
}

// writeFleetText writes each target's text report, a rule before each, and
// the fleet's summary line.
func writeFleetText(w io.Writer, fl check.Fleet, color bool) error {
	for i, r := range fl.Targets {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return fmt.Errorf("write text report: %w", err)
			}
		}
		rule := fmt.Sprintf("=== target %d of %d: %s ===\n", i+1, len(fl.Targets), OneLine(r.Target))
		if _, err := io.WriteString(w, rule); err != nil {
			return fmt.Errorf("write text report: %w", err)
		}
		if err := writeText(w, r, color); err != nil {
			return err
		}
	}
	sep := ""
	if len(fl.Targets) > 0 {
		sep = "\n"
	}
	if _, err := io.WriteString(w, sep+fleetSummary(fl, color)+"\n"); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// fleetSummary is the last line of the fleet's text report, e.g.
// "fleet: 3 targets, 1 failed: prod-eu; sfInvokeAPI calls: 11 (Salesforce API budget)".
func fleetSummary(fl check.Fleet, color bool) string {
	failed := fl.FailedTargets()
	s := fmt.Sprintf("fleet: %d %s, %d failed", len(fl.Targets), plural(len(fl.Targets), "target", "targets"), len(failed))
	if len(failed) > 0 {
		names := make([]string, len(failed))
		for i, n := range failed {
			names[i] = OneLine(n)
		}
		s += ": " + strings.Join(names, ", ")
	}
	s += fmt.Sprintf("; sfInvokeAPI calls: %d (Salesforce API budget)", fl.SalesforceCalls)
	if !color {
		return s
	}
	if fl.OK {
		return ansiBold + ansiGreen + s + ansiReset
	}
	return ansiBold + ansiRed + s + ansiReset
}

// writeFleetJUnit writes one testsuite per target, named by its label (a CI
// server groups and lists tests by suite name); the document's time is the
// fleet's wall time, as the targets ran concurrently.
func writeFleetJUnit(w io.Writer, fl check.Fleet) error {
	suites := make([]junitSuite, 0, len(fl.Targets))
	for _, r := range fl.Targets {
		s := junitSuiteOf(r)
		if r.Target != "" {
			s.Name = r.Target
		}
		suites = append(suites, s)
	}
	return writeJUnitSuites(w, suites, fl.DurationMS)
}
