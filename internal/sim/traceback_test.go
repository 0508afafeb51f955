package sim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// TestErrorsCarryTheirTraceback: the runtime's stackTrace says where an
// exception was raised, as the Python runtime's does, and sfprobe's
// classifier reads the same class from it as from the real function's.
func TestErrorsCarryTheirTraceback(t *testing.T) {
	closeMissing := render(t, events.Update, events.Values{CaseID: "5001r00000ZZZZZZZZ"})
	tests := []struct {
		name      string
		setEnv    map[string]string
		secret    string
		event     []byte
		wantType  string
		wantFrame string // a frame the trace must hold
		want      failure.Class
	}{
		{name: "secret not JSON", secret: `p@ssw0rd`, wantType: "JSONDecodeError", wantFrame: `salesforce.py", line 64, in __load_credentials`, want: failure.Config},
		{name: "secret a JSON list", secret: `["p"]`, wantType: "TypeError", wantFrame: "in __load_credentials", want: failure.Config},
		{name: "secret lacks a key", secret: `{"Password": "p"}`, wantType: "KeyError", wantFrame: "in __load_credentials", want: failure.Config},
		{name: "empty secret ARN", setEnv: map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": ""}, wantType: "ParamValidationError", wantFrame: "in __load_credentials", want: failure.Config},
		{name: "SF_HOST without a scheme", setEnv: map[string]string{"SF_HOST": "sfprobe-sim.my.salesforce.com"}, wantType: "MissingSchema",
			wantFrame: `salesforce.py", line 116, in parameterizedSearch`, want: failure.Config},
		{name: "wrong SF_VERSION", setEnv: map[string]string{"SF_VERSION": "60.0"}, wantType: "Exception",
			wantFrame: "in parameterizedSearch", want: failure.Config},
		{name: "update of a missing case", event: closeMissing, wantType: "Exception", wantFrame: `salesforce.py", line 126, in update`, want: failure.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, fx := NewDefaultOrg()
			env := testEnv(fx)
			for k, v := range tt.setEnv {
				env[k] = v
			}
			secret := fx.SecretString
			if tt.secret != "" {
				secret = tt.secret
			}
			fn := NewFunction(org, NewMemorySecrets(testARN, secret), env)
			event := tt.event
			if event == nil {
				event = phoneLookupEvent(t)
			}
			resp, err := fn.Invoke(context.Background(), event)
			require.NoError(t, err)
			require.Equal(t, "Unhandled", resp.FunctionError)
			var fe sfinvoke.FunctionError
			require.NoError(t, json.Unmarshal(resp.Payload, &fe))
			assert.Equal(t, tt.wantType, fe.Type, fe.Message)
			require.NotEmpty(t, fe.StackTrace)
			assert.True(t, strings.HasPrefix(fe.StackTrace[0], `  File "/var/task/sfInvokeAPI.py", line `), fe.StackTrace[0])
			assert.Contains(t, strings.Join(fe.StackTrace, ""), tt.wantFrame)
			assert.Equal(t, tt.want, sfinvoke.ClassifyFunctionError(&fe), "%s: %s", fe.Type, fe.Message)
		})
	}
}

// TestChatterMessageOfAnotherType: a list or an object as sf_message
// raises what str.find on it raises, as the real text_replace_string does;
// it never panics.
func TestChatterMessageOfAnotherType(t *testing.T) {
	fn, _, _, _ := newDefault(t)
	tests := []struct {
		name string
		give any
		want result
	}{
		{"list holding {{", []any{"{{"}, fnError("AttributeError", "'list' object has no attribute 'find'")},
		{"object keyed {{", newDict("{{", "x"), fnError("AttributeError", "'dict' object has no attribute 'find'")},
		{"number", 1, fnError("TypeError", "argument of type 'int' is not iterable")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := params("sf_operation", "createChatterPost", "sf_feedElementType", "FeedItem", "sf_subjectId", DefaultContactID,
				"sf_messageType", "Text", "sf_message", tt.give)
			assert.Equal(t, tt.want, call(t, fn, event))
		})
	}
}
