package assume_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/runbook"
)

const (
	roleARN = "arn:aws:iam::210987654321:role/sfprobe-target"
	caller  = "arn:aws:sts::123456789012:assumed-role/sfprobe-check-config/sfprobe-check-config"
)

// fakeSTS answers AssumeRole with AssumeRoleFn and records its inputs and
// the region of the client it was built for.
type fakeSTS struct {
	mu            sync.Mutex
	region        string
	calls         []sts.AssumeRoleInput
	identityCalls int
	AssumeRoleFn  func(in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error)
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, *in)
	f.mu.Unlock()
	return f.AssumeRoleFn(in)
}

func (f *fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.mu.Lock()
	f.identityCalls++
	f.mu.Unlock()
	return &sts.GetCallerIdentityOutput{Arn: aws.String(caller)}, nil
}

// issuing returns an AssumeRoleFn that issues credentials valid for ttl.
func issuing(ttl time.Duration) func(*sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
	n := 0
	return func(in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		n++
		return &sts.AssumeRoleOutput{
			Credentials: &ststypes.Credentials{
				AccessKeyId: aws.String("ASIA" + strings.Repeat("X", n)), SecretAccessKey: aws.String("s"),
				SessionToken: aws.String("t"), Expiration: aws.Time(time.Now().Add(ttl)),
			},
			AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String(aws.ToString(in.RoleArn) + "/" + aws.ToString(in.RoleSessionName)), AssumedRoleId: aws.String("AROA:x")},
		}, nil
	}
}

func failing(err error) func(*sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
	return func(*sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) { return nil, err }
}

// newCache returns a cache over one fake per region.
func newCache(fn func(*sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error), opts ...assume.Option) (*assume.Cache, map[string]*fakeSTS) {
	fakes := map[string]*fakeSTS{}
	var mu sync.Mutex
	c := assume.NewCache(func(region string) assume.STS {
		mu.Lock()
		defer mu.Unlock()
		if f, ok := fakes[region]; ok {
			return f
		}
		f := &fakeSTS{region: region, AssumeRoleFn: fn}
		fakes[region] = f
		return f
	}, opts...)
	return c, fakes
}

func TestCache_reuse(t *testing.T) {
	k := assume.Key{RoleARN: roleARN, ExternalID: "ext-1", RunID: "run-1", Region: "eu-west-2"}
	tests := []struct {
		name      string
		ttl       time.Duration
		keys      []assume.Key
		wantCalls int
	}{
		{name: "one key is assumed once", ttl: time.Hour, keys: []assume.Key{k, k, k}, wantCalls: 1},
		{name: "credentials inside the expiry window are renewed", ttl: assume.ExpiryWindow - 30*time.Second, keys: []assume.Key{k, k, k}, wantCalls: 3},
		{name: "credentials just outside the window are reused", ttl: assume.ExpiryWindow + time.Minute, keys: []assume.Key{k, k}, wantCalls: 1},
		{name: "another run is another session", ttl: time.Hour, keys: []assume.Key{k, {RoleARN: roleARN, ExternalID: "ext-1", RunID: "run-2", Region: "eu-west-2"}, k}, wantCalls: 2},
		{name: "another external id is another key", ttl: time.Hour, keys: []assume.Key{k, {RoleARN: roleARN, ExternalID: "ext-2", RunID: "run-1", Region: "eu-west-2"}}, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fakes := newCache(issuing(tt.ttl))
			for _, key := range tt.keys {
				p, err := c.Resolve(context.Background(), key)
				require.NoError(t, err)
				creds, err := p.Retrieve(context.Background())
				require.NoError(t, err)
				assert.True(t, creds.CanExpire)
			}
			require.Len(t, fakes, 1)
			f := fakes["eu-west-2"]
			assert.Len(t, f.calls, tt.wantCalls+countRenewals(tt.ttl, len(tt.keys)), "AssumeRole calls")
			in := f.calls[0]
			assert.Equal(t, roleARN, aws.ToString(in.RoleArn))
			assert.Equal(t, "sfprobe-run-1", aws.ToString(in.RoleSessionName))
			assert.Equal(t, "ext-1", aws.ToString(in.ExternalId))
			assert.Equal(t, int32(3600), aws.ToInt32(in.DurationSeconds))
		})
	}
}

// countRenewals is how many extra AssumeRole calls the second Retrieve
// after each Resolve makes when the credentials are already inside the
// expiry window (each Retrieve renews them).
func countRenewals(ttl time.Duration, n int) int {
	if ttl < assume.ExpiryWindow {
		return n
	}
	return 0
}

func TestCache_regionalEndpointAndNoExternalID(t *testing.T) {
	c, fakes := newCache(issuing(time.Hour))
	_, err := c.Resolve(context.Background(), assume.Key{RoleARN: roleARN, RunID: "r", Region: "ap-southeast-2"})
	require.NoError(t, err)
	_, err = c.Resolve(context.Background(), assume.Key{RoleARN: roleARN, RunID: "r", Region: "us-east-1"})
	require.NoError(t, err)
	require.Contains(t, fakes, "ap-southeast-2", "STS is called in the target's region")
	require.Contains(t, fakes, "us-east-1")
	assert.Nil(t, fakes["ap-southeast-2"].calls[0].ExternalId, "no external id: none sent")
}

func TestCache_bounded(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	c, _ := newCache(issuing(time.Hour), assume.WithMaxEntries(3), assume.WithClock(clock))
	for i := range 5 {
		_, err := c.Resolve(context.Background(), assume.Key{RoleARN: roleARN, RunID: string(rune('a' + i)), Region: "eu-west-2"})
		require.NoError(t, err)
	}
	assert.Equal(t, 3, c.Len(), "the cache holds at most its bound")
	now = now.Add(2 * time.Hour) // every credential expired
	_, err := c.Resolve(context.Background(), assume.Key{RoleARN: roleARN, RunID: "z", Region: "eu-west-2"})
	require.NoError(t, err)
	assert.Equal(t, 1, c.Len(), "expired entries are dropped")
}

func TestSessionName(t *testing.T) {
	tests := []struct{ give, want string }{
		{give: "", want: "sfprobe"},
		{give: "20261203T141500Z-ab12cd34", want: "sfprobe-20261203T141500Z-ab12cd34"},
		{give: "sched-2026/12/03 14:15:00#3", want: "sfprobe-sched-2026-12-03-14-15-00-3"},
		{give: "ünïcode:ok+=,.@_-", want: "sfprobe--n-code-ok+=,.@_-"},
		{give: strings.Repeat("x", 100), want: "sfprobe-" + strings.Repeat("x", 56)},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got := assume.SessionName(tt.give)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), 64)
			assert.Regexp(t, `^[\w+=,.@-]{2,64}$`, got)
		})
	}
}

func TestResolve_errors(t *testing.T) {
	const external = "super-secret-external-id"
	tests := []struct {
		name        string
		err         error
		externalID  string
		wantClass   failure.Class
		wantMsg     []string
		wantRemedy  string
		wantCallers int
	}{
		{
			name: "denied with an external id", externalID: external,
			err:       &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN},
			wantClass: failure.Permission, wantCallers: 1,
			wantMsg:    []string{"sfprobe's role " + caller + " may not assume " + roleARN, "trust policy does not trust it, or the ExternalId does not match", "one error for both", "external id is set"},
			wantRemedy: "sts:ExternalId",
		},
		{
			name:      "denied without an external id",
			err:       &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"},
			wantClass: failure.Permission, wantCallers: 1,
			wantMsg:    []string{"may not assume " + roleARN, "external id is not set"},
			wantRemedy: assume.Anchor,
		},
		{
			name:      "STS not activated in the region",
			err:       &smithy.GenericAPIError{Code: "RegionDisabledException", Message: "STS is not activated in this region for account:210987654321"},
			wantClass: failure.Config, wantMsg: []string{"assume " + roleARN, "STS is not activated in eu-west-2"},
			wantRemedy: "Activate STS",
		},
		{
			name: "throttled", err: &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"},
			wantClass: failure.Throttled, wantMsg: []string{"assume " + roleARN, "Rate exceeded"}, wantRemedy: failure.Throttled.Remedy(),
		},
		{
			name: "network", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
			wantClass: failure.Network, wantMsg: []string{"assume " + roleARN, "connection refused"}, wantRemedy: failure.Network.Remedy(),
		},
		{
			name: "malformed policy", err: &smithy.GenericAPIError{Code: "MalformedPolicyDocument", Message: "bad"},
			wantClass: failure.Unknown, wantMsg: []string{"assume " + roleARN}, wantRemedy: assume.Anchor,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fakes := newCache(failing(tt.err))
			k := assume.Key{RoleARN: roleARN, ExternalID: tt.externalID, RunID: "r1", Region: "eu-west-2"}
			p, err := c.Resolve(context.Background(), k)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Equal(t, tt.wantClass, failure.ClassOf(err))
			for _, m := range tt.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			assert.NotContains(t, err.Error(), external, "the external id's value never appears")
			assert.Contains(t, failure.RemedyOf(err), tt.wantRemedy)
			assert.Equal(t, tt.wantClass.Transient(), failure.ClassOf(err).Transient())
			assert.Equal(t, 0, c.Len(), "a failed key is not kept: the next run asks again")
			_, err = c.Resolve(context.Background(), k)
			require.Error(t, err)
			assert.Equal(t, tt.wantCallers, fakes["eu-west-2"].identityCalls, "the caller is looked up once, for denials only")
		})
	}
}

func TestResolve_redacts(t *testing.T) {
	const secret = "hunter2-password-value"
	c, _ := newCache(failing(&smithy.GenericAPIError{Code: "Throttling", Message: "echo " + secret}))
	redact.Register(secret)
	_, err := c.Resolve(context.Background(), assume.Key{RoleARN: roleARN, RunID: "r", Region: "eu-west-2"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
}

func TestAnchorHasARunbookSection(t *testing.T) {
	got, ok := runbook.Section(strings.TrimPrefix(assume.Anchor, "docs/RUNBOOK.md#"))
	require.True(t, ok, "docs/RUNBOOK.md lacks the section %s", assume.Anchor)
	assert.Contains(t, got, "ExternalId")
}

func TestExplain_messageIsCompact(t *testing.T) {
	wrapped := fmt.Errorf("failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403: %w",
		&smithy.GenericAPIError{Code: "AccessDenied", Message: "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN})
	err := assume.Explain(context.Background(), wrapped, assume.Key{RoleARN: roleARN}, caller)
	assert.Equal(t, "sfprobe's role "+caller+" may not assume "+roleARN+": its trust policy does not trust it, or the ExternalId does not match "+
		"(AWS gives one error for both; the external id is not set): AccessDenied: User: "+caller+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN, err.Error())
	var apiErr smithy.APIError
	assert.ErrorAs(t, err, &apiErr, "the SDK's error stays reachable")
}
