package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
)

// WriteFleet renders the run over several targets to w in format f:
//
//   - text: each target's text report under a rule naming it, the
//     Salesforce calls per org, then one summary line: how many targets,
//     which failed, the sfInvokeAPI calls;
//   - json: exactly the JSON encoding of the check.Fleet;
//   - junit: one testsuite per target, named by its label, its properties
//     naming its org and the org's calls.
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
		sep = "\n" + orgLines(fl.Orgs)
	}
	if _, err := io.WriteString(w, sep+fleetSummary(fl, color)+"\n"); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// maxOrgLabels bounds the targets an org's line of the text report names.
const maxOrgLabels = 10

// orgLines is the text report's table of Salesforce calls per org, e.g.
//
//	Salesforce calls per org (targets on one org share its daily API allowance):
//	  acme.my.salesforce.com: 10 calls, 2 targets: prod-eu, prod-uk
func orgLines(orgs []check.Org) string {
	if len(orgs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Salesforce calls per org (targets on one org share its daily API allowance):\n")
	for _, o := range orgs {
		host := OneLine(o.Host)
		if o.Host == check.OrgUnknown {
			host = "unknown org (TargetConfig did not read SF_HOST)"
		}
		names := make([]string, 0, min(len(o.Targets), maxOrgLabels))
		for _, n := range o.Targets[:min(len(o.Targets), maxOrgLabels)] {
			names = append(names, OneLine(n))
		}
		list := strings.Join(names, ", ")
		if more := len(o.Targets) - len(names); more > 0 {
			list += fmt.Sprintf(" and %d more", more)
		}
		fmt.Fprintf(&b, "  %s: %d %s, %d %s: %s\n", host, o.SalesforceCalls, plural(o.SalesforceCalls, "call", "calls"),
			len(o.Targets), plural(len(o.Targets), "target", "targets"), list)
	}
	return b.String()
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
	orgOf := map[string]check.Org{}
	for _, o := range fl.Orgs {
		orgOf[o.Host] = o
	}
	suites := make([]junitSuite, 0, len(fl.Targets))
	for _, r := range fl.Targets {
		s := junitSuiteOf(r)
		if r.Target != "" {
			s.Name = r.Target
		}
		host := cmp.Or(r.SalesforceHost, check.OrgUnknown)
		if o, ok := orgOf[host]; ok {
			s.Properties = append(s.Properties,
				junitProperty{"salesforce_host", host},
				junitProperty{"org_targets", strconv.Itoa(len(o.Targets))},
				junitProperty{"org_salesforce_calls", strconv.Itoa(o.SalesforceCalls)})
		}
		suites = append(suites, s)
	}
	return writeJUnitSuites(w, suites, fl.DurationMS)
}
