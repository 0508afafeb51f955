package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testFunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"

func TestConfigFromContext(t *testing.T) {
	ctx := map[string]any{
		"targetFunctionArn": testFunctionArn,
		"testPhone":         "+441122334455",
		"secretArn":         "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfcreds-AbCdEf",
		"kmsKeyArn":         "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	ctx["perCheckAlarms"] = true  // as cdk.json holds it
	ctx["runLatencyMs"] = "12000" // as -c passes it
	ctx["aws:cdk:enable-path-metadata"] = true
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	c, err := ConfigFromContext(app)
	require.NoError(t, err)
	assert.True(t, c.PerCheckAlarms)
	assert.Equal(t, 12000, c.RunLatencyMs)
	assert.Equal(t, testFunctionArn, c.TargetFunctionArn)
}

func TestConfigFromContextNamesTheKey(t *testing.T) {
	ctx := map[string]any{"targetFunctionArn": testFunctionArn, "testPhone": "0711"}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	_, err := ConfigFromContext(app)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "testPhone: ")
	assert.NotContains(t, err.Error(), "Config.TestPhone", "the app's errors name its context keys")
}
