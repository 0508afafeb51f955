package handler

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metrics"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// The environment variables sfprobe's functions read; CDK sets them.
const (
	EnvNamespace         = workflow.EnvMetricNamespace
	EnvDetailedMetrics   = workflow.EnvDetailedMetrics
	EnvKeepCases         = workflow.EnvKeepCases
	EnvCallTimeout       = workflow.EnvCallTimeout
	EnvMaxSecretVersions = workflow.EnvMaxSecretVersions
	EnvMetricsTransport  = workflow.EnvMetricsTransport
	EnvConnectMaxFlows   = workflow.EnvConnectMaxFlows
	EnvDailyCalls        = workflow.EnvDailySalesforceCalls
)

// Config is the functions' configuration from their environment.
type Config struct {
	Namespace         string
	DetailedMetrics   bool
	KeepCases         bool
	CallTimeout       time.Duration
	MaxSecretVersions int
	// DailyCalls is what sfprobe's schedules spend of an org's daily API
	// calls; 0: unknown.
	DailyCalls int
	// MetricsTransport is workflow.MetricsEMF (default) or MetricsAPI.
	MetricsTransport string
	// ConnectMaxFlows caps the flows ConnectAccess reads per run.
	ConnectMaxFlows int
}

// ConfigFromEnv reads and validates the environment; getenv is os.Getenv
// outside tests.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Namespace: metrics.DefaultNamespace, CallTimeout: 15 * time.Second, MaxSecretVersions: check.DefaultMaxSecretVersions,
		MetricsTransport: workflow.MetricsEMF, ConnectMaxFlows: check.DefaultMaxFlows}
	if v := getenv(EnvNamespace); v != "" {
		c.Namespace = v
	}
	var err error
	if v := getenv(EnvDetailedMetrics); v != "" {
		if c.DetailedMetrics, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("%s: %q is not true or false", EnvDetailedMetrics, v)
		}
	}
	if v := getenv(EnvKeepCases); v != "" {
		if c.KeepCases, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("%s: %q is not true or false", EnvKeepCases, v)
		}
	}
	if v := getenv(EnvCallTimeout); v != "" {
		if c.CallTimeout, err = time.ParseDuration(v); err != nil || c.CallTimeout <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive duration like 15s", EnvCallTimeout, v)
		}
	}
	if v := getenv(EnvMetricsTransport); v != "" {
		if v != workflow.MetricsEMF && v != workflow.MetricsAPI {
			return c, fmt.Errorf("%s: %q is not %s or %s", EnvMetricsTransport, v, workflow.MetricsEMF, workflow.MetricsAPI)
		}
		c.MetricsTransport = v
	}
	if v := getenv(EnvMaxSecretVersions); v != "" {
		if c.MaxSecretVersions, err = strconv.Atoi(v); err != nil || c.MaxSecretVersions < 1 {
			return c, fmt.Errorf("%s: %q is not a positive integer", EnvMaxSecretVersions, v)
		}
	}
	if v := getenv(EnvConnectMaxFlows); v != "" {
		if c.ConnectMaxFlows, err = strconv.Atoi(v); err != nil || c.ConnectMaxFlows < 1 || c.ConnectMaxFlows > check.MaxMaxFlows {
			return c, fmt.Errorf("%s: %q is not an integer from 1 to %d", EnvConnectMaxFlows, v, check.MaxMaxFlows)
		}
	}
	if v := getenv(EnvDailyCalls); v != "" {
		if c.DailyCalls, err = strconv.Atoi(v); err != nil || c.DailyCalls < 0 {
			return c, fmt.Errorf("%s: %q is not a whole number", EnvDailyCalls, v)
		}
	}
	return c, nil
}

// CheckOptions are the check options the configuration implies.
func (c Config) CheckOptions() []check.Option {
	return []check.Option{check.WithCallTimeout(c.CallTimeout), check.WithMaxSecretVersions(c.MaxSecretVersions), check.WithMaxFlows(c.ConnectMaxFlows), check.WithDailyCalls(c.DailyCalls)}
}

// Logger is the functions' structured logger (JSON to stderr, which Lambda
// ships to CloudWatch Logs).
func Logger() *slog.Logger { return slog.New(slog.NewJSONHandler(os.Stderr, nil)) }
