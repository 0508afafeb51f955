package sfinvoke_test

import (
	"encoding/base64"
	"testing"

	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// FuzzParseLogTail: any tail parses without panicking, and what it yields
// is never negative.
func FuzzParseLogTail(f *testing.F) {
	f.Add("REPORT RequestId: r\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 800.1 ms\t")
	f.Add(`{"type":"platform.report","record":{"metrics":{"durationMs":1,"memorySizeMB":128}}}`)
	f.Add("REPORT Duration: 99999999999999999999999 ms Memory Size: 1e309 MB")
	f.Fuzz(func(t *testing.T, s string) {
		inv, ok := sfinvoke.ParseLogTail(base64.StdEncoding.EncodeToString([]byte(s)))
		if !ok {
			return
		}
		if inv.DurationMS < 0 || inv.MemorySizeMB < 0 || inv.MaxMemoryUsedMB < 0 || inv.InitDurationMS < 0 {
			t.Fatalf("negative figure from %q: %+v", s, inv)
		}
	})
}
