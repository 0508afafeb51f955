package monitor

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
)

// TargetRoleTemplate is the committed plain template of NewTargetRoleStack
// (make target-role-template rewrites it: go test -run
// TestTargetRoleTemplateUpToDate ./cdk/monitor/ -update).
const TargetRoleTemplate = "../templates/sfprobe-target-role.template.json"

var updateTemplate = flag.Bool("update", false, "rewrite "+TargetRoleTemplate+" from a fresh synthesis")

// The role targets of the fleetRoles variant: two accounts reached through
// their role, beside fleet.yaml's first target reached directly.
const (
	testTargetRoleA = "arn:aws:iam::210987654321:role/sfprobe-target"
	testTargetRoleB = "arn:aws:iam::310987654321:role/sfprobe-target"
)

func init() {
	testFiles["fleet-roles.yaml"] = `targets:
  - function: ` + testFunctionArn + `
    phone: "+441122334455"
    secret_arn: ` + testSecretArn + `
    kms_key_arn: ` + testKeyArn + `
    name: direct
  - function: ` + testEUFunctionArn + `:live
    phone: "+15005550006"
    connect_instance_arn: ` + testEUConnectArn + `
    role_arn: ` + testTargetRoleA + `
    external_id: 8c1f0d2e-sfprobe
    name: through-role
  - function: arn:aws:lambda:us-west-2:310987654321:function:sfInvokeAPI
    phone: "+15005550007"
    secret_arn: arn:aws:secretsmanager:us-west-2:310987654321:secret:sfcreds-QwErTy
    role_arn: ` + testTargetRoleB + `
    external_id: 8c1f0d2e-sfprobe
    name: aws-managed-key
`
	variants["fleetRoles"] = map[string]any{"targetsFile": "fleet-roles.yaml", "stackName": "SfprobeRoles"}
}

var (
	targetRoleOnce sync.Once
	targetRoleDoc  map[string]any
	targetRoleRaw  []byte
	targetRoleNag  assertions.Annotations
)

// targetRoleTemplate synthesizes NewTargetRoleStack once, with the
// AwsSolutions checks, and returns the template as JSON (as committed).
func targetRoleTemplate(t *testing.T) (map[string]any, []byte) {
	t.Helper()
	targetRoleOnce.Do(func() {
		app := newApp(t)
		stack, _ := NewTargetRoleStack(app, "SfprobeTargetRole")
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		tmpl := assertions.Template_FromStack(stack, nil)
		raw, err := json.Marshal(tmpl.ToJSON())
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &targetRoleDoc))
		// Indented, keys sorted, < and > as they are (the suppressions'
		// <AWS::Region>).
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		require.NoError(t, enc.Encode(targetRoleDoc))
		targetRoleRaw = buf.Bytes()
		targetRoleNag = assertions.Annotations_FromStack(stack)
	})
	require.NotNil(t, targetRoleDoc, "the target role stack did not synthesize")
	return targetRoleDoc, targetRoleRaw
}

// targetRolePolicy returns the role's resource and its one inline policy's
// statements.
func targetRolePolicy(t *testing.T) (map[string]any, []any) {
	t.Helper()
	doc, _ := targetRoleTemplate(t)
	var roles []map[string]any
	for _, r := range doc["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == "AWS::IAM::Role" {
			roles = append(roles, r.(map[string]any))
		}
	}
	require.Len(t, roles, 1, "one role")
	policies := props(roles[0])["Policies"].([]any)
	require.Len(t, policies, 1)
	return roles[0], policies[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
}

// unwrapIf returns a statement and the condition it holds under ("" always).
func unwrapIf(t *testing.T, st any) (map[string]any, string) {
	t.Helper()
	m := st.(map[string]any)
	if f, ok := m["Fn::If"].([]any); ok {
		require.Len(t, f, 3)
		assert.Equal(t, map[string]any{"Ref": "AWS::NoValue"}, f[2], "a conditional statement is left out otherwise")
		return f[1].(map[string]any), f[0].(string)
	}
	return m, ""
}

func TestTargetRoleOnlyResources(t *testing.T) {
	doc, _ := targetRoleTemplate(t)
	types := map[string]int{}
	for _, r := range doc["Resources"].(map[string]any) {
		types[r.(map[string]any)["Type"].(string)]++
	}
	// No CDK metadata, no asset, no bootstrap parameter or rule: the plain
	// template deploys with aws cloudformation deploy and in a StackSet.
	assert.Equal(t, map[string]int{"AWS::IAM::Role": 1}, types)
	assert.NotContains(t, doc, "Rules")
	params := doc["Parameters"].(map[string]any)
	assert.NotContains(t, params, "BootstrapVersion")
	var names []string
	for _, p := range targetRoleParams {
		names = append(names, p.name)
	}
	assert.ElementsMatch(t, names, keys(params), "the documented parameters, nothing else")
	assert.Equal(t, true, params[ParamExternalID].(map[string]any)["NoEcho"], "the ExternalId is not shown")
	assert.Equal(t, float64(1224), params[ParamExternalID].(map[string]any)["MaxLength"], "STS's longest ExternalId")
	assert.Equal(t, DefaultTargetRoleName, params[ParamRoleName].(map[string]any)["Default"])
	for _, p := range []string{ParamKmsKeyArn, ParamConnectInstanceID, ParamExecutionRoleName, ParamOperatorRoleArn} {
		assert.Equal(t, "", params[p].(map[string]any)["Default"], "%s is optional", p)
	}
	for _, p := range []string{ParamMonitorAccountID, ParamMonitorRolePrefix, ParamExternalID, ParamFunctionName, ParamSecret} {
		assert.NotContains(t, params[p].(map[string]any), "Default", "%s is required", p)
	}
	out := doc["Outputs"].(map[string]any)[OutputTargetRoleArn].(map[string]any)
	assert.Equal(t, "Arn", out["Value"].(map[string]any)["Fn::GetAtt"].([]any)[1])
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTargetRolePolicyFromTheTable: the role grants exactly the rows of
// targetAccesses, each on this account's named resources, the optional
// ones only when their parameter is given.
func TestTargetRolePolicyFromTheTable(t *testing.T) {
	_, statements := targetRolePolicy(t)
	fn := "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}"
	instance := "arn:${AWS::Partition}:connect:${AWS::Region}:${AWS::AccountId}:instance/${ConnectInstanceId}"
	secret := map[string]any{"Fn::If": []any{"SecretIsArn", map[string]any{"Ref": "Secret"},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Secret}-??????"}}}
	s := func(v string) any { return map[string]any{"Fn::Sub": v} }
	want := map[string]struct {
		resources any
		cond      string
	}{
		SidReadTargetConfig: {[]any{s(fn), s(fn + ":*")}, ""},
		SidReadSecret:       {[]any{secret}, ""},
		SidReadKey: {[]any{map[string]any{"Fn::If": []any{"HasKmsKey", map[string]any{"Ref": "KmsKeyArn"},
			s("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")}}}, ""},
		SidDecryptViaSecrets: {[]any{map[string]any{"Ref": "KmsKeyArn"}}, "HasKmsKey"},
		SidListConnect:       {[]any{s(instance)}, "HasConnectInstance"},
		SidDescribeFlows:     {[]any{s(instance + "/contact-flow/*"), s(instance + "/flow-module/*")}, "HasConnectInstance"},
		SidSimulateRole:      {[]any{s("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ExecutionRoleName}")}, "HasExecutionRole"},
		SidInvokeTarget:      {[]any{s(fn), s(fn + ":*")}, ""},
		SidReadTargetTimeout: {[]any{s(fn), s(fn + ":*")}, ""},
	}
	require.Len(t, statements, len(targetAccesses), "one statement per row of the table")
	for i, raw := range statements {
		st, cond := unwrapIf(t, raw)
		a := targetAccesses[i]
		t.Run(a.Sid, func(t *testing.T) {
			assert.Equal(t, a.Sid, st["Sid"])
			assert.Equal(t, "Allow", st["Effect"])
			var actions []string
			for _, x := range st["Action"].([]any) {
				actions = append(actions, x.(string))
			}
			assert.Equal(t, a.Actions, actions, "the table's actions")
			w, ok := want[a.Sid]
			require.True(t, ok, "a new row of targetAccesses: say here what it names in the target account")
			assert.Equal(t, w.resources, st["Resource"])
			assert.Equal(t, w.cond, cond)
			if a.ViaSecretsManager {
				// StringLike: a secret given by name is a pattern.
				assert.Equal(t, map[string]any{
					"StringEquals": map[string]any{"kms:ViaService": s("secretsmanager.${AWS::Region}.amazonaws.com")},
					"StringLike":   map[string]any{"kms:EncryptionContext:SecretARN": secret},
				}, st["Condition"])
			} else {
				assert.NotContains(t, st, "Condition")
			}
		})
	}
}

func TestTargetRoleTrust(t *testing.T) {
	role, _ := targetRolePolicy(t)
	assert.Equal(t, map[string]any{"Ref": ParamRoleName}, props(role)["RoleName"])
	trust := props(role)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	require.Len(t, trust, 2)
	externalID := map[string]any{"sts:ExternalId": map[string]any{"Ref": ParamExternalID}}
	assert.Equal(t, map[string]any{
		"Sid":       SidTrustMonitorRoles,
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${MonitorAccountId}:root"}},
		"Action":    "sts:AssumeRole",
		"Condition": map[string]any{
			"StringEquals": externalID,
			"ArnLike":      map[string]any{"aws:PrincipalArn": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${MonitorAccountId}:role/${MonitorRolePrefix}*"}},
		},
	}, trust[0])
	op, cond := unwrapIf(t, trust[1])
	assert.Equal(t, "HasOperatorRole", cond, "the operator's role only when given")
	assert.Equal(t, map[string]any{
		"Sid": SidTrustOperator, "Effect": "Allow", "Principal": map[string]any{"AWS": map[string]any{"Ref": ParamOperatorRoleArn}},
		"Action": "sts:AssumeRole", "Condition": map[string]any{"StringEquals": externalID},
	}, op)
}

// TestTargetRoleTrustMatchesMonitorRoles: up to MaxPrefixStackName
// characters of stack name, the generated names of the monitor's roles
// that assume target roles start with "<stack name>-", the documented
// MonitorRolePrefix.
func TestTargetRoleTrustMatchesMonitorRoles(t *testing.T) {
	s := synth(t, "fleetRoles")
	longest := 0
	for _, fn := range assumingFunctions {
		_, f := s.function(t, fn)
		longest = max(longest, len(ref(t, props(f)["Role"])))
	}
	// <stack name>-<logical id>-<13 characters>, at most 64.
	assert.Equal(t, MaxPrefixStackName, 64-1-longest-1-13, "the roles' logical ids changed: update MaxPrefixStackName and docs/DEPLOY.md")
	assert.GreaterOrEqual(t, MaxPrefixStackName, len(DefaultStackName))
}

func TestTargetRoleCdkNag(t *testing.T) {
	targetRoleTemplate(t)
	pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, e := range *targetRoleNag.FindError(jsii.String("*"), pattern) {
		t.Errorf("%s: %v", *e.Id, e.Entry.Data)
	}
	for _, w := range *targetRoleNag.FindWarning(jsii.String("*"), pattern) {
		t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
	}
}

// TestTargetRoleTemplateUpToDate fails when the committed template differs
// from a fresh synthesis; -update rewrites it.
func TestTargetRoleTemplateUpToDate(t *testing.T) {
	_, raw := targetRoleTemplate(t)
	if *updateTemplate {
		require.NoError(t, os.WriteFile(TargetRoleTemplate, raw, 0o644))
		return
	}
	committed, err := os.ReadFile(TargetRoleTemplate)
	require.NoError(t, err, "make target-role-template writes it")
	assert.Equal(t, string(raw), string(committed), "%s is stale: run make target-role-template", TargetRoleTemplate)
}

// TestTargetRoleTemplateCfnLint lints the committed template with cfn-lint.
func TestTargetRoleTemplateCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("SFPROBE_REQUIRE_TOOLS") != "" {
			t.Fatalf("cfn-lint: %v (SFPROBE_REQUIRE_TOOLS is set)", err)
		}
		t.Skipf("cfn-lint not found (set SFPROBE_REQUIRE_TOOLS=1 to fail instead): %v", err)
	}
	out, err := exec.Command(lint, "--non-zero-exit-code", "error", TargetRoleTemplate).CombinedOutput()
	assert.NoError(t, err, "cfn-lint:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "cfn-lint reports nothing, warnings included")
}

// TestRoleTargetsGetOnlyAssumeRole: a target with role_arn gets no grant
// on its resources in the monitor; check-config, check-salesforce and
// cleanup get sts:AssumeRole on exactly the targets' roles.
func TestRoleTargetsGetOnlyAssumeRole(t *testing.T) {
	s := synth(t, "fleetRoles")
	target := []any{testFunctionArn, testFunctionArn + ":*"}
	assume := statement{SidAssumeTargetRoles, []string{"sts:AssumeRole"}, []any{testTargetRoleA, testTargetRoleB}, nil}
	want := map[string][]statement{
		FnCheckConfig: {
			{SidReadTargetConfig, []string{"lambda:GetFunctionConfiguration", "lambda:GetPolicy"}, target, nil},
			{SidReadSecret, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"}, []any{testSecretArn}, nil},
			{SidReadKey, []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, []any{testKeyArn}, nil},
			{SidDecryptViaSecrets, []string{"kms:Decrypt"}, []any{testKeyArn}, map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": testSecretArn,
			}}},
			// No Connect grant: the instance is the role target's.
			assume,
		},
		FnCheckSalesforce: {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, target, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, target, nil}, assume},
		FnCleanup:         {{SidInvokeTarget, []string{"lambda:InvokeFunction"}, target, nil}, {SidReadTargetTimeout, []string{"lambda:GetFunctionConfiguration"}, target, nil}, assume},
		FnPublishMetrics:  {},
	}
	for fn, w := range want {
		t.Run(fn, func(t *testing.T) {
			_, f := s.function(t, fn)
			got := s.roleStatements(t, ref(t, props(f)["Role"]))
			assert.Equal(t, w, got[1:], "beyond its own logs")
		})
	}
}

// TestAssumeRoleGrantsScale: 1,000 targets through roles named as the
// template names them fit the 10 managed policies a role takes, each
// role listed once, each document within IAM's size.
func TestAssumeRoleGrantsScale(t *testing.T) {
	ts := make([]check.Target, 1000)
	for i := range ts {
		acct := fmt.Sprintf("%012d", 100000000000+i)
		ts[i] = check.Target{
			Function: "arn:aws:lambda:eu-west-2:" + acct + ":function:AmazonConnectSalesforceLambda-sfInvokeAPI-AbCdEfGh",
			RoleARN:  "arn:aws:iam::" + acct + ":role/" + DefaultTargetRoleName,
		}
	}
	for _, fn := range assumingFunctions {
		docs, err := packGrants(fn, ts)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(docs), maxManagedPolicies)
		seen := map[string]int{}
		for _, d := range docs {
			assert.LessOrEqual(t, policySize(d), maxManagedPolicy)
			require.Len(t, d, 1, "only sts:AssumeRole")
			assert.Equal(t, SidAssumeTargetRoles, d[0].Sid)
			for _, r := range d[0].Resource {
				seen[r]++
			}
		}
		assert.Len(t, seen, len(ts))
		for r, n := range seen {
			assert.Equal(t, 1, n, r)
		}
		t.Logf("%s: %d targets through roles take %d managed policies", fn, len(ts), len(docs))
	}
}

func TestRoleTargetEntries(t *testing.T) {
	entry := func(role string) string {
		return `targets:
  - function: arn:aws:lambda:us-east-1:210987654321:function:sfInvokeAPI
    phone: "+15005550006"
    role_arn: ` + role + `
`
	}
	read := func(body string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(body), nil }
	}
	// Through a role, secret_arn and kms_key_arn are optional (the AWS
	// managed key is fine in the target's account).
	_, err := ConfigFrom(map[string]any{"targetsFile": "t.yaml", "assetRoot": "dist"}, read(entry(testTargetRoleA)))
	assert.NoError(t, err)
	_, err = ConfigFrom(map[string]any{"targetsFile": "t.yaml", "assetRoot": "dist"}, read(entry("arn:aws-cn:iam::210987654321:role/sfprobe-target")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "targets[0].role_arn: partition aws-cn differs from function's aws")
	// Without a role they are required, as before.
	_, err = ConfigFrom(map[string]any{"targetsFile": "t.yaml", "assetRoot": "dist"}, read(strings.ReplaceAll(entry("x"), "    role_arn: x\n", "")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "targets[0].secret_arn: required for a stack")
}

// TestTargetRoleDocs: docs/DEPLOY.md's section lists every parameter and
// every statement of the role, and its targets-file entry is valid for a
// stack.
func TestTargetRoleDocs(t *testing.T) {
	raw, err := os.ReadFile("../../docs/DEPLOY.md")
	require.NoError(t, err)
	doc := string(raw)
	start := strings.Index(doc, "### Targets in other accounts")
	require.GreaterOrEqual(t, start, 0, "docs/DEPLOY.md has the section Targets in other accounts")
	section := doc[start:]
	section = section[:strings.Index(section, "\n## ")]
	for _, p := range targetRoleParams {
		assert.Contains(t, section, "| `"+p.name+"` |", "the parameter table lists %s", p.name)
	}
	for _, a := range targetAccesses {
		assert.Contains(t, section, "| `"+a.Sid+"` |", "the grant table lists %s", a.Sid)
	}
	assert.Contains(t, section, fmt.Sprintf("up to %d characters", MaxPrefixStackName))
	assert.Contains(t, section, "default `"+DefaultTargetRoleName+"`")
	i := strings.Index(section, "```yaml\ntargets:")
	require.GreaterOrEqual(t, i, 0, "the section has a targets file entry")
	example := section[i+len("```yaml\n"):]
	example = example[:strings.Index(example, "```")]
	_, err = ConfigFrom(map[string]any{"targetsFile": "entry.yaml", "assetRoot": "dist"}, func(string) ([]byte, error) { return []byte(example), nil })
	assert.NoError(t, err, "the documented entry is valid for a stack")
}

// TestTargetRoleParameterPatterns: each parameter's AllowedPattern takes
// the values the docs show and refuses the mistakes CloudFormation should
// stop before the role exists (the patterns are plain enough to mean the
// same in Go and in CloudFormation's Java regexes).
func TestTargetRoleParameterPatterns(t *testing.T) {
	cases := map[string]struct{ ok, bad []string }{
		ParamMonitorAccountID:  {[]string{"111111111111"}, []string{"", "11111111111", "arn:aws:iam::111111111111:root"}},
		ParamMonitorRolePrefix: {[]string{"Sfprobe-", "SfprobeFleet-FunctionsCheck"}, []string{"", "Sfprobe-*", "a/b"}},
		ParamExternalID:        {[]string{"3f9c2a7d0e41b6c85a1d9e0f7b2c4d6e", "8c1f0d2e-sfprobe"}, []string{"", "x", "has space"}},
		ParamFunctionName:      {[]string{"sfInvokeAPI", "AmazonConnectSalesforceLambda-sfInvokeAPI-Ab12Cd"}, []string{"", "sfInvokeAPI:live", testFunctionArn}},
		ParamExecutionRoleName: {[]string{"", "sfLambdaBasicExec-Ab12Cd", "service-role/sfInvokeAPIRole"}, []string{testRoleArn}},
		ParamSecret:            {[]string{testSecretArn, "SalesforceCredentials", "prod/sf-creds"}, []string{"", "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfcreds"}},
		ParamKmsKeyArn:         {[]string{"", testKeyArn}, []string{"arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager", "1234abcd-12ab-34cd-56ef-1234567890ab"}},
		ParamConnectInstanceID: {[]string{"", "aaaabbbb-cccc-dddd-eeee-ffff00001111"}, []string{testConnectArn}},
		ParamOperatorRoleArn:   {[]string{"", "arn:aws:iam::111111111111:role/ops/sfprobe-operator"}, []string{"arn:aws:iam::111111111111:user/me"}},
		ParamRoleName:          {[]string{DefaultTargetRoleName}, []string{"", "path/name"}},
	}
	for _, p := range targetRoleParams {
		c, ok := cases[p.name]
		require.True(t, ok, "a new parameter %s: add its cases", p.name)
		re := regexp.MustCompile(p.pattern)
		for _, v := range c.ok {
			assert.True(t, re.MatchString(v), "%s takes %q", p.name, v)
		}
		for _, v := range c.bad {
			assert.False(t, re.MatchString(v), "%s refuses %q", p.name, v)
		}
	}
}
