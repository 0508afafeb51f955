package sandbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// The sandbox's test phone in the forms a log line must never show, and
// the masked form it shows instead.
const (
	phoneE164     = sim.DefaultPhone
	phoneDigits   = "441122334455"
	phoneNational = "1122334455"
	phoneMasked   = "+********4455"
)

// hygieneRun is one workflow run of the hygiene test.
type hygieneRun struct {
	name   string
	faults []string
	wantOK bool
}

// requiredHygieneRuns are the runs both paths make: a pass, and failures
// that carry Salesforce, Secrets Manager and KMS errors, and a Lambda error
// the workflow catches (throttled: retried, then caught).
var requiredHygieneRuns = []hygieneRun{
	{"pass", nil, true},
	{"auth-expired", []string{"auth-expired"}, false},
	{"create-rejected", []string{"create-rejected"}, false},
	{sandbox.FaultSecretMissingKey, []string{sandbox.FaultSecretMissingKey}, false},
	{sandbox.FaultKeyDisabled, []string{sandbox.FaultKeyDisabled}, false},
	{"caught-throttled", []string{"throttled"}, false},
	// The real function's error quotes its token URL, credentials and all.
	{"login-host-unreachable", []string{"login-host-unreachable"}, false},
}

// allHygieneRuns adds every other fault.
func allHygieneRuns() []hygieneRun {
	runs := append([]hygieneRun(nil), requiredHygieneRuns...)
	done := map[string]bool{}
	for _, r := range runs {
		for _, f := range r.faults {
			done[f] = true
		}
	}
	for _, f := range sandbox.Faults() {
		if !done[f.Name] {
			runs = append(runs, hygieneRun{f.Name, []string{f.Name}, f.Class == ""}) // no class: the run passes (recovered, or a warning)
		}
	}
	return runs
}

// TestSecretHygiene runs the workflow with every credential of the secret a
// distinct sentinel, passing and failing, and searches everything the runs
// let out (execution history, outcome, reports in every format, handler
// logs, metrics, moto's log) for the sentinels in any encoding: zero hits.
// Handler logs show the test phone masked only.
func TestSecretHygiene(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	checkHygiene(t, a, "", allHygieneRuns())
}

// TestSecretHygieneUnderRIE is TestSecretHygiene with sfprobe's functions
// the built bootstraps under the Lambda emulator: their stdout and stderr
// (the JSON logs Lambda ships to CloudWatch) are searched too.
func TestSecretHygieneUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	skipWithoutRIE(t)
	a := sandboxtest.AWS(t)
	checkHygiene(t, a, buildBootstraps(t), requiredHygieneRuns)
}

func checkHygiene(t *testing.T, a *sandbox.AWS, binaries string, runs []hygieneRun) {
	sentinels := sandboxtest.NewSentinels(t)
	secrets := sentinels.Secrets()
	var tokens []sandboxtest.Secret // the OAuth tokens the runs fetched
	var corpus sandboxtest.Corpus
	for _, run := range runs {
		ok := t.Run(run.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var logs lockedBuffer
			opts := sentinels.Options(options(run.faults...))
			opts.Binaries = binaries
			opts.Logs = &logs
			sb, err := sandbox.Provision(ctx, a, opts)
			requireRIE(t, err)
			t.Cleanup(func() { _ = sb.Close() })

			before := currentSecret(ctx, t, a, sb)
			for _, s := range secrets {
				if s.Name == "AccessToken" && run.name == sandbox.FaultSecretMissingKey {
					continue
				}
				require.Equal(t, s.Value, before[s.Name], "the secret holds the %s sentinel", s.Name)
			}

			start := time.Now()
			out, err := sb.Execute(ctx, sfn.Input{}, nil)
			require.NoError(t, err)
			require.NotNil(t, out.Report, "%s %s", out.Error, out.Cause)
			require.Equal(t, run.wantOK, out.Report.OK, "%+v", out.Report.Checks)
			collect(ctx, t, &corpus, run.name, sb, out, start, logs.String())

			// The token a run fetched with the sentinel credentials is a
			// live bearer token: it must not leak either.
			after := currentSecret(ctx, t, a, sb)
			if tok := after["AuthToken"]; tok != "" && tok != sentinels.AuthToken {
				tokens = append(tokens, sandboxtest.Secret{Name: "refreshed AuthToken (" + run.name + ")", Value: tok, Core: tok[strings.LastIndexByte(tok, '!')+1:]})
			}
			if run.name == "pass" {
				assert.NotEqual(t, sentinels.AuthToken, after["AuthToken"],
					"the org rejected the cached sentinel token and accepted the sentinel credentials for a new one")
			}
		})
		require.True(t, ok, "run %s", run.name)
	}
	corpus.Add("moto.log", readFile(t, a.Moto().LogPath()))

	t.Run("corpus is not vacuous", func(t *testing.T) {
		for _, run := range runs {
			p := run.name + "/"
			for _, src := range []string{"outcome", "history", "describe", "report.text", "report.json", "report.junit", "metrics", "logs"} {
				assert.NotEmpty(t, corpus.Sources(p+src, ""), "%s%s was collected", p, src)
			}
			for _, name := range check.Names() {
				for _, src := range []string{"history", "report.text", "report.json", "report.junit"} {
					assert.NotEmpty(t, corpus.Sources(p+src, name), "%s%s names %s", p, src, name)
				}
			}
			assert.NotEmpty(t, corpus.Sources(p+"logs", `"msg":"check"`), "%slogs has the per-check lines", p)
			assert.NotEmpty(t, corpus.Sources(p+"logs", `"msg":"run"`), "%slogs has the run line", p)
			assert.NotEmpty(t, corpus.Sources(p+"history", "TaskSucceeded"), "%shistory has task events", p)
			assert.NotEmpty(t, corpus.Sources(p+"history", phoneE164), "%shistory carries the target", p)
			assert.NotEmpty(t, corpus.Sources(p+"metrics", metrics.DimTarget), "%smetrics have dimensions", p)
			if run.wantOK {
				assert.NotEmpty(t, corpus.Sources(p+"metrics", metrics.RunSuccess+" "), "%smetrics", p)
			} else {
				assert.NotEmpty(t, corpus.Sources(p+"metrics", metrics.CheckFailure+" "), "%smetrics", p)
			}
		}
		assert.NotEmpty(t, corpus.Sources("caught-throttled/history", "TransientError"), "the throttled run's Lambda error was caught")
		if binaries != "" {
			assert.NotEmpty(t, corpus.Sources("pass/rie/", `"msg":"check"`), "the bootstraps' own log lines were captured")
		}
		assert.Greater(t, corpus.Len(), 100_000)
		assert.NotEmpty(t, tokens, "the runs fetched OAuth tokens with the sentinel credentials")
		t.Logf("searched %d KiB from %d runs for %d sentinels and %d fetched tokens", corpus.Len()/1024, len(runs), len(secrets), len(tokens))
	})

	t.Run("no secret leaks", func(t *testing.T) {
		leaks := corpus.Leaks(append(secrets, tokens...))
		assert.Empty(t, leaks, "secret values found:\n%s", strings.Join(leaks, "\n"))
	})

	t.Run("no credential parameter keeps its value", func(t *testing.T) {
		// Beyond the sentinels: whatever value a password=, client_secret=,
		// client_id= or username= parameter had, only the marker is left.
		for _, run := range runs {
			text := corpus.Text(run.name + "/")
			for _, m := range credentialParam.FindAllStringSubmatch(text, -1) {
				assert.Equal(t, redact.Marker, m[2], "%s: %s", run.name, m[0])
			}
		}
		assert.NotEmpty(t, credentialParam.FindAllString(corpus.Text("login-host-unreachable/report.json"), -1),
			"the login-host-unreachable report quotes the token URL's parameters, redacted")
	})

	t.Run("the phone is masked in logs", func(t *testing.T) {
		// Reports and metrics end up in CI logs and dashboards: they
		// must not show it either. The execution's own input and output
		// carry the target, phone included.
		var logs sandboxtest.Corpus
		for _, run := range runs {
			for _, src := range []string{"logs", "rie/", "report.", "metrics"} {
				logs.Add(run.name+"/"+src, corpus.Text(run.name+"/"+src))
			}
		}
		assert.Empty(t, phoneLeaks(&logs), "the full phone number in logs, reports or metrics")
		assert.NotEmpty(t, logs.Sources("", `"phone":"`+phoneMasked+`"`), "logs show the masked phone")
	})

	t.Run("the search finds a planted secret", func(t *testing.T) {
		s := secrets[0]
		plants := []struct{ name, text, wantForm string }{
			{"raw in JSON", `{"Password":"` + s.Value + `"}`, "raw"},
			{"raw at the end of the real logs", corpus.Text("pass/logs") + s.Value, "raw"},
			{"query-escaped", "https://x.my.salesforce.com/services/oauth2/token?password=" + url.QueryEscape(s.Value) + "&x=1", "query-escaped"},
			{"base64 at 0", base64.StdEncoding.EncodeToString([]byte(s.Value + "tail")), "base64@0"},
			{"base64 at 1", base64.StdEncoding.EncodeToString([]byte("x" + s.Value)), "base64@1"},
			{"base64 at 2", "Basic " + base64.StdEncoding.EncodeToString([]byte("ab"+s.Value+"cd")), "base64@2"},
			{"base64url at 1", base64.RawURLEncoding.EncodeToString([]byte(`{"p": "` + s.Value + `"}`)), "@1"},
			{"core only, mangled", strings.ToUpper(s.Value[:9]) + s.Core, "core"},
		}
		for _, p := range plants {
			var c sandboxtest.Corpus
			c.Add("planted", p.text)
			leaks := c.Leaks([]sandboxtest.Secret{s})
			assert.NotEmpty(t, leaks, "%s: %s", p.name, p.text)
			assert.Contains(t, strings.Join(leaks, "\n"), p.wantForm+") in planted", p.name)
		}
		var c sandboxtest.Corpus
		c.Add("planted", corpus.Text("pass/logs"))
		require.Empty(t, phoneLeaks(&c))
		for _, p := range []string{phoneE164, phoneDigits, phoneNational} {
			c.Add("planted", `{"msg":"check","phone":"`+p+`"}`)
			assert.NotEmpty(t, phoneLeaks(&c), p)
		}
	})
}

// credentialParam is a credential parameter of a URL or form body and its
// value.
var credentialParam = regexp.MustCompile(`(?i)(?:\b|\\u0026)(password|client_secret|client_id|username)=([^&\s"'\\]*)`)

// collect adds everything a run let out to c, under "<run>/<source>".
func collect(ctx context.Context, t *testing.T, c *sandboxtest.Corpus, run string, sb *sandbox.Sandbox, out sfn.Outcome, since time.Time, logs string) {
	t.Helper()
	p := run + "/"
	c.Add(p+"outcome", strings.Join([]string{out.ExecutionARN, out.Status, out.Error, out.Cause, out.FailedState}, "\n"))

	api := awssfn.NewFromConfig(sb.Config())
	d, err := api.DescribeExecution(ctx, &awssfn.DescribeExecutionInput{ExecutionArn: aws.String(out.ExecutionARN)})
	require.NoError(t, err)
	c.Add(p+"describe", strings.Join([]string{aws.ToString(d.Input), aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause)}, "\n"))
	pages := awssfn.NewGetExecutionHistoryPaginator(api, &awssfn.GetExecutionHistoryInput{ExecutionArn: aws.String(out.ExecutionARN), IncludeExecutionData: aws.Bool(true)})
	var events int
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		require.NoError(t, err)
		for _, e := range page.Events {
			c.Add(p+"history", string(e.Type)+" "+mustJSON(t, e))
			events++
		}
	}
	require.Greater(t, events, 10, "the history has the run's events")

	for _, f := range []report.Format{report.Text, report.JSON, report.JUnit} {
		var b bytes.Buffer
		require.NoError(t, report.Write(&b, *out.Report, f))
		c.Add(p+"report."+string(f), b.String())
	}
	var colored bytes.Buffer
	require.NoError(t, report.Write(&colored, *out.Report, report.Text, report.WithTerminal(true)))
	c.Add(p+"report.text-terminal", colored.String())

	ms, err := sb.Metrics(ctx, since)
	require.NoError(t, err)
	var mb strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&mb, "%s %s %g %s\n", m.Name, mustJSON(t, m.Dimensions), m.Value, m.Unit)
	}
	c.Add(p+"metrics", mb.String())

	c.Add(p+"logs", logs)
	for name, r := range sb.RIEs {
		c.Add(p+"rie/"+name, r.Log())
	}
}

// phoneLeaks lists the sources holding the test phone in full.
func phoneLeaks(c *sandboxtest.Corpus) []string {
	var out []string
	for _, p := range []string{phoneE164, phoneDigits, phoneNational} {
		for _, src := range c.Sources("", p) {
			out = append(out, p+" in "+src)
		}
	}
	return out
}

// currentSecret reads the credentials secret from moto itself, past the
// gateway's injected faults.
func currentSecret(ctx context.Context, t *testing.T, a *sandbox.AWS, sb *sandbox.Sandbox) map[string]string {
	t.Helper()
	sm := secretsmanager.NewFromConfig(sb.Config(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(a.Moto().URL()) })
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(sb.Target.SecretARN)})
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m))
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
