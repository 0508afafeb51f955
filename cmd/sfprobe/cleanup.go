package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

const cleanupDescription = `
Removes the test Cases that crashed or failed runs left in Salesforce, through
sfInvokeAPI itself (the function, secret and API user the runs use):

  1. query   every Case whose Subject is "sfprobe synthetic test sfprobe-<run id>"
  2. keep    those created more than --older-than ago (a run never lasts that
             long; shorter than 5m is refused, so a run in progress is never
             swept), the oldest first, at most --limit
  3. update  each open one to Status Closed (204), then
  4. delete  it ({"Response": null})

--keep-cases closes the open ones and deletes none; --dry-run lists what
would be done and changes nothing (one query). Cases whose Subject starts
like a test Case's without a well-formed run marker are never touched. The
sweep stops at a failure every Case would repeat (auth, api-limit,
permission, config, ...) or after 3 failed Cases in a row. Each Case costs
up to two sfInvokeAPI calls, each at least one Salesforce API call; the
report counts them.

Exit codes: 0 every Case swept (or nothing to do), 1 a Case could not be
closed or deleted, or the query failed, 2 bad usage (before any AWS call).

--output json prints (a public schema; extend, never rename):
  {"ok", "function", "older_than", "cutoff", "dry_run", "keep_cases", "limit",
   "found", "too_recent", "kept", "ignored", "remaining",
   "cases": [{"id", "subject", "run_id", "created_at", "was_open",
              "action": "close-delete|delete|close",
              "status": "done|gone|dry-run|failed|not-attempted",
              "closed", "deleted", "error_class", "message"}],
   "salesforce_calls", "error_class", "message"}
found counts every Case the query returned: the cases listed plus too_recent,
kept (closed, with --keep-cases), ignored (no run marker or CreatedDate) and
remaining (old enough, beyond --limit: run the sweep again). error_class (a
failure class: sfprobe explain CLASS) and message appear only when set: on a
failed Case both, on other Cases a message may say why or note a close that
failed before the delete; at the top both when the query failed or the sweep
stopped early.

Examples:
  sfprobe cleanup --function sfInvokeAPI-prod --dry-run
  sfprobe cleanup --function sfInvokeAPI-prod
  sfprobe cleanup --function sfInvokeAPI-prod --older-than 24h --output json`

type cleanupFlags struct {
	cfg     check.SweepConfig
	output  string
	timeout time.Duration
	region  string
	profile string
}

func cleanupCmd(ctx context.Context, a *app, args []string) (int, error) {
	var f cleanupFlags
	fs := a.newFlagSet("cleanup", "--function NAME|ARN [--older-than 1h] [--dry-run] [--keep-cases] [--output text|json]", cleanupDescription)
	fs.StringVar(&f.cfg.Function, "function", "", "sfInvokeAPI function name or ARN, optionally :qualifier (required)")
	fs.DurationVar(&f.cfg.OlderThan, "older-than", check.DefaultSweepAge, "sweep only test Cases created longer ago than this (at least "+check.FormatAge(check.MinSweepAge)+")")
	fs.BoolVar(&f.cfg.DryRun, "dry-run", false, "list what would be closed and deleted; change nothing")
	fs.BoolVar(&f.cfg.KeepCases, "keep-cases", false, "close the open test Cases, delete none (audits)")
	fs.IntVar(&f.cfg.Limit, "limit", check.MaxSweepCases, fmt.Sprintf("sweep at most this many Cases, the oldest first (1 to %d)", check.MaxSweepCases))
	fs.StringVar(&f.output, "output", "text", "output format: text or json")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "deadline of the whole sweep; the Cases not reached are reported")
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile (default: AWS_PROFILE)")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if err := f.validate(); err != nil {
		return exitUsage, err
	}
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion(f.region), awsconf.WithProfile(f.profile))
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	var calls atomic.Int64
	client := sfinvoke.New(lambda.NewFromConfig(cfg), f.cfg.Function, sfinvoke.WithCallCounter(func() { calls.Add(1) }))
	return runSweep(ctx, a, client, f, check.WithSweepCalls(func() int { return int(calls.Load()) }))
}

// validate checks the flags before any AWS call.
func (f *cleanupFlags) validate() error {
	if f.output != "text" && f.output != "json" {
		return usagef("--output: unknown format %q (known: text, json)", f.output)
	}
	if f.timeout <= 0 {
		return usagef("--timeout: %s is not a positive duration", f.timeout)
	}
	if f.cfg.Limit < 1 {
		return usagef("--limit: %d is not between 1 and %d", f.cfg.Limit, check.MaxSweepCases)
	}
	if err := f.cfg.Validate(); err != nil {
		return &usageError{flagNames(err.Error())}
	}
	return nil
}

// runSweep runs the sweep with a progress line on a terminal, writes its
// report and returns the exit code.
func runSweep(ctx context.Context, a *app, api check.SweepAPI, f cleanupFlags, opts ...check.SweepOption) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	tty := isTerminal(a.stderr)
	if tty {
		opts = append(opts, check.WithSweepProgress(func(done, total int) {
			fmt.Fprintf(a.stderr, "\r\x1b[Ksweeping: %d/%d Case(s)", done, total)
		}))
	}
	rep := check.NewSweeper(api, opts...).Sweep(ctx, f.cfg)
	if tty {
		fmt.Fprint(a.stderr, "\r\x1b[K")
	}
	var err error
	if f.output == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeSweep(a.stdout, rep)
	}
	if err != nil {
		return exitFailed, fmt.Errorf("write report: %w", err)
	}
	if !rep.OK {
		return exitFailed, nil
	}
	return exitOK, nil
}

// writeSweep writes the sweep's report for people: what was found, a table
// of the Cases swept, the remedies of the failures, the Salesforce API
// budget spent and a verdict.
func writeSweep(w io.Writer, r check.SweepReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sfprobe cleanup  function: %s  older than: %s", report.OneLine(r.Function), r.OlderThan)
	if !r.Cutoff.IsZero() {
		fmt.Fprintf(&b, " (created before %s)", r.Cutoff.Format(time.RFC3339))
	}
	b.WriteString("\n")
	if r.Found > 0 || r.ErrorClass == "" || len(r.Cases) > 0 {
		b.WriteString(foundLine(r) + "\n")
	}

	classes := []failure.Class{}
	seen := map[failure.Class]bool{}
	if len(r.Cases) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CASE\tRUN ID\tCREATED\tWAS\tACTION\tRESULT")
		for _, c := range r.Cases {
			was := "closed"
			if c.WasOpen {
				was = "open"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", report.OneLine(c.ID), report.OneLine(c.RunID), c.CreatedAt.Format(time.RFC3339), was, c.Action, caseResult(c))
			if c.ErrorClass != "" && !seen[c.ErrorClass] {
				seen[c.ErrorClass] = true
				classes = append(classes, c.ErrorClass)
			}
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write cleanup report: %w", err)
		}
	}
	if r.ErrorClass != "" && !seen[r.ErrorClass] {
		classes = append(classes, r.ErrorClass)
	}
	for _, c := range classes {
		fmt.Fprintf(&b, "%s%s: %s\n", sweepIndent, c, report.OneLine(c.Remedy()))
	}
	if r.Message != "" {
		b.WriteString(report.OneLine(r.Message) + "\n")
	}
	if r.Remaining > 0 {
		fmt.Fprintf(&b, "%d more Case(s) old enough remain beyond the limit of %d: run sfprobe cleanup again\n", r.Remaining, r.Limit)
	}
	fmt.Fprintf(&b, "sfInvokeAPI calls: %d (Salesforce API budget)\n", r.SalesforceCalls)
	b.WriteString(sweepVerdict(r) + "\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write cleanup report: %w", err)
	}
	return nil
}

// sweepIndent lines up remedies under the table.
const sweepIndent = "      "

func foundLine(r check.SweepReport) string {
	s := fmt.Sprintf("found %d Case(s) with the test Subject prefix", r.Found)
	var parts []string
	if n := len(r.Cases) + r.Remaining; n > 0 || r.Found > 0 {
		parts = append(parts, fmt.Sprintf("%d old enough to sweep", n))
	}
	if r.TooRecent > 0 {
		parts = append(parts, fmt.Sprintf("%d too recent", r.TooRecent))
	}
	if r.Kept > 0 {
		parts = append(parts, fmt.Sprintf("%d closed and kept (--keep-cases)", r.Kept))
	}
	if r.Ignored > 0 {
		parts = append(parts, fmt.Sprintf("%d without a run marker or CreatedDate, never touched", r.Ignored))
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

func caseResult(c check.SweptCase) string {
	var s string
	switch c.Status {
	case check.SweepDone:
		switch {
		case c.Closed && c.Deleted:
			s = "closed and deleted"
		case c.Deleted:
			s = "deleted"
		default:
			s = "closed"
		}
	case check.SweepGone:
		s = "already deleted"
	case check.SweepDryRun:
		return report.OneLine(c.Message)
	case check.SweepFailed:
		return "FAILED (" + string(c.ErrorClass) + ") " + report.OneLine(c.Message)
	case check.SweepNotAttempted:
		return "NOT ATTEMPTED " + report.OneLine(strings.TrimPrefix(c.Message, "not attempted: "))
	default:
		s = report.OneLine(c.Status)
	}
	if c.Message != "" && c.Status != check.SweepGone {
		s += " (" + report.OneLine(c.Message) + ")"
	}
	return s
}

func sweepVerdict(r check.SweepReport) string {
	var closed, deleted, gone, failed int
	for _, c := range r.Cases {
		if c.Closed {
			closed++
		}
		if c.Deleted {
			deleted++
		}
		if c.Status == check.SweepGone {
			gone++
		}
		if c.Failed() {
			failed++
		}
	}
	switch {
	case r.ErrorClass != "" && len(r.Cases) == 0:
		return fmt.Sprintf("FAILED (%s): nothing was swept", r.ErrorClass)
	case r.DryRun:
		var close, del int
		for _, c := range r.Cases {
			if c.Action != check.SweepDelete {
				close++
			}
			if c.Action != check.SweepClose {
				del++
			}
		}
		return fmt.Sprintf("DRY RUN: nothing changed; without --dry-run this would close %d and delete %d Case(s)", close, del)
	case failed > 0:
		return fmt.Sprintf("FAILED: %d of %d Case(s) not swept; %d closed, %d deleted", failed, len(r.Cases), closed, deleted)
	case len(r.Cases) == 0:
		return "OK: nothing to sweep"
	}
	s := fmt.Sprintf("OK: %d Case(s) swept: %d closed, %d deleted", len(r.Cases), closed, deleted)
	if gone > 0 {
		s += fmt.Sprintf(", %d already deleted", gone)
	}
	return s
}
