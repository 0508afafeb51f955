package check_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// sweepNow is the sweep tests' clock: with the default age the cutoff is
// 11:00:00.
var sweepNow = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

// staleCase is a test Case of run runID created at the given time.
func staleCase(id, runID string, created time.Time, closed bool) checktest.Case {
	return checktest.Case{
		ID: id, Subject: events.Subject(events.Marker(runID)), IsClosed: closed,
		CreatedDate: created.Format("2006-01-02T15:04:05.000-0700"),
	}
}

// sweepWith sweeps the fake's cases through a real sfinvoke.Client.
func sweepWith(t *testing.T, api *checktest.SFInvokeAPI, cfg check.SweepConfig) check.SweepReport {
	t.Helper()
	var calls atomic.Int64
	client := sfinvoke.New(api, fnName, sfinvoke.WithCallCounter(func() { calls.Add(1) }))
	s := check.NewSweeper(client, check.WithSweepClock(func() time.Time { return sweepNow }),
		check.WithSweepCalls(func() int { return int(calls.Load()) }))
	rep := s.Sweep(context.Background(), cfg)
	assert.Equal(t, len(api.Calls()), rep.SalesforceCalls, "every call is counted")
	return rep
}

// sweepOps lists the fake's calls as "op" or "op sf_id".
func sweepOps(api *checktest.SFInvokeAPI) []string {
	out := []string{}
	for _, c := range api.Calls() {
		op := c.Op()
		if id := c.Params["sf_id"]; id != "" {
			op += " " + id
		}
		out = append(out, op)
	}
	return out
}

// raiseFor raises for the Case id and answers the others with ok.
func raiseFor(id, errorType, errorMessage string, ok checktest.OpFunc) checktest.OpFunc {
	return func(ctx context.Context, c checktest.Call) (*lambda.InvokeOutput, error) {
		if c.Params["sf_id"] == id {
			return checktest.Raises(errorType, errorMessage), nil
		}
		return ok(ctx, c)
	}
}

var (
	closeOK  = checktest.Reply(map[string]any{"Status": 204})
	deleteOK = checktest.Reply(map[string]any{"Response": nil})
)

func TestSweep(t *testing.T) {
	old := sweepNow.Add(-3 * time.Hour)
	cfg := check.SweepConfig{Function: fnName, OlderThan: time.Hour}
	withCfg := func(f func(*check.SweepConfig)) check.SweepConfig {
		c := cfg
		f(&c)
		return c
	}
	type want struct {
		status  string
		class   failure.Class
		closed  bool
		deleted bool
	}
	tests := []struct {
		name  string
		cases []checktest.Case
		// query, update and delete answer those operations (default: the
		// cases, success).
		query, update, delete checktest.OpFunc
		cfg                   check.SweepConfig
		wantOps               []string
		wantCases             map[string]want
		wantOK                bool
		wantClass             failure.Class
		// wantCounts are found, too_recent, kept, ignored, remaining.
		wantCounts [5]int
	}{
		{
			name:    "nothing to do",
			cfg:     cfg,
			wantOps: []string{"query"},
			wantOK:  true,
		},
		{
			name: "age boundary: a Case exactly as old as the age stays",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "at-cutoff", sweepNow.Add(-time.Hour), false),
				staleCase("500000000000002AAA", "past-cutoff", sweepNow.Add(-time.Hour-time.Second), false),
				staleCase("500000000000003AAA", "fresh", sweepNow.Add(-time.Minute), false),
			},
			cfg:        cfg,
			wantOps:    []string{"query", "update 500000000000002AAA", "delete 500000000000002AAA"},
			wantCases:  map[string]want{"500000000000002AAA": {check.SweepDone, "", true, true}},
			wantOK:     true,
			wantCounts: [5]int{3, 2, 0, 0, 0},
		},
		{
			name: "open Cases are closed then deleted, closed ones deleted",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "open", old, false),
				staleCase("500000000000002AAA", "closed", old.Add(time.Second), true),
			},
			cfg:     cfg,
			wantOps: []string{"query", "update 500000000000001AAA", "delete 500000000000001AAA", "delete 500000000000002AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepDone, "", true, true},
				"500000000000002AAA": {check.SweepDone, "", false, true},
			},
			wantOK:     true,
			wantCounts: [5]int{2, 0, 0, 0, 0},
		},
		{
			name: "a delete refused for lack of permission is classified and stops the sweep",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, true),
				staleCase("500000000000002AAA", "b", old.Add(time.Second), true),
			},
			delete:  checktest.Raise("Exception", "INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id"),
			cfg:     cfg,
			wantOps: []string{"query", "delete 500000000000001AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepFailed, failure.Permission, false, false},
				"500000000000002AAA": {check.SweepNotAttempted, "", false, false},
			},
			wantClass:  failure.Permission,
			wantCounts: [5]int{2, 0, 0, 0, 0},
		},
		{
			name: "a delete a trigger blocks fails that Case only",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, false),
				staleCase("500000000000002AAA", "b", old.Add(time.Second), false),
			},
			delete: raiseFor("500000000000001AAA", "Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases may not be deleted", deleteOK),
			cfg:    cfg,
			wantOps: []string{"query", "update 500000000000001AAA", "delete 500000000000001AAA",
				"update 500000000000002AAA", "delete 500000000000002AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepFailed, failure.Data, true, false},
				"500000000000002AAA": {check.SweepDone, "", true, true},
			},
			wantCounts: [5]int{2, 0, 0, 0, 0},
		},
		{
			name:      "a close that fails for one Case does not prevent its delete",
			cases:     []checktest.Case{staleCase("500000000000001AAA", "a", old, false)},
			update:    checktest.Raise("Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Resolution is required"),
			cfg:       cfg,
			wantOps:   []string{"query", "update 500000000000001AAA", "delete 500000000000001AAA"},
			wantCases: map[string]want{"500000000000001AAA": {check.SweepDone, "", false, true}},
			wantOK:    true, wantCounts: [5]int{1, 0, 0, 0, 0},
		},
		{
			name: "an auth failure stops the sweep at once",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, false),
				staleCase("500000000000002AAA", "b", old.Add(time.Second), false),
			},
			update:  checktest.Raise("Exception", "invalid_grant: authentication failure"),
			cfg:     cfg,
			wantOps: []string{"query", "update 500000000000001AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepFailed, failure.Auth, false, false},
				"500000000000002AAA": {check.SweepNotAttempted, "", false, false},
			},
			wantClass: failure.Auth, wantCounts: [5]int{2, 0, 0, 0, 0},
		},
		{
			name: "three failed Cases in a row stop the sweep",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, true),
				staleCase("500000000000002AAA", "b", old.Add(1*time.Second), true),
				staleCase("500000000000003AAA", "c", old.Add(2*time.Second), true),
				staleCase("500000000000004AAA", "d", old.Add(3*time.Second), true),
			},
			delete: checktest.Raise("Exception", "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record"),
			cfg:    cfg,
			wantOps: []string{"query", "delete 500000000000001AAA", "delete 500000000000002AAA",
				"delete 500000000000003AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepFailed, failure.Data, false, false},
				"500000000000002AAA": {check.SweepFailed, failure.Data, false, false},
				"500000000000003AAA": {check.SweepFailed, failure.Data, false, false},
				"500000000000004AAA": {check.SweepNotAttempted, "", false, false},
			},
			wantClass: failure.Data, wantCounts: [5]int{4, 0, 0, 0, 0},
		},
		{
			name:      "a Case deleted since the query is gone, not failed",
			cases:     []checktest.Case{staleCase("500000000000001AAA", "a", old, true)},
			delete:    checktest.Raise("Exception", "ENTITY_IS_DELETED: entity is deleted"),
			cfg:       cfg,
			wantOps:   []string{"query", "delete 500000000000001AAA"},
			wantCases: map[string]want{"500000000000001AAA": {check.SweepGone, "", false, false}},
			wantOK:    true, wantCounts: [5]int{1, 0, 0, 0, 0},
		},
		{
			name: "dry run makes no mutating call",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, false),
				staleCase("500000000000002AAA", "b", old, true),
			},
			cfg:     withCfg(func(c *check.SweepConfig) { c.DryRun = true }),
			wantOps: []string{"query"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepDryRun, "", false, false},
				"500000000000002AAA": {check.SweepDryRun, "", false, false},
			},
			wantOK: true, wantCounts: [5]int{2, 0, 0, 0, 0},
		},
		{
			name: "keep-cases closes the open ones and keeps the closed ones",
			cases: []checktest.Case{
				staleCase("500000000000001AAA", "a", old, false),
				staleCase("500000000000002AAA", "b", old, true),
			},
			cfg:       withCfg(func(c *check.SweepConfig) { c.KeepCases = true }),
			wantOps:   []string{"query", "update 500000000000001AAA"},
			wantCases: map[string]want{"500000000000001AAA": {check.SweepDone, "", true, false}},
			wantOK:    true, wantCounts: [5]int{2, 0, 1, 0, 0},
		},
		{
			name:    "keep-cases: a close that fails fails the Case",
			cases:   []checktest.Case{staleCase("500000000000001AAA", "a", old, false)},
			update:  checktest.Reply(map[string]any{"Status": 200}),
			cfg:     withCfg(func(c *check.SweepConfig) { c.KeepCases = true }),
			wantOps: []string{"query", "update 500000000000001AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepFailed, failure.UnexpectedResponse, false, false},
			},
			wantClass: failure.UnexpectedResponse, wantCounts: [5]int{1, 0, 0, 0, 0},
		},
		{
			name: "the limit takes the oldest first and says how many remain",
			cases: []checktest.Case{
				staleCase("500000000000003AAA", "c", old.Add(2*time.Second), true),
				staleCase("500000000000001AAA", "a", old, true),
				staleCase("500000000000002AAA", "b", old.Add(time.Second), true),
			},
			cfg:     withCfg(func(c *check.SweepConfig) { c.Limit = 2 }),
			wantOps: []string{"query", "delete 500000000000001AAA", "delete 500000000000002AAA"},
			wantCases: map[string]want{
				"500000000000001AAA": {check.SweepDone, "", false, true},
				"500000000000002AAA": {check.SweepDone, "", false, true},
			},
			wantOK: true, wantCounts: [5]int{3, 0, 0, 0, 1},
		},
		{
			name: "Cases without a run marker or a CreatedDate are never touched",
			cases: []checktest.Case{
				{ID: "500000000000001AAA", Subject: "sfprobe synthetic testing of the IVR", CreatedDate: "2025-01-01T00:00:00.000+0000"},
				{ID: "500000000000002AAA", Subject: "sfprobe synthetic test sfprobe-'; DROP", CreatedDate: "2025-01-01T00:00:00.000+0000"},
				{ID: "500000000000003AAA", Subject: events.Subject(events.Marker("undated"))},
			},
			cfg:        cfg,
			wantOps:    []string{"query"},
			wantOK:     true,
			wantCounts: [5]int{3, 0, 0, 3, 0},
		},
		{
			name:      "a failed query fails the sweep",
			query:     checktest.Raise("Exception", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."),
			cfg:       cfg,
			wantOps:   []string{"query"},
			wantClass: failure.APILimit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := checktest.NewSFInvokeAPI()
			api.Ops["query"], api.Ops["update"], api.Ops["delete"] = checktest.Query(tt.cases...), closeOK, deleteOK
			if tt.query != nil {
				api.Ops["query"] = tt.query
			}
			if tt.update != nil {
				api.Ops["update"] = tt.update
			}
			if tt.delete != nil {
				api.Ops["delete"] = tt.delete
			}

			rep := sweepWith(t, api, tt.cfg)

			assert.Equal(t, tt.wantOps, sweepOps(api))
			assert.Equal(t, tt.wantOK, rep.OK, "%+v", rep)
			assert.Equal(t, tt.wantClass, rep.ErrorClass, rep.Message)
			assert.Equal(t, tt.wantCounts, [5]int{rep.Found, rep.TooRecent, rep.Kept, rep.Ignored, rep.Remaining})
			assert.Equal(t, rep.Found, len(rep.Cases)+rep.TooRecent+rep.Kept+rep.Ignored+rep.Remaining, "every Case found is accounted for")
			got := map[string]want{}
			for _, c := range rep.Cases {
				got[c.ID] = want{c.Status, c.ErrorClass, c.Closed, c.Deleted}
				if c.Status == check.SweepFailed {
					assert.NotEmpty(t, c.Message)
				}
			}
			if tt.wantCases == nil {
				tt.wantCases = map[string]want{}
			}
			assert.Equal(t, tt.wantCases, got)
			assert.NotNil(t, rep.Cases, "cases is a JSON list, never null")
			assert.Equal(t, sweepNow.Add(-time.Hour), rep.Cutoff)
		})
	}
}

func TestSweep_caseFields(t *testing.T) {
	created := sweepNow.Add(-2 * time.Hour)
	api := checktest.NewSFInvokeAPI()
	api.Ops["query"] = checktest.Query(staleCase("500000000000001AAA", "20250304T100000Z-0a1b2c3d", created, false))
	rep := sweepWith(t, api, check.SweepConfig{Function: fnName, OlderThan: 90 * time.Minute, DryRun: true})
	require.Len(t, rep.Cases, 1)
	assert.Equal(t, check.SweptCase{
		ID: "500000000000001AAA", Subject: "sfprobe synthetic test sfprobe-20250304T100000Z-0a1b2c3d",
		RunID: "20250304T100000Z-0a1b2c3d", CreatedAt: created, WasOpen: true,
		Action: check.SweepCloseDelete, Status: check.SweepDryRun, Message: "would close and delete",
	}, rep.Cases[0])
	assert.Equal(t, "1h30m", rep.OlderThan)
	assert.Equal(t, fnName, rep.Function)
	assert.Equal(t, check.MaxSweepCases, rep.Limit)
	assert.True(t, rep.DryRun)
	assert.Equal(t, 1, rep.SalesforceCalls)
}

func TestSweep_invalidConfigMakesNoCall(t *testing.T) {
	tests := []struct {
		name    string
		give    check.SweepConfig
		wantErr string
	}{
		{"age below the minimum", check.SweepConfig{Function: fnName, OlderThan: 4 * time.Minute}, "older_than: 4m is shorter than 5m"},
		{"no age", check.SweepConfig{Function: fnName}, "older_than: 0s is shorter than 5m"},
		{"limit above the maximum", check.SweepConfig{Function: fnName, OlderThan: time.Hour, Limit: 201}, "limit: 201 is not between 1 and 200"},
		{"negative limit", check.SweepConfig{Function: fnName, OlderThan: time.Hour, Limit: -1}, "limit: -1"},
		{"no function", check.SweepConfig{OlderThan: time.Hour}, "function: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := checktest.NewSFInvokeAPI()
			rep := sweepWith(t, api, tt.give)
			assert.Empty(t, api.Calls())
			assert.False(t, rep.OK)
			assert.Equal(t, failure.Config, rep.ErrorClass)
			assert.Contains(t, rep.Message, tt.wantErr)
		})
	}
	cfg := check.SweepConfig{Function: fnName, OlderThan: check.MinSweepAge}
	require.NoError(t, cfg.Validate(), "the minimum itself is accepted")
	assert.Equal(t, check.MaxSweepCases, cfg.Limit, "Validate fills the default limit")
}

func TestSweep_deadline(t *testing.T) {
	old := sweepNow.Add(-3 * time.Hour)
	api := checktest.NewSFInvokeAPI()
	api.Ops["query"] = checktest.Query(
		staleCase("500000000000001AAA", "a", old, true),
		staleCase("500000000000002AAA", "b", old.Add(time.Second), true),
	)
	ctx, cancel := context.WithCancel(context.Background())
	api.Ops["delete"] = func(context.Context, checktest.Call) (*lambda.InvokeOutput, error) {
		cancel() // the deadline passes during the first delete, which succeeds
		return checktest.Returns(map[string]any{"Response": nil}), nil
	}
	rep := check.NewSweeper(sfinvoke.New(api, fnName), check.WithSweepClock(func() time.Time { return sweepNow })).
		Sweep(ctx, check.SweepConfig{Function: fnName, OlderThan: time.Hour})
	require.Len(t, rep.Cases, 2)
	assert.Equal(t, check.SweepDone, rep.Cases[0].Status)
	assert.Equal(t, check.SweepNotAttempted, rep.Cases[1].Status)
	assert.False(t, rep.OK)
	assert.Equal(t, failure.Timeout, rep.ErrorClass)
	assert.Equal(t, 2, rep.SalesforceCalls, "without WithSweepCalls the sweep counts its calls")
}

func TestSweep_progress(t *testing.T) {
	old := sweepNow.Add(-3 * time.Hour)
	api := checktest.NewSFInvokeAPI()
	api.Ops["query"] = checktest.Query(staleCase("500000000000001AAA", "a", old, true), staleCase("500000000000002AAA", "b", old, true))
	var got [][2]int
	check.NewSweeper(sfinvoke.New(api, fnName), check.WithSweepClock(func() time.Time { return sweepNow }),
		check.WithSweepProgress(func(done, total int) { got = append(got, [2]int{done, total}) })).
		Sweep(context.Background(), check.SweepConfig{Function: fnName, OlderThan: time.Hour})
	assert.Equal(t, [][2]int{{1, 2}, {2, 2}}, got)
}

func TestFormatAge(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{72 * time.Hour, "72h"},
		{0, "0s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, check.FormatAge(tt.give))
		d, err := time.ParseDuration(tt.want)
		require.NoError(t, err, "the CLI's --older-than accepts it")
		assert.Equal(t, tt.give, d)
	}
}

// TestSweep_simulatedOrg sweeps the simulated org through sfInvokeAPI's
// simulator served over the Lambda Invoke API to a real SDK client: only the
// fresh test Case, the customer's Case and the look-alike remain.
func TestSweep_simulatedOrg(t *testing.T) {
	const secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfprobe-sim-AbCdEf"
	org, fx := sim.NewDefaultOrg()
	env := map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": secret}
	for k, v := range fx.Env {
		env[k] = v
	}
	router := lambdahttp.NewRouter()
	router.Handle("sfInvokeAPI", sim.NewFunction(org, sim.NewMemorySecrets(secret, fx.SecretString), env))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	lc := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "sim-secret", "")},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	seeded := sim.SeedStaleCases(org, time.Now(), check.DefaultSweepAge)
	before := org.Cases()
	var calls atomic.Int64
	sweeper := check.NewSweeper(sfinvoke.New(lc, "sfInvokeAPI", sfinvoke.WithCallCounter(func() { calls.Add(1) })),
		check.WithSweepCalls(func() int { return int(calls.Swap(0)) }))
	cfg := check.SweepConfig{Function: "sfInvokeAPI", OlderThan: check.DefaultSweepAge}

	dry := cfg
	dry.DryRun = true
	rep := sweeper.Sweep(context.Background(), dry)
	require.True(t, rep.OK, "%+v", rep)
	assert.Equal(t, before, org.Cases(), "a dry run changes nothing")
	assert.Equal(t, 1, rep.SalesforceCalls)
	assert.Len(t, rep.Cases, 2)

	rep = sweeper.Sweep(context.Background(), cfg)
	require.True(t, rep.OK, "%+v", rep)
	assert.Equal(t, [5]int{4, 1, 0, 1, 0}, [5]int{rep.Found, rep.TooRecent, rep.Kept, rep.Ignored, rep.Remaining})
	var swept []string
	for _, c := range rep.Cases {
		swept = append(swept, c.ID)
		assert.Equal(t, check.SweepDone, c.Status, c.Message)
		assert.True(t, c.Deleted)
		assert.Equal(t, c.WasOpen, c.Closed)
	}
	assert.Equal(t, seeded.Swept(), swept, "oldest first")
	assert.Equal(t, 4, rep.SalesforceCalls, "query, close and delete the open Case, delete the closed one")

	var left []string
	for _, c := range org.Cases() {
		left = append(left, c.ID)
	}
	assert.ElementsMatch(t, seeded.Untouched(), left)

	rep = sweeper.Sweep(context.Background(), cfg)
	assert.True(t, rep.OK)
	assert.Empty(t, rep.Cases, "a second sweep finds nothing more to do")
}
