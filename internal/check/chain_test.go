package check_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

const runID = "20250304T050607Z-0a1b2c3d"

var (
	runMarker = events.Marker(runID)
	startedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
)

func fixedClock() func() time.Time { return func() time.Time { return startedAt } }

// run runs names against f with a fixed run id and clock.
func run(t *testing.T, f *checktest.Deployment, tgt check.Target, names []string, opts ...check.Option) check.Report {
	t.Helper()
	opts = append([]check.Option{check.WithRunID(runID), check.WithClock(fixedClock())}, opts...)
	return check.NewRunner(f.Deps(), opts...).Run(context.Background(), tgt, names)
}

// byName indexes a report's results.
func byName(rep check.Report) map[string]check.Result {
	out := map[string]check.Result{}
	for _, r := range rep.Checks {
		out[r.Name] = r
	}
	return out
}

func names(rep check.Report) []string {
	var out []string
	for _, r := range rep.Checks {
		out = append(out, r.Name)
	}
	return out
}

// rendered is the event sfprobe must send for n.
func rendered(t *testing.T, n events.Name, v events.Values) map[string]string {
	t.Helper()
	b, err := events.Render(n, v)
	require.NoError(t, err)
	var e struct {
		Details struct {
			Parameters map[string]string `json:"Parameters"`
		} `json:"Details"`
	}
	require.NoError(t, json.Unmarshal(b, &e))
	return e.Details.Parameters
}

func TestRun_happyPath(t *testing.T) {
	f := checktest.NewDeployment()
	var mu sync.Mutex
	progress := map[string][]check.Status{}
	tgt := target()
	tgt.ConnectInstanceARN = instanceX

	rep := run(t, f, tgt, check.Names(), check.WithProgress(func(name string, st check.Status) {
		mu.Lock()
		progress[name] = append(progress[name], st)
		mu.Unlock()
	}))

	assert.True(t, rep.OK)
	assert.Equal(t, check.Names(), names(rep), "every check, in report order")
	for _, r := range rep.Checks {
		want := check.Pass
		if r.Name == check.SalesforceLogin {
			want = check.Warn // the password flow's retirement notice
		}
		assertOK(t, r, r.Name, want)
	}
	assert.Equal(t, check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true}, rep.Cleanup)
	assert.Equal(t, 5+1, rep.SalesforceCalls, "the chain's 5 and SalesforceLogin's /limits")
	assert.Equal(t, []string{"POST /services/oauth2/token", "GET /services/data/", "GET /services/data/v60.0/limits", "POST /services/oauth2/revoke"}, f.Org.Requests())
	require.NotNil(t, rep.SalesforceAPIRemaining)
	assert.Equal(t, []string{"phoneLookup", "create", "update", "lookup", "delete"}, f.SFInvokeAPI.Operations())
	assert.Equal(t, fnName, rep.Target)
	assert.Equal(t, runID, rep.RunID)
	assert.Equal(t, startedAt, rep.StartedAt)
	assert.Empty(t, rep.FailedChecks())
	for _, n := range check.Names() {
		want := check.Pass
		if n == check.SalesforceLogin {
			want = check.Warn
		}
		assert.Equal(t, []check.Status{check.Running, want}, progress[n], n)
	}

	// The events are the rendered templates, with the values the chain found.
	calls := f.SFInvokeAPI.Calls()
	require.Len(t, calls, 5)
	want := []map[string]string{
		rendered(t, events.PhoneLookup, events.Values{Phone: testPhone, Fields: "Id, Name"}),
		rendered(t, events.Create, events.Values{ContactID: checktest.ContactID, Marker: runMarker}),
		rendered(t, events.Update, events.Values{CaseID: checktest.CaseID}),
		rendered(t, events.LookupCase, events.Values{CaseID: checktest.CaseID}),
		rendered(t, events.Delete, events.Values{CaseID: checktest.CaseID}),
	}
	for i, c := range calls {
		assert.Equal(t, fnName, c.Function)
		assert.Equal(t, want[i], c.Params, "call %d (%s)", i, c.Op())
	}
	assert.Equal(t, events.Subject(runMarker), calls[1].Params["Subject"])
}

func TestRun_keepCases(t *testing.T) {
	f := checktest.NewDeployment()
	tgt := target()
	tgt.KeepCases = true

	rep := run(t, f, tgt, check.ChainChecks)

	assert.True(t, rep.OK)
	assert.Equal(t, check.Cleanup{Status: check.CleanupKept, CaseID: checktest.CaseID, Closed: true}, rep.Cleanup)
	assert.Equal(t, 4, rep.SalesforceCalls)
	assert.Equal(t, []string{"phoneLookup", "create", "update", "lookup"}, f.SFInvokeAPI.Operations())
}

func TestRun_phoneLookupNotFound(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["phoneLookup"] = checktest.Reply(map[string]any{"sf_count": 0})

	rep := run(t, f, target(), check.Names())

	assert.False(t, rep.OK)
	got := byName(rep)
	assertFailed(t, got[check.PhoneLookup], check.PhoneLookup, failure.Data)
	assert.Contains(t, got[check.PhoneLookup].Message, "no Contact has phone +********4455")
	assert.NotContains(t, got[check.PhoneLookup].Message, testPhone, "the phone is masked")
	for _, n := range []string{check.CreateCase, check.CloseCase, check.VerifyCaseClosed} {
		assert.Equal(t, check.Skip, got[n].Status, n)
		assert.Equal(t, "skipped: PhoneLookup failed (data)", got[n].Message, n)
	}
	for _, n := range check.AWSChecks {
		assert.NotEqual(t, check.Fail, got[n].Status, n)
	}
	assert.Equal(t, []string{check.PhoneLookup}, rep.FailedChecks())
	assert.Equal(t, check.Cleanup{Status: check.CleanupNotNeeded}, rep.Cleanup)
	assert.Equal(t, 1+1, rep.SalesforceCalls, "phoneLookup and SalesforceLogin's /limits")
	assert.Equal(t, []string{"phoneLookup"}, f.SFInvokeAPI.Operations())
}

func TestRun_phoneLookupResult(t *testing.T) {
	tests := []struct {
		name        string
		giveFields  string
		givePayload map[string]any
		wantStatus  check.Status
		wantClass   failure.Class
		wantMessage string
	}{
		{
			name:        "several contacts",
			giveFields:  "Id, Name",
			givePayload: map[string]any{"Id": checktest.ContactID, "Name": "Jim Smith", "sf_count": 2},
			wantStatus:  check.Warn,
			wantMessage: "more than one contact",
		},
		{
			name:        "nested relationship field",
			giveFields:  "Id, Account.Name",
			givePayload: map[string]any{"Id": checktest.ContactID, "Account": map[string]any{"attributes": map[string]any{"type": "Account"}, "Name": "Acme"}, "sf_count": 1},
			wantStatus:  check.Warn,
			wantMessage: "Account.Name come back nested",
		},
		{
			name:        "requested field missing",
			giveFields:  "Id, Name, Email",
			givePayload: map[string]any{"Id": checktest.ContactID, "Name": "Jim Smith", "sf_count": 1},
			wantStatus:  check.Fail,
			wantClass:   failure.UnexpectedResponse,
			wantMessage: "lacks the requested fields Email",
		},
		{
			name:        "null field is present",
			giveFields:  "Id, Email",
			givePayload: map[string]any{"Id": checktest.ContactID, "Email": nil, "sf_count": 1},
			wantStatus:  check.Pass,
			wantMessage: "found contact " + checktest.ContactID + " (1 match(es))",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SFInvokeAPI.Ops["phoneLookup"] = checktest.Reply(tt.givePayload)
			tgt := target()
			tgt.Fields = tt.giveFields

			rep := run(t, f, tgt, []string{check.PhoneLookup})

			require.Len(t, rep.Checks, 1)
			r := rep.Checks[0]
			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.PhoneLookup, tt.wantClass)
			} else {
				assertOK(t, r, check.PhoneLookup, tt.wantStatus)
			}
			assert.Contains(t, r.Message, tt.wantMessage)
		})
	}
}

func TestRun_createRejected(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["create"] = checktest.Raise("Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases cannot be created by this user")

	rep := run(t, f, target(), check.ChainChecks)

	got := byName(rep)
	assertFailed(t, got[check.CreateCase], check.CreateCase, failure.Data)
	assert.Contains(t, got[check.CreateCase].Message, "FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases cannot be created by this user")
	assert.Equal(t, check.Pass, got[check.PhoneLookup].Status)
	assert.Equal(t, "skipped: CreateCase failed (data)", got[check.CloseCase].Message)
	assert.Equal(t, check.Skip, got[check.VerifyCaseClosed].Status)
	assert.Equal(t, check.Cleanup{Status: check.CleanupNotNeeded}, rep.Cleanup, "a rejected create created nothing: no sweep")
	assert.Equal(t, []string{"phoneLookup", "create"}, f.SFInvokeAPI.Operations())
	assert.Equal(t, 2, rep.SalesforceCalls)
}

func TestRun_closeCaseStatus200(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["update"] = checktest.Sequence(
		checktest.Reply(map[string]any{"Status": 200}),
		checktest.Reply(map[string]any{"Status": 204}),
	)

	rep := run(t, f, target(), check.ChainChecks)

	got := byName(rep)
	assertFailed(t, got[check.CloseCase], check.CloseCase, failure.UnexpectedResponse)
	assert.Contains(t, got[check.CloseCase].Message, "returned Status 200, want 204")
	assert.Equal(t, "skipped: CloseCase failed (unexpected-response)", got[check.VerifyCaseClosed].Message)
	assert.Equal(t, check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true}, rep.Cleanup)
	assert.Equal(t, []string{"phoneLookup", "create", "update", "update", "delete"}, f.SFInvokeAPI.Operations())
	assert.Equal(t, 5, rep.SalesforceCalls)
}

func TestRun_verifyCaseClosedStillOpen(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["lookup"] = checktest.Reply(map[string]any{"Id": checktest.CaseID, "Status": "New", "IsClosed": false, "sf_count": 1})

	rep := run(t, f, target(), check.ChainChecks)

	got := byName(rep)
	assertFailed(t, got[check.VerifyCaseClosed], check.VerifyCaseClosed, failure.Data)
	assert.Contains(t, got[check.VerifyCaseClosed].Message, "is New (IsClosed false)")
	assert.Equal(t, check.CleanupDeleted, rep.Cleanup.Status)
	assert.True(t, rep.Cleanup.Deleted)
	assert.Equal(t, checktest.CaseID, rep.Cleanup.CaseID)
	assert.Equal(t, []string{"phoneLookup", "create", "update", "lookup", "update", "delete"}, f.SFInvokeAPI.Operations())
	assert.Equal(t, 6, rep.SalesforceCalls)
}

func TestRun_verifyCaseClosedNotFound(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["lookup"] = checktest.Reply(map[string]any{"sf_count": 0})

	rep := run(t, f, target(), check.ChainChecks)

	got := byName(rep)
	assertFailed(t, got[check.VerifyCaseClosed], check.VerifyCaseClosed, failure.Data)
	assert.Contains(t, got[check.VerifyCaseClosed].Message, "was not found when read back")
}

// The Cases the fake org holds: this run's test case and another run's.
var (
	runCase   = checktest.Case{ID: checktest.CaseID, Subject: events.Subject(runMarker), CreatedDate: "2025-03-04T05:06:08.000+0000"}
	otherCase = checktest.Case{ID: "5001r0000000000009", Subject: events.Subject(events.Marker("other-run")), CreatedDate: "2025-03-03T05:06:07.000+0000"}
)

const lostCreate = "2025-03-04T05:06:14.000Z 6f2d Task timed out after 6.01 seconds"

// TestRun_createOutcomeUnknown: a create whose response was lost is never
// repeated blindly: the step looks the run marker up first.
func TestRun_createOutcomeUnknown(t *testing.T) {
	tests := []struct {
		name        string
		giveCreate  checktest.OpFunc
		giveQuery   checktest.OpFunc
		wantCreate  check.Status
		wantClass   failure.Class
		wantMessage string
		wantOps     []string
		wantCleanup check.Cleanup
	}{
		{
			name:        "the case was created: found by its marker",
			giveCreate:  checktest.Raise("Sandbox.Timedout", lostCreate),
			giveQuery:   checktest.Query(otherCase, runCase),
			wantCreate:  check.Pass,
			wantMessage: "created case " + checktest.CaseID + ": the create's response was lost (timeout), the case was found by its run marker",
			wantOps:     []string{"phoneLookup", "create", "query", "update", "lookup", "delete"},
			wantCleanup: check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true},
		},
		{
			name:        "the create did not run: repeated once",
			giveCreate:  checktest.Sequence(checktest.Raise("Sandbox.Timedout", lostCreate), checktest.HappyOps()["create"]),
			giveQuery:   checktest.Query(otherCase),
			wantCreate:  check.Pass,
			wantMessage: "on the second attempt",
			wantOps:     []string{"phoneLookup", "create", "query", "create", "update", "lookup", "delete"},
			wantCleanup: check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true},
		},
		{
			name:       "the case appears late: the cleanup sweeps it by its marker",
			giveCreate: checktest.Raise("Sandbox.Timedout", lostCreate),
			giveQuery: checktest.Sequence(
				checktest.Query(otherCase), checktest.Query(otherCase), checktest.Query(otherCase, runCase)),
			wantCreate:  check.Fail,
			wantClass:   failure.Timeout,
			wantOps:     []string{"phoneLookup", "create", "query", "create", "query", "query", "delete"},
			wantCleanup: check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Deleted: true},
		},
		{
			name:        "no case: nothing to clean up",
			giveCreate:  checktest.Fail(&lambdatypes.ServiceException{}),
			giveQuery:   checktest.Query(otherCase),
			wantCreate:  check.Fail,
			wantClass:   failure.Network,
			wantOps:     []string{"phoneLookup", "create", "query", "create", "query", "query"},
			wantCleanup: check.Cleanup{Status: check.CleanupNotNeeded},
		},
		{
			name:        "the repeat is rejected",
			giveCreate:  checktest.Sequence(checktest.Raise("Sandbox.Timedout", lostCreate), checktest.Raise("Exception", "REQUIRED_FIELD_MISSING: Required fields are missing: [Type]")),
			giveQuery:   checktest.Query(),
			wantCreate:  check.Fail,
			wantClass:   failure.Data,
			wantMessage: "REQUIRED_FIELD_MISSING",
			wantOps:     []string{"phoneLookup", "create", "query", "create"},
			wantCleanup: check.Cleanup{Status: check.CleanupNotNeeded},
		},
		{
			name:        "the marker cannot be looked up",
			giveCreate:  checktest.Raise("Sandbox.Timedout", lostCreate),
			giveQuery:   checktest.Raise("Exception", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."),
			wantCreate:  check.Fail,
			wantClass:   failure.Timeout,
			wantMessage: "the run marker could not be looked up",
			wantOps:     []string{"phoneLookup", "create", "query", "query"},
			wantCleanup: check.Cleanup{Status: check.CleanupFailed, ErrorClass: failure.APILimit},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SFInvokeAPI.Ops["create"] = tt.giveCreate
			f.SFInvokeAPI.Ops["query"] = tt.giveQuery

			rep := run(t, f, target(), check.ChainChecks, check.WithSleep(func(context.Context, time.Duration) bool { return true }))

			r := byName(rep)[check.CreateCase]
			if tt.wantCreate == check.Fail {
				assertFailed(t, r, check.CreateCase, tt.wantClass)
				assert.Equal(t, check.Skip, byName(rep)[check.CloseCase].Status)
			} else {
				assertOK(t, r, check.CreateCase, tt.wantCreate)
				assert.True(t, rep.OK)
			}
			assert.Contains(t, r.Message, tt.wantMessage)
			assert.Equal(t, tt.wantOps, f.SFInvokeAPI.Operations())
			assert.Equal(t, len(tt.wantOps), rep.SalesforceCalls)
			msg := rep.Cleanup.Message
			rep.Cleanup.Message = ""
			assert.Equal(t, tt.wantCleanup, rep.Cleanup, msg)

			// Every query looks up exactly this run's marker; every create
			// carries it; a delete only ever removes this run's case.
			for _, c := range f.SFInvokeAPI.Calls() {
				switch c.Op() {
				case "query":
					assert.Equal(t, rendered(t, events.FindRunCase, events.Values{Marker: runMarker}), c.Params)
				case "create":
					assert.Equal(t, events.Subject(runMarker), c.Params["Subject"])
				case "delete":
					assert.Equal(t, checktest.CaseID, c.Params["sf_id"])
				}
			}
		})
	}
}

// TestRun_runTimeoutDuringCreate: the run's deadline passes while the create
// hangs; the cleanup, on its own deadline, still sweeps by the marker.
func TestRun_runTimeoutDuringCreate(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["create"] = checktest.Hang()
	f.SFInvokeAPI.Ops["query"] = checktest.Query(otherCase, runCase)

	rep := run(t, f, target(), check.ChainChecks, check.WithTimeout(50*time.Millisecond))

	assertFailed(t, byName(rep)[check.CreateCase], check.CreateCase, failure.Timeout)
	assert.Equal(t, check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Deleted: true}, rep.Cleanup)
	assert.Equal(t, []string{"phoneLookup", "create", "query", "delete"}, f.SFInvokeAPI.Operations())
}

// TestRun_keepCasesSweep: with keep-cases, the case a lost create left
// behind is closed and kept like any other test case (sweepRun's doc:
// "deletes (or closes) it"; Target.KeepCases: "keeps the test Case
// (closed) instead of deleting it"), not deleted.
func TestRun_keepCasesSweep(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["create"] = checktest.Raise("Sandbox.Timedout", lostCreate)
	f.SFInvokeAPI.Ops["query"] = checktest.Sequence(checktest.Query(), checktest.Query(), checktest.Query(runCase))
	tgt := target()
	tgt.KeepCases = true

	rep := run(t, f, tgt, check.ChainChecks)

	assert.Equal(t, check.Cleanup{Status: check.CleanupKept, CaseID: checktest.CaseID, Closed: true}, rep.Cleanup)
	assert.Equal(t, []string{"phoneLookup", "create", "query", "create", "query", "query", "update"}, f.SFInvokeAPI.Operations())
}

func TestRetrySafe(t *testing.T) {
	tests := []struct {
		step  string
		class failure.Class
		want  bool
	}{
		{check.PhoneLookup, failure.Throttled, true},
		{check.PhoneLookup, failure.Network, true},
		{check.PhoneLookup, failure.Timeout, true},
		{check.PhoneLookup, failure.Auth, false},
		{check.PhoneLookup, failure.Data, false},
		{check.CreateCase, failure.Throttled, true},
		{check.CreateCase, failure.Network, false},
		{check.CreateCase, failure.Timeout, false},
		{check.CreateCase, failure.Unknown, false},
		{check.CloseCase, failure.Timeout, true},
		{check.CloseCase, failure.UnexpectedResponse, false},
		{check.VerifyCaseClosed, failure.Network, true},
		{check.VerifyCaseClosed, failure.APILimit, false},
	}
	for _, tt := range tests {
		t.Run(tt.step+" "+string(tt.class), func(t *testing.T) {
			assert.Equal(t, tt.want, check.RetrySafe(tt.step, tt.class))
		})
	}
}

// TestRun_stepRetries: `sfprobe run` repeats a step that failed transiently.
// (The backoff is random, up to 250 ms for the first retry, and cannot be
// injected; one retry keeps the test short.)
func TestRun_stepRetries(t *testing.T) {
	throttled := checktest.Fail(&lambdatypes.TooManyRequestsException{})
	tests := []struct {
		name       string
		giveOp     string
		giveFn     checktest.OpFunc
		giveRetry  int
		wantStatus check.Status
		wantOps    []string
		// wantAttempts is the result's attempts (0: one attempt, not shown).
		wantAttempts int
	}{
		{
			name: "throttled phone lookup retried", giveOp: "phoneLookup", giveRetry: 1,
			giveFn:     checktest.Sequence(throttled, checktest.HappyOps()["phoneLookup"]),
			wantStatus: check.Pass, wantOps: []string{"phoneLookup", "phoneLookup"}, wantAttempts: 2,
		},
		{
			name: "no retries", giveOp: "phoneLookup", giveRetry: 0,
			giveFn:     checktest.Sequence(throttled, checktest.HappyOps()["phoneLookup"]),
			wantStatus: check.Fail, wantOps: []string{"phoneLookup"},
		},
		{
			name: "a data failure is not retried", giveOp: "phoneLookup", giveRetry: 1,
			giveFn:     checktest.Reply(map[string]any{"sf_count": 0}),
			wantStatus: check.Fail, wantOps: []string{"phoneLookup"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SFInvokeAPI.Ops[tt.giveOp] = tt.giveFn

			rep := run(t, f, target(), []string{check.PhoneLookup}, check.WithStepRetries(tt.giveRetry))

			require.Len(t, rep.Checks, 1)
			assert.Equal(t, tt.wantStatus, rep.Checks[0].Status, rep.Checks[0].Message)
			assert.Equal(t, tt.wantOps, f.SFInvokeAPI.Operations())
			assert.Equal(t, tt.wantAttempts, rep.Checks[0].Attempts)
			assert.Equal(t, tt.wantAttempts > 1, rep.Checks[0].Retried())
		})
	}
}

func TestRun_cleanupFailures(t *testing.T) {
	tests := []struct {
		name        string
		giveKeep    bool
		giveUpdate  checktest.OpFunc
		giveLookup  checktest.OpFunc
		giveDelete  checktest.OpFunc
		wantCleanup check.Cleanup
		wantMessage string
	}{
		{
			name:        "delete fails",
			giveUpdate:  checktest.Reply(map[string]any{"Status": 204}),
			giveLookup:  checktest.HappyOps()["lookup"],
			giveDelete:  checktest.Raise("Exception", "ENTITY_IS_DELETED: entity is deleted"),
			wantCleanup: check.Cleanup{Status: check.CleanupFailed, CaseID: checktest.CaseID, Closed: true, ErrorClass: failure.NotFound},
			wantMessage: "delete: ",
		},
		{
			name:       "keep cases but the close fails",
			giveKeep:   true,
			giveUpdate: checktest.Sequence(checktest.Reply(map[string]any{"Status": 204}), checktest.Raise("Exception", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")),
			// The case reads back open, so the cleanup closes it again.
			giveLookup:  checktest.Reply(map[string]any{"Id": checktest.CaseID, "Status": "New", "IsClosed": false, "sf_count": 1}),
			giveDelete:  checktest.Reply(map[string]any{"Response": nil}),
			wantCleanup: check.Cleanup{Status: check.CleanupFailed, CaseID: checktest.CaseID, ErrorClass: failure.Data},
			wantMessage: "close: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SFInvokeAPI.Ops["update"] = tt.giveUpdate
			f.SFInvokeAPI.Ops["lookup"] = tt.giveLookup
			f.SFInvokeAPI.Ops["delete"] = tt.giveDelete
			tgt := target()
			tgt.KeepCases = tt.giveKeep

			rep := run(t, f, tgt, check.ChainChecks)

			msg := rep.Cleanup.Message
			rep.Cleanup.Message = ""
			assert.Equal(t, tt.wantCleanup, rep.Cleanup)
			assert.Contains(t, msg, tt.wantMessage)
		})
	}
}

func TestRun_checksSubset(t *testing.T) {
	tests := []struct {
		name          string
		give          []string
		wantChecks    []string
		wantOps       []string
		wantCleanup   string
		wantAWSCalled bool
	}{
		{
			name:        "PhoneLookup only",
			give:        []string{check.PhoneLookup},
			wantChecks:  []string{check.PhoneLookup},
			wantOps:     []string{"phoneLookup"},
			wantCleanup: check.CleanupNotNeeded,
		},
		{
			name:        "VerifyCaseClosed runs the chain up to it",
			give:        []string{check.VerifyCaseClosed},
			wantChecks:  check.ChainChecks,
			wantOps:     []string{"phoneLookup", "create", "update", "lookup", "delete"},
			wantCleanup: check.CleanupDeleted,
		},
		{
			name:        "CreateCase runs PhoneLookup first and cleans up",
			give:        []string{check.CreateCase},
			wantChecks:  []string{check.PhoneLookup, check.CreateCase},
			wantOps:     []string{"phoneLookup", "create", "update", "delete"},
			wantCleanup: check.CleanupDeleted,
		},
		{
			name:          "an AWS check only",
			give:          []string{check.KmsKey},
			wantChecks:    []string{check.KmsKey},
			wantOps:       []string{},
			wantCleanup:   check.CleanupNotNeeded,
			wantAWSCalled: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			var awsCalls int
			var mu sync.Mutex
			f.Lambda.GetPolicyFn = func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
				mu.Lock()
				awsCalls++
				mu.Unlock()
				return nil, fmt.Errorf("GetPolicy called")
			}

			rep := run(t, f, target(), tt.give)

			assert.Equal(t, tt.wantChecks, names(rep))
			assert.Equal(t, tt.wantOps, f.SFInvokeAPI.Operations())
			assert.Equal(t, len(tt.wantOps), rep.SalesforceCalls)
			assert.Equal(t, tt.wantCleanup, rep.Cleanup.Status)
			assert.True(t, rep.OK)
			assert.Zero(t, awsCalls, "ConnectAccess did not run")
			if !tt.wantAWSCalled {
				assert.Empty(t, f.Simulations(), "KmsKey did not run")
			}
		})
	}
}

func TestRun_overallTimeout(t *testing.T) {
	f := checktest.NewDeployment()
	hangConfig := func(ctx context.Context, _ *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	f.Lambda.GetFunctionConfigurationFn = hangConfig
	f.SFInvokeAPI.Ops["phoneLookup"] = checktest.Hang()

	start := time.Now()
	rep := check.NewRunner(f.Deps(), check.WithTimeout(30*time.Millisecond), check.WithRunID(runID)).
		Run(context.Background(), target(), check.Names())
	elapsed := time.Since(start)

	assert.Less(t, elapsed, 5*time.Second)
	assert.GreaterOrEqual(t, rep.DurationMS, int64(30))
	assert.False(t, rep.OK)
	assert.Equal(t, check.Names(), names(rep), "the report is complete")
	got := byName(rep)
	assertFailed(t, got[check.TargetConfig], check.TargetConfig, failure.Timeout)
	assertFailed(t, got[check.PhoneLookup], check.PhoneLookup, failure.Timeout)
	assert.Equal(t, check.Skip, got[check.CreateCase].Status)
	assert.Equal(t, check.CleanupNotNeeded, rep.Cleanup.Status)
}

func TestRun_noInvoker(t *testing.T) {
	f := checktest.NewDeployment()
	deps := f.Deps()
	deps.Invoker = nil
	rep := check.NewRunner(deps, check.WithRunID(runID)).Run(context.Background(), target(), []string{check.CreateCase})
	got := byName(rep)
	assertFailed(t, got[check.PhoneLookup], check.PhoneLookup, failure.Config)
	assert.Equal(t, check.Skip, got[check.CreateCase].Status)
}

func TestRun_newRunIDMakesAValidMarker(t *testing.T) {
	f := checktest.NewDeployment()
	rep := check.NewRunner(f.Deps()).Run(context.Background(), target(), []string{check.CreateCase})
	assert.True(t, events.ValidMarker(events.Marker(rep.RunID)), rep.RunID)
	calls := f.SFInvokeAPI.Calls()
	require.GreaterOrEqual(t, len(calls), 2)
	assert.Equal(t, events.Subject(events.Marker(rep.RunID)), calls[1].Params["Subject"])
}

func TestNewRunID(t *testing.T) {
	a := check.NewRunID(startedAt)
	b := check.NewRunID(startedAt)
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^20250304T050607Z-[0-9a-f]{8}$`, a)
	assert.True(t, events.ValidMarker(events.Marker(a)))
}

// ---- the workflow's entry points ----------------------------------------

func TestStepAndFinish(t *testing.T) {
	f := checktest.NewDeployment()
	c := &check.Chain{Target: target(), RunID: runID}
	for _, n := range check.ChainChecks {
		r := check.Step(context.Background(), f.Deps(), n, c)
		assert.Equal(t, check.Pass, r.Status, n)
	}
	assert.Equal(t, checktest.ContactID, c.ContactID)
	assert.Equal(t, checktest.CaseID, c.CaseID)
	assert.False(t, c.Failed)

	check.Finish(context.Background(), f.Deps(), c)

	assert.Len(t, c.Results, 4)
	require.NotNil(t, c.Cleanup)
	assert.Equal(t, check.CleanupDeleted, c.Cleanup.Status)
	assert.Equal(t, 5, c.Calls)
}

func TestStep_unknownName(t *testing.T) {
	f := checktest.NewDeployment()
	c := &check.Chain{Target: target(), RunID: runID}
	r := check.Step(context.Background(), f.Deps(), check.TargetConfig, c)
	assertFailed(t, r, check.TargetConfig, failure.Config)
	assert.True(t, c.Failed)
	assert.Empty(t, f.SFInvokeAPI.Calls())
}

// TestFinish_caught: the workflow caught the CreateCase Lambda's own error;
// Finish records it, skips the rest and sweeps for the case.
func TestFinish_caught(t *testing.T) {
	f := checktest.NewDeployment()
	f.SFInvokeAPI.Ops["query"] = checktest.Query(otherCase, runCase)
	c := &check.Chain{Target: target(), RunID: runID, ContactID: checktest.ContactID,
		Results: []check.Result{{Name: check.PhoneLookup, Status: check.Pass}},
		Error:   &check.StepError{Error: "States.Timeout", Cause: ""}}

	check.Finish(context.Background(), f.Deps(), c)

	got := map[string]check.Result{}
	for _, r := range c.Results {
		got[r.Name] = r
	}
	require.Len(t, c.Results, 4)
	assertFailed(t, got[check.CreateCase], check.CreateCase, failure.Timeout)
	assert.Equal(t, "skipped: CreateCase failed (timeout)", got[check.CloseCase].Message)
	assert.Equal(t, check.Skip, got[check.VerifyCaseClosed].Status)
	require.NotNil(t, c.Cleanup)
	assert.Equal(t, check.CleanupDeleted, c.Cleanup.Status)
	assert.Equal(t, []string{"query", "delete"}, f.SFInvokeAPI.Operations())
}

func TestCaughtResult(t *testing.T) {
	tests := []struct {
		name        string
		give        check.StepError
		wantClass   failure.Class
		wantMessage string
	}{
		{
			name:        "States.Timeout",
			give:        check.StepError{Error: "States.Timeout", Cause: ""},
			wantClass:   failure.Timeout,
			wantMessage: "the step timed out in the workflow",
		},
		{
			name:        "TransientError throttled",
			give:        check.StepError{Error: "TransientError", Cause: `{"errorMessage":"throttled: invoke phoneLookup: Rate exceeded","errorType":"TransientError"}`},
			wantClass:   failure.Throttled,
			wantMessage: "invoke phoneLookup: Rate exceeded",
		},
		{
			name:        "TransientError network",
			give:        check.StepError{Error: "TransientError", Cause: `{"errorMessage":"network: dial tcp: connection refused","errorType":"TransientError"}`},
			wantClass:   failure.Network,
			wantMessage: "dial tcp: connection refused",
		},
		{
			name:        "TransientError with an unknown class",
			give:        check.StepError{Error: "TransientError", Cause: `{"errorMessage":"bogus: x","errorType":"TransientError"}`},
			wantClass:   failure.Unknown,
			wantMessage: "bogus: x",
		},
		{
			name:        "Lambda throttled",
			give:        check.StepError{Error: "Lambda.TooManyRequestsException", Cause: "Rate Exceeded."},
			wantClass:   failure.Throttled,
			wantMessage: "Lambda.TooManyRequestsException: Rate Exceeded.",
		},
		{
			name:        "Lambda service exception",
			give:        check.StepError{Error: "Lambda.ServiceException", Cause: "internal"},
			wantClass:   failure.Network,
			wantMessage: "Lambda.ServiceException: internal",
		},
		{
			name:        "task failed",
			give:        check.StepError{Error: "States.TaskFailed", Cause: ""},
			wantClass:   failure.Network,
			wantMessage: "States.TaskFailed",
		},
		{
			name:        "Lambda runtime error",
			give:        check.StepError{Error: "Runtime.ExitError", Cause: `{"errorMessage":"RequestId: x Error: Runtime exited with error: exit status 2","errorType":"Runtime.ExitError"}`},
			wantClass:   failure.Unknown,
			wantMessage: "Runtime exited with error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check.CaughtResult(check.CreateCase, &tt.give)
			assertFailed(t, r, check.CreateCase, tt.wantClass)
			assert.Contains(t, r.Message, tt.wantMessage)
		})
	}
}

// TestCaughtResult_transientErrorPlainCause: a TransientError whose Cause is
// the bare "<class>: <message>" text (not the runtime's JSON error object)
// must keep its class too.
func TestCaughtResult_transientErrorPlainCause(t *testing.T) {
	r := check.CaughtResult(check.PhoneLookup, &check.StepError{Error: "TransientError", Cause: "throttled: invoke phoneLookup: Rate exceeded"})
	assertFailed(t, r, check.PhoneLookup, failure.Throttled)
	assert.Contains(t, r.Message, "invoke phoneLookup: Rate exceeded")
}

func TestChainComplete(t *testing.T) {
	passed := func(name string) check.Result { return check.Result{Name: name, Status: check.Pass} }
	tests := []struct {
		name         string
		give         check.Chain
		giveCleanup  *check.StepError
		wantStatuses []check.Status
		wantClasses  []failure.Class
		wantMessages []string
		wantCleanup  check.Cleanup
	}{
		{
			name: "caught at CreateCase",
			give: check.Chain{RunID: runID, Results: []check.Result{passed(check.PhoneLookup)},
				Error: &check.StepError{Error: "States.Timeout"}},
			wantStatuses: []check.Status{check.Pass, check.Fail, check.Skip, check.Skip},
			wantClasses:  []failure.Class{"", failure.Timeout, "", ""},
			wantMessages: []string{"", "the step timed out in the workflow", "skipped: CreateCase failed (timeout)", "skipped: CreateCase failed (timeout)"},
			wantCleanup:  check.Cleanup{Status: check.CleanupNotNeeded},
		},
		{
			name: "throttled after retries at PhoneLookup",
			give: check.Chain{RunID: runID,
				Error: &check.StepError{Error: "TransientError", Cause: `{"errorMessage":"throttled: invoke phoneLookup: Rate exceeded","errorType":"TransientError"}`}},
			wantStatuses: []check.Status{check.Fail, check.Skip, check.Skip, check.Skip},
			wantClasses:  []failure.Class{failure.Throttled, "", "", ""},
			wantMessages: []string{"invoke phoneLookup: Rate exceeded", "skipped: PhoneLookup failed (throttled)", "", ""},
			wantCleanup:  check.Cleanup{Status: check.CleanupNotNeeded},
		},
		{
			name: "a step failed, the cleanup Lambda broke",
			give: check.Chain{RunID: runID, CaseID: checktest.CaseID, Failed: true, Results: []check.Result{
				passed(check.PhoneLookup), passed(check.CreateCase),
				{Name: check.CloseCase, Status: check.Fail, ErrorClass: failure.UnexpectedResponse},
			}},
			giveCleanup:  &check.StepError{Error: "Lambda.ServiceException", Cause: "boom"},
			wantStatuses: []check.Status{check.Pass, check.Pass, check.Fail, check.Skip},
			wantClasses:  []failure.Class{"", "", failure.UnexpectedResponse, ""},
			wantMessages: []string{"", "", "", "skipped: CloseCase failed (unexpected-response)"},
			wantCleanup: check.Cleanup{Status: check.CleanupFailed, CaseID: checktest.CaseID, ErrorClass: failure.Network,
				Message: "the cleanup step failed: Lambda.ServiceException: boom"},
		},
		{
			name:         "the cleanup Lambda broke without a caught error",
			give:         check.Chain{RunID: runID, CaseID: checktest.CaseID, Results: []check.Result{passed(check.PhoneLookup), passed(check.CreateCase)}},
			wantStatuses: []check.Status{check.Pass, check.Pass, check.Skip, check.Skip},
			wantClasses:  []failure.Class{"", "", "", ""},
			wantMessages: []string{"", "", "skipped: the chain did not reach this step", "skipped: the chain did not reach this step"},
			wantCleanup:  check.Cleanup{Status: check.CleanupFailed, CaseID: checktest.CaseID, ErrorClass: failure.Unknown, Message: "the cleanup step failed"},
		},
		{
			name: "complete chain with its cleanup",
			give: check.Chain{RunID: runID, CaseID: checktest.CaseID, Results: []check.Result{
				passed(check.PhoneLookup), passed(check.CreateCase), passed(check.CloseCase), passed(check.VerifyCaseClosed),
			}, Cleanup: &check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true}},
			wantStatuses: []check.Status{check.Pass, check.Pass, check.Pass, check.Pass},
			wantClasses:  []failure.Class{"", "", "", ""},
			wantMessages: []string{"", "", "", ""},
			wantCleanup:  check.Cleanup{Status: check.CleanupDeleted, CaseID: checktest.CaseID, Closed: true, Deleted: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.give
			c.Complete(tt.giveCleanup)

			require.Len(t, c.Results, 4)
			for i, r := range c.Results {
				assert.Equal(t, check.ChainChecks[i], r.Name)
				assert.Equal(t, tt.wantStatuses[i], r.Status, r.Name)
				assert.Equal(t, tt.wantClasses[i], r.ErrorClass, r.Name)
				if tt.wantMessages[i] != "" {
					assert.Contains(t, r.Message, tt.wantMessages[i], r.Name)
				}
			}
			require.NotNil(t, c.Cleanup)
			assert.Equal(t, tt.wantCleanup, *c.Cleanup)
		})
	}
}

func TestChain_jsonWireFormat(t *testing.T) {
	c := check.Chain{Target: target(), RunID: runID, Results: []check.Result{}}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"target":{"function":"sfInvokeAPI-prod","phone":"+441122334455","fields":"Id, Name"},
		"run_id":"`+runID+`","started_at":"0001-01-01T00:00:00Z","results":[],"salesforce_calls":0,"failed":false}`, string(b))
	assert.Equal(t, runMarker, c.Marker())
}

// lateCommit models sfInvokeAPI going on after its caller gave up: the
// create's invoke fails on the caller's side, and the case appears only once
// the runner has waited (the function's timeout).
type lateCommit struct {
	mu     sync.Mutex
	waited []time.Duration
}

func (l *lateCommit) sleep(_ context.Context, d time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waited = append(l.waited, d)
	return true
}

func (l *lateCommit) query(ctx context.Context, c checktest.Call) (*lambda.InvokeOutput, error) {
	l.mu.Lock()
	committed := len(l.waited) > 0
	l.mu.Unlock()
	if committed {
		return checktest.Query(runCase)(ctx, c)
	}
	return checktest.Query()(ctx, c)
}

// TestRun_createLostWaitsForTheFunctionTimeout: Lambda keeps running a
// synchronous invocation whose caller gave up, up to the function's own
// timeout (15 s in the fake deployment): the create is not taken as not run,
// nor repeated, before that has passed.
func TestRun_createLostWaitsForTheFunctionTimeout(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"the call's deadline", context.DeadlineExceeded},
		{"a lost connection", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			l := &lateCommit{}
			f.SFInvokeAPI.Ops["create"] = checktest.Fail(tt.err)
			f.SFInvokeAPI.Ops["query"] = l.query

			rep := run(t, f, target(), check.ChainChecks, check.WithSleep(l.sleep))

			r := byName(rep)[check.CreateCase]
			assertOK(t, r, check.CreateCase, check.Pass)
			assert.Contains(t, r.Message, "found by its run marker")
			assert.Equal(t, []string{"phoneLookup", "create", "query", "update", "lookup", "delete"}, f.SFInvokeAPI.Operations(), "one create, one lookup after the wait")
			require.Len(t, l.waited, 1)
			assert.InDelta(t, (15 * time.Second).Seconds(), l.waited[0].Seconds(), 3, "waits the function's timeout (+ margin) from the invoke's start")
			assert.Equal(t, check.CleanupDeleted, rep.Cleanup.Status)
		})
	}
}

// TestRun_createLostWaitDoesNotFit: when the function's timeout ends past the
// step's deadline, the step looks once, fails with a clear timeout and never
// creates again; cleanup sweeps the marker.
func TestRun_createLostWaitDoesNotFit(t *testing.T) {
	f := checktest.NewDeployment()
	l := &lateCommit{}
	f.SFInvokeAPI.Ops["create"] = checktest.Fail(context.DeadlineExceeded)
	f.SFInvokeAPI.Ops["query"] = checktest.Sequence(checktest.Query(), checktest.Query(runCase))

	rep := run(t, f, target(), check.ChainChecks, check.WithSleep(l.sleep), check.WithTimeout(5*time.Second))

	r := byName(rep)[check.CreateCase]
	assertFailed(t, r, check.CreateCase, failure.Timeout)
	assert.Contains(t, r.Message, "past this step's deadline")
	assert.Contains(t, r.Message, "not repeated")
	assert.Empty(t, l.waited, "no wait that cannot end in time")
	assert.Equal(t, []string{"phoneLookup", "create", "query", "query", "delete"}, f.SFInvokeAPI.Operations(), "never a second create")
	assert.Equal(t, check.CleanupDeleted, rep.Cleanup.Status)
	assert.Equal(t, checktest.CaseID, rep.Cleanup.CaseID)
}

// TestStep_retriedCreateLooksUpFirst: the workflow's Retry of CreateCase
// (a Lambda service error after the step ran) goes through the run marker.
func TestStep_retriedCreateLooksUpFirst(t *testing.T) {
	for _, tt := range []struct {
		name    string
		query   checktest.OpFunc
		wantOps []string
	}{
		{"the previous attempt created it", checktest.Query(runCase), []string{"query"}},
		{"it did not", checktest.Query(), []string{"query", "create"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SFInvokeAPI.Ops["query"] = tt.query
			l := &lateCommit{}
			c := &check.Chain{Target: target(), RunID: runID, ContactID: checktest.ContactID}

			r := check.Step(context.Background(), f.Deps(), check.CreateCase, c, check.WithAttempt(1), check.WithSleep(l.sleep))

			assertOK(t, r, check.CreateCase, check.Pass)
			assert.Equal(t, checktest.CaseID, c.CaseID)
			assert.Equal(t, tt.wantOps, f.SFInvokeAPI.Operations())
			assert.True(t, c.CreateUncertain, "cleanup sweeps the marker after a retried create")
			require.Len(t, l.waited, 1, "any create of the previous attempt has ended before the lookup")
		})
	}
}

// TestRun_cleanupDeletesEveryMarkedCase: the marker lookup reads every
// record of the query's page, and cleanup deletes each case carrying it.
func TestRun_cleanupDeletesEveryMarkedCase(t *testing.T) {
	f := checktest.NewDeployment()
	second := checktest.Case{ID: "5001r0000000000003", Subject: runCase.Subject}
	f.SFInvokeAPI.Ops["create"] = checktest.Raise("Sandbox.Timedout", lostCreate)
	f.SFInvokeAPI.Ops["query"] = checktest.Sequence(checktest.Query(), checktest.Query(), checktest.Query(otherCase, runCase, second))
	f.SFInvokeAPI.Ops["create"] = checktest.Sequence(checktest.Raise("Sandbox.Timedout", lostCreate), checktest.Raise("Sandbox.Timedout", lostCreate))

	rep := run(t, f, target(), check.ChainChecks, check.WithSleep(func(context.Context, time.Duration) bool { return true }))

	assertFailed(t, byName(rep)[check.CreateCase], check.CreateCase, failure.Timeout)
	var deleted []string
	for _, c := range f.SFInvokeAPI.Calls() {
		if c.Op() == "delete" {
			deleted = append(deleted, c.Params["sf_id"])
		}
	}
	assert.Equal(t, []string{checktest.CaseID, second.ID}, deleted, "both cases carrying the marker, never the other run's")
	assert.Equal(t, check.CleanupDeleted, rep.Cleanup.Status)
	assert.Contains(t, rep.Cleanup.Message, "2 cases carried the run marker")
}
