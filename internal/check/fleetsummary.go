package check

import (
	"fmt"
	"strings"
	"time"
)

// MaxSummaryFailedTargets bounds the failed targets a FleetSummary names:
// the summary is an execution output, and Step Functions limits it to
// 256 KiB (1,000 labels of up to 200 characters would not fit).
const MaxSummaryFailedTargets = 100

// ObjectLocation is an S3 object: where a fleet's full report is kept.
type ObjectLocation struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// URI is the location as s3://bucket/key.
func (l ObjectLocation) URI() string { return "s3://" + l.Bucket + "/" + l.Key }

// ParseObjectLocation reads an s3://bucket/key URI.
func ParseObjectLocation(uri string) (ObjectLocation, error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return ObjectLocation{}, fmt.Errorf("%q: want s3://<bucket>/<key>", uri)
	}
	return ObjectLocation{Bucket: bucket, Key: key}, nil
}

// FleetSummary is the execution output of a run whose fleet was too large
// for its reports to travel in the output (a Distributed Map): the counts,
// the failed targets' names and where the full Fleet is (a public
// interface, like Fleet). `sfprobe start` reads the Fleet back from Report.
type FleetSummary struct {
	OK         bool      `json:"ok"`
	RunID      string    `json:"run_id"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	// Targets counts the fleet's targets; Passed, Failed and NotAssessed
	// split them (a target not assessed also counts as failed).
	Targets     int `json:"targets"`
	Passed      int `json:"passed"`
	Failed      int `json:"failed"`
	NotAssessed int `json:"not_assessed"`
	// FailedTargets names the first MaxSummaryFailedTargets failed targets,
	// in the targets' order; FailedTargetsTruncated says there are more.
	FailedTargets          []string `json:"failed_targets"`
	FailedTargetsTruncated bool     `json:"failed_targets_truncated,omitempty"`
	SalesforceCalls        int      `json:"salesforce_calls"`
	// Report is where the full Fleet (JSON) is.
	Report ObjectLocation `json:"report"`
}

// Unassessed reports whether r is the report of a target whose outcome was
// lost (UnassessedReport): no check results, only the reason.
func (r Report) Unassessed() bool { return len(r.Checks) == 0 && r.Error != "" }

// Summary is the fleet's summary, its full report kept at loc.
func (f Fleet) Summary(loc ObjectLocation) FleetSummary {
	s := FleetSummary{OK: f.OK, RunID: f.RunID, StartedAt: f.StartedAt, DurationMS: f.DurationMS,
		Targets: len(f.Targets), SalesforceCalls: f.SalesforceCalls, Report: loc, FailedTargets: []string{}}
	for _, r := range f.Targets {
		if r.OK {
			s.Passed++
			continue
		}
		s.Failed++
		if r.Unassessed() {
			s.NotAssessed++
		}
		if len(s.FailedTargets) < MaxSummaryFailedTargets {
			s.FailedTargets = append(s.FailedTargets, r.Target)
		} else {
			s.FailedTargetsTruncated = true
		}
	}
	return s
}
