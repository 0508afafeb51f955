package main

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/runbook"
)

const explainDescription = `
Prints a section of sfprobe's runbook (docs/RUNBOOK.md, built into this
binary): what a failure means, how to confirm it, its likely causes and the
remedy step by step. The argument is a failure class, a check and one of its
classes, or an alarm (its kind, or its full name as the page gives it), as
reports, JUnit output and alarm descriptions name them; a runbook link
(docs/RUNBOOK.md#auth) works too.

Examples:
  sfprobe explain auth
  sfprobe explain PhoneLookup/auth
  sfprobe explain alarm-run-failure
  sfprobe explain Sfprobe-RunFailure-prod-eu`

func explainCmd(_ context.Context, a *app, args []string) (int, error) {
	fs := a.newFlagSet("explain", "CLASS|CHECK/CLASS|ALARM", explainDescription)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitUsage, err
		}
		return exitUsage, &usageError{err.Error()}
	}
	switch fs.NArg() {
	case 0:
		return exitUsage, usagef("want a failure class, CHECK/CLASS or alarm, e.g. auth or PhoneLookup/auth (classes: %s)", classList())
	case 1:
	default:
		return exitUsage, usagef("unexpected argument %q", fs.Arg(1))
	}
	if err := runbook.Explain(a.stdout, fs.Arg(0)); err != nil {
		var unknown *runbook.UnknownError
		if errors.As(err, &unknown) {
			return exitUsage, &usageError{err.Error()}
		}
		return exitFailed, err
	}
	return exitOK, nil
}

func classList() string {
	var s []string
	for _, c := range failure.All() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}
