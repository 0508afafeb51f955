package sim

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
)

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfprobe-sim-AbCdEf"

// testEnv returns the default fixture's environment with the secret ARN.
func testEnv(fx DefaultFixture) map[string]string {
	env := map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": testARN}
	for k, v := range fx.Env {
		env[k] = v
	}
	return env
}

// newDefault returns the default org, its secret and a function over them.
func newDefault(t *testing.T, opts ...Option) (*Function, *Org, *MemorySecrets, DefaultFixture) {
	t.Helper()
	org, fx := NewDefaultOrg()
	store := NewMemorySecrets(testARN, fx.SecretString)
	return NewFunction(org, store, testEnv(fx), opts...), org, store, fx
}

// result is one invocation's outcome as a test sees it.
type result struct {
	FunctionError string
	Payload       map[string]any
}

// call invokes fn and decodes the payload object, dropping the runtime's
// requestId and stackTrace.
func call(t *testing.T, fn *Function, payload []byte) result {
	t.Helper()
	resp, err := fn.Invoke(context.Background(), payload)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(resp.Payload, &out), "payload %s", resp.Payload)
	delete(out, "requestId")
	delete(out, "stackTrace")
	return result{FunctionError: resp.FunctionError, Payload: out}
}

// params builds an event holding only Details.Parameters, in order.
func params(kv ...any) []byte {
	return pyDumps(newDict("Details", newDict("Parameters", newDict(kv...))))
}

func render(t *testing.T, n events.Name, v events.Values) []byte {
	t.Helper()
	b, err := events.Render(n, v)
	require.NoError(t, err)
	return b
}

func fnError(typ, msg string) result {
	return result{FunctionError: "Unhandled", Payload: map[string]any{"errorType": typ, "errorMessage": msg}}
}

func ok(payload map[string]any) result { return result{Payload: payload} }
