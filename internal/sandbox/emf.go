package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/sfprobe/sfprobe/internal/metrics"
)

// logExtractor stands in for CloudWatch Logs' extraction of metrics in
// the embedded metric format: publish-metrics writes EMF documents to its
// log, as in AWS, and each complete line that is one is published to the
// local CloudWatch. Every line goes on to next (the sandbox's log
// capture), as CloudWatch Logs keeps the documents too.
type logExtractor struct {
	cw   metrics.PutMetricDataAPI
	next io.Writer

	mu   sync.Mutex
	buf  []byte
	errs []error
}

func newLogExtractor(cw metrics.PutMetricDataAPI, next io.Writer) *logExtractor {
	return &logExtractor{cw: cw, next: next}
}

// Write never fails for a bad document: like CloudWatch Logs, it drops
// it (Err reports it).
func (x *logExtractor) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.buf = append(x.buf, p...)
	for {
		i := bytes.IndexByte(x.buf, '\n')
		if i < 0 {
			break
		}
		line := x.buf[:i+1]
		if x.next != nil {
			if _, err := x.next.Write(line); err != nil {
				x.errs = append(x.errs, err)
			}
		}
		x.extract(line)
		x.buf = x.buf[i+1:]
	}
	return len(p), nil
}

func (x *logExtractor) extract(line []byte) {
	ns, datums, ok, err := metrics.ParseEMF(line)
	if !ok {
		return
	}
	if err != nil {
		x.errs = append(x.errs, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(datums) > 0 {
		n := min(len(datums), metrics.MaxDatumsPerCall)
		if _, err := x.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: datums[:n:n]}); err != nil {
			x.errs = append(x.errs, fmt.Errorf("extract embedded metrics: %w", err))
			return
		}
		datums = datums[n:]
	}
}

// Err reports the documents that could not be extracted.
func (x *logExtractor) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d log line(s) not extracted, first: %w", len(x.errs), x.errs[0])
}

// quietWriter records when it was last written to, so the sandbox can wait
// for an emulator's log (copied from its pipes asynchronously) to settle.
type quietWriter struct {
	w    io.Writer
	last *atomic.Int64
}

func (q quietWriter) Write(p []byte) (int, error) {
	q.last.Store(time.Now().UnixNano())
	if q.w == nil {
		return len(p), nil
	}
	return q.w.Write(p)
}

// settleLogs waits until the emulators' logs have been quiet for a second
// (at most five): the emulator passes a function's log lines on in
// batches, after the invocation answered, and the metrics extracted from
// them land later still, as in AWS.
func (s *Sandbox) settleLogs(ctx context.Context) {
	if s.lastLog == nil {
		return
	}
	const quiet, limit = time.Second, 5 * time.Second
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if time.Since(time.Unix(0, s.lastLog.Load())) >= quiet {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// extractor returns a new log extractor to the sandbox's CloudWatch,
// passing the log on to next; MetricErrors reports its failures.
func (s *Sandbox) extractor(next io.Writer) *logExtractor {
	x := newLogExtractor(s.cw, next)
	s.extractors = append(s.extractors, x)
	return x
}

// MetricErrors reports the embedded-metric-format lines of publish-metrics'
// log that could not be extracted into the local CloudWatch (CloudWatch
// Logs drops such lines silently; the sandbox's tests must not).
func (s *Sandbox) MetricErrors() error {
	var errs []error
	for _, x := range s.extractors {
		errs = append(errs, x.Err())
	}
	return errors.Join(errs...)
}
