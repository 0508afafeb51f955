package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/report"
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

Example:
  sfprobe run --function sfInvokeAPI-prod --phone +441122334455 --output junit > sfprobe.xml`

func runCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f targetFlags
	fs := a.newFlagSet("run", "--function NAME|ARN --phone +E164 [flags]", runDescription)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	names, format, err := f.validated()
	if err != nil {
		return exitUsage, err
	}
	var opts []awsconf.Option
	if f.region != "" {
		opts = append(opts, awsconf.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, awsconf.WithProfile(f.profile))
	}
	cfg, err := awsconf.Load(ctx, opts...)
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	deps := check.DepsFrom(check.Clients{
		Lambda:         lambda.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		KMS:            kms.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
	})
	return runChecks(ctx, a, deps, f.target, names, format, check.WithTimeout(f.timeout))
}

// runChecks runs the checks with a live progress line on a terminal and
// writes the report; it returns the run's exit code.
func runChecks(ctx context.Context, a *app, deps check.Deps, t check.Target, names []string, format report.Format, opts ...check.Option) (int, error) {
	tty := isTerminal(a.stderr)
	progress := report.NewProgress(a.stderr, tty)
	opts = append(opts, check.WithProgress(func(name string, st check.Status) { progress.Update(name, string(st)) }))
	rep := check.NewRunner(deps, opts...).Run(ctx, t, names)
	progress.Done()
	if err := report.Write(a.stdout, rep, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
		return exitFailed, fmt.Errorf("write report: %w", err)
	}
	if !rep.OK {
		return exitFailed, nil
	}
	return exitOK, nil
}
