package check

import (
	"fmt"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// primaryEvent is the sfInvokeAPI operation whose result a chain check
// judges: its shape is the one the check records.
var primaryEvent = map[string]events.Name{
	PhoneLookup:      events.PhoneLookup,
	CreateCase:       events.Create,
	CloseCase:        events.Update,
	VerifyCaseClosed: events.LookupCase,
}

// recorder collects what a chain step's invocations reported about
// themselves (every attempt, every operation of the step).
type recorder struct{ calls []sfinvoke.Call }

func (rec *recorder) observe(c sfinvoke.Call) { rec.calls = append(rec.calls, c) }

// recorded is s.salesforce with rec observing every invocation.
func (s *session) recorded(c *Chain, rec *recorder) *sfinvoke.Client {
	return sfinvoke.New(s.deps.Invoker, c.Target.Function,
		sfinvoke.WithCallTimeout(s.opts.callTimeout),
		sfinvoke.WithCallCounter(func() { c.Calls++ }),
		sfinvoke.WithObserver(rec.observe))
}

// invocation sums up the step's invocations: the longest one's durations
// and memory size, the highest memory used, the longest Init Duration of a
// cold one, and the executed version (one that differs from want, if any,
// else the last reported). nil when no invocation reported anything; only
// a version (no REPORT line) leaves the figures zero.
func (rec *recorder) invocation(want string) *Invocation {
	var out *Invocation
	for _, c := range rec.calls {
		inv := c.Invocation
		if inv == nil {
			continue
		}
		if out == nil {
			cp := *inv
			out = &cp
			continue
		}
		if inv.DurationMS > out.DurationMS {
			out.DurationMS, out.BilledDurationMS, out.MemorySizeMB = inv.DurationMS, inv.BilledDurationMS, inv.MemorySizeMB
		}
		out.MaxMemoryUsedMB = max(out.MaxMemoryUsedMB, inv.MaxMemoryUsedMB)
		out.InitDurationMS = max(out.InitDurationMS, inv.InitDurationMS)
		if inv.ExecutedVersion != "" && (want == "" || out.ExecutedVersion == "" || out.ExecutedVersion == want) {
			out.ExecutedVersion = inv.ExecutedVersion
		}
	}
	return out
}

// shape is the shape of the last result of the check's own operation.
func (rec *recorder) shape(name string) []ShapeKey {
	for i := len(rec.calls) - 1; i >= 0; i-- {
		if c := rec.calls[i]; c.Result && c.Event == string(primaryEvent[name]) {
			return c.Shape
		}
	}
	return nil
}

// apply records the invocations' figures and shape on r, warns when the
// memory is nearly full, and fails PhoneLookup (the chain's first check,
// so no test Case is created) with config when the target expects another
// version than the one that ran.
func (rec *recorder) apply(r Result, t Target) Result {
	inv := rec.invocation(t.ExpectVersion)
	if r.Name == PhoneLookup && t.ExpectVersion != "" && len(rec.calls) > 0 {
		got := ""
		if inv != nil {
			got = inv.ExecutedVersion
		}
		if got != t.ExpectVersion {
			what := fmt.Sprintf("version %s of sfInvokeAPI answered, expected %s", got, t.ExpectVersion)
			if got == "" {
				what = "the invoke reported no executed version, expected " + t.ExpectVersion
			}
			if r.Message != "" {
				what += " (the lookup itself: " + r.Message + ")"
			}
			f := failed(r.Name, failure.Config, what)
			f.Remediation = "Point the function or alias the flows call at version " + t.ExpectVersion + " (aws lambda update-alias, or redeploy), or correct --expect-version / the target's expect_version"
			r = f
		}
	}
	if inv != nil && inv.MemorySizeMB == 0 {
		inv = nil // a version but no REPORT line: no figures to record
	}
	r.Invocation = inv
	r.Shape = rec.shape(r.Name)
	if inv != nil && inv.MemoryNearlyFull() && (r.Status == Pass || r.Status == Warn) {
		r.Status = Warn
		r.Message += fmt.Sprintf("; warning: sfInvokeAPI used %d of its %d MB (at least %d %%): raise its memory before it runs out (Runtime.OutOfMemory)", inv.MaxMemoryUsedMB, inv.MemorySizeMB, sfinvoke.MemoryWarnPercent)
	}
	return r
}

// TargetHealth sums up what a run's invocations reported about sfInvokeAPI.
type TargetHealth struct {
	// LongestMS is the longest invocation's duration, and LongestCheck the
	// check it belongs to.
	LongestMS    float64
	LongestCheck string
	// ColdStartMS is the Init Duration of a cold invocation, 0 when every
	// invocation was warm.
	ColdStartMS     float64
	MaxMemoryUsedMB int
	MemorySizeMB    int
	// Version is the version that ran (the first check's).
	Version string
}

// Health sums up the invocations of r's checks; ok is false when none
// reported REPORT figures (no chain check ran, or no log tail came back).
func (r Report) Health() (h TargetHealth, ok bool) {
	for _, c := range r.Checks {
		inv := c.Invocation
		if inv == nil || inv.MemorySizeMB == 0 {
			continue
		}
		if !ok || inv.DurationMS > h.LongestMS {
			h.LongestMS, h.LongestCheck = inv.DurationMS, c.Name
		}
		if !ok {
			h.Version = inv.ExecutedVersion
		}
		ok = true
		h.ColdStartMS = max(h.ColdStartMS, inv.InitDurationMS)
		if inv.MaxMemoryUsedMB >= h.MaxMemoryUsedMB {
			h.MaxMemoryUsedMB, h.MemorySizeMB = inv.MaxMemoryUsedMB, inv.MemorySizeMB
		}
	}
	return h, ok
}
