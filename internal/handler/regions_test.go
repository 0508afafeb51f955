package handler

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// regionInvoker marks the region (and credentials) whose clients a Deps holds.
type regionInvoker string

func (regionInvoker) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return nil, nil
}

// fakeRoles resolves every key to static credentials named after the role,
// or fails with err; it records the keys asked for.
type fakeRoles struct {
	mu   sync.Mutex
	keys []assume.Key
	err  error
}

func (f *fakeRoles) Resolve(_ context.Context, k assume.Key) (aws.CredentialsProvider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, k)
	if f.err != nil {
		return nil, assume.Explain(context.Background(), f.err, k, "arn:aws:sts::123456789012:assumed-role/sfprobe/x")
	}
	return credentials.NewStaticCredentialsProvider(k.RoleARN, "s", ""), nil
}

// marking builds Deps whose invoker names the region and, with a role,
// the credentials' access key (the role ARN, see fakeRoles).
func marking(built *[]string) Build {
	return func(region string, creds aws.CredentialsProvider) check.Deps {
		mark := region
		if creds != nil {
			c, _ := creds.Retrieve(context.Background())
			mark += " as " + c.AccessKeyID
		}
		*built = append(*built, mark)
		return check.Deps{Invoker: regionInvoker(mark)}
	}
}

func TestDepsFor(t *testing.T) {
	home := check.Deps{Invoker: regionInvoker("eu-west-2")}
	var built []string
	r := NewRegions("eu-west-2", marking(&built), nil)
	tests := []struct {
		give      string
		wantBuild []string
	}{
		{give: "sfInvokeAPI-prod"},
		{give: "arn:aws:lambda:eu-west-2:123456789012:function:sfInvokeAPI"},
		{give: "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI", wantBuild: []string{"us-east-1"}},
		{give: "arn:aws:lambda:us-east-1:210987654321:function:sfInvokeAPI:live", wantBuild: []string{"us-east-1"}},
		{give: "arn:aws:lambda:ap-southeast-2:123456789012:function:sfInvokeAPI", wantBuild: []string{"us-east-1", "ap-southeast-2"}},
	}
	for _, tt := range tests {
		got, err := depsFor(context.Background(), home, r, check.Target{Function: tt.give}, "run-1")
		require.NoError(t, err)
		assert.Equal(t, tt.wantBuild, built, "%s: each other region's clients are built once", tt.give)
		want := "eu-west-2"
		if region := check.FunctionRegion(tt.give); region != "" {
			want = region
		}
		assert.Equal(t, regionInvoker(want), got.Invoker, tt.give)
	}
	assert.Equal(t, "us-east-1", check.FunctionRegion("arn:aws:lambda:us-east-1:123456789012:function:f"))
	assert.Equal(t, "", check.FunctionRegion("123456789012:function:f"))
	assert.Equal(t, "", check.FunctionRegion("arn:aws:states:us-east-1:123456789012:stateMachine:f:x"))
	_, err := depsFor(context.Background(), home, nil, check.Target{Function: "arn:aws:lambda:sa-east-1:123456789012:function:f"}, "")
	require.NoError(t, err)
	assert.Len(t, built, 2, "without Regions every target uses the home clients")
}

func TestDepsFor_role(t *testing.T) {
	const role = "arn:aws:iam::210987654321:role/sfprobe-target"
	home := check.Deps{Invoker: regionInvoker("eu-west-2")}
	tests := []struct {
		name      string
		give      check.Target
		runID     string
		wantKey   assume.Key
		wantDeps  regionInvoker
		wantBuild int
	}{
		{
			name:    "a role in the home region",
			give:    check.Target{Function: "sfInvokeAPI", RoleARN: role, ExternalID: "ext"},
			runID:   "exec-1-0",
			wantKey: assume.Key{RoleARN: role, ExternalID: "ext", RunID: "exec-1-0", Region: "eu-west-2"}, wantDeps: "eu-west-2 as " + role,
		},
		{
			name:    "a role in the function's region",
			give:    check.Target{Function: "arn:aws:lambda:us-east-1:210987654321:function:sfInvokeAPI", RoleARN: role},
			runID:   "exec-1-1",
			wantKey: assume.Key{RoleARN: role, RunID: "exec-1-1", Region: "us-east-1"}, wantDeps: "us-east-1 as " + role,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var built []string
			roles := &fakeRoles{}
			r := NewRegions("eu-west-2", marking(&built), roles)
			for range 2 {
				got, err := depsFor(context.Background(), home, r, tt.give, tt.runID)
				require.NoError(t, err)
				assert.Equal(t, tt.wantDeps, got.Invoker, "every client of the target signs with the role's credentials")
			}
			assert.Equal(t, []assume.Key{tt.wantKey, tt.wantKey}, roles.keys, "resolved before each use (the cache reuses)")
		})
	}
	t.Run("no roles", func(t *testing.T) {
		var built []string
		_, err := depsFor(context.Background(), home, NewRegions("eu-west-2", marking(&built), nil), check.Target{Function: "f", RoleARN: role}, "r")
		require.Error(t, err)
		assert.Equal(t, failure.Config, failure.ClassOf(err))
		assert.Contains(t, err.Error(), role)
		_, err = depsFor(context.Background(), home, nil, check.Target{Function: "f", RoleARN: role}, "r")
		require.Error(t, err, "a role is never silently ignored")
		assert.Empty(t, built)
	})
	t.Run("denied", func(t *testing.T) {
		var built []string
		roles := &fakeRoles{err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}}
		_, err := depsFor(context.Background(), home, NewRegions("eu-west-2", marking(&built), roles), check.Target{Function: "f", RoleARN: role, ExternalID: "x"}, "r")
		require.Error(t, err)
		assert.Equal(t, failure.Permission, failure.ClassOf(err))
		assert.Empty(t, built, "no client is built for a role not assumed")
	})
}

func TestRoleFailed(t *testing.T) {
	err := assume.Explain(context.Background(), &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"},
		assume.Key{RoleARN: "arn:aws:iam::210987654321:role/r", ExternalID: "secret-ext"}, "")
	got := RoleFailed([]string{check.TargetConfig, check.KmsKey}, err)
	require.Len(t, got, 2)
	for i, name := range []string{check.TargetConfig, check.KmsKey} {
		assert.Equal(t, name, got[i].Name)
		assert.Equal(t, check.Fail, got[i].Status)
		assert.Equal(t, failure.Permission, got[i].ErrorClass)
		assert.Contains(t, got[i].Message, "may not assume arn:aws:iam::210987654321:role/r")
		assert.NotContains(t, got[i].Message, "secret-ext")
		assert.Contains(t, got[i].Remediation, "sts:ExternalId")
		assert.Equal(t, assume.Anchor, got[i].Runbook)
	}
}
