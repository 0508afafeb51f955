package sandbox

import (
	"io"
	"log/slog"
	"sync"
)

// functionLogger returns, for each in-process function, a JSON logger to w
// naming the function (nil loggers when w is nil: the handlers then log
// nothing). The loggers share one handler, so lines never interleave.
func functionLogger(w io.Writer) func(name string) *slog.Logger {
	if w == nil {
		return func(string) *slog.Logger { return nil }
	}
	l := slog.New(slog.NewJSONHandler(w, nil))
	return func(name string) *slog.Logger { return l.With("function", FunctionPrefix+name) }
}

// lockedWriter serializes writes to w from several emulators (nil stays
// nil).
func lockedWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return &syncWriter{mu: &sync.Mutex{}, w: w}
}
