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
var envNames = []string{handler.EnvNamespace, handler.EnvDetailedMetrics, handler.EnvKeepCases, handler.EnvCallTimeout, handler.EnvMaxSecretVersions}

// FuzzConfigFromEnv: any environment gives a usable configuration or an
// error naming the variable at fault.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("", "", "", "", "")
	f.Add("Custom/Probe", "true", "1", "20s", "50")
	f.Add("sfprobe", "false", "False", "1ns", "1")
	f.Add("", "yes", "", "", "")
	f.Add("", "", "maybe", "", "")
	f.Add("", "", "", "15", "")
	f.Add("", "", "", "-1s", "")
	f.Add("", "", "", "0s", "")
	f.Add("", "", "", "9223372036854775807ns", "9223372036854775807")
	f.Add("", "", "", "", "0")
	f.Add("", "", "", "", "99999999999999999999")
	f.Add("", "", "", "1h30m", "+5")
	f.Fuzz(func(t *testing.T, namespace, detailed, keep, callTimeout, maxVersions string) {
		env := map[string]string{
			handler.EnvNamespace:         namespace,
			handler.EnvDetailedMetrics:   detailed,
			handler.EnvKeepCases:         keep,
			handler.EnvCallTimeout:       callTimeout,
			handler.EnvMaxSecretVersions: maxVersions,
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
		if len(c.CheckOptions()) == 0 {
			t.Fatal("no check options")
		}
	})
}

// nopPublisher publishes nothing and never fails.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []cwtypes.MetricDatum) error { return nil }

var _ handler.MetricsPublisher = nopPublisher{}

// FuzzAssemble: any JSON (or not) in the Parallel state's five branches
// gives a report or an error, never a panic; an assembled report goes on
// through PublishMetrics (metric datums, the Fail cause).
func FuzzAssemble(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "publish-metrics.json"))
	if err != nil {
		f.Fatal(err)
	}
	var golden handler.PublishInput
	if err := json.Unmarshal(b, &golden); err != nil {
		f.Fatal(err)
	}
	if len(golden.Branches) != 5 {
		f.Fatalf("testdata/publish-metrics.json holds %d branches, want 5", len(golden.Branches))
	}
	br := golden.Branches
	f.Add([]byte(br[0]), []byte(br[1]), []byte(br[2]), []byte(br[3]), []byte(br[4]))
	caught := []byte(`{"name": "PhoneLookup", "caught": {"Error": "TransientError", "Cause": "{\"errorMessage\": \"throttled: rate exceeded\", \"errorType\": \"TransientError\"}"}}`)
	f.Add([]byte(br[0]), []byte(br[1]), []byte(br[2]), []byte(br[3]), caught)
	chainCaught := []byte(`{"target": {"function": "sfInvokeAPI-prod"}, "run_id": "r", "case_id": "5001", "results": [{"name": "PhoneLookup", "status": "pass"}],` +
		` "error": {"Error": "States.Timeout", "Cause": ""}, "cleanup_error": {"Error": "Lambda.ServiceException", "Cause": "x"}, "failed": false}`)
	f.Add([]byte(br[0]), []byte(br[1]), []byte(br[2]), []byte(br[3]), chainCaught)
	f.Add([]byte(`null`), []byte(`{}`), []byte(`[]`), []byte(`"x"`), []byte(`null`))
	f.Add([]byte(`{"name": "TargetConfig", "caught": null}`), []byte(`{"name": "SecretAccess", "caught": {}}`), []byte(``), []byte(`{`), []byte(`{"results": null, "cleanup": null}`))
	f.Add([]byte(br[0]), []byte(br[1]), []byte(br[2]), []byte(br[3]), []byte(`{"results": [{"name": "CreateCase", "status": "fail", "error_class": "nope"}], "failed": true, "salesforce_calls": -3, "started_at": "0001-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b0, b1, b2, b3, chain []byte) {
		in := handler.PublishInput{Target: golden.Target, RunID: golden.RunID,
			Branches: []json.RawMessage{b0, b1, b2, b3, chain}}
		rep, err := handler.Assemble(in, now)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "publish metrics: ") {
				t.Fatalf("the error does not say what failed: %v", err)
			}
			return
		}
		if len(rep.Checks) < len(check.AWSChecks) || len(rep.Checks) > len(check.Names()) {
			t.Fatalf("%d checks", len(rep.Checks))
		}
		for i, name := range check.AWSChecks {
			var caught struct {
				Caught *check.StepError `json:"caught"`
			}
			if rep.Checks[i].Name != name && (json.Unmarshal(in.Branches[i], &caught) != nil || caught.Caught == nil) {
				t.Fatalf("check %d is %q, want %s", i, rep.Checks[i].Name, name)
			}
		}
		failed := false
		for _, c := range rep.Checks {
			failed = failed || c.Failed()
		}
		if rep.OK == failed {
			t.Fatalf("ok %t with failed checks %v", rep.OK, rep.FailedChecks())
		}

		h := &handler.PublishMetrics{Publisher: nopPublisher{}, Detailed: true, Now: func() time.Time { return now }}
		out, err := h.Handle(context.Background(), in)
		if err != nil {
			t.Fatalf("assembled, then: %v", err)
		}
		if out.OK != rep.OK {
			t.Fatalf("verdict %t, report %t", out.OK, rep.OK)
		}
		if !out.OK && !json.Valid([]byte(out.Cause)) {
			t.Fatalf("the Fail cause is not JSON: %q", out.Cause)
		}
	})
}
