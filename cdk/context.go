package main

import (
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/cdk/monitor"
)

// ConfigFromContext reads the configuration from the app's context (and
// the configFile it names) and validates it; see ConfigFrom.
func ConfigFromContext(app awscdk.App) (monitor.Config, error) {
	ctx := map[string]any{}
	if all, ok := app.Node().GetAllContext(nil).(map[string]any); ok {
		for k, v := range all {
			ctx[k] = v
		}
	}
	for _, k := range append(monitor.ContextKeys(), monitor.ConfigFileKey) {
		if v := app.Node().TryGetContext(jsii.String(k)); v != nil {
			ctx[k] = v
		}
	}
	return monitor.ConfigFrom(ctx, os.ReadFile)
}

// indent puts each line of err's message on its own indented line.
func indent(err error) string {
	return "  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")
}
