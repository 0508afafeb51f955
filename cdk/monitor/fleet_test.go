package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	// TODO(merge): internal/targets.MaxTargets becomes
	// workflow.MaxFleetTargets with h-fleet; until then the file is
	// decoded here, as targets.Parse would.
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

// TestFleetStackSynthesizes: a stack of 51 and one of 1,000 targets
// synthesize cdk-nag clean, STANDARD, within CloudFormation's 500
// resources.
func TestFleetStackSynthesizes(t *testing.T) {
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
			t.Logf("%d targets: %d resources", n, resources)
			s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
				"StateMachineType": "STANDARD",
			})
		})
	}
}
