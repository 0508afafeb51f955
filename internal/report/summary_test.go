package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
)

// summaryOf is the summary of 3 targets, staging failed, 60 in all when
// more is set (the summary names only the first failed targets).
func summaryOf(more bool) check.FleetSummary {
	s := fleetOf(passingReport(), failingReport(), passingReport()).Summary(check.ObjectLocation{Bucket: "results", Key: "runs/fleet-1/fleet.json"})
	if more {
		s.Targets, s.Passed, s.Failed, s.FailedTargetsTruncated = 60, 2, 58, true
	}
	return s
}

func TestWriteFleetSummaryText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteFleetSummary(&buf, summaryOf(false), Text))
	assert.Equal(t, "fleet: 3 targets, 1 failed: staging; sfInvokeAPI calls: 9 (Salesforce API budget)\n"+
		"passed 2, failed 1 (0 not assessed); full report: s3://results/runs/fleet-1/fleet.json\n", buf.String())

	buf.Reset()
	require.NoError(t, WriteFleetSummary(&buf, summaryOf(true), Text))
	assert.Contains(t, buf.String(), "58 failed: staging and 57 more;")
}

func TestWriteFleetSummaryJSON(t *testing.T) {
	s := summaryOf(false)
	var buf bytes.Buffer
	require.NoError(t, WriteFleetSummary(&buf, s, JSON))
	var got check.FleetSummary
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, s, got)
}

func TestWriteFleetSummaryJUnit(t *testing.T) {
	tests := []struct {
		name         string
		more         bool
		wantCases    []string
		wantFailures int
	}{
		{"all failed targets named", false, []string{"staging", "2 passed targets"}, 1},
		{"more failed than named", true, []string{"staging", "57 more failed targets", "2 passed targets"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteFleetSummary(&buf, summaryOf(tt.more), JUnit))
			var got gotSuites
			require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
			require.Len(t, got.Suites, 1)
			var names []string
			for _, c := range got.Suites[0].Cases {
				names = append(names, c.Name)
				if c.Failure != nil {
					assert.Contains(t, c.Failure.Message, "s3://results/runs/fleet-1/fleet.json")
				}
			}
			assert.Equal(t, tt.wantCases, names)
			assert.Equal(t, tt.wantFailures, got.Failures)
			validateJUnit(t, buf.Bytes())
		})
	}
}
