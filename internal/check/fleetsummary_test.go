package check_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
)

func TestFleetSummary(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var reports []check.Report
	for i := range check.MaxSummaryFailedTargets + 5 {
		reports = append(reports, check.Report{Target: fmt.Sprintf("t%d", i), OK: false, Checks: []check.Result{{Name: "PhoneLookup", Status: check.Fail}}, SalesforceCalls: 1})
	}
	reports = append(reports,
		check.Report{Target: "ok", OK: true, Checks: []check.Result{{Name: "PhoneLookup", Status: check.Pass}}, SalesforceCalls: 4},
		check.UnassessedReport(check.Target{Function: "lost"}, "run-9", at, "the target's outcome was lost"))
	loc := check.ObjectLocation{Bucket: "b", Key: "runs/run/fleet.json"}
	s := check.NewFleet("run", at, time.Second, reports).Summary(loc)
	assert.False(t, s.OK)
	assert.Equal(t, len(reports), s.Targets)
	assert.Equal(t, 1, s.Passed)
	assert.Equal(t, len(reports)-1, s.Failed)
	assert.Equal(t, 1, s.NotAssessed)
	assert.Len(t, s.FailedTargets, check.MaxSummaryFailedTargets)
	assert.True(t, s.FailedTargetsTruncated)
	assert.Equal(t, "t0", s.FailedTargets[0])
	assert.Equal(t, check.MaxSummaryFailedTargets+5+4, s.SalesforceCalls)
	assert.Equal(t, "s3://b/runs/run/fleet.json", s.Report.URI())

	ok := check.NewFleet("run", at, time.Second, reports[len(reports)-2:len(reports)-1]).Summary(loc)
	assert.True(t, ok.OK)
	assert.Equal(t, []string{}, ok.FailedTargets)
	assert.False(t, ok.FailedTargetsTruncated)
}

func TestParseObjectLocation(t *testing.T) {
	got, err := check.ParseObjectLocation("s3://bucket/runs/a/fleet.json")
	require.NoError(t, err)
	assert.Equal(t, check.ObjectLocation{Bucket: "bucket", Key: "runs/a/fleet.json"}, got)
	for _, bad := range []string{"", "bucket/key", "s3://bucket", "s3://bucket/", "s3:///key", "https://bucket/key"} {
		_, err := check.ParseObjectLocation(bad)
		assert.Error(t, err, bad)
	}
}
