package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sfn"
)

// fakeResults is the stack's results bucket in memory.
type fakeResults struct {
	objects map[string]string
	err     error
}

func (f *fakeResults) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	body, ok := f.objects["s3://"+*in.Bucket+"/"+*in.Key]
	if !ok {
		return nil, &s3types.NoSuchKey{Message: new("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(body))}, nil
}

// distributedRun is a finished run of three targets on the Distributed
// Map (us failed), as sfn.Outcome reads it, and its full fleet report.
func distributedRun(t *testing.T, status string) (sfn.Outcome, string) {
	t.Helper()
	r := func(name string, ok bool) check.Report {
		st := check.Pass
		if !ok {
			st = check.Fail
		}
		return check.Report{OK: ok, Target: name, RunID: "start-1-" + name, SalesforceCalls: 5, Cleanup: check.Cleanup{Status: check.CleanupDeleted},
			Checks: []check.Result{{Name: check.PhoneLookup, Status: st, Message: "lookup answered for password=SECRETVALUE123"}}}
	}
	ok := status == "SUCCEEDED"
	f := check.NewFleet("start-1", time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), time.Second, []check.Report{r("eu", true), r("us", ok), r("ap", true)})
	body, err := json.Marshal(f)
	require.NoError(t, err)
	s := f.Summary(check.ObjectLocation{Bucket: "results", Key: "runs/start-1/fleet.json"})
	out := sfn.Outcome{ExecutionARN: "arn:aws:states:eu-west-2:123456789012:execution:sfprobe:start-1", Status: status, Summary: &s}
	if !ok {
		out.Error = "ChecksFailed"
	}
	return out, string(body)
}

func TestFinishStartReadsTheFleetFromS3(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	tests := []struct {
		name       string
		status     string
		results    *fakeResults // nil: --summary-only
		format     report.Format
		missing    bool
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "failed fleet read back", status: "FAILED", format: report.Text, wantCode: exitFailed,
			wantStdout: []string{"=== target 2 of 3: us ===", "fleet: 3 targets, 1 failed: us;"},
			wantStderr: []string{"report    s3://results/runs/start-1/fleet.json"}},
		{name: "passed fleet read back, JSON", status: "SUCCEEDED", format: report.JSON, wantCode: exitOK,
			wantStdout: []string{`"targets": [`, `"target": "ap"`}},
		{name: "failed fleet read back, JUnit", status: "FAILED", format: report.JUnit, wantCode: exitFailed,
			wantStdout: []string{`<testsuite name="us"`}},
		{name: "expired by the lifecycle", status: "FAILED", format: report.Text, missing: true, wantCode: exitFailed,
			wantStdout: []string{"fleet: 3 targets, 1 failed: us;", "passed 2, failed 1 (0 not assessed); full report: s3://results/runs/start-1/fleet.json"},
			wantStderr: []string{"warning: read the fleet report s3://results/runs/start-1/fleet.json: no such object", "lifecycle", "the run's summary follows"}},
		{name: "expired, the run passed", status: "SUCCEEDED", format: report.JSON, missing: true, wantCode: exitOK,
			wantStdout: []string{`"report": {`, `"passed": 3`},
			wantStderr: []string{"no such object"}},
		{name: "no access", status: "FAILED", format: report.Text, results: &fakeResults{err: denied}, wantCode: exitFailed,
			wantStdout: []string{"fleet: 3 targets, 1 failed: us;"},
			wantStderr: []string{"access denied", "s3:GetObject on arn:aws:s3:::results/runs/start-1/fleet.json", "s3:ListBucket on arn:aws:s3:::results"}},
		{name: "another run's report", status: "FAILED", format: report.Text, results: &fakeResults{objects: map[string]string{
			"s3://results/runs/start-1/fleet.json": `{"run_id": "start-0", "targets": []}`}}, wantCode: exitFailed,
			wantStdout: []string{"fleet: 3 targets, 1 failed: us;"},
			wantStderr: []string{`it is run "start-0"'s, not this run's ("start-1")`}},
		{name: "summary only", status: "FAILED", format: report.JUnit, wantCode: exitFailed,
			wantStdout: []string{`<testsuite name="fleet"`, `<testcase name="us"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, body := distributedRun(t, tt.status)
			var api sfn.ObjectGetter
			switch {
			case tt.results != nil:
				api = tt.results
			case tt.missing:
				api = &fakeResults{objects: map[string]string{}}
			case tt.name != "summary only":
				api = &fakeResults{objects: map[string]string{"s3://results/runs/start-1/fleet.json": body}}
			}
			var stdout, stderr bytes.Buffer
			a := newApp(&stdout, &stderr, func(string) string { return "" })
			code, err := finishStart(context.Background(), a, out, tt.format, api)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCode, code, stderr.String())
			for _, want := range tt.wantStdout {
				assert.Contains(t, stdout.String(), want)
			}
			for _, want := range tt.wantStderr {
				assert.Contains(t, stderr.String(), want)
			}
			assert.NotContains(t, stdout.String(), "SECRETVALUE123", "the report read from S3 is redacted")
		})
	}
}

func TestStartFleetInputErrorsBeforeAnyAWSCall(t *testing.T) {
	noAWS(t)
	const sm = "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe"
	dir := t.TempDir()
	// 1,000 targets with long labels: more than 256 KiB of execution input.
	var targets []string
	for i := range 1000 {
		targets = append(targets, fmt.Sprintf(`{"function": "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-%03d", "phone": "+441122334455", "fields": "Id, Name, Email, Phone", "name": "target-%03d-%s"}`, i, i, strings.Repeat("x", 180)))
	}
	big := filepath.Join(dir, "input.json")
	require.NoError(t, os.WriteFile(big, []byte(`{"targets": [`+strings.Join(targets, ",")+`]}`), 0o600))
	both := filepath.Join(dir, "both.json")
	require.NoError(t, os.WriteFile(both, []byte(`{"targets_object": {"bucket": "b", "key": "k"}, "targets": [`+targets[0]+`]}`), 0o600))
	noKey := filepath.Join(dir, "nokey.json")
	require.NoError(t, os.WriteFile(noKey, []byte(`{"targets_object": {"bucket": "b"}}`), 0o600))
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{"input over 256 KiB", []string{"--input", big, "--wait"}, "--input " + big + ": the execution input is"},
		{"input over 256 KiB asks for an object", []string{"--input", big}, "pass --targets-object s3://<bucket>/<key>"},
		{"targets object not s3", []string{"--targets-object", "https://bucket/key"}, `--targets-object: "https://bucket/key": want s3://<bucket>/<key>`},
		{"targets object without key", []string{"--targets-object", "s3://bucket"}, "--targets-object:"},
		{"targets object and file", []string{"--targets-object", "s3://b/k", "--targets", "t.yaml"}, "--targets and --targets-object exclude each other"},
		{"targets object and input", []string{"--targets-object", "s3://b/k", "--input", big}, "--targets-object and --input exclude each other"},
		{"targets object and function", []string{"--targets-object", "s3://b/k", "--function", "f"}, "--targets-object excludes --function"},
		{"targets object on an Express workflow", []string{"--targets-object", "s3://b/k", "--type", "express"}, "is an Express state machine: more than 50 targets (or targets in S3) run on the Distributed Map"},
		{"input with targets object and targets", []string{"--input", both}, "targets_object excludes target and targets"},
		{"input with a targets object without key", []string{"--input", noKey}, "targets_object: want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runApp(t, nil, append([]string{"start", "--state-machine", sm}, tt.give...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.NotContains(t, stderr, "127.0.0.1:1", "no AWS call")
		})
	}
}

func TestStartBoundsItsNotesOnAFleet(t *testing.T) {
	noAWS(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  - {name: t%02d, function: sfInvokeAPI-%02d, phone: \"+441122334455\"}\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "targets.yaml")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o600))

	_, _, stderr := runApp(t, nil, "start", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:sfprobe", "--targets", file, "--timeout", "2s")

	assert.Equal(t, 10, strings.Count(stderr, "is not an ARN"), stderr)
	assert.Contains(t, stderr, "note: and 2 more targets like these")
}
