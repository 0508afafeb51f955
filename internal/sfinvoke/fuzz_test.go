package sfinvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// The seed corpus of the fuzz targets: the contract's vectors
// (testdata/vectors.json, every payload with its X-Amz-Function-Error) and
// its §3 error table (testdata/contract-errors.json).

// contractError is one row of testdata/contract-errors.json.
type contractError struct {
	Situation string `json:"situation"`
	Type      string `json:"errorType"`
	Message   string `json:"errorMessage"`
}

func seedErrors(tb testing.TB) []contractError {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "contract-errors.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Errors []contractError `json:"errors"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		tb.Fatalf("testdata/contract-errors.json: %v", err)
	}
	return file.Errors
}

func seedVectors(tb testing.TB) []vector {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		tb.Fatalf("testdata/vectors.json: %v", err)
	}
	return file.Vectors
}

// invokerFunc is an Invoker that answers every call with its func.
type invokerFunc func(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)

func (f invokerFunc) Invoke(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return f(ctx, params, optFns...)
}

// operations call every client method, each the decode path of one
// operation.
var operations = []struct {
	name string
	call func(ctx context.Context, c *sfinvoke.Client) (any, error)
}{
	{"phoneLookup", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.PhoneLookup(ctx, "+441122334455", "Id, Name")
	}},
	{"create", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.CreateCase(ctx, contactID, marker)
	}},
	{"update", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.CloseCase(ctx, caseID)
	}},
	{"lookup", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.LookupCase(ctx, caseID)
	}},
	{"delete", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return nil, c.DeleteCase(ctx, caseID)
	}},
	{"query", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.FindCases(ctx)
	}},
	{"query for the run's case", func(ctx context.Context, c *sfinvoke.Client) (any, error) {
		return c.FindRunCases(ctx, marker)
	}},
}

// FuzzDecode feeds arbitrary Invoke responses (payload bytes, and an
// X-Amz-Function-Error header when header is not empty) to every operation
// of the client. Each must return a value, or a *failure.Error of a class
// failure.Lookup knows; a function error must come back classified, with
// the raised FunctionError in its chain.
func FuzzDecode(f *testing.F) {
	for _, v := range seedVectors(f) {
		header := ""
		if v.FunctionError != nil {
			header = *v.FunctionError
		}
		f.Add([]byte(v.Payload), header)
		f.Add([]byte(v.Payload), "Unhandled") // a success payload under the header
	}
	for _, e := range seedErrors(f) {
		b, err := json.Marshal(map[string]string{"errorType": e.Type, "errorMessage": e.Message})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "Unhandled")
		f.Add(b, "") // the emulator and some proxies drop the header
	}
	for _, s := range []string{
		``, `null`, `[]`, `"x"`, `1`, `{}`, `not json`, `{"errorMessage": null}`, `{"errorType": 1}`,
		`{"sf_count": "1", "Id": "0031r000026MVPIAA4"}`, `{"sf_count": 1e3}`,
		`{"sf_count": -1}`, `{"sf_count": 1000000000000}`, // once a panic and an out-of-memory in FindCases
		`{"sf_count": 2, "sf_records_0_Id": "5001", "sf_records_0_CreatedDate": "2025-03-04T05:06:07.000+0000"}`,
		`{"Status": "204"}`, `{"IsClosed": "true", "sf_count": 1, "Id": "5001", "Status": "Closed"}`, `{"Response": "None"}`,
	} {
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, payload []byte, header string) {
		api := invokerFunc(func(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
			out := &lambda.InvokeOutput{StatusCode: 200, Payload: payload, ExecutedVersion: aws.String("$LATEST")}
			if header != "" {
				out.FunctionError = aws.String(header)
			}
			return out, nil
		})
		c := sfinvoke.New(api, functionName)
		for _, op := range operations {
			got, err := op.call(context.Background(), c)
			if err == nil {
				if header != "" {
					t.Fatalf("%s: X-Amz-Function-Error %q, yet a result %+v", op.name, header, got)
				}
				continue
			}
			var fe *failure.Error
			if !errors.As(err, &fe) {
				t.Fatalf("%s: %T is not a *failure.Error: %v", op.name, err, err)
			}
			if _, ok := failure.Lookup(fe.Class); !ok {
				t.Fatalf("%s: unknown class %q: %v", op.name, fe.Class, err)
			}
			if err.Error() == "" {
				t.Fatalf("%s: an empty error message", op.name)
			}
			var raised *sfinvoke.FunctionError
			if header != "" && !errors.As(err, &raised) {
				t.Fatalf("%s: X-Amz-Function-Error %q, yet no FunctionError in %v", op.name, header, err)
			}
			if raised != nil {
				if want := sfinvoke.ClassifyFunctionError(raised); fe.Class != want {
					t.Fatalf("%s: class %q, ClassifyFunctionError says %q", op.name, fe.Class, want)
				}
				if raised.Type == "" && raised.Message == "" {
					t.Fatalf("%s: a FunctionError with neither type nor message", op.name)
				}
			}
		}
	})
}

// typeOnly are errorTypes whose class sfInvokeAPI's message cannot change
// (a test's own list: the classifier's tables must agree with it).
var typeOnly = map[string]failure.Class{
	"KeyError":                  failure.Config,
	"TypeError":                 failure.Config,
	"ValueError":                failure.Data,
	"NumberParseException":      failure.Config,
	"InvalidAuthTokenException": failure.Auth,
	"ParamValidationError":      failure.Config,
	"MissingSchema":             failure.Config,
	"InvalidSchema":             failure.Config,
	"InvalidURL":                failure.Config,
	"SSLError":                  failure.Network,
	"ProxyError":                failure.Network,
	"ChunkedEncodingError":      failure.Network,
	"ConnectionError":           failure.Network,
	"ConnectTimeoutError":       failure.Timeout,
	"ReadTimeoutError":          failure.Timeout,
	"Runtime.ImportModuleError": failure.Packaging,
	"Runtime.OutOfMemory":       failure.Config,
	"Runtime.ExitError":         failure.Config,
	"Runtime.UnmarshalError":    failure.Config,
	"Sandbox.Timedout":          failure.Timeout,
	"ResourceNotFoundException": failure.Config,
	"InvalidRequestException":   failure.Config,
	"DecryptionFailure":         failure.Permission,
	"InternalServiceError":      failure.Network,
}

// FuzzClassifyFunctionError: any errorType and errorMessage get a class
// that failure.Lookup knows, the same one every time; noise after a known
// error's message keeps its class (the codes and prefixes decide, not the
// rest of the text), and an errorType whose class is its own keeps it
// whatever message comes with it. Noise that itself reads as a Lambda
// timeout ("Task timed out after N seconds") is a timeout.
func FuzzClassifyFunctionError(f *testing.F) {
	type seed struct{ errorType, errorMessage string }
	var known []seed
	for _, e := range seedErrors(f) {
		f.Add(e.Type, e.Message, "", "")
		known = append(known, seed{e.Type, e.Message})
	}
	for _, v := range seedVectors(f) {
		if v.FunctionError == nil {
			continue
		}
		var fe sfinvoke.FunctionError
		if err := json.Unmarshal(v.Payload, &fe); err != nil {
			f.Fatalf("vector %s: %v", v.Name, err)
		}
		f.Add(fe.Type, fe.Message, "", "")
		known = append(known, seed{fe.Type, fe.Message})
	}
	f.Add("", "", "", "")
	f.Add("Runtime.", "", "x", "")
	f.Add("ClientError", "An error occurred () when", "", " (reached max retries: 4)")
	f.Add("Unhandled", "Task timed out after . seconds", "", "")
	f.Add("Exception", "x", "NOT_FOUND: ", " x")
	f.Add("KeyError", "'Password'", "REQUEST_LIMIT_EXCEEDED: ", "")
	timedOut := regexp.MustCompile(`Task timed out after [0-9.]+ seconds`)
	f.Fuzz(func(t *testing.T, errorType, errorMessage, prefix, suffix string) {
		fe := &sfinvoke.FunctionError{Type: errorType, Message: errorMessage}
		got := sfinvoke.ClassifyFunctionError(fe)
		if _, ok := failure.Lookup(got); !ok {
			t.Fatalf("ClassifyFunctionError(%q, %q) = %q, which failure.Lookup does not know", errorType, errorMessage, got)
		}
		if again := sfinvoke.ClassifyFunctionError(fe); again != got {
			t.Fatalf("ClassifyFunctionError(%q, %q): %q, then %q", errorType, errorMessage, got, again)
		}
		for _, k := range known {
			want := sfinvoke.ClassifyFunctionError(&sfinvoke.FunctionError{Type: k.errorType, Message: k.errorMessage})
			msg := k.errorMessage + suffix
			if timedOut.MatchString(msg) {
				want = failure.Timeout
			}
			if want == failure.Unknown {
				continue
			}
			if got := sfinvoke.ClassifyFunctionError(&sfinvoke.FunctionError{Type: k.errorType, Message: msg}); got != want {
				t.Fatalf("%s %q is %q, with %q after it %q", k.errorType, k.errorMessage, want, suffix, got)
			}
		}
		for typ, want := range typeOnly {
			msg := prefix + errorMessage + suffix
			if timedOut.MatchString(msg) {
				want = failure.Timeout
			}
			if got := sfinvoke.ClassifyFunctionError(&sfinvoke.FunctionError{Type: typ, Message: msg}); got != want {
				t.Fatalf("%s is %q, yet %q with the message %q", typ, want, got, msg)
			}
		}
	})
}
