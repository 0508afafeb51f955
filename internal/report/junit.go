package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/sfprobe/sfprobe/internal/check"
)

// The JUnit XML follows the Jenkins xUnit plugin's junit-10.xsd (a copy is in
// testdata): <testsuites> holds one <testsuite name="sfprobe"> per report and
// each suite one <testcase> per check.

// junitTimestamp is the testsuite timestamp layout: ISO 8601 in UTC without
// a zone, as Ant and Surefire write it.
const junitTimestamp = "2006-01-02T15:04:05"

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	ID         string          `xml:"id,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
	SystemErr  string          `xml:"system-err,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitMessage is a <skipped>, <failure> or <error> element.
type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnitMulti writes the reports of many targets as one JUnit XML
// document with one testsuite per report; the document's time is the sum
// of theirs.
func WriteJUnitMulti(w io.Writer, reports []check.Report) error {
	suites := make([]junitSuite, 0, len(reports))
	var ms int64
	for _, r := range reports {
		suites = append(suites, junitSuiteOf(r.Redacted()))
		ms += max(r.DurationMS, 0)
	}
	return writeJUnitSuites(w, suites, ms)
}

// writeJUnitSuites writes suites as one JUnit XML document that took ms.
func writeJUnitSuites(w io.Writer, suites []junitSuite, ms int64) error {
	doc := junitSuites{Name: "sfprobe", Time: junitSeconds(ms), Suites: suites}
	for _, s := range suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(out)+"\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// junitSuiteOf maps one report to its testsuite.
func junitSuiteOf(r check.Report) junitSuite {
	s := junitSuite{
		Name: "sfprobe",
		Time: junitSeconds(r.DurationMS),
		ID:   r.RunID,
		Properties: []junitProperty{
			{"target", r.Target},
			{"run_id", r.RunID},
			{"ok", strconv.FormatBool(r.OK)},
			{"salesforce_calls", strconv.Itoa(r.SalesforceCalls)},
			{"cleanup", r.Cleanup.Status},
		},
		Cases: make([]junitCase, 0, len(r.Checks)),
	}
	s.Properties = append(s.Properties, invocationProperties(r)...)
	if !r.StartedAt.IsZero() {
		s.Timestamp = r.StartedAt.UTC().Format(junitTimestamp)
	}
	classname := "sfprobe"
	if r.Target != "" {
		classname += "." + r.Target
	}
	for _, c := range r.Checks {
		tc := junitCase{Name: c.Name, Classname: classname, Time: junitSeconds(c.DurationMS)}
		switch c.Status {
		case check.Pass:
			tc.SystemOut = c.Message
		case check.Warn:
			tc.SystemOut = "warning: " + c.Message
		case check.Skip:
			tc.Skipped = &junitMessage{Message: c.Message}
			s.Skipped++
		case check.Fail:
			class := classOrUnknown(c.ErrorClass)
			remedy, runbook := remedyOf(c.ErrorClass, c.Remediation, c.Runbook)
			tc.Failure = &junitMessage{
				Message: "[" + class + "] " + c.Message,
				Type:    class,
				Text:    fmt.Sprintf("class: %s\nmessage: %s\nremedy: %s\nrunbook: %s", class, c.Message, remedy, runbook),
			}
			s.Failures++
		default:
			tc.Error = &junitMessage{
				Message: fmt.Sprintf("unknown check status %q", c.Status),
				Type:    "status",
				Text:    c.Message,
			}
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	if n := r.Retried(); n > 0 {
		s.Properties = append(s.Properties, junitProperty{"retried_checks", strconv.Itoa(n)})
	}
	for _, c := range r.Checks {
		if c.Attempts > 1 {
			s.Properties = append(s.Properties, junitProperty{"attempts." + c.Name, strconv.Itoa(c.Attempts)})
		}
	}

	s.SystemOut = fmt.Sprintf("cleanup: %s\nsfInvokeAPI calls: %d (Salesforce API budget)", cleanupSummary(r.Cleanup), r.SalesforceCalls)
	if r.Cleanup.Status == check.CleanupFailed {
		remedy, runbook := remedyOf(r.Cleanup.ErrorClass, "", "")
		s.SystemErr = fmt.Sprintf("cleanup failed [%s]: %s\nremedy: %s\nrunbook: %s",
			classOrUnknown(r.Cleanup.ErrorClass), r.Cleanup.Message, remedy, runbook)
	}
	return s
}

// invocationProperties are the REPORT figures as testsuite properties
// (junit-10.xsd has none on a testcase): the run's longest duration and
// cold start, then each chain check's figures, named <Check>.<field> as in
// the JSON report.
func invocationProperties(r check.Report) []junitProperty {
	h, ok := r.Health()
	if !ok {
		return nil
	}
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	out := []junitProperty{{"target_duration_ms", ms(h.LongestMS)}}
	if h.ColdStartMS > 0 {
		out = append(out, junitProperty{"target_cold_start_ms", ms(h.ColdStartMS)})
	}
	for _, c := range r.Checks {
		inv := c.Invocation
		if inv == nil {
			continue
		}
		p := c.Name + "."
		out = append(out,
			junitProperty{p + "duration_ms", ms(inv.DurationMS)},
			junitProperty{p + "billed_duration_ms", ms(inv.BilledDurationMS)},
			junitProperty{p + "memory_size_mb", strconv.Itoa(inv.MemorySizeMB)},
			junitProperty{p + "max_memory_used_mb", strconv.Itoa(inv.MaxMemoryUsedMB)})
		if inv.InitDurationMS > 0 {
			out = append(out, junitProperty{p + "init_duration_ms", ms(inv.InitDurationMS)})
		}
		if inv.ExecutedVersion != "" {
			out = append(out, junitProperty{p + "executed_version", inv.ExecutedVersion})
		}
	}
	return out
}

// junitSeconds formats milliseconds as the xsd's SUREFIRE_TIME, e.g. 0.420.
func junitSeconds(ms int64) string {
	return strconv.FormatFloat(seconds(ms), 'f', 3, 64)
}
