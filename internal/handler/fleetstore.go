package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// ObjectStore is the part of S3 a distributed fleet's publish-metrics uses
// (the results bucket). Summarize reads each target's report by its index,
// so it lists nothing.
type ObjectStore interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ ObjectStore = (*s3.Client)(nil)

// The results bucket's layout (a run's objects live under runs/<execution
// name>/; `sfprobe start` reads fleet.json from the FleetSummary's report).
const runsPrefix = "runs/"

// TargetsKey is where Stage writes a distributed run's targets (the
// Distributed Map's item source).
func TargetsKey(execution string) string { return runsPrefix + execution + "/targets.json" }

// ReportKey is where a distributed child writes the full report of the
// run's target number index.
func ReportKey(execution string, index int) string {
	return runsPrefix + execution + "/reports/" + strconv.Itoa(index) + ".json"
}

// FleetKey is where Summarize writes a distributed run's full check.Fleet.
func FleetKey(execution string) string { return runsPrefix + execution + "/fleet.json" }

// maxObjectBytes bounds what publish-metrics reads of one object: a
// targets list of MaxFleetTargets or one target's report is far smaller.
const maxObjectBytes = 16 << 20

// SplitRunID splits a target's run id, <execution name>-<index> (the Map
// states' ItemSelector), into the execution's name and the index.
func SplitRunID(runID string) (execution string, index int, err error) {
	i := strings.LastIndexByte(runID, '-')
	if i <= 0 {
		return "", 0, fmt.Errorf("run_id %q: want <execution name>-<index>", runID)
	}
	index, err = strconv.Atoi(runID[i+1:])
	if err != nil || index < 0 {
		return "", 0, fmt.Errorf("run_id %q: want <execution name>-<index>", runID)
	}
	return runID[:i], index, nil
}

// errNoObject means the object does not exist.
var errNoObject = errors.New("no such object")

func putJSON(ctx context.Context, store ObjectStore, loc check.ObjectLocation, v any) error {
	if store == nil {
		return errors.New("publish metrics: no S3 client for the results bucket")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", loc.URI(), err)
	}
	if _, err := store.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key), Body: bytes.NewReader(b),
		ContentType: aws.String("application/json"), ContentLength: aws.Int64(int64(len(b))),
	}); err != nil {
		return storeError("write", loc, err)
	}
	return nil
}

// getJSON reads the object at loc into v; errNoObject when it does not
// exist.
func getJSON(ctx context.Context, store ObjectStore, loc check.ObjectLocation, v any) error {
	if store == nil {
		return errors.New("publish metrics: no S3 client for the results bucket")
	}
	out, err := store.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			return fmt.Errorf("%s: %w", loc.URI(), errNoObject)
		}
		return storeError("read", loc, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxObjectBytes+1))
	if err != nil {
		return storeError("read", loc, err)
	}
	if len(b) > maxObjectBytes {
		return fmt.Errorf("%s: larger than %d bytes", loc.URI(), maxObjectBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", loc.URI(), err)
	}
	return nil
}

// storeError is a failed S3 request: transient (the workflow retries it),
// its text redacted.
func storeError(what string, loc check.ObjectLocation, err error) error {
	return &failure.TransientError{Class: failure.Network, Msg: redact.Text(fmt.Sprintf("%s %s: %v", what, loc.URI(), err))}
}

// NewObjectStore is the results bucket's client. With an overridden
// endpoint (the sandbox's moto) it addresses buckets by path, as moto
// serves them on one host.
func NewObjectStore(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = (o.BaseEndpoint != nil && *o.BaseEndpoint != "") || os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	})
}
