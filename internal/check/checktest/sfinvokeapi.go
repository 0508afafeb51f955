package checktest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// The records of the happy org, as in the contract's vectors.
const (
	ContactID = "0031r000026MVPIAA4"
	CaseID    = "5001r0000000000002"
)

// Call is one invocation the fake sfInvokeAPI received.
type Call struct {
	Function string
	Payload  []byte
	// Params are the event's Details.Parameters; every value is a string,
	// as Amazon Connect sends them.
	Params map[string]string
}

// Op is the call's sf_operation.
func (c Call) Op() string { return c.Params["sf_operation"] }

// OpFunc answers one sfInvokeAPI operation.
type OpFunc func(ctx context.Context, c Call) (*lambda.InvokeOutput, error)

// SFInvokeAPI fakes sfInvokeAPI v5.26 behind lambda:Invoke. Ops maps an
// sf_operation to its answer; an operation without one raises
// Exception "sf_operation unknown", like the real handler. It records every
// call and is safe for concurrent use.
type SFInvokeAPI struct {
	Ops map[string]OpFunc

	mu    sync.Mutex
	calls []Call
}

var _ sfinvoke.Invoker = (*SFInvokeAPI)(nil)

// NewSFInvokeAPI returns a fake whose org behaves as in the contract's
// vectors: the test contact is found, the case is created, closed, read
// back closed and deleted; the sweep query finds nothing.
func NewSFInvokeAPI() *SFInvokeAPI {
	return &SFInvokeAPI{Ops: HappyOps()}
}

// HappyOps answers every operation sfprobe sends with the contract's
// success payloads.
func HappyOps() map[string]OpFunc {
	return map[string]OpFunc{
		"phoneLookup": Reply(map[string]any{"Id": ContactID, "Name": "Jim Smith", "Email": nil, "sf_count": 1}),
		"create":      Reply(map[string]any{"Id": CaseID}),
		"update":      Reply(map[string]any{"Status": 204}),
		"lookup":      Reply(map[string]any{"Id": CaseID, "Status": "Closed", "IsClosed": true, "sf_count": 1}),
		"delete":      Reply(map[string]any{"Response": nil}),
		"query":       Query(),
	}
}

// Invoke decodes the event and answers with the operation's OpFunc. A call
// on a context that already ended fails with its error and is not recorded.
func (f *SFInvokeAPI) Invoke(ctx context.Context, params *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	var event struct {
		Details struct {
			Parameters map[string]string `json:"Parameters"`
		} `json:"Details"`
	}
	if err := json.Unmarshal(params.Payload, &event); err != nil {
		return nil, fmt.Errorf("checktest: the event is not Details.Parameters with string values: %w", err)
	}
	if err := ctx.Err(); err != nil {
		// The SDK sends nothing on a context that already ended.
		return nil, err
	}
	c := Call{Function: aws.ToString(params.FunctionName), Payload: params.Payload, Params: event.Details.Parameters}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	op, ok := f.Ops[c.Op()]
	f.mu.Unlock()
	if !ok {
		return Raises("Exception", "sf_operation unknown"), nil
	}
	return op(ctx, c)
}

// Calls returns the calls so far.
func (f *SFInvokeAPI) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Operations returns the sf_operation of every call so far, in order.
func (f *SFInvokeAPI) Operations() []string {
	calls := f.Calls()
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Op())
	}
	return out
}

// Returns is a successful invocation whose payload is v as JSON.
func Returns(v any) *lambda.InvokeOutput {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("checktest: marshal payload: %v", err))
	}
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b, ExecutedVersion: aws.String("$LATEST")}
}

// Raises is an invocation whose function raised: X-Amz-Function-Error
// Unhandled and the Python runtime's error object.
func Raises(errorType, errorMessage string) *lambda.InvokeOutput {
	b, _ := json.Marshal(map[string]any{
		"errorMessage": errorMessage,
		"errorType":    errorType,
		"requestId":    "6f2d9b0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
		"stackTrace":   []string{`  File "/var/task/sfInvokeAPI.py", line 25, in lambda_handler`},
	})
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b, FunctionError: aws.String("Unhandled"), ExecutedVersion: aws.String("$LATEST")}
}

// Reply answers with Returns(v).
func Reply(v any) OpFunc {
	return func(context.Context, Call) (*lambda.InvokeOutput, error) { return Returns(v), nil }
}

// Raise answers with Raises(errorType, errorMessage).
func Raise(errorType, errorMessage string) OpFunc {
	return func(context.Context, Call) (*lambda.InvokeOutput, error) { return Raises(errorType, errorMessage), nil }
}

// Fail answers with an error of the Invoke API itself.
func Fail(err error) OpFunc {
	return func(context.Context, Call) (*lambda.InvokeOutput, error) { return nil, err }
}

// Hang blocks until the call's context ends, then returns its error, as the
// SDK does when the deadline passes.
func Hang() OpFunc {
	return func(ctx context.Context, _ Call) (*lambda.InvokeOutput, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// Sequence answers the i-th call of the operation with fns[i]; calls after
// the last use the last.
func Sequence(fns ...OpFunc) OpFunc {
	var mu sync.Mutex
	n := 0
	return func(ctx context.Context, c Call) (*lambda.InvokeOutput, error) {
		mu.Lock()
		i := n
		if i >= len(fns) {
			i = len(fns) - 1
		}
		n++
		mu.Unlock()
		return fns[i](ctx, c)
	}
}

// Case is a Case record the fake query operation lists.
type Case struct {
	ID          string
	Subject     string
	IsClosed    bool
	CreatedDate string // Salesforce format, e.g. 2025-03-04T05:06:07.000+0000
}

var (
	subjectEquals = regexp.MustCompile(`WHERE Subject = '([^']*)'$`)
	subjectLike   = regexp.MustCompile(`WHERE Subject LIKE '([^'%]*)%'$`)
)

// Query answers sfprobe's query events from cases: FindRunCase's
// "Subject = '…'" and FindCases' "Subject LIKE '…%'", flattened as the query
// operation does (sf_records_<i>_<field>, sf_count). Any other query raises
// MALFORMED_QUERY.
func Query(cases ...Case) OpFunc {
	return func(_ context.Context, c Call) (*lambda.InvokeOutput, error) {
		q := c.Params["query"]
		var match func(subject string) bool
		if m := subjectEquals.FindStringSubmatch(q); m != nil {
			match = func(s string) bool { return s == m[1] }
		} else if m := subjectLike.FindStringSubmatch(q); m != nil {
			match = func(s string) bool { return strings.HasPrefix(s, m[1]) }
		} else {
			return Raises("Exception", "MALFORMED_QUERY: checktest does not know the query "+q), nil
		}
		out := map[string]any{}
		n := 0
		for _, cs := range cases {
			if !match(cs.Subject) {
				continue
			}
			p := fmt.Sprintf("sf_records_%d_", n)
			out[p+"Id"], out[p+"Subject"], out[p+"IsClosed"] = cs.ID, cs.Subject, cs.IsClosed
			if cs.CreatedDate != "" {
				out[p+"CreatedDate"] = cs.CreatedDate
			}
			n++
		}
		out["sf_count"] = n
		return Returns(out), nil
	}
}
