package workflow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func subs() map[string]string {
	m := map[string]string{}
	for _, k := range Keys() {
		m[k] = "arn:aws:lambda:us-east-1:123456789012:function:" + k
	}
	return m
}

func TestDefinitionIsValid(t *testing.T) {
	require.NoError(t, Validate(Definition()))
	out, err := Render(subs())
	require.NoError(t, err)
	require.NoError(t, Validate(out))
	assert.NotContains(t, out, "${")
}

func TestKeys(t *testing.T) {
	assert.Equal(t, []string{
		CheckConfigFunctionArn, CheckSalesforceFunctionArn, CleanupFunctionArn, ConnectInstanceArn, KmsKeyArn,
		PauseParameterName, PublishMetricsFunctionArn, SecretArn, TargetFunction, TargetName, TestFields, TestPhone,
	}, Keys())
}

func TestRenderErrors(t *testing.T) {
	s := subs()
	delete(s, TestPhone)
	s["Bogus"] = "x"
	_, err := Render(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing [TestPhone]")
	assert.Contains(t, err.Error(), "unknown [Bogus]")
}

func TestRenderEscapes(t *testing.T) {
	s := subs()
	s[TestFields] = `Id, "Name"\`
	out, err := Render(s)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "a value with quotes must keep the document JSON")
	assert.Contains(t, out, `Id, \"Name\"\\`)
}

func TestValidateFindsProblems(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"dangling next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, `Next "B" is not a state`},
		{"bad start", `{"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}}`, `StartAt "X"`},
		{"task timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true}}}`, "without TimeoutSeconds"},
		{"retry assertion", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":3,"End":true,"Retry":[{"ErrorEquals":["States.ALL"]}]}}}`, `Retry names "States.ALL"`},
		{"no default", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Next":"B"}]},"B":{"Type":"Succeed"}}}`, "without Default"},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, `"B" is unreachable`},
		{"no end", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "neither Next nor End"},
		{"branch scope", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"P"}}}]}}}`, `P.Branches[0]: state "A": Next "P"`},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, "want JSONPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.give)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestEveryTaskRetriesOnlyTransientAndCatches(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(Definition()), &doc))
	var tasks int
	var walk func(states map[string]any)
	walk = func(states map[string]any) {
		for name, v := range states {
			s := v.(map[string]any)
			if s["Type"] == "Task" {
				tasks++
				assert.NotEmpty(t, s["Catch"], "task %s must catch so every outcome reaches PublishMetrics", name)
				assert.NotEmpty(t, s["Retry"], "task %s must retry transient errors", name)
				params := s["Parameters"].(map[string]any)
				if s["Resource"] == "arn:aws:states:::lambda:invoke" {
					assert.True(t, strings.HasPrefix(params["FunctionName"].(string), "${"), name)
				}
			}
			if bs, ok := s["Branches"].([]any); ok {
				for _, b := range bs {
					walk(b.(map[string]any)["States"].(map[string]any))
				}
			}
		}
	}
	walk(doc["States"].(map[string]any))
	assert.Equal(t, 12, tasks, "the pause switch's read and gate, 4 config checks, 4 chain steps, cleanup, publish")
}
