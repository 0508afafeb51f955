package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// teamStack is a team's own stack, as a CDK app that embeds the monitor
// has it: its own name and environment.
func teamStack(t *testing.T, app awscdk.App, id string) awscdk.Stack {
	t.Helper()
	return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
}

// monitorConfig is the construct's typed config for the test target.
func monitorConfig(t *testing.T) Config {
	c := DefaultConfig()
	c.StackName = "" // named after the stack and the construct's id
	c.TargetFunctionArn = testFunctionArn
	c.TestPhone = "+441122334455"
	c.SecretArn = testSecretArn
	c.KmsKeyArn = testKeyArn
	c.AssetRoot = assetRoot(t)
	return c
}

// templateJSON synthesizes stack (cdk-nag's findings fail the test) and
// returns its template as plain JSON.
func templateJSON(t *testing.T, stack awscdk.Stack) map[string]any {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("synthesize %s (cdk-nag findings are printed above): %v", *stack.StackName(), r)
		}
	}()
	raw, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc
}

// physicalNames collects every name property a monitor gives its resources.
func physicalNames(doc map[string]any) []string {
	keys := []string{"AlarmName", "DashboardName", "LogGroupName", "Name", "StateMachineName", "FunctionName", "TopicName"}
	var out []string
	for id, r := range doc["Resources"].(map[string]any) {
		p, _ := r.(map[string]any)["Properties"].(map[string]any)
		for _, k := range keys {
			if s, ok := p[k].(string); ok {
				out = append(out, fmt.Sprintf("%s=%s (%s)", k, s, id))
			}
		}
	}
	sort.Strings(out)
	return out
}

func nagErrors(t *testing.T, stack awscdk.Stack) {
	t.Helper()
	ann := assertions.Annotations_FromStack(stack)
	pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, e := range *ann.FindError(jsii.String("*"), pattern) {
		t.Errorf("%s: %v", *e.Id, e.Entry.Data)
	}
	for _, w := range *ann.FindWarning(jsii.String("*"), pattern) {
		t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
	}
}

// TestTwoMonitorsInOneStack: two monitors that differ only in their ids
// synthesize side by side, cdk-nag clean, with no physical name in common.
func TestTwoMonitorsInOneStack(t *testing.T) {
	app := newApp(t)
	stack := teamStack(t, app, "ContactCentre")
	var monitors []*Monitor
	for _, id := range []string{"ProbeProd", "ProbeCanary"} {
		c := monitorConfig(t)
		c.DeployGate = true
		m, err := NewMonitor(stack, id, &MonitorProps{Config: c, DeploySalt: testSalt})
		require.NoError(t, err, id)
		monitors = append(monitors, m)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	doc := templateJSON(t, stack)
	nagErrors(t, stack)

	assert.Equal(t, "ContactCentre-ProbeProd", monitors[0].config().StackName)
	assert.Equal(t, "ContactCentre-ProbeCanary", monitors[1].config().StackName)
	seen := map[string]string{}
	names := physicalNames(doc)
	require.NotEmpty(t, names)
	for _, n := range names {
		kv, id, _ := strings.Cut(n, " (")
		if other, ok := seen[kv]; ok {
			t.Errorf("%s is used by %s and %s", kv, other, id)
		}
		seen[kv] = id
	}
	var params []string
	for _, r := range doc["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == "AWS::SSM::Parameter" {
			params = append(params, r.(map[string]any)["Properties"].(map[string]any)["Name"].(string))
		}
	}
	sort.Strings(params)
	assert.Equal(t, []string{"/sfprobe/ContactCentre-ProbeCanary/paused", "/sfprobe/ContactCentre-ProbeProd/paused"}, params)
	for _, m := range monitors {
		assert.NotNil(t, m.StateMachine)
		assert.NotNil(t, m.Topic)
		assert.NotNil(t, m.PagingAlarm)
		require.NotNil(t, m.DeployGate)
		for _, fn := range []string{FnCheckConfig, FnCheckSalesforce, FnCleanup, FnPublishMetrics, FnDeployGate} {
			assert.NotNil(t, m.Roles[fn], fn)
		}
	}
}

// TestMonitorGivenTopic: with a team's own topic the monitor creates no
// topic and no key, and its paging alarm notifies the given topic.
func TestMonitorGivenTopic(t *testing.T) {
	app := newApp(t)
	stack := teamStack(t, app, "ContactCentre")
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("OnCall"), jsii.String("arn:aws:sns:us-east-1:123456789012:on-call"))
	m, err := NewMonitor(stack, "Probe", &MonitorProps{Config: monitorConfig(t), Topic: topic})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sns:us-east-1:123456789012:on-call", *m.Topic.TopicArn())
	doc := templateJSON(t, stack)
	for id, r := range doc["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"]
		assert.NotEqual(t, "AWS::SNS::Topic", typ, id)
		assert.NotEqual(t, "AWS::KMS::Key", typ, id)
	}
	var actions []any
	for _, r := range doc["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == "AWS::CloudWatch::CompositeAlarm" {
			actions = r.(map[string]any)["Properties"].(map[string]any)["AlarmActions"].([]any)
		}
	}
	assert.Equal(t, []any{"arn:aws:sns:us-east-1:123456789012:on-call"}, actions)
}

// TestMonitorPropErrors: a bad prop is named as a prop (and as the context
// key the app reads it from), and nothing is created.
func TestMonitorPropErrors(t *testing.T) {
	app := newApp(t)
	stack := teamStack(t, app, "ContactCentre")
	c := monitorConfig(t)
	c.TestPhone = "0711"
	c.SecretArn = ""
	_, err := NewMonitor(stack, "Probe", &MonitorProps{Config: c})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Config.TestPhone (testPhone): ")
	assert.Contains(t, err.Error(), "Config.SecretArn (secretArn): ")
	assert.Nil(t, stack.Node().TryFindChild(jsii.String("Probe")), "invalid props make no construct")

	c = monitorConfig(t)
	c.AssetRoot = t.TempDir()
	_, err = NewMonitor(stack, "Probe", &MonitorProps{Config: c})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run make build")
	assert.Nil(t, stack.Node().TryFindChild(jsii.String("Probe")), "missing assets make no construct")
}

// TestMonitorDefaults: an almost empty Config takes the app's defaults
// (schedules, namespace, alarm M/N, retention), as the context keys do.
func TestMonitorDefaults(t *testing.T) {
	c := Config{
		TargetFunctionArn: testFunctionArn, TestPhone: "+441122334455", SecretArn: testSecretArn, KmsKeyArn: testKeyArn,
	}
	root := assetRoot(t)
	c.AssetRoot = root
	got, err := propsConfig(teamStack(t, newApp(t), "Team"), "Probe", c)
	require.NoError(t, err)
	want := DefaultConfig()
	assert.Equal(t, want.Schedule, got.Schedule)
	assert.Equal(t, want.ConfigSchedule, got.ConfigSchedule)
	assert.Equal(t, want.MetricNamespace, got.MetricNamespace)
	assert.Equal(t, want.RunFailureAlarm, got.RunFailureAlarm)
	assert.Equal(t, want.LogRetentionDays, got.LogRetentionDays)
	assert.Equal(t, want.TestFields, got.TestFields)
	assert.Equal(t, "Team-Probe", got.StackName)
	assert.Equal(t, root, got.AssetRoot)
	assert.False(t, got.Dashboard, "a bool is taken as given")
}

// TestAssetRootDefault: without AssetRoot the construct looks in dist/ and
// says to run make build when the bootstraps are not there.
func TestAssetRootDefault(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(wd, DefaultAssetRoot)); err == nil {
		t.Skip("a dist/ exists here")
	}
	c := monitorConfig(t)
	c.AssetRoot = ""
	_, err = NewMonitor(teamStack(t, newApp(t), "Team"), "Probe", &MonitorProps{Config: c})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(DefaultAssetRoot, FnCheckConfig, "bootstrap")+" is missing: run make build")
}
