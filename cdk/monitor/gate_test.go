package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/gate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// trigger returns the logical id and resource of the deploy gate's trigger.
func (s *synthesized) trigger(t *testing.T) (string, map[string]any) {
	t.Helper()
	id := onlyID(t, s.resources("Custom::Trigger"))
	return id, s.resources("Custom::Trigger")[id]
}

func TestDeployGateIsOptIn(t *testing.T) {
	for _, variant := range []string{"default", "full", "off", "lean"} {
		s := synth(t, variant)
		s.template.ResourceCountIs(jsii.String("Custom::Trigger"), jsii.Number(0))
		s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(workflow.Functions))))
		assert.Nil(t, s.stack.DeployGate, variant)
	}
}

func TestDeployGateTrigger(t *testing.T) {
	s := synth(t, "gate")
	// The four functions, the gate and the triggers module's provider.
	s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(workflow.Functions)+2)))
	gateID, fn := s.function(t, FnDeployGate)
	_, trigger := s.trigger(t)

	// Invoked synchronously, so a failed run fails the deploy; its handler
	// is the gate's current version; the salt makes every deploy run it.
	p := props(trigger)
	assert.Equal(t, "RequestResponse", p["InvocationType"])
	assert.Equal(t, "360000", p["Timeout"])
	assert.Equal(t, true, p["ExecuteOnHandlerChange"])
	assert.Equal(t, testSalt, p[DeployGateSaltProperty])
	versionID := ref(t, p["HandlerArn"])
	version, ok := s.resources("AWS::Lambda::Version")[versionID]
	require.True(t, ok, "HandlerArn is a version of the gate")
	assert.Equal(t, gateID, ref(t, props(version)["FunctionName"]))

	// The gate gives up before the trigger does.
	assert.Less(t, props(fn)["Timeout"].(float64)*1000, float64(TriggerTimeoutSeconds*1000))
	assert.Greater(t, props(fn)["Timeout"].(float64), float64(280), "longer than the workflow's TimeoutSeconds")

	// Executed after the state machine, the functions, the pause parameter
	// and every alarm exist.
	deps := map[string]bool{}
	for _, d := range trigger["DependsOn"].([]any) {
		deps[d.(string)] = true
	}
	var after []string
	after = append(after, onlyID(t, s.resources("AWS::StepFunctions::StateMachine")), onlyID(t, s.resources("AWS::SSM::Parameter")))
	for _, f := range workflow.Functions {
		id, _ := s.function(t, f.Name)
		after = append(after, id)
	}
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
		for id := range s.resources(typ) {
			after = append(after, id)
		}
	}
	for _, id := range after {
		assert.True(t, deps[id], "the trigger runs after %s", id)
	}
}

func TestDeployGateFunction(t *testing.T) {
	s := synth(t, "gate")
	smID := onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))
	s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Description":   assertions.Match_StringLikeRegexp(jsii.String("^sfprobe " + FnDeployGate + ":")),
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"MemorySize":    128,
		"Handler":       "bootstrap",
		"Timeout":       DeployGateTimeoutSeconds,
		"Environment": map[string]any{"Variables": map[string]any{
			gate.EnvStateMachineArn: map[string]any{"Ref": smID},
			gate.EnvWorkflowType:    "EXPRESS",
			gate.EnvStackID:         map[string]any{"Ref": "AWS::StackId"},
		}},
		"LoggingConfig": map[string]any{
			"LogGroup": map[string]any{"Ref": assertions.Match_AnyValue()}, "LogFormat": "JSON",
			"SystemLogLevel": "WARN", "ApplicationLogLevel": "INFO",
		},
	})
}

// TestDeployGatePolicy pins the gate's statements: it may run this state
// machine once (StartSyncExecution for Express; StartExecution and reading
// its own executions for Standard) and read the stack's status.
func TestDeployGatePolicy(t *testing.T) {
	stackStatus := statement{SidReadStackStatus, []string{"cloudformation:DescribeStacks"}, []any{map[string]any{"Ref": "AWS::StackId"}}, nil}
	for _, variant := range []string{"gate", "gateStandard"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			smID := onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))
			sm := map[string]any{"Ref": smID}
			_, fn := s.function(t, FnDeployGate)
			logsID := ref(t, props(fn)["LoggingConfig"].(map[string]any)["LogGroup"])
			want := []statement{{SidWriteOwnLogs, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []any{getAtt(logsID)}, nil}}
			if variant == "gate" {
				want = append(want, statement{SidRunWorkflow, []string{"states:StartSyncExecution"}, []any{sm}, nil})
			} else {
				want = append(want,
					statement{SidRunWorkflow, []string{"states:StartExecution"}, []any{sm}, nil},
					statement{SidReadGateExecution, []string{"states:DescribeExecution", "states:GetExecutionHistory"}, []any{map[string]any{"Fn::Join": []any{"", []any{
						"arn:aws:states:us-east-1:123456789012:execution:", map[string]any{"Fn::GetAtt": []any{smID, "Name"}}, ":" + gate.ExecutionPrefix + "*",
					}}}}, nil})
			}
			want = append(want, stackStatus)
			assert.Equal(t, want, s.roleStatements(t, ref(t, props(fn)["Role"])))
		})
	}
}

func TestDeployGateNeedsItsBootstrap(t *testing.T) {
	ctx := required()
	root := assetRoot(t)
	require.NoError(t, os.Remove(filepath.Join(root, FnDeployGate, "bootstrap")))
	ctx["assetRoot"] = root
	cfg, err := ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	app := newApp(t)
	_, err = NewStack(app, "NoGateOff", &StackProps{Config: cfg})
	require.NoError(t, err, "without deployGate the gate's bootstrap is not needed")

	cfg.DeployGate = true
	_, err = NewStack(app, "NoGate", &StackProps{Config: cfg})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "assetRoot: "+filepath.Join(root, FnDeployGate, "bootstrap")+" is missing: run make build")
	assert.Nil(t, app.Node().TryFindChild(jsii.String("NoGate")))
}

// TestDeployGateSaltChangesPerSynth: without a fixed salt, the trigger's
// salt is the synthesis time, so each synthesis (each deploy) differs.
func TestDeployGateSaltChangesPerSynth(t *testing.T) {
	ctx := required()
	ctx["assetRoot"] = assetRoot(t)
	ctx["deployGate"] = true
	cfg, err := ConfigFrom(ctx, noFile)
	require.NoError(t, err)
	salt := func(id string) string {
		stack, err := NewStack(newApp(t), id, &StackProps{Config: cfg})
		require.NoError(t, err)
		s := &synthesized{stack: stack, template: assertions.Template_FromStack(stack.Stack, nil)}
		raw := s.template.FindResources(jsii.String("Custom::Trigger"), nil)
		require.Len(t, *raw, 1)
		for _, r := range *raw {
			return (*r)["Properties"].(map[string]any)[DeployGateSaltProperty].(string)
		}
		return ""
	}
	first := salt("SaltA")
	time.Sleep(2 * time.Millisecond)
	second := salt("SaltB")
	_, err = time.Parse(time.RFC3339Nano, first)
	require.NoError(t, err, "the salt is the synthesis time")
	assert.NotEqual(t, first, second)
}
