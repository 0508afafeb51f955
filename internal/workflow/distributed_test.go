package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func states(t *testing.T, typ Type) map[string]any {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(DefinitionFor(typ)), &doc))
	return doc["States"].(map[string]any)
}

func obj(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%v", path)
	for _, p := range path {
		m, ok = m[p].(map[string]any)
		require.True(t, ok, "%v: %s", path, p)
	}
	return m
}

// The Distributed Map's shape, as AWS runs it: what moto cannot run
// (EXPRESS children, tolerated failures, result files) is asserted here.
func TestDistributedMapShape(t *testing.T) {
	st := states(t, TypeStandard)
	d := obj(t, st["Distribute"])
	probe := obj(t, st["Probe"])

	proc := obj(t, d, "ItemProcessor")
	assert.Equal(t, map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "${" + ChildExecutionType + "}"}, proc["ProcessorConfig"])
	inline := obj(t, probe, "ItemProcessor")
	assert.Equal(t, inline["StartAt"], proc["StartAt"], "one source of truth: Probe's states")
	assert.Equal(t, inline["States"], proc["States"], "one source of truth: Probe's states")

	assert.Equal(t, map[string]any{
		"Resource":     "arn:aws:states:::s3:getObject",
		"ReaderConfig": map[string]any{"InputType": "JSON"},
		"Parameters":   map[string]any{"Bucket.$": "$.targets_object.bucket", "Key.$": "$.targets_object.key"},
	}, d["ItemReader"])
	assert.Equal(t, map[string]any{
		"Resource":   "arn:aws:states:::s3:putObject",
		"Parameters": map[string]any{"Bucket": "${" + ResultsBucket + "}", "Prefix": "map-results"},
	}, d["ResultWriter"])
	assert.Equal(t, 100.0, d["ToleratedFailurePercentage"], "one target never aborts the fleet")
	assert.Contains(t, Definition(), `"ToleratedFailurePercentage": 100.0`, "a float literal: moto refuses an integer")
	assert.Equal(t, float64(DistributedMaxConcurrency), d["MaxConcurrency"])
	assert.Contains(t, d["Comment"], fmt.Sprintf("MaxConcurrency %d", DistributedMaxConcurrency), "the Comment says why")
	assert.Equal(t, "SummarizeFleet", d["Next"])
	assert.NotEmpty(t, d["Catch"])

	sel, inSel := obj(t, d, "ItemSelector"), obj(t, probe, "ItemSelector")
	for k, v := range inSel {
		switch k {
		case "fleet_size.$":
			assert.Equal(t, "$.count", sel[k], "Stage counted the targets")
		case "results_bucket":
			assert.Equal(t, "", v)
			assert.Equal(t, "${"+ResultsBucket+"}", sel[k])
		case "distributed":
			assert.Equal(t, false, v)
			assert.Equal(t, true, sel[k])
		default:
			assert.Equal(t, v, sel[k], "%s: the inline Map's", k)
		}
	}
	assert.Len(t, sel, len(inSel))
	assert.Equal(t, "States.Format('{}-{}', $$.Execution.Name, $$.Map.Item.Index)", sel["run_id.$"],
		"the Map state evaluates ItemSelector in the parent: the parent's execution name")

	pm := obj(t, inline["States"], "PublishMetrics", "Parameters", "Payload")
	assert.Equal(t, "$.distributed", pm["distributed.$"])
	assert.Equal(t, "$.results_bucket", pm["results_bucket.$"])

	sum := obj(t, st["SummarizeFleet"])
	assert.Equal(t, "Verdict", sum["Next"])
	assert.Equal(t, "${"+ResultsBucket+"}", obj(t, sum, "Parameters", "Payload", "collect")["results_bucket"])
}

// Which runs fan out on the Distributed Map: more than InlineMaxTargets
// inline, a targets object, the stack's default targets in S3.
func TestDistributedRoutes(t *testing.T) {
	st := states(t, TypeStandard)
	size := obj(t, st["Size"])
	assert.Equal(t, []any{map[string]any{"Variable": fmt.Sprintf("$.targets[%d]", InlineMaxTargets), "IsPresent": true, "Next": "Stage"}}, size["Choices"])
	assert.Equal(t, "ReadPause", size["Default"], "50 or fewer: the inline path, as before")
	assert.Equal(t, "Size", obj(t, st["AnyTargets"])["Choices"].([]any)[0].(map[string]any)["Next"])

	first := obj(t, st["Targets"])["Choices"].([]any)[0].(map[string]any)
	assert.Equal(t, "$.targets_object", first["Variable"])
	assert.Equal(t, "Stage", obj(t, st["GivenTargetsObject"])["Next"])

	def := obj(t, st["DefaultTargets"], "Parameters", "object")
	assert.Equal(t, map[string]any{"bucket": "${" + DefaultTargetsBucket + "}", "key": "${" + DefaultTargetsKey + "}"}, def)
	src := obj(t, st["DefaultTargetsSource"])
	assert.Equal(t, "DefaultTargetsObject", src["Default"])
	assert.Equal(t, "DecodeDefaultTargets", src["Choices"].([]any)[0].(map[string]any)["Next"], "an empty key: the inline default targets")

	stage := obj(t, st["Stage"])
	assert.Equal(t, "BadTargets", stage["Catch"].([]any)[0].(map[string]any)["Next"])
	assert.Equal(t, []any{ErrBadInput}, stage["Catch"].([]any)[0].(map[string]any)["ErrorEquals"])
	assert.Equal(t, ErrBadInput, obj(t, st["BadTargets"])["Error"])
	fan := obj(t, st["Fanout"])
	assert.Equal(t, "Distribute", fan["Choices"].([]any)[0].(map[string]any)["Next"])
	assert.Equal(t, "Probe", fan["Default"])
	for _, n := range []string{"ReadPause", "PauseGate"} {
		assert.Equal(t, "Fanout", obj(t, st[n])["Catch"].([]any)[0].(map[string]any)["Next"], n)
	}
	assert.Equal(t, "Fanout", obj(t, st["MaybePaused"])["Default"])
	assert.Equal(t, "Fanout", obj(t, st["PauseVerdict"])["Default"])
}

// The EXPRESS document: the same inline path, the distributed branch a
// BadInput Fail state (an EXPRESS parent cannot run a Distributed Map).
func TestExpressDocument(t *testing.T) {
	ex, std := states(t, TypeExpress), states(t, TypeStandard)
	doc := DefinitionFor(TypeExpress)
	assert.NotContains(t, doc, "DISTRIBUTED")
	assert.NotContains(t, doc, "ItemReader")
	for _, n := range []string{"Distribute", "SummarizeFleet", "BadTargets"} {
		assert.NotContains(t, ex, n)
	}
	stage := obj(t, ex["Stage"])
	assert.Equal(t, map[string]any{"Type": "Fail", "Error": ErrBadInput, "Cause": ExpressFleetCause, "Comment": stage["Comment"]}, stage)
	assert.True(t, strings.HasPrefix(ExpressFleetCause, "targets: "), "names the field")
	assert.Contains(t, ExpressFleetCause, "STANDARD")
	assert.Equal(t, map[string]any{"Type": "Pass", "Next": "Probe", "Comment": obj(t, ex["Fanout"])["Comment"]}, ex["Fanout"])
	for n, s := range std {
		switch n {
		case "Distribute", "SummarizeFleet", "BadTargets", "Stage", "Fanout":
			continue
		}
		assert.Equal(t, s, ex[n], "%s: the same in both documents", n)
	}
	assert.Equal(t, 280.0, func() any {
		var d map[string]any
		require.NoError(t, json.Unmarshal([]byte(doc), &d))
		return d["TimeoutSeconds"]
	}())
}
