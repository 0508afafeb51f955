package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/failure"
)

func TestSalesforceLoginProductionHost(t *testing.T) {
	env := map[string]string{EnvHost: "https://acme.my.salesforce.com", EnvVersion: "v60.0", EnvUsername: "api.user@example.com"}
	env[EnvProduction] = "TRUE"
	ls, err := loginSettingsOf(env, authFlow{})
	require.NoError(t, err)
	assert.Equal(t, "https://login.salesforce.com", ls.tokenHost)
	assert.Equal(t, "https://acme.my.salesforce.com", ls.dataHost)
}

func TestSalesforceLoginHTTPSOnly(t *testing.T) {
	tests := []struct {
		give string
		ok   bool
	}{
		{"http://acme.my.salesforce.com", false},
		{"https://acme.my.salesforce.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9", true},
		{"http://localhost:1", true},
		{"http://[::1]:80", true},
		{"http://10.0.0.1", false},
		{"acme.my.salesforce.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, err := httpsHost(EnvHost, tt.give)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, failure.Config, failure.ClassOf(err))
			assert.Contains(t, err.Error(), EnvHost)
		})
	}
}
