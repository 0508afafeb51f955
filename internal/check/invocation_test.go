package check_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// platform makes every op of f answer like Lambda does with LogType Tail: a
// log tail with a customer line and a REPORT line (cold on the first
// invocation), and the executed version.
type platform struct {
	mu       sync.Mutex
	n        int
	version  string
	usedMB   int
	duration map[string]float64 // per sf_operation
}

func (p *platform) wrap(f *checktest.Deployment) {
	for name, op := range f.SFInvokeAPI.Ops {
		f.SFInvokeAPI.Ops[name] = func(ctx context.Context, c checktest.Call) (*lambda.InvokeOutput, error) {
			out, err := op(ctx, c)
			if err != nil || out == nil {
				return out, err
			}
			p.mu.Lock()
			p.n++
			cold := p.n == 1
			p.mu.Unlock()
			line := fmt.Sprintf("REPORT RequestId: r\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: 128 MB\tMax Memory Used: %d MB\t", p.duration[c.Op()], p.duration[c.Op()]+1, p.usedMB)
			if cold {
				line += "Init Duration: 812.40 ms\t"
			}
			logs := "START RequestId: r Version: " + p.version + "\nJim Smith +441122334455\nEND RequestId: r\n" + line + "\n"
			cp := *out
			cp.LogResult = aws.String(base64.StdEncoding.EncodeToString([]byte(logs)))
			cp.ExecutedVersion = aws.String(p.version)
			return &cp, nil
		}
	}
}

func newPlatform(f *checktest.Deployment, version string, usedMB int) {
	p := &platform{version: version, usedMB: usedMB, duration: map[string]float64{"phoneLookup": 900, "create": 400, "update": 300, "lookup": 200, "delete": 100, "query": 150}}
	p.wrap(f)
}

func TestRun_chainRecordsInvocationAndShape(t *testing.T) {
	f := checktest.NewDeployment()
	newPlatform(f, "7", 74)

	rep := run(t, f, target(), check.ChainChecks)

	require.True(t, rep.OK)
	got := byName(rep)
	assert.Equal(t, &check.Invocation{DurationMS: 900, BilledDurationMS: 901, MemorySizeMB: 128, MaxMemoryUsedMB: 74, InitDurationMS: 812.4, ExecutedVersion: "7"}, got[check.PhoneLookup].Invocation, "the first invocation is the cold one")
	assert.Equal(t, &check.Invocation{DurationMS: 300, BilledDurationMS: 301, MemorySizeMB: 128, MaxMemoryUsedMB: 74, ExecutedVersion: "7"}, got[check.CloseCase].Invocation, "warm: no init duration")
	assert.Equal(t, []check.ShapeKey{{Key: "Email", Kind: "null"}, {Key: "sf_count", Kind: "number"}}, got[check.PhoneLookup].Shape)
	assert.Nil(t, got[check.CreateCase].Shape, "create answers only strings")
	assert.Equal(t, []check.ShapeKey{{Key: "Status", Kind: "number"}}, got[check.CloseCase].Shape)
	assert.Equal(t, []check.ShapeKey{{Key: "IsClosed", Kind: "bool"}, {Key: "sf_count", Kind: "number"}}, got[check.VerifyCaseClosed].Shape)
	for _, r := range rep.Checks {
		assertOK(t, r, r.Name, check.Pass)
		assert.NotContains(t, fmt.Sprint(r), "Jim Smith", "nothing of the tail but the figures")
	}
}

func TestRun_chainWithoutReportHasNoInvocation(t *testing.T) {
	rep := run(t, checktest.NewDeployment(), target(), check.ChainChecks)
	for _, r := range rep.Checks {
		assert.Nil(t, r.Invocation, "no REPORT line, no figures: %s", r.Name)
	}
}

func TestRun_memoryNearlyFullWarns(t *testing.T) {
	f := checktest.NewDeployment()
	newPlatform(f, "$LATEST", 120)

	rep := run(t, f, target(), check.ChainChecks)

	assert.True(t, rep.OK, "a warning, not a failure")
	for _, r := range rep.Checks {
		assertOK(t, r, r.Name, check.Warn)
		assert.Contains(t, r.Message, "used 120 of its 128 MB")
	}
}

func TestRun_expectVersion(t *testing.T) {
	tests := []struct {
		name        string
		executed    string
		want        string
		wantStatus  check.Status
		wantCreates int
	}{
		{name: "the expected version answered", executed: "7", want: "7", wantStatus: check.Pass, wantCreates: 1},
		{name: "an older version answered", executed: "6", want: "7", wantStatus: check.Fail},
		{name: "$LATEST answered instead of a published version", executed: "$LATEST", want: "7", wantStatus: check.Fail},
		{name: "no expectation", executed: "6", wantStatus: check.Pass, wantCreates: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			newPlatform(f, tt.executed, 60)
			tgt := target()
			tgt.ExpectVersion = tt.want

			rep := run(t, f, tgt, check.ChainChecks)

			got := byName(rep)[check.PhoneLookup]
			assert.Equal(t, tt.wantStatus, got.Status, got.Message)
			creates := 0
			for _, op := range f.SFInvokeAPI.Operations() {
				if op == "create" {
					creates++
				}
			}
			assert.Equal(t, tt.wantCreates, creates, "a wrong version creates no test Case")
			if tt.wantStatus == check.Fail {
				assert.Equal(t, failure.Config, got.ErrorClass)
				assert.Contains(t, got.Message, "version "+tt.executed+" of sfInvokeAPI answered, expected 7")
				assert.Contains(t, got.Remediation, "version 7")
				assert.Equal(t, check.Skip, byName(rep)[check.CreateCase].Status)
			}
		})
	}
}

func TestTarget_validateExpectVersion(t *testing.T) {
	for _, v := range []string{"7", "$LATEST", "123"} {
		tgt := target()
		tgt.ExpectVersion = v
		assert.NoError(t, tgt.Validate(), v)
	}
	for _, v := range []string{"live", "0", "7.1", "$latest", " 7"} {
		tgt := target()
		tgt.ExpectVersion = v
		err := tgt.Validate()
		require.Error(t, err, v)
		assert.Contains(t, err.Error(), "expect_version:")
	}
}
