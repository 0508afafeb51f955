package failure_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/failure"
)

func TestAWSCodes_wellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range failure.AWSCodes() {
		assert.False(t, seen[c.Code], "%s is listed twice", c.Code)
		seen[c.Code] = true
		_, ok := failure.Lookup(c.Class)
		assert.True(t, ok, "%s: unknown class %q", c.Code, c.Class)
		if c.InFunction != "" {
			_, ok := failure.Lookup(c.InFunction)
			assert.True(t, ok, "%s: unknown in-function class %q", c.Code, c.InFunction)
			assert.NotEqual(t, c.Class, c.InFunction, "%s: an InFunction equal to Class is noise", c.Code)
		}
	}
}

func TestAWSCodeClass(t *testing.T) {
	tests := []struct {
		give           string
		want           failure.Class
		wantInFunction failure.Class
	}{
		{"AccessDeniedException", failure.Permission, failure.Permission},
		{"ThrottlingException", failure.Throttled, failure.Throttled},
		{"TooManyRequestsException", failure.Throttled, failure.Throttled},
		{"ResourceNotFoundException", failure.NotFound, failure.Config},
		{"NoSuchEntity", failure.NotFound, failure.NotFound},
		{"InvalidRequestException", failure.Config, failure.Config},
		{"InvalidParameterException", failure.Config, failure.Config},
		{"InternalServiceError", failure.Network, failure.Network},
		{"DecryptionFailure", failure.Permission, failure.Permission},
		{"KMSDisabledException", failure.Permission, failure.Permission},
		{"DependencyTimeoutException", failure.Timeout, failure.Timeout},
		{"RequestTooLargeException", failure.UnexpectedResponse, failure.UnexpectedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := failure.AWSCodeClass(tt.give)
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
			got, ok = failure.FunctionAWSCodeClass(tt.give)
			require.True(t, ok)
			assert.Equal(t, tt.wantInFunction, got)
		})
	}
	for _, code := range []string{"", "SomethingNew", "accessdeniedexception"} {
		_, ok := failure.AWSCodeClass(code)
		assert.False(t, ok, code)
		_, ok = failure.FunctionAWSCodeClass(code)
		assert.False(t, ok, code)
	}
}
