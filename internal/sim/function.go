package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// DefaultTimeout is sfInvokeAPI's configured timeout (template Globals).
const DefaultTimeout = 6 * time.Second

// Latency is added to every invocation: Fixed plus a uniform jitter in
// [0, Jitter).
type Latency struct{ Fixed, Jitter time.Duration }

type options struct {
	faults    []FaultSpec
	latency   Latency
	timeout   time.Duration
	now       func() time.Time
	footprint Footprint
}

// Footprint is what the function's Python process costs the Lambda
// platform: the peak memory it reports (Max Memory Used) and the Init
// Duration of a cold start (module import: boto3, requests, phonenumbers).
type Footprint struct {
	MemoryUsedMB int
	InitDuration time.Duration
}

// DefaultFootprint is sfInvokeAPI v5.26 on python3.12 as its REPORT lines
// show it: about 80 MB, a cold start of about 0.8 s.
var DefaultFootprint = Footprint{MemoryUsedMB: 78, InitDuration: 812 * time.Millisecond}

// WithFootprint sets the function's memory use and cold start (default
// DefaultFootprint).
func WithFootprint(f Footprint) Option { return func(o *options) { o.footprint = f } }

// Option configures a Function.
type Option func(*options)

// WithFaults injects faults into every invocation.
func WithFaults(f ...Fault) Option {
	return func(o *options) {
		for _, x := range f {
			o.faults = append(o.faults, Always(x))
		}
	}
}

// WithFaultSpecs injects faults, each possibly into a limited number of
// invocations (see Once).
func WithFaultSpecs(s ...FaultSpec) Option {
	return func(o *options) { o.faults = append(o.faults, s...) }
}

// WithLatency adds l to every invocation.
func WithLatency(l Latency) Option { return func(o *options) { o.latency = l } }

// WithTimeout sets the function's configured timeout (default 6 s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithClock sets the clock read at cold start: the base time of create and
// update's "<delta>|<format>" date values.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Function is sfInvokeAPI v5.26 running against an Org. It implements
// lambdahttp.Function and is safe for concurrent use.
type Function struct {
	org       *Org
	secrets   SecretStore
	env       map[string]string
	timeout   time.Duration
	coldStart time.Time

	footprint Footprint

	mu          sync.Mutex
	faults      []FaultSpec
	latency     Latency
	invocations int
}

var _ lambdahttp.Function = (*Function)(nil)

// NewFunction returns sfInvokeAPI deployed with env (SF_CREDENTIALS_SECRETS_MANAGER_ARN,
// SF_HOST, SF_VERSION, SF_USERNAME, SF_PRODUCTION, SF_ADAPTER_NAMESPACE) and
// reading its secret from secrets. SF_AUTH_MODE is a v5.28 setting that
// v5.26 ignores.
func NewFunction(org *Org, secrets SecretStore, env map[string]string, opts ...Option) *Function {
	o := options{timeout: DefaultTimeout, now: time.Now, footprint: DefaultFootprint}
	for _, opt := range opts {
		opt(&o)
	}
	envCopy := make(map[string]string, len(env))
	for k, v := range env {
		envCopy[k] = v
	}
	return &Function{
		org:       org,
		secrets:   secrets,
		env:       envCopy,
		timeout:   o.timeout,
		coldStart: o.now().UTC(),
		faults:    append([]FaultSpec(nil), o.faults...),
		latency:   o.latency,
		footprint: o.footprint,
	}
}

// Footprint is the function's memory use and cold start, for the platform
// that reports them (the sandbox's invoke gateway).
func (f *Function) Footprint() Footprint { return f.footprint }

// SetFaults replaces the injected faults; each applies to every invocation.
func (f *Function) SetFaults(fs ...Fault) {
	specs := make([]FaultSpec, len(fs))
	for i, x := range fs {
		specs[i] = Always(x)
	}
	f.SetFaultSpecs(specs...)
}

// SetFaultSpecs replaces the injected faults.
func (f *Function) SetFaultSpecs(specs ...FaultSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append([]FaultSpec(nil), specs...)
}

// ActiveFaults returns the faults still to be injected, with their
// remaining counts.
func (f *Function) ActiveFaults() []FaultSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FaultSpec(nil), f.faults...)
}

// SetLatency replaces the added latency.
func (f *Function) SetLatency(l Latency) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = l
}

// Invocations is how many invocations reached the function (throttled ones
// did not).
func (f *Function) Invocations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.invocations
}

// begin takes the faults of one invocation, consuming limited ones, and
// its latency. A throttled invocation consumes only the throttle.
func (f *Function) begin() (faultSet, time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, sp := range f.faults {
		if sp.Fault == Throttled || sp.Fault == ServiceError {
			f.consume(i)
			return faultSet{sp.Fault: true}, 0, true
		}
	}
	fs := faultSet{}
	for i := len(f.faults) - 1; i >= 0; i-- {
		fs[f.faults[i].Fault] = true
		if f.faults[i].Fault != CreateResponseLost && f.faults[i].Fault != CreateCommitsLate { // consumed by the create it hits
			f.consume(i)
		}
	}
	f.invocations++
	d := f.latency.Fixed
	if f.latency.Jitter > 0 {
		d += rand.N(f.latency.Jitter)
	}
	return fs, d, false
}

// consume counts one use of the fault at index i; f.mu must be held.
func (f *Function) consume(i int) {
	if f.faults[i].Times == 0 {
		return
	}
	f.faults[i].Times--
	if f.faults[i].Times == 0 {
		f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
	}
}

// Invoke runs one invocation. Function errors come back as a Response with
// FunctionError "Unhandled"; a throttled invocation as a
// *lambdahttp.APIError; a cancelled ctx as its error.
func (f *Function) Invoke(ctx context.Context, payload []byte) (lambdahttp.Response, error) {
	fs, latency, rejected := f.begin()
	if rejected {
		if fs.has(ServiceError) {
			return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusInternalServerError, Type: "ServiceException", Message: "The AWS Lambda service encountered an internal error."}
		}
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException", Message: "Rate Exceeded."}
	}
	if fs.has(CreateCommitsLate) && isCreate(payload) && f.takeOnce(CreateCommitsLate) {
		// The caller gets its answer now; the function commits later.
		go func() {
			if sleep(context.Background(), f.timeout/2) == nil {
				_, _ = f.handle(context.Background(), payload, fs)
			}
		}()
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusInternalServerError, Type: "ServiceException", Message: "The AWS Lambda service encountered an internal error."}
	}
	requestID := lambdahttp.RequestID()
	deadline := time.Now().Add(f.timeout)
	if fs.has(Timeout) || latency >= f.timeout {
		if err := sleep(ctx, time.Until(deadline)); err != nil {
			return lambdahttp.Response{}, fmt.Errorf("invoke sfInvokeAPI: %w", err)
		}
		return f.timedOut(requestID), nil
	}
	if fs.has(SlowLookup) && isOperation(payload, "phoneLookup") {
		latency += SlowLookupDuration
	}
	if err := sleep(ctx, latency); err != nil {
		return lambdahttp.Response{}, fmt.Errorf("invoke sfInvokeAPI: %w", err)
	}
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	result, err := f.handle(runCtx, payload, fs)
	switch {
	case ctx.Err() != nil:
		return lambdahttp.Response{}, fmt.Errorf("invoke sfInvokeAPI: %w", ctx.Err())
	case runCtx.Err() != nil || !time.Now().Before(deadline):
		return f.timedOut(requestID), nil
	}
	var exc *exception
	switch {
	case errors.As(err, &exc):
		return lambdahttp.Response{FunctionError: "Unhandled", Payload: errorPayload(exc)}, nil
	case err != nil:
		return lambdahttp.Response{FunctionError: "Unhandled", Payload: lambdahttp.ErrorPayload("Exception", err.Error())}, nil
	}
	if fs.has(CreateResponseLost) && err == nil && isCreate(payload) && f.loseResponse() {
		if err := sleep(ctx, time.Until(deadline)); err != nil {
			return lambdahttp.Response{}, fmt.Errorf("invoke sfInvokeAPI: %w", err)
		}
		return f.timedOut(requestID), nil
	}
	return lambdahttp.Response{Payload: pyDumps(result)}, nil
}

// loseResponse consumes one use of CreateResponseLost; false if another
// invocation consumed it first.
func (f *Function) loseResponse() bool { return f.takeOnce(CreateResponseLost) }

// takeOnce consumes one use of a one-create fault; false if another
// invocation consumed it first.
func (f *Function) takeOnce(fault Fault) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, sp := range f.faults {
		if sp.Fault == fault {
			if sp.Times == 0 {
				f.faults[i].Times = 1 // one create only
			}
			f.consume(i)
			return true
		}
	}
	return false
}

// isCreate reports whether an event is a create.
func isCreate(payload []byte) bool { return isOperation(payload, "create") }

// isOperation reports whether an event's sf_operation is op.
func isOperation(payload []byte, op string) bool {
	var e struct {
		Details struct {
			Parameters struct {
				Op any `json:"sf_operation"`
			}
		}
	}
	return json.Unmarshal(payload, &e) == nil && e.Details.Parameters.Op == op
}

func (f *Function) timedOut(requestID string) lambdahttp.Response {
	msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, f.timeout.Seconds())
	return lambdahttp.Response{FunctionError: "Unhandled", Payload: lambdahttp.ErrorPayload("Sandbox.Timedout", msg)}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// handle is the Python module: import-time checks, then lambda_handler.
func (f *Function) handle(ctx context.Context, payload []byte, fs faultSet) (any, error) {
	if fs.has(ImportError) {
		return nil, raise("Runtime.ImportModuleError", "Unable to import module 'sfInvokeAPI': No module named 'phonenumbers'")
	}
	if _, ok := f.env["SF_ADAPTER_NAMESPACE"]; !ok {
		return nil, keyError("SF_ADAPTER_NAMESPACE")
	}
	event, err := decodeJSON(payload)
	if err != nil {
		return nil, raise("Runtime.UnmarshalError", "Unable to unmarshal input: %s", err.Error())
	}
	sf, err := f.newClient(ctx, fs)
	if err != nil {
		return nil, err
	}
	details, err := subscript(event, "Details")
	if err != nil {
		return nil, err
	}
	params, err := subscript(details, "Parameters")
	if err != nil {
		return nil, err
	}
	op, err := subscript(params, "sf_operation")
	if err != nil {
		return nil, err
	}
	kwargs := params.(*dict).copyDict()
	kwargs.del("sf_operation")
	return sf.dispatch(ctx, pyStr(op), kwargs)
}
