package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/pause"
)

const pauseDescription = `
Pauses sfprobe's scheduled runs: sets the stack's pause parameter (the stack
output PauseParameterName) so each run ends at once with every check skipped
and publishes the Paused metric instead of probing; the run-failure alarm
counts a paused run as healthy, so nothing pages. Pause while the Salesforce
API user is locked out or its password is being reset, so sfprobe does not
keep locking it; give a reason, and an expiry so a forgotten pause ends by
itself.

Examples:
  sfprobe pause --parameter /sfprobe/sfprobe-prod/paused --reason "API user locked out, INC-1234" --for 2h
  sfprobe pause --parameter /sfprobe/sfprobe-prod/paused --status`

const resumeDescription = `
Resumes sfprobe's scheduled runs: sets the pause parameter back to
{"paused": false}. The next scheduled run probes again.

Example:
  sfprobe resume --parameter /sfprobe/sfprobe-prod/paused`

type switchFlags struct {
	parameter, region, profile string
}

func (f *switchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.parameter, "parameter", "", "the pause switch's SSM parameter name (stack output PauseParameterName) (required)")
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
}

func (f *switchFlags) client(ctx context.Context) (*ssm.Client, error) {
	if f.parameter == "" {
		return nil, usagef("--parameter: required: the stack output PauseParameterName, e.g. /sfprobe/<stack>/paused")
	}
	if err := pause.ValidateName("--parameter", f.parameter); err != nil {
		return nil, &usageError{err.Error()}
	}
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion(f.region), awsconf.WithProfile(f.profile))
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return ssm.NewFromConfig(cfg), nil
}

func pauseCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f switchFlags
	var reason, until string
	var dur time.Duration
	var status bool
	fs := a.newFlagSet("pause", "--parameter NAME --reason TEXT [--for DURATION | --until TIME]", pauseDescription)
	f.register(fs)
	fs.StringVar(&reason, "reason", "", "why sfprobe is paused (shown in every skipped check) (required)")
	fs.DurationVar(&dur, "for", 0, "end the pause by itself after this long, e.g. 2h")
	fs.StringVar(&until, "until", "", "end the pause by itself at this RFC 3339 time, e.g. 2026-11-30T08:00:00Z")
	fs.BoolVar(&status, "status", false, "only print the switch's state")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	var st pause.State
	if !status {
		now := time.Now().UTC()
		st = pause.State{Paused: true, Reason: reason, By: a.getenv("USER"), At: &now}
		switch {
		case reason == "":
			return exitUsage, usagef("--reason: required: say why, for the next person on call")
		case dur < 0:
			return exitUsage, usagef("--for: %s is negative", dur)
		case dur > 0 && until != "":
			return exitUsage, usagef("--for and --until exclude each other")
		case dur > 0:
			t := now.Add(dur)
			st.Until = &t
		case until != "":
			t, err := time.Parse(time.RFC3339, until)
			if err != nil {
				return exitUsage, usagef("--until: %q is not an RFC 3339 time like 2026-11-30T08:00:00Z", until)
			}
			if !t.After(now) {
				return exitUsage, usagef("--until: %s is in the past", until)
			}
			st.Until = &t
		}
	}
	api, err := f.client(ctx)
	if err != nil {
		return exitUsage, err
	}
	if status {
		cur, err := pause.Read(ctx, api, f.parameter)
		if err != nil {
			return exitFailed, err
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", f.parameter, describe(cur, time.Now()))
		return exitOK, nil
	}
	if err := pause.Write(ctx, api, f.parameter, st); err != nil {
		return exitFailed, err
	}
	fmt.Fprintf(a.stdout, "%s: %s\nResume with: sfprobe resume --parameter %s\n", f.parameter, st, f.parameter)
	return exitOK, nil
}

func resumeCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f switchFlags
	fs := a.newFlagSet("resume", "--parameter NAME", resumeDescription)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	api, err := f.client(ctx)
	if err != nil {
		return exitUsage, err
	}
	if err := pause.Write(ctx, api, f.parameter, pause.Resumed); err != nil {
		return exitFailed, err
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", f.parameter, pause.Resumed)
	return exitOK, nil
}

func describe(s pause.State, now time.Time) string {
	if s.Paused && !s.Active(now) {
		return s.String() + " — expired, so sfprobe runs"
	}
	return s.String()
}
