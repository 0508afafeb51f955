package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// ANSI SGR codes of the text output.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// statusStyle maps a check status to its word and colour in text output.
var statusStyle = map[check.Status]struct{ word, color string }{
	check.Pass: {"PASS", ansiGreen},
	check.Warn: {"WARN", ansiYellow},
	check.Fail: {"FAIL", ansiRed},
	check.Skip: {"SKIP", ansiDim},
}

// detailIndent lines up a failure's details under the check name.
const detailIndent = "      "

// writeText writes the human summary of r: a header, one line per check
// (with the class, remedy and runbook of a failure), the cleanup, the
// Salesforce API budget spent and a verdict.
func writeText(w io.Writer, r check.Report, color bool) error {
	paint := func(code, s string) string {
		if !color || code == "" {
			return s
		}
		return code + s + ansiReset
	}

	var b strings.Builder
	fmt.Fprintf(&b, "sfprobe  target: %s  run: %s\n", OneLine(r.Target), OneLine(r.RunID))

	if r.Error != "" {
		b.WriteString(paint(ansiRed, "error: "+OneLine(r.Error)) + "\n")
	}
	width := nameWidth(r.Checks)
	for _, c := range r.Checks {
		style, ok := statusStyle[c.Status]
		if !ok {
			style.word = strings.ToUpper(OneLine(string(c.Status)))
		}
		line := fmt.Sprintf("%s  %-*s %5.2fs", paint(style.color, fmt.Sprintf("%-4s", style.word)), width, OneLine(c.Name), seconds(c.DurationMS))
		if c.Attempts > 1 {
			line += fmt.Sprintf("  [%d attempts]", c.Attempts)
		}
		if c.Message != "" {
			line += "  " + OneLine(c.Message)
		}
		b.WriteString(line + "\n")
		if c.Failed() {
			remedy, runbook := remedyOf(c.ErrorClass, c.Remediation, c.Runbook)
			fmt.Fprintf(&b, "%sclass: %s  remedy: %s\n", detailIndent, OneLine(classOrUnknown(c.ErrorClass)), OneLine(remedy))
			fmt.Fprintf(&b, "%srunbook: %s\n", detailIndent, OneLine(runbook))
		}
	}

	cl := r.Cleanup
	if cl.Status == check.CleanupFailed {
		b.WriteString(paint(ansiRed, "cleanup: "+cleanupSummary(cl)) + "\n")
		remedy, runbook := remedyOf(cl.ErrorClass, "", "")
		fmt.Fprintf(&b, "%sclass: %s  remedy: %s\n", detailIndent, OneLine(classOrUnknown(cl.ErrorClass)), OneLine(remedy))
		fmt.Fprintf(&b, "%srunbook: %s\n", detailIndent, OneLine(runbook))
	} else {
		b.WriteString("cleanup: " + cleanupSummary(cl) + "\n")
	}
	fmt.Fprintf(&b, "sfInvokeAPI calls: %d (Salesforce API budget)\n", r.SalesforceCalls)
	if h, ok := r.Health(); ok {
		b.WriteString(healthLine(h) + "\n")
	}
	b.WriteString(verdict(r, paint) + "\n")

	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// healthLine is the one line on sfInvokeAPI's own REPORT figures: cold
// start, longest duration, memory used of size, the version that ran.
func healthLine(h check.TargetHealth) string {
	cold := "no cold start"
	if h.ColdStartMS > 0 {
		cold = fmt.Sprintf("cold start %.0f ms", h.ColdStartMS)
	}
	s := fmt.Sprintf("sfInvokeAPI REPORT: %s, longest %.0f ms (%s), memory %d of %d MB", cold, h.LongestMS, OneLine(h.LongestCheck), h.MaxMemoryUsedMB, h.MemorySizeMB)
	if h.Version != "" {
		s += ", version " + OneLine(h.Version)
	}
	return s
}

// verdict is the last line of the text output.
func verdict(r check.Report, paint func(code, s string) string) string {
	var failed []string
	var passed, warned, skipped int
	for _, c := range r.Checks {
		switch c.Status {
		case check.Pass:
			passed++
		case check.Warn:
			passed++
			warned++
		case check.Skip:
			skipped++
		case check.Fail:
			failed = append(failed, fmt.Sprintf("%s (%s)", OneLine(c.Name), OneLine(classOrUnknown(c.ErrorClass))))
		}
	}
	switch {
	case len(failed) > 0:
		return paint(ansiBold+ansiRed, "FAILED: "+strings.Join(failed, ", "))
	case r.Error != "":
		return paint(ansiBold+ansiRed, "FAILED: not assessed")
	case !r.OK:
		return paint(ansiBold+ansiRed, "FAILED: the run is not OK, though no check failed")
	}
	s := fmt.Sprintf("OK: %d %s passed", passed, plural(passed, "check", "checks"))
	var extra []string
	if warned > 0 {
		extra = append(extra, fmt.Sprintf("%d %s", warned, plural(warned, "warning", "warnings")))
	}
	if skipped > 0 {
		extra = append(extra, fmt.Sprintf("%d skipped", skipped))
	}
	if n := r.Retried(); n > 0 {
		extra = append(extra, fmt.Sprintf("%d passed only after a retry", n))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return paint(ansiBold+ansiGreen, s)
}

// cleanupSummary says in one line what the run did with its test Case.
func cleanupSummary(c check.Cleanup) string {
	caseName := "test Case"
	if c.CaseID != "" {
		caseName += " " + OneLine(c.CaseID)
	}
	switch c.Status {
	case check.CleanupNotNeeded:
		return "not needed (no test Case created)"
	case check.CleanupDeleted:
		if c.Closed {
			return caseName + " closed and deleted"
		}
		return caseName + " deleted"
	case check.CleanupClosed:
		return caseName + " closed"
	case check.CleanupKept:
		if c.Closed {
			return caseName + " kept (closed)"
		}
		return caseName + " kept (open)"
	case check.CleanupFailed:
		s := fmt.Sprintf("FAILED for %s (closed: %t, deleted: %t)", caseName, c.Closed, c.Deleted)
		if c.Message != "" {
			s += ": " + OneLine(c.Message)
		}
		return s
	case "":
		return "not reported"
	default:
		return OneLine(c.Status)
	}
}

// remedyOf returns the remedy and runbook anchor of a failure, falling back
// to the failure table for reports that lack them.
func remedyOf(c failure.Class, remedy, runbook string) (string, string) {
	c = failure.Class(classOrUnknown(c))
	if remedy == "" {
		remedy = c.Remedy()
	}
	if runbook == "" {
		runbook = c.Anchor()
	}
	return remedy, runbook
}

// classOrUnknown names c, or Unknown for a failure without a class.
func classOrUnknown(c failure.Class) string {
	if c == "" {
		return string(failure.Unknown)
	}
	return string(c)
}

// nameWidth is the width of the check name column: the longest name.
func nameWidth(results []check.Result) int {
	width := 0
	for _, n := range check.Names() {
		width = max(width, len(n))
	}
	for _, c := range results {
		width = max(width, len(OneLine(c.Name)))
	}
	return width
}

// seconds converts milliseconds to seconds, never negative.
func seconds(ms int64) float64 { return float64(max(ms, 0)) / 1000 }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OneLine makes s safe to print on one terminal line: line breaks and tabs
// become spaces and other control characters (such as ESC, which could
// drive the terminal) are shown escaped, e.g. \x1b. Texts from Salesforce
// and AWS go through it before a terminal sees them.
func OneLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
