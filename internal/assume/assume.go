// Package assume provides the credentials of a target's role (STS
// AssumeRole): a target in another account is probed through a read role
// there instead of resource-policy grants on its function, secret and key.
// The credentials are cached per process and key and refreshed shortly
// before they expire.
package assume

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STS is the STS API the roles are assumed with: AssumeRole, and
// GetCallerIdentity to name sfprobe's own principal when AssumeRole is
// denied (it needs no permission).
type STS interface {
	AssumeRole(ctx context.Context, params *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ STS = (*sts.Client)(nil)

// Key names one set of assumed-role credentials.
type Key struct {
	RoleARN    string
	ExternalID string
	// RunID is the run the session is named after (SessionName).
	RunID string
	// Region is the target's: STS is called at its regional endpoint.
	Region string
}

// The cache's defaults.
const (
	// ExpiryWindow is how long before they expire credentials are renewed.
	ExpiryWindow = 2 * time.Minute
	// Duration is the lifetime asked for (STS's default and the maximum a
	// role chained from a Lambda's role may have).
	Duration = time.Hour
	// DefaultMaxEntries bounds the cache: a Lambda process serves one run
	// of a target per invocation, a fleet run at most a few hundred.
	DefaultMaxEntries = 1024
	// sessionPrefix starts every session name: CloudTrail in the target
	// account names sfprobe and the run.
	sessionPrefix = "sfprobe"
	// maxSessionName is STS's limit on RoleSessionName.
	maxSessionName = 64
)

// Option tunes a Cache.
type Option func(*Cache)

// WithMaxEntries bounds the number of keys cached (default
// DefaultMaxEntries).
func WithMaxEntries(n int) Option { return func(c *Cache) { c.max = max(n, 1) } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(c *Cache) { c.now = now } }

// Cache hands out assumed-role credentials per Key, one provider per key,
// each an aws.CredentialsCache that renews ExpiryWindow before expiry.
type Cache struct {
	client func(region string) STS
	max    int
	now    func() time.Time

	mu      sync.Mutex
	entries map[Key]*entry
	callers map[string]string // region → sfprobe's principal ARN
}

type entry struct {
	creds *aws.CredentialsCache
	// expires is when the last credentials retrieved expire (zero until
	// Resolve succeeded once).
	expires time.Time
	added   time.Time
}

// NewCache returns a cache whose providers call STS through client(region):
// an STS client of that region, with sfprobe's own (source) credentials.
func NewCache(client func(region string) STS, opts ...Option) *Cache {
	c := &Cache{client: client, max: DefaultMaxEntries, now: time.Now, entries: map[Key]*entry{}, callers: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Provider returns the credentials provider of k, creating it on first use.
// Its first Retrieve calls STS; later ones reuse the credentials until
// ExpiryWindow before they expire.
func (c *Cache) Provider(k Key) *aws.CredentialsCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		return e.creds
	}
	c.evict()
	p := stscreds.NewAssumeRoleProvider(c.client(k.Region), k.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName(k.RunID)
		o.Duration = Duration
		if k.ExternalID != "" {
			o.ExternalID = aws.String(k.ExternalID)
		}
	})
	e := &entry{creds: aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = ExpiryWindow }), added: c.now()}
	c.entries[k] = e
	return e.creds
}

// Resolve returns k's provider after retrieving its credentials once, so a
// role that cannot be assumed is known before any call of the target. Its
// error is a *failure.Error (Explain) naming the role and the cause.
func (c *Cache) Resolve(ctx context.Context, k Key) (aws.CredentialsProvider, error) {
	p := c.Provider(k)
	creds, err := p.Retrieve(ctx)
	if err != nil {
		c.mu.Lock()
		delete(c.entries, k) // the next run asks STS again
		c.mu.Unlock()
		return nil, Explain(ctx, err, k, c.caller(ctx, k.Region, err))
	}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		e.expires = creds.Expires
	}
	c.mu.Unlock()
	return p, nil
}

// Len is the number of keys cached.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// evict drops the entries whose credentials expired, then, while the cache
// is full, those that expire (or were added) first. c.mu is held.
func (c *Cache) evict() {
	now := c.now()
	for k, e := range c.entries {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) < c.max {
		return
	}
	keys := make([]Key, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	until := func(e *entry) time.Time {
		if e.expires.IsZero() {
			return e.added
		}
		return e.expires
	}
	sort.Slice(keys, func(i, j int) bool { return until(c.entries[keys[i]]).Before(until(c.entries[keys[j]])) })
	for _, k := range keys[:len(keys)-c.max+1] {
		delete(c.entries, k)
	}
}

// caller names sfprobe's own principal for a denied AssumeRole, once per
// region; "" when the error is not a denial or the identity is unknown.
func (c *Cache) caller(ctx context.Context, region string, err error) string {
	if !denied(err) {
		return ""
	}
	c.mu.Lock()
	arn, ok := c.callers[region]
	c.mu.Unlock()
	if ok {
		return arn
	}
	out, gerr := c.client(region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if gerr != nil {
		return ""
	}
	arn = aws.ToString(out.Arn)
	c.mu.Lock()
	c.callers[region] = arn
	c.mu.Unlock()
	return arn
}

// unsafeSession matches what STS refuses in a RoleSessionName.
var unsafeSession = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName is the role session name of a run: "sfprobe-<run id>" with
// every character STS refuses ([\w+=,.@-] are allowed) replaced by "-",
// cut to STS's 64 characters; "sfprobe" for a run without an id.
func SessionName(runID string) string {
	if runID == "" {
		return sessionPrefix
	}
	name := unsafeSession.ReplaceAllString(fmt.Sprintf("%s-%s", sessionPrefix, runID), "-")
	if len(name) > maxSessionName {
		name = name[:maxSessionName]
	}
	return name
}

// FromConfig is a cache that assumes roles with cfg's credentials (the
// source: a Lambda's execution role, a CLI profile), STS called at each
// target's regional endpoint (cfg's endpoint overrides apply).
func FromConfig(cfg aws.Config, opts ...Option) *Cache {
	return NewCache(func(region string) STS {
		return sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = region })
	}, opts...)
}
