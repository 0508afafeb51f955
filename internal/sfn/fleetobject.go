package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// ObjectGetter reads an S3 object: the full fleet report of a run that
// ran on the Distributed Map.
type ObjectGetter interface {
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ ObjectGetter = (*s3.Client)(nil)

// MaxFleetObjectBytes bounds how much of a fleet report LoadFleet reads:
// 1,000 full reports of about 10 KB each, and room to spare.
const MaxFleetObjectBytes = 64 << 20

// LoadFleet reads the full fleet report the run's Summary points to into
// Fleet, checked against the summary (the same run, as many targets, the
// same verdict) and redacted. It returns a *failure.Error: permission (no s3:GetObject on
// the object; S3 also answers AccessDenied for a missing object when the
// caller may not s3:ListBucket), not-found (no such object or bucket: the
// bucket's lifecycle may have expired it), unexpected-response (not that
// run's fleet report), or the class of a network failure or timeout.
// Without a Summary it does nothing.
func (o *Outcome) LoadFleet(ctx context.Context, api ObjectGetter) error {
	if o.Summary == nil {
		return nil
	}
	f, err := ReadFleet(ctx, api, *o.Summary)
	if err != nil {
		return err
	}
	o.Fleet = &f
	return nil
}

// ReadFleet reads the fleet report at s.Report and checks it against s.
func ReadFleet(ctx context.Context, api ObjectGetter, s check.FleetSummary) (check.Fleet, error) {
	loc := s.Report
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		return check.Fleet{}, objectFailure(ctx, loc, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxFleetObjectBytes+1))
	if err != nil {
		return check.Fleet{}, objectFailure(ctx, loc, err)
	}
	if len(body) > MaxFleetObjectBytes {
		return check.Fleet{}, failure.New(failure.UnexpectedResponse, "read the fleet report %s: larger than %d MiB: not a fleet report", loc.URI(), MaxFleetObjectBytes>>20)
	}
	var f check.Fleet
	if err := json.Unmarshal(body, &f); err != nil {
		return check.Fleet{}, failure.Wrap(failure.UnexpectedResponse, fmt.Sprintf("read the fleet report %s: not a fleet report (JSON)", loc.URI()), err)
	}
	switch {
	case f.Targets == nil:
		return check.Fleet{}, failure.New(failure.UnexpectedResponse, "read the fleet report %s: not a fleet report: no targets", loc.URI())
	case f.RunID != s.RunID:
		return check.Fleet{}, failure.New(failure.UnexpectedResponse, "read the fleet report %s: it is run %q's, not this run's (%q)", loc.URI(), f.RunID, s.RunID)
	case len(f.Targets) != s.Targets:
		return check.Fleet{}, failure.New(failure.UnexpectedResponse, "read the fleet report %s: it holds %d targets, the run's summary counts %d", loc.URI(), len(f.Targets), s.Targets)
	case f.OK != s.OK:
		return check.Fleet{}, failure.New(failure.UnexpectedResponse, "read the fleet report %s: it says ok %t, the run's summary %t", loc.URI(), f.OK, s.OK)
	}
	return f.Redacted(), nil
}

// objectFailure classifies an error of reading loc, with the grant or the
// cause it points to.
func objectFailure(ctx context.Context, loc check.ObjectLocation, err error) *failure.Error {
	var (
		noKey  *s3types.NoSuchKey
		apiErr smithy.APIError
		netErr net.Error
	)
	op := "read the fleet report " + loc.URI()
	switch {
	case errors.As(err, &noKey), errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound"):
		return &failure.Error{Class: failure.NotFound, Msg: op + ": no such object", Err: err,
			Remedy: "the results bucket's lifecycle may have expired it (or the run did not write it): the run's summary below is all that is left; see the execution in the console"}
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket":
		return &failure.Error{Class: failure.NotFound, Msg: op + ": no such bucket " + loc.Bucket, Err: err,
			Remedy: "the stack's results bucket is gone (stack deleted?): the run's summary below is all that is left"}
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "AccessDenied" || apiErr.ErrorCode() == "Forbidden" || apiErr.ErrorCode() == "AccessDeniedException"):
		return &failure.Error{Class: failure.Permission, Msg: op + ": access denied", Err: err,
			Remedy: fmt.Sprintf("grant this caller s3:GetObject on arn:aws:s3:::%s/%s (and s3:ListBucket on arn:aws:s3:::%s, without which S3 answers AccessDenied for a missing object too; kms:Decrypt on the bucket's key if it has one), or pass --summary-only", loc.Bucket, loc.Key, loc.Bucket)}
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		return failure.Wrap(failure.Timeout, op, err)
	case errors.As(err, &netErr):
		return failure.Wrap(failure.Network, op, err)
	}
	return failure.Wrap(failure.Unknown, op, err)
}
