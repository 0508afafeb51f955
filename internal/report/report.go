// Package report renders a check.Report for people and pipelines: a text
// summary for terminals and logs, the JSON report and JUnit XML for CI. The
// JSON and JUnit outputs are public interfaces; extend them, never rename.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfprobe/sfprobe/internal/check"
)

// Format is an output format of a report.
type Format string

// The output formats, as the --output flag spells them.
const (
	Text  Format = "text"
	JSON  Format = "json"
	JUnit Format = "junit"
)

// formats lists every format in help order.
var formats = []Format{Text, JSON, JUnit}

// ParseFormat parses the value of the --output flag.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range formats {
		if f == known {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, known := range formats {
		names[i] = string(known)
	}
	return "", fmt.Errorf("--output: unknown format %q (known: %s)", s, strings.Join(names, ", "))
}

// Option configures Write.
type Option func(*options)

type options struct {
	terminal bool
}

// WithTerminal says whether the writer is a terminal. Text output is
// coloured only on a terminal and only when NO_COLOR is unset or empty
// (https://no-color.org). The other formats ignore it.
func WithTerminal(isTTY bool) Option { return func(o *options) { o.terminal = isTTY } }

// Write renders r to w in format f.
func Write(w io.Writer, r check.Report, f Format, opts ...Option) error {
	r = r.Redacted()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch f {
	case Text:
		return writeText(w, r, o.terminal && os.Getenv("NO_COLOR") == "")
	case JSON:
		return writeJSON(w, r)
	case JUnit:
		return WriteJUnitMulti(w, []check.Report{r})
	default:
		return fmt.Errorf("write report: unknown format %q", f)
	}
}

// writeJSON writes exactly the JSON encoding of r, indented by two spaces,
// with a trailing newline.
func writeJSON(w io.Writer, r check.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
