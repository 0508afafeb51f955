package monitor

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/check"
)

// The Sids of the functions' statements; tests and readers find them by Sid.
const (
	SidWriteOwnLogs       = "WriteOwnLogs"
	SidReadTargetConfig   = "ReadTargetConfig"
	SidInvokeTarget       = "InvokeTarget"
	SidReadSecret         = "ReadSecret"
	SidReadKey            = "DescribeKeyAndReadKeyPolicy"
	SidDecryptViaSecrets  = "DecryptSecretViaSecretsManager"
	SidSimulateRole       = "SimulateTargetRolePolicies"
	SidPutMetrics         = "PutMetricsInNamespace"
	SidInvokeFunctions    = "InvokeSfprobeFunctions"
	SidReadPauseParameter = "ReadPauseParameter"
	SidListConnect        = "ListConnectInstanceFunctionsAndFlows"
	SidDescribeFlows      = "DescribeConnectInstanceFlows"
	// SidReadTargetTimeout lets check-salesforce and cleanup read the
	// target's timeout: a create whose response was lost is taken not to
	// have run only once that timeout has passed.
	SidReadTargetTimeout = "ReadTargetTimeout"
	// SidAssumeTargetRoles lets check-config, check-salesforce and cleanup
	// assume the role_arn of the targets that have one.
	SidAssumeTargetRoles = "AssumeTargetRoles"
)

// IAM's size limits, in characters without whitespace: a customer managed
// policy holds at most 6,144 (maxManagedPolicy leaves room for CDK's own
// rendering) and a role takes 10 managed policies unless the quota is
// raised.
const (
	maxManagedPolicy   = 6000
	maxManagedPolicies = 10
)

// RolePolicies are one function role's statements beyond writing its logs.
type RolePolicies struct {
	// Inline go in the role's own inline policy.
	Inline []awsiam.PolicyStatement
	// Managed are documents attached to the role as customer managed
	// policies: with a targets file, the grants on the targets, packed so
	// that each stays within IAM's 6,144 characters (a role's inline
	// policies may hold only 10,240 in all, about 17 targets' grants).
	Managed [][]awsiam.PolicyStatement
}

// grant is a policy statement as plain data, so that its size is known.
type grant struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

func (g grant) statement() awsiam.PolicyStatement {
	p := &awsiam.PolicyStatementProps{
		Sid:       jsii.String(g.Sid),
		Actions:   jsii.Strings(g.Action...),
		Resources: jsii.Strings(g.Resource...),
	}
	if g.Condition != nil {
		cond := g.Condition
		p.Conditions = &cond
	}
	return awsiam.NewPolicyStatement(p)
}

func statements(gs []grant) []awsiam.PolicyStatement {
	out := make([]awsiam.PolicyStatement, len(gs))
	for i, g := range gs {
		out[i] = g.statement()
	}
	return out
}

// functionResources are a target function and its qualifiers (versions and
// aliases): the checks call it by the reference they were given.
func functionResources(fn string) []string {
	base := baseArn(fn)
	return []string{base, base + ":*"}
}

// targetResources are the single target's function resources.
func (c Config) targetResources() []string { return functionResources(c.TargetFunctionArn) }

// targetResource is the kind of a target's resource a grant names.
type targetResource int

const (
	onFunction      targetResource = iota // the function and its qualifiers
	onSecret                              // the credentials secret
	onKey                                 // the secret's KMS key
	onInstance                            // the Connect instance
	onFlows                               // the instance's contact flows and flow modules
	onExecutionRole                       // the function's execution role
)

// targetAccess is one purpose of sfprobe's calls on a target's resources:
// the statement's Sid, the functions whose calls need it, the actions and
// the kind of resource they name. The one table of these facts: the
// monitor's roles get them on the targets it reaches directly
// (targetGrants) and the role in a target's account gets them on that
// account's resources (targetRolePolicy).
type targetAccess struct {
	Sid       string
	Functions []string
	Actions   []string
	On        targetResource
	// ViaSecretsManager limits the grant to calls Secrets Manager makes
	// for the target's secret (kms:ViaService and the encryption context's
	// SecretARN).
	ViaSecretsManager bool
}

// targetAccesses are what the checks call on a target:
//
//   - check-config reads the function's configuration and resource policy,
//     its secret's metadata, value, versions and resource policy, describes
//     its key and reads the key's policy and grants (the KmsKey check
//     simulates the key's permissions with them), and decrypts only through
//     Secrets Manager, for the target's secret; ConnectAccess reads the
//     named instance's side: the functions added to it and its flows'
//     content (the Service Authorization Reference's resource types:
//     instance for the List actions, contact-flow and contact-flow-module
//     for the Describe actions); the KmsKey check simulates the function's
//     execution role (granted on the role named in the configuration);
//   - check-salesforce and cleanup invoke the function and read its
//     configuration (the timeout a lost create is waited out for).
var targetAccesses = []targetAccess{
	{Sid: SidReadTargetConfig, Functions: []string{FnCheckConfig}, Actions: []string{"lambda:GetFunctionConfiguration", "lambda:GetPolicy"}, On: onFunction},
	{Sid: SidReadSecret, Functions: []string{FnCheckConfig}, Actions: []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"}, On: onSecret},
	{Sid: SidReadKey, Functions: []string{FnCheckConfig}, Actions: []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, On: onKey},
	{Sid: SidDecryptViaSecrets, Functions: []string{FnCheckConfig}, Actions: []string{"kms:Decrypt"}, On: onKey, ViaSecretsManager: true},
	{Sid: SidListConnect, Functions: []string{FnCheckConfig}, Actions: []string{"connect:ListContactFlowModules", "connect:ListContactFlows", "connect:ListLambdaFunctions"}, On: onInstance},
	{Sid: SidDescribeFlows, Functions: []string{FnCheckConfig}, Actions: []string{"connect:DescribeContactFlow", "connect:DescribeContactFlowModule"}, On: onFlows},
	{Sid: SidSimulateRole, Functions: []string{FnCheckConfig}, Actions: []string{"iam:SimulatePrincipalPolicy"}, On: onExecutionRole},
	{Sid: SidInvokeTarget, Functions: []string{FnCheckSalesforce, FnCleanup}, Actions: []string{"lambda:InvokeFunction"}, On: onFunction},
	{Sid: SidReadTargetTimeout, Functions: []string{FnCheckSalesforce, FnCleanup}, Actions: []string{"lambda:GetFunctionConfiguration"}, On: onFunction},
}

// accessFor returns the row of targetAccesses with Sid sid.
func accessFor(sid string) targetAccess {
	for _, a := range targetAccesses {
		if a.Sid == sid {
			return a
		}
	}
	panic("permissions: no target access " + sid)
}

// usedBy reports whether function fn's calls need a.
func (a targetAccess) usedBy(fn string) bool {
	for _, f := range a.Functions {
		if f == fn {
			return true
		}
	}
	return false
}

// assumingFunctions are the functions whose calls of a target with a
// role_arn go through that role.
var assumingFunctions = []string{FnCheckConfig, FnCheckSalesforce, FnCleanup}

// targetGrants are the statements of function fn's role that name targets
// ts: one statement per row of targetAccesses, listing every target's
// resources (a resource two targets share is listed once), then
// sts:AssumeRole on the roles of the targets that have one. A target
// with role_arn gets no grant on its resources: its calls go through its
// role (targetRolePolicy grants them in its account). The execution
// roles have no per-target form (a stack's single targetRoleArn is
// granted by FunctionPolicies).
func targetGrants(fn string, ts []check.Target) []grant {
	res := map[targetResource][]string{}
	var via, roles []string
	for _, t := range ts {
		if t.RoleARN != "" {
			roles = appendNew(roles, t.RoleARN)
			continue
		}
		if t.ConnectInstanceARN != "" {
			res[onInstance] = appendNew(res[onInstance], t.ConnectInstanceARN)
			res[onFlows] = appendNew(res[onFlows], t.ConnectInstanceARN+"/contact-flow/*", t.ConnectInstanceARN+"/flow-module/*")
		}
		res[onFunction] = appendNew(res[onFunction], functionResources(t.Function)...)
		res[onSecret] = appendNew(res[onSecret], t.SecretARN)
		res[onKey] = appendNew(res[onKey], t.KMSKeyARN)
		via = appendNew(via, "secretsmanager."+arnField(t.SecretARN, 3)+".amazonaws.com")
	}
	// CDK sorts a statement's resources; sort the conditions' values alike.
	for _, list := range append([][]string{via, roles}, res[onFunction], res[onSecret], res[onKey], res[onInstance], res[onFlows]) {
		sort.Strings(list)
	}
	var gs []grant
	for _, a := range targetAccesses {
		if !a.usedBy(fn) || len(res[a.On]) == 0 {
			continue
		}
		g := grant{Sid: a.Sid, Effect: "Allow", Action: a.Actions, Resource: res[a.On]}
		if a.ViaSecretsManager {
			g.Condition = map[string]any{
				"StringEquals": map[string]any{
					"kms:ViaService":                  oneOrMany(via),
					"kms:EncryptionContext:SecretARN": oneOrMany(res[onSecret]),
				},
			}
		}
		gs = append(gs, g)
	}
	if len(roles) > 0 && slices.Contains(assumingFunctions, fn) {
		gs = append(gs, grant{Sid: SidAssumeTargetRoles, Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: roles})
	}
	return gs
}

// FunctionPolicies returns each function's statements beyond its logs:
// least privilege, on the named resources only. The grants on the targets
// are inline for the single target and, with a targets file, in customer
// managed policies (targetGrants, packed by packGrants); check-config may
// simulate the target role's policies when targetRoleArn is given; with
// metricsTransport api publish-metrics may put metrics in the configured
// namespace only (with emf it needs nothing beyond its logs).
func FunctionPolicies(c Config) (map[string]RolePolicies, error) {
	out := map[string]RolePolicies{}
	ts := c.DefaultTargets()
	for _, fn := range []string{FnCheckConfig, FnCheckSalesforce, FnCleanup} {
		if !c.fileForm() {
			out[fn] = RolePolicies{Inline: statements(targetGrants(fn, ts))}
			continue
		}
		docs, err := packGrants(fn, ts)
		if err != nil {
			return nil, err
		}
		var p RolePolicies
		for _, d := range docs {
			p.Managed = append(p.Managed, statements(d))
		}
		out[fn] = p
	}
	if c.TargetRoleArn != "" {
		p := out[FnCheckConfig]
		p.Inline = append(p.Inline, grant{Sid: SidSimulateRole, Effect: "Allow", Action: accessFor(SidSimulateRole).Actions, Resource: []string{c.TargetRoleArn}}.statement())
		out[FnCheckConfig] = p
	}
	if c.MetricsTransport == MetricsAPI {
		out[FnPublishMetrics] = RolePolicies{Inline: statements([]grant{{
			Sid: SidPutMetrics, Effect: "Allow", Action: []string{"cloudwatch:PutMetricData"}, Resource: []string{"*"},
			Condition: map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": c.MetricNamespace}},
		}})}
	}
	return out, nil
}

// packGrants splits the targets into consecutive groups whose grants for
// function fn fit one managed policy each, and returns each group's
// grants. More than maxManagedPolicies documents is an error.
func packGrants(fn string, ts []check.Target) ([][]grant, error) {
	var docs [][]grant
	start := 0
	for i := range ts {
		if policySize(targetGrants(fn, ts[start:i+1])) <= maxManagedPolicy {
			continue
		}
		if i == start {
			return nil, fmt.Errorf("targetsFile: the IAM grants of %s on target %s alone exceed a managed policy's 6,144 characters", fn, ts[i].Name)
		}
		docs = append(docs, targetGrants(fn, ts[start:i]))
		start = i
	}
	if start < len(ts) {
		docs = append(docs, targetGrants(fn, ts[start:]))
	}
	if len(docs) > maxManagedPolicies {
		return nil, fmt.Errorf("targetsFile: the IAM grants of %s on %d targets need %d managed policies; a role takes %d: split the targets into several stacks", fn, len(ts), len(docs), maxManagedPolicies)
	}
	return docs, nil
}

// policySize is the size IAM counts for a policy document of gs: its JSON
// without whitespace.
func policySize(gs []grant) int {
	raw, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": gs})
	return len(raw)
}

// appendNew appends the values of vs that list does not hold yet.
func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		seen := false
		for _, x := range list {
			seen = seen || x == v
		}
		if !seen {
			list = append(list, v)
		}
	}
	return list
}

// oneOrMany is a condition's value: one string, or the list of several.
func oneOrMany(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}
