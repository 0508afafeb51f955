package sim

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// The Python runtime reports an unhandled exception with its traceback:
// stackTrace holds one entry per frame, outermost first, in the form of
// traceback.format_list. The simulator gives the frames of sfInvokeAPI's
// own files (with their v5.26 line numbers) that tell where an exception
// was raised: the secret's loading, or the Salesforce method a request
// came from. Library frames (json, requests) are left out, and so are the
// source lines.

// frame is one stackTrace entry.
func frame(file string, line int, fn string) string {
	return fmt.Sprintf("  File \"/var/task/%s\", line %d, in %s\n", file, line, fn)
}

// loadCredentialsFrames are lambda_handler → Salesforce() →
// __load_credentials: an error reading or decoding the secret.
var loadCredentialsFrames = []string{
	frame("sfInvokeAPI.py", 47, "lambda_handler"),
	frame("salesforce.py", 44, "__init__"),
	frame("salesforce.py", 64, "__load_credentials"),
}

// initFrames are lambda_handler → Salesforce(): an error of the
// constructor itself (get_arg, the secret ARN).
var initFrames = []string{
	frame("sfInvokeAPI.py", 47, "lambda_handler"),
	frame("salesforce.py", 42, "__init__"),
}

// sfMethodLines are the lines where each salesforce.py method calls
// makeRequest; verbLines where each Request method calls requests.
var (
	sfMethodLines = map[string]int{
		"search": 82, "query": 107, "parameterizedSearch": 116, "update": 126,
		"create": 137, "delete": 143, "createChatterPost": 181, "createChatterComment": 196,
	}
	verbLines = map[string]int{"post": 230, "delete": 237, "patch": 243, "get": 249}
	// opLines are where each operation of sfInvokeAPI.py calls salesforce.py.
	opLines = map[string]int{
		"lookup": 94, "create": 116, "update": 125, "phoneLookup": 137, "delete": 150, "lookup_all": 157,
		"query": 180, "queryOne": 202, "createChatterPost": 218, "createChatterComment": 229,
		"search": 242, "searchOne": 269, "searchSOSL": 280, "searchOneSOSL": 301,
	}
)

// requestFrames are the frames of an error raised by a request of the
// Salesforce method sfMethod with the requests function verb (by requests
// or __check_resp__), called from the operation op.
func requestFrames(op, sfMethod, verb string) []string {
	return []string{
		frame("sfInvokeAPI.py", 61, "lambda_handler"),
		frame("sfInvokeAPI.py", opLines[op], op),
		frame("salesforce.py", sfMethodLines[sfMethod], sfMethod),
		frame("salesforce.py", 201, "makeRequest"),
		frame("salesforce.py", verbLines[verb], verb),
	}
}

// withTrace returns err with frames as its traceback when it is an
// exception without one (a copy: sentinel exceptions are shared).
func withTrace(err error, frames []string) error {
	var exc *exception
	if !errors.As(err, &exc) || len(exc.trace) > 0 {
		return err
	}
	c := *exc
	c.trace = frames
	return &c
}

// errorPayload is the Python runtime's error body for exc.
func errorPayload(exc *exception) []byte {
	trace := exc.trace
	if trace == nil {
		return lambdahttp.ErrorPayload(exc.Type, exc.Message)
	}
	b, _ := json.Marshal(struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		RequestID  string   `json:"requestId"`
		StackTrace []string `json:"stackTrace"`
	}{exc.Message, exc.Type, lambdahttp.RequestID(), trace})
	return b
}
