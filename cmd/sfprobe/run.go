package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const runDescription = `
Runs sfprobe's checks directly from this machine against a deployed
sfInvokeAPI, with the standard AWS settings (AWS_REGION, AWS_PROFILE,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>):

  TargetConfig, SecretAccess, KmsKey, ConnectAccess   (concurrently, with)
  PhoneLookup -> CreateCase -> CloseCase -> VerifyCaseClosed

The chain stops at its first failure; the test Case is closed and deleted
on every path (--keep-cases keeps it closed). Use --checks to run one check
from an on-call laptop; selecting a chain check runs the chain up to it.

A target in another account: --role-arn ROLE (and --external-id ID when
the role's trust policy requires one) makes every AWS call of the target
(the invokes, the AWS-side checks, the IAM simulation, Connect) as that
role, assumed with this machine's credentials (--profile or the default
chain) in the target's region, the session named sfprobe-<run id>. A role
that cannot be assumed fails every check (permission, naming the role):
docs/RUNBOOK.md#assume-role.

Many targets: --targets FILE checks every target of a YAML or JSON file,
--concurrency at once, and prints each target's report and a summary; the
exit code is 1 when any target failed. An entry has the keys of the
workflow's target and, for this command only, its own region and profile
(default: the function ARN's region, else --region; --profile). See
README.md, "Many targets".

  max_concurrency: 5                  # optional; default min(targets, 10)
  targets:
    - function: arn:aws:lambda:eu-west-2:123456789012:function:sfInvokeAPI
      phone: "+441122334455"
      name: prod-eu                   # the label in reports and metrics; unique
    - function: sfInvokeAPI-staging
      phone: "+15005550006"
      region: us-east-1
      profile: staging
    - function: arn:aws:lambda:eu-west-1:210987654321:function:sfInvokeAPI
      phone: "+441122334466"
      name: partner
      role_arn: arn:aws:iam::210987654321:role/sfprobe-target
      external_id: sfprobe-partner      # when the role's trust policy requires it

Examples:
  sfprobe run --function sfInvokeAPI-prod --phone +441122334455 --output junit > sfprobe.xml
  sfprobe run --targets fleet.yaml --output json > fleet.json
  sfprobe run --function arn:aws:lambda:eu-west-1:210987654321:function:sfInvokeAPI --phone +441122334466 \
    --role-arn arn:aws:iam::210987654321:role/sfprobe-target --external-id sfprobe-partner`

const runSynopsis = "--function NAME|ARN --phone +E164 [flags]\n       sfprobe run --targets FILE [--concurrency N] [flags]"

func runCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f targetFlags
	var fl fleetFlags
	fs := a.newFlagSet("run", runSynopsis, runDescription)
	f.register(fs)
	fl.register(fs)
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if fl.enabled(fs) {
		return runTargetsFile(ctx, a, fs, f, fl)
	}
	names, format, err := f.validated()
	if err != nil {
		return exitUsage, err
	}
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion(f.region), awsconf.WithProfile(f.profile))
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	deps, err := targetDepsFrom(cfg, f.target, f.timeout)
	if err != nil {
		return exitUsage, err
	}
	return runChecks(ctx, a, deps, f.target, names, format, check.WithTimeout(f.timeout), check.WithMaxFlows(f.maxFlows))
}

// targetDeps gives a target's clients for one run (its id names the
// session of the target's role); an error means the target's role could
// not be assumed, and no call of the target may be made.
type targetDeps func(ctx context.Context, runID string) (check.Deps, error)

// fixedDeps is a target's clients whatever the run.
func fixedDeps(d check.Deps) targetDeps {
	return func(context.Context, string) (check.Deps, error) { return d, nil }
}

// targetDepsFrom builds t's clients from cfg: cfg's own credentials, or,
// when t names a role, that role's, assumed with cfg's (the source) by
// STS in the target's region (its function ARN's, else cfg's), within the
// run's timeout.
func targetDepsFrom(cfg aws.Config, t check.Target, timeout time.Duration) (targetDeps, error) {
	d, err := depsFrom(cfg)
	if err != nil || t.RoleARN == "" {
		return fixedDeps(d), err
	}
	roles := assume.FromConfig(cfg)
	region := cmp.Or(check.FunctionRegion(t.Function), cfg.Region)
	return func(ctx context.Context, runID string) (check.Deps, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		creds, err := roles.Resolve(ctx, assume.Key{RoleARN: t.RoleARN, ExternalID: t.ExternalID, RunID: runID, Region: region})
		if err != nil {
			return check.Deps{}, err
		}
		return depsFrom(handler.ConfigFor(cfg, "", creds))
	}, nil
}

// probe runs names on t with its clients for a fresh run id; a target
// whose role could not be assumed gets every check failed with the cause,
// without a call.
func probe(ctx context.Context, deps targetDeps, t check.Target, names []string, opts ...check.Option) check.Report {
	start := time.Now()
	runID := check.NewRunID(start)
	d, err := deps(ctx, runID)
	if err != nil {
		rep := check.Report{Target: t.Label(), RunID: runID, StartedAt: start.UTC(), Cleanup: check.Cleanup{Status: check.CleanupNotNeeded},
			Checks: roleFailed(reported(names), err)}
		rep.DurationMS = time.Since(start).Milliseconds()
		rep.Finish()
		return rep
	}
	return check.NewRunner(d, slices.Concat(opts, []check.Option{check.WithRunID(runID)})...).Run(ctx, t, names)
}

// roleFailed are the results of names for a target whose role could not
// be assumed, as the workflow reports them: each AWS check and the chain's
// first step failed with the cause, the chain's later steps skipped after it.
func roleFailed(names []string, err error) []check.Result {
	out := handler.RoleFailed(names, err)
	first := ""
	for i, r := range out {
		if !check.IsChain(r.Name) {
			continue
		}
		if first == "" {
			first = r.Name
			continue
		}
		out[i] = check.SkippedResult(r.Name, fmt.Sprintf("skipped: %s failed (%s)", first, r.ErrorClass))
	}
	return out
}

// reported are the checks a run of names reports, in report order: those
// named and the chain up to the last chain check named.
func reported(names []string) []string {
	last := -1
	for i, n := range check.ChainChecks {
		if slices.Contains(names, n) {
			last = i
		}
	}
	var out []string
	for _, n := range check.Names() {
		if slices.Contains(names, n) || slices.Index(check.ChainChecks, n) >= 0 && slices.Index(check.ChainChecks, n) <= last {
			out = append(out, n)
		}
	}
	return out
}

// depsFrom builds the checks' AWS clients for cfg, and SalesforceLogin's
// HTTP client (SFPROBE_SALESFORCE_ENDPOINT, when set, sends its requests
// to a local org: `sfprobe local --keep`).
func depsFrom(cfg aws.Config) (check.Deps, error) {
	sf, err := check.NewHTTPClient(os.Getenv(workflow.EnvSalesforceEndpoint))
	if err != nil {
		return check.Deps{}, usagef("%s: %v", workflow.EnvSalesforceEndpoint, err)
	}
	return check.DepsFrom(check.Clients{
		Lambda:         lambda.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		KMS:            kms.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		Connect:        connect.NewFromConfig(cfg),
		HTTP:           sf,
	}), nil
}

// runTargetsFile runs the checks over every target of the --targets file.
// Each target gets its own AWS configuration (and so its own connections):
// its region (or its function ARN's) and profile, else the flags', else the
// environment's. All are loaded before the first probe, so a bad profile
// stops the run (exit 2); a target's role is assumed when its turn comes
// (a role that cannot be assumed fails that target only).
func runTargetsFile(ctx context.Context, a *app, fs *flag.FlagSet, f targetFlags, fl fleetFlags) (int, error) {
	names, format, err := f.runFlags()
	if err != nil {
		return exitUsage, err
	}
	file, concurrency, err := fl.load(fs)
	if err != nil {
		return exitUsage, err
	}
	ts := file.CheckTargets()
	deps := make([]targetDeps, len(file.Targets))
	for i, e := range file.Targets {
		cfg, err := awsconf.Load(ctx, awsconf.WithRegion(cmp.Or(e.CallRegion(), f.region)), awsconf.WithProfile(cmp.Or(e.Profile, f.profile)))
		if err != nil {
			return exitUsage, usagef("--targets: targets[%d] (%s): %v", i, e.Label(), err)
		}
		if deps[i], err = targetDepsFrom(cfg, ts[i], f.timeout); err != nil {
			return exitUsage, err
		}
	}
	return runFleet(ctx, a, ts, deps, names, format, concurrency, check.WithTimeout(f.timeout), check.WithMaxFlows(f.maxFlows))
}

// runFleet runs the checks over ts, target i with deps[i], at most
// concurrency targets at once, and writes the fleet report with the
// targets in their given order. It returns 0 when every target passed.
func runFleet(ctx context.Context, a *app, ts []check.Target, deps []targetDeps, names []string, format report.Format, concurrency int, opts ...check.Option) (int, error) {
	start := time.Now()
	progress := &fleetProgress{w: a.stderr, on: isTerminal(a.stderr), total: len(ts)}
	reports := make([]check.Report, len(ts))
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, t := range ts {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			reports[i] = probe(ctx, deps[i], t, names, opts...)
			progress.finished(reports[i])
		}()
	}
	wg.Wait()
	fleet := check.NewFleet(check.NewRunID(start), start, time.Since(start), reports)
	if err := report.WriteFleet(a.stdout, fleet, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
		return exitFailed, fmt.Errorf("write report: %w", err)
	}
	if !fleet.OK {
		return exitFailed, nil
	}
	return exitOK, nil
}

// fleetProgress prints one line on a terminal as each target finishes (the
// per-check progress line of one target would interleave).
type fleetProgress struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	total int
	done  int
}

func (p *fleetProgress) finished(r check.Report) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	fmt.Fprintf(p.w, "[%d/%d] %s\n", p.done, p.total, targetVerdict(r))
}

// targetVerdict is a target's outcome on one line, e.g.
// "prod-eu: FAILED PhoneLookup (2.3s)".
func targetVerdict(r check.Report) string {
	verdict := "OK"
	if !r.OK {
		verdict = "FAILED"
		if failed := r.FailedChecks(); len(failed) > 0 {
			verdict += " " + strings.Join(failed, ", ")
		}
	}
	return fmt.Sprintf("%s: %s (%.1fs)", r.Target, verdict, float64(max(r.DurationMS, 0))/1000)
}

// runChecks runs the checks with a live progress line on a terminal and
// writes the report; it returns the run's exit code.
func runChecks(ctx context.Context, a *app, deps targetDeps, t check.Target, names []string, format report.Format, opts ...check.Option) (int, error) {
	tty := isTerminal(a.stderr)
	progress := report.NewProgress(a.stderr, tty)
	opts = append(opts, check.WithProgress(func(name string, st check.Status) { progress.Update(name, string(st)) }))
	rep := probe(ctx, deps, t, names, opts...)
	progress.Done()
	if err := report.Write(a.stdout, rep, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
		return exitFailed, fmt.Errorf("write report: %w", err)
	}
	if !rep.OK {
		return exitFailed, nil
	}
	return exitOK, nil
}
