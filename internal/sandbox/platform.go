package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// TargetMemorySizeMB is the simulated sfInvokeAPI's configured memory, as
// the integration's template deploys it.
const TargetMemorySizeMB = 128

// footprinter is a function that knows its own memory use and cold start
// (sim.Function).
type footprinter interface{ Footprint() sim.Footprint }

// platform stands in for the Lambda service around the simulated
// sfInvokeAPI: like Lambda with LogType Tail, it answers each invocation
// with the tail of its log (START, END and a REPORT line with Duration,
// Billed Duration, Memory Size, Max Memory Used, and Init Duration on the
// sandbox's first invocation, the cold start) and the version that ran.
// The Init Duration is reported, not slept. Invoke API errors (throttling)
// carry no log, as in AWS.
type platform struct {
	fn      lambdahttp.Function
	memory  footprinter
	sizeMB  int
	version string

	mu   sync.Mutex
	warm bool
}

var _ lambdahttp.Function = (*platform)(nil)

func newPlatform(fn *sim.Function, sizeMB int, version string) *platform {
	return &platform{fn: fn, memory: fn, sizeMB: sizeMB, version: version}
}

func (p *platform) Invoke(ctx context.Context, payload []byte) (lambdahttp.Response, error) {
	p.mu.Lock()
	cold := !p.warm
	p.warm = true
	p.mu.Unlock()
	start := time.Now()
	resp, err := p.fn.Invoke(ctx, payload)
	if err != nil {
		return resp, err
	}
	resp.LogResult = reportTail(lambdahttp.RequestID(), p.version, time.Since(start), p.sizeMB, p.memory.Footprint(), cold)
	resp.ExecutedVersion = p.version
	return resp, nil
}

// reportTail renders the platform's log lines of one invocation, base64 as
// X-Amz-Log-Result carries them.
func reportTail(requestID, version string, d time.Duration, sizeMB int, fp sim.Footprint, cold bool) string {
	ms := float64(d.Microseconds()) / 1000
	var b strings.Builder
	fmt.Fprintf(&b, "START RequestId: %s Version: %s\n", requestID, version)
	fmt.Fprintf(&b, "END RequestId: %s\n", requestID)
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		requestID, ms, math.Ceil(ms), sizeMB, min(fp.MemoryUsedMB, sizeMB))
	if cold {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", float64(fp.InitDuration.Microseconds())/1000)
	}
	b.WriteString("\n")
	return base64.StdEncoding.EncodeToString([]byte(b.String()))
}
