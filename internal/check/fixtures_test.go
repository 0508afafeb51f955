package check_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

const (
	fnName         = checktest.FunctionName
	secretARN      = checktest.SecretARN
	givenSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:given-XyZ123"
	keyID          = checktest.KeyID
	keyARN         = checktest.KeyARN
	keyAliasARN    = "arn:aws:kms:us-east-1:123456789012:alias/sfprobe"
	otherKeyID     = "9999ffff-12ab-34cd-56ef-1234567890ab"
	otherKeyARN    = "arn:aws:kms:us-east-1:123456789012:key/" + otherKeyID
	roleARN        = checktest.RoleARN
	instanceX      = checktest.InstanceARN
	instanceY      = "arn:aws:connect:us-east-1:123456789012:instance/ffffffff-1111-2222-3333-444444444444"
	testPhone      = checktest.Phone
)

var (
	sfEnv         = checktest.SFEnv
	fnConfig      = checktest.FunctionConfig
	keyMeta       = checktest.KeyMetadata
	connectPolicy = checktest.ConnectPolicy
	simulated     = checktest.Simulated
	versions      = checktest.Versions
	secretString  = checktest.SecretString
)

// assertNoSecret fails if any field of r carries a secret value.
func assertNoSecret(t *testing.T, r check.Result) {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	for k, v := range checktest.SecretValues {
		assert.NotContains(t, string(b), v, "the result leaks the secret's %s", k)
	}
}

func target() check.Target {
	return check.Target{Function: fnName, Phone: testPhone, Fields: "Id, Name"}
}

// assertFailed checks a failure's class, remedy and runbook anchor.
func assertFailed(t *testing.T, r check.Result, name string, class failure.Class) {
	t.Helper()
	assert.Equal(t, name, r.Name)
	assert.Equal(t, check.Fail, r.Status, "message: %s", r.Message)
	assert.Equal(t, class, r.ErrorClass, "message: %s", r.Message)
	assert.Equal(t, class.Remedy(), r.Remediation)
	assert.Equal(t, class.Anchor(), r.Runbook)
	assert.True(t, r.Failed())
}

// assertOK checks a pass or a warning (no failure fields).
func assertOK(t *testing.T, r check.Result, name string, status check.Status) {
	t.Helper()
	assert.Equal(t, name, r.Name)
	assert.Equal(t, status, r.Status, "message: %s", r.Message)
	assert.Empty(t, r.ErrorClass)
	assert.Empty(t, r.Remediation)
	assert.Empty(t, r.Runbook)
	assert.False(t, r.Failed())
}
