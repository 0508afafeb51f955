package failure

// AWSCode is one AWS API error code and the class of a call that failed
// with it. The code is what smithy.APIError.ErrorCode() returns (the SDK's
// modeled error types return their own code) and what botocore prints in
// "An error occurred (<code>) when calling the <op> operation: …" or uses
// as the name of a modeled exception class.
type AWSCode struct {
	Code  string
	Class Class
	// InFunction is the class when sfInvokeAPI's own boto3 call (the
	// GetSecretValue or PutSecretValue of its configured secret) failed
	// with the code, when that differs from Class: there the fault lies in
	// the function's configuration, not in what sfprobe was given.
	InFunction Class
}

// awsCodes is the one table of AWS API error codes: sfprobe's own AWS calls
// (internal/check), the Lambda Invoke call (internal/sfinvoke) and the
// botocore errors sfInvokeAPI raises all read it. A code missing here is
// Unknown.
var awsCodes = []AWSCode{
	// Credentials and authorization.
	{Code: "AccessDeniedException", Class: Permission},
	{Code: "AccessDenied", Class: Permission},
	{Code: "UnauthorizedOperation", Class: Permission},
	{Code: "UnrecognizedClientException", Class: Permission},
	{Code: "InvalidClientTokenId", Class: Permission},
	{Code: "InvalidSignatureException", Class: Permission},
	{Code: "SignatureDoesNotMatch", Class: Permission},
	{Code: "ExpiredToken", Class: Permission},
	{Code: "ExpiredTokenException", Class: Permission},
	// Throttling.
	{Code: "ThrottlingException", Class: Throttled},
	{Code: "Throttling", Class: Throttled},
	{Code: "TooManyRequestsException", Class: Throttled},
	{Code: "RequestLimitExceeded", Class: Throttled},
	{Code: "EC2ThrottledException", Class: Throttled},
	// The services' own faults (transient).
	{Code: "InternalFailure", Class: Network},
	{Code: "ServiceUnavailable", Class: Network},
	{Code: "ServiceException", Class: Network},     // Lambda
	{Code: "InternalServiceError", Class: Network}, // Secrets Manager
	{Code: "KMSInternalException", Class: Network}, // KMS
	{Code: "ServiceFailure", Class: Network},       // IAM
	{Code: "DependencyTimeoutException", Class: Timeout},
	{Code: "SnapStartTimeoutException", Class: Timeout},
	// Missing resources. Inside sfInvokeAPI a missing secret means its
	// SF_CREDENTIALS_SECRETS_MANAGER_ARN is wrong.
	{Code: "ResourceNotFoundException", Class: NotFound, InFunction: Config}, // Lambda, Secrets Manager
	{Code: "NotFoundException", Class: NotFound},                             // KMS
	{Code: "NoSuchEntity", Class: NotFound},                                  // IAM
	// Secrets Manager: a secret marked for deletion (InvalidRequestException)
	// or a malformed secret id (InvalidParameterException); the KMS key of
	// the secret refusing to decrypt or encrypt.
	{Code: "InvalidRequestException", Class: Config},
	{Code: "InvalidParameterException", Class: Config},
	{Code: "DecryptionFailure", Class: Permission},
	{Code: "EncryptionFailure", Class: Permission},
	// KMS key state.
	{Code: "DisabledException", Class: Config},
	// Lambda could not decrypt the function's environment with its key.
	{Code: "KMSAccessDeniedException", Class: Permission},
	{Code: "KMSDisabledException", Class: Permission},
	{Code: "KMSInvalidStateException", Class: Permission},
	{Code: "KMSNotFoundException", Class: Permission},
	{Code: "EC2AccessDeniedException", Class: Permission},
	// Lambda: the function is not ready or cannot run as configured.
	{Code: "ResourceNotReadyException", Class: Config},
	{Code: "ResourceConflictException", Class: Config},
	{Code: "InvalidRuntimeException", Class: Config},
	// Lambda: the function's VPC networking.
	{Code: "ENILimitReachedException", Class: Network},
	{Code: "SubnetIPAddressLimitReachedException", Class: Network},
	{Code: "InvalidSubnetIDException", Class: Network},
	{Code: "InvalidSecurityGroupIDException", Class: Network},
	{Code: "EC2UnexpectedException", Class: Network},
	// Lambda refused the request itself.
	{Code: "InvalidRequestContentException", Class: UnexpectedResponse},
	{Code: "RequestTooLargeException", Class: UnexpectedResponse},
	{Code: "UnsupportedMediaTypeException", Class: UnexpectedResponse},
	// Amazon Connect (ConnectAccess reads the instance): its own fault.
	// AccessDeniedException, ResourceNotFoundException (the instance),
	// ThrottlingException, InvalidRequestException and
	// InvalidParameterException are in the rows above.
	{Code: "InternalServiceException", Class: Network},
	// STS (a target's role, internal/assume): STS is not activated in the
	// target's region for its account; AccessDenied and the throttling
	// codes are in the rows above.
	{Code: "RegionDisabledException", Class: Config},
}

var awsCodeIndex = func() map[string]AWSCode {
	m := make(map[string]AWSCode, len(awsCodes))
	for _, c := range awsCodes {
		m[c.Code] = c
	}
	return m
}()

// AWSCodeClass returns the class of an AWS error code from a call sfprobe
// makes itself (the checks' AWS calls, the Lambda Invoke call), and false
// for a code the table does not hold.
func AWSCodeClass(code string) (Class, bool) {
	c, ok := awsCodeIndex[code]
	return c.Class, ok
}

// FunctionAWSCodeClass returns the class of an AWS error code that
// sfInvokeAPI's own boto3 call raised, and false for a code the table does
// not hold.
func FunctionAWSCodeClass(code string) (Class, bool) {
	c, ok := awsCodeIndex[code]
	if ok && c.InFunction != "" {
		return c.InFunction, true
	}
	return c.Class, ok
}

// AWSCodes returns the table, in its order.
func AWSCodes() []AWSCode { return append([]AWSCode(nil), awsCodes...) }
