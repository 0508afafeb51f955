package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
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
		wantSummary string
	}{
		{
			name:        "one failed",
			give:        fleetOf(passingReport(), failingReport()),
			wantRules:   []string{"=== target 1 of 2: prod ===", "=== target 2 of 2: staging ==="},
			wantSummary: "fleet: 2 targets, 1 failed: staging; sfInvokeAPI calls: 5 (Salesforce API budget)",
		},
		{
			name:        "all passed",
			give:        fleetOf(passingReport()),
			wantRules:   []string{"=== target 1 of 1: prod ==="},
			wantSummary: "fleet: 1 target, 0 failed; sfInvokeAPI calls: 4 (Salesforce API budget)",
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
			want.WriteString(tt.wantSummary + "\n")
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
	assert.ElementsMatch(t, []string{"ok", "run_id", "started_at", "duration_ms", "salesforce_calls", "targets"}, keys(got2))
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
