package check

import (
	"context"
	"errors"
	"net"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// codeClasses maps AWS error codes that the SDK does not model as types
// (access denied, throttling, credentials) to failure classes.
var codeClasses = map[string]failure.Class{
	"AccessDeniedException":       failure.Permission,
	"AccessDenied":                failure.Permission,
	"UnauthorizedOperation":       failure.Permission,
	"UnrecognizedClientException": failure.Permission,
	"InvalidClientTokenId":        failure.Permission,
	"InvalidSignatureException":   failure.Permission,
	"SignatureDoesNotMatch":       failure.Permission,
	"ExpiredToken":                failure.Permission,
	"ExpiredTokenException":       failure.Permission,
	"ThrottlingException":         failure.Throttled,
	"Throttling":                  failure.Throttled,
	"TooManyRequestsException":    failure.Throttled,
	"RequestLimitExceeded":        failure.Throttled,
	"InternalFailure":             failure.Network,
	"ServiceUnavailable":          failure.Network,
}

// classifyAWS returns the failure class of an error from an AWS API call
// other than Invoke (see sfinvoke.ClassifyInvokeError for that one).
func classifyAWS(ctx context.Context, err error) failure.Class {
	var (
		lambdaNotFound *lambdatypes.ResourceNotFoundException
		lambdaThrottle *lambdatypes.TooManyRequestsException
		lambdaService  *lambdatypes.ServiceException
		smNotFound     *smtypes.ResourceNotFoundException
		smDecrypt      *smtypes.DecryptionFailure
		smInvalid      *smtypes.InvalidRequestException
		smInternal     *smtypes.InternalServiceError
		kmsNotFound    *kmstypes.NotFoundException
		kmsDisabled    *kmstypes.DisabledException
		kmsState       *kmstypes.KMSInvalidStateException
		kmsInternal    *kmstypes.KMSInternalException
		kmsDependency  *kmstypes.DependencyTimeoutException
		iamNoEntity    *iamtypes.NoSuchEntityException
		iamService     *iamtypes.ServiceFailureException
		netErr         net.Error
		apiErr         smithy.APIError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded, errors.As(err, &kmsDependency):
		return failure.Timeout
	case errors.As(err, &lambdaNotFound), errors.As(err, &smNotFound), errors.As(err, &kmsNotFound), errors.As(err, &iamNoEntity):
		return failure.NotFound
	case errors.As(err, &smDecrypt):
		return failure.Permission
	case errors.As(err, &smInvalid), errors.As(err, &kmsDisabled), errors.As(err, &kmsState):
		return failure.Config
	case errors.As(err, &lambdaThrottle):
		return failure.Throttled
	case errors.As(err, &lambdaService), errors.As(err, &smInternal), errors.As(err, &kmsInternal), errors.As(err, &iamService):
		return failure.Network
	case errors.As(err, &apiErr):
		if c, ok := codeClasses[apiErr.ErrorCode()]; ok {
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
