package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// budgetReport is a run whose ConnectAccess saw blocks with the given
// smallest timeout and strictest response type, and whose chain checks
// took the given REPORT durations.
func budgetReport(ca Result, durations map[string]Invocation, shapes map[string][]ShapeKey) Report {
	rep := Report{Checks: []Result{ca}}
	for _, name := range ChainChecks {
		res := Result{Name: name, Status: Pass, Message: "ok"}
		if inv, ok := durations[name]; ok {
			inv := inv
			res.Invocation = &inv
		}
		res.Shape = shapes[name]
		rep.Checks = append(rep.Checks, res)
	}
	return rep
}

func connectPass(timeout int, responseType string) Result {
	return Result{Name: ConnectAccess, Status: Pass, Message: "Connect may invoke it", DurationMS: 42, Connect: &ConnectView{
		BlocksCalling: 2, FlowsCalling: 1, MinTimeoutSeconds: timeout, MinTimeoutFlow: "Inbound lookup",
		StrictestResponseType: responseType, StringMapFlow: "Inbound lookup", FunctionTimeoutSeconds: 6,
	}}
}

func TestConnectBudget(t *testing.T) {
	for _, tt := range []struct {
		name        string
		ca          Result
		durations   map[string]Invocation
		shapes      map[string][]ShapeKey
		wantStatus  Status
		wantClass   failure.Class
		wantVerdict string
		wantLongest string
		wantMsg     []string
	}{
		{name: "well within", ca: connectPass(3, "JSON"),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 400}, CreateCase: {DurationMS: 900}},
			wantStatus: Pass, wantVerdict: BudgetOK, wantLongest: CreateCase},
		{name: "a cold start counts", ca: connectPass(3, "JSON"),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 1700, InitDurationMS: 812}},
			wantStatus: Warn, wantVerdict: BudgetWarn, wantLongest: PhoneLookup, wantMsg: []string{"2512 ms, cold start included", "83 %", `"Inbound lookup"`}},
		{name: "exactly the block's timeout warns", ca: connectPass(3, "JSON"),
			durations:  map[string]Invocation{CloseCase: {DurationMS: 3000}},
			wantStatus: Warn, wantVerdict: BudgetWarn, wantLongest: CloseCase},
		{name: "above the block fails timeout though the chain passed", ca: connectPass(3, "JSON"),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 3512}},
			wantStatus: Fail, wantClass: failure.Timeout, wantVerdict: BudgetFail, wantLongest: PhoneLookup,
			wantMsg: []string{"3512 ms", "Error branch"}},
		{name: "no figures: not judged, status kept", ca: connectPass(3, "JSON"),
			wantStatus: Pass, wantVerdict: BudgetNotJudged, wantMsg: []string{"not judged"}},
		{name: "a nested result against STRING_MAP fails unexpected-response", ca: connectPass(8, ResponseStringMap),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 300}},
			shapes:     map[string][]ShapeKey{PhoneLookup: {{Key: "Account", Kind: "object"}, {Key: "sf_count", Kind: "number"}}},
			wantStatus: Fail, wantClass: failure.UnexpectedResponse, wantVerdict: BudgetOK, wantLongest: PhoneLookup,
			wantMsg: []string{`"Account" as a nested object`, "STRING_MAP block"}},
		{name: "numbers and booleans suit STRING_MAP", ca: connectPass(8, ResponseStringMap),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 300}},
			shapes:     map[string][]ShapeKey{PhoneLookup: {{Key: "sf_count", Kind: "number"}, {Key: "IsClosed", Kind: "bool"}}},
			wantStatus: Pass, wantVerdict: BudgetOK, wantLongest: PhoneLookup},
		{name: "sfprobe's own read-back is not a flow's response", ca: connectPass(8, ResponseStringMap),
			durations:  map[string]Invocation{VerifyCaseClosed: {DurationMS: 300}},
			shapes:     map[string][]ShapeKey{VerifyCaseClosed: {{Key: "records", Kind: "list"}}},
			wantStatus: Pass, wantVerdict: BudgetOK, wantLongest: VerifyCaseClosed},
		{name: "a JSON block takes a nested result", ca: connectPass(8, "JSON"),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 300}},
			shapes:     map[string][]ShapeKey{PhoneLookup: {{Key: "Account", Kind: "object"}}},
			wantStatus: Pass, wantVerdict: BudgetOK},
		{name: "near the function's own timeout warns", ca: connectPass(8, "JSON"),
			durations:  map[string]Invocation{PhoneLookup: {DurationMS: 5000}},
			wantStatus: Warn, wantVerdict: BudgetOK, wantMsg: []string{"function's own timeout (6 s)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := budgetReport(tt.ca, tt.durations, tt.shapes)
			rep.Finish()
			got := rep.Checks[0]
			assert.Equal(t, tt.wantStatus, got.Status, got.Message)
			assert.Equal(t, tt.wantClass, got.ErrorClass)
			require.NotNil(t, got.Connect)
			require.NotNil(t, got.Connect.Budget)
			assert.Equal(t, tt.wantVerdict, got.Connect.Budget.Verdict)
			if tt.wantLongest != "" {
				assert.Equal(t, tt.wantLongest, got.Connect.Budget.LongestCheck)
			}
			for _, m := range tt.wantMsg {
				assert.Contains(t, got.Message, m)
			}
			assert.Equal(t, int64(42), got.DurationMS, "the check's own figures stay")
			assert.Equal(t, tt.wantStatus != Fail, rep.OK)
			if tt.wantClass == failure.Timeout {
				assert.Equal(t, BudgetRemedy, got.Remediation)
			}

			again := rep
			again.Checks = append([]Result(nil), rep.Checks...)
			again.Finish()
			assert.Equal(t, rep.Checks[0], again.Checks[0], "Finish judges once")
		})
	}
}

func TestConnectBudgetLeavesOthersAlone(t *testing.T) {
	for name, ca := range map[string]Result{
		"failed already": {Name: ConnectAccess, Status: Fail, ErrorClass: failure.Permission, Message: "not associated",
			Connect: &ConnectView{BlocksCalling: 1, MinTimeoutSeconds: 3}},
		"skipped":          {Name: ConnectAccess, Status: Skip, Message: "out of scope"},
		"no block":         {Name: ConnectAccess, Status: Pass, Message: "ok", Connect: &ConnectView{}},
		"no instance side": {Name: ConnectAccess, Status: Pass, Message: "ok"},
	} {
		rep := budgetReport(ca, map[string]Invocation{PhoneLookup: {DurationMS: 9000}}, nil)
		rep.Finish()
		assert.Equal(t, ca, rep.Checks[0], name)
	}
}
