package sim

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorFile is testdata/vectors.json, a copy of shared/contract/vectors.json:
// invocations of the real sfInvokeAPI v5.26, in order.
type vectorFile struct {
	Vectors []struct {
		Name          string          `json:"name"`
		Org           string          `json:"org"`
		Event         json.RawMessage `json:"event"`
		FunctionError *string         `json:"function_error"`
		Payload       json.RawMessage `json:"payload"`
	} `json:"vectors"`
}

// vectorFaults are the faults that reproduce each vector's org.
var vectorFaults = map[string][]Fault{
	"auth-expired":    {AuthExpired},
	"api-limit":       {APILimit},
	"create-rejected": {CreateRejected},
}

// TestGoldenVectors replays every vector, in order, against one simulated
// deployment and compares the payloads exactly, Ids included. Only the
// Case the create-case vector makes gets an Id of the simulator's own: it
// is taken from that result (checked for a Case Id's shape) and stands for
// the vector's Id in the later events and expected payloads.
func TestGoldenVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	require.NoError(t, err)
	var file vectorFile
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Vectors, 17)

	fn, _, _, _ := newDefault(t)
	var vectorCase, simCase string
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			fn.SetFaults(vectorFaults[v.Name]...)
			event := string(v.Event)
			want := string(v.Payload)
			if simCase != "" {
				event = strings.ReplaceAll(event, vectorCase, simCase)
				want = strings.ReplaceAll(want, vectorCase, simCase)
			}
			resp, err := fn.Invoke(context.Background(), []byte(event))
			require.NoError(t, err)

			var got map[string]any
			require.NoError(t, json.Unmarshal(resp.Payload, &got))
			delete(got, "requestId")
			delete(got, "stackTrace")
			if v.Name == "create-case" {
				var w struct{ Id string }
				require.NoError(t, json.Unmarshal(v.Payload, &w))
				g, _ := got["Id"].(string)
				require.True(t, validID(g) && strings.HasPrefix(g, "500"), "create returned %q, not a Case Id", g)
				vectorCase, simCase = w.Id, g
				want = strings.ReplaceAll(want, vectorCase, simCase)
			}
			wantErr := ""
			if v.FunctionError != nil {
				wantErr = *v.FunctionError
			}
			assert.Equal(t, wantErr, resp.FunctionError)
			gotJSON, _ := json.Marshal(got)
			assert.JSONEq(t, want, string(gotJSON))
		})
	}
	require.NotEmpty(t, simCase, "the create-case vector ran")
}
