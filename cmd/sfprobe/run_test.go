package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/targets"
)

// writeFile writes content to name in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

const twoTargets = `
targets:
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: a}
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: b}
`

func TestRunTargetsUsageErrorsExit2BeforeAnyAWSCall(t *testing.T) {
	noAWS(t)
	file := writeFile(t, "fleet.yaml", twoTargets)
	invalid := writeFile(t, "bad.json", `{"max_concurrency": 0, "targets": [{"function": "a", "phone": "1"}]}`)
	unknownProfile := writeFile(t, "profile.yaml", `
targets:
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: ok}
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: nope, profile: no-such-profile}
`)
	emptyConfig := writeFile(t, "config", "")
	t.Setenv("AWS_CONFIG_FILE", emptyConfig)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", emptyConfig)

	tests := []struct {
		name    string
		give    []string
		wantErr []string
	}{
		{"with --function and --phone", []string{"--targets", file, "--function", "x", "--phone", "+441122334455"}, []string{"--targets excludes --function, --phone: each target's settings go in the file"}},
		{"with every target flag", []string{"--targets", file, "--function=x", "--phone=x", "--fields=Id", "--secret-arn=x", "--kms-key-arn=x", "--connect-instance-arn=x", "--name=x", "--keep-cases"}, []string{"--targets excludes --function, --phone, --fields, --secret-arn, --kms-key-arn, --connect-instance-arn, --name, --keep-cases"}},
		{"with --keep-cases=false", []string{"--targets", file, "--keep-cases=false"}, []string{"--targets excludes --keep-cases"}},
		{"with --expect-version", []string{"--targets", file, "--expect-version", "7"}, []string{"--targets excludes --expect-version"}},
		{"--concurrency alone", []string{"--function", "x", "--concurrency", "2"}, []string{"--concurrency: only with --targets FILE"}},
		{"--concurrency 0", []string{"--targets", file, "--concurrency", "0"}, []string{"--concurrency: 0 is out of range: want 1 to 50"}},
		{"--concurrency 51", []string{"--targets", file, "--concurrency", "51"}, []string{"--concurrency: 51 is out of range: want 1 to 50"}},
		{"empty --targets", []string{"--targets", ""}, []string{"--targets: want the path of a YAML or JSON targets file"}},
		{"missing file", []string{"--targets", filepath.Join(t.TempDir(), "none.yaml")}, []string{"--targets: read targets file: open ", "no such file or directory"}},
		{"invalid file", []string{"--targets", invalid}, []string{
			"--targets: targets file " + invalid + ":\n  max_concurrency: 0 is out of range",
			"\n  targets[0].phone: \"1\" is not an E.164 phone number",
		}},
		{"bad --output", []string{"--targets", file, "--output", "xml"}, []string{"--output: unknown format"}},
		{"bad --checks", []string{"--targets", file, "--checks", "Nope"}, []string{`--checks: unknown check "Nope"`}},
		{"bad --timeout", []string{"--targets", file, "--timeout", "0s"}, []string{"--timeout"}},
		{"unknown profile", []string{"--targets", unknownProfile}, []string{"--targets: targets[1] (nope): ", "no-such-profile"}},
		{"unknown --profile", []string{"--targets", file, "--profile", "no-such-profile"}, []string{"--targets: targets[0] (a): ", "no-such-profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runApp(t, nil, append([]string{"run"}, tt.give...)...)
			assert.Equal(t, exitUsage, code, stderr)
			for _, want := range tt.wantErr {
				assert.Contains(t, stderr, want)
			}
			assert.Empty(t, stdout)
			assert.NotContains(t, stderr, "127.0.0.1:1", "no AWS call may be made")
		})
	}
}

func TestRunHelpShowsTargets(t *testing.T) {
	code, stdout, _ := runApp(t, nil, "run", "--help")
	require.Equal(t, exitOK, code)
	for _, want := range []string{"sfprobe run --targets FILE [--concurrency N]", "max_concurrency:", "-targets", "-concurrency", "sfprobe run --targets fleet.yaml"} {
		assert.Contains(t, stdout, want)
	}
}

// fleet parses a targets file and returns its targets with one healthy
// fake deployment each.
func fleet(t *testing.T, file string) ([]check.Target, []*checktest.Deployment) {
	t.Helper()
	f, err := targets.Parse([]byte(file), "fleet.yaml")
	require.NoError(t, err)
	ds := make([]*checktest.Deployment, len(f.Targets))
	for i := range ds {
		ds[i] = checktest.NewDeployment()
	}
	return f.CheckTargets(), ds
}

func depsOf(ds []*checktest.Deployment) []targetDeps {
	out := make([]targetDeps, len(ds))
	for i, d := range ds {
		out[i] = fixedDeps(d.Deps())
	}
	return out
}

// runFleetApp runs runFleet in-process.
func runFleetApp(t *testing.T, ts []check.Target, deps []targetDeps, format report.Format, concurrency int) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(&out, &errOut, func(string) string { return "" })
	code, err := runFleet(context.Background(), a, ts, deps, check.Names(), format, concurrency, check.WithTimeout(time.Minute))
	require.NoError(t, err)
	return code, out.String(), errOut.String()
}

func TestRunFleet(t *testing.T) {
	const file = `
targets:
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: prod-eu}
  - {function: sfInvokeAPI-prod, phone: "+441122334455", name: prod-us}
  - {function: sfInvokeAPI-prod, phone: "+441122334455"}
`
	tests := []struct {
		name       string
		breakIt    int // index of the target whose contact is missing, or -1
		wantCode   int
		wantFailed []string
		wantCalls  int
	}{
		{"all pass", -1, exitOK, nil, 15 + 3},
		{"one fails", 1, exitFailed, []string{"prod-us"}, 11 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, ds := fleet(t, file)
			if tt.breakIt >= 0 {
				ds[tt.breakIt].SFInvokeAPI.Ops["phoneLookup"] = checktest.Reply(map[string]any{"sf_count": 0})
			}
			code, stdout, _ := runFleetApp(t, ts, depsOf(ds), report.JSON, 2)
			assert.Equal(t, tt.wantCode, code)

			var got check.Fleet
			require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
			assert.Equal(t, tt.wantCode == exitOK, got.OK)
			assert.Equal(t, tt.wantFailed, got.FailedTargets())
			assert.Equal(t, tt.wantCalls, got.SalesforceCalls)
			assert.NotEmpty(t, got.RunID)
			require.Len(t, got.Targets, 3)
			for i, want := range []string{"prod-eu", "prod-us", "sfInvokeAPI-prod"} {
				assert.Equal(t, want, got.Targets[i].Target, "reports in file order")
				if i == tt.breakIt {
					assert.Equal(t, []string{check.PhoneLookup}, got.Targets[i].FailedChecks())
				} else {
					assert.True(t, got.Targets[i].OK, "%+v", got.Targets[i])
				}
			}
			for i, d := range ds {
				for _, c := range d.SFInvokeAPI.Calls() {
					assert.Equal(t, ts[i].Function, c.Function, "each target is probed through its own clients")
				}
			}
		})
	}
}

func TestRunFleetText(t *testing.T) {
	ts, ds := fleet(t, twoTargets)
	ds[0].SFInvokeAPI.Ops["phoneLookup"] = checktest.Reply(map[string]any{"sf_count": 0})
	code, stdout, stderr := runFleetApp(t, ts, depsOf(ds), report.Text, 2)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stdout, "=== target 1 of 2: a ===\nsfprobe  target: a  run: ")
	assert.Contains(t, stdout, "=== target 2 of 2: b ===\nsfprobe  target: b  run: ")
	assert.True(t, strings.HasSuffix(stdout, "\nfleet: 2 targets, 1 failed: a; sfInvokeAPI calls: 8 (Salesforce API budget)\n"), stdout)
	assert.Empty(t, stderr, "no progress lines off a terminal")
}

// TestRunFleetRespectsConcurrency: the targets run concurrently, never more
// than the bound at once. Every target's phoneLookup blocks until released;
// in a synctest bubble, synctest.Wait returns once every goroutine is
// blocked, so the count of blocked phoneLookups is then exactly the number
// of targets in flight: no timing involved.
func TestRunFleetRespectsConcurrency(t *testing.T) {
	tests := []struct {
		targets, concurrency int
	}{
		{7, 3},
		{4, 1},
		{5, 5},
		{3, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d targets, %d at once", tt.targets, tt.concurrency), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var b strings.Builder
				b.WriteString("targets:\n")
				for i := range tt.targets {
					fmt.Fprintf(&b, "  - {function: sfInvokeAPI-prod, phone: \"+441122334455\", name: t%d}\n", i)
				}
				ts, ds := fleet(t, b.String())

				var mu sync.Mutex
				blocked, release := 0, make(chan struct{})
				for _, d := range ds {
					next := d.SFInvokeAPI.Ops["phoneLookup"]
					d.SFInvokeAPI.Ops["phoneLookup"] = func(ctx context.Context, c checktest.Call) (*lambda.InvokeOutput, error) {
						mu.Lock()
						blocked++
						ch := release
						mu.Unlock()
						<-ch
						return next(ctx, c)
					}
				}
				done := make(chan int, 1)
				go func() {
					code, _, _ := runFleetApp(t, ts, depsOf(ds), report.JSON, tt.concurrency)
					done <- code
				}()

				var rounds []int
				for {
					synctest.Wait() // every target in flight waits in phoneLookup
					select {
					case code := <-done:
						assert.Equal(t, exitOK, code)
						want := min(tt.concurrency, tt.targets)
						assert.Equal(t, want, slices.Max(rounds), "targets in flight at once, per round: %v", rounds)
						assert.Equal(t, tt.targets, sum(rounds), "every target ran once")
						return
					default:
					}
					mu.Lock()
					rounds = append(rounds, blocked)
					blocked = 0
					close(release)
					release = make(chan struct{})
					mu.Unlock()
				}
			})
		})
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestFleetProgress(t *testing.T) {
	var buf bytes.Buffer
	p := &fleetProgress{w: &buf, on: true, total: 2}
	failed := check.Report{Target: "prod-eu", DurationMS: 2345, Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Fail}, {Name: check.KmsKey, Status: check.Fail}}}
	failed.Finish()
	passed := check.Report{Target: "prod-us", DurationMS: 1000}
	passed.Finish()
	p.finished(failed)
	p.finished(passed)
	assert.Equal(t, "[1/2] prod-eu: FAILED PhoneLookup, KmsKey (2.3s)\n[2/2] prod-us: OK (1.0s)\n", buf.String())

	buf.Reset()
	off := &fleetProgress{w: &buf, total: 1}
	off.finished(passed)
	assert.Empty(t, buf.String(), "nothing off a terminal")
}

// TestRunTargetsAgainstSandbox: `sfprobe run --targets` end to end against
// the local AWS: two targets on the sandbox's sfInvokeAPI, one whose test
// contact does not exist. Exit 1, a fleet report in file order.
func TestRunTargetsAgainstSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sb := sandboxForCLI(t)
	tg := sb.Target
	entry := func(name, phone string) string {
		b, err := json.Marshal(map[string]string{
			"function": tg.Function, "phone": phone, "name": name, "secret_arn": tg.SecretARN,
			"kms_key_arn": tg.KMSKeyARN, "connect_instance_arn": tg.ConnectInstanceARN,
		})
		require.NoError(t, err)
		return string(b)
	}
	file := writeFile(t, "fleet.json", `{"targets": [`+entry("healthy", tg.Phone)+`, `+entry("no-contact", "+15005550006")+`]}`)

	code, stdout, stderr := runApp(t, nil, "run", "--targets", file, "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var got check.Fleet
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	require.Len(t, got.Targets, 2)
	assert.Equal(t, "healthy", got.Targets[0].Target)
	assert.True(t, got.Targets[0].OK, "%+v", got.Targets[0])
	assert.Equal(t, "no-contact", got.Targets[1].Target)
	assert.Equal(t, []string{check.PhoneLookup}, got.Targets[1].FailedChecks())
	assert.Equal(t, []string{"no-contact"}, got.FailedTargets())
	assert.Equal(t, 6+2, got.SalesforceCalls, "the chains' 6 and each SalesforceLogin's /limits")
	assert.Equal(t, 6, sb.Function.Invocations())

	code, stdout, stderr = runApp(t, nil, "run", "--targets", file, "--checks", "TargetConfig,ConnectAccess", "--concurrency", "1", "--output", "junit")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `<testsuite name="healthy"`)
	assert.Contains(t, stdout, `<testsuite name="no-contact"`)
}
