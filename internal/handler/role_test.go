package handler_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/handler"
)

const targetRole = "arn:aws:iam::210987654321:role/sfprobe-target"

// failingRoles refuses every role with err, as STS would.
type failingRoles struct {
	err  error
	keys []assume.Key
}

func (f *failingRoles) Resolve(ctx context.Context, k assume.Key) (aws.CredentialsProvider, error) {
	f.keys = append(f.keys, k)
	return nil, assume.Explain(ctx, f.err, k, "")
}

// noBuild fails the test when a client is built for a role not assumed.
func noBuild(t *testing.T) handler.Build {
	return func(string, aws.CredentialsProvider) check.Deps {
		t.Error("clients built for a target whose role was not assumed")
		return check.Deps{}
	}
}

var (
	denied    = &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}
	throttled = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
)

func roleTarget() check.Target {
	return check.Target{Function: checktest.FunctionName, Phone: checktest.Phone, Fields: "Id, Name", RoleARN: targetRole, ExternalID: "ext-value"}
}

func TestCheckConfig_roleNotAssumed(t *testing.T) {
	tests := []struct {
		name      string
		give      error
		wantClass failure.Class
	}{
		{name: "denied", give: denied, wantClass: failure.Permission},
		{name: "STS off in the region", give: &smithy.GenericAPIError{Code: "RegionDisabledException"}, wantClass: failure.Config},
		{name: "network", give: &net.OpError{Op: "dial", Err: errors.New("refused")}, wantClass: failure.Network},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checktest.NewDeployment()
			roles := &failingRoles{err: tt.give}
			h := &handler.CheckConfig{Deps: d.Deps(), Regions: handler.NewRegions("us-east-1", noBuild(t), roles)}
			out, err := h.Handle(context.Background(), handler.CheckConfigInput{Checks: check.AWSChecks, Target: roleTarget(), RunID: "exec-7-2"})
			require.NoError(t, err)
			require.Len(t, out.Results, len(check.AWSChecks))
			for _, r := range out.Results {
				assert.Equal(t, check.Fail, r.Status, r.Name)
				assert.Equal(t, tt.wantClass, r.ErrorClass, r.Name)
				assert.Contains(t, r.Message, targetRole, r.Name)
				assert.NotContains(t, r.Message, "ext-value")
			}
			assert.Empty(t, d.SFInvokeAPI.Calls(), "no call of the target")
			require.Len(t, roles.keys, 1, "resolved once for all the checks")
			assert.Equal(t, assume.Key{RoleARN: targetRole, ExternalID: "ext-value", RunID: "exec-7-2", Region: "us-east-1"}, roles.keys[0])
		})
	}
}

func TestCheckSalesforce_roleNotAssumed(t *testing.T) {
	d := checktest.NewDeployment()
	chain := check.Chain{Target: roleTarget(), RunID: "exec-7-2"}

	h := &handler.CheckSalesforce{Deps: d.Deps(), Regions: handler.NewRegions("us-east-1", noBuild(t), &failingRoles{err: denied})}
	got, err := h.Handle(context.Background(), handler.ChainInput{Check: check.PhoneLookup, Chain: chain})
	require.NoError(t, err, "a denied role is final: the chain goes on to Cleanup")
	assert.True(t, got.Failed)
	require.Len(t, got.Results, 1)
	assert.Equal(t, failure.Permission, got.Results[0].ErrorClass)
	assert.Contains(t, got.Results[0].Message, "may not assume "+targetRole)

	h = &handler.CheckSalesforce{Deps: d.Deps(), Regions: handler.NewRegions("us-east-1", noBuild(t), &failingRoles{err: throttled})}
	_, err = h.Handle(context.Background(), handler.ChainInput{Check: check.CreateCase, Chain: chain})
	var te *failure.TransientError
	require.ErrorAs(t, err, &te, "a throttled STS is retried by the workflow, even for CreateCase: no call was made")
	assert.Equal(t, failure.Throttled, te.Class)
	assert.Empty(t, d.SFInvokeAPI.Calls())
}

func TestCleanup_roleNotAssumed(t *testing.T) {
	tests := []struct {
		name        string
		caseID      string
		wantStatus  string
		wantClass   failure.Class
		wantMessage string
	}{
		{name: "no case: nothing to do", wantStatus: check.CleanupNotNeeded},
		{name: "a case left: reported with the cause", caseID: checktest.CaseID, wantStatus: check.CleanupFailed, wantClass: failure.Permission, wantMessage: targetRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := checktest.NewDeployment()
			chain := check.Chain{Target: roleTarget(), RunID: "exec-7-2", CaseID: tt.caseID, Failed: true,
				Results: []check.Result{{Name: check.PhoneLookup, Status: check.Fail, ErrorClass: failure.Permission}}}
			h := &handler.Cleanup{Deps: d.Deps(), Regions: handler.NewRegions("us-east-1", noBuild(t), &failingRoles{err: denied})}
			got, err := h.Handle(context.Background(), handler.ChainInput{Chain: chain})
			require.NoError(t, err)
			require.NotNil(t, got.Cleanup)
			assert.Equal(t, tt.wantStatus, got.Cleanup.Status)
			assert.Equal(t, tt.wantClass, got.Cleanup.ErrorClass)
			assert.Contains(t, got.Cleanup.Message, tt.wantMessage)
			assert.Len(t, got.Results, len(check.ChainChecks), "the skipped steps are recorded")
			assert.Empty(t, d.SFInvokeAPI.Calls(), "no call with the function's own credentials")
		})
	}
}
