package monitor

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/validate"
)

const (
	testFunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI"
	testSecretArn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfcreds-AbCdEf"
	testKeyArn      = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testRoleArn     = "arn:aws:iam::123456789012:role/service-role/sfInvokeAPIRole"
	testConnectArn  = "arn:aws:connect:us-east-1:123456789012:instance/aaaabbbb-cccc-dddd-eeee-ffff00001111"
	testTopicKeyArn = "arn:aws:kms:us-east-1:123456789012:key/aaaabbbb-0000-1111-2222-333344445555"
)

// required are the context values every valid configuration needs.
func required() map[string]any {
	return map[string]any{
		"targetFunctionArn": testFunctionArn,
		"testPhone":         "+441122334455",
		"secretArn":         testSecretArn,
		"kmsKeyArn":         testKeyArn,
	}
}

func noFile(string) ([]byte, error) { return nil, os.ErrNotExist }

func TestConfigDefaults(t *testing.T) {
	c, err := ConfigFrom(required(), noFile)
	require.NoError(t, err)
	assert.Equal(t, "Sfprobe", c.StackName)
	assert.Equal(t, "Id, Name", c.TestFields)
	assert.Equal(t, "rate(5 minutes)", c.Schedule)
	assert.Equal(t, "EXPRESS", c.WorkflowType)
	assert.Equal(t, "sfprobe", c.MetricNamespace)
	assert.Equal(t, "2/3", c.RunFailureAlarm)
	assert.Equal(t, 20000, c.RunLatencyMs)
	assert.Equal(t, 30, c.LogRetentionDays)
	assert.Equal(t, "dist", c.AssetRoot)
	assert.False(t, c.KeepCases || c.DetailedMetrics || c.PerCheckAlarms)
	assert.Equal(t, "sfInvokeAPI", c.Label())
	assert.Equal(t, 5*time.Minute, c.alarmPeriod())
	m, n := c.runFailureMOfN()
	assert.Equal(t, [2]int{2, 3}, [2]int{m, n})
}

func TestConfigParsesContextStrings(t *testing.T) {
	ctx := required()
	ctx["keepCases"] = "true"
	ctx["detailedMetrics"] = true
	ctx["runLatencyMs"] = "15000"
	ctx["logRetentionDays"] = float64(7) // a number from cdk.json
	ctx["schedule"] = "rate(1 minute)"
	ctx["runFailureAlarm"] = "3 of 5"
	ctx["targetName"] = "prod-eu"
	ctx["targetFunctionArn"] = testFunctionArn + ":live"
	c, err := ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	assert.True(t, c.KeepCases)
	assert.True(t, c.DetailedMetrics)
	assert.Equal(t, 15000, c.RunLatencyMs)
	assert.Equal(t, 7, c.LogRetentionDays)
	assert.Equal(t, time.Minute, c.alarmPeriod())
	m, n := c.runFailureMOfN()
	assert.Equal(t, [2]int{3, 5}, [2]int{m, n})
	assert.Equal(t, "prod-eu", c.Label())
	assert.Equal(t, []string{testFunctionArn, testFunctionArn + ":*"}, c.targetResources())
}

func TestConfigLabelStripsQualifier(t *testing.T) {
	ctx := required()
	ctx["targetFunctionArn"] = testFunctionArn + ":7"
	c, err := ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	assert.Equal(t, "sfInvokeAPI", c.Label())
}

func TestConfigFile(t *testing.T) {
	file := `{"targetFunctionArn": "` + testFunctionArn + `", "testPhone": "+15550001111", "secretArn": "` + testSecretArn + `",
		"kmsKeyArn": "` + testKeyArn + `", "perCheckAlarms": true, "logRetentionDays": 14, "schedule": "rate(10 minutes)"}`
	read := func(path string) ([]byte, error) {
		require.Equal(t, "sfprobe.json", path)
		return []byte(file), nil
	}
	c, err := ConfigFrom(map[string]any{"configFile": "sfprobe.json", "schedule": "rate(2 minutes)"}, read)
	require.NoError(t, err)
	assert.True(t, c.PerCheckAlarms)
	assert.Equal(t, 14, c.LogRetentionDays)
	assert.Equal(t, "+15550001111", c.TestPhone)
	assert.Equal(t, "rate(2 minutes)", c.Schedule, "context wins over the file")
}

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		read func(string) ([]byte, error)
		want string
	}{
		{"missing", "nope.json", noFile, "configFile: read nope.json"},
		{"not json", "x.json", func(string) ([]byte, error) { return []byte("targetFunctionArn: x"), nil }, "configFile: x.json is not a JSON object"},
		{"unknown key", "x.json", func(string) ([]byte, error) { return []byte(`{"schedul": "off"}`), nil }, "schedul: unknown key in x.json"},
		{"case typo", "x.json", func(string) ([]byte, error) { return []byte(`{"testphone": "+441122334455"}`), nil }, "testphone: unknown key: did you mean testPhone?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFrom(map[string]any{"configFile": tt.give}, tt.read)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestConfigValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		key  string
		give any
		want string
	}{
		{"missing target", "targetFunctionArn", "", "targetFunctionArn: required"},
		{"target not an ARN", "targetFunctionArn", "sfInvokeAPI", `targetFunctionArn: "sfInvokeAPI" is not a Lambda function ARN`},
		{"target bad region", "targetFunctionArn", "arn:aws:lambda:mars:123456789012:function:x", "targetFunctionArn:"},
		{"missing phone", "testPhone", "", "testPhone: required"},
		{"phone without plus", "testPhone", "441122334455", `testPhone: "441122334455" is not an E.164 phone number`},
		{"phone with spaces", "testPhone", "+44 1122 334455", "testPhone:"},
		{"fields without Id", "testFields", "Name, Phone", "testFields:"},
		{"fields bad separator", "testFields", "Id,Name", "testFields:"},
		{"missing secret", "secretArn", "", "secretArn: required"},
		{"secret not an ARN", "secretArn", "sfcreds", "secretArn:"},
		{"partial secret ARN", "secretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfcreds", "looks like a partial ARN"},
		{"missing key", "kmsKeyArn", "", "kmsKeyArn: required"},
		{"key alias", "kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:alias/sf", "kmsKeyArn: \"arn:aws:kms:us-east-1:123456789012:alias/sf\" is an alias ARN"},
		{"key other region", "kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "kmsKeyArn: region eu-west-1 differs"},
		{"connect not an ARN", "connectInstanceArn", "instance/123", "connectInstanceArn:"},
		{"role not an ARN", "targetRoleArn", "sfInvokeAPIRole", `targetRoleArn: "sfInvokeAPIRole" is not an IAM role ARN`},
		{"user not role", "targetRoleArn", "arn:aws:iam::123456789012:user/bob", "targetRoleArn:"},
		{"bad target name", "targetName", "prod eu", "targetName:"},
		{"schedule words", "schedule", "every 5 minutes", `schedule: "every 5 minutes": want rate(<n> minutes|hours|days), cron(`},
		{"schedule plural for one", "schedule", "rate(1 minutes)", "write rate(1 minute)"},
		{"schedule singular for many", "schedule", "rate(5 minute)", "write rate(5 minutes)"},
		{"schedule zero", "schedule", "rate(0 minutes)", "at least 1"},
		{"schedule seconds", "schedule", "rate(30 seconds)", "schedule:"},
		{"schedule too slow", "schedule", "rate(2 days)", "at least once a day"},
		{"schedule cron five fields", "schedule", "cron(0/5 * * * ?)", "schedule:"},
		{"schedule OFF upper case", "schedule", "OFF", "schedule:"},
		{"cron without period", "schedule", "cron(0/5 * * * ? *)", "alarmPeriodMinutes: required with a cron(...) schedule"},
		{"bad email", "alarmEmail", "oncall", `alarmEmail: "oncall" is not an e-mail address`},
		{"email without domain dot", "alarmEmail", "oncall@localhost", "alarmEmail:"},
		{"email with space", "alarmEmail", "on call@example.com", "alarmEmail:"},
		{"workflow type lower case", "workflowType", "express", `workflowType: "express": want EXPRESS`},
		{"workflow type other", "workflowType", "SYNC", "workflowType:"},
		{"namespace AWS", "metricNamespace", "AWS/Lambda", "metricNamespace:"},
		{"namespace space", "metricNamespace", "sf probe", "metricNamespace:"},
		{"m over n", "runFailureAlarm", "4/3", "runFailureAlarm: \"4/3\": want M/N"},
		{"m zero", "runFailureAlarm", "0/3", "runFailureAlarm:"},
		{"m of n words", "runFailureAlarm", "two of three", "runFailureAlarm:"},
		{"too many periods", "runFailureAlarm", "2/300", "runFailureAlarm:"},
		{"latency too high", "runLatencyMs", "300000", "runLatencyMs: 300000: want 1000 to 279999"},
		{"latency not a number", "runLatencyMs", "20s", "runLatencyMs: 20s is not a whole number"},
		{"retention not allowed", "logRetentionDays", "31", "logRetentionDays: 31: want one of [1 3 5 7 14 30"},
		{"connect max flows zero", "connectMaxFlows", "0", "connectMaxFlows: 0: want 1 to 1000"},
		{"bool not a bool", "keepCases", "yes please", "keepCases: yes please is not true or false"},
		{"stack name", "stackName", "1probe", "stackName:"},
		{"asset root empty", "assetRoot", "", "assetRoot: required"},
		{"alarm period too long", "alarmPeriodMinutes", "2000", "alarmPeriodMinutes: 2000"},
		{"near-miss key", "targetFunctionARN", testFunctionArn, "targetFunctionARN: unknown key: did you mean targetFunctionArn?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := required()
			ctx[tt.key] = tt.give
			_, err := ConfigFrom(ctx, noFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var fe *validate.FieldError
			require.True(t, errors.As(err, &fe), "errors are *validate.FieldError naming the key")
		})
	}
}

func TestConfigReportsEveryError(t *testing.T) {
	_, err := ConfigFrom(map[string]any{"schedule": "sometimes", "alarmEmail": "x"}, noFile)
	require.Error(t, err)
	for _, key := range []string{"targetFunctionArn", "testPhone", "secretArn", "kmsKeyArn", "schedule", "alarmEmail"} {
		assert.Contains(t, err.Error(), key+":")
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 6, "one line per problem")
}

func TestConfigAcceptsValidVariants(t *testing.T) {
	tests := []struct {
		name string
		give map[string]any
		want time.Duration // alarm period
	}{
		{"off", map[string]any{"schedule": "off"}, 5 * time.Minute},
		{"one minute", map[string]any{"schedule": "rate(1 minute)"}, time.Minute},
		{"hourly", map[string]any{"schedule": "rate(1 hour)"}, time.Hour},
		{"daily 2 of 3", map[string]any{"schedule": "rate(1 day)", "runFailureAlarm": "2/3"}, 24 * time.Hour},
		{"cron with period", map[string]any{"schedule": "cron(0/10 8-18 ? * MON-FRI *)", "alarmPeriodMinutes": "60"}, time.Hour},
		{"period override", map[string]any{"alarmPeriodMinutes": 10}, 10 * time.Minute},
		{"all optional", map[string]any{
			"connectInstanceArn": testConnectArn, "targetRoleArn": testRoleArn, "alarmEmail": "oncall+sf@example.co.uk",
			"workflowType": "STANDARD", "metricNamespace": "Team/sfprobe", "targetName": "prod:eu-1",
		}, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := required()
			for k, v := range tt.give {
				ctx[k] = v
			}
			c, err := ConfigFrom(ctx, noFile)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.alarmPeriod())
		})
	}
}

func TestConfigEvaluationRange(t *testing.T) {
	ctx := required()
	ctx["schedule"] = "rate(30 minutes)"
	ctx["runFailureAlarm"] = "2/50"
	_, err := ConfigFrom(ctx, noFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "runFailureAlarm: 50 periods of 30m0s exceed CloudWatch's evaluation range of 24h0m0s")

	ctx["schedule"] = "rate(1 day)"
	ctx["runFailureAlarm"] = "2/8"
	_, err = ConfigFrom(ctx, noFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "runFailureAlarm: 8 periods of 24h0m0s exceed CloudWatch's evaluation range of 168h0m0s")
}

func TestContextKeysMatchDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/DEPLOY.md")
	require.NoError(t, err)
	for _, k := range ContextKeys() {
		assert.Contains(t, string(doc), "`"+k+"`", "docs/DEPLOY.md documents context key %s", k)
	}
}

func TestConfigCostKnobs(t *testing.T) {
	c, err := ConfigFrom(required(), noFile)
	require.NoError(t, err)
	assert.Equal(t, "rate(15 minutes)", c.ConfigSchedule)
	assert.Equal(t, "ERROR", c.WorkflowLogLevel)
	assert.Empty(t, c.TopicKmsKeyArn)
	assert.False(t, c.Tracing || c.DiagnosticAlarms || c.DeployGate)
	assert.True(t, c.splitSchedules(), "by default the AWS-side checks run every 15 minutes, the chain every 5")

	ctx := required()
	for k, v := range map[string]any{
		"workflowLogLevel": "ALL", "tracing": "true", "diagnosticAlarms": true, "deployGate": "true",
		"topicKmsKeyArn": testTopicKeyArn, "configSchedule": "every-run",
	} {
		ctx[k] = v
	}
	c, err = ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	assert.Equal(t, "ALL", c.WorkflowLogLevel)
	assert.True(t, c.Tracing && c.DiagnosticAlarms && c.DeployGate)
	assert.Equal(t, testTopicKeyArn, c.TopicKmsKeyArn)
	assert.False(t, c.splitSchedules())
}

func TestConfigCostKnobErrors(t *testing.T) {
	tests := []struct {
		name string
		key  string
		give any
		want string
	}{
		{"log level lower case", "workflowLogLevel", "error", `workflowLogLevel: "error": want ALL, ERROR`},
		{"log level other", "workflowLogLevel", "DEBUG", "workflowLogLevel:"},
		{"config schedule words", "configSchedule", "hourly", `configSchedule: "hourly": want rate(<n> minutes|hours|days), cron(`},
		{"config schedule plural", "configSchedule", "rate(1 hours)", "configSchedule: \"rate(1 hours)\": write rate(1 hour)"},
		{"config schedule too slow", "configSchedule", "rate(3 days)", "configSchedule: \"rate(3 days)\": run at least once a day"},
		{"topic key not an ARN", "topicKmsKeyArn", "alias/sfprobe", "topicKmsKeyArn:"},
		{"topic key other region", "topicKmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/aaaabbbb-0000-1111-2222-333344445555", "topicKmsKeyArn: region eu-west-1 differs"},
		{"tracing not a bool", "tracing", "on", "tracing: on is not true or false"},
		{"gate not a bool", "deployGate", "yes", "deployGate: yes is not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := required()
			ctx[tt.key] = tt.give
			_, err := ConfigFrom(ctx, noFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			var fe *validate.FieldError
			require.True(t, errors.As(err, &fe))
		})
	}
}

func TestConfigSplitSchedules(t *testing.T) {
	tests := []struct {
		schedule, configSchedule string
		want                     bool
	}{
		{"rate(5 minutes)", "rate(15 minutes)", true},
		{"rate(1 minute)", "rate(1 hour)", true},
		{"rate(5 minutes)", "rate(5 minutes)", false},
		{"rate(60 minutes)", "rate(1 hour)", false},
		{"rate(1 hour)", "rate(15 minutes)", false}, // no slower than schedule: every run makes every check
		{"rate(5 minutes)", "every-run", false},
		{"rate(5 minutes)", "off", false},
		{"off", "rate(15 minutes)", false},
		{"cron(0/5 8-18 ? * MON-FRI *)", "rate(1 hour)", true},
		{"rate(5 minutes)", "cron(0 6 * * ? *)", true},
	}
	for _, tt := range tests {
		t.Run(tt.schedule+"/"+tt.configSchedule, func(t *testing.T) {
			ctx := required()
			ctx["schedule"], ctx["configSchedule"] = tt.schedule, tt.configSchedule
			if strings.HasPrefix(tt.schedule, "cron") {
				ctx["alarmPeriodMinutes"] = 5
			}
			c, err := ConfigFrom(ctx, noFile)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.splitSchedules())
		})
	}
}
