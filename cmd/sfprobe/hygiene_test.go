package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sim"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The test phone's full forms, which the CLI never prints.
var fullPhone = []string{sim.DefaultPhone, "441122334455", "1122334455"}

// TestSecretHygieneCLI: what `sfprobe run` and `sfprobe start --wait` print
// (stdout and stderr, every output format), against a sandbox whose secret
// holds sentinels, passing and failing, never shows a secret value or the
// full test phone; nor does `sfprobe local` with its own fixture secret.
func TestSecretHygieneCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	a := sandboxtest.AWS(t)
	sandboxtest.SetEnv(t, a)
	sentinels := sandboxtest.NewSentinels(t)
	var corpus sandboxtest.Corpus
	tests := []struct {
		name     string
		faults   []string
		wantCode int
	}{
		{"pass", nil, exitOK},
		{"auth-expired", []string{"auth-expired"}, exitFailed},
		{"create-rejected", []string{"create-rejected"}, exitFailed},
		{sandbox.FaultSecretMissingKey, []string{sandbox.FaultSecretMissingKey}, exitFailed},
		// The real function's error quotes its token URL with the
		// credentials in the query string.
		{"login-host-unreachable", []string{"login-host-unreachable"}, exitFailed},
		// SalesforceLogin's own token request fails with the sentinels.
		{"password-rotated", []string{"password-rotated"}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sb, err := sandbox.Provision(ctx, a, sentinels.Options(sandbox.Options{Faults: tt.faults}))
			require.NoError(t, err)
			t.Setenv(workflow.EnvSalesforceEndpoint, sb.SalesforceEndpoint())
			tg := sb.Target
			for _, format := range []string{"text", "json", "junit"} {
				code, stdout, stderr := runApp(t, nil, "run", "--function", tg.Function, "--phone", tg.Phone,
					"--secret-arn", tg.SecretARN, "--kms-key-arn", tg.KMSKeyARN, "--connect-instance-arn", tg.ConnectInstanceARN,
					"--output", format)
				assert.Equal(t, tt.wantCode, code, stderr)
				corpus.Add(tt.name+"/run."+format, stdout+"\n"+stderr)
			}
			for _, format := range []string{"text", "junit"} {
				code, stdout, stderr := runApp(t, nil, "start", "--state-machine", sb.StateMachineARN, "--wait", "--output", format)
				assert.Equal(t, tt.wantCode, code, stderr)
				corpus.Add(tt.name+"/start."+format, stdout+"\n"+stderr)
			}
		})
	}

	// `sfprobe local` provisions its own sandbox with the simulator's
	// fixture secret: search for those values.
	_, fx := sim.NewDefaultOrg()
	local := []sandboxtest.Secret{
		{Name: "fixture Password", Value: fx.Credentials.Password},
		{Name: "fixture AccessToken", Value: fx.Credentials.SecurityToken},
		{Name: "fixture ConsumerKey", Value: fx.Credentials.ConsumerKey},
		{Name: "fixture ConsumerSecret", Value: fx.Credentials.ConsumerSecret},
	}
	for _, args := range [][]string{{"--output", "text"}, {"--fault", "auth-expired", "--output", "junit"}, {"--fault", "login-host-unreachable", "--output", "json"}} {
		code, stdout, stderr := runApp(t, nil, append([]string{"local"}, args...)...)
		wantCode := exitOK
		if args[0] == "--fault" {
			wantCode = exitFailed
		}
		require.Equal(t, wantCode, code, stderr)
		corpus.Add("local "+strings.Join(args, " "), stdout+"\n"+stderr)
	}

	for _, tt := range tests {
		for _, src := range []string{"run.text", "run.json", "run.junit", "start.text", "start.junit"} {
			for _, name := range check.Names() {
				assert.NotEmpty(t, corpus.Sources(tt.name+"/"+src, name), "%s/%s names %s", tt.name, src, name)
			}
		}
		assert.NotEmpty(t, corpus.Sources(tt.name+"/start.text", "execution arn:aws:states:"), "start's progress on stderr")
	}
	assert.NotEmpty(t, corpus.Sources("local", "metrics read back from CloudWatch"))
	assert.NotEmpty(t, corpus.Sources("local --fault", "invalid_grant"))
	assert.NotEmpty(t, corpus.Sources("local --fault login-host-unreachable", `"error_class": "network"`))
	assert.NotEmpty(t, corpus.Sources("login-host-unreachable/run.json", "could not reach its Salesforce token host"),
		"the redacted message keeps the cause")
	for _, src := range []string{"login-host-unreachable/", "local --fault login-host-unreachable"} {
		for _, param := range []string{"password=", "client_secret=", "client_id=", "username="} {
			for _, hit := range corpus.Sources(src, param) {
				assert.Contains(t, corpus.Text(hit), param+redact.Marker, "%s keeps no %s value", hit, param)
				assert.NotRegexp(t, `(?i)`+param+`[^\[]`, corpus.Text(hit), "%s keeps no %s value", hit, param)
			}
		}
	}

	leaks := corpus.Leaks(append(sentinels.Secrets(), local...))
	assert.Empty(t, leaks, "secret values in the CLI's output:\n%s", strings.Join(leaks, "\n"))
	for _, p := range fullPhone {
		assert.Empty(t, corpus.Sources("", p), "the full test phone %s in the CLI's output", p)
	}

	// The search sees a planted value.
	var planted sandboxtest.Corpus
	planted.Add("planted", corpus.Text("pass/run.text")+fx.Credentials.ConsumerSecret+" "+sim.DefaultPhone)
	assert.NotEmpty(t, planted.Leaks(local))
	assert.NotEmpty(t, planted.Sources("", sim.DefaultPhone))
}
