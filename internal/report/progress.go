package report

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/sfprobe/sfprobe/internal/check"
)

// Progress shows a live one-line progress display on a terminal: each
// Update redraws the line in place. On anything but a terminal it writes
// nothing, so logs stay clean. It is safe for concurrent use, as checks run
// concurrently. Write errors are ignored: progress is cosmetic.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	finished map[string]bool
	done     bool
}

// NewProgress returns a Progress writing to w; isTTY says whether w is a
// terminal (see IsTerminal).
func NewProgress(w io.Writer, isTTY bool) *Progress {
	return &Progress{w: w, tty: isTTY, finished: map[string]bool{}}
}

// Update redraws the line with check's new status, e.g. "running" or a
// check.Status. Updates after Done are ignored.
func (p *Progress) Update(checkName, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty || p.done {
		return
	}
	switch check.Status(status) {
	case check.Pass, check.Warn, check.Fail, check.Skip:
		p.finished[checkName] = true
	default:
		delete(p.finished, checkName)
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%d done] %s: %s", len(p.finished), OneLine(checkName), OneLine(status))
}

// Done clears the progress line; later calls to Update and Done do nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty || p.done {
		return
	}
	p.done = true
	io.WriteString(p.w, "\r\x1b[K")
}

// IsTerminal reports whether f is a terminal (a character device).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
