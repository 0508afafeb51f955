package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
)

// fleetOf gathers reports into a fleet that took 2.5 s.
func fleetOf(reports ...check.Report) check.Fleet {
	return check.NewFleet("fleet-1", startedAt, 2500*time.Millisecond, reports)
}

func TestWriteFleetText(t *testing.T) {
	tests := []struct {
		name        string
		give        check.Fleet
		wantRules   []string
		wantOrgs    string
		wantSummary string
	}{
		{
			name:      "one failed",
			give:      fleetOf(passingReport(), failingReport()),
			wantRules: []string{"=== target 1 of 2: prod ===", "=== target 2 of 2: staging ==="},
			wantOrgs: "Salesforce calls per org (targets on one org share its daily API allowance):\n" +
				"  unknown org (TargetConfig did not read SF_HOST): 5 calls, 2 targets: prod, staging\n",
			wantSummary: "fleet: 2 targets, 1 failed: staging; sfInvokeAPI calls: 5 (Salesforce API budget)",
		},
		{
			name:      "all passed",
			give:      fleetOf(passingReport()),
			wantRules: []string{"=== target 1 of 1: prod ==="},
			wantOrgs: "Salesforce calls per org (targets on one org share its daily API allowance):\n" +
				"  unknown org (TargetConfig did not read SF_HOST): 4 calls, 1 target: prod\n",
			wantSummary: "fleet: 1 target, 0 failed; sfInvokeAPI calls: 4 (Salesforce API budget)",
		},
		{
			name:      "two orgs",
			give:      fleetOf(onOrg(passingReport(), "acme.my.salesforce.com"), onOrg(failingReport(), "acme.my.salesforce.com"), onOrg(named(passingReport(), "uk"), "zeta.my.salesforce.com")),
			wantRules: []string{"=== target 1 of 3: prod ===", "=== target 2 of 3: staging ===", "=== target 3 of 3: uk ==="},
			wantOrgs: "Salesforce calls per org (targets on one org share its daily API allowance):\n" +
				"  acme.my.salesforce.com: 5 calls, 2 targets: prod, staging\n" +
				"  zeta.my.salesforce.com: 4 calls, 1 target: uk\n",
			wantSummary: "fleet: 3 targets, 1 failed: staging; sfInvokeAPI calls: 9 (Salesforce API budget)",
		},
		{
			name:        "no targets",
			give:        fleetOf(),
			wantSummary: "fleet: 0 targets, 0 failed; sfInvokeAPI calls: 0 (Salesforce API budget)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteFleet(&buf, tt.give, Text))

			// Each target's own text report under its rule, then the summary.
			var want strings.Builder
			for i, r := range tt.give.Targets {
				want.WriteString(tt.wantRules[i] + "\n")
				require.NoError(t, Write(&want, r, Text))
				want.WriteString("\n")
			}
			want.WriteString(tt.wantOrgs + tt.wantSummary + "\n")
			assert.Equal(t, want.String(), buf.String())
		})
	}
}

func TestWriteFleetTextColour(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fleetOf(passingReport(), failingReport()), Text, WithTerminal(true)))
	assert.Contains(t, buf.String(), ansiBold+ansiRed+"fleet: 2 targets, 1 failed: staging;")

	buf.Reset()
	require.NoError(t, WriteFleet(&buf, fleetOf(passingReport()), Text, WithTerminal(true)))
	assert.Contains(t, buf.String(), ansiBold+ansiGreen+"fleet: 1 target, 0 failed;")

	t.Setenv("NO_COLOR", "1")
	buf.Reset()
	require.NoError(t, WriteFleet(&buf, fleetOf(failingReport()), Text, WithTerminal(true)))
	assert.NotContains(t, buf.String(), "\x1b[")
}

func TestWriteFleetTextCleansLabels(t *testing.T) {
	r := failingReport()
	r.Target = "evil\x1b[2Jlabel"
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fleetOf(r), Text))
	assert.NotContains(t, buf.String(), "\x1b")
	assert.Contains(t, buf.String(), `1 failed: evil\x1b[2Jlabel;`)
}

func TestWriteFleetJSON(t *testing.T) {
	fl := fleetOf(passingReport(), failingReport())
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fl, JSON))

	want, err := json.MarshalIndent(fl, "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", buf.String(), "exactly the Fleet, indented like a report")

	var got check.Fleet
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, fl, got)
	assert.False(t, got.OK)
	assert.Equal(t, 5, got.SalesforceCalls)
	assert.Equal(t, []string{"staging"}, got.FailedTargets())

	var got2 map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got2))
	assert.ElementsMatch(t, []string{"ok", "run_id", "started_at", "duration_ms", "salesforce_calls", "targets", "orgs"}, keys(got2))
}

// onOrg puts r on the org host, as TargetConfig found it.
func onOrg(r check.Report, host string) check.Report {
	r.SalesforceHost = host
	return r
}

func named(r check.Report, label string) check.Report {
	r.Target = label
	return r
}

func TestWriteFleetTextNamesAtMostTenTargetsPerOrg(t *testing.T) {
	var rs []check.Report
	for i := range 12 {
		rs = append(rs, onOrg(named(passingReport(), fmt.Sprintf("t%02d", i)), "acme.my.salesforce.com"))
	}
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fleetOf(rs...), Text))
	assert.Contains(t, buf.String(), "  acme.my.salesforce.com: 48 calls, 12 targets: t00, t01, t02, t03, t04, t05, t06, t07, t08, t09 and 2 more\n")
}

func TestWriteFleetJUnitNamesTheOrg(t *testing.T) {
	fl := fleetOf(onOrg(passingReport(), "acme.my.salesforce.com"), onOrg(failingReport(), "acme.my.salesforce.com"), named(passingReport(), "uk"))
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fl, JUnit))
	validateJUnit(t, buf.Bytes())
	var got struct {
		Suites []struct {
			Name       string `xml:"name,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	props := map[string]map[string]string{}
	for _, s := range got.Suites {
		props[s.Name] = map[string]string{}
		for _, p := range s.Properties {
			props[s.Name][p.Name] = p.Value
		}
	}
	assert.Equal(t, "acme.my.salesforce.com", props["staging"]["salesforce_host"])
	assert.Equal(t, "2", props["staging"]["org_targets"])
	assert.Equal(t, "5", props["staging"]["org_salesforce_calls"], "the org's calls: prod's 4 and staging's 1")
	assert.Equal(t, check.OrgUnknown, props["uk"]["salesforce_host"])
	assert.Equal(t, "1", props["uk"]["org_targets"])
}

func TestWriteFleetJUnit(t *testing.T) {
	tests := []struct {
		name string
		give check.Fleet
	}{
		{"two targets", fleetOf(passingReport(), failingReport())},
		{"one target", fleetOf(failingReport())},
		{"no targets", fleetOf()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteFleet(&buf, tt.give, JUnit))
			assert.True(t, strings.HasPrefix(buf.String(), xml.Header))
			validateJUnit(t, buf.Bytes())

			var got gotSuites
			require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
			assert.Equal(t, "sfprobe", got.Name)
			require.Len(t, got.Suites, len(tt.give.Targets))
			tests, failures := 0, 0
			for i, s := range got.Suites {
				r := tt.give.Targets[i]
				assert.Equal(t, r.Target, s.Name, "one suite per target, named by its label")
				assert.Equal(t, len(r.Checks), s.Tests)
				assert.Equal(t, len(r.FailedChecks()), s.Failures)
				for _, c := range s.Cases {
					assert.Equal(t, "sfprobe."+r.Target, c.Classname)
				}
				tests += len(r.Checks)
				failures += len(r.FailedChecks())
			}
			assert.Equal(t, tests, got.Tests)
			assert.Equal(t, failures, got.Failures)
		})
	}
}

func TestWriteFleetJUnitTime(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteFleet(&buf, fleetOf(passingReport(), failingReport()), JUnit))
	var got struct {
		Time string `xml:"time,attr"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, "2.500", got.Time, "the fleet's wall time, not the sum of the targets'")
}

func TestWriteFleetUnknownFormat(t *testing.T) {
	err := WriteFleet(&bytes.Buffer{}, fleetOf(), Format("yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown format "yaml"`)
}
