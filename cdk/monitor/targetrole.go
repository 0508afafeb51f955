package monitor

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The target role's CloudFormation parameters. Everything that differs per
// target account is one of them, so that one template serves every account
// (aws cloudformation deploy, or a StackSet over an organizational unit).
const (
	// ParamMonitorAccountID is the account of sfprobe's monitor stack.
	ParamMonitorAccountID = "MonitorAccountId"
	// ParamMonitorRolePrefix is the start of the monitor's role names:
	// CloudFormation names them <stack name>-<logical id>-<suffix> (and
	// shortens a name past IAM's 64 characters), so "<stack name>-" for
	// a stack name of at most MaxPrefixStackName characters.
	ParamMonitorRolePrefix = "MonitorRolePrefix"
	// ParamExternalID is the ExternalId sfprobe sends (NoEcho).
	ParamExternalID = "ExternalId"
	// ParamFunctionName is sfInvokeAPI's function name in this account.
	ParamFunctionName = "FunctionName"
	// ParamExecutionRoleName is the function's execution role (with its
	// path, if any); empty: no IAM simulation.
	ParamExecutionRoleName = "ExecutionRoleName"
	// ParamSecret is the credentials secret: its complete ARN or its name.
	ParamSecret = "Secret"
	// ParamKmsKeyArn is the secret's customer managed key; empty: the AWS
	// managed key aws/secretsmanager.
	ParamKmsKeyArn = "KmsKeyArn"
	// ParamConnectInstanceID is the Amazon Connect instance's id; empty:
	// no Connect grants.
	ParamConnectInstanceID = "ConnectInstanceId"
	// ParamOperatorRoleArn is one more principal (an operator's role for
	// a laptop's sfprobe run) trusted with the same ExternalId; empty:
	// none.
	ParamOperatorRoleArn = "OperatorRoleArn"
	// ParamRoleName is the role's name.
	ParamRoleName = "RoleName"
)

// MaxPrefixStackName is the longest monitor stack name whose function
// roles' generated names need no shortening (64 characters: the stack
// name, the longest logical id of the roles, FunctionsCheckSalesforceRole
// and 8 hex digits, and CloudFormation's 13-character suffix, joined by
// hyphens): up to it, MonitorRolePrefix is "<stack name>-".
const MaxPrefixStackName = 64 - 1 - 36 - 1 - 13

// DefaultTargetRoleName is the target role's default name.
const DefaultTargetRoleName = "sfprobe-target"

// OutputTargetRoleArn is the output holding the role's ARN: a target's
// role_arn.
const OutputTargetRoleArn = "RoleArn"

// The target role's CloudFormation conditions.
const (
	condHasKmsKey        = "HasKmsKey"
	condHasConnect       = "HasConnectInstance"
	condHasExecutionRole = "HasExecutionRole"
	condSecretIsArn      = "SecretIsArn"
	condHasOperator      = "HasOperatorRole"
)

// The Sids of the target role's trust policy.
const (
	SidTrustMonitorRoles = "SfprobeMonitorRoles"
	SidTrustOperator     = "SfprobeOperatorRole"
)

// TargetRole is the role sfprobe assumes in a target's account: the
// checks' calls of targetAccesses on that account's function, secret, key,
// Connect instance and execution role, trusted by sfprobe's roles in the
// monitor account with the ExternalId.
type TargetRole struct {
	constructs.Construct
	Role awsiam.CfnRole
	// Parameters are the stack's parameters, by name (Param...).
	Parameters map[string]awscdk.CfnParameter
}

// targetRoleParams are the parameters: name, description, default (nil:
// required), pattern, NoEcho, the longest value (0: the pattern's bound).
var targetRoleParams = []struct {
	name, description string
	def               *string
	pattern           string
	noEcho            bool
	// maxLength, when not 0, bounds the value's length.
	maxLength int
}{
	{ParamMonitorAccountID, "The AWS account id of sfprobe's monitor stack (12 digits).", nil, `^\d{12}$`, false, 0},
	{ParamMonitorRolePrefix, "The start of sfprobe's monitor role names: <monitor stack name>- (CloudFormation names them <stack name>-<logical id>-<suffix> and shortens longer names; docs/DEPLOY.md shows how to read them). Only roles of the monitor account whose name starts so may assume this role.", nil, `^[\w+=,.@-]{1,64}$`, false, 0},
	{ParamExternalID, "The ExternalId sfprobe sends: the targets file's external_id for this target (2 to 1224 of letters, digits and _+=,.@:/-).", nil, `^[\w+=,.@:/-]{2,}$`, true, 1224},
	{ParamFunctionName, "The name of the sfInvokeAPI function in this account and region (no ARN, no qualifier; its versions and aliases are covered).", nil, `^[A-Za-z0-9_-]{1,64}$`, false, 0},
	{ParamExecutionRoleName, "The function's execution role name, with its path if it has one (service-role/MyRole); empty: sfprobe's KmsKey check skips the simulation of that role's policies.", jsii.String(""), `^([\w+=,.@-]+/)*[\w+=,.@-]{0,64}$`, false, 0},
	{ParamSecret, "The function's credentials secret (SF_CREDENTIALS_SECRETS_MANAGER_ARN): its complete ARN (ending in - and 6 characters), or its name.", nil, `^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}|[\w/+=.@-]{1,512})$`, false, 0},
	{ParamKmsKeyArn, "The secret's customer managed KMS key ARN; empty: the AWS managed key aws/secretsmanager.", jsii.String(""), `^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+)?$`, false, 0},
	{ParamConnectInstanceID, "The Amazon Connect instance id whose flows call the function; empty: no Connect grants (ConnectAccess then reads only the function's resource policy).", jsii.String(""), `^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$`, false, 0},
	{ParamOperatorRoleArn, "An operator's role ARN also trusted (with the same ExternalId), for sfprobe run from a laptop; empty: only the monitor's roles.", jsii.String(""), `^(arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+)?$`, false, 0},
	{ParamRoleName, "The name of this role (what role_arn names).", jsii.String(DefaultTargetRoleName), `^[\w+=,.@-]{1,64}$`, false, 0},
}

// NewTargetRole creates the target role and its parameters and conditions.
// The parameters and conditions are the stack's (plain logical ids, so
// that the template's parameter names are the documented ones): one
// target role per stack.
func NewTargetRole(scope constructs.Construct, id string) *TargetRole {
	stack := awscdk.Stack_Of(scope)
	node := constructs.NewConstruct(scope, jsii.String(id))
	r := &TargetRole{Construct: node, Parameters: map[string]awscdk.CfnParameter{}}
	for _, p := range targetRoleParams {
		props := &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			Description:    jsii.String(p.description),
			AllowedPattern: jsii.String(p.pattern),
			NoEcho:         noEcho(p.noEcho),
			Default:        p.def,
		}
		if p.maxLength > 0 {
			props.MaxLength = jsii.Number(p.maxLength)
		}
		r.Parameters[p.name] = awscdk.NewCfnParameter(stack, jsii.String(p.name), props)
	}
	notEmpty := func(id, param string) {
		awscdk.NewCfnCondition(stack, jsii.String(id), &awscdk.CfnConditionProps{
			Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(r.Parameters[param].ValueAsString(), jsii.String(""))),
		})
	}
	notEmpty(condHasKmsKey, ParamKmsKeyArn)
	notEmpty(condHasConnect, ParamConnectInstanceID)
	notEmpty(condHasExecutionRole, ParamExecutionRoleName)
	notEmpty(condHasOperator, ParamOperatorRoleArn)
	// A secret name has no colon: an ARN's first field is "arn".
	awscdk.NewCfnCondition(stack, jsii.String(condSecretIsArn), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(
			awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String(":"), r.Parameters[ParamSecret].ValueAsString(), nil)),
			jsii.String("arn")),
	})

	var statements []any
	for _, a := range targetAccesses {
		statements = append(statements, targetRoleStatement(a))
	}
	r.Role = awsiam.NewCfnRole(node, jsii.String("Role"), &awsiam.CfnRoleProps{
		RoleName:    r.Parameters[ParamRoleName].ValueAsString(),
		Description: jsii.String("sfprobe: the health checks' read and invoke access to this account's sfInvokeAPI, assumed by sfprobe's monitor with the ExternalId"),
		AssumeRolePolicyDocument: map[string]any{
			"Version":   "2012-10-17",
			"Statement": targetRoleTrust(),
		},
		Policies: []any{&awsiam.CfnRole_PolicyProperty{
			PolicyName: jsii.String("sfprobe-checks"),
			PolicyDocument: map[string]any{
				"Version":   "2012-10-17",
				"Statement": statements,
			},
		}},
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputTargetRoleArn), &awscdk.CfnOutputProps{
		Value:       r.Role.AttrArn(),
		Description: jsii.String("the role's ARN: the targets file entry's role_arn"),
	})
	addTargetRoleNagSuppressions(r.Role)
	return r
}

// noEcho is NoEcho true, or nothing.
func noEcho(on bool) *bool {
	if on {
		return jsii.Bool(true)
	}
	return nil
}

// sub is {"Fn::Sub": s}: the template stays readable.
func sub(s string) map[string]any { return map[string]any{"Fn::Sub": s} }

func refOf(name string) map[string]any { return map[string]any{"Ref": name} }

func ifThen(cond string, then, otherwise any) map[string]any {
	return map[string]any{"Fn::If": []any{cond, then, otherwise}}
}

var noValue = refOf("AWS::NoValue")

const (
	// targetFunction is the function in this account and region.
	targetFunction = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}"
	// targetInstance is the Connect instance in this account and region.
	targetInstance = "arn:${AWS::Partition}:connect:${AWS::Region}:${AWS::AccountId}:instance/${ConnectInstanceId}"
)

// anyKey is every key of this account and region.
const anyKey = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"

// targetSecret is the secret: its ARN as given, or the ARNs of a secret of
// that name (Secrets Manager appends - and 6 characters).
var targetSecret = ifThen(condSecretIsArn, refOf(ParamSecret),
	sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Secret}-??????"))

// targetRoleResources are the resources a row of targetAccesses names in
// the target's account, and the condition the statement holds under
// ("" always).
func targetRoleResources(on targetResource) (resources any, cond string) {
	switch on {
	case onFunction:
		return []any{sub(targetFunction), sub(targetFunction + ":*")}, ""
	case onSecret:
		return []any{targetSecret}, ""
	case onKey:
		// The AWS managed key's id is not known here: the read actions
		// (metadata only) go on this account's and region's keys. Its key
		// policy lets every principal of the account use it through
		// Secrets Manager, so Decrypt needs no grant (targetRoleStatement).
		return []any{ifThen(condHasKmsKey, refOf(ParamKmsKeyArn), sub(anyKey))}, ""
	case onInstance:
		return []any{sub(targetInstance)}, condHasConnect
	case onFlows:
		return []any{sub(targetInstance + "/contact-flow/*"), sub(targetInstance + "/flow-module/*")}, condHasConnect
	case onExecutionRole:
		return []any{sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ExecutionRoleName}")}, condHasExecutionRole
	}
	panic("targetrole: unknown resource kind")
}

// targetRoleStatement is row a of targetAccesses as a statement of the
// target role's policy, under its condition.
func targetRoleStatement(a targetAccess) any {
	resources, cond := targetRoleResources(a.On)
	st := map[string]any{"Sid": a.Sid, "Effect": "Allow", "Action": a.Actions, "Resource": resources}
	if a.ViaSecretsManager {
		// StringLike for the secret: given its name, the ARN is the
		// -?????? pattern (given its ARN, which holds no * or ?, it
		// compares as equal).
		st["Condition"] = map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": sub("secretsmanager.${AWS::Region}.amazonaws.com")},
			"StringLike":   map[string]any{"kms:EncryptionContext:SecretARN": targetSecret},
		}
		// With the AWS managed key, its key policy grants this.
		cond = condHasKmsKey
		// The key's ARN only.
		st["Resource"] = []any{refOf(ParamKmsKeyArn)}
	}
	if cond == "" {
		return st
	}
	return ifThen(cond, st, noValue)
}

// targetRoleTrust is the trust policy: the monitor account's roles whose
// names start with the monitor stack's prefix (aws:PrincipalArn) with the
// ExternalId, and the operator's role when given. The monitor's own
// policies narrow the stack's roles further: only check-config,
// check-salesforce and cleanup have sts:AssumeRole on this role.
func targetRoleTrust() []any {
	externalID := map[string]any{"sts:ExternalId": refOf(ParamExternalID)}
	return []any{
		map[string]any{
			"Sid":       SidTrustMonitorRoles,
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": sub("arn:${AWS::Partition}:iam::${MonitorAccountId}:root")},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": externalID,
				"ArnLike":      map[string]any{"aws:PrincipalArn": sub("arn:${AWS::Partition}:iam::${MonitorAccountId}:role/${MonitorRolePrefix}*")},
			},
		},
		ifThen(condHasOperator, map[string]any{
			"Sid":       SidTrustOperator,
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": refOf(ParamOperatorRoleArn)},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{"StringEquals": externalID},
		}, noValue),
	}
}

// addTargetRoleNagSuppressions suppresses the AwsSolutions findings the
// target role accepts, each for the named resources only, with the reason.
func addTargetRoleNagSuppressions(role awsiam.CfnRole) {
	at := func(s ...string) *[]any {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = "Resource::" + x
		}
		return &out
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("The named function's qualifiers (versions and aliases): the checks call sfInvokeAPI by the reference configured, which may be qualified. No other function matches."),
			AppliesTo: at("arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:<FunctionName>:*"),
		},
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Given a secret name, the secret's ARN ends in - and 6 characters Secrets Manager chose: -?????? matches exactly those (the documented form); given its ARN, the ARN alone."),
			AppliesTo: at("arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:<Secret>-??????"),
		},
		{
			Id:     jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Only when KmsKeyArn is empty (the AWS managed key aws/secretsmanager, whose id differs per account and region): the metadata reads DescribeKey, GetKeyPolicy and ListGrants on this account's and region's keys; no cryptographic action."),
			// A regex: the template may hold no ${...} outside Fn::Sub.
			AppliesTo: &[]any{regexAppliesTo(`^Resource::\{"Fn::If":\["` + condHasKmsKey + `",\{"Ref":"` + ParamKmsKeyArn + `"\},\{"Fn::Sub":"arn:[^"]*:kms:[^"]*:key/\*"\}\]\}$`)},
		},
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("The named Connect instance's contact flows and flow modules: ConnectAccess reads every flow that may invoke sfInvokeAPI, and flows are made in the Connect console after the deploy. No other instance's flows match."),
			AppliesTo: at("arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/<ConnectInstanceId>/contact-flow/*", "arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/<ConnectInstanceId>/flow-module/*"),
		},
	}, jsii.Bool(false))
}

// TargetRoleStackDescription is the target role stack's description.
const TargetRoleStackDescription = "sfprobe target role: lets sfprobe's monitor (MonitorAccountId, MonitorRolePrefix) check this account's sfInvokeAPI with the ExternalId"

// NewTargetRoleStack creates a stack holding one target role, synthesized
// to a plain template: no bootstrap version parameter or rule, no assets,
// no CDK metadata resource, so that `aws cloudformation deploy` and a
// StackSet deploy it as it is (docs/DEPLOY.md, "Targets in other
// accounts").
func NewTargetRoleStack(scope constructs.Construct, id string) (awscdk.Stack, *TargetRole) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Synthesizer:        awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		AnalyticsReporting: jsii.Bool(false),
		Description:        jsii.String(TargetRoleStackDescription),
	})
	return stack, NewTargetRole(stack, constructsDefaultID)
}
