package workflow

import (
	"encoding/json"
	"fmt"
	"math"
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
	for _, typ := range []Type{TypeStandard, TypeExpress} {
		t.Run(string(typ), func(t *testing.T) {
			require.NoError(t, Validate(DefinitionFor(typ)))
			out, err := RenderFor(subs(), typ)
			require.NoError(t, err, "the STANDARD document's keys serve both types")
			require.NoError(t, Validate(out))
			assert.NotContains(t, out, "${")
		})
	}
	assert.Equal(t, Definition(), DefinitionFor(TypeStandard))
}

func TestKeys(t *testing.T) {
	assert.Equal(t, []string{
		CheckConfigFunctionArn, CheckSalesforceFunctionArn, ChildExecutionType, CleanupFunctionArn, DefaultTargets,
		DefaultTargetsBucket, DefaultTargetsKey, PauseParameterName, PublishMetricsFunctionArn, ResultsBucket,
	}, Keys())
	assert.Equal(t, []string{
		CheckConfigFunctionArn, CheckSalesforceFunctionArn, CleanupFunctionArn, DefaultTargets,
		DefaultTargetsBucket, DefaultTargetsKey, PauseParameterName, PublishMetricsFunctionArn,
	}, KeysFor(TypeExpress), "an EXPRESS document has no Distributed Map")
}

func TestRenderErrors(t *testing.T) {
	s := subs()
	delete(s, DefaultTargets)
	s["Bogus"] = "x"
	_, err := Render(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing [DefaultTargets]")
	assert.Contains(t, err.Error(), "unknown [Bogus]")
}

func TestRenderEscapesDefaultTargets(t *testing.T) {
	s := subs()
	targets := `[{"function":"sfInvokeAPI","phone":"+441122334455","fields":"Id, \"Name\"\\"}]`
	s[DefaultTargets] = targets
	out, err := Render(s)
	require.NoError(t, err)
	var doc struct {
		States map[string]struct {
			Parameters map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "a value with quotes must keep the document JSON")
	encoded, ok := doc.States["DefaultTargets"].Parameters["encoded"].(string)
	require.True(t, ok, "DefaultTargets carries the targets as a string")
	assert.Equal(t, targets, encoded, "States.StringToJson must get back exactly the array")
	assert.Equal(t, `[{\"function\"`, Escape(`[{"function"`))
}

func TestScopesAndErrorsMatchTheDefinition(t *testing.T) {
	def := Definition()
	for _, scope := range []string{ScopeAll, ScopeSalesforce, ScopeAWS} {
		assert.Contains(t, def, `"StringEquals": "`+scope+`"`, "scope %q", scope)
	}
	for _, e := range []string{ErrChecksFailed, ErrRunBroken, ErrBadInput} {
		assert.Contains(t, def, `"Error": "`+e+`"`)
	}
	assert.Contains(t, def, fmt.Sprintf(`"MaxConcurrency": %d`, MaxConcurrency))
	assert.Contains(t, def, fmt.Sprintf(`"MaxConcurrency": %d`, DistributedMaxConcurrency))
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
	const inlineTasks = 7 // the AWS checks, 4 chain steps, cleanup, publish: in both Maps
	var tasks int
	var walk func(states map[string]any, inMap bool)
	walk = func(states map[string]any, inMap bool) {
		for name, v := range states {
			s := v.(map[string]any)
			if s["Type"] == "Task" {
				tasks++
				if !inMap {
					// A task at the top of a Map iteration fails the Map, whose
					// Catch ends the run as RunBroken.
					assert.NotEmpty(t, s["Catch"], "task %s must catch so every outcome reaches PublishMetrics", name)
				}
				assert.NotEmpty(t, s["Retry"], "task %s must retry transient errors", name)
				params := s["Parameters"].(map[string]any)
				if s["Resource"] == "arn:aws:states:::lambda:invoke" {
					assert.True(t, strings.HasPrefix(params["FunctionName"].(string), "${"), name)
				}
			}
			if bs, ok := s["Branches"].([]any); ok {
				for _, b := range bs {
					walk(b.(map[string]any)["States"].(map[string]any), false)
				}
			}
			if p, ok := s["ItemProcessor"].(map[string]any); ok {
				assert.NotEmpty(t, s["Catch"], "map %s must catch", name)
				walk(p["States"].(map[string]any), true)
			}
		}
	}
	walk(doc["States"].(map[string]any), false)
	assert.Equal(t, 3+2+2*inlineTasks, tasks, "the pause switch's read and gate, summarize, stage, summarize fleet; each Map's target run")
}

// Every Lambda Task retries AWS's recommended set of Lambda service errors,
// ClientExecutionTimeoutException included.
func TestLambdaTasksRetryTheBestPracticeSet(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(Definition()), &doc))
	want := []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
		"Lambda.ClientExecutionTimeoutException", "Lambda.TooManyRequestsException"}
	var n int
	var walk func(states map[string]any)
	walk = func(states map[string]any) {
		for name, v := range states {
			s := v.(map[string]any)
			if s["Resource"] == "arn:aws:states:::lambda:invoke" {
				n++
				var got []any
				for _, r := range s["Retry"].([]any) {
					got = append(got, r.(map[string]any)["ErrorEquals"].([]any)...)
				}
				for _, e := range want {
					assert.Contains(t, got, e, "task %s", name)
				}
			}
			if bs, ok := s["Branches"].([]any); ok {
				for _, b := range bs {
					walk(b.(map[string]any)["States"].(map[string]any))
				}
			}
			if p, ok := s["ItemProcessor"].(map[string]any); ok {
				walk(p["States"].(map[string]any))
			}
		}
	}
	walk(doc["States"].(map[string]any))
	assert.Equal(t, 2+2+2*7, n, "the pause gate, summarize, stage, summarize fleet; each Map's 7")
	assert.Contains(t, TransientErrors, "Lambda.ClientExecutionTimeoutException")
}

// TestCleanupFitsTheExecutionTimeout computes, from the definition itself,
// the latest the chain's Cleanup can end (every Task attempt running to its
// TimeoutSeconds, every retry waiting its longest delay) and requires it
// within the execution's TimeoutSeconds: changing a number breaks it.
func TestCleanupFitsTheExecutionTimeout(t *testing.T) {
	for _, typ := range []Type{TypeExpress, TypeStandard} {
		t.Run(string(typ), func(t *testing.T) { cleanupFits(t, typ) })
	}
}

func cleanupFits(t *testing.T, typ Type) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(DefinitionFor(typ)), &doc))
	top := doc["States"].(map[string]any)
	probe := top["Probe"].(map[string]any)["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	chain := probe["Checks"].(map[string]any)["Branches"].([]any)[1].(map[string]any)["States"].(map[string]any)
	state := func(states map[string]any, name string) map[string]any {
		s, ok := states[name].(map[string]any)
		require.True(t, ok, "state %s", name)
		return s
	}
	num := func(s map[string]any, k string, def float64) float64 {
		if v, ok := s[k].(float64); ok {
			return v
		}
		return def
	}
	// retries returns the most attempts' retries of a Task and their
	// longest total delay (FULL jitter waits at most the nominal delay).
	retries := func(s map[string]any) (attempts, delay float64) {
		for _, r := range s["Retry"].([]any) {
			r := r.(map[string]any)
			n, iv, rate := num(r, "MaxAttempts", 3), num(r, "IntervalSeconds", 1), num(r, "BackoffRate", 2)
			maxDelay := num(r, "MaxDelaySeconds", 1e9)
			var d float64
			for k := 0.0; k < n; k++ {
				d += min(iv*math.Pow(rate, k), maxDelay)
			}
			attempts += n
			delay += d
		}
		return attempts, delay
	}
	worst := func(s map[string]any) float64 {
		n, d := retries(s)
		return (n+1)*num(s, "TimeoutSeconds", 99999) + d
	}
	var longestDelay float64
	lastAttempt := 0.0
	for _, name := range []string{"PhoneLookup", "CreateCase", "CloseCase", "VerifyCaseClosed"} {
		s := state(chain, name)
		lastAttempt = max(lastAttempt, num(s, "TimeoutSeconds", 99999))
		r := s["Retry"].([]any)[0].(map[string]any)
		longestDelay = max(longestDelay, min(num(r, "IntervalSeconds", 1)*math.Pow(num(r, "BackoffRate", 2), num(r, "MaxAttempts", 3)-1), num(r, "MaxDelaySeconds", 1e9)))
	}
	start := state(chain, "StartChain")["Parameters"].(map[string]any)
	budget, ok := start["budget_seconds"].(float64)
	require.True(t, ok, "StartChain sets the chain's budget_seconds")
	assert.Equal(t, "$$.State.EnteredTime", start["started_at.$"], "the budget runs from StartChain")

	const fastAttempt = 1 // a step past its budget fails at once (check.OverBudget), not retried
	beforeChain := worst(state(top, "ReadPause")) + worst(state(top, "PauseGate"))
	chainEnd := beforeChain + budget + lastAttempt + longestDelay + fastAttempt
	cleanupEnd := chainEnd + worst(state(chain, "Cleanup"))
	t.Logf("before the chain %.0f s, chain ends by %.0f s, Cleanup by %.0f s", beforeChain, chainEnd, cleanupEnd)
	assert.LessOrEqual(t, cleanupEnd, doc["TimeoutSeconds"].(float64), "Cleanup must end within the execution's TimeoutSeconds")
	if typ == TypeExpress {
		assert.Equal(t, 280.0, doc["TimeoutSeconds"], "within Express's 5 minutes")
		assert.Contains(t, doc["Comment"], fmt.Sprintf("%.0f <= TimeoutSeconds %.0f", cleanupEnd, doc["TimeoutSeconds"].(float64)), "the Comment's arithmetic matches the definition")
		return
	}
	assert.Equal(t, float64(StandardTimeoutSeconds), doc["TimeoutSeconds"])
	// A distributed child runs Probe's states without the pause gate
	// before its chain, within an EXPRESS child's 5 minutes.
	const expressChildLimit = 300
	childEnd := budget + lastAttempt + longestDelay + fastAttempt + worst(state(chain, "Cleanup"))
	t.Logf("a distributed child's Cleanup ends by %.0f s", childEnd)
	assert.LessOrEqual(t, childEnd, float64(expressChildLimit))
	assert.Contains(t, doc["Comment"], fmt.Sprintf("%.0f <= %d, the limit of an EXPRESS child", childEnd, expressChildLimit))
	assert.Contains(t, doc["Comment"], fmt.Sprintf("sets TimeoutSeconds %d", StandardTimeoutSeconds))
}
