package sfn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sfprobe/sfprobe/internal/check"
)

func TestOutcomeReadsReportOrFleet(t *testing.T) {
	const report = `{"ok": false, "target": "eu", "run_id": "exec-0", "checks": [{"name": "PhoneLookup", "status": "fail", "error_class": "auth"}], "cleanup": {"status": "not-needed"}}`
	const passed = `{"ok": true, "target": "eu", "run_id": "exec-0", "checks": [{"name": "PhoneLookup", "status": "pass"}], "cleanup": {"status": "deleted"}}`
	fleet := `{"ok": false, "run_id": "exec", "salesforce_calls": 5, "targets": [` + passed + `,` + report + `]}`
	tests := []struct {
		name       string
		status     string
		errName    string
		cause      string
		output     string
		wantReport bool
		wantFleet  bool
		wantPassed bool
		wantTrunc  bool
		// wantSummary: a Distributed Map run's FleetSummary.
		wantSummary bool
	}{
		{name: "one target passed", status: "SUCCEEDED", output: passed, wantReport: true, wantPassed: true},
		{name: "several targets passed", status: "SUCCEEDED", output: `{"ok": true, "run_id": "exec", "targets": [` + passed + `]}`, wantFleet: true, wantPassed: true},
		{name: "paused fleet", status: "SUCCEEDED", output: `{"ok": true, "targets": []}`, wantFleet: true, wantPassed: true},
		{name: "one target failed", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_checks": ["PhoneLookup"], "report": ` + report + `}`, wantReport: true},
		{name: "several targets failed", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_targets": ["eu"], "fleet": ` + fleet + `}`, wantFleet: true},
		{name: "cause truncated to names", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_targets": ["eu"], "failed_checks": {"eu": ["PhoneLookup"]}, "truncated": true}`, wantTrunc: true},
		{name: "cause truncated to the failed targets", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_targets": ["eu"], "fleet": ` + fleet + `, "truncated": true}`, wantFleet: true, wantTrunc: true},
		{name: "run broken", status: "FAILED", errName: "RunBroken", cause: `{"Error": "States.Timeout"}`},
		{name: "bad input", status: "FAILED", errName: "BadInput", cause: `scope: want "all", "salesforce" or "aws"`},
		{name: "output not JSON", status: "SUCCEEDED", output: `{`},
		{name: "output without checks", status: "SUCCEEDED", output: `{"ok": true}`},
		{name: "timed out", status: "TIMED_OUT"},
		{name: "distributed fleet passed", status: "SUCCEEDED", output: summary(true), wantSummary: true, wantPassed: true},
		{name: "distributed fleet failed", status: "FAILED", errName: "ChecksFailed", cause: summary(false), wantSummary: true},
		{name: "distributed fleet failed, wrapped", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_targets": ["eu"], "summary": ` + summary(false) + `}`, wantSummary: true},
		{name: "distributed fleet failed, as the fleet", status: "FAILED", errName: "ChecksFailed", cause: `{"ok": false, "failed_targets": ["eu"], "fleet": ` + summary(false) + `}`, wantSummary: true},
		{name: "summary without its location", status: "SUCCEEDED", output: `{"ok": true, "targets": 3, "report": {"bucket": "results"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Outcome{Status: tt.status, Error: tt.errName, Cause: tt.cause}
			o.readReport(tt.output)
			assert.Equal(t, tt.wantReport, o.Report != nil, "report")
			assert.Equal(t, tt.wantFleet, o.Fleet != nil, "fleet")
			assert.Equal(t, tt.wantPassed, o.Passed())
			assert.Equal(t, tt.wantTrunc, o.Truncated)
			assert.Equal(t, tt.wantSummary, o.Summary != nil, "summary")
			if tt.wantSummary {
				assert.Equal(t, check.ObjectLocation{Bucket: "results", Key: "runs/exec/fleet.json"}, o.Summary.Report)
				assert.Equal(t, 60, o.Summary.Targets)
			}
			assert.False(t, o.Paused())
			if tt.wantTrunc && !tt.wantFleet {
				assert.Equal(t, map[string][]string{"eu": {"PhoneLookup"}}, o.FailedChecks)
			}
		})
	}
}

// summary is a FleetSummary of 60 targets.
func summary(ok bool) string {
	passed, failed, names := 59, 1, `["eu"]`
	if ok {
		passed, failed, names = 60, 0, `[]`
	}
	return fmt.Sprintf(`{"ok": %t, "run_id": "exec", "targets": 60, "passed": %d, "failed": %d, "not_assessed": 0, "failed_targets": %s, "salesforce_calls": 300, "report": {"bucket": "results", "key": "runs/exec/fleet.json"}}`, ok, passed, failed, names)
}

func TestConsoleURL(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{"arn:aws:states:eu-west-2:123456789012:execution:sfprobe:start-1",
			"https://eu-west-2.console.aws.amazon.com/states/home?region=eu-west-2#/v2/executions/details/arn:aws:states:eu-west-2:123456789012:execution:sfprobe:start-1"},
		{"arn:aws-cn:states:cn-north-1:123456789012:execution:sfprobe:x",
			"https://cn-north-1.console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/arn:aws-cn:states:cn-north-1:123456789012:execution:sfprobe:x"},
		{"not an arn", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ConsoleURL(tt.give), tt.give)
	}
}

func TestOutcomePaused(t *testing.T) {
	paused := `{"ok": true, "paused": true, "target": "eu", "checks": [{"name": "PhoneLookup", "status": "skip"}], "cleanup": {"status": "not-needed"}}`
	for _, output := range []string{paused, `{"ok": true, "targets": [` + paused + `]}`} {
		o := Outcome{Status: "SUCCEEDED"}
		o.readReport(output)
		assert.True(t, o.Paused(), output)
		assert.True(t, o.Passed(), output)
	}
}

func TestInputEncode(t *testing.T) {
	in := Input{TargetsObject: &check.ObjectLocation{Bucket: "fleet", Key: "targets.json"}, Scope: "aws"}
	got, err := in.Encode()
	assert.NoError(t, err)
	assert.JSONEq(t, `{"targets_object": {"bucket": "fleet", "key": "targets.json"}, "scope": "aws"}`, got, "the input the workflow's Distributed Map reads")

	big := Input{}
	for range 2000 {
		big.Targets = append(big.Targets, check.Target{Function: "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-with-a-long-name", Phone: "+441122334455", Name: strings.Repeat("x", 100)})
	}
	_, err = big.Encode()
	var tooLarge *InputTooLargeError
	if assert.ErrorAs(t, err, &tooLarge) {
		assert.Greater(t, tooLarge.Bytes, MaxInputBytes)
	}
}
