package sfinvoke_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

func tail(lines ...string) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Join(lines, "\n") + "\n"))
}

func TestParseLogTail(t *testing.T) {
	const rid = "RequestId: 6f2d9b0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	tests := []struct {
		name   string
		give   string
		want   sfinvoke.Invocation
		wantOK bool
	}{
		{
			name:   "warm, tab separated",
			give:   tail("START "+rid+" Version: $LATEST", "[INFO] customer says hello", "END "+rid, "REPORT "+rid+"\tDuration: 718.65 ms\tBilled Duration: 719 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\t"),
			want:   sfinvoke.Invocation{DurationMS: 718.65, BilledDurationMS: 719, MemorySizeMB: 128, MaxMemoryUsedMB: 74},
			wantOK: true,
		},
		{
			name:   "cold with Init Duration, space separated",
			give:   tail("REPORT " + rid + " Duration: 395.99 ms Billed Duration: 662 ms Memory Size: 512 MB Max Memory Used: 301 MB Init Duration: 265.72 ms"),
			want:   sfinvoke.Invocation{DurationMS: 395.99, BilledDurationMS: 662, MemorySizeMB: 512, MaxMemoryUsedMB: 301, InitDurationMS: 265.72},
			wantOK: true,
		},
		{
			name:   "SnapStart restore counts as the cold start",
			give:   tail("REPORT " + rid + "\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 150 MB\tRestore Duration: 310.51 ms\tBilled Restore Duration: 120 ms\t"),
			want:   sfinvoke.Invocation{DurationMS: 12, BilledDurationMS: 13, MemorySizeMB: 1024, MaxMemoryUsedMB: 150, InitDurationMS: 310.51},
			wantOK: true,
		},
		{
			name:   "newer runtimes add Status and Error Type",
			give:   tail("REPORT " + rid + "\tDuration: 6000.00 ms\tBilled Duration: 6000 ms\tMemory Size: 128 MB\tMax Memory Used: 80 MB\tStatus: timeout"),
			want:   sfinvoke.Invocation{DurationMS: 6000, BilledDurationMS: 6000, MemorySizeMB: 128, MaxMemoryUsedMB: 80},
			wantOK: true,
		},
		{
			name:   "JSON log format platform.report",
			give:   tail(`{"time":"2026-12-03T12:00:00.000Z","type":"platform.report","record":{"requestId":"x","metrics":{"durationMs":41.5,"billedDurationMs":42,"memorySizeMB":128,"maxMemoryUsedMB":116,"initDurationMs":512.25},"status":"success"}}`),
			want:   sfinvoke.Invocation{DurationMS: 41.5, BilledDurationMS: 42, MemorySizeMB: 128, MaxMemoryUsedMB: 116, InitDurationMS: 512.25},
			wantOK: true,
		},
		{
			name:   "a memory figure out of range reads as unknown",
			give:   tail("REPORT " + rid + "\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 99999999999999999999999 MB\tMax Memory Used: 70 MB\t"),
			want:   sfinvoke.Invocation{DurationMS: 1, BilledDurationMS: 1, MaxMemoryUsedMB: 70},
			wantOK: true,
		},
		{name: "a customer line that looks like a report is not one", give: tail("[INFO] Duration: 5 ms Memory Size: 1 MB"), wantOK: false},
		{name: "cut tail without REPORT", give: tail("START "+rid, "END "+rid), wantOK: false},
		{name: "not base64", give: "%%%", wantOK: false},
		{name: "empty", give: "", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sfinvoke.ParseLogTail(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestInvocation_MemoryNearlyFull(t *testing.T) {
	tests := []struct {
		size, used int
		want       bool
	}{{128, 115, false}, {128, 116, true}, {128, 128, true}, {0, 10, false}, {1024, 922, true}, {1024, 921, false}}
	for _, tt := range tests {
		inv := sfinvoke.Invocation{MemorySizeMB: tt.size, MaxMemoryUsedMB: tt.used}
		assert.Equal(t, tt.want, inv.MemoryNearlyFull(), "%d of %d MB", tt.used, tt.size)
	}
}

// TestClient_observerGetsReportAndShapeOnly: the client asks for the log
// tail, keeps the REPORT figures and the executed version, and the result's
// non-string keys by name and kind; the tail's other lines and every value
// stay out of what it hands on.
func TestClient_observerGetsReportAndShapeOnly(t *testing.T) {
	var logType string
	srv := newInvokeServer(t, func(w http.ResponseWriter, r *http.Request) {
		logType = r.Header.Get("X-Amz-Log-Type")
		w.Header().Set("X-Amz-Log-Result", tail("START RequestId: r Version: 7", "customer Jane Doe +15005550006",
			"END RequestId: r", "REPORT RequestId: r\tDuration: 250.00 ms\tBilled Duration: 250 ms\tMemory Size: 128 MB\tMax Memory Used: 120 MB\tInit Duration: 900.10 ms\t"))
		w.Header().Set("X-Amz-Executed-Version", "7")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"sf_count": 1, "Id": "0031r000026MVPIAA4", "Name": "Jane Doe", "Account": {"Name": "Acme"}, "Tags": [], "Active": true, "Fax": null}`))
	})
	var calls []sfinvoke.Call
	c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithObserver(func(call sfinvoke.Call) { calls = append(calls, call) }))
	_, err := c.PhoneLookup(context.Background(), "+15005550006", "Id, Name")
	require.NoError(t, err)
	assert.Equal(t, "Tail", logType)
	require.Len(t, calls, 1)
	assert.Equal(t, &sfinvoke.Invocation{DurationMS: 250, BilledDurationMS: 250, MemorySizeMB: 128, MaxMemoryUsedMB: 120, InitDurationMS: 900.1, ExecutedVersion: "7"}, calls[0].Invocation)
	assert.Equal(t, []sfinvoke.ShapeKey{{Key: "Account", Kind: "object"}, {Key: "Active", Kind: "bool"}, {Key: "Fax", Kind: "null"}, {Key: "Tags", Kind: "list"}, {Key: "sf_count", Kind: "number"}}, calls[0].Shape)
	assert.True(t, calls[0].Result)
	assert.Equal(t, "phoneLookup", calls[0].Event)
}

func TestClient_observerOnFunctionError(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"errorMessage":"boom","errorType":"Exception"}`), "Unhandled"))
	var calls []sfinvoke.Call
	c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithObserver(func(call sfinvoke.Call) { calls = append(calls, call) }))
	_, err := c.CloseCase(context.Background(), caseID)
	require.Error(t, err)
	require.Len(t, calls, 1)
	assert.False(t, calls[0].Result)
	assert.Nil(t, calls[0].Shape)
	require.NotNil(t, calls[0].Invocation, "the executed version alone is kept")
	assert.Equal(t, "$LATEST", calls[0].Invocation.ExecutedVersion)
}
