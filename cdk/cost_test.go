package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/workflow"
)

// alarmMetrics counts what CloudWatch bills for the template's alarms: each
// metric of a metric alarm ($0.10; a metric-math alarm pays per metric in
// it), and each composite alarm ($0.50).
func (s *synthesized) alarmMetrics() (metrics, composites int) {
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		if ms, ok := p["Metrics"].([]any); ok {
			for _, m := range ms {
				if _, ok := m.(map[string]any)["MetricStat"]; ok {
					metrics++
				}
			}
			continue
		}
		metrics++
	}
	return metrics, len(s.resources("AWS::CloudWatch::CompositeAlarm"))
}

// TestAlarmCost pins the alarm part of docs/DEPLOY.md's cost section.
func TestAlarmCost(t *testing.T) {
	tests := []struct {
		variant     string
		wantMetrics int
	}{
		// RunFailure (2: RunSuccess and Paused), ExecutionsFailed,
		// ExecutionsTimedOut, CleanupFailure, MaintenanceWindow.
		{"default", 6},
		// + RunLatency (detailedMetrics), ExecutionThrottled and 4
		// FunctionErrors (diagnosticAlarms), 8 CheckFailure (perCheckAlarms).
		{"full", 6 + 1 + 1 + len(workflow.Functions) + 8},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			metrics, composites := synth(t, tt.variant).alarmMetrics()
			assert.Equal(t, tt.wantMetrics, metrics)
			assert.Equal(t, 1, composites)
		})
	}
}

// TestTopicKeyShared: with topicKmsKeyArn the stack creates no key ($1 a
// month) and encrypts the topic with the given one.
func TestTopicKeyShared(t *testing.T) {
	s := synth(t, "lean")
	s.template.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0))
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"KmsMasterKeyId": testTopicKeyArn})
	synth(t, "default").template.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(1))
}

// TestWorkflowLogLevelOff: no logging configuration, no log group and no
// log-delivery permissions.
func TestWorkflowLogLevelOff(t *testing.T) {
	s := synth(t, "lean")
	assert.Nil(t, s.stack.Workflow.LogGroup)
	s.template.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(float64(len(workflow.Functions))))
	s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"LoggingConfiguration": assertions.Match_Absent(),
		"TracingConfiguration": map[string]any{"Enabled": false},
	})
	sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
	for _, st := range s.roleStatements(t, ref(t, props(sm)["RoleArn"])) {
		assert.NotContains(t, st.Resources, "*", "%s: nothing on * without logs or tracing", st.Sid)
	}
}

// TestTracingOptIn: X-Ray only with tracing, and its actions with it.
func TestTracingOptIn(t *testing.T) {
	for variant, want := range map[string]bool{"default": false, "full": true} {
		s := synth(t, variant)
		s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"TracingConfiguration": map[string]any{"Enabled": want},
		})
		sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
		xray := false
		for _, st := range s.roleStatements(t, ref(t, props(sm)["RoleArn"])) {
			for _, a := range st.Actions {
				xray = xray || a == "xray:PutTraceSegments"
			}
		}
		require.Equal(t, want, xray, variant)
	}
}
