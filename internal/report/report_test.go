package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

var startedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// passingReport is a healthy run of all eight checks.
func passingReport() check.Report {
	r := check.Report{
		Target:     "prod",
		RunID:      "run-1",
		StartedAt:  startedAt,
		DurationMS: 1767,
		Checks: []check.Result{
			{Name: check.TargetConfig, Status: check.Pass, DurationMS: 12, Message: "function sfInvokeAPI found"},
			{Name: check.SecretAccess, Status: check.Pass, DurationMS: 120, Message: "secret readable"},
			{Name: check.KmsKey, Status: check.Pass, DurationMS: 45, Message: "key enabled"},
			{Name: check.ConnectAccess, Status: check.Pass, DurationMS: 30, Message: "Connect may invoke the function"},
			{Name: check.PhoneLookup, Status: check.Pass, DurationMS: 420, Message: "found Contact 003A"},
			{Name: check.CreateCase, Status: check.Pass, DurationMS: 610, Message: "created Case 500A"},
			{Name: check.CloseCase, Status: check.Pass, DurationMS: 380, Message: "closed Case 500A"},
			{Name: check.VerifyCaseClosed, Status: check.Pass, DurationMS: 150, Message: "Case 500A is closed"},
		},
		Cleanup:         check.Cleanup{Status: check.CleanupDeleted, CaseID: "500A", Closed: true, Deleted: true},
		SalesforceCalls: 4,
	}
	r.Finish()
	return r
}

// failingReport is a run whose Salesforce login failed: the chain stopped.
func failingReport() check.Report {
	r := check.Report{
		Target:     "staging",
		RunID:      "run-2",
		StartedAt:  startedAt,
		DurationMS: 987,
		Checks: []check.Result{
			{Name: check.TargetConfig, Status: check.Pass, DurationMS: 12, Message: "function sfInvokeAPI found"},
			{Name: check.SecretAccess, Status: check.Warn, DurationMS: 120, Message: "secret not rotated for 400 days"},
			{Name: check.KmsKey, Status: check.Pass, DurationMS: 45, Message: "key enabled"},
			{Name: check.ConnectAccess, Status: check.Pass, DurationMS: 30, Message: "Connect may invoke the function"},
			{
				Name: check.PhoneLookup, Status: check.Fail, DurationMS: 420,
				ErrorClass: failure.Auth, Message: "INVALID_LOGIN: invalid username, password, security token",
				Remediation: failure.Auth.Remedy(), Runbook: failure.Auth.Anchor(),
			},
			{Name: check.CreateCase, Status: check.Skip, Message: "PhoneLookup failed"},
			{Name: check.CloseCase, Status: check.Skip, Message: "PhoneLookup failed"},
			{Name: check.VerifyCaseClosed, Status: check.Skip, Message: "PhoneLookup failed"},
		},
		Cleanup:         check.Cleanup{Status: check.CleanupNotNeeded},
		SalesforceCalls: 1,
	}
	r.Finish()
	return r
}

// oneCheck is a report of a single check, ok unless it failed.
func oneCheck(res check.Result, cleanup check.Cleanup) check.Report {
	r := check.Report{Target: "prod", RunID: "run-1", StartedAt: startedAt, DurationMS: res.DurationMS, Checks: []check.Result{res}, Cleanup: cleanup, SalesforceCalls: 1}
	r.Finish()
	return r
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    Format
		wantErr string
	}{
		{name: "text", give: "text", want: Text},
		{name: "json", give: "json", want: JSON},
		{name: "junit", give: "junit", want: JUnit},
		{name: "case and space", give: " JUnit ", want: JUnit},
		{name: "unknown", give: "yaml", wantErr: `--output: unknown format "yaml" (known: text, json, junit)`},
		{name: "empty", give: "", wantErr: `--output: unknown format "" (known: text, json, junit)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFormat(tt.give)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, passingReport(), Format("yaml"))
	assert.EqualError(t, err, `write report: unknown format "yaml"`)
}

func TestWriteText(t *testing.T) {
	tests := []struct {
		name string
		give check.Report
		want string
	}{
		{
			name: "all pass",
			give: passingReport(),
			want: `sfprobe  target: prod  run: run-1
PASS  TargetConfig      0.01s  function sfInvokeAPI found
PASS  SecretAccess      0.12s  secret readable
PASS  KmsKey            0.04s  key enabled
PASS  ConnectAccess     0.03s  Connect may invoke the function
PASS  PhoneLookup       0.42s  found Contact 003A
PASS  CreateCase        0.61s  created Case 500A
PASS  CloseCase         0.38s  closed Case 500A
PASS  VerifyCaseClosed  0.15s  Case 500A is closed
cleanup: test Case 500A closed and deleted
sfInvokeAPI calls: 4 (Salesforce API budget)
OK: 8 checks passed
`,
		},
		{
			name: "pass row",
			give: oneCheck(check.Result{Name: check.KmsKey, Status: check.Pass, DurationMS: 420, Message: "key enabled"}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
PASS  KmsKey            0.42s  key enabled
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
OK: 1 check passed
`,
		},
		{
			name: "warn row",
			give: oneCheck(check.Result{Name: check.SecretAccess, Status: check.Warn, DurationMS: 1234, Message: "secret not rotated for 400 days"}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
WARN  SecretAccess      1.23s  secret not rotated for 400 days
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
OK: 1 check passed (1 warning)
`,
		},
		{
			name: "fail row",
			give: oneCheck(check.Result{
				Name: check.CreateCase, Status: check.Fail, DurationMS: 610, ErrorClass: failure.Data,
				Message: "REQUIRED_FIELD_MISSING: Subject", Remediation: "Fix the Case validation rules", Runbook: "docs/RUNBOOK.md#data",
			}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
FAIL  CreateCase        0.61s  REQUIRED_FIELD_MISSING: Subject
      class: data  remedy: Fix the Case validation rules
      runbook: docs/RUNBOOK.md#data
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
FAILED: CreateCase (data)
`,
		},
		{
			name: "fail row without remedy falls back to the failure table",
			give: oneCheck(check.Result{Name: check.KmsKey, Status: check.Fail, DurationMS: 5, ErrorClass: failure.NotFound, Message: "key not found"}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
FAIL  KmsKey            0.01s  key not found
      class: not-found  remedy: ` + failure.NotFound.Remedy() + `
      runbook: docs/RUNBOOK.md#not-found
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
FAILED: KmsKey (not-found)
`,
		},
		{
			name: "skip row",
			give: oneCheck(check.Result{Name: check.CloseCase, Status: check.Skip, Message: "CreateCase failed"}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
SKIP  CloseCase         0.00s  CreateCase failed
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
OK: 0 checks passed (1 skipped)
`,
		},
		{
			name: "failed chain and kept case",
			give: func() check.Report {
				r := failingReport()
				r.Cleanup = check.Cleanup{Status: check.CleanupKept, CaseID: "500B", Closed: true}
				return r
			}(),
			want: `sfprobe  target: staging  run: run-2
PASS  TargetConfig      0.01s  function sfInvokeAPI found
WARN  SecretAccess      0.12s  secret not rotated for 400 days
PASS  KmsKey            0.04s  key enabled
PASS  ConnectAccess     0.03s  Connect may invoke the function
FAIL  PhoneLookup       0.42s  INVALID_LOGIN: invalid username, password, security token
      class: auth  remedy: ` + failure.Auth.Remedy() + `
      runbook: docs/RUNBOOK.md#auth
SKIP  CreateCase        0.00s  PhoneLookup failed
SKIP  CloseCase         0.00s  PhoneLookup failed
SKIP  VerifyCaseClosed  0.00s  PhoneLookup failed
cleanup: test Case 500B kept (closed)
sfInvokeAPI calls: 1 (Salesforce API budget)
FAILED: PhoneLookup (auth)
`,
		},
		{
			name: "cleanup failed",
			give: oneCheck(check.Result{Name: check.VerifyCaseClosed, Status: check.Pass, DurationMS: 150, Message: "Case 500C is closed"}, check.Cleanup{
				Status: check.CleanupFailed, CaseID: "500C", Closed: true, ErrorClass: failure.Permission, Message: "delete: INSUFFICIENT_ACCESS",
			}),
			want: `sfprobe  target: prod  run: run-1
PASS  VerifyCaseClosed  0.15s  Case 500C is closed
cleanup: FAILED for test Case 500C (closed: true, deleted: false): delete: INSUFFICIENT_ACCESS
      class: permission  remedy: ` + failure.Permission.Remedy() + `
      runbook: docs/RUNBOOK.md#permission
sfInvokeAPI calls: 1 (Salesforce API budget)
OK: 1 check passed
`,
		},
		{
			name: "control characters are neutralised",
			give: oneCheck(check.Result{Name: check.PhoneLookup, Status: check.Pass, DurationMS: 1, Message: "line1\nline2\t\x1b[31mred"}, check.Cleanup{Status: check.CleanupNotNeeded}),
			want: `sfprobe  target: prod  run: run-1
PASS  PhoneLookup       0.00s  line1 line2 \x1b[31mred
cleanup: not needed (no test Case created)
sfInvokeAPI calls: 1 (Salesforce API budget)
OK: 1 check passed
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, tt.give, Text))
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

func TestWriteTextColour(t *testing.T) {
	tests := []struct {
		name      string
		giveTTY   bool
		giveNoCol string
		wantColor bool
	}{
		{name: "terminal", giveTTY: true, wantColor: true},
		{name: "terminal with NO_COLOR", giveTTY: true, giveNoCol: "1", wantColor: false},
		{name: "not a terminal", giveTTY: false, wantColor: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.giveNoCol)
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, failingReport(), Text, WithTerminal(tt.giveTTY)))
			out := buf.String()
			if !tt.wantColor {
				assert.NotContains(t, out, "\x1b")
				return
			}
			assert.Contains(t, out, ansiGreen+"PASS"+ansiReset)
			assert.Contains(t, out, ansiYellow+"WARN"+ansiReset)
			assert.Contains(t, out, ansiRed+"FAIL"+ansiReset)
			assert.Contains(t, out, ansiDim+"SKIP"+ansiReset)
			assert.Contains(t, out, ansiBold+ansiRed+"FAILED: PhoneLookup (auth)"+ansiReset+"\n")
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name string
		give check.Report
	}{
		{name: "passing", give: passingReport()},
		{name: "failing", give: failingReport()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, tt.give, JSON, WithTerminal(true)))

			want, err := json.MarshalIndent(tt.give, "", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(want)+"\n", buf.String(), "the check.Report encoding, indented, with a trailing newline")

			var back check.Report
			require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
			assert.Equal(t, tt.give, back)

			var doc map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
			assert.ElementsMatch(t,
				[]string{"ok", "target", "run_id", "started_at", "duration_ms", "checks", "cleanup", "salesforce_calls"},
				keys(doc))
			checks, ok := doc["checks"].([]any)
			require.True(t, ok, "checks is an array")
			require.Len(t, checks, len(tt.give.Checks))
			for _, c := range checks {
				res, ok := c.(map[string]any)
				require.True(t, ok, "a check is an object")
				assert.Subset(t, keys(res), []string{"name", "status", "duration_ms", "error_class", "message", "remediation"})
			}
			_, ok = doc["cleanup"].(map[string]any)
			assert.True(t, ok, "cleanup is an object")
		})
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestProgress(t *testing.T) {
	tests := []struct {
		name    string
		giveTTY bool
		want    string
	}{
		{name: "not a terminal writes nothing", giveTTY: false, want: ""},
		{
			name:    "terminal redraws the line",
			giveTTY: true,
			want: "\r\x1b[K[0 done] PhoneLookup: running" +
				"\r\x1b[K[1 done] PhoneLookup: pass" +
				"\r\x1b[K",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := NewProgress(&buf, tt.giveTTY)
			p.Update(check.PhoneLookup, "running")
			p.Update(check.PhoneLookup, string(check.Pass))
			p.Done()
			p.Update(check.CreateCase, "running")
			p.Done()
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

func TestProgressConcurrent(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, true)
	names := check.Names()
	done := make(chan struct{})
	for _, n := range names {
		go func() {
			defer func() { done <- struct{}{} }()
			p.Update(n, "running")
			p.Update(n, string(check.Pass))
		}()
	}
	for range names {
		<-done
	}
	p.Done()
	out := buf.String()
	assert.Equal(t, 2*len(names)+1, strings.Count(out, "\r\x1b[K"))
	assert.Contains(t, out, "[8 done]")
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, IsTerminal(f), "a regular file")

	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, IsTerminal(w), "a pipe")

	require.NoError(t, f.Close())
	assert.False(t, IsTerminal(f), "a closed file")
}

// TestRetriedChecksInPlainSight: a check that passed only after a retry is
// marked in the text, counted in the verdict, carried in the JSON and as
// JUnit properties.
func TestRetriedChecksInPlainSight(t *testing.T) {
	r := passingReport()
	r.Checks[4].Attempts = 2
	r.Checks[5].Attempts = 3
	r.Finish()

	var text bytes.Buffer
	require.NoError(t, Write(&text, r, Text))
	assert.Regexp(t, `PhoneLookup +\d+\.\d+s  \[2 attempts\]`, text.String())
	assert.Regexp(t, `CreateCase +\d+\.\d+s  \[3 attempts\]`, text.String())
	assert.NotContains(t, text.String(), "TargetConfig  [", "one attempt is not marked")
	assert.Contains(t, text.String(), "OK: 8 checks passed (2 passed only after a retry)")

	var js bytes.Buffer
	require.NoError(t, Write(&js, r, JSON))
	var doc struct {
		Checks []map[string]any `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	assert.EqualValues(t, 2, doc.Checks[4]["attempts"])
	assert.NotContains(t, doc.Checks[0], "attempts", "omitted for one attempt")

	var x bytes.Buffer
	require.NoError(t, Write(&x, r, JUnit))
	assert.Contains(t, x.String(), `<property name="retried_checks" value="2">`)
	assert.Contains(t, x.String(), `<property name="attempts.CreateCase" value="3">`)
}
