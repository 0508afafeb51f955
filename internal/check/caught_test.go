package check_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// TestCaughtResult_lambdaTimedOut: a step whose Lambda ran past its own
// timeout is caught as Sandbox.Timedout, with the runtime's message as the
// cause: a timeout, not unknown.
func TestCaughtResult_lambdaTimedOut(t *testing.T) {
	r := check.CaughtResult(check.PhoneLookup, &check.StepError{Error: "Sandbox.Timedout",
		Cause: `{"errorMessage":"RequestId: 6f2d Error: Task timed out after 30.00 seconds","errorType":"Sandbox.Timedout"}`})
	assert.Equal(t, check.Fail, r.Status)
	assert.Equal(t, failure.Timeout, r.ErrorClass)
	assert.Equal(t, "RequestId: 6f2d Error: Task timed out after 30.00 seconds", r.Message)
}
