package sfinvoke

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// FunctionError is an unhandled error that sfInvokeAPI raised, as the Lambda
// runtime reports it (X-Amz-Function-Error plus errorType/errorMessage).
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// rule classifies a function error: the first rule whose type and message
// prefix match decides. An empty field matches anything.
type rule struct {
	errorType string
	prefix    string
	class     failure.Class
}

// functionRules is the one table from sfInvokeAPI v5.26's raised exceptions
// (contract §3) to failure classes. Order matters: specific before general.
var functionRules = []rule{
	// Lambda runtime errors: the code or its layer cannot load.
	{"Runtime.ImportModuleError", "", failure.Packaging},
	{"Runtime.HandlerNotFound", "", failure.Packaging},
	{"Runtime.UserCodeSyntaxError", "", failure.Packaging},
	{"Runtime.InvalidEntrypoint", "", failure.Packaging},
	{"Runtime.MalformedHandlerName", "", failure.Packaging},
	{"Runtime.OutOfMemory", "", failure.Config},
	{"Sandbox.Timedout", "", failure.Timeout},
	// OAuth token endpoint ({"error", "error_description"} → "<error>: <description>").
	{"Exception", "invalid_grant:", failure.Auth},
	{"Exception", "invalid_client_id:", failure.Auth},
	{"Exception", "invalid_client:", failure.Auth},
	{"Exception", "unauthorized_client:", failure.Auth},
	{"Exception", "unsupported_grant_type:", failure.Auth},
	{"Exception", "invalid_request:", failure.Auth},
	{"Exception", "inactive_user:", failure.Auth},
	{"Exception", "inactive_org:", failure.Auth},
	{"Exception", "unknown_error:", failure.Auth},
	{"Exception", "invalid_app_access:", failure.Auth},
	{"InvalidAuthTokenException", "", failure.Auth},
	// Salesforce REST errors ("<errorCode>: <message>").
	{"Exception", "INVALID_SESSION_ID:", failure.Auth},
	{"Exception", "REQUEST_LIMIT_EXCEEDED:", failure.APILimit},
	{"Exception", "URL_NOT_RESET:", failure.Config},
	{"Exception", "INVALID_FIELD:", failure.Config},
	{"Exception", "MALFORMED_QUERY:", failure.Config},
	{"Exception", "INVALID_TYPE:", failure.Config},
	{"Exception", "NOT_FOUND:", failure.NotFound},
	{"Exception", "ENTITY_IS_DELETED:", failure.NotFound},
	{"Exception", "INSUFFICIENT_ACCESS", failure.Permission},
	{"Exception", "FUNCTIONALITY_NOT_ENABLED:", failure.Permission},
	{"Exception", "API_DISABLED_FOR_ORG:", failure.Permission},
	{"Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION:", failure.Data},
	{"Exception", "REQUIRED_FIELD_MISSING:", failure.Data},
	{"Exception", "INVALID_CROSS_REFERENCE_KEY:", failure.Data},
	{"Exception", "FIELD_INTEGRITY_EXCEPTION:", failure.Data},
	{"Exception", "DUPLICATE_VALUE:", failure.Data},
	{"Exception", "STRING_TOO_LONG:", failure.Data},
	{"Exception", "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY:", failure.Data},
	{"Exception", "UNABLE_TO_LOCK_ROW:", failure.Data},
	{"Exception", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:", failure.Data},
	{"Exception", "request returned status code: 401", failure.Auth},
	{"Exception", "request returned status code: 403", failure.Permission},
	{"Exception", "request returned status code: 404", failure.NotFound},
	{"Exception", "request returned status code: ", failure.UnexpectedResponse},
	// sfInvokeAPI's own checks.
	{"Exception", "sf_operation unknown", failure.UnexpectedResponse},
	{"Exception", "Supported formats are", failure.Data},
	{"Exception", "Supported delta types", failure.Data},
	{"Exception", "'%s' enviroment variable is missing", failure.Config},
	{"ValueError", "", failure.Data},
	{"KeyError", "", failure.Config},
	{"TypeError", "", failure.Config},
	{"NumberParseException", "", failure.Config},
	// Salesforce answered non-JSON (an HTML error page).
	{"JSONDecodeError", "", failure.UnexpectedResponse},
	// Secrets Manager and KMS failures inside sfInvokeAPI (botocore).
	{"AccessDeniedException", "", failure.Permission},
	{"DecryptionFailure", "", failure.Permission},
	{"ResourceNotFoundException", "", failure.Config},
	{"ThrottlingException", "", failure.Throttled},
	{"EndpointConnectionError", "", failure.Network},
	{"ConnectionError", "", failure.Network},
	{"ConnectTimeout", "", failure.Timeout},
	{"ReadTimeout", "", failure.Timeout},
	{"Timeout", "", failure.Timeout},
}

// botocore ClientError text: "An error occurred (Code) when calling the Op operation: ...".
var clientErrorCode = regexp.MustCompile(`^An error occurred \(([A-Za-z0-9.]+)\)`)

// clientErrorClasses maps AWS error codes seen inside sfInvokeAPI to classes.
var clientErrorClasses = map[string]failure.Class{
	"AccessDeniedException":       failure.Permission,
	"DecryptionFailure":           failure.Permission,
	"KMSAccessDeniedException":    failure.Permission,
	"KMSDisabledException":        failure.Permission,
	"KMSInvalidStateException":    failure.Permission,
	"ResourceNotFoundException":   failure.Config,
	"InvalidRequestException":     failure.Config,
	"ThrottlingException":         failure.Throttled,
	"InternalServiceError":        failure.Network,
	"ExpiredTokenException":       failure.Permission,
	"UnrecognizedClientException": failure.Permission,
}

var timedOut = regexp.MustCompile(`Task timed out after [0-9.]+ seconds`)

// ClassifyFunctionError returns the failure class of an error that
// sfInvokeAPI raised.
func ClassifyFunctionError(fe *FunctionError) failure.Class {
	if timedOut.MatchString(fe.Message) {
		return failure.Timeout
	}
	if fe.Type == "ClientError" {
		if m := clientErrorCode.FindStringSubmatch(fe.Message); m != nil {
			if c, ok := clientErrorClasses[m[1]]; ok {
				return c
			}
		}
		return failure.Unknown
	}
	for _, r := range functionRules {
		if r.errorType != "" && r.errorType != fe.Type {
			continue
		}
		if r.prefix != "" && !strings.HasPrefix(fe.Message, r.prefix) {
			continue
		}
		return r.class
	}
	if strings.HasPrefix(fe.Type, "Runtime.") {
		return failure.Packaging
	}
	return failure.Unknown
}

// invokeErrorCodes maps Lambda Invoke API error codes that the SDK does not
// model as their own types (or that arrive only as codes) to classes.
var invokeErrorCodes = map[string]failure.Class{
	"AccessDeniedException":       failure.Permission,
	"AccessDenied":                failure.Permission,
	"UnrecognizedClientException": failure.Permission,
	"InvalidSignatureException":   failure.Permission,
	"ExpiredTokenException":       failure.Permission,
	"ThrottlingException":         failure.Throttled,
}

// ClassifyInvokeError returns the failure class of an error returned by the
// Lambda Invoke API call itself (not by the function's code).
func ClassifyInvokeError(ctx context.Context, err error) failure.Class {
	var (
		notFound    *lambdatypes.ResourceNotFoundException
		tooMany     *lambdatypes.TooManyRequestsException
		service     *lambdatypes.ServiceException
		notReady    *lambdatypes.ResourceNotReadyException
		conflict    *lambdatypes.ResourceConflictException
		kmsDenied   *lambdatypes.KMSAccessDeniedException
		kmsDisabled *lambdatypes.KMSDisabledException
		kmsState    *lambdatypes.KMSInvalidStateException
		kmsNotFound *lambdatypes.KMSNotFoundException
		badContent  *lambdatypes.InvalidRequestContentException
		tooLarge    *lambdatypes.RequestTooLargeException
		badRuntime  *lambdatypes.InvalidRuntimeException
		unsupported *lambdatypes.UnsupportedMediaTypeException
		eniLimit    *lambdatypes.ENILimitReachedException
		subnetIP    *lambdatypes.SubnetIPAddressLimitReachedException
		ec2Throttle *lambdatypes.EC2ThrottledException
		ec2Denied   *lambdatypes.EC2AccessDeniedException
		ec2Unexp    *lambdatypes.EC2UnexpectedException
		badSubnet   *lambdatypes.InvalidSubnetIDException
		badSG       *lambdatypes.InvalidSecurityGroupIDException
		snapStart   *lambdatypes.SnapStartTimeoutException
		maxAttempts *retry.MaxAttemptsError
		netErr      net.Error
		apiErr      smithy.APIError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() == context.DeadlineExceeded, errors.As(err, &snapStart):
		return failure.Timeout
	case errors.As(err, &notFound):
		return failure.NotFound
	case errors.As(err, &tooMany), errors.As(err, &ec2Throttle):
		return failure.Throttled
	case errors.As(err, &kmsDenied), errors.As(err, &kmsDisabled), errors.As(err, &kmsState), errors.As(err, &kmsNotFound), errors.As(err, &ec2Denied):
		return failure.Permission
	case errors.As(err, &notReady), errors.As(err, &conflict), errors.As(err, &badRuntime):
		return failure.Config
	case errors.As(err, &eniLimit), errors.As(err, &subnetIP), errors.As(err, &badSubnet), errors.As(err, &badSG), errors.As(err, &ec2Unexp):
		return failure.Network
	case errors.As(err, &badContent), errors.As(err, &tooLarge), errors.As(err, &unsupported):
		return failure.UnexpectedResponse
	case errors.As(err, &service):
		return failure.Network
	case errors.As(err, &apiErr):
		if c, ok := invokeErrorCodes[apiErr.ErrorCode()]; ok {
			return c
		}
		return failure.Unknown
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			return failure.Timeout
		}
		return failure.Network
	case errors.As(err, &maxAttempts):
		return failure.Network
	}
	return failure.Unknown
}
