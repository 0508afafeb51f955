package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/gate"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const (
	smARN      = "arn:aws:states:us-east-1:123456789012:stateMachine:SfprobeWorkflow"
	stackID    = "arn:aws:cloudformation:us-east-1:123456789012:stack/Sfprobe/0b5e1d60-0000-11ef-0000-0a1b2c3d4e5f"
	expressARN = "arn:aws:states:us-east-1:123456789012:express:SfprobeWorkflow:deploy-gate-x:6f1c"
	execARN    = "arn:aws:states:us-east-1:123456789012:execution:SfprobeWorkflow:deploy-gate-x"
)

var now = time.Date(2026, 11, 29, 7, 0, 31, 0, time.UTC)

// fakeStates is a Step Functions client with one func per call.
type fakeStates struct {
	StartSyncExecutionFn  func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error)
	StartExecutionFn      func(*awssfn.StartExecutionInput) (*awssfn.StartExecutionOutput, error)
	DescribeExecutionFn   func(*awssfn.DescribeExecutionInput) (*awssfn.DescribeExecutionOutput, error)
	GetExecutionHistoryFn func(*awssfn.GetExecutionHistoryInput) (*awssfn.GetExecutionHistoryOutput, error)
}

func (f *fakeStates) StartSyncExecution(_ context.Context, in *awssfn.StartSyncExecutionInput, _ ...func(*awssfn.Options)) (*awssfn.StartSyncExecutionOutput, error) {
	return f.StartSyncExecutionFn(in)
}

func (f *fakeStates) StartExecution(_ context.Context, in *awssfn.StartExecutionInput, _ ...func(*awssfn.Options)) (*awssfn.StartExecutionOutput, error) {
	return f.StartExecutionFn(in)
}

func (f *fakeStates) DescribeExecution(_ context.Context, in *awssfn.DescribeExecutionInput, _ ...func(*awssfn.Options)) (*awssfn.DescribeExecutionOutput, error) {
	return f.DescribeExecutionFn(in)
}

func (f *fakeStates) GetExecutionHistory(_ context.Context, in *awssfn.GetExecutionHistoryInput, _ ...func(*awssfn.Options)) (*awssfn.GetExecutionHistoryOutput, error) {
	return f.GetExecutionHistoryFn(in)
}

// fakeStacks is a CloudFormation client.
type fakeStacks struct {
	DescribeStacksFn func(*cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error)
}

func (f *fakeStacks) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return f.DescribeStacksFn(in)
}

var (
	_ gate.SyncStarter        = (*fakeStates)(nil)
	_ gate.Starter            = (*fakeStates)(nil)
	_ gate.ExecutionDescriber = (*fakeStates)(nil)
	_ gate.HistoryGetter      = (*fakeStates)(nil)
	_ gate.StackDescriber     = (*fakeStacks)(nil)
)

func stackIn(status cftypes.StackStatus) *fakeStacks {
	return &fakeStacks{DescribeStacksFn: func(in *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
		return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{{StackId: in.StackName, StackStatus: status}}}, nil
	}}
}

func report(t *testing.T, target string, results ...check.Result) check.Report {
	t.Helper()
	r := check.Report{Target: target, RunID: "deploy-gate-x", StartedAt: now, Checks: results, Cleanup: check.Cleanup{Status: check.CleanupDeleted}}
	r.Finish()
	return r
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

var (
	pass       = check.Result{Name: check.TargetConfig, Status: check.Pass}
	secretFail = check.Result{Name: check.SecretAccess, Status: check.Fail, ErrorClass: failure.Permission, Message: "AccessDenied"}
	lookupFail = check.Result{Name: check.PhoneLookup, Status: check.Fail, ErrorClass: failure.Auth, Message: "INVALID_SESSION_ID"}
)

func TestHandleExpress(t *testing.T) {
	tests := []struct {
		name    string
		give    *awssfn.StartSyncExecutionOutput
		wantErr []string // substrings of the error; none: the gate passes
	}{
		{
			name: "passed",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusSucceeded,
				Output: aws.String(mustJSON(t, report(t, "sfInvokeAPI", pass)))},
		},
		{
			name: "paused passes",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusSucceeded,
				Output: aws.String(mustJSON(t, check.Report{Target: "sfInvokeAPI", OK: true, Paused: true, Checks: []check.Result{}}))},
		},
		{
			name: "checks failed names each check and class",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusFailed,
				Error: aws.String(workflow.ErrChecksFailed),
				Cause: aws.String(mustJSON(t, map[string]any{"report": report(t, "sfInvokeAPI", pass, secretFail, lookupFail)}))},
			wantErr: []string{
				"sfprobe deploy gate: the workflow run failed: failed checks SecretAccess (permission), PhoneLookup (auth); execution https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:123456789012:express:SfprobeWorkflow:deploy-gate-x:6f1c",
			},
		},
		{
			name: "several targets",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusFailed,
				Error: aws.String(workflow.ErrChecksFailed),
				Cause: aws.String(mustJSON(t, map[string]any{"failed_targets": []string{"prod-us"}, "fleet": check.NewFleet("deploy-gate-x", now, time.Second, []check.Report{
					report(t, "prod-eu", pass), report(t, "prod-us", secretFail),
				})}))},
			wantErr: []string{"failed checks prod-us: SecretAccess (permission); execution https://"},
		},
		{
			name: "broken run quotes error and cause",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusFailed,
				Error: aws.String(workflow.ErrRunBroken), Cause: aws.String("the state PublishMetrics failed: Lambda.Unknown")},
			wantErr: []string{"the workflow run failed (FAILED, RunBroken): the state PublishMetrics failed: Lambda.Unknown; execution https://"},
		},
		{
			name: "timed out, long cause cut",
			give: &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusTimedOut,
				Error: aws.String("States.Timeout"), Cause: aws.String(strings.Repeat("x", 1000))},
			wantErr: []string{"(TIMED_OUT, States.Timeout): " + strings.Repeat("x", 300) + "...; execution"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *awssfn.StartSyncExecutionInput
			states := &fakeStates{StartSyncExecutionFn: func(in *awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
				got = in
				return tt.give, nil
			}}
			g := gate.New(gate.Config{StateMachineARN: smARN, Express: true, StackID: stackID},
				gate.Clients{Sync: states, Stacks: stackIn(cftypes.StackStatusUpdateInProgress)}, gate.WithClock(func() time.Time { return now }))

			err := g.Handle(context.Background())

			require.NotNil(t, got, "the gate started an execution")
			assert.Equal(t, smARN, aws.ToString(got.StateMachineArn))
			assert.JSONEq(t, `{}`, aws.ToString(got.Input), "every check of the stack's default targets")
			assert.True(t, strings.HasPrefix(aws.ToString(got.Name), gate.ExecutionPrefix), aws.ToString(got.Name))
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			var fe *gate.FailedError
			require.True(t, errors.As(err, &fe), "%v", err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestHandleStandardPollsUntilTheEnd(t *testing.T) {
	tests := []struct {
		name    string
		give    *awssfn.DescribeExecutionOutput
		wantErr string
	}{
		{
			name: "passed",
			give: &awssfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusSucceeded, Output: aws.String(mustJSON(t, report(t, "sfInvokeAPI", pass)))},
		},
		{
			name: "checks failed",
			give: &awssfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusFailed, Error: aws.String(workflow.ErrChecksFailed),
				Cause: aws.String(mustJSON(t, map[string]any{"report": report(t, "sfInvokeAPI", lookupFail)}))},
			wantErr: "failed checks PhoneLookup (auth); execution https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/" + execARN,
		},
		{
			name:    "aborted names the failed state",
			give:    &awssfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusAborted},
			wantErr: "the workflow run failed (ABORTED in state PublishMetrics); execution https://",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var started *awssfn.StartExecutionInput
			polls := 0
			states := &fakeStates{
				StartExecutionFn: func(in *awssfn.StartExecutionInput) (*awssfn.StartExecutionOutput, error) {
					started = in
					return &awssfn.StartExecutionOutput{ExecutionArn: aws.String(execARN)}, nil
				},
				DescribeExecutionFn: func(in *awssfn.DescribeExecutionInput) (*awssfn.DescribeExecutionOutput, error) {
					require.Equal(t, execARN, aws.ToString(in.ExecutionArn))
					polls++
					if polls < 3 {
						return &awssfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusRunning}, nil
					}
					return tt.give, nil
				},
				GetExecutionHistoryFn: func(*awssfn.GetExecutionHistoryInput) (*awssfn.GetExecutionHistoryOutput, error) {
					return &awssfn.GetExecutionHistoryOutput{Events: []sfntypes.HistoryEvent{
						{Id: 1, Type: sfntypes.HistoryEventTypeTaskStateEntered, StateEnteredEventDetails: &sfntypes.StateEnteredEventDetails{Name: aws.String("PublishMetrics")}},
						{Id: 2, Type: sfntypes.HistoryEventTypeTaskFailed, TaskFailedEventDetails: &sfntypes.TaskFailedEventDetails{Error: aws.String("States.TaskFailed")}},
					}}, nil
				},
			}
			g := gate.New(gate.Config{StateMachineARN: smARN}, gate.Clients{Start: states, Describe: states, History: states},
				gate.WithPollInterval(time.Millisecond))

			err := g.Handle(context.Background())

			require.NotNil(t, started)
			assert.JSONEq(t, `{}`, aws.ToString(started.Input))
			assert.Equal(t, 3, polls, "polled until the execution ended")
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestHandleSkipsWhileTheStackRollsBack(t *testing.T) {
	for _, status := range []cftypes.StackStatus{cftypes.StackStatusUpdateRollbackInProgress, cftypes.StackStatusRollbackInProgress} {
		t.Run(string(status), func(t *testing.T) {
			var asked string
			stacks := stackIn(status)
			describe := stacks.DescribeStacksFn
			stacks.DescribeStacksFn = func(in *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
				asked = aws.ToString(in.StackName)
				return describe(in)
			}
			states := &fakeStates{StartSyncExecutionFn: func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
				t.Fatal("no run while the stack rolls back")
				return nil, nil
			}}
			g := gate.New(gate.Config{StateMachineARN: smARN, Express: true, StackID: stackID}, gate.Clients{Sync: states, Stacks: stacks})

			assert.NoError(t, g.Handle(context.Background()))
			assert.Equal(t, stackID, asked)
		})
	}
}

func TestHandleRunsWhenTheStackStatusIsUnknown(t *testing.T) {
	stacks := &fakeStacks{DescribeStacksFn: func(*cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
		return nil, errors.New("AccessDenied")
	}}
	ran := false
	states := &fakeStates{StartSyncExecutionFn: func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
		ran = true
		return &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusSucceeded}, nil
	}}
	g := gate.New(gate.Config{StateMachineARN: smARN, Express: true, StackID: stackID}, gate.Clients{Sync: states, Stacks: stacks})

	assert.NoError(t, g.Handle(context.Background()))
	assert.True(t, ran)
}

func TestHandleCannotRun(t *testing.T) {
	t.Run("start refused", func(t *testing.T) {
		states := &fakeStates{StartSyncExecutionFn: func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
			return nil, &sfntypes.StateMachineDoesNotExist{Message: aws.String("no such state machine")}
		}}
		g := gate.New(gate.Config{StateMachineARN: smARN, Express: true}, gate.Clients{Sync: states})

		err := g.Handle(context.Background())

		require.Error(t, err)
		assert.Contains(t, err.Error(), "sfprobe deploy gate: start sync execution of "+smARN)
		var missing *sfntypes.StateMachineDoesNotExist
		assert.True(t, errors.As(err, &missing), "wrapped with %%w")
	})
	t.Run("standard run outlives the gate", func(t *testing.T) {
		states := &fakeStates{
			StartExecutionFn: func(*awssfn.StartExecutionInput) (*awssfn.StartExecutionOutput, error) {
				return &awssfn.StartExecutionOutput{ExecutionArn: aws.String(execARN)}, nil
			},
			DescribeExecutionFn: func(*awssfn.DescribeExecutionInput) (*awssfn.DescribeExecutionOutput, error) {
				return &awssfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusRunning}, nil
			},
		}
		g := gate.New(gate.Config{StateMachineARN: smARN}, gate.Clients{Start: states, Describe: states}, gate.WithPollInterval(time.Millisecond))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()

		err := g.Handle(ctx)

		require.Error(t, err)
		assert.Contains(t, err.Error(), "the run did not end in time (execution https://")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// TestHandlerWithoutPayload: the trigger invokes the function without a
// payload; a failed run is the invocation's error message.
func TestHandlerWithoutPayload(t *testing.T) {
	states := &fakeStates{StartSyncExecutionFn: func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
		return &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusFailed,
			Error: aws.String(workflow.ErrChecksFailed),
			Cause: aws.String(mustJSON(t, map[string]any{"report": report(t, "sfInvokeAPI", secretFail)}))}, nil
	}}
	g := gate.New(gate.Config{StateMachineARN: smARN, Express: true}, gate.Clients{Sync: states})
	h := lambda.NewHandler(g.Handle)

	_, err := h.Invoke(context.Background(), nil)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed checks SecretAccess (permission)")

	states.StartSyncExecutionFn = func(*awssfn.StartSyncExecutionInput) (*awssfn.StartSyncExecutionOutput, error) {
		return &awssfn.StartSyncExecutionOutput{ExecutionArn: aws.String(expressARN), Status: sfntypes.SyncExecutionStatusSucceeded}, nil
	}
	out, err := h.Invoke(context.Background(), []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "null", string(out))
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		give    map[string]string
		want    gate.Config
		wantErr []string
	}{
		{
			name: "express",
			give: map[string]string{gate.EnvStateMachineArn: smARN, gate.EnvWorkflowType: "EXPRESS", gate.EnvStackID: stackID},
			want: gate.Config{StateMachineARN: smARN, Express: true, StackID: stackID},
		},
		{
			name: "standard without stack",
			give: map[string]string{gate.EnvStateMachineArn: smARN, gate.EnvWorkflowType: "STANDARD"},
			want: gate.Config{StateMachineARN: smARN},
		},
		{
			name:    "nothing",
			give:    map[string]string{},
			wantErr: []string{gate.EnvStateMachineArn + ": required", gate.EnvWorkflowType + `: "": want EXPRESS or STANDARD`},
		},
		{
			name:    "not a state machine",
			give:    map[string]string{gate.EnvStateMachineArn: "SfprobeWorkflow", gate.EnvWorkflowType: "express"},
			wantErr: []string{gate.EnvStateMachineArn + `: "SfprobeWorkflow" is not a state machine ARN`, gate.EnvWorkflowType + `: "express"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gate.ConfigFromEnv(func(k string) string { return tt.give[k] })
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			var fe *validate.FieldError
			assert.True(t, errors.As(err, &fe))
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
