package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfprobe/sfprobe/internal/redact"
)

// Exit codes: a public interface that pipelines depend on.
const (
	exitOK     = 0 // every check passed (warnings allowed)
	exitFailed = 1 // a check failed
	exitUsage  = 2 // bad usage or configuration, found before any AWS call
)

// usageError is a mistake in the command line or configuration: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) (int, error)
}

// app holds the CLI's I/O so tests can run it in-process.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	commands       []command
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	a.commands = []command{
		{"run", "run the checks directly against a deployed sfInvokeAPI (post-deploy smoke test, laptop runbook)", runCmd},
		{"local", "run the deployed workflow end to end on a local AWS (moto) against a simulated sfInvokeAPI", localCmd},
		{"start", "start the deployed workflow, wait, print its report (post-deploy smoke test)", startCmd},
		{"cleanup", "close and delete the test Cases that crashed runs left in Salesforce (--dry-run lists them)", cleanupCmd},
		{"pause", "pause the scheduled runs (skip every check, no paging) with a reason and an expiry", pauseCmd},
		{"resume", "resume the scheduled runs", resumeCmd},
		{"explain", "print the runbook section for a failure class, CHECK/CLASS or alarm", explainCmd},
		{"events", "print the rendered test events, ready to paste into the Lambda console", eventsCmd},
		{"version", "print sfprobe's version", versionCmd},
	}
	return a
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "sfprobe checks the Amazon Connect Salesforce integration's sfInvokeAPI function end to end.\n\n")
	fmt.Fprintf(w, "Usage:\n  sfprobe <command> [flags]\n\nCommands:\n")
	for _, c := range a.commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `sfprobe <command> --help` for a command's flags.\n")
	fmt.Fprintf(w, "Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage or configuration.\n")
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			return a.run(ctx, []string{args[1], "--help"})
		}
		a.usage(a.stdout)
		return exitOK
	case "--version", "-version":
		name = "version"
	}
	for _, c := range a.commands {
		if c.name != name {
			continue
		}
		code, err := c.run(ctx, a, args[1:])
		var ue *usageError
		switch {
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(a.stderr, "sfprobe %s: %s\n", name, redact.Text(err.Error()))
			fmt.Fprintf(a.stderr, "Run `sfprobe %s --help` for usage.\n", name)
			return exitUsage
		case err != nil:
			fmt.Fprintf(a.stderr, "sfprobe %s: %s\n", name, redact.Text(err.Error()))
			if code == exitOK {
				code = exitFailed
			}
		}
		return code
	}
	fmt.Fprintf(a.stderr, "sfprobe: unknown command %q\n\n", name)
	a.usage(a.stderr)
	return exitUsage
}

// newFlagSet returns a FlagSet whose errors and help go to the app's
// streams; help lists the flags sorted as the flag package does.
func (a *app) newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("sfprobe "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		w := a.stdout
		fmt.Fprintf(w, "Usage: sfprobe %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(description))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(a.stderr)
	}
	return fs
}

// parse parses flags and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func versionCmd(_ context.Context, a *app, args []string) (int, error) {
	fs := a.newFlagSet("version", "", "Prints sfprobe's version.")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	fmt.Fprintf(a.stdout, "sfprobe %s\n", version)
	return exitOK, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
