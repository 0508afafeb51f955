package check

import (
	"context"
	"testing"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// TestClassifyAWS: the SDK's modeled errors and bare codes both get their
// row of failure's AWS code table.
func TestClassifyAWS(t *testing.T) {
	tests := []struct {
		name string
		give error
		want failure.Class
	}{
		{"lambda not found", &lambdatypes.ResourceNotFoundException{}, failure.NotFound},
		{"lambda throttled", &lambdatypes.TooManyRequestsException{}, failure.Throttled},
		{"lambda service", &lambdatypes.ServiceException{}, failure.Network},
		{"secret not found", &smtypes.ResourceNotFoundException{}, failure.NotFound},
		{"secret undecryptable", &smtypes.DecryptionFailure{}, failure.Permission},
		{"secret marked for deletion", &smtypes.InvalidRequestException{}, failure.Config},
		{"secret id malformed", &smtypes.InvalidParameterException{}, failure.Config},
		{"secrets manager internal", &smtypes.InternalServiceError{}, failure.Network},
		{"key not found", &kmstypes.NotFoundException{}, failure.NotFound},
		{"key disabled", &kmstypes.DisabledException{}, failure.Config},
		{"KMS internal", &kmstypes.KMSInternalException{}, failure.Network},
		{"KMS dependency timeout", &kmstypes.DependencyTimeoutException{}, failure.Timeout},
		{"IAM no such entity", &iamtypes.NoSuchEntityException{}, failure.NotFound},
		{"IAM service failure", &iamtypes.ServiceFailureException{}, failure.Network},
		{"access denied code", &smithy.GenericAPIError{Code: "AccessDeniedException"}, failure.Permission},
		{"throttling code", &smithy.GenericAPIError{Code: "Throttling"}, failure.Throttled},
		{"unknown code", &smithy.GenericAPIError{Code: "SomethingNew"}, failure.Unknown},
		{"deadline", context.DeadlineExceeded, failure.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, classifyAWS(context.Background(), tt.give))
			wrapped := &smithy.OperationError{ServiceID: "X", OperationName: "Y", Err: tt.give}
			assert.Equal(t, tt.want, classifyAWS(context.Background(), wrapped), "wrapped")
		})
	}
}
