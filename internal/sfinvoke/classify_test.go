package sfinvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// TestClassifyFunctionError_contractErrorTable drives every row of the
// contract's §3 error table (sfInvokeAPI v5.26's raised exceptions, with the
// exact errorType and errorMessage) through ClassifyFunctionError.
func TestClassifyFunctionError_contractErrorTable(t *testing.T) {
	tests := []struct {
		name        string
		giveType    string
		giveMessage string
		want        failure.Class
	}{
		// unknown sf_operation
		{"unknown sf_operation", "Exception", "sf_operation unknown", failure.UnexpectedResponse},
		// missing sf_operation; (phoneLookup) missing sf_phone / sf_fields
		{"missing sf_operation", "KeyError", "'sf_operation'", failure.Config},
		{"phoneLookup missing sf_phone", "KeyError", "'sf_phone'", failure.Config},
		{"phoneLookup missing sf_fields", "KeyError", "'sf_fields'", failure.Config},
		// missing required kwarg
		{"create missing sf_object", "TypeError", "create() missing 1 required positional argument: 'sf_object'", failure.Config},
		{"update missing sf_id", "TypeError", "update() missing 1 required positional argument: 'sf_id'", failure.Config},
		// extra key on delete
		{"extra key on delete", "TypeError", "delete() got an unexpected keyword argument 'x'", failure.Config},
		// query-style operation with a non-string value (§0)
		{"non-string query value", "TypeError", "replace() argument 2 must be str, not int", failure.Config},
		// create/update value containing | that is not <delta>|<fmt>
		{"pipe value", "Exception", "Supported formats are 'date', 'time' and 'datetime', example '2h|date'", failure.Data},
		{"bad delta unit", "Exception", "Supported delta types are 'w', 'd', 'h' and 'm'", failure.Data},
		{"non-numeric delta", "ValueError", "invalid literal for int() with base 10: 'x'", failure.Data},
		// phone not E.164
		{"phone not E.164", "NumberParseException", "(0) Missing or invalid default region.", failure.Config},
		// Salesforce non-2xx whose JSON is a list of {errorCode, message}
		{"REQUEST_LIMIT_EXCEEDED", "Exception", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.", failure.APILimit},
		{"MALFORMED_QUERY", "Exception", "MALFORMED_QUERY: unexpected token: WHERE", failure.Config},
		{"INVALID_FIELD", "Exception", "INVALID_FIELD: No such column 'NoSuchField__c' on entity 'Case'", failure.Config},
		{"URL_NOT_RESET", "Exception", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set", failure.Config},
		{"FIELD_CUSTOM_VALIDATION_EXCEPTION", "Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases cannot be created by this user", failure.Data},
		{"INVALID_SESSION_ID", "Exception", "INVALID_SESSION_ID: Session expired or invalid", failure.Auth},
		{"INSUFFICIENT_ACCESS_OR_READONLY", "Exception", "INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id", failure.Permission},
		// non-2xx whose JSON is a dict with error (OAuth)
		{"invalid_grant", "Exception", "invalid_grant: authentication failure", failure.Auth},
		{"unknown_error from the token endpoint (§7.4)", "Exception", "unknown_error: retry your request", failure.Auth},
		{"invalid_request must use HTTP POST (§7.4)", "Exception", "invalid_request: must use HTTP POST", failure.Auth},
		// non-2xx, other JSON
		{"status 500", "Exception", "request returned status code: 500", failure.UnexpectedResponse},
		{"status 502", "Exception", "request returned status code: 502", failure.UnexpectedResponse},
		// non-2xx with non-JSON body
		{"JSON decode error", "JSONDecodeError", "Expecting value: line 1 column 1 (char 0)", failure.UnexpectedResponse},
		// 401, refresh OK, retried call 401 again
		{"InvalidAuthTokenException", "InvalidAuthTokenException", "", failure.Auth},
		// missing env var read via get_arg (not formatted, typo kept)
		{"missing env var", "Exception", "'%s' enviroment variable is missing", failure.Config},
		// secret missing a key
		{"secret lacks AccessToken", "KeyError", "'AccessToken'", failure.Config},
		{"secret lacks Password", "KeyError", "'Password'", failure.Config},
		{"secret lacks ConsumerKey", "KeyError", "'ConsumerKey'", failure.Config},
		{"secret lacks ConsumerSecret", "KeyError", "'ConsumerSecret'", failure.Config},
		// Secrets Manager failure (access, not found, KMS)
		{"botocore ClientError AccessDeniedException", "ClientError",
			"An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: arn:aws:sts::123456789012:assumed-role/sfLambdaBasicExec/sfInvokeAPI is not authorized to perform: secretsmanager:GetSecretValue",
			failure.Permission},
		{"botocore ClientError KMS access denied", "ClientError",
			"An error occurred (KMSAccessDeniedException) when calling the GetSecretValue operation: Access to KMS is not allowed",
			failure.Permission},
		{"modeled DecryptionFailure", "DecryptionFailure",
			"An error occurred (DecryptionFailure) when calling the GetSecretValue operation: Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
			failure.Permission},
		{"modeled ResourceNotFoundException", "ResourceNotFoundException",
			"An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.",
			failure.Config},
		// SF_ADAPTER_NAMESPACE unset: import-time KeyError
		{"SF_ADAPTER_NAMESPACE unset", "KeyError", "'SF_ADAPTER_NAMESPACE'", failure.Config},
		// phonenumbers/requests missing
		{"phonenumbers missing", "Runtime.ImportModuleError", "Unable to import module 'sfInvokeAPI': No module named 'phonenumbers'", failure.Packaging},
		{"requests missing", "Runtime.ImportModuleError", "Unable to import module 'sfInvokeAPI': No module named 'requests'", failure.Packaging},
		// slow Salesforce or Secrets Manager: Lambda timeout
		{"Sandbox.Timedout", "Sandbox.Timedout", "RequestId: 6f2d Error: Task timed out after 6.01 seconds", failure.Timeout},
		{"timeout without errorType", "", "2025-03-04T05:06:07.890Z 6f2d9b0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b Task timed out after 6.01 seconds", failure.Timeout},
		{"timeout reported as Unhandled", "Unhandled", "2025-03-04T05:06:07.890Z 6f2d Task timed out after 6.00 seconds", failure.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfinvoke.ClassifyFunctionError(&sfinvoke.FunctionError{Type: tt.giveType, Message: tt.giveMessage})
			assert.Equal(t, tt.want, got, "%s: %s", tt.giveType, tt.giveMessage)
		})
	}
}

func TestClassifyFunctionError_unknown(t *testing.T) {
	tests := []struct {
		name string
		give sfinvoke.FunctionError
		want failure.Class
	}{
		{"unmodeled botocore code", sfinvoke.FunctionError{Type: "ClientError", Message: "An error occurred (SomethingNew) when calling the GetSecretValue operation: x"}, failure.Unknown},
		{"ClientError without a code", sfinvoke.FunctionError{Type: "ClientError", Message: "boom"}, failure.Unknown},
		{"other runtime error", sfinvoke.FunctionError{Type: "Runtime.SomethingNew", Message: "x"}, failure.Packaging},
		{"unknown exception type", sfinvoke.FunctionError{Type: "ZeroDivisionError", Message: "division by zero"}, failure.Unknown},
		{"unknown Salesforce code", sfinvoke.FunctionError{Type: "Exception", Message: "SOMETHING_NEW: x"}, failure.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sfinvoke.ClassifyFunctionError(&tt.give))
		})
	}
}

// vector is one invocation in the contract's vectors.json.
type vector struct {
	Name          string          `json:"name"`
	Event         json.RawMessage `json:"event"`
	FunctionError *string         `json:"function_error"`
	Payload       json.RawMessage `json:"payload"`
}

func loadVectors(t *testing.T) map[string]vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	require.NoError(t, err)
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	require.NoError(t, json.Unmarshal(b, &file))
	require.Len(t, file.Vectors, 17, "the contract holds 17 vectors")
	out := map[string]vector{}
	for _, v := range file.Vectors {
		out[v.Name] = v
	}
	return out
}

// errorVectorClasses is the class each error vector of the contract must get.
var errorVectorClasses = map[string]failure.Class{
	"phoneLookup-not-e164":  failure.Config,
	"auth-expired":          failure.Auth,
	"api-limit":             failure.APILimit,
	"create-rejected":       failure.Data,
	"missing-operation":     failure.Config,
	"unknown-operation":     failure.UnexpectedResponse,
	"create-missing-object": failure.Config,
	"update-pipe-value":     failure.Data,
	"lookup-bad-field":      failure.Config,
}

func TestClassifyFunctionError_contractVectors(t *testing.T) {
	vectors := loadVectors(t)
	seen := 0
	for name, v := range vectors {
		if v.FunctionError == nil {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			want, ok := errorVectorClasses[name]
			require.True(t, ok, "no expected class for error vector %s", name)
			assert.Equal(t, "Unhandled", *v.FunctionError)
			var fe sfinvoke.FunctionError
			require.NoError(t, json.Unmarshal(v.Payload, &fe))
			require.NotEmpty(t, fe.Type)
			assert.Equal(t, want, sfinvoke.ClassifyFunctionError(&fe))
		})
	}
	assert.Equal(t, len(errorVectorClasses), seen, "error vectors")
}

func TestFunctionError_Error(t *testing.T) {
	assert.Equal(t, "KeyError: 'sf_operation'", (&sfinvoke.FunctionError{Type: "KeyError", Message: "'sf_operation'"}).Error())
	assert.Equal(t, "InvalidAuthTokenException", (&sfinvoke.FunctionError{Type: "InvalidAuthTokenException"}).Error())
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// opErr wraps err as the SDK does: an operation error around the cause.
func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "Lambda", OperationName: "Invoke", Err: err}
}

func TestClassifyInvokeError(t *testing.T) {
	msg := func(s string) *string { return &s }
	tests := []struct {
		name string
		give error
		want failure.Class
	}{
		{"ResourceNotFoundException", &lambdatypes.ResourceNotFoundException{Message: msg("Function not found")}, failure.NotFound},
		{"TooManyRequestsException", &lambdatypes.TooManyRequestsException{Message: msg("Rate exceeded")}, failure.Throttled},
		{"EC2ThrottledException", &lambdatypes.EC2ThrottledException{}, failure.Throttled},
		{"ServiceException", &lambdatypes.ServiceException{}, failure.Network},
		{"KMSAccessDeniedException", &lambdatypes.KMSAccessDeniedException{}, failure.Permission},
		{"KMSDisabledException", &lambdatypes.KMSDisabledException{}, failure.Permission},
		{"KMSInvalidStateException", &lambdatypes.KMSInvalidStateException{}, failure.Permission},
		{"KMSNotFoundException", &lambdatypes.KMSNotFoundException{}, failure.Permission},
		{"ResourceNotReadyException", &lambdatypes.ResourceNotReadyException{}, failure.Config},
		{"ResourceConflictException", &lambdatypes.ResourceConflictException{}, failure.Config},
		{"InvalidRuntimeException", &lambdatypes.InvalidRuntimeException{}, failure.Config},
		{"ENILimitReachedException", &lambdatypes.ENILimitReachedException{}, failure.Network},
		{"RequestTooLargeException", &lambdatypes.RequestTooLargeException{}, failure.UnexpectedResponse},
		{"SnapStartTimeoutException", &lambdatypes.SnapStartTimeoutException{}, failure.Timeout},
		{"GenericAPIError AccessDeniedException", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: lambda:InvokeFunction"}, failure.Permission},
		{"GenericAPIError UnrecognizedClientException", &smithy.GenericAPIError{Code: "UnrecognizedClientException"}, failure.Permission},
		{"GenericAPIError ThrottlingException", &smithy.GenericAPIError{Code: "ThrottlingException"}, failure.Throttled},
		{"GenericAPIError unknown code", &smithy.GenericAPIError{Code: "SomethingNew"}, failure.Unknown},
		{"context.DeadlineExceeded", context.DeadlineExceeded, failure.Timeout},
		{"wrapped context.DeadlineExceeded", fmt.Errorf("invoke: %w", &smithy.CanceledError{Err: context.DeadlineExceeded}), failure.Timeout},
		{"net.OpError connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, failure.Network},
		{"net.OpError timeout", &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, failure.Timeout},
		{"DNS error", &net.DNSError{Err: "no such host", Name: "lambda.us-east-1.amazonaws.com", IsNotFound: true}, failure.Network},
		{"retries exhausted on a throttle", &retry.MaxAttemptsError{Attempt: 3, Err: &lambdatypes.TooManyRequestsException{}}, failure.Throttled},
		{"retries exhausted on an unmodeled error", &retry.MaxAttemptsError{Attempt: 3, Err: errors.New("eof")}, failure.Network},
		{"plain error", errors.New("boom"), failure.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sfinvoke.ClassifyInvokeError(context.Background(), tt.give), "bare")
			assert.Equal(t, tt.want, sfinvoke.ClassifyInvokeError(context.Background(), opErr(tt.give)), "wrapped in an OperationError")
		})
	}
}

// TestClassifyInvokeError_neverByMessage: the class comes from types and
// codes; the same words in a message classify nothing.
func TestClassifyInvokeError_neverByMessage(t *testing.T) {
	tests := []struct {
		name string
		give error
	}{
		{"not found text", errors.New("ResourceNotFoundException: Function not found")},
		{"throttle text", errors.New("TooManyRequestsException: Rate exceeded")},
		{"access denied text", errors.New("AccessDeniedException: not authorized")},
		{"timeout text", errors.New("context deadline exceeded")},
		{"code elsewhere in a GenericAPIError", &smithy.GenericAPIError{Code: "SomethingNew", Message: "AccessDeniedException TooManyRequestsException"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, failure.Unknown, sfinvoke.ClassifyInvokeError(context.Background(), tt.give))
		})
	}
}

func TestClassifyInvokeError_expiredContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	assert.Equal(t, failure.Timeout, sfinvoke.ClassifyInvokeError(ctx, errors.New("request canceled")))
}
