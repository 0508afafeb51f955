package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/cdk/monitor"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// assetRoot is a temporary dist/ with a dummy bootstrap per function.
func assetRoot(t *testing.T) string {
	root := t.TempDir()
	names := []string{monitor.FnDeployGate}
	for _, f := range workflow.Functions {
		names = append(names, f.Name)
	}
	for _, name := range names {
		require.NoError(t, os.MkdirAll(filepath.Join(root, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name, "bootstrap"), []byte("#!/bin/sh\n"), 0o755))
	}
	return root
}

// TestExampleSynthesizes: the example app's stack synthesizes with the
// monitor in it, the gate's trigger depends on the team's function and the
// paging alarm notifies the team's topic.
func TestExampleSynthesizes(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("synthesize: %v", r)
		}
	}()
	app := awscdk.NewApp(nil)
	cc, err := NewContactCentre(app, "ContactCentre", assetRoot(t))
	require.NoError(t, err)
	tmpl := assertions.Template_FromStack(cc.Stack, nil)
	tmpl.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(0))
	tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::CompositeAlarm"), map[string]any{
		"AlarmActions": []any{onCallTopic},
		"AlarmName":    "ContactCentre-Sfprobe-Paging",
	})

	fnID := *cc.Stack.GetLogicalId(cc.SfInvokeAPI.Node().DefaultChild().(awscdk.CfnElement))
	found := tmpl.FindResources(jsii.String("Custom::Trigger"), nil)
	require.Len(t, *found, 1)
	for _, r := range *found {
		deps, _ := (*r)["DependsOn"].([]any)
		assert.Contains(t, deps, fnID, "the gate runs after the team's function is deployed")
	}
}
