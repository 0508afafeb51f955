package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// fleetAccounts is how many accounts a generated fleet spreads over: one
// sfInvokeAPI deployment (function, secret, key) and one sfprobe role per
// account, many test contacts each. Targets with role_arn get no direct
// grants (their calls go through the role); the shared ARNs keep the
// grants of the others within a role's managed policies as well.
const fleetAccounts = 20

// fleetEntries are n targets over fleetAccounts accounts, with role_arn
// when withRoles.
func fleetEntries(n int, withRoles bool) []targets.Entry {
	out := make([]targets.Entry, 0, n)
	for i := range n {
		// Consecutive targets share an account, as packGrants packs them in order.
		acct := fmt.Sprintf("2222222222%02d", i*fleetAccounts/n)
		e := targets.Entry{
			Function:  "arn:aws:lambda:eu-west-2:" + acct + ":function:AmazonConnectSalesforceLambda-sfInvokeAPI-AbCdEfGh",
			Phone:     fmt.Sprintf("+4411223%05d", i),
			SecretARN: "arn:aws:secretsmanager:eu-west-2:" + acct + ":secret:SalesforceCredentials-AbCdEf",
			KMSKeyARN: "arn:aws:kms:eu-west-2:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
			Name:      fmt.Sprintf("org-%04d", i),
		}
		if withRoles {
			e.RoleARN = "arn:aws:iam::" + acct + ":role/sfprobe-target"
			e.ExternalID = "sfprobe-fleet-0123456789"
		}
		out = append(out, e)
	}
	return out
}

// writeFleetFile writes entries as a JSON targets file in a temporary
// directory and reads it back as the stack reads a targets file.
func writeFleetFile(t *testing.T, entries []targets.Entry) (string, []targets.Entry) {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"targets": entries})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "fleet.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	if len(entries) <= targets.MaxTargets {
		got, err := loadTargets(path, os.ReadFile)
		require.NoError(t, err)
		return path, got
	}
	// More than a file holds (the stack's own limit is under test): decoded
	// here, as targets.Parse would.
	var f struct {
		Targets []targets.Entry `json:"targets"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	return path, f.Targets
}

// fleetConfig is a fleet stack's configuration of n generated targets;
// set adjusts it before the defaults of a fleet apply (typeGiven:
// workflowType was set explicitly).
func fleetConfig(t *testing.T, n int, withRoles bool, set func(*Config)) (Config, error) {
	t.Helper()
	c := DefaultConfig()
	c.StackName = fmt.Sprintf("SfprobeFleet%d", n)
	c.AssetRoot = assetRoot(t)
	c.TargetsFile, c.Targets = writeFleetFile(t, fleetEntries(n, withRoles))
	typeGiven := false
	if set != nil {
		before := c.WorkflowType
		set(&c)
		typeGiven = c.WorkflowType != before
	}
	c.fleetDefaults(typeGiven)
	return c, c.Validate()
}

var fleetStacks = map[int]*synthesized{}

// fleetSynth synthesizes a stack of n generated targets with role_arn
// (once per n), with the AwsSolutions checks.
func fleetSynth(t *testing.T, n int) *synthesized {
	t.Helper()
	stacksMu.Lock()
	defer stacksMu.Unlock()
	if s, ok := fleetStacks[n]; ok {
		return s
	}
	c, err := fleetConfig(t, n, true, nil)
	require.NoError(t, err)
	app := newApp(t)
	stack, err := NewStack(app, c.StackName, &StackProps{Config: c, DeploySalt: testSalt})
	require.NoError(t, err)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	tmpl := templateOf(t, stack)
	raw, err := json.Marshal(tmpl.ToJSON())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	s := &synthesized{stack: stack, template: tmpl, json: doc}
	fleetStacks[n] = s
	return s
}

// fleetSizes are the fleet stacks the tests synthesize: just above the
// inline Map's limit, and the most a stack takes.
var fleetSizes = []int{workflow.InlineMaxTargets + 1, workflow.MaxFleetTargets}

// TestBigFleetStackSynthesizes: a stack of 51 and one of 1,000 targets
// synthesize cdk-nag clean, STANDARD, within CloudFormation's 500
// resources.
func TestBigFleetStackSynthesizes(t *testing.T) {
	for _, n := range fleetSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := fleetSynth(t, n)
			ann := assertions.Annotations_FromStack(s.stack.Stack)
			pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for _, e := range *ann.FindError(jsii.String("*"), pattern) {
				t.Errorf("%s: %v", *e.Id, e.Entry.Data)
			}
			for _, w := range *ann.FindWarning(jsii.String("*"), pattern) {
				t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
			}
			resources := len(s.json["Resources"].(map[string]any))
			assert.Less(t, resources, 500, "CloudFormation's limit")
			raw, err := json.Marshal(s.json)
			require.NoError(t, err)
			assert.Less(t, len(raw), 1_000_000, "CloudFormation's template size limit")
			t.Logf("%d targets: %d resources, %d bytes", n, resources, len(raw))
			s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
				"StateMachineType": "STANDARD",
			})
		})
	}
}

// TestBigFleetWorkflowType: above 50 targets the workflow is STANDARD by
// default, and an explicit EXPRESS is refused naming workflowType and why;
// at 50 EXPRESS stays the default.
func TestBigFleetWorkflowType(t *testing.T) {
	c, err := fleetConfig(t, workflow.InlineMaxTargets+1, true, nil)
	require.NoError(t, err)
	assert.Equal(t, WorkflowStandard, c.WorkflowType)
	assert.True(t, c.distributed())

	c = DefaultConfig()
	c.AssetRoot = assetRoot(t)
	c.TargetsFile, c.Targets = writeFleetFile(t, fleetEntries(workflow.InlineMaxTargets+1, true))
	c.WorkflowType = WorkflowExpress // given explicitly: no fleetDefaults
	err = c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "workflowType: EXPRESS cannot probe 51 targets")
	assert.Contains(t, err.Error(), "Express workflows cannot run")

	c, err = fleetConfig(t, workflow.InlineMaxTargets, true, nil)
	require.NoError(t, err)
	assert.Equal(t, WorkflowExpress, c.WorkflowType, "50 targets run on the inline Map")
	assert.False(t, c.distributed() || c.resultsBucket() || c.fleetAlarms())
}

// TestBigFleetConfigErrors: the fleet's keys and limits, each error naming its key.
func TestBigFleetConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		roles   bool
		set     func(*Config)
		wantErr string
	}{
		{"too many", workflow.MaxFleetTargets + 1, true, nil, "targetsFile: 1001 targets; at most 1000 per stack"},
		{"retention", 51, true, func(c *Config) { c.ResultsRetentionDays = 0 }, "resultsRetentionDays: 0: want 1 to 3650 days"},
		{"scope", 51, true, func(c *Config) { c.AlarmScope = "all" }, `alarmScope: "all": want auto`},
		{"fleet alarms need a fleet", 50, true, func(c *Config) { c.AlarmScope = AlarmScopeFleet }, "alarmScope: fleet needs more than 50 targets (here 50)"},
		{"per-target alarms do not fit", 200, true, func(c *Config) { c.AlarmScope = AlarmScopeTarget }, "targetsFile: 200 targets make 602 alarms (3 per target): more than the 427 of the 500 resources"},
		{"paging rule", 120, true, func(c *Config) { c.AlarmScope = AlarmScopeTarget }, "alarmScope: 120 targets' RunFailure alarms make a Paging rule of about"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fleetConfig(t, tt.n, tt.roles, tt.set)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// TestBigFleetGrantsFit: targets without role_arn are granted directly; how
// many fit is in the error.
func TestBigFleetGrantsFit(t *testing.T) {
	entries := fleetEntries(300, false)
	for i := range entries {
		// One sfInvokeAPI deployment each: distinct ARNs.
		acct := fmt.Sprintf("3333333%05d", i)
		entries[i].Function = "arn:aws:lambda:eu-west-2:" + acct + ":function:AmazonConnectSalesforceLambda-sfInvokeAPI-AbCdEfGh"
		entries[i].SecretARN = "arn:aws:secretsmanager:eu-west-2:" + acct + ":secret:SalesforceCredentials-AbCdEf"
		entries[i].KMSKeyARN = "arn:aws:kms:eu-west-2:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	}
	c := DefaultConfig()
	c.AssetRoot = assetRoot(t)
	c.TargetsFile, c.Targets = writeFleetFile(t, entries)
	c.fleetDefaults(false)
	err := c.Validate()
	require.Error(t, err)
	assert.Regexp(t, `targetsFile: 300 targets without role_arn: check-config's grants .* need more than the 10 managed policies .*; \d+ of them fit with ARNs like these: give the others role_arn`, err.Error())
}

// TestBigFleetResultsBucket: encrypted, private, SSL only, expiring, kept on
// delete; its name is an output.
func TestBigFleetResultsBucket(t *testing.T) {
	s := fleetSynth(t, workflow.InlineMaxTargets+1)
	s.template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(1))
	s.template.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
		"DeletionPolicy": "Retain",
		"Properties": map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
				"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
			}}},
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
				"Id": "ExpireResults", "ExpirationInDays": float64(DefaultResultsRetentionDays), "Status": "Enabled",
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": float64(1)},
			}}},
		},
	})
	s.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Action": "s3:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			"Resource":  assertions.Match_AnyValue(),
		}})},
	})
	s.template.HasOutput(jsii.String(OutputResultsBucket), map[string]any{"Value": map[string]any{"Ref": onlyID(t, s.resources("AWS::S3::Bucket"))}})
	// An EXPRESS stack has no bucket: its document runs no Distributed Map.
	synth(t, "default").template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
}

// TestBigFleetTargetsObject: above 50 targets the default targets are a JSON
// array of check.Target in S3 (the asset), DefaultTargets is [], and the
// bucket and key substitutions name the asset.
func TestBigFleetTargetsObject(t *testing.T) {
	s := fleetSynth(t, workflow.InlineMaxTargets+1)
	c := s.stack.config()
	f := s.stack.Fleet
	require.NotNil(t, f.Targets)
	raw, err := os.ReadFile(f.targetsPath)
	require.NoError(t, err)
	var got []check.Target
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, c.DefaultTargets(), got)

	subs := fleetSubstitutions(f)
	assert.Equal(t, "cdk-hnb659fds-assets-222222222200-eu-west-2", subs[workflow.DefaultTargetsBucket].Value)
	assert.Regexp(t, `^[0-9a-f]{64}\.json$`, subs[workflow.DefaultTargetsKey].Value)
	assert.Equal(t, WorkflowExpress, subs[workflow.ChildExecutionType].Value)

	sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
	plain := props(sm)["DefinitionSubstitutions"].(map[string]any)
	assert.Equal(t, "[]", plain[workflow.DefaultTargets], "the targets are in S3, not in the definition")

	// At most 50 targets: inline, no targets object.
	small := synth(t, "fleet50")
	assert.Nil(t, small.stack.Fleet.Targets)
	assert.Equal(t, "", fleetSubstitutions(small.stack.Fleet)[workflow.DefaultTargetsKey].Value)
}

// TestBigFleetDistributedMapDocument: the deployed document has the
// Distributed Map with the bucket and keys filled.
func TestBigFleetDistributedMapDocument(t *testing.T) {
	s := fleetSynth(t, workflow.InlineMaxTargets+1)
	c := s.stack.config()
	keys := documentKeys(deployedDefinition(c))
	require.Contains(t, keys, workflow.ResultsBucket)
	sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
	subs := props(sm)["DefinitionSubstitutions"].(map[string]any)
	assert.Equal(t, map[string]any{"Ref": onlyID(t, s.resources("AWS::S3::Bucket"))}, subs[workflow.ResultsBucket])
	assert.Equal(t, "EXPRESS", subs[workflow.ChildExecutionType])
	assert.Equal(t, "cdk-hnb659fds-assets-222222222200-eu-west-2", subs[workflow.DefaultTargetsBucket])
	assert.Regexp(t, `^[0-9a-f]{64}\.json$`, subs[workflow.DefaultTargetsKey])
	assert.Contains(t, props(sm)["DefinitionString"], `"DISTRIBUTED"`)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBigFleetStateMachineGrants: the Distributed Map's grants, in a policy
// of their own on the state machine's role: its own children, the run's
// targets, the ResultWriter's prefix.
func TestBigFleetStateMachineGrants(t *testing.T) {
	s := fleetSynth(t, workflow.InlineMaxTargets+1)
	smID := onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))
	bucket := getAtt(onlyID(t, s.resources("AWS::S3::Bucket")))
	in := func(suffix string) any { return map[string]any{"Fn::Join": []any{"", []any{bucket, suffix}}} }
	f := s.stack.Fleet
	asset := "arn:aws:s3:::cdk-hnb659fds-assets-222222222200-eu-west-2/" + *f.Targets.S3ObjectKey()
	var policy map[string]any
	for _, p := range s.resources("AWS::IAM::Policy") {
		for _, st := range normalize(props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
			if st.Sid == SidStartChildExecutions {
				policy = p
			}
		}
	}
	require.NotNil(t, policy)
	sm := s.resources("AWS::StepFunctions::StateMachine")[smID]
	assert.Equal(t, []any{map[string]any{"Ref": ref(t, props(sm)["RoleArn"])}}, props(policy)["Roles"])
	assert.Equal(t, []statement{
		{SidStartChildExecutions, []string{"states:StartExecution"}, []any{map[string]any{"Ref": smID}}, nil},
		{SidManageChildExecutions, []string{"states:DescribeExecution", "states:StopExecution"}, []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:aws:states:eu-west-2:222222222200:execution:", map[string]any{"Fn::GetAtt": []any{smID, "Name"}}, ":*",
		}}}}, nil},
		{SidReadTargetsObject, []string{"s3:GetObject"}, []any{in("/runs/*/targets.json")}, nil},
		{SidWriteMapResults, []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"}, []any{in("/map-results/*")}, nil},
	}, normalize(props(policy)["PolicyDocument"].(map[string]any)["Statement"]))

	// publish-metrics: runs/ only, and the targets object.
	_, fn := s.function(t, FnPublishMetrics)
	got := s.roleStatements(t, ref(t, props(fn)["Role"]))
	assert.Equal(t, []statement{
		{SidReadWriteRunReports, []string{"s3:GetObject", "s3:PutObject"}, []any{in("/runs/*")}, nil},
		{SidListRunReports, []string{"s3:ListBucket"}, []any{bucket}, nil},
		{SidReadTargetsObject, []string{"s3:GetObject"}, []any{asset}, nil},
	}, got[1:])
	env := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, s.stack.config().StackName, env[EnvFleetTarget])
}

// TestBigFleetOfManyAlarms: above 50 targets one RunFailure pages for the whole
// fleet, on FleetRunSuccess (or Paused) of Target=<stack>, missing data
// breaching; the other kinds are Metrics Insights alarms over every
// target. A 1,000-target stack has as many alarms as a one-target one.
func TestBigFleetOfManyAlarms(t *testing.T) {
	s := fleetSynth(t, workflow.MaxFleetTargets)
	c := s.stack.config()
	require.True(t, c.fleetAlarms())
	a := s.stack.Alarms
	require.Len(t, a.ByKind[alarmname.RunFailure], 1)
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(4)) // RunFailure, CleanupFailure, SalesforceApiRemaining, MaintenanceWindow
	byName := map[string]map[string]any{}
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		byName[props(r)["AlarmName"].(string)] = props(r)
	}
	run := byName[c.StackName+"-RunFailure"]
	require.NotNil(t, run)
	assert.Equal(t, "breaching", run["TreatMissingData"])
	stats := map[string]any{}
	for _, m := range run["Metrics"].([]any) {
		if ms, ok := m.(map[string]any)["MetricStat"].(map[string]any); ok {
			metric := ms["Metric"].(map[string]any)
			stats[metric["MetricName"].(string)] = metric["Dimensions"]
		} else {
			assert.Equal(t, RunHealthExpression, m.(map[string]any)["Expression"])
		}
	}
	fleetDim := []any{map[string]any{"Name": "Target", "Value": c.StackName}}
	assert.Equal(t, map[string]any{FleetRunSuccessMetric: fleetDim, "Paused": fleetDim}, stats)

	cleanup := byName[c.StackName+"-CleanupFailure"]
	require.NotNil(t, cleanup)
	assert.Equal(t, `SELECT SUM(CleanupFailure) FROM SCHEMA("sfprobe", Target)`, cleanup["Metrics"].([]any)[0].(map[string]any)["Expression"])
	api := byName[c.StackName+"-SalesforceApiRemaining"]
	assert.Equal(t, `SELECT MIN(SalesforceApiRemaining) FROM SCHEMA("sfprobe", Target)`, api["Metrics"].([]any)[0].(map[string]any)["Expression"])

	// Paging ORs the one RunFailure.
	paging := s.resources("AWS::CloudWatch::CompositeAlarm")[onlyID(t, s.resources("AWS::CloudWatch::CompositeAlarm"))]
	rule, err := json.Marshal(props(paging)["AlarmRule"])
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(rule), "ALARM("))

	// The per-check kinds with perCheckAlarms: one query per check.
	cfg, err := fleetConfig(t, workflow.MaxFleetTargets, true, func(c *Config) { c.PerCheckAlarms = true })
	require.NoError(t, err)
	checks, err := Checks()
	require.NoError(t, err)
	total, _ := cfg.alarmCount(0)
	assert.Equal(t, 2, total, "the fleet's alarms do not grow with the targets")
	assert.Contains(t, insightsQuery(cfg, "SUM", "CheckFailure", []string{"Target", "Check"}, "Check = '"+checks[0]+"'"), `WHERE Check = 'TargetConfig'`)
}

// TestBigFleetDashboard: above 50 targets the per-target graphs are Metrics
// Insights queries, the worst targets first, and the fleet's run success
// has its own graph.
func TestBigFleetDashboard(t *testing.T) {
	s := fleetSynth(t, workflow.MaxFleetTargets)
	d := s.resources("AWS::CloudWatch::Dashboard")[onlyID(t, s.resources("AWS::CloudWatch::Dashboard"))]
	raw, err := json.Marshal(props(d)["DashboardBody"])
	require.NoError(t, err)
	body := string(raw)
	for _, q := range []string{
		`SELECT MIN(RunSuccess) FROM SCHEMA(\\\"sfprobe\\\", Target) GROUP BY Target ORDER BY MIN() ASC LIMIT 100`,
		`SELECT SUM(CheckFailure) FROM SCHEMA(\\\"sfprobe\\\", Target, Check) GROUP BY Target, Check ORDER BY SUM() DESC LIMIT 100`,
		`WHERE Check = 'SalesforceLogin'`,
		FleetRunSuccessMetric,
	} {
		assert.Contains(t, body, q)
	}
	assert.NotContains(t, body, "org-0999", "no line per target")
	assert.Less(t, len(body), 100_000)
}

// TestBigFleetScheduleJitter: a fleet stack's schedules start within a
// flexible window of a fifth of their cadence; a stack of at most 50
// targets starts on the minute.
func TestBigFleetScheduleJitter(t *testing.T) {
	s := fleetSynth(t, workflow.InlineMaxTargets+1)
	windows := map[string]any{}
	for _, r := range s.resources("AWS::Scheduler::Schedule") {
		windows[props(r)["ScheduleExpression"].(string)] = props(r)["FlexibleTimeWindow"]
	}
	assert.Equal(t, map[string]any{
		"rate(5 minutes)":  map[string]any{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": float64(1)},
		"rate(15 minutes)": map[string]any{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": float64(3)},
	}, windows)
	for _, r := range synth(t, "fleet").resources("AWS::Scheduler::Schedule") {
		assert.Equal(t, map[string]any{"Mode": "OFF"}, props(r)["FlexibleTimeWindow"])
	}
	c, err := fleetConfig(t, workflow.InlineMaxTargets+1, true, func(c *Config) { c.RunFailureAlarm = "1/1" })
	require.NoError(t, err)
	assert.Zero(t, c.jitter(5*time.Minute), "RunFailure 1/1 would fire on a period the window left empty")
}
