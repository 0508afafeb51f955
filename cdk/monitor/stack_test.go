package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/alarmname"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// testEnv is the environment the CDK tests need in jsii's node process.
var testEnv = []string{
	// Node 20 prints a jsii end-of-life banner on every start without this.
	"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
	// CDK's built-in template validation costs seconds per synth; make
	// synth runs it, and cfn-lint, on the real template.
	"CDK_VALIDATION=false",
}

func TestMain(m *testing.M) {
	// jsii fixes its node process's environment while the CDK packages
	// initialize, before TestMain runs, so os.Setenv here comes too late:
	// run this test binary again with the environment set.
	if os.Getenv("SFPROBE_CDK_TEST_ENV") == "" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(append(os.Environ(), testEnv...), "SFPROBE_CDK_TEST_ENV=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		jsii.Close()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			os.Exit(exit.ExitCode())
		case err != nil:
			fmt.Fprintln(os.Stderr, "re-run the CDK tests:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// synthesized is one stack made for the tests, its template as plain JSON
// and the raw assertions handle.
type synthesized struct {
	stack    *Stack
	template assertions.Template
	json     map[string]any
}

var (
	stacksMu sync.Mutex
	stacks   = map[string]*synthesized{}
)

// variants are the configurations the stack tests synthesize, once each.
var variants = map[string]map[string]any{
	"default": {},
	"full": {
		"targetRoleArn": testRoleArn, "connectInstanceArn": testConnectArn, "alarmEmail": "oncall@example.com",
		"workflowType": "STANDARD", "perCheckAlarms": true, "detailedMetrics": true, "keepCases": true,
		"schedule": "rate(1 minute)", "metricNamespace": "Team/sfprobe", "targetName": "prod-eu",
		"runFailureAlarm": "3/5", "runLatencyMs": 15000, "logRetentionDays": 90, "stackName": "SfprobeProdEu",
		"diagnosticAlarms": true, "tracing": true, "workflowLogLevel": "ALL", "configSchedule": "every-run",
		"metricsTransport": "api", "connectMaxFlows": 200,
	},
	"off": {"schedule": "off"},
	// The leanest: a shared topic key, no workflow logs, AWS-side checks hourly.
	"lean":         {"topicKmsKeyArn": testTopicKeyArn, "workflowLogLevel": "OFF", "configSchedule": "cron(0 * * * ? *)", "dashboard": false},
	"gate":         {"deployGate": true},
	"gateStandard": {"deployGate": true, "workflowType": "STANDARD"},
	// Two targets from a targets file, the second in another region and
	// account; the stack takes the first's.
	"fleet": {"targetsFile": "fleet.yaml", "stackName": "SfprobeFleet"},
	// The same with every per-target opt-in.
	"fleetFull": {"targetsFile": "fleet.yaml", "stackName": "SfprobeFleet", "perCheckAlarms": true, "detailedMetrics": true, "diagnosticAlarms": true},
	// 50 targets: the IAM grants need managed policies; with every option
	// that fits CloudFormation's 500 resources.
	"fleet50": {
		"targetsFile": "fleet50.json", "stackName": "SfprobeFleet50", "detailedMetrics": true, "diagnosticAlarms": true,
		"deployGate": true, "metricsTransport": "api", "workflowType": "STANDARD", "tracing": true, "workflowLogLevel": "ALL",
	},
	// sfprobe's functions in a VPC, the API budget alarm at 30 %.
	"vpc": {"vpcSubnetIds": "subnet-0123456789abcdef0, subnet-0fedcba9876543210", "vpcSecurityGroupIds": "sg-0123456789abcdef0", "apiRemainingAlarmPercent": 30},
}

// The second target of fleet.yaml: another region, another account.
const (
	testEUFunctionArn = "arn:aws:lambda:eu-west-2:210987654321:function:sfInvokeAPI-eu"
	testEUSecretArn   = "arn:aws:secretsmanager:eu-west-2:210987654321:secret:sfcreds-eu-XyZ123"
	testEUKeyArn      = "arn:aws:kms:eu-west-2:210987654321:key/9999abcd-12ab-34cd-56ef-1234567890ab"
	testEUConnectArn  = "arn:aws:connect:eu-west-2:210987654321:instance/aaaabbbb-cccc-dddd-eeee-ffff00002222"
)

// testFiles are the targets files the variants name.
var testFiles = map[string]string{
	"fleet.yaml": `max_concurrency: 5          # sfprobe run's; the workflow probes up to 25 at once
targets:
  - function: ` + testFunctionArn + `
    phone: "+441122334455"
    secret_arn: ` + testSecretArn + `
    kms_key_arn: ` + testKeyArn + `
    name: prod-us
  - function: ` + testEUFunctionArn + `:live
    phone: "+15005550006"
    fields: Id, Name, Phone
    secret_arn: ` + testEUSecretArn + `
    kms_key_arn: ` + testEUKeyArn + `
    connect_instance_arn: ` + testEUConnectArn + `
    name: prod/eu
    keep_cases: true
    region: eu-west-2          # sfprobe run's; the stack ignores it
    profile: eu
`,
	"fleet50.json": fleet50(),
}

// fleet50 is a targets file of workflow.InlineMaxTargets targets (the
// inline Map's most) with ARNs as long as the Salesforce package's.
func fleet50() string {
	var entries []string
	for i := range workflow.InlineMaxTargets {
		acct := fmt.Sprintf("1234567890%02d", i)
		entries = append(entries, fmt.Sprintf(`{"function": "arn:aws:lambda:eu-west-2:%[1]s:function:AmazonConnectSalesforceLambda-sfInvokeAPI-AbCdEfGh%02[2]d",
			"phone": "+4411223344%02[2]d",
			"secret_arn": "arn:aws:secretsmanager:eu-west-2:%[1]s:secret:SalesforceCredentials-org%02[2]d-AbCdEf",
			"kms_key_arn": "arn:aws:kms:eu-west-2:%[1]s:key/1234abcd-12ab-34cd-56ef-1234567890%02[2]d",
			"name": "org-%02[2]d"}`, acct, i))
	}
	return `{"targets": [` + strings.Join(entries, ",\n") + `]}`
}

// readTestFile reads testFiles.
func readTestFile(path string) ([]byte, error) {
	if s, ok := testFiles[path]; ok {
		return []byte(s), nil
	}
	return nil, os.ErrNotExist
}

// testSalt is the deploy gate's salt in the tests (the synthesis time otherwise).
const testSalt = "test-salt"

// assetRoot is a temporary dist/ holding a dummy bootstrap per function.
func assetRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	names := []string{FnDeployGate}
	for _, f := range workflow.Functions {
		names = append(names, f.Name)
	}
	for _, name := range names {
		require.NoError(t, os.MkdirAll(filepath.Join(root, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name, "bootstrap"), []byte("#!/bin/sh\n"), 0o755))
	}
	return root
}

// newApp returns an app with cdk.json's feature flags, as cdk synth has.
func newApp(t *testing.T) awscdk.App {
	t.Helper()
	raw, err := os.ReadFile("../../cdk.json")
	require.NoError(t, err)
	var cdkJSON struct {
		Context map[string]any `json:"context"`
	}
	require.NoError(t, json.Unmarshal(raw, &cdkJSON))
	return awscdk.NewApp(&awscdk.AppProps{Context: &cdkJSON.Context})
}

// synth synthesizes variant name once (with the AwsSolutions checks).
func synth(t *testing.T, name string) *synthesized {
	t.Helper()
	stacksMu.Lock()
	defer stacksMu.Unlock()
	if s, ok := stacks[name]; ok {
		return s
	}
	ctx := required()
	if _, ok := variants[name]["targetsFile"]; ok {
		ctx = map[string]any{}
	}
	ctx["assetRoot"] = assetRoot(t)
	for k, v := range variants[name] {
		ctx[k] = v
	}
	cfg, err := ConfigFrom(ctx, readTestFile)
	require.NoError(t, err)
	app := newApp(t)
	stack, err := NewStack(app, cfg.StackName, &StackProps{Config: cfg, DeploySalt: testSalt})
	require.NoError(t, err)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	tmpl := templateOf(t, stack)
	raw, err := json.Marshal(tmpl.ToJSON())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	s := &synthesized{stack: stack, template: tmpl, json: doc}
	stacks[name] = s
	return s
}

// templateOf synthesizes stack. With cdk.json's
// @aws-cdk/core:annotationsInValidationReport, an error annotation (an
// unsuppressed cdk-nag finding) fails the synthesis itself: report it as a
// test failure rather than a panic.
func templateOf(t *testing.T, stack *Stack) (tmpl assertions.Template) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("synthesize %s (cdk-nag findings are printed above): %v", *stack.StackName(), r)
		}
	}()
	return assertions.Template_FromStack(stack.Stack, nil)
}

// resources returns the template's resources of type typ by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any { return r["Properties"].(map[string]any) }

// ref resolves {"Fn::GetAtt": [id, ...]} or {"Ref": id} to id.
func ref(t *testing.T, v any) string {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%v is not a reference", v)
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	return m["Fn::GetAtt"].([]any)[0].(string)
}

// function returns the logical id and resource of the function name.
func (s *synthesized) function(t *testing.T, name string) (string, map[string]any) {
	t.Helper()
	for id, r := range s.resources("AWS::Lambda::Function") {
		if d, _ := props(r)["Description"].(string); strings.HasPrefix(d, "sfprobe "+name+":") {
			return id, r
		}
	}
	t.Fatalf("no function %s", name)
	return "", nil
}

// statement is a policy statement, normalized for comparison.
type statement struct {
	Sid       string
	Actions   []string
	Resources []any
	Condition any
}

func normalize(raw any) []statement {
	var out []statement
	for _, st := range raw.([]any) {
		m := st.(map[string]any)
		if m["Effect"] != "Allow" {
			continue
		}
		s := statement{Condition: m["Condition"]}
		s.Sid, _ = m["Sid"].(string)
		switch a := m["Action"].(type) {
		case string:
			s.Actions = []string{a}
		case []any:
			for _, x := range a {
				s.Actions = append(s.Actions, x.(string))
			}
		}
		switch r := m["Resource"].(type) {
		case []any:
			s.Resources = r
		default:
			s.Resources = []any{r}
		}
		out = append(out, s)
	}
	return out
}

// roleStatements returns every Allow statement granted to the role id:
// its inline policies and the AWS::IAM::Policy and AWS::IAM::ManagedPolicy
// resources attached to it.
func (s *synthesized) roleStatements(t *testing.T, roleID string) []statement {
	t.Helper()
	role, ok := s.resources("AWS::IAM::Role")[roleID]
	require.True(t, ok, "role %s", roleID)
	assert.Nil(t, props(role)["ManagedPolicyArns"], "role %s has no managed policies", roleID)
	var out []statement
	if inline, ok := props(role)["Policies"].([]any); ok {
		for _, p := range inline {
			out = append(out, normalize(p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"])...)
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, p := range s.resources(typ) {
			roles, _ := props(p)["Roles"].([]any)
			for _, r := range roles {
				if ref(t, r) == roleID {
					out = append(out, normalize(props(p)["PolicyDocument"].(map[string]any)["Statement"])...)
				}
			}
		}
	}
	return out
}

// onlyID returns the logical id of the one resource in rs.
func onlyID(t *testing.T, rs map[string]map[string]any) string {
	t.Helper()
	require.Len(t, rs, 1)
	for id := range rs {
		return id
	}
	return ""
}

func getAtt(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

func TestFunctionsRuntimeArchitectureMemory(t *testing.T) {
	for _, variant := range []string{"default", "full"} {
		s := synth(t, variant)
		s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(4))
		for _, f := range workflow.Functions {
			s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Description":   assertions.Match_StringLikeRegexp(jsii.String("^sfprobe " + f.Name + ":")),
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"MemorySize":    128,
				"Handler":       "bootstrap",
				"Timeout":       FunctionTimeouts[f.Name],
				// JSON logs without Lambda's START/END/REPORT lines (system
				// logs at WARN); the handlers' lines at INFO.
				"LoggingConfig": map[string]any{
					"LogGroup": map[string]any{"Ref": assertions.Match_AnyValue()}, "LogFormat": "JSON",
					"SystemLogLevel": "WARN", "ApplicationLogLevel": "INFO",
				},
			})
		}
	}
}

func TestFunctionsEnvironment(t *testing.T) {
	tests := []struct {
		variant string
		fn      string
		want    map[string]any
	}{
		{"default", FnCheckConfig, map[string]any{workflow.EnvCallTimeout: "15s", workflow.EnvConnectMaxFlows: "50", workflow.EnvDailySalesforceCalls: "1536"}},
		{"default", FnCheckSalesforce, map[string]any{workflow.EnvCallTimeout: "15s"}},
		{"default", FnCleanup, map[string]any{workflow.EnvCallTimeout: "15s", workflow.EnvKeepCases: "false"}},
		{"default", FnPublishMetrics, map[string]any{workflow.EnvMetricNamespace: "sfprobe", workflow.EnvDetailedMetrics: "false", workflow.EnvMetricsTransport: workflow.MetricsEMF}},
		{"full", FnCheckConfig, map[string]any{workflow.EnvCallTimeout: "15s", workflow.EnvConnectMaxFlows: "200", workflow.EnvDailySalesforceCalls: "8640"}},
		{"full", FnCleanup, map[string]any{workflow.EnvCallTimeout: "15s", workflow.EnvKeepCases: "true"}},
		{"full", FnPublishMetrics, map[string]any{workflow.EnvMetricNamespace: "Team/sfprobe", workflow.EnvDetailedMetrics: "true", workflow.EnvMetricsTransport: workflow.MetricsAPI}},
	}
	for _, tt := range tests {
		t.Run(tt.variant+"/"+tt.fn, func(t *testing.T) {
			_, fn := synth(t, tt.variant).function(t, tt.fn)
			assert.Equal(t, tt.want, props(fn)["Environment"].(map[string]any)["Variables"])
		})
	}
}

// TestFunctionTimeoutsBelowTasks: each Lambda gives up before the Task
// that invokes it, so Step Functions sees the Lambda's own error.
func TestFunctionTimeoutsBelowTasks(t *testing.T) {
	var doc any
	require.NoError(t, json.Unmarshal([]byte(workflow.Definition()), &doc))
	taskTimeouts := map[string][]float64{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["Type"] == "Task" && x["Resource"] == "arn:aws:states:::lambda:invoke" {
				fn := x["Parameters"].(map[string]any)["FunctionName"].(string)
				taskTimeouts[fn] = append(taskTimeouts[fn], x["TimeoutSeconds"].(float64))
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	for _, f := range workflow.Functions {
		timeouts := taskTimeouts["${"+f.Key+"}"]
		require.NotEmpty(t, timeouts, f.Name)
		for _, ts := range timeouts {
			assert.Less(t, FunctionTimeouts[f.Name], ts, "%s's Lambda timeout is below its Task's TimeoutSeconds", f.Name)
		}
	}
}

func TestLogGroupsRetention(t *testing.T) {
	for variant, days := range map[string]float64{"default": 30, "full": 90} {
		s := synth(t, variant)
		s.template.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(5))
		s.template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": days})
	}
}

// TestFunctionPolicies pins every statement of every function's role:
// exact actions, resources and conditions, nothing else.
func TestFunctionPolicies(t *testing.T) {
	for _, variant := range []string{"default", "full"} {
		s := synth(t, variant)
		c := s.stack.config()
		target := []any{testFunctionArn, testFunctionArn + ":*"}
		decrypt := statement{SidDecryptViaSecrets, []string{"kms:Decrypt"}, []any{testKeyArn}, map[string]any{
			"StringEquals": map[string]any{
				"kms:ViaService":                  "secretsmanager.us-east-1.amazonaws.com",
				"kms:EncryptionContext:SecretARN": testSecretArn,
			},
		}}
		checkConfig := []statement{
			{SidReadTargetConfig, []string{"lambda:GetFunctionConfiguration", "lambda:GetPolicy"}, target, nil},
			{SidReadSecret, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"}, []any{testSecretArn}, nil},
			{SidReadKey, []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, []any{testKeyArn}, nil},
			decrypt,
		}
		if variant == "full" {
			// The named Connect instance only, and its flows and modules.
			checkConfig = append(checkConfig,
				statement{SidListConnect, []string{"connect:ListContactFlowModules", "connect:ListContactFlows", "connect:ListLambdaFunctions"}, []any{testConnectArn}, nil},
				statement{SidDescribeFlows, []string{"connect:DescribeContactFlow", "connect:DescribeContactFlowModule"}, []any{testConnectArn + "/contact-flow/*", testConnectArn + "/flow-module/*"}, nil},
				statement{SidSimulateRole, []string{"iam:SimulatePrincipalPolicy"}, []any{testRoleArn}, nil})
		}
		want := map[string][]statement{
			FnCheckConfig:     checkConfig,
			FnCheckSalesforce: {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, target, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, target, nil}},
			FnCleanup:         {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, target, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, target, nil}},
		}
		// With the embedded metric format (the default) publish-metrics
		// only writes its log; PutMetricData only with metricsTransport api.
		if c.MetricsTransport == MetricsAPI {
			want[FnPublishMetrics] = []statement{{SidPutMetrics, []string{"cloudwatch:PutMetricData"}, []any{"*"}, map[string]any{
				"StringEquals": map[string]any{"cloudwatch:namespace": c.MetricNamespace},
			}}}
		}
		if c.resultsBucket() {
			// A STANDARD stack's results bucket: its runs/ prefix only.
			bucket := getAtt(onlyID(t, s.resources("AWS::S3::Bucket")))
			want[FnPublishMetrics] = append(want[FnPublishMetrics],
				statement{SidReadWriteRunReports, []string{"s3:GetObject", "s3:PutObject"}, []any{map[string]any{"Fn::Join": []any{"", []any{bucket, "/runs/*"}}}}, nil},
				statement{SidListRunReports, []string{"s3:ListBucket"}, []any{bucket}, nil})
		}
		for _, f := range workflow.Functions {
			t.Run(variant+"/"+f.Name, func(t *testing.T) {
				_, fn := s.function(t, f.Name)
				roleID := ref(t, props(fn)["Role"])
				logsID := ref(t, props(fn)["LoggingConfig"].(map[string]any)["LogGroup"])
				logs := statement{SidWriteOwnLogs, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []any{getAtt(logsID)}, nil}
				assert.Equal(t, append([]statement{logs}, want[f.Name]...), s.roleStatements(t, roleID))
			})
		}
	}
}

func TestStateMachineRolePolicy(t *testing.T) {
	s := synth(t, "default")
	var smID string
	var sm map[string]any
	for id, r := range s.resources("AWS::StepFunctions::StateMachine") {
		smID, sm = id, r
	}
	require.NotEmpty(t, smID)
	var fnArns []any
	for _, f := range workflow.Functions {
		id, _ := s.function(t, f.Name)
		fnArns = append(fnArns, getAtt(id))
	}
	got := s.roleStatements(t, ref(t, props(sm)["RoleArn"]))
	assert.Equal(t, []statement{
		// Log delivery only: no X-Ray without tracing.
		{"", []string{
			"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
			"logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
		}, []any{"*"}, nil},
		{SidInvokeFunctions, []string{"lambda:InvokeFunction"}, fnArns, nil},
		{SidReadPauseParameter, []string{"ssm:GetParameter"}, []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:aws:ssm:us-east-1:123456789012:parameter", map[string]any{"Ref": onlyID(t, s.resources("AWS::SSM::Parameter"))},
		}}}}, nil},
	}, got)
}

func TestSchedulerRolePolicy(t *testing.T) {
	s := synth(t, "default")
	for _, r := range s.resources("AWS::Scheduler::Schedule") {
		target := props(r)["Target"].(map[string]any)
		got := s.roleStatements(t, ref(t, target["RoleArn"]))
		assert.Equal(t, []statement{
			{"", []string{"states:StartExecution"}, []any{target["Arn"]}, nil},
			{"", []string{"sqs:SendMessage"}, []any{target["DeadLetterConfig"].(map[string]any)["Arn"]}, nil},
		}, got)
	}
}

// TestOnlyExpectedRoles: the four functions', the state machine's and the
// schedule's roles; nothing else may act in the account.
func TestOnlyExpectedRoles(t *testing.T) {
	synth(t, "default").template.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(6))
	synth(t, "off").template.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(5))
}

func TestStateMachineDefinition(t *testing.T) {
	for variant, typ := range map[string]string{"default": "EXPRESS", "full": "STANDARD"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			c := s.stack.config()
			level := map[string]string{"default": "ERROR", "full": "ALL"}[variant]
			s.template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(1))
			subs := assertions.NewCapture(nil)
			s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
				"DefinitionString":        deployedDefinition(c),
				"DefinitionSubstitutions": subs,
				"StateMachineType":        typ,
				"LoggingConfiguration": map[string]any{
					"Level":                level,
					"IncludeExecutionData": false,
					"Destinations": []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{
						"LogGroupArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_AnyValue(), "Arn"}},
					}}},
				},
				"TracingConfiguration": map[string]any{"Enabled": c.Tracing},
			})
			got := *subs.AsObject()
			keys := make([]string, 0, len(got))
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			assert.Equal(t, documentKeys(deployedDefinition(c)), keys, "DefinitionSubstitutions has exactly the definition's placeholders")

			targets, err := json.Marshal([]check.Target{{
				Function: testFunctionArn, Phone: "+441122334455", Fields: "Id, Name", SecretARN: testSecretArn,
				KMSKeyARN: testKeyArn, ConnectInstanceARN: c.ConnectInstanceArn, Name: c.Label(),
			}})
			require.NoError(t, err)
			want := map[string]any{
				// Escaped: CloudFormation substitutes it into a JSON string as it is.
				workflow.DefaultTargets:     workflow.Escape(string(targets)),
				workflow.PauseParameterName: "/sfprobe/" + c.StackName + "/paused",
			}
			for _, f := range workflow.Functions {
				id, _ := s.function(t, f.Name)
				want[f.Key] = getAtt(id)
			}
			// The Distributed Map's placeholders, where the definition has
			// them: EXPRESS children, the results bucket (a STANDARD
			// stack's), and no default targets in S3 at most 50 targets.
			fleet := map[string]any{workflow.ChildExecutionType: "EXPRESS", workflow.DefaultTargetsBucket: "", workflow.DefaultTargetsKey: "", workflow.ResultsBucket: ""}
			if c.resultsBucket() {
				fleet[workflow.ResultsBucket] = map[string]any{"Ref": onlyID(t, s.resources("AWS::S3::Bucket"))}
			}
			for _, k := range documentKeys(deployedDefinition(c)) {
				if v, ok := fleet[k]; ok {
					want[k] = v
				}
			}
			raw, err := json.Marshal(got)
			require.NoError(t, err)
			var plain map[string]any
			require.NoError(t, json.Unmarshal(raw, &plain))
			assert.Equal(t, want, plain)

			// What CloudFormation will deploy: the document with the static
			// values substituted is still a valid definition.
			static := map[string]string{}
			for k, v := range plain {
				if str, ok := v.(string); ok {
					static[k] = str
				} else if k == workflow.ResultsBucket {
					static[k] = "sfprobe-results-bucket"
				} else {
					static[k] = "arn:aws:lambda:us-east-1:123456789012:function:" + k
				}
			}
			rendered := placeholderRe.ReplaceAllStringFunc(deployedDefinition(c), func(m string) string {
				v, ok := static[placeholderRe.FindStringSubmatch(m)[1]]
				require.True(t, ok, "no substitution for %s", m)
				return workflow.Escape(v)
			})
			require.NoError(t, workflow.Validate(rendered))
		})
	}
}

func TestStateMachineLogGroup(t *testing.T) {
	synth(t, "default").template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
		"LogGroupName":    "/aws/vendedlogs/states/Sfprobe-workflow",
		"RetentionInDays": 30,
	})
}

func TestSchedule(t *testing.T) {
	type want struct {
		expr, input string
		maxAge      float64
	}
	tests := []struct {
		variant string
		want    []want
	}{
		// The chain every 5 minutes, the AWS-side checks every 15.
		{"default", []want{{"rate(5 minutes)", InputSalesforce, 300}, {"rate(15 minutes)", InputAWS, 900}}},
		// configSchedule every-run: one schedule, every check.
		{"full", []want{{"rate(1 minute)", InputAllChecks, 60}}},
		// A cron configSchedule: its events may wait one alarm period.
		{"lean", []want{{"rate(5 minutes)", InputSalesforce, 300}, {"cron(0 * * * ? *)", InputAWS, 300}}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			s := synth(t, tt.variant)
			s.template.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(float64(len(tt.want))))
			s.template.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(1))
			dlq := assertions.NewCapture(nil)
			for _, w := range tt.want {
				s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
					"ScheduleExpression": w.expr,
					"State":              "ENABLED",
					"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
					"Target": map[string]any{
						"Arn":              map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^WorkflowStateMachine"))},
						"Input":            w.input,
						"RetryPolicy":      map[string]any{"MaximumRetryAttempts": ScheduleRetryAttempts, "MaximumEventAgeInSeconds": w.maxAge},
						"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}}},
						"RoleArn":          assertions.Match_AnyValue(),
					},
				})
			}
			queue, ok := s.resources("AWS::SQS::Queue")[*dlq.AsString()]
			require.True(t, ok, "the DLQ is this stack's queue")
			assert.Equal(t, true, props(queue)["SqsManagedSseEnabled"])
			s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
				"Queues": []any{map[string]any{"Ref": *dlq.AsString()}},
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				})})},
			})
		})
	}
}

func TestScheduleOff(t *testing.T) {
	s := synth(t, "off")
	s.template.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(0))
	s.template.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(0))
	s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"AlarmName":        "Sfprobe-RunFailure",
		"TreatMissingData": "notBreaching",
	})
}

// wantAlarm is one metric alarm's expected shape.
type wantAlarm struct {
	kind       alarmname.Kind
	name       string
	namespace  string
	metric     string
	statistic  string
	dims       map[string]any
	op         string
	threshold  float64
	periods    float64
	datapoints float64
	missing    string
}

func TestAlarms(t *testing.T) {
	const (
		gte = "GreaterThanOrEqualToThreshold"
		gt  = "GreaterThanThreshold"
		lt  = "LessThanThreshold"
	)
	for _, variant := range []string{"default", "full"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			c := s.stack.config()
			m, n := c.runFailureMOfN()
			ns, label, stack := c.MetricNamespace, c.Label(), c.StackName
			target := map[string]any{metricname.DimTarget: label}
			// The default stack: RunFailure (which pages), CleanupFailure
			// and MaintenanceWindow; full has every opt-in kind.
			var want []wantAlarm
			if c.DetailedMetrics {
				want = append(want, wantAlarm{alarmname.RunLatency, stack + "-RunLatency", ns, metricname.RunDuration, "Maximum", target, gt, float64(c.RunLatencyMs), float64(n), float64(m), "notBreaching"})
			}
			want = append(want,
				wantAlarm{alarmname.CleanupFailure, stack + "-CleanupFailure", ns, metricname.CleanupFailure, "Sum", target, gte, 1, 1, 1, "notBreaching"},
				wantAlarm{alarmname.SalesforceApiRemaining, stack + "-SalesforceApiRemaining", ns, metricname.SalesforceApiRemaining, "Minimum", target, lt, float64(c.ApiRemainingAlarmPercent), 1, 1, "notBreaching"},
			)
			if c.DiagnosticAlarms {
				want = append(want,
					wantAlarm{alarmname.ExecutionsFailed, stack + "-ExecutionsFailed", "AWS/States", "ExecutionsFailed", "Sum", nil, gte, 1, float64(n), float64(m), "notBreaching"},
					wantAlarm{alarmname.ExecutionsTimedOut, stack + "-ExecutionsTimedOut", "AWS/States", "ExecutionsTimedOut", "Sum", nil, gte, 1, float64(n), float64(m), "notBreaching"},
					wantAlarm{alarmname.ExecutionThrottled, stack + "-ExecutionThrottled", "AWS/States", "ExecutionThrottled", "Sum", nil, gte, 1, 1, 1, "notBreaching"})
				for _, f := range workflow.Functions {
					want = append(want, wantAlarm{alarmname.FunctionErrors, stack + "-FunctionErrors-" + f.Name, "AWS/Lambda", "Errors", "Sum", nil, gte, 1, 1, 1, "notBreaching"})
				}
			}
			checks, err := Checks()
			require.NoError(t, err)
			if c.PerCheckAlarms {
				for _, ch := range checks {
					want = append(want, wantAlarm{alarmname.CheckFailure, stack + "-CheckFailure-" + ch, ns, metricname.CheckFailure, "Sum",
						map[string]any{metricname.DimTarget: label, metricname.DimCheck: ch}, gte, 1, 1, 1, "notBreaching"})
				}
			}
			want = append(want, wantAlarm{alarmname.MaintenanceWindow, stack + "-MaintenanceWindow", ns, MaintenanceWindowMetric, "Maximum", target, gte, 1, 1, 1, "notBreaching"})
			// + RunFailure, a metric-math alarm checked below.
			s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(len(want)+1)))
			periodOf := func(w wantAlarm) float64 {
				switch w.kind {
				case alarmname.MaintenanceWindow:
					return 60
				case alarmname.SalesforceApiRemaining:
					return 3600
				}
				return c.alarmPeriod().Seconds()
			}
			for _, w := range want {
				t.Run(w.name, func(t *testing.T) {
					p := map[string]any{
						"AlarmName":          w.name,
						"AlarmDescription":   assertions.Match_StringLikeRegexp(jsii.String(regexp.QuoteMeta("Runbook: " + w.kind.Anchor()))),
						"Namespace":          w.namespace,
						"MetricName":         w.metric,
						"Statistic":          w.statistic,
						"ComparisonOperator": w.op,
						"Threshold":          w.threshold,
						"EvaluationPeriods":  w.periods,
						"DatapointsToAlarm":  w.datapoints,
						"TreatMissingData":   w.missing,
						"Period":             periodOf(w),
						"AlarmActions":       assertions.Match_Absent(),
						"OKActions":          assertions.Match_Absent(),
					}
					if w.dims != nil {
						var dims []any
						// CDK sorts dimensions by name.
						for _, k := range []string{metricname.DimCheck, metricname.DimTarget} {
							if v, ok := w.dims[k]; ok {
								dims = append(dims, map[string]any{"Name": k, "Value": v})
							}
						}
						p["Dimensions"] = dims
					}
					s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), p)
				})
			}
			dims := []any{map[string]any{"Name": "Target", "Value": label}}
			stat := func(id, name, statistic string) map[string]any {
				return map[string]any{"Id": id, "ReturnData": false, "MetricStat": map[string]any{
					"Metric": map[string]any{"Namespace": ns, "MetricName": name, "Dimensions": dims},
					"Period": c.alarmPeriod().Seconds(), "Stat": statistic,
				}}
			}
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"AlarmName":          stack + "-RunFailure",
				"AlarmDescription":   assertions.Match_StringLikeRegexp(jsii.String(regexp.QuoteMeta("Runbook: " + alarmname.RunFailure.Anchor()))),
				"ComparisonOperator": lt, "Threshold": 1, "EvaluationPeriods": n, "DatapointsToAlarm": m,
				"TreatMissingData": "breaching",
				"Metrics": assertions.Match_ArrayEquals(&[]any{
					map[string]any{"Id": assertions.Match_AnyValue(), "Expression": RunHealthExpression, "ReturnData": true, "Label": assertions.Match_AnyValue()},
					stat("paused", metricname.Paused, "Maximum"),
					stat("success", metricname.RunSuccess, "Minimum"),
				}),
			})
		})
	}
}

// TestAlarmDimensions: sfprobe's metrics carry only Target and Check,
// never ids.
func TestAlarmDimensions(t *testing.T) {
	s := synth(t, "full")
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		var metrics []map[string]any
		if p["Namespace"] == "Team/sfprobe" {
			metrics = append(metrics, p)
		}
		if ms, ok := p["Metrics"].([]any); ok {
			for _, m := range ms {
				if st, ok := m.(map[string]any)["MetricStat"].(map[string]any); ok {
					metrics = append(metrics, st["Metric"].(map[string]any))
				}
			}
		}
		for _, m := range metrics {
			for _, d := range m["Dimensions"].([]any) {
				assert.Contains(t, []string{metricname.DimTarget, metricname.DimCheck}, d.(map[string]any)["Name"])
			}
		}
	}
}

func TestEveryAlarmNamesItsRunbookSection(t *testing.T) {
	anchor := regexp.MustCompile(`Runbook: (docs/RUNBOOK\.md#alarm-[a-z-]+)`)
	known := map[string]bool{}
	for _, i := range alarmname.All() {
		known[i.Kind.Anchor()] = true
	}
	for _, variant := range []string{"default", "full"} {
		s := synth(t, variant)
		for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
			for id, r := range s.resources(typ) {
				m := anchor.FindStringSubmatch(props(r)["AlarmDescription"].(string))
				require.NotNil(t, m, "%s's description names its runbook section", id)
				assert.True(t, known[m[1]], "%s: %s is in internal/alarmname", id, m[1])
			}
		}
	}
}

func TestPagingCompositeAlarm(t *testing.T) {
	s := synth(t, "default")
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::CompositeAlarm"), jsii.Number(1))
	topic := assertions.NewCapture(nil)
	suppressor := assertions.NewCapture(nil)
	s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::CompositeAlarm"), map[string]any{
		"AlarmName":                        "Sfprobe-Paging",
		"AlarmDescription":                 assertions.Match_StringLikeRegexp(jsii.String(regexp.QuoteMeta(alarmname.Paging.Anchor()))),
		"AlarmActions":                     []any{map[string]any{"Ref": topic}},
		"OKActions":                        []any{map[string]any{"Ref": assertions.Match_AnyValue()}},
		"ActionsSuppressor":                map[string]any{"Fn::GetAtt": []any{suppressor, "Arn"}},
		"ActionsSuppressorWaitPeriod":      60,
		"ActionsSuppressorExtensionPeriod": 900,
	})
	_, ok := s.resources("AWS::SNS::Topic")[*topic.AsString()]
	assert.True(t, ok, "the paging alarm notifies the stack's topic")
	assert.Equal(t, "Sfprobe-MaintenanceWindow", props(s.resources("AWS::CloudWatch::Alarm")[*suppressor.AsString()])["AlarmName"])

	// The rule ORs exactly the paging kinds' alarms.
	var rule map[string]any
	for _, r := range s.resources("AWS::CloudWatch::CompositeAlarm") {
		rule = props(r)["AlarmRule"].(map[string]any)
	}
	var names []string
	for _, part := range rule["Fn::Join"].([]any)[1].([]any) {
		if m, ok := part.(map[string]any); ok {
			names = append(names, props(s.resources("AWS::CloudWatch::Alarm")[ref(t, m)])["AlarmName"].(string))
		} else {
			assert.Regexp(t, `^(\(ALARM\("|"\) OR ALARM\("|"\)\))$`, part)
		}
	}
	var want []string
	for _, k := range alarmname.PagingKinds() {
		want = append(want, "Sfprobe-"+string(k))
	}
	assert.Equal(t, want, names)
}

func TestTopic(t *testing.T) {
	s := synth(t, "default")
	key := assertions.NewCapture(nil)
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
		"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
	})
	k := s.resources("AWS::KMS::Key")[*key.AsString()]
	require.NotNil(t, k)
	assert.Equal(t, true, props(k)["EnableKeyRotation"])
	assert.Equal(t, "Delete", k["DeletionPolicy"])
	s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
		"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Effect":    "Allow",
		})})},
	})
	s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": []any{
			map[string]any{
				"Sid": "AllowPublishThroughSSLOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				"Resource":  assertions.Match_AnyValue(),
			},
			map[string]any{
				"Sid": "AllowCloudWatchAlarmsToPublish", "Effect": "Allow", "Action": "sns:Publish",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"},
					"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"},
				},
				"Resource": assertions.Match_AnyValue(),
			},
		}},
	})
	s.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
	synth(t, "full").template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "oncall@example.com",
	})
}

func TestDashboard(t *testing.T) {
	for variant, wantLatency := range map[string]bool{"default": false, "full": true} {
		s := synth(t, variant)
		c := s.stack.config()
		body := assertions.NewCapture(nil)
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]any{
			"DashboardName": c.StackName + "-us-east-1",
			"DashboardBody": body,
		})
		raw, err := json.Marshal(body.AsObject())
		require.NoError(t, err)
		text := string(raw)
		checks, err := Checks()
		require.NoError(t, err)
		for _, ch := range checks {
			assert.Contains(t, text, `\"`+ch+`\"`, "%s: per-check graphs show %s", variant, ch)
		}
		for _, m := range []string{metricname.RunSuccess, metricname.CheckFailure, "alarm"} {
			assert.Contains(t, text, m)
		}
		// RunDuration and CheckLatency are detailed metrics; without them
		// the duration graph shows the state machine's ExecutionTime.
		assert.Equal(t, wantLatency, strings.Contains(text, `\"`+metricname.CheckLatency+`\"`), variant)
		assert.Equal(t, wantLatency, strings.Contains(text, `\"`+metricname.RunDuration+`\"`), variant)
		assert.Equal(t, !wantLatency, strings.Contains(text, `\"ExecutionTime\"`), variant)
	}
}

func TestDashboardOptional(t *testing.T) {
	s := synth(t, "lean")
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(0))
	outputs, _ := (*s.template.ToJSON())["Outputs"].(map[string]any)
	require.NotEmpty(t, outputs)
	assert.NotContains(t, outputs, OutputDashboardName)
}

func TestOutputs(t *testing.T) {
	s := synth(t, "default")
	for _, o := range []string{OutputStateMachineArn, OutputTopicArn, OutputDashboardName, OutputPauseParameter, OutputPagingAlarmName} {
		s.template.HasOutput(jsii.String(o), map[string]any{"Value": assertions.Match_AnyValue()})
	}
	s.template.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), map[string]any{
		"Name": "/sfprobe/Sfprobe/paused", "Type": "String", "Value": `{"paused":false}`,
	})
	s.template.HasOutput(jsii.String(OutputPauseParameter), map[string]any{"Value": "/sfprobe/Sfprobe/paused"})
}

func TestStackEnvironmentFromTarget(t *testing.T) {
	s := synth(t, "default")
	assert.Equal(t, "123456789012", *s.stack.Account())
	assert.Equal(t, "us-east-1", *s.stack.Region())
	assert.Equal(t, "Sfprobe", *s.stack.StackName())
}

func TestCdkNagAwsSolutions(t *testing.T) {
	for variant := range variants {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			ann := assertions.Annotations_FromStack(s.stack.Stack)
			pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			errs := ann.FindError(jsii.String("*"), pattern)
			for _, e := range *errs {
				t.Errorf("%s: %v", *e.Id, e.Entry.Data)
			}
			warns := ann.FindWarning(jsii.String("*"), pattern)
			for _, w := range *warns {
				t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
			}
		})
	}
}

func TestChecksFromDefinition(t *testing.T) {
	got, err := Checks()
	require.NoError(t, err)
	assert.Equal(t, []string{"TargetConfig", "SecretAccess", "KmsKey", "ConnectAccess", "SalesforceLogin", "PhoneLookup", "CreateCase", "CloseCase", "VerifyCaseClosed"}, got)
}

func TestNewStackRejects(t *testing.T) {
	ctx := required()
	ctx["assetRoot"] = t.TempDir() // no bootstraps
	cfg, err := ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	app := newApp(t)
	_, err = NewStack(app, "Missing", &StackProps{Config: cfg})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check-config/bootstrap is missing: run make build")
	assert.Nil(t, app.Node().TryFindChild(jsii.String("Missing")), "missing assets make no construct")

	cfg.TestPhone = "nope"
	_, err = NewStack(app, "Invalid", &StackProps{Config: cfg})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "testPhone:")
	assert.Nil(t, app.Node().TryFindChild(jsii.String("Invalid")), "an invalid configuration makes no construct")
}

// TestEmptySubstitutionLintScope: cfn-lint's E1029 is ignored on the state
// machine only when a substitution is "". Since the default target travels
// as one JSON substitution (DefaultTargets), an unset connectInstanceArn is
// no longer a substitution of its own; the Distributed Map's
// DefaultTargetsBucket and DefaultTargetsKey are "" at most 50 targets
// (and ResultsBucket in an EXPRESS stack), where the definition has them.
func TestEmptySubstitutionLintScope(t *testing.T) {
	for _, variant := range []string{"default", "full"} {
		c := synth(t, variant).stack.config()
		want := false
		for _, k := range documentKeys(deployedDefinition(c)) {
			want = want || k == workflow.DefaultTargetsKey || (k == workflow.ResultsBucket && !c.resultsBucket())
		}
		for _, r := range synth(t, variant).resources("AWS::StepFunctions::StateMachine") {
			md, _ := r["Metadata"].(map[string]any)
			_, got := md["cfn-lint"]
			assert.Equal(t, want, got, variant)
			if got {
				assert.Equal(t, map[string]any{"config": map[string]any{"ignore_checks": []any{"E1029"}}}, md["cfn-lint"])
			}
		}
	}
}
