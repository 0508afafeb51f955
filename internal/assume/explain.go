package assume

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/smithy-go"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// Anchor is the runbook section on assuming a target's role.
const Anchor = "docs/RUNBOOK.md#assume-role"

// The remedies of a role that could not be assumed.
const (
	remedyTrust = "Let the target role trust sfprobe's role: its trust policy must name sfprobe's role (or the monitor account, with an aws:PrincipalArn condition) " +
		"and require the external_id given to sfprobe as sts:ExternalId; sfprobe's role needs sts:AssumeRole on the target role; see " + Anchor
	remedyRegion = "Activate STS in the target's region for the target account (IAM > Account settings > Security Token Service endpoints), or probe the target from a region where it is active; see " + Anchor
)

// Explain turns an error assuming k's role into the failure every check of
// the target reports: its class (AccessDenied: permission; STS not
// activated in the region: config; throttling and network faults: their
// transient classes, which the existing retries repeat), and a message
// naming the role, the caller (sfprobe's principal, when known) and the
// cause. AWS answers a trust policy that does not trust the caller and an
// ExternalId that does not match with the same AccessDenied: the message
// says so, and whether an external id was given (never its value). Text
// from AWS passes the redactor.
func Explain(ctx context.Context, err error, k Key, caller string) *failure.Error {
	class := classify(ctx, err)
	var msg, remedy string
	switch {
	case denied(err):
		who := "sfprobe's role"
		if caller != "" {
			who += " " + caller
		}
		msg = fmt.Sprintf("%s may not assume %s: its trust policy does not trust it, or the ExternalId does not match "+
			"(AWS gives one error for both; the external id is %s)", who, k.RoleARN, externalIDState(k.ExternalID))
		remedy = remedyTrust
	case code(err) == "RegionDisabledException":
		msg = fmt.Sprintf("assume %s: STS is not activated in %s for the target account", k.RoleARN, regionName(k.Region))
		remedy = remedyRegion
	default:
		msg = fmt.Sprintf("assume %s (external id %s)", k.RoleARN, externalIDState(k.ExternalID))
		remedy = class.Remedy()
		if class == failure.Permission || class == failure.Unknown || class == failure.NotFound {
			remedy = remedyTrust
		}
	}
	return &failure.Error{Class: class, Msg: redact.Text(msg), Err: redact.Err(stsError{err}), Remedy: remedy}
}

// stsError is an STS error told by its code and message alone, without
// the SDK's layers ("failed to refresh cached credentials, operation
// error STS: AssumeRole, https response error ..."); errors.As still
// reaches every layer.
type stsError struct{ err error }

func (e stsError) Error() string {
	var apiErr smithy.APIError
	if errors.As(e.err, &apiErr) {
		if m := apiErr.ErrorMessage(); m != "" {
			return apiErr.ErrorCode() + ": " + m
		}
		return apiErr.ErrorCode()
	}
	return e.err.Error()
}

func (e stsError) Unwrap() error { return e.err }

func externalIDState(id string) string {
	if id == "" {
		return "not set"
	}
	return "set"
}

func regionName(r string) string {
	if r == "" {
		return "the region"
	}
	return r
}

func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// denied reports whether STS refused the caller the role.
func denied(err error) bool {
	c := code(err)
	return c == "AccessDenied" || c == "AccessDeniedException"
}

// classify is the class of an STS error: the code's row in failure's AWS
// code table, a timeout or a network fault.
func classify(ctx context.Context, err error) failure.Class {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded:
		return failure.Timeout
	case code(err) != "":
		if c, ok := failure.AWSCodeClass(code(err)); ok {
			return c
		}
		return failure.Unknown
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			return failure.Timeout
		}
		return failure.Network
	}
	return failure.Unknown
}
