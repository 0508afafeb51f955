package lambdahttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// TestServe_logTailAndVersion: the log tail goes back only to a request
// that asked for it (X-Amz-Log-Type: Tail), as the Invoke API does; the
// executed version defaults to $LATEST.
func TestServe_logTailAndVersion(t *testing.T) {
	tests := []struct {
		name        string
		giveLogType string
		giveResp    lambdahttp.Response
		wantLog     string
		wantVersion string
	}{
		{"tail asked", "Tail", lambdahttp.Response{Payload: []byte(`{}`), LogResult: "UkVQT1JU", ExecutedVersion: "7"}, "UkVQT1JU", "7"},
		{"tail not asked", "", lambdahttp.Response{Payload: []byte(`{}`), LogResult: "UkVQT1JU"}, "", "$LATEST"},
		{"LogType None", "None", lambdahttp.Response{Payload: []byte(`{}`), LogResult: "UkVQT1JU"}, "", "$LATEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			router := lambdahttp.NewRouter()
			router.Handle("fn", lambdahttp.FunctionFunc(func(context.Context, []byte) (lambdahttp.Response, error) { return tt.giveResp, nil }))
			req := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/fn/invocations", strings.NewReader(`{}`))
			if tt.giveLogType != "" {
				req.Header.Set("X-Amz-Log-Type", tt.giveLogType)
			}
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tt.wantLog, rec.Header().Get("X-Amz-Log-Result"))
			assert.Equal(t, tt.wantVersion, rec.Header().Get("X-Amz-Executed-Version"))
		})
	}
}
