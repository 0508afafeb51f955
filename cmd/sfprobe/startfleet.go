package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/report"
	"github.com/sfprobe/sfprobe/internal/sfn"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// finishSummary finishes a run whose fleet ran on the Distributed Map: it
// reads the full fleet report from S3 with fleets and prints it as any
// fleet report. Without fleets (--summary-only), or when the report
// cannot be read (no access, expired by the bucket's lifecycle, not that
// run's), it prints the run's summary, and on stderr why. The exit code is
// the run's either way: the summary's verdict was made from every
// target's full report.
func finishSummary(ctx context.Context, a *app, out sfn.Outcome, format report.Format, fleets sfn.ObjectGetter) (int, error) {
	if fleets != nil {
		err := out.LoadFleet(ctx, fleets)
		if err == nil {
			fmt.Fprintf(a.stderr, "report    %s\n", out.Summary.Report.URI())
			return finishStart(ctx, a, out, format, nil)
		}
		msg := "warning: " + err.Error()
		if remedy := failure.RemedyOf(err); remedy != "" {
			msg += "\n  " + remedy
		}
		fmt.Fprintf(a.stderr, "%s\nthe run's summary follows (the exit code is the run's)\n", redact.Text(msg))
	}
	s := *out.Summary
	if err := report.WriteFleetSummary(a.stdout, s, format, report.WithTerminal(isTerminal(a.stdout))); err != nil {
		return exitFailed, fmt.Errorf("write report: %w", err)
	}
	if out.Passed() {
		return exitOK, nil
	}
	return exitFailed, nil
}

// inputTooLarge is the usage error of an execution input over Step
// Functions' limit: a fleet that large goes to S3.
func inputTooLarge(err error, targets int, targetsFile, input string) error {
	var tooLarge *sfn.InputTooLargeError
	if !errors.As(err, &tooLarge) {
		return &usageError{err.Error()}
	}
	source := "the execution input"
	switch {
	case targetsFile != "":
		source = fmt.Sprintf("--targets %s: its %d targets", targetsFile, targets)
	case input != "":
		source = "--input " + input
	}
	return usagef("%s: %v: upload the targets to S3 as a JSON array (the targets file's entries without region and profile; at most %d) and pass --targets-object s3://<bucket>/<key>; the workflow's role needs s3:GetObject on it",
		source, err, workflow.MaxFleetTargets)
}
