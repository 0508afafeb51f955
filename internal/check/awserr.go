package check

import (
	"context"
	"errors"
	"net"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// classifyAWS returns the failure class of an error from an AWS API call
// other than Invoke (see sfinvoke.ClassifyInvokeError for that one): the
// error code's row in failure's AWS code table (the SDK's modeled error
// types report their own code), a timeout, or a network failure.
func classifyAWS(ctx context.Context, err error) failure.Class {
	var (
		netErr net.Error
		apiErr smithy.APIError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded:
		return failure.Timeout
	case errors.As(err, &apiErr):
		if c, ok := failure.AWSCodeClass(apiErr.ErrorCode()); ok {
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

// awsFailure wraps an AWS API error with its class and context.
func awsFailure(ctx context.Context, op string, err error) *failure.Error {
	return failure.Wrap(classifyAWS(ctx, err), op, err)
}

// unsupported reports whether err says the endpoint does not implement the
// operation: a NotImplemented-style code, HTTP 501, or an answer that is not
// the service's protocol at all (moto answers SimulatePrincipalPolicy with a
// 500 and an HTML page).
func unsupported(err error) bool {
	var (
		apiErr   smithy.APIError
		respErr  *smithyhttp.ResponseError
		deserErr *smithy.DeserializationError
	)
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == 501 {
		return true
	}
	if errors.As(err, &deserErr) {
		return true
	}
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotImplemented", "InvalidAction", "UnknownOperationException", "NotImplementedException", "InternalFailure":
			return true
		}
	}
	return false
}
