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
	assert.Equal(t, []Kind{RunFailure}, PagingKinds())
}

// TestPagingKindsAreNeverOptIn: every stack has the alarms that page.
func TestPagingKindsAreNeverOptIn(t *testing.T) {
	for _, i := range All() {
		if i.Pages {
			assert.Empty(t, i.OptIn, "%s pages", i.Kind)
		}
	}
	var optIn []Kind
	for _, i := range All() {
		if i.OptIn != "" {
			optIn = append(optIn, i.Kind)
		}
	}
	assert.Equal(t, []Kind{RunLatency, ExecutionsFailed, ExecutionsTimedOut, ExecutionThrottled, FunctionErrors, CheckFailure}, optIn)
}
