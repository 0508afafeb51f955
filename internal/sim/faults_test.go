package sim

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

func TestFaultEffects(t *testing.T) {
	phoneLookup := events.Values{Phone: DefaultPhone, Fields: "Id, Name"}
	tests := []struct {
		name      string
		give      Fault
		event     events.Name
		values    func(caseID string) events.Values
		want      result
		wantCase  Case // Status/IsClosed of the seeded case afterwards
		wantCases int  // cases in the org afterwards
	}{
		{
			name: "auth-expired", give: AuthExpired, event: events.PhoneLookup,
			values:    func(string) events.Values { return phoneLookup },
			want:      fnError("Exception", "invalid_grant: authentication failure"),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "api-limit", give: APILimit, event: events.PhoneLookup,
			values:    func(string) events.Values { return phoneLookup },
			want:      fnError("Exception", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "contact-missing", give: ContactMissing, event: events.PhoneLookup,
			values:    func(string) events.Values { return phoneLookup },
			want:      ok(map[string]any{"sf_count": float64(0)}),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "create-rejected", give: CreateRejected, event: events.Create,
			values:    func(string) events.Values { return events.Values{ContactID: DefaultContactID, Marker: "sfprobe-run1"} },
			want:      fnError("Exception", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases cannot be created by this user"),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "update-not-204", give: UpdateNot204, event: events.Update,
			values:    func(id string) events.Values { return events.Values{CaseID: id} },
			want:      ok(map[string]any{"Status": float64(200)}),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "case-stays-open", give: CaseStaysOpen, event: events.Update,
			values:    func(id string) events.Values { return events.Values{CaseID: id} },
			want:      ok(map[string]any{"Status": float64(204)}),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "import-error", give: ImportError, event: events.PhoneLookup,
			values:    func(string) events.Values { return phoneLookup },
			want:      fnError("Runtime.ImportModuleError", "Unable to import module 'sfInvokeAPI': No module named 'phonenumbers'"),
			wantCase:  Case{Status: "New"},
			wantCases: 1,
		},
		{
			name: "no fault closes the case", event: events.Update,
			values:    func(id string) events.Values { return events.Values{CaseID: id} },
			want:      ok(map[string]any{"Status": float64(204)}),
			wantCase:  Case{Status: "Closed", IsClosed: true},
			wantCases: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, org, _, _ := newDefault(t)
			caseID := org.AddCaseAgedForTest(Case{ContactID: DefaultContactID, Subject: events.Subject("sfprobe-seed")})
			if tt.give != "" {
				fn.SetFaults(tt.give)
			}

			got := call(t, fn, render(t, tt.event, tt.values(caseID)))

			assert.Equal(t, tt.want, got)
			c, found := org.Case(caseID)
			require.True(t, found)
			assert.Equal(t, tt.wantCase.Status, c.Status)
			assert.Equal(t, tt.wantCase.IsClosed, c.IsClosed)
			assert.Len(t, org.Cases(), tt.wantCases)
		})
	}
}

func TestCaseStaysOpenReadBackAndDelete(t *testing.T) {
	fn, org, _, _ := newDefault(t, WithFaults(CaseStaysOpen))
	id := org.AddCaseAgedForTest(Case{Subject: events.Subject("sfprobe-x")})

	require.Equal(t, ok(map[string]any{"Status": float64(204)}), call(t, fn, render(t, events.Update, events.Values{CaseID: id})))
	got := call(t, fn, render(t, events.LookupCase, events.Values{CaseID: id}))
	assert.Equal(t, ok(map[string]any{"Id": id, "Status": "New", "IsClosed": false, "sf_count": float64(1)}), got)
	assert.Len(t, org.OpenCases(events.SubjectPrefix), 1)

	assert.Equal(t, ok(map[string]any{"Response": nil}), call(t, fn, render(t, events.Delete, events.Values{CaseID: id})))
	assert.Empty(t, org.Cases())
}

func TestTimeoutFault(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{name: "timeout fault", opts: []Option{WithFaults(Timeout)}},
		{name: "latency above the timeout", opts: []Option{WithLatency(Latency{Fixed: time.Second})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, _, _, _ := newDefault(t, append(tt.opts, WithTimeout(50*time.Millisecond))...)
			start := time.Now()

			got := call(t, fn, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))

			assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
			assert.Less(t, time.Since(start), time.Second)
			assert.Equal(t, "Unhandled", got.FunctionError)
			assert.Equal(t, "Sandbox.Timedout", got.Payload["errorType"])
			assert.Regexp(t, `^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.05 seconds$`, got.Payload["errorMessage"])
		})
	}
}

func TestTimeoutMessageUsesConfiguredTimeout(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithTimeout(6*time.Second))
	resp := fn.timedOut("r-1")
	assert.Contains(t, string(resp.Payload), "RequestId: r-1 Error: Task timed out after 6.00 seconds")
}

func TestTimeoutRespectsCancel(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithFaults(Timeout), WithTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	_, err := fn.Invoke(ctx, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))

	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestLatencyBelowTimeout(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithTimeout(time.Second))
	fn.SetLatency(Latency{Fixed: 10 * time.Millisecond, Jitter: 5 * time.Millisecond})
	start := time.Now()

	got := call(t, fn, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))

	assert.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond)
	assert.Empty(t, got.FunctionError)
}

// slowSecrets blocks GetSecretValue until ctx is done, like issue #33's hang.
type slowSecrets struct{ SecretStore }

func (s slowSecrets) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestSlowSecretsManagerTimesOut(t *testing.T) {
	org, fx := NewDefaultOrg()
	fn := NewFunction(org, slowSecrets{NewMemorySecrets(testARN, fx.SecretString)}, testEnv(fx), WithTimeout(30*time.Millisecond))

	got := call(t, fn, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))

	assert.Equal(t, "Sandbox.Timedout", got.Payload["errorType"])
}

func TestThrottled(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithFaults(Throttled))

	_, err := fn.Invoke(context.Background(), render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))

	var apiErr *lambdahttp.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, &lambdahttp.APIError{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException", Message: "Rate Exceeded."}, apiErr)
	assert.Zero(t, fn.Invocations())
}

func TestFaultSpecsCountDown(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithFaultSpecs(Once(Throttled), FaultSpec{Fault: APILimit, Times: 2}))
	event := render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"})

	_, err := fn.Invoke(context.Background(), event)
	var apiErr *lambdahttp.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, []FaultSpec{{Fault: APILimit, Times: 2}}, fn.ActiveFaults())

	for i := 0; i < 2; i++ {
		got := call(t, fn, event)
		assert.Equal(t, "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.", got.Payload["errorMessage"])
	}
	assert.Empty(t, fn.ActiveFaults())
	assert.Equal(t, ok(map[string]any{"Id": DefaultContactID, "sf_count": float64(1)}), call(t, fn, event))
	assert.Equal(t, 3, fn.Invocations())
}

func TestParseFaults(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []Fault
		wantErr string
	}{
		{name: "empty", give: "", want: []Fault{}},
		{name: "two", give: "api-limit, timeout", want: []Fault{APILimit, Timeout}},
		{name: "unknown", give: "api-limit,nope", wantErr: `unknown fault "nope" (known: auth-expired, api-limit, contact-missing, create-rejected, update-not-204, case-stays-open, timeout, import-error, throttled, service-error, create-response-lost, login-host-unreachable, flow-timeout-too-short, nested-response, create-commits-late, password-rotated, api-version-retired, api-budget-low, client-secret-regenerated)`},
		{name: "count not allowed", give: "throttled:1", wantErr: `fault "throttled": a count is not allowed here`},
		{name: "twice", give: "timeout,timeout", wantErr: `fault "timeout" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFaults(tt.give)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseFaultSpecs(t *testing.T) {
	got, err := ParseFaultSpecs("throttled:1,api-limit")
	require.NoError(t, err)
	assert.Equal(t, []FaultSpec{Once(Throttled), Always(APILimit)}, got)

	_, err = ParseFaultSpecs("throttled:0")
	assert.EqualError(t, err, `fault "throttled": count "0" is not a positive integer`)
}

func TestFaultsListed(t *testing.T) {
	var names []Fault
	for _, info := range Faults() {
		assert.NotEmpty(t, info.Description)
		names = append(names, info.Name)
	}
	assert.Equal(t, []Fault{AuthExpired, APILimit, ContactMissing, CreateRejected, UpdateNot204, CaseStaysOpen, Timeout, ImportError, Throttled, ServiceError, CreateResponseLost, LoginHostUnreachable, SlowLookup, NestedResponse, CreateCommitsLate, PasswordRotated, APIVersionRetired, APIBudgetLow, ClientSecretRegenerated}, names)
}

func TestConcurrentInvocations(t *testing.T) {
	fn, org, _, _ := newDefault(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%4 == 0 {
				fn.SetFaults()
				fn.SetLatency(Latency{})
			}
			resp, err := fn.Invoke(context.Background(), render(t, events.Create, events.Values{ContactID: DefaultContactID, Marker: "sfprobe-c"}))
			assert.NoError(t, err)
			assert.Empty(t, resp.FunctionError, string(resp.Payload))
		}(i)
	}
	wg.Wait()
	assert.Len(t, org.OpenCases(events.SubjectPrefix), 16)
	assert.Equal(t, 16, fn.Invocations())
}

// TestNestedResponse: the relationship comes back nested, with its own
// attributes, and phoneLookup passes it on (the top-level attributes
// removed, as v5.26's parameterizedSearch does); other operations are
// unaffected.
func TestNestedResponse(t *testing.T) {
	fn, _, _, _ := newDefault(t, WithFaults(NestedResponse))
	got := call(t, fn, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id, Name"}))
	require.Empty(t, got.FunctionError)
	account, ok := got.Payload["Account"].(map[string]any)
	require.True(t, ok, "Account is a nested object: %v", got.Payload)
	assert.Equal(t, "Sfprobe Test Account", account["Name"])
	assert.Contains(t, account, "attributes")
	assert.NotContains(t, got.Payload, "attributes")
	assert.Equal(t, float64(1), got.Payload["sf_count"])
}

// TestSlowLookup: phoneLookup takes SlowLookupDuration and succeeds; a
// create is not slowed.
func TestSlowLookup(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps 3.5 s")
	}
	fn, _, _, _ := newDefault(t, WithFaults(SlowLookup))
	start := time.Now()
	got := call(t, fn, render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id"}))
	assert.GreaterOrEqual(t, time.Since(start), SlowLookupDuration)
	assert.Empty(t, got.FunctionError)
	assert.Equal(t, float64(1), got.Payload["sf_count"])

	start = time.Now()
	created := call(t, fn, render(t, events.Create, events.Values{ContactID: DefaultContactID, Marker: "sfprobe-run1"}))
	assert.Less(t, time.Since(start), time.Second)
	assert.Empty(t, created.FunctionError)
}

// TestCreateCommitsLate: the create's invoke fails at once, and the Case
// exists only later, within the function's timeout; the next create is
// normal.
func TestCreateCommitsLate(t *testing.T) {
	fn, org, _, _ := newDefault(t, WithFaultSpecs(Always(CreateCommitsLate)), WithTimeout(400*time.Millisecond))
	create := []byte(`{"Details": {"Parameters": {"sf_operation": "create", "sf_object": "Case", "Subject": "late"}}}`)

	_, err := fn.Invoke(context.Background(), create)

	var apiErr *lambdahttp.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "ServiceException", apiErr.Type)
	assert.Equal(t, 0, org.CasesCreated(), "not yet")
	assert.Eventually(t, func() bool { return org.CasesCreated() == 1 }, time.Second, 10*time.Millisecond, "committed within the timeout")

	resp, err := fn.Invoke(context.Background(), create)
	require.NoError(t, err)
	assert.Empty(t, resp.FunctionError, "one create only")
	assert.Equal(t, 2, org.CasesCreated())
}
