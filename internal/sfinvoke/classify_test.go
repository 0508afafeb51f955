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

// Python runtime stackTrace entries of sfInvokeAPI v5.26 (file, line and
// function as in its source; the Lambda runtime's format).
func frame(file string, line int, fn, src string) string {
	return fmt.Sprintf("  File \"/var/task/%s\", line %d, in %s\n    %s\n", file, line, fn, src)
}

var (
	loadCredentialsTrace = []string{
		frame("sfInvokeAPI.py", 47, "lambda_handler", "sf = Salesforce()"),
		frame("salesforce.py", 44, "__init__", "self.__load_credentials()"),
		frame("salesforce.py", 64, "__load_credentials", `self.secrets = json.loads(self.secrets_manager_client.get_secret_value(SecretId=self.sf_credentials_secrets_manager_arn)["SecretString"])`),
		"  File \"/var/lang/lib/python3.12/json/__init__.py\", line 346, in loads\n    return _default_decoder.decode(s)\n",
		"  File \"/var/lang/lib/python3.12/json/decoder.py\", line 355, in raw_decode\n    raise JSONDecodeError(\"Expecting value\", s, err.value) from None\n",
	}
	phoneLookupTrace = []string{
		frame("sfInvokeAPI.py", 85, "lambda_handler", "return phoneLookup(sf, **params)"),
		frame("sfInvokeAPI.py", 137, "phoneLookup", "records = sf.parameterizedSearch(data=data)"),
		frame("salesforce.py", 116, "parameterizedSearch", `resp = self.makeRequest(self.request.post, **{"url": url, "data": data})`),
		frame("salesforce.py", 201, "makeRequest", "return requestMethod(**kwargs, headers=self.headers)"),
		frame("salesforce.py", 233, "post", "return __check_resp__(r)"),
		frame("salesforce.py", 271, "__check_resp__", "raise Exception(msg)"),
	}
	updateTrace = []string{
		frame("sfInvokeAPI.py", 85, "lambda_handler", "return update(sf, **params)"),
		frame("sfInvokeAPI.py", 125, "update", "return {'Status':sf.update(sobject=sf_object, sobj_id=sf_id, data=data)}"),
		frame("salesforce.py", 126, "update", `resp = self.makeRequest(self.request.patch, **{"url": url, "data": data})`),
		frame("salesforce.py", 201, "makeRequest", "return requestMethod(**kwargs, headers=self.headers)"),
		frame("salesforce.py", 245, "patch", "return __check_resp__(r)"),
		frame("salesforce.py", 271, "__check_resp__", "raise Exception(msg)"),
	}
	salesforceResponseTrace = []string{
		frame("sfInvokeAPI.py", 137, "phoneLookup", "records = sf.parameterizedSearch(data=data)"),
		frame("salesforce.py", 116, "parameterizedSearch", `resp = self.makeRequest(self.request.post, **{"url": url, "data": data})`),
		frame("salesforce.py", 233, "post", "return __check_resp__(r)"),
		frame("salesforce.py", 259, "__check_resp__", "data = resp.json()"),
		"  File \"/opt/python/requests/models.py\", line 978, in json\n    raise RequestsJSONDecodeError(e.msg, e.doc, e.pos)\n",
	}
)

// TestClassifyFunctionError_realCauses: what the real function raises
// beyond the contract's table, checked against salesforce.py, botocore
// 1.43 and requests 2.34 (messages as str() gives them).
func TestClassifyFunctionError_realCauses(t *testing.T) {
	const notFound = "NOT_FOUND: The requested resource does not exist"
	tests := []struct {
		name      string
		giveType  string
		giveMsg   string
		giveTrace []string
		want      failure.Class
	}{
		// Secrets Manager's modeled exceptions, by their own names.
		{"secret marked for deletion", "InvalidRequestException",
			"An error occurred (InvalidRequestException) when calling the GetSecretValue operation: You can't perform this operation on the secret because it was marked for deletion.", nil, failure.Config},
		{"malformed secret id", "InvalidParameterException",
			"An error occurred (InvalidParameterException) when calling the GetSecretValue operation: Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!", nil, failure.Config},
		{"Secrets Manager internal error", "InternalServiceError",
			"An error occurred (InternalServiceError) when calling the GetSecretValue operation (reached max retries: 4): Service Unavailable", nil, failure.Network},
		{"PutSecretValue cannot encrypt", "EncryptionFailure",
			"An error occurred (EncryptionFailure) when calling the PutSecretValue operation: Access to KMS is not allowed", nil, failure.Permission},
		{"ClientError ThrottlingException", "ClientError",
			"An error occurred (ThrottlingException) when calling the GetSecretValue operation (reached max retries: 4): Rate exceeded", nil, failure.Throttled},
		// botocore, client side.
		{"empty secret ARN", "ParamValidationError",
			"Parameter validation failed:\nInvalid length for parameter SecretId, value: 0, valid min length: 1", nil, failure.Config},
		{"Secrets Manager connect timeout", "ConnectTimeoutError",
			`Connect timeout on endpoint URL: "https://secretsmanager.us-east-1.amazonaws.com/"`, nil, failure.Timeout},
		{"Secrets Manager read timeout", "ReadTimeoutError",
			`Read timeout on endpoint URL: "https://secretsmanager.us-east-1.amazonaws.com/"`, nil, failure.Timeout},
		// requests: SF_HOST.
		{"SF_HOST empty", "MissingSchema",
			"Invalid URL '/services/data/v42.0/parameterizedSearch': No scheme supplied. Perhaps you meant https:///services/data/v42.0/parameterizedSearch?", nil, failure.Config},
		{"SF_HOST without a scheme", "MissingSchema",
			"Invalid URL 'x.my.salesforce.com/services/data/v42.0/parameterizedSearch': No scheme supplied. Perhaps you meant https://x.my.salesforce.com/services/data/v42.0/parameterizedSearch?", nil, failure.Config},
		{"SF_HOST host:port", "InvalidSchema",
			"No connection adapters were found for 'x.my.salesforce.com:443/services/data/v42.0/parameterizedSearch'", nil, failure.Config},
		{"SF_HOST without a host", "InvalidURL",
			"Invalid URL 'https:///services/data/v42.0/parameterizedSearch': No host supplied", nil, failure.Config},
		// requests: the connection.
		{"TLS failure", "SSLError", "HTTPSConnectionPool(host='x.my.salesforce.com', port=443): Max retries exceeded with url: /services/data/v42.0/parameterizedSearch (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))", nil, failure.Network},
		{"proxy failure", "ProxyError", "HTTPSConnectionPool(host='x.my.salesforce.com', port=443): Max retries exceeded with url: /services/data/v42.0/query (Caused by ProxyError('Unable to connect to proxy'))", nil, failure.Network},
		{"truncated body", "ChunkedEncodingError", "('Connection broken: IncompleteRead(0 bytes read, 2 more expected)', IncompleteRead(0 bytes read, 2 more expected))", nil, failure.Network},
		// json: the secret is not JSON, or Salesforce answered HTML.
		{"secret not JSON", "JSONDecodeError", "Expecting value: line 1 column 1 (char 0)", loadCredentialsTrace, failure.Config},
		{"Salesforce answered HTML", "JSONDecodeError", "Expecting value: line 1 column 1 (char 0)", salesforceResponseTrace, failure.UnexpectedResponse},
		{"not JSON, no stack trace", "JSONDecodeError", "Expecting value: line 1 column 1 (char 0)", nil, failure.UnexpectedResponse},
		{"secret a JSON list", "TypeError", "list indices must be integers or slices, not str", loadCredentialsTrace, failure.Config},
		{"secret a JSON string", "TypeError", "string indices must be integers, not 'str'", loadCredentialsTrace, failure.Config},
		// Salesforce error codes.
		{"UNKNOWN_EXCEPTION", "Exception", "UNKNOWN_EXCEPTION: An unexpected error occurred. Please include this ErrorId if you contact support: 1234-5678 (-1)", nil, failure.Network},
		{"SERVER_UNAVAILABLE", "Exception", "SERVER_UNAVAILABLE: Server unavailable", nil, failure.Network},
		{"API_CURRENTLY_DISABLED", "Exception", "API_CURRENTLY_DISABLED: API is disabled for this User", nil, failure.Permission},
		{"INVALID_FIELD_FOR_INSERT_UPDATE", "Exception", "INVALID_FIELD_FOR_INSERT_UPDATE: Unable to create/update fields: Origin. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", nil, failure.Permission},
		{"INSUFFICIENT_ACCESS_OR_READONLY", "Exception", "INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id", nil, failure.Permission},
		{"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "Exception", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: insufficient access rights on cross-reference id: 0031r000026MVPI", nil, failure.Permission},
		{"CANNOT_EXECUTE_FLOW_TRIGGER", "Exception", "CANNOT_EXECUTE_FLOW_TRIGGER: We can't save this record because the “Case after save” process failed.", nil, failure.Data},
		{"ENTITY_IS_LOCKED", "Exception", "ENTITY_IS_LOCKED: the entity is locked for editing", nil, failure.Data},
		{"DUPLICATES_DETECTED", "Exception", "DUPLICATES_DETECTED: Use one of these records?", nil, failure.Data},
		{"MALFORMED_ID", "Exception", "MALFORMED_ID: Case ID: id value of incorrect type: 5001r00000", nil, failure.Data},
		{"INVALID_SEARCH", "Exception", "INVALID_SEARCH: search term must be longer than one character: 1", nil, failure.Data},
		{"JSON_PARSER_ERROR", "Exception", "JSON_PARSER_ERROR: Unexpected character ('x' (code 120)): was expecting double-quote to start field name at [line:1, column:3]", nil, failure.Data},
		{"INVALID_QUERY_FILTER_OPERATOR", "Exception", "INVALID_QUERY_FILTER_OPERATOR: invalid ID field: x", nil, failure.Data},
		{"INVALID_OPERATION_WITH_EXPIRED_PASSWORD", "Exception", "INVALID_OPERATION_WITH_EXPIRED_PASSWORD: The users password has expired, you must call SetPassword before attempting any other API operations", nil, failure.Auth},
		// NOT_FOUND: a wrong SF_VERSION where no record is named.
		{"NOT_FOUND from phoneLookup (wrong SF_VERSION)", "Exception", notFound, phoneLookupTrace, failure.Config},
		{"NOT_FOUND from update (the record is gone)", "Exception", notFound, updateTrace, failure.NotFound},
		{"NOT_FOUND without a stack trace", "Exception", notFound, nil, failure.NotFound},
		// The runtime.
		{"Runtime.ExitError (killed)", "Runtime.ExitError", "RequestId: 6f2d Error: Runtime exited with error: signal: killed", nil, failure.Config},
		{"Runtime.UnmarshalError", "Runtime.UnmarshalError", "Unable to unmarshal input: Expecting value: line 1 column 1 (char 0)", nil, failure.Config},
		{"Runtime.MarshalError", "Runtime.MarshalError", "Unable to marshal response: Object of type bytes is not JSON serializable", nil, failure.UnexpectedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfinvoke.ClassifyFunctionError(&sfinvoke.FunctionError{Type: tt.giveType, Message: tt.giveMsg, StackTrace: tt.giveTrace})
			assert.Equal(t, tt.want, got, "%s: %s", tt.giveType, tt.giveMsg)
		})
	}
}

// TestFunctionError_decodesStackTrace: the runtime's payload field.
func TestFunctionError_decodesStackTrace(t *testing.T) {
	var fe sfinvoke.FunctionError
	payload, err := json.Marshal(map[string]any{"errorType": "JSONDecodeError", "errorMessage": "Expecting value: line 1 column 1 (char 0)", "stackTrace": loadCredentialsTrace})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(payload, &fe))
	assert.Equal(t, loadCredentialsTrace, fe.StackTrace)
	assert.Equal(t, failure.Config, sfinvoke.ClassifyFunctionError(&fe))
}
