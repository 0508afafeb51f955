package sandbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
)

// TestCrossAccount runs the workflow over a same-account target and a
// target in a second simulated account reached through its role: the
// role is assumed through moto's STS (the gateway deciding the trust), and
// every call of the partner's target needs the role's credentials (moto
// keeps accounts apart; the gateway refuses routed invokes and Connect
// calls across accounts).
func TestCrossAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t.Parallel()
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	opts := options()
	opts.Partner = true
	sb, err := sandbox.Provision(ctx, a, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	p := sb.Partner()
	require.NotNil(t, p)
	home := sb.Target
	home.Name = "home"
	t.Logf("provisioned two accounts in %s", time.Since(start).Round(time.Millisecond))

	t.Run("without its role the partner is out of reach", func(t *testing.T) {
		direct := p.Target
		direct.RoleARN, direct.ExternalID = "", ""
		rs := check.RunAWSChecks(ctx, sb.Deps(), []string{check.TargetConfig, check.SecretAccess}, direct)
		for _, r := range rs {
			assert.Equal(t, check.Fail, r.Status, "%s: the sandbox account's credentials must not reach the partner's resources", r.Name)
			assert.Equal(t, failure.NotFound, r.ErrorClass, r.Name)
		}
	})

	t.Run("both targets pass", func(t *testing.T) {
		began := time.Now()
		out, err := sb.Execute(ctx, sfn.Input{Targets: []check.Target{home, p.Target}}, nil)
		require.NoError(t, err)
		require.Equal(t, "SUCCEEDED", out.Status, "%s %s", out.Error, out.Cause)
		require.NotNil(t, out.Fleet)
		require.Len(t, out.Fleet.Targets, 2)
		for _, r := range out.Fleet.Targets {
			assert.True(t, r.OK, "%s: %v %+v", r.Target, r.FailedChecks(), r.Checks)
			assert.Len(t, r.Checks, len(check.Names()), r.Target)
			assert.Equal(t, check.CleanupDeleted, r.Cleanup.Status, r.Target)
		}
		assert.Equal(t, 5, sb.Function.Invocations(), "the home chain on the home function")
		assert.Equal(t, 5, p.Function.Invocations(), "the partner's chain on the partner's function, through its role")
		assert.Len(t, sb.Org.Cases(), 0, "each target created one Case and deleted it")
		t.Logf("two-account run: %s", time.Since(began).Round(time.Millisecond))
	})

	// A missing ExternalId is the same refusal ("is not set"): the unit
	// tests of internal/assume and trust_test.go cover it without a run.
	denied := []struct {
		name       string
		roleARN    string
		externalID string
		wantState  string
	}{
		{name: "a role that does not trust sfprobe", roleARN: p.UntrustingRoleARN, externalID: sandbox.PartnerExternalID, wantState: "is set"},
		{name: "a wrong ExternalId", roleARN: p.Target.RoleARN, externalID: "not-the-partners-id", wantState: "is set"},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Function.Invocations()
			target := p.Target
			target.RoleARN, target.ExternalID = tt.roleARN, tt.externalID
			out, err := sb.Execute(ctx, sfn.Input{Targets: []check.Target{home, target}}, nil)
			require.NoError(t, err)
			require.NotNil(t, out.Fleet, "%s %s", out.Error, out.Cause)
			require.Len(t, out.Fleet.Targets, 2)
			assert.True(t, out.Fleet.Targets[0].OK, "the other target passes: %v", out.Fleet.Targets[0].FailedChecks())
			r := out.Fleet.Targets[1]
			assert.False(t, r.OK)
			require.Len(t, r.Checks, len(check.Names()))
			for _, c := range r.Checks {
				if check.IsChain(c.Name) && c.Name != check.PhoneLookup {
					assert.Equal(t, check.Skip, c.Status, "%s: the chain stops at its first failure", c.Name)
					continue
				}
				assert.Equal(t, check.Fail, c.Status, c.Name)
				assert.Equal(t, failure.Permission, c.ErrorClass, c.Name)
				assert.Contains(t, c.Message, "may not assume "+tt.roleARN, c.Name)
				assert.Contains(t, c.Message, "the external id "+tt.wantState, c.Name)
				assert.Contains(t, c.Message, sandbox.AccountID+":user/moto", "%s names sfprobe's principal (as moto names it)", c.Name)
				if tt.externalID != "" {
					assert.NotContains(t, c.Message, tt.externalID, "never the external id's value")
				}
				assert.Equal(t, "docs/RUNBOOK.md#assume-role", c.Runbook)
			}
			assert.Equal(t, check.CleanupNotNeeded, r.Cleanup.Status)
			assert.Equal(t, before, p.Function.Invocations(), "no call of a target whose role was refused")
		})
	}
}

// TestCrossAccountUnderRIE: the built check-config binary (functions/
// check-config's wiring: its STS client and role cache) probes the
// partner's target through its role, and refuses a wrong ExternalId.
func TestCrossAccountUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	skipWithoutRIE(t)
	t.Parallel()
	a := sandboxtest.AWS(t)
	bins := buildBootstraps(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Provision(ctx, a, sandbox.Options{Binaries: bins, Partner: true})
	requireRIE(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	lc := lambda.NewFromConfig(sb.Config())
	invoke := func(target check.Target) handler.CheckConfigOutput {
		payload, err := json.Marshal(handler.CheckConfigInput{Checks: []string{check.TargetConfig, check.SecretAccess, check.KmsKey, check.ConnectAccess}, Target: target, RunID: "rie-run-0"})
		require.NoError(t, err)
		res, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(a.FunctionARN(sandbox.FunctionPrefix + "check-config")), Payload: payload})
		require.NoError(t, err)
		require.Nil(t, res.FunctionError, string(res.Payload))
		var out handler.CheckConfigOutput
		require.NoError(t, json.Unmarshal(res.Payload, &out))
		require.Len(t, out.Results, 4, string(res.Payload))
		return out
	}
	for _, r := range invoke(sb.Partner().Target).Results {
		assert.Contains(t, []check.Status{check.Pass, check.Warn}, r.Status, "%s: %s", r.Name, r.Message)
	}
	wrong := sb.Partner().Target
	wrong.ExternalID = "not-the-partners-id"
	for _, r := range invoke(wrong).Results {
		assert.Equal(t, failure.Permission, r.ErrorClass, r.Name)
		assert.Contains(t, r.Message, "may not assume "+wrong.RoleARN, r.Name)
	}
}
