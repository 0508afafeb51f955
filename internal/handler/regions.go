package handler

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// Build makes the clients of a target: in region, signed with creds (nil:
// the function's own credentials).
type Build func(region string, creds aws.CredentialsProvider) check.Deps

// Roles resolves the credentials of a target's role (*assume.Cache): once
// per key, before any call of the target.
type Roles interface {
	Resolve(ctx context.Context, k assume.Key) (aws.CredentialsProvider, error)
}

var _ Roles = (*assume.Cache)(nil)

// Regions gives a target the clients it is probed with: those of its
// function's region (a targets file may list deployments in several
// regions, and a Lambda client only calls functions in its own region)
// and, for a target with a role_arn, signed with that role's credentials,
// so every AWS call of the target runs in its account as that role.
type Regions struct {
	home  string
	build Build
	roles Roles

	mu   sync.Mutex
	deps map[string]check.Deps
}

// NewRegions serves home's targets without a role with the handler's own
// Deps, builds the clients of any other region once, and those of a
// target with a role for each run with roles' credentials (nil roles:
// targets with a role fail config).
func NewRegions(home string, build Build, roles Roles) *Regions {
	return &Regions{home: home, build: build, roles: roles, deps: map[string]check.Deps{}}
}

// errNoRoles is a target's role on a function built without Roles.
var errNoRoles = errors.New("this sfprobe function cannot assume target roles (no STS client)")

// depsFor returns the dependencies for t in run runID: home's, unless t's
// function ARN names another region or t names a role. The role's
// credentials are resolved first: an error (a *failure.Error naming the
// role and the cause) means no call of t may be made.
func depsFor(ctx context.Context, home check.Deps, r *Regions, t check.Target, runID string) (check.Deps, error) {
	region := check.FunctionRegion(t.Function)
	if t.RoleARN != "" {
		if r == nil || r.roles == nil {
			return check.Deps{}, failure.Wrap(failure.Config, "role_arn "+t.RoleARN, errNoRoles)
		}
		if region == "" {
			region = r.home
		}
		creds, err := r.roles.Resolve(ctx, assume.Key{RoleARN: t.RoleARN, ExternalID: t.ExternalID, RunID: runID, Region: region})
		if err != nil {
			return check.Deps{}, err
		}
		// Built per run, not kept: the credentials are cached (bounded) in
		// roles, and the clients share the configuration's connections.
		return r.build(region, creds), nil
	}
	if r == nil || region == "" || region == r.home {
		return home, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.deps[region]
	if !ok {
		d = r.build(region, nil)
		r.deps[region] = d
	}
	return d, nil
}

// RoleFailed is the result of each of names for a target whose role could
// not be assumed (err from Roles.Resolve): failed with err's class, its
// message and remedy, through the redactor. No call of the target was made.
func RoleFailed(names []string, err error) []check.Result {
	class := failure.ClassOf(err)
	remedy := failure.RemedyOf(err)
	if remedy == "" {
		remedy = class.Remedy()
	}
	out := make([]check.Result, 0, len(names))
	for _, name := range names {
		out = append(out, check.Result{Name: name, Status: check.Fail, ErrorClass: class, Message: redact.Text(err.Error()),
			Remediation: redact.Text(remedy), Runbook: assume.Anchor})
	}
	return out
}

// unreachable is an sfInvokeAPI invoker for a target whose role could not
// be assumed: cleanup still records its skipped steps, and a test Case
// left by an earlier step is reported as not cleaned up, with the cause.
type unreachable struct{ err error }

func (u unreachable) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return nil, u.err
}

var _ sfinvoke.Invoker = unreachable{}

// ConfigFor is cfg for a target's clients: its region and, when creds is
// set, its role's credentials (functions/ and the sandbox build their
// clients from it).
func ConfigFor(cfg aws.Config, region string, creds aws.CredentialsProvider) aws.Config {
	c := cfg.Copy()
	if region != "" {
		c.Region = region
	}
	if creds != nil {
		c.Credentials = creds
	}
	return c
}
