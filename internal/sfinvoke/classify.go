package sfinvoke

import (
	"context"
	"errors"
	"net"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// FunctionError is an unhandled error that sfInvokeAPI raised, as the Lambda
// runtime reports it: X-Amz-Function-Error plus errorType and errorMessage,
// and the Python runtime's stackTrace, one entry per frame, outermost first,
// each `  File "<path>", line <n>, in <function>` and the source line.
type FunctionError struct {
	Type       string   `json:"errorType"`
	Message    string   `json:"errorMessage"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// The tables below map what sfInvokeAPI v5.26 raises (contract §3, and the
// libraries it calls: requests, botocore, phonenumbers, json) to failure
// classes, one table per kind of fact. The AWS error codes of its boto3
// calls are failure's AWS code table.

// runtimeErrors are the errorTypes the Lambda runtime reports itself.
var runtimeErrors = map[string]failure.Class{
	// The code or its layer cannot load.
	"Runtime.ImportModuleError":    failure.Packaging,
	"Runtime.HandlerNotFound":      failure.Packaging,
	"Runtime.UserCodeSyntaxError":  failure.Packaging,
	"Runtime.InvalidEntrypoint":    failure.Packaging,
	"Runtime.MalformedHandlerName": failure.Packaging,
	// The function's memory setting: out of memory, or the runtime process
	// killed ("Runtime exited with error: signal: killed").
	"Runtime.OutOfMemory": failure.Config,
	"Runtime.ExitError":   failure.Config,
	// The event was not JSON ("Unable to unmarshal input: …"); the result
	// could not be serialized ("Unable to marshal response: …").
	"Runtime.UnmarshalError": failure.Config,
	"Runtime.MarshalError":   failure.UnexpectedResponse,
	"Sandbox.Timedout":       failure.Timeout,
}

// pythonExceptions are exception classes whose failure class does not
// depend on the message: Python's own, salesforce.py's, phonenumbers',
// botocore's client-side errors and requests'.
var pythonExceptions = map[string]failure.Class{
	// A missing event parameter, secret key or environment variable; a
	// parameter of the wrong type; a secret that is a JSON list or string
	// ("list indices must be integers or slices, not str").
	"KeyError":  failure.Config,
	"TypeError": failure.Config,
	// A create/update value "<delta>|<format>" whose delta is not a number.
	"ValueError": failure.Data,
	// phoneLookup's sf_phone is not E.164.
	"NumberParseException": failure.Config,
	// salesforce.py: the retried call was refused again after a new token.
	"InvalidAuthTokenException": failure.Auth,
	// botocore, before any request: an empty secret ARN ("Parameter
	// validation failed:\nInvalid length for parameter SecretId, value: 0,
	// valid min length: 1"), no region, no credentials.
	"ParamValidationError": failure.Config,
	"NoRegionError":        failure.Config,
	"NoCredentialsError":   failure.Permission,
	// botocore's connection to Secrets Manager.
	"EndpointConnectionError": failure.Network,
	"ConnectionClosedError":   failure.Network,
	"ConnectTimeoutError":     failure.Timeout,
	"ReadTimeoutError":        failure.Timeout,
	// requests: SF_HOST is empty or lacks https:// ("Invalid URL '…': No
	// scheme supplied. Perhaps you meant https://…?"), has another scheme or
	// is a host:port without one ("No connection adapters were found for
	// '…'"), or has no host ("Invalid URL 'https:///…': No host supplied").
	"MissingSchema": failure.Config,
	"InvalidSchema": failure.Config,
	"InvalidURL":    failure.Config,
	// requests: the connection to Salesforce.
	"ConnectionError":      failure.Network,
	"SSLError":             failure.Network,
	"ProxyError":           failure.Network,
	"ChunkedEncodingError": failure.Network,
	"ConnectTimeout":       failure.Timeout,
	"ReadTimeout":          failure.Timeout,
	"Timeout":              failure.Timeout,
	// Salesforce answered a body that is not JSON (an HTML error page). The
	// same error raised while loading the secret is Config (see
	// ClassifyFunctionError).
	"JSONDecodeError": failure.UnexpectedResponse,
}

// oauthErrors are the token endpoint's error codes: __check_resp__ raises
// Exception("<error>: <error_description>").
var oauthErrors = map[string]failure.Class{
	"invalid_grant":          failure.Auth,
	"invalid_client_id":      failure.Auth,
	"invalid_client":         failure.Auth,
	"unauthorized_client":    failure.Auth,
	"unsupported_grant_type": failure.Auth,
	"invalid_request":        failure.Auth,
	"inactive_user":          failure.Auth,
	"inactive_org":           failure.Auth,
	"unknown_error":          failure.Auth,
	"invalid_app_access":     failure.Auth,
}

// salesforceErrors are Salesforce REST error codes: __check_resp__ raises
// Exception("<errorCode>: <message>") for the first error of the body.
var salesforceErrors = map[string]failure.Class{
	"INVALID_SESSION_ID":                            failure.Auth,
	"INVALID_OPERATION_WITH_EXPIRED_PASSWORD":       failure.Auth,
	"REQUEST_LIMIT_EXCEEDED":                        failure.APILimit,
	"URL_NOT_RESET":                                 failure.Config,
	"INVALID_FIELD":                                 failure.Config,
	"MALFORMED_QUERY":                               failure.Config,
	"INVALID_TYPE":                                  failure.Config,
	"NOT_FOUND":                                     failure.NotFound, // Config for a wrong path: see wrongPath
	"ENTITY_IS_DELETED":                             failure.NotFound,
	"INSUFFICIENT_ACCESS":                           failure.Permission,
	"INSUFFICIENT_ACCESS_OR_READONLY":               failure.Permission,
	"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": failure.Permission,
	"FUNCTIONALITY_NOT_ENABLED":                     failure.Permission,
	"API_DISABLED_FOR_ORG":                          failure.Permission,
	"API_CURRENTLY_DISABLED":                        failure.Permission,
	"INVALID_FIELD_FOR_INSERT_UPDATE":               failure.Permission,
	"FIELD_CUSTOM_VALIDATION_EXCEPTION":             failure.Data,
	"REQUIRED_FIELD_MISSING":                        failure.Data,
	"INVALID_CROSS_REFERENCE_KEY":                   failure.Data,
	"FIELD_INTEGRITY_EXCEPTION":                     failure.Data,
	"DUPLICATE_VALUE":                               failure.Data,
	"DUPLICATES_DETECTED":                           failure.Data,
	"STRING_TOO_LONG":                               failure.Data,
	"CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY":          failure.Data,
	"CANNOT_EXECUTE_FLOW_TRIGGER":                   failure.Data,
	"UNABLE_TO_LOCK_ROW":                            failure.Data,
	"ENTITY_IS_LOCKED":                              failure.Data,
	"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST":       failure.Data,
	"MALFORMED_ID":                                  failure.Data,
	"INVALID_SEARCH":                                failure.Data,
	"JSON_PARSER_ERROR":                             failure.Data,
	"INVALID_QUERY_FILTER_OPERATOR":                 failure.Data,
	// Salesforce's own faults: worth a retry.
	"UNKNOWN_EXCEPTION":  failure.Network,
	"SERVER_UNAVAILABLE": failure.Network,
}

// statusErrors are the HTTP statuses of "request returned status code: <n>"
// (a non-2xx answer whose JSON is neither an OAuth error nor a list of
// errors); any other status is UnexpectedResponse.
var statusErrors = map[string]failure.Class{
	"401": failure.Auth,
	"403": failure.Permission,
	"404": failure.NotFound,
}

// ownMessages are the messages of sfInvokeAPI's own Exception raises, by
// prefix.
var ownMessages = []struct {
	prefix string
	class  failure.Class
}{
	{"sf_operation unknown", failure.UnexpectedResponse},
	{"Supported formats are", failure.Data},
	{"Supported delta types", failure.Data},
	{"'%s' enviroment variable is missing", failure.Config},
}

// recordMethods are the salesforce.py methods whose URL names a record
// (sobjects/<type>/<id>): a NOT_FOUND there means the record is gone.
var recordMethods = map[string]bool{"update": true, "update_by_external": true, "delete": true}

const statusPrefix = "request returned status code: "

var (
	// botocore ClientError text: "An error occurred (Code) when calling the Op operation: ...".
	clientErrorCode = regexp.MustCompile(`^An error occurred \(([A-Za-z0-9.]+)\)`)
	// "<errorCode>: …" (Salesforce) or "<error>: …" (OAuth).
	errorCodePrefix = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*): `)
	timedOut        = regexp.MustCompile(`Task timed out after [0-9.]+ seconds`)
	// One frame of a Python stackTrace entry.
	frameRe = regexp.MustCompile(`File "([^"]*)", line [0-9]+, in ([A-Za-z_][A-Za-z0-9_.]*)`)
)

// ClassifyFunctionError returns the failure class of an error that
// sfInvokeAPI raised.
func ClassifyFunctionError(fe *FunctionError) failure.Class {
	if timedOut.MatchString(fe.Message) {
		return failure.Timeout
	}
	if c, ok := runtimeErrors[fe.Type]; ok {
		return c
	}
	if fe.Type == "JSONDecodeError" && fe.raisedIn("salesforce.py", "__load_credentials") {
		// json.loads of the SecretString: the secret is not JSON.
		return failure.Config
	}
	if c, ok := pythonExceptions[fe.Type]; ok {
		return c
	}
	if fe.Type == "ClientError" {
		if m := clientErrorCode.FindStringSubmatch(fe.Message); m != nil {
			if c, ok := failure.FunctionAWSCodeClass(m[1]); ok {
				return c
			}
		}
		return failure.Unknown
	}
	if c, ok := failure.FunctionAWSCodeClass(fe.Type); ok {
		// A modeled botocore exception: its class name is the code.
		return c
	}
	if fe.Type == "Exception" {
		return classifyException(fe)
	}
	if strings.HasPrefix(fe.Type, "Runtime.") {
		return failure.Packaging
	}
	return failure.Unknown
}

// classifyException classifies a plain Exception: a Salesforce or token
// endpoint error, a status line, or one of sfInvokeAPI's own messages.
func classifyException(fe *FunctionError) failure.Class {
	if m := errorCodePrefix.FindStringSubmatch(fe.Message); m != nil {
		if c, ok := salesforceErrors[m[1]]; ok {
			if m[1] == "NOT_FOUND" && fe.wrongPath() {
				return failure.Config
			}
			return c
		}
		if c, ok := oauthErrors[m[1]]; ok {
			return c
		}
	}
	if status, ok := strings.CutPrefix(fe.Message, statusPrefix); ok {
		for code, c := range statusErrors {
			if strings.HasPrefix(status, code) {
				return c
			}
		}
		return failure.UnexpectedResponse
	}
	for _, m := range ownMessages {
		if strings.HasPrefix(fe.Message, m.prefix) {
			return m.class
		}
	}
	return failure.Unknown
}

// wrongPath reports whether a NOT_FOUND came from a request whose URL
// names no record (a search, a query, a create). Salesforce answers 404
// NOT_FOUND "The requested resource does not exist" both for a record that
// does not exist and for a path it does not serve; where no record is
// named only the path can be wrong: SF_VERSION names an API version the
// org does not serve, or SF_HOST carries a path. The message alone cannot
// tell: without salesforce.py in the stack trace the error stays NotFound.
func (fe *FunctionError) wrongPath() bool {
	method, ok := fe.outermost("salesforce.py")
	return ok && !recordMethods[method]
}

// outermost returns the function of the outermost frame in file (a base
// name): for salesforce.py, the Salesforce method sfInvokeAPI called
// (makeRequest, the Request methods and __check_resp__ are inner frames).
func (fe *FunctionError) outermost(file string) (string, bool) {
	for _, entry := range fe.StackTrace {
		if m := frameRe.FindStringSubmatch(entry); m != nil && path.Base(m[1]) == file {
			return m[2], true
		}
	}
	return "", false
}

// raisedIn reports whether a frame of the stack trace is fn in file (a
// base name). A method's frame names the function alone ("in
// __load_credentials"); a runtime may qualify it ("Salesforce.…").
func (fe *FunctionError) raisedIn(file, fn string) bool {
	for _, entry := range fe.StackTrace {
		m := frameRe.FindStringSubmatch(entry)
		if m != nil && path.Base(m[1]) == file && (m[2] == fn || strings.HasSuffix(m[2], "."+fn)) {
			return true
		}
	}
	return false
}

// ClassifyInvokeError returns the failure class of an error returned by the
// Lambda Invoke API call itself (not by the function's code): the error
// code's row in failure's AWS code table (the SDK's modeled Lambda errors
// report their own code), a timeout, or a network failure.
func ClassifyInvokeError(ctx context.Context, err error) failure.Class {
	var (
		maxAttempts *retry.MaxAttemptsError
		netErr      net.Error
		apiErr      smithy.APIError
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
	case errors.As(err, &maxAttempts):
		return failure.Network
	}
	return failure.Unknown
}

// Cause is one row of the classifier's tables: a name sfInvokeAPI's errors
// carry and the class it gives.
type Cause struct {
	// Table is the kind of name: "runtime" (an errorType of the Lambda
	// runtime), "exception" (a Python exception class), "oauth" (a token
	// endpoint error) or "salesforce" (a REST errorCode).
	Table string
	Name  string
	Class failure.Class
}

// Causes returns every row of the classifier's tables, sorted by table and
// name (the runbook's test reads them).
func Causes() []Cause {
	var out []Cause
	for _, t := range []struct {
		name string
		rows map[string]failure.Class
	}{
		{"runtime", runtimeErrors}, {"exception", pythonExceptions}, {"oauth", oauthErrors}, {"salesforce", salesforceErrors},
	} {
		for name, c := range t.rows {
			out = append(out, Cause{Table: t.name, Name: name, Class: c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Name < out[j].Name
	})
	return out
}
