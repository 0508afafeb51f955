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
// deployment. Record Ids in the vectors are illustrative: an Id the
// simulator assigned is mapped to the vector's, in events and in results.
func TestGoldenVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/vectors.json")
	require.NoError(t, err)
	var file vectorFile
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Vectors, 17)

	fn, _, _, _ := newDefault(t)
	toSim := map[string]string{} // vector Id → simulator Id
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			fn.SetFaults(vectorFaults[v.Name]...)
			event := string(v.Event)
			for want, got := range toSim {
				event = strings.ReplaceAll(event, want, got)
			}
			resp, err := fn.Invoke(context.Background(), []byte(event))
			require.NoError(t, err)

			var got, want map[string]any
			require.NoError(t, json.Unmarshal(resp.Payload, &got))
			require.NoError(t, json.Unmarshal(v.Payload, &want))
			delete(got, "requestId")
			delete(got, "stackTrace")
			if w, ok := want["Id"].(string); ok {
				if g, ok := got["Id"].(string); ok && g != w {
					toSim[w] = g
					got["Id"] = w
				}
			}
			for k, val := range got {
				for w, g := range toSim {
					if val == g {
						got[k] = w
					}
				}
			}
			wantErr := ""
			if v.FunctionError != nil {
				wantErr = *v.FunctionError
			}
			assert.Equal(t, wantErr, resp.FunctionError)
			gotJSON, _ := json.Marshal(got)
			assert.JSONEq(t, string(v.Payload), string(gotJSON))
		})
	}
}
