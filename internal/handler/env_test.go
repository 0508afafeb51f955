package handler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/handler"
)

func TestConfigFromEnv(t *testing.T) {
	defaults := handler.Config{Namespace: "sfprobe", CallTimeout: 15 * time.Second, MaxSecretVersions: check.DefaultMaxSecretVersions, MetricsTransport: "emf", ConnectMaxFlows: check.DefaultMaxFlows}
	tests := []struct {
		name    string
		give    map[string]string
		want    handler.Config
		wantErr []string
	}{
		{name: "empty environment", give: map[string]string{}, want: defaults},
		{
			name: "every variable",
			give: map[string]string{
				"SFPROBE_METRIC_NAMESPACE":    "Custom/Probe",
				"SFPROBE_DETAILED_METRICS":    "true",
				"SFPROBE_KEEP_CASES":          "1",
				"SFPROBE_CALL_TIMEOUT":        "20s",
				"SFPROBE_MAX_SECRET_VERSIONS": "50",
				"SFPROBE_METRICS_TRANSPORT":   "api",
				"SFPROBE_CONNECT_MAX_FLOWS":   "200",
			},
			want: handler.Config{Namespace: "Custom/Probe", DetailedMetrics: true, KeepCases: true, CallTimeout: 20 * time.Second, MaxSecretVersions: 50, MetricsTransport: "api", ConnectMaxFlows: 200},
		},
		{
			name: "false flags",
			give: map[string]string{"SFPROBE_DETAILED_METRICS": "false", "SFPROBE_KEEP_CASES": "False"},
			want: defaults,
		},
		{name: "zero connect max flows", give: map[string]string{"SFPROBE_CONNECT_MAX_FLOWS": "0"}, wantErr: []string{"SFPROBE_CONNECT_MAX_FLOWS", `"0"`, "1 to 1000"}},
		{name: "connect max flows above the bound", give: map[string]string{"SFPROBE_CONNECT_MAX_FLOWS": "1001"}, wantErr: []string{"SFPROBE_CONNECT_MAX_FLOWS"}},
		{name: "bad detailed metrics", give: map[string]string{"SFPROBE_DETAILED_METRICS": "yes"}, wantErr: []string{"SFPROBE_DETAILED_METRICS", `"yes"`}},
		{name: "bad keep cases", give: map[string]string{"SFPROBE_KEEP_CASES": "keep"}, wantErr: []string{"SFPROBE_KEEP_CASES", `"keep"`}},
		{name: "call timeout without unit", give: map[string]string{"SFPROBE_CALL_TIMEOUT": "15"}, wantErr: []string{"SFPROBE_CALL_TIMEOUT", `"15"`, "positive duration"}},
		{name: "zero call timeout", give: map[string]string{"SFPROBE_CALL_TIMEOUT": "0s"}, wantErr: []string{"SFPROBE_CALL_TIMEOUT"}},
		{name: "negative call timeout", give: map[string]string{"SFPROBE_CALL_TIMEOUT": "-1s"}, wantErr: []string{"SFPROBE_CALL_TIMEOUT"}},
		{name: "max versions not a number", give: map[string]string{"SFPROBE_MAX_SECRET_VERSIONS": "many"}, wantErr: []string{"SFPROBE_MAX_SECRET_VERSIONS", `"many"`, "positive integer"}},
		{name: "unknown metrics transport", give: map[string]string{"SFPROBE_METRICS_TRANSPORT": "statsd"}, wantErr: []string{"SFPROBE_METRICS_TRANSPORT", `"statsd"`, "emf or api"}},
		{name: "zero max versions", give: map[string]string{"SFPROBE_MAX_SECRET_VERSIONS": "0"}, wantErr: []string{"SFPROBE_MAX_SECRET_VERSIONS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handler.ConfigFromEnv(func(k string) string { return tt.give[k] })
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, m := range tt.wantErr {
					assert.Contains(t, err.Error(), m)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigCheckOptions(t *testing.T) {
	conf, err := handler.ConfigFromEnv(func(k string) string {
		return map[string]string{"SFPROBE_MAX_SECRET_VERSIONS": "2"}[k]
	})
	require.NoError(t, err)
	h := &handler.CheckConfig{Deps: checktest.NewDeployment().Deps(), Opts: conf.CheckOptions()}

	out, err := h.Handle(context.Background(), handler.CheckConfigInput{Checks: []string{check.SecretAccess}, Target: check.Target{Function: checktest.FunctionName}})

	require.NoError(t, err)
	require.Len(t, out.Results, 1)
	r := out.Results[0]
	assert.Equal(t, check.Warn, r.Status, "3 versions, more than 2")
	assert.Contains(t, r.Message, "more than 2")
}
