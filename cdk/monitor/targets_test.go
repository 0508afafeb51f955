package monitor

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// fleetTargets are fleet.yaml's targets as the workflow takes them:
// labelled, fields defaulted, region and profile left out.
var fleetTargets = []check.Target{
	{Function: testFunctionArn, Phone: "+441122334455", Fields: "Id, Name", SecretARN: testSecretArn, KMSKeyARN: testKeyArn, Name: "prod-us"},
	{Function: testEUFunctionArn + ":live", Phone: "+15005550006", Fields: "Id, Name, Phone", SecretARN: testEUSecretArn,
		KMSKeyARN: testEUKeyArn, ConnectInstanceARN: testEUConnectArn, Name: "prod/eu", KeepCases: true},
}

func TestConfigTargetsFile(t *testing.T) {
	c, err := ConfigFrom(map[string]any{"targetsFile": "fleet.yaml"}, readTestFile)
	require.NoError(t, err)
	assert.Equal(t, fleetTargets, c.DefaultTargets())
	assert.Equal(t, []string{"prod-us", "prod/eu"}, c.labels())
	assert.Equal(t, "us-east-1", c.region(), "the first target pins the stack's region")
	assert.Equal(t, "123456789012", c.account())
	assert.Equal(t, "2 targets: prod-us, prod/eu", c.summary())
	assert.Equal(t, "Sfprobe", c.maintenanceTarget(), "one maintenance window for the stack")
	assert.Equal(t, "Id, Name", c.TestFields, "the single-target default stays, unused")

	// From a config file too, the targets file's path as given.
	file := `{"targetsFile": "fleet.yaml", "stackName": "Fleet", "schedule": "rate(1 minute)"}`
	read := func(path string) ([]byte, error) {
		if path == "sfprobe.json" {
			return []byte(file), nil
		}
		return readTestFile(path)
	}
	c, err = ConfigFrom(map[string]any{"configFile": "sfprobe.json"}, read)
	require.NoError(t, err)
	assert.Len(t, c.Targets, 2)
	assert.Equal(t, "Fleet", c.maintenanceTarget())
}

func TestConfigTargetsFileErrors(t *testing.T) {
	entry := func(fields string) string {
		return `{"targets": [{"function": "` + testFunctionArn + `", "phone": "+441122334455", "secret_arn": "` + testSecretArn +
			`", "kms_key_arn": "` + testKeyArn + `", "name": "ok"}, {` + fields + `}]}`
	}
	full := `"function": "` + testEUFunctionArn + `", "phone": "+15005550006", "secret_arn": "` + testEUSecretArn + `", "kms_key_arn": "` + testEUKeyArn + `"`
	tests := []struct {
		name  string
		ctx   map[string]any
		file  string
		want  []string
		lines int
	}{
		{
			name: "both forms", ctx: map[string]any{"targetFunctionArn": testFunctionArn, "testPhone": "+441122334455", "targetRoleArn": testRoleArn},
			file: entry(full),
			want: []string{"targetsFile: give either targetsFile or the single-target keys (targetFunctionArn, testPhone, testFields, secretArn, kmsKeyArn, connectInstanceArn, targetRoleArn, targetName), not both: remove targetFunctionArn, testPhone, targetRoleArn"},
		},
		{
			name: "testFields at its default", ctx: map[string]any{"testFields": "Id, Name"}, file: entry(full),
			want: []string{"not both: remove testFields"},
		},
		{
			name: "function name", file: entry(strings.Replace(full, testEUFunctionArn, "sfInvokeAPI-eu", 1)),
			want: []string{`targetsFile: t.json: targets[1].function: "sfInvokeAPI-eu" is a function name: a stack needs the full ARN`},
		},
		{
			name: "no secret, no key", file: entry(`"function": "` + testEUFunctionArn + `", "phone": "+15005550006"`),
			want: []string{
				"targetsFile: t.json: targets[1].secret_arn: required for a stack: the complete ARN",
				"targetsFile: t.json: targets[1].kms_key_arn: required for a stack: the ARN of the secret's KMS key",
			},
			lines: 2,
		},
		{
			name: "partial secret", file: entry(strings.Replace(full, testEUSecretArn, "arn:aws:secretsmanager:eu-west-2:210987654321:secret:sfcreds", 1)),
			want: []string{"targets[1].secret_arn: \"arn:aws:secretsmanager:eu-west-2:210987654321:secret:sfcreds\" looks like a partial ARN"},
		},
		{
			name: "key alias", file: entry(strings.Replace(full, testEUKeyArn, "arn:aws:kms:eu-west-2:210987654321:alias/sf", 1)),
			want: []string{"targets[1].kms_key_arn: \"arn:aws:kms:eu-west-2:210987654321:alias/sf\" is an alias ARN"},
		},
		{
			name: "secret in another region than its function", file: entry(strings.Replace(full, testEUSecretArn, testSecretArn, 1)),
			want: []string{"targets[1].secret_arn: region us-east-1 differs from targets[1].function's eu-west-2"},
		},
		{
			name: "the file's own rules", file: entry(`"function": "` + testEUFunctionArn + `", "phone": "0044", "secret_arn": "x", "kms_key_arn": "` + testEUKeyArn + `", "regio": "eu-west-2"`),
			want: []string{"targetsFile: t.json: targets[1].phone:", "targetsFile: t.json: targets[1].regio: unknown key", "targets[1].secret_arn:"},
		},
		{
			name: "duplicate labels", file: entry(full + `, "name": "ok"`),
			want: []string{"targetsFile: t.json: targets[1].name: label \"ok\" is also the label of targets[0]"},
		},
		{
			name: "alarm name too long", ctx: map[string]any{"perCheckAlarms": true, "stackName": "S" + strings.Repeat("s", 49)},
			file: entry(full + `, "name": "` + strings.Repeat("x", 200) + `"`),
			want: []string{"targets[1].name: label \"" + strings.Repeat("x", 200) + "\" makes the alarm name \"S" + strings.Repeat("s", 49) + "-CheckFailure-"},
		},
		{
			name: "topic key in another region than the first target", ctx: map[string]any{"topicKmsKeyArn": testEUKeyArn}, file: entry(full),
			want: []string{"topicKmsKeyArn: region eu-west-2 differs from the stack's us-east-1 (the first target's)"},
		},
		{
			name: "not YAML or JSON", file: "targets: [\n", want: []string{"targetsFile: t.json:"},
		},
		{
			name: "too many alarms", ctx: map[string]any{"perCheckAlarms": true}, file: testFiles["fleet50.json"],
			want: []string{"perCheckAlarms: 50 targets make 602 alarms (12 per target): more than the 430 of the 500 resources CloudFormation allows a stack; at most 35 targets with these alarms (perCheckAlarms adds 9 per target)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{"targetsFile": "t.json"}
			for k, v := range tt.ctx {
				ctx[k] = v
			}
			_, err := ConfigFrom(ctx, func(path string) ([]byte, error) {
				require.Equal(t, "t.json", path)
				return []byte(tt.file), nil
			})
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			if tt.lines > 0 {
				assert.Len(t, strings.Split(err.Error(), "\n"), tt.lines, err.Error())
			}
			var fe *validate.FieldError
			require.True(t, errors.As(err, &fe), "errors are *validate.FieldError")
		})
	}

	_, err := ConfigFrom(map[string]any{"targetsFile": "missing.yaml"}, noFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "targetsFile: read missing.yaml:")

	// A Config made by hand must hold the file's targets.
	c := DefaultConfig()
	c.TargetsFile = "fleet.yaml"
	require.ErrorContains(t, c.Validate(), "targetsFile: fleet.yaml was not read")
}

// TestTargetsFileDocExample: the example file of docs/DEPLOY.md is a valid
// targets file for a stack.
func TestTargetsFileDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/DEPLOY.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```yaml\n# fleet.yaml\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/DEPLOY.md has a ```yaml block starting # fleet.yaml")
	c, err := ConfigFrom(map[string]any{"targetsFile": "fleet.yaml"}, func(string) ([]byte, error) { return m[1], nil })
	require.NoError(t, err)
	assert.Greater(t, len(c.Targets), 1)
}

func TestFleetDefaultTargets(t *testing.T) {
	s := synth(t, "fleet")
	subs := assertions.NewCapture(nil)
	s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{"DefinitionSubstitutions": subs})
	raw, ok := (*subs.AsObject())[workflow.DefaultTargets].(string)
	require.True(t, ok)
	want, err := json.Marshal(fleetTargets)
	require.NoError(t, err)
	assert.Equal(t, workflow.Escape(string(want)), raw, "${DefaultTargets} carries the file's targets")
	assert.NotContains(t, raw, "eu-west-2\\\"", "no region field")
	assert.NotContains(t, raw, "profile")
}

func TestFleetStackEnvironment(t *testing.T) {
	s := synth(t, "fleet")
	assert.Equal(t, "123456789012", *s.stack.Account())
	assert.Equal(t, "us-east-1", *s.stack.Region())
	s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]any{"DashboardName": "SfprobeFleet-us-east-1"})
	s.template.HasOutput(jsii.String(OutputMaintenanceMetric), map[string]any{"Value": "sfprobe MaintenanceWindow Target=SfprobeFleet"})
	for _, o := range []string{OutputStateMachineArn, OutputTopicArn, OutputDashboardName, OutputPauseParameter, OutputPagingAlarmName, OutputDeadLetterQueue} {
		s.template.HasOutput(jsii.String(o), map[string]any{"Value": assertions.Match_AnyValue()})
	}
}

// TestFleetGrants: every grant that names a target names each of them, in
// customer managed policies; the inline policies keep the logs only.
func TestFleetGrants(t *testing.T) {
	s := synth(t, "fleet")
	// Sorted, as CDK renders them.
	fns := []any{testEUFunctionArn, testEUFunctionArn + ":*", testFunctionArn, testFunctionArn + ":*"}
	keys := []any{testEUKeyArn, testKeyArn}
	want := map[string][]statement{
		FnCheckConfig: {
			{SidReadTargetConfig, []string{"lambda:GetFunctionConfiguration", "lambda:GetPolicy"}, fns, nil},
			{SidReadSecret, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"}, []any{testEUSecretArn, testSecretArn}, nil},
			{SidReadKey, []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, keys, nil},
			{SidDecryptViaSecrets, []string{"kms:Decrypt"}, keys, map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                  []any{"secretsmanager.eu-west-2.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"},
				"kms:EncryptionContext:SecretARN": []any{testEUSecretArn, testSecretArn},
			}}},
			// The one target that names its Connect instance: that instance only.
			{SidListConnect, []string{"connect:ListContactFlowModules", "connect:ListContactFlows", "connect:ListLambdaFunctions"}, []any{testEUConnectArn}, nil},
			{SidDescribeFlows, []string{"connect:DescribeContactFlow", "connect:DescribeContactFlowModule"}, []any{testEUConnectArn + "/contact-flow/*", testEUConnectArn + "/flow-module/*"}, nil},
		},
		FnCheckSalesforce: {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, fns, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, fns, nil}},
		FnCleanup:         {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, fns, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, fns, nil}},
	}
	for _, f := range workflow.Functions {
		t.Run(f.Name, func(t *testing.T) {
			_, fn := s.function(t, f.Name)
			roleID := ref(t, props(fn)["Role"])
			logsID := ref(t, props(fn)["LoggingConfig"].(map[string]any)["LogGroup"])
			logs := statement{SidWriteOwnLogs, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []any{getAtt(logsID)}, nil}
			assert.Equal(t, append([]statement{logs}, want[f.Name]...), s.roleStatements(t, roleID))
			inline := props(s.resources("AWS::IAM::Role")[roleID])["Policies"].([]any)
			require.Len(t, inline, 1)
			assert.Equal(t, []statement{logs}, normalize(inline[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]))
		})
	}
	s.template.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(3))
}

// TestFleet50Grants: the grants on workflow.InlineMaxTargets targets (the inline Map's most) with long
// ARNs fit IAM's limits: each managed policy within 6,144 characters, at
// most 10 per role, every target granted.
func TestFleet50Grants(t *testing.T) {
	s := synth(t, "fleet50")
	perRole := map[string]int{}
	granted := map[string]bool{}
	for id, p := range s.resources("AWS::IAM::ManagedPolicy") {
		raw, err := json.Marshal(props(p)["PolicyDocument"])
		require.NoError(t, err)
		assert.LessOrEqual(t, len(raw), 6144, "%s: %d characters", id, len(raw))
		for _, r := range props(p)["Roles"].([]any) {
			perRole[ref(t, r)]++
		}
		for _, st := range normalize(props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
			for _, r := range st.Resources {
				if str, ok := r.(string); ok && st.Sid == SidInvokeTarget {
					granted[str] = true
				}
			}
		}
	}
	require.Len(t, perRole, 3, "check-config's, check-salesforce's and cleanup's roles")
	for role, n := range perRole {
		assert.LessOrEqual(t, n, maxManagedPolicies, role)
		assert.Greater(t, n, 1, "%s: 50 targets need several policies", role)
	}
	for _, tt := range s.stack.config().DefaultTargets() {
		assert.True(t, granted[baseArn(tt.Function)], tt.Name)
	}
	assert.Len(t, s.stack.Alarms.ByKind[alarmname.RunFailure], workflow.InlineMaxTargets)
	n := 0
	for range s.json["Resources"].(map[string]any) {
		n++
	}
	assert.Less(t, n, 500, "CloudFormation's resources per stack")
	alarms, _ := s.stack.config().alarmCount(workflow.InlineMaxTargets)
	assert.Equal(t, alarms, len(s.resources("AWS::CloudWatch::Alarm"))+len(s.resources("AWS::CloudWatch::CompositeAlarm")))
}

func TestFleetAlarms(t *testing.T) {
	s := synth(t, "fleet")
	c := s.stack.config()
	m, n := c.runFailureMOfN()
	for _, label := range []string{"prod-us", "prod/eu"} {
		dims := []any{map[string]any{"Name": metricname.DimTarget, "Value": label}}
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"AlarmName":         "SfprobeFleet-RunFailure-" + label,
			"AlarmDescription":  assertions.Match_StringLikeRegexp(jsii.String("^sfprobe " + regexp.QuoteMeta(label) + ": .*Runbook: " + regexp.QuoteMeta(alarmname.RunFailure.Anchor()))),
			"EvaluationPeriods": n, "DatapointsToAlarm": m, "TreatMissingData": "breaching",
			"Metrics": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Id": "success", "ReturnData": false, "MetricStat": map[string]any{
					"Metric": map[string]any{"Namespace": "sfprobe", "MetricName": metricname.RunSuccess, "Dimensions": dims},
					"Period": 300, "Stat": "Minimum",
				}},
			}),
		})
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"AlarmName": "SfprobeFleet-CleanupFailure-" + label, "MetricName": metricname.CleanupFailure, "Dimensions": dims,
		})
	}
	s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"AlarmName": "SfprobeFleet-MaintenanceWindow", "MetricName": MaintenanceWindowMetric,
		"Dimensions": []any{map[string]any{"Name": metricname.DimTarget, "Value": "SfprobeFleet"}},
	})
	// RunFailure, CleanupFailure and SalesforceApiRemaining per target; MaintenanceWindow.
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(7))

	// Paging ORs both targets' RunFailure.
	var names []string
	for _, r := range s.resources("AWS::CloudWatch::CompositeAlarm") {
		for _, part := range props(r)["AlarmRule"].(map[string]any)["Fn::Join"].([]any)[1].([]any) {
			if m, ok := part.(map[string]any); ok {
				names = append(names, props(s.resources("AWS::CloudWatch::Alarm")[ref(t, m)])["AlarmName"].(string))
			}
		}
	}
	assert.Equal(t, []string{"SfprobeFleet-RunFailure-prod-us", "SfprobeFleet-RunFailure-prod/eu"}, names)

	// Every per-target opt-in is per target; the diagnostic alarms once.
	full := synth(t, "fleetFull")
	for _, k := range []alarmname.Kind{alarmname.RunFailure, alarmname.RunLatency, alarmname.CleanupFailure, alarmname.SalesforceApiRemaining} {
		assert.Len(t, full.stack.Alarms.ByKind[k], 2, k)
	}
	assert.Len(t, full.stack.Alarms.ByKind[alarmname.CheckFailure], 18)
	full.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"AlarmName": "SfprobeFleet-CheckFailure-prod/eu-PhoneLookup",
		"Dimensions": []any{
			map[string]any{"Name": metricname.DimCheck, "Value": "PhoneLookup"},
			map[string]any{"Name": metricname.DimTarget, "Value": "prod/eu"},
		},
	})
	for _, k := range []alarmname.Kind{alarmname.ExecutionsFailed, alarmname.ExecutionsTimedOut, alarmname.ExecutionThrottled, alarmname.MaintenanceWindow} {
		assert.Len(t, full.stack.Alarms.ByKind[k], 1, k)
	}
}

func TestFleetDashboard(t *testing.T) {
	s := synth(t, "fleet")
	body := assertions.NewCapture(nil)
	s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]any{"DashboardBody": body})
	raw, err := json.Marshal(body.AsObject())
	require.NoError(t, err)
	text := string(raw)
	assert.Contains(t, text, "Run success per target")
	for _, label := range []string{"prod-us", "prod/eu"} {
		assert.Contains(t, text, `\"`+metricname.RunSuccess+`\",\"`+metricname.DimTarget+`\",\"`+label+`\"`, "run success of %s", label)
	}
}

// TestExampleConfigs: the example configurations make synth uses are valid
// (their paths are relative to the repository root, where cdk runs).
func TestExampleConfigs(t *testing.T) {
	fromRoot := func(path string) ([]byte, error) { return os.ReadFile("../../" + path) }
	for file, wantTargets := range map[string]int{"cdk/example-config.json": 1, "cdk/example-fleet-config.json": 2} {
		c, err := ConfigFrom(map[string]any{"configFile": file}, fromRoot)
		require.NoError(t, err, file)
		assert.Len(t, c.DefaultTargets(), wantTargets, file)
	}
}
