package alarmname

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFragmentsAreKebabOfKind(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range All() {
		assert.Equal(t, "alarm-"+kebab(string(i.Kind)), i.Fragment, "kind %s", i.Kind)
		assert.False(t, seen[i.Fragment], "duplicate fragment %s", i.Fragment)
		seen[i.Fragment] = true
		assert.NotEmpty(t, i.Summary)
	}
}

func TestAnchor(t *testing.T) {
	assert.Equal(t, "docs/RUNBOOK.md#alarm-executions-timed-out", ExecutionsTimedOut.Anchor())
	assert.Equal(t, "docs/RUNBOOK.md#alarm-run-failure", RunFailure.Anchor())
	assert.Equal(t, "alarm-something-new", Kind("SomethingNew").Fragment())
}

func TestPagingKinds(t *testing.T) {
	assert.Equal(t, []Kind{RunFailure, ExecutionsFailed, ExecutionsTimedOut}, PagingKinds())
}
