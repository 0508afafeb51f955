// Package sfinvoke is a typed client of sfInvokeAPI over lambda:Invoke: the
// test events go in, decoded results or classified failures come out. It
// follows the contract in shared/contract/sfinvokeapi.md to the letter.
package sfinvoke

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
)

// Invoker is the Lambda Invoke API as the client needs it.
type Invoker interface {
	Invoke(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var _ Invoker = (*lambda.Client)(nil)

// DefaultCallTimeout bounds one invocation. sfInvokeAPI's own timeout is 6 s;
// the margin covers a cold start and the Invoke round trip.
const DefaultCallTimeout = 15 * time.Second

// Client calls one sfInvokeAPI deployment.
type Client struct {
	api         Invoker
	function    string
	callTimeout time.Duration
	calls       func()
	observe     func(Call)
}

// Option configures a Client.
type Option func(*Client)

// WithCallTimeout sets the deadline of each invocation.
func WithCallTimeout(d time.Duration) Option { return func(c *Client) { c.callTimeout = d } }

// WithCallCounter registers fn, called once for every invocation that
// reached the function (the Salesforce API budget); invocations the Invoke
// API rejected (throttled, not found) are not counted.
func WithCallCounter(fn func()) Option { return func(c *Client) { c.calls = fn } }

// WithObserver registers fn, called once for every invocation that reached
// the function, with its REPORT figures and its result's shape (Call).
func WithObserver(fn func(Call)) Option { return func(c *Client) { c.observe = fn } }

// New returns a client of function (a name or an ARN, optionally qualified).
func New(api Invoker, function string, opts ...Option) *Client {
	c := &Client{api: api, function: function, callTimeout: DefaultCallTimeout, calls: func() {}, observe: func(Call) {}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Contact is the first record phoneLookup found.
type Contact struct {
	Count  int
	ID     string
	Fields map[string]any // every key of the record, sf_count excluded
}

// PhoneLookup replays the phoneLookup event.
func (c *Client) PhoneLookup(ctx context.Context, phone, fields string) (Contact, error) {
	raw, err := c.call(ctx, events.PhoneLookup, events.Values{Phone: phone, Fields: fields})
	if err != nil {
		return Contact{}, err
	}
	count, err := intField(raw, "sf_count")
	if err != nil {
		return Contact{}, failure.Wrap(failure.UnexpectedResponse, "phoneLookup result", err)
	}
	out := Contact{Count: count, Fields: map[string]any{}}
	for k, v := range raw {
		if k == "sf_count" {
			continue
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return Contact{}, failure.Wrap(failure.UnexpectedResponse, "phoneLookup result field "+k, err)
		}
		out.Fields[k] = val
	}
	if count > 0 {
		if out.ID, err = stringField(raw, "Id"); err != nil {
			return Contact{}, failure.Wrap(failure.UnexpectedResponse, "phoneLookup result", err)
		}
	}
	return out, nil
}

// CreateCase replays the create event and returns the new Case Id.
func (c *Client) CreateCase(ctx context.Context, contactID, marker string) (string, error) {
	raw, err := c.call(ctx, events.Create, events.Values{ContactID: contactID, Marker: marker})
	if err != nil {
		return "", err
	}
	id, err := stringField(raw, "Id")
	if err != nil {
		return "", failure.Wrap(failure.UnexpectedResponse, "create result", err)
	}
	return id, nil
}

// CloseCase replays the update event (Status Closed) and returns the HTTP
// status sfInvokeAPI reports (204 on success).
func (c *Client) CloseCase(ctx context.Context, caseID string) (int, error) {
	raw, err := c.call(ctx, events.Update, events.Values{CaseID: caseID})
	if err != nil {
		return 0, err
	}
	status, err := intField(raw, "Status")
	if err != nil {
		return 0, failure.Wrap(failure.UnexpectedResponse, "update result", err)
	}
	return status, nil
}

// Case is a Case read back by lookup.
type Case struct {
	Found    bool
	ID       string
	Status   string
	IsClosed bool
}

// LookupCase reads a case back (Id, Status, IsClosed).
func (c *Client) LookupCase(ctx context.Context, caseID string) (Case, error) {
	raw, err := c.call(ctx, events.LookupCase, events.Values{CaseID: caseID})
	if err != nil {
		return Case{}, err
	}
	count, err := intField(raw, "sf_count")
	if err != nil {
		return Case{}, failure.Wrap(failure.UnexpectedResponse, "lookup result", err)
	}
	if count == 0 {
		return Case{}, nil
	}
	out := Case{Found: true}
	if out.ID, err = stringField(raw, "Id"); err != nil {
		return Case{}, failure.Wrap(failure.UnexpectedResponse, "lookup result", err)
	}
	if out.Status, err = stringField(raw, "Status"); err != nil {
		return Case{}, failure.Wrap(failure.UnexpectedResponse, "lookup result", err)
	}
	if out.IsClosed, err = boolField(raw, "IsClosed"); err != nil {
		return Case{}, failure.Wrap(failure.UnexpectedResponse, "lookup result", err)
	}
	return out, nil
}

// DeleteCase replays the delete event. sfInvokeAPI answers {"Response": null}.
func (c *Client) DeleteCase(ctx context.Context, caseID string) error {
	raw, err := c.call(ctx, events.Delete, events.Values{CaseID: caseID})
	if err != nil {
		return err
	}
	v, ok := raw["Response"]
	if !ok || (string(v) != "null" && string(v) != `"None"`) {
		return failure.New(failure.UnexpectedResponse, "delete result: want {\"Response\": null}, got %s", compact(raw))
	}
	return nil
}

// StaleCase is a Case carrying a run marker, found by FindCases.
type StaleCase struct {
	ID          string
	Subject     string
	IsClosed    bool
	CreatedDate time.Time
}

// FindCases lists the Cases whose Subject starts with the sfprobe prefix
// (first page of the query operation's result).
func (c *Client) FindCases(ctx context.Context) ([]StaleCase, error) {
	raw, err := c.call(ctx, events.FindCases, events.Values{})
	if err != nil {
		return nil, err
	}
	count, err := intField(raw, "sf_count")
	if err != nil {
		return nil, failure.Wrap(failure.UnexpectedResponse, "query result", err)
	}
	if count < 0 {
		return nil, failure.New(failure.UnexpectedResponse, "query result: sf_count %d is negative", count)
	}
	var out []StaleCase
	for i := 0; i < count; i++ {
		p := "sf_records_" + strconv.Itoa(i) + "_"
		var sc StaleCase
		if sc.ID, err = stringField(raw, p+"Id"); err != nil {
			// The query operation reads only the first page.
			break
		}
		sc.Subject, _ = stringField(raw, p+"Subject")
		sc.IsClosed, _ = boolField(raw, p+"IsClosed")
		if d, err := stringField(raw, p+"CreatedDate"); err == nil {
			sc.CreatedDate, _ = parseSalesforceTime(d)
		}
		out = append(out, sc)
	}
	return out, nil
}

// FindRunCases returns the Ids of every Case carrying the run marker (none
// when there is none): how a create whose response was lost is recovered
// without creating a second case, and how cleanup finds every case a run
// left. sfInvokeAPI's query operation reads one page of results (it does
// not follow nextRecordsUrl, and no operation of v5.26 does): up to 2,000
// records, far more than a run can create; every record of that page is
// read, not only the first.
func (c *Client) FindRunCases(ctx context.Context, marker string) ([]string, error) {
	raw, err := c.call(ctx, events.FindRunCase, events.Values{Marker: marker})
	if err != nil {
		return nil, err
	}
	count, err := intField(raw, "sf_count")
	if err != nil {
		return nil, failure.Wrap(failure.UnexpectedResponse, "query result", err)
	}
	var ids []string
	for i := 0; i < count; i++ {
		id, err := stringField(raw, "sf_records_"+strconv.Itoa(i)+"_Id")
		if err != nil {
			return nil, failure.Wrap(failure.UnexpectedResponse, "query result", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func parseSalesforceTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad Salesforce time %q", s)
}

// call renders the event, invokes the function and returns the decoded
// result object, or a *failure.Error that carries the class.
func (c *Client) call(ctx context.Context, name events.Name, v events.Values) (map[string]json.RawMessage, error) {
	payload, err := events.Render(name, v)
	if err != nil {
		return nil, failure.Wrap(failure.Config, "", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	out, err := c.api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(c.function),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
		LogType:        lambdatypes.LogTypeTail,
	}, sdkRetries(name)...)
	if err != nil {
		class := ClassifyInvokeError(ctx, err)
		// A rejected invoke (throttled, not found, denied) never ran the
		// function; a lost one (timeout, network) may have spent a call.
		if class == failure.Timeout || class == failure.Network || class == failure.Unknown {
			c.calls()
		}
		return nil, failure.Wrap(class, "invoke "+string(name), redact.Err(err))
	}
	c.calls()
	raw, err := decode(name, out)
	c.observe(observed(name, out, raw, err))
	return raw, err
}

// observed keeps, of an invocation, only its REPORT figures, its executed
// version and the shape of its result: the rest of the log tail may hold
// customer data and is dropped here.
func observed(name events.Name, out *lambda.InvokeOutput, raw map[string]json.RawMessage, err error) Call {
	call := Call{Event: string(name), Result: err == nil}
	inv, ok := ParseLogTail(aws.ToString(out.LogResult))
	if v := aws.ToString(out.ExecutedVersion); v != "" {
		inv.ExecutedVersion, ok = redact.Text(v), true
	}
	if ok {
		call.Invocation = &inv
	}
	if err == nil {
		call.Shape = shapeOf(raw)
	}
	return call
}

// sdkRetries turns the SDK's own retries off for a create: a 500 or a reset
// connection can come after sfInvokeAPI created the Case, and a blind
// resend would create a second one. The caller recovers by the run marker.
func sdkRetries(name events.Name) []func(*lambda.Options) {
	if name != events.Create {
		return nil
	}
	return []func(*lambda.Options){func(o *lambda.Options) { o.RetryMaxAttempts = 1 }}
}

// decode turns an Invoke response into the result object or a classified
// function error.
func decode(name events.Name, out *lambda.InvokeOutput) (map[string]json.RawMessage, error) {
	if fe := functionError(out); fe != nil {
		class := ClassifyFunctionError(fe)
		ferr := &failure.Error{Class: class, Msg: "sfInvokeAPI " + string(name) + " raised " + fe.Type, Err: fe}
		if u, ok := unreachableHost(fe); ok {
			ferr.Msg += ": " + u.what()
			ferr.Remedy = u.remedy()
		}
		return nil, ferr
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out.Payload, &raw); err != nil || raw == nil {
		return nil, failure.New(failure.UnexpectedResponse, "sfInvokeAPI %s returned %s, want a JSON object", name, snippet(out.Payload))
	}
	return raw, nil
}

// functionError reads a function error from the X-Amz-Function-Error header,
// or from a payload that is exactly an error object (the Lambda emulator and
// some proxies drop the header; sf_util.invokeSfAPI also treats a payload
// holding errorMessage as a failure). Its type and message are redacted
// here, where they enter sfprobe: requests puts the whole token URL, with
// the credentials sfInvokeAPI sends in its query string, into its
// exceptions.
func functionError(out *lambda.InvokeOutput) *FunctionError {
	fe := rawFunctionError(out)
	if fe != nil {
		fe.Type = redact.Text(fe.Type)
		fe.Message = redact.Text(fe.Message)
		fe.StackTrace = redact.Texts(fe.StackTrace)
	}
	return fe
}

func rawFunctionError(out *lambda.InvokeOutput) *FunctionError {
	var fe struct {
		Type       *string  `json:"errorType"`
		Message    *string  `json:"errorMessage"`
		StackTrace []string `json:"stackTrace"`
	}
	_ = json.Unmarshal(out.Payload, &fe)
	hasHeader := out.FunctionError != nil && *out.FunctionError != ""
	if !hasHeader && fe.Message == nil {
		return nil
	}
	res := &FunctionError{Type: aws.ToString(fe.Type), Message: aws.ToString(fe.Message), StackTrace: fe.StackTrace}
	if res.Type == "" && res.Message == "" {
		res.Message = snippet(out.Payload)
	}
	if res.Type == "" {
		res.Type = aws.ToString(out.FunctionError)
	}
	return res
}

// snippet quotes at most 200 bytes of a payload, redacted first (a cut
// could otherwise split a secret value past recognition).
func snippet(b []byte) string {
	const max = 200
	s := redact.Text(string(bytes.TrimSpace(b)))
	if len(s) > max {
		s = s[:max] + "…"
	}
	if s == "" {
		return "an empty payload"
	}
	return strconv.Quote(s)
}

func compact(raw map[string]json.RawMessage) string {
	b, _ := json.Marshal(raw)
	return snippet(b)
}

// intField reads a JSON number, tolerating the string form Connect displays ("1", "204").
func intField(raw map[string]json.RawMessage, key string) (int, error) {
	v, ok := raw[key]
	if !ok {
		return 0, fmt.Errorf("no %q in %s", key, compact(raw))
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		if i, err := strconv.Atoi(n.String()); err == nil {
			return i, nil
		}
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if i, err := strconv.Atoi(s); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is %s, want an integer", key, v)
}

func stringField(raw map[string]json.RawMessage, key string) (string, error) {
	v, ok := raw[key]
	if !ok {
		return "", fmt.Errorf("no %q in %s", key, compact(raw))
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil || s == "" {
		return "", fmt.Errorf("%q is %s, want a non-empty string", key, v)
	}
	return s, nil
}

func boolField(raw map[string]json.RawMessage, key string) (bool, error) {
	v, ok := raw[key]
	if !ok {
		return false, fmt.Errorf("no %q in %s", key, compact(raw))
	}
	var b bool
	if err := json.Unmarshal(v, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if b, err := strconv.ParseBool(s); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%q is %s, want a boolean", key, v)
}
