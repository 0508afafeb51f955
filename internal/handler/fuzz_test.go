package handler_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
)

// envNames are the variables ConfigFromEnv reads; an error must name one.
var envNames = []string{handler.EnvNamespace, handler.EnvDetailedMetrics, handler.EnvKeepCases, handler.EnvCallTimeout, handler.EnvMaxSecretVersions, handler.EnvMetricsTransport}

// FuzzConfigFromEnv: any environment (the six SFPROBE_* variables) gives a usable configuration or an
// error naming the variable at fault.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("", "", "", "", "", "")
	f.Add("Custom/Probe", "true", "1", "20s", "50", "api")
	f.Add("sfprobe", "false", "False", "1ns", "1", "")
	f.Add("", "yes", "", "", "", "")
	f.Add("", "", "maybe", "", "", "")
	f.Add("", "", "", "15", "", "")
	f.Add("", "", "", "-1s", "", "")
	f.Add("", "", "", "0s", "", "")
	f.Add("", "", "", "9223372036854775807ns", "9223372036854775807", "")
	f.Add("", "", "", "", "0", "")
	f.Add("", "", "", "", "99999999999999999999", "")
	f.Add("", "", "", "1h30m", "+5", "")
	f.Add("", "", "", "", "", "emf")
	f.Add("", "", "", "", "", "EMF")
	f.Add("", "", "", "", "", "statsd")
	f.Fuzz(func(t *testing.T, namespace, detailed, keep, callTimeout, maxVersions, transport string) {
		env := map[string]string{
			handler.EnvNamespace:         namespace,
			handler.EnvDetailedMetrics:   detailed,
			handler.EnvKeepCases:         keep,
			handler.EnvCallTimeout:       callTimeout,
			handler.EnvMaxSecretVersions: maxVersions,
			handler.EnvMetricsTransport:  transport,
		}
		c, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			named := false
			for _, n := range envNames {
				if strings.HasPrefix(err.Error(), n+": ") {
					named = env[n] != ""
				}
			}
			if !named {
				t.Fatalf("the error does not start with a variable that was set: %v", err)
			}
			return
		}
		if c.Namespace == "" || (namespace != "" && c.Namespace != namespace) {
			t.Fatalf("namespace %q from %q", c.Namespace, namespace)
		}
		if c.CallTimeout <= 0 {
			t.Fatalf("call timeout %v from %q", c.CallTimeout, callTimeout)
		}
		if c.MaxSecretVersions < 1 {
			t.Fatalf("max secret versions %d from %q", c.MaxSecretVersions, maxVersions)
		}
		if c.MetricsTransport != "emf" && c.MetricsTransport != "api" {
			t.Fatalf("metrics transport %q from %q", c.MetricsTransport, transport)
		}
		if len(c.CheckOptions()) == 0 {
			t.Fatal("no check options")
		}
	})
}

// nopPublisher publishes nothing and never fails.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []cwtypes.MetricDatum) error { return nil }

var _ handler.MetricsPublisher = nopPublisher{}

// FuzzAssemble: any JSON (or not) in the Checks Parallel state's two
// branches gives a report or an error, never a panic; an assembled report
// goes on through PublishMetrics (metric datums, the verdict) and, as one of
// several targets, through Summarize (the fleet and its Fail cause).
func FuzzAssemble(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "publish-metrics.json"))
	if err != nil {
		f.Fatal(err)
	}
	var golden handler.PublishInput
	if err := json.Unmarshal(b, &golden); err != nil {
		f.Fatal(err)
	}
	if len(golden.Branches) != 2 {
		f.Fatalf("testdata/publish-metrics.json holds %d branches, want 2", len(golden.Branches))
	}
	aws, chain := []byte(golden.Branches[0]), []byte(golden.Branches[1])
	f.Add(aws, chain)
	f.Add([]byte(`{"name": "AWSChecks", "caught": {"Error": "TransientError", "Cause": "{\"errorMessage\": \"throttled: rate exceeded\", \"errorType\": \"TransientError\"}"}}`), chain)
	f.Add(aws, []byte(`{"target": {"function": "sfInvokeAPI-prod"}, "run_id": "r", "case_id": "5001", "results": [{"name": "PhoneLookup", "status": "pass"}],`+
		` "error": {"Error": "States.Timeout", "Cause": ""}, "cleanup_error": {"Error": "Lambda.ServiceException", "Cause": "x"}, "failed": false}`))
	f.Add([]byte(`{"out_of_scope": "salesforce"}`), chain)
	f.Add(aws, []byte(`{"out_of_scope": "aws"}`))
	f.Add([]byte(`null`), []byte(`null`))
	f.Add([]byte(`{"results": null, "caught": null}`), []byte(`{"cleanup": {}}`))
	f.Add([]byte(`{"results": [{"name": "TargetConfig"}, {}, {}, {}]}`), []byte(`{"results": null, "cleanup": null}`))
	f.Add(aws, []byte(`{"results": [{"name": "CreateCase", "status": "fail", "error_class": "nope"}], "failed": true, "salesforce_calls": -3, "started_at": "0001-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, awsBranch, chainBranch []byte) {
		in := handler.PublishInput{Target: golden.Target, RunID: golden.RunID,
			Branches: []json.RawMessage{awsBranch, chainBranch}}
		rep, err := handler.Assemble(in, now)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "publish metrics: ") {
				t.Fatalf("the error does not say what failed: %v", err)
			}
			return
		}
		if got := resultNamesOf(rep.Checks); strings.Join(got, ",") != strings.Join(check.Names(), ",") {
			t.Fatalf("checks %v, want %v", got, check.Names())
		}
		failed := false
		for _, c := range rep.Checks {
			failed = failed || c.Failed()
		}
		if rep.OK == failed {
			t.Fatalf("ok %t with failed checks %v", rep.OK, rep.FailedChecks())
		}
		if rep.Cleanup.Status == "" {
			t.Fatalf("cleanup without a status: %+v", rep.Cleanup)
		}

		h := &handler.PublishMetrics{Publisher: nopPublisher{}, Detailed: true, Now: func() time.Time { return now }}
		out, err := h.Handle(context.Background(), in)
		if err != nil {
			t.Fatalf("assembled, then: %v", err)
		}
		if out.OK != rep.OK {
			t.Fatalf("verdict %t, report %t", out.OK, rep.OK)
		}
		sum, err := h.Handle(context.Background(), handler.PublishInput{RunID: "exec", Summarize: []handler.TargetOutcome{
			{OK: out.OK, Report: out.Report},
			{OK: out.OK, Report: out.Report},
		}})
		if err != nil {
			t.Fatalf("summarize: %v", err)
		}
		if sum.OK != rep.OK || (!sum.OK && !json.Valid([]byte(sum.Cause))) {
			t.Fatalf("fleet verdict %t, cause %q", sum.OK, sum.Cause)
		}
	})
}

func resultNamesOf(rs []check.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}
