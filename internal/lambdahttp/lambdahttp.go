// Package lambdahttp serves Go functions over the Lambda Invoke HTTP API
// (POST /2015-03-31/functions/{name}/invocations), so the real AWS SDK and
// moto's Step Functions engine can call them. It is what the simulator and
// the local sandbox's gateway answer invocations with.
package lambdahttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Response is what a function returns to the Invoke API.
type Response struct {
	// Payload is the function's result, or its error object.
	Payload []byte
	// FunctionError is "Unhandled" when the function raised; empty on success.
	FunctionError string
	// LogResult is the base64 tail of the invocation's log, sent as
	// X-Amz-Log-Result when the request asked for it (X-Amz-Log-Type: Tail).
	LogResult string
	// ExecutedVersion is the version that ran; empty means $LATEST.
	ExecutedVersion string
}

// APIError is an error of the Invoke API itself (throttling, not found, …):
// it is answered with a non-2xx status and X-Amzn-ErrorType.
type APIError struct {
	Status  int
	Type    string // e.g. TooManyRequestsException
	Message string
}

func (e *APIError) Error() string { return e.Type + ": " + e.Message }

// Function is a Lambda function served over HTTP.
type Function interface {
	Invoke(ctx context.Context, payload []byte) (Response, error)
}

// FunctionFunc adapts a func to Function.
type FunctionFunc func(ctx context.Context, payload []byte) (Response, error)

// Invoke calls f.
func (f FunctionFunc) Invoke(ctx context.Context, payload []byte) (Response, error) {
	return f(ctx, payload)
}

// ErrorPayload builds the error object of an unhandled function error in the
// Lambda runtime's format.
func ErrorPayload(errorType, errorMessage string) []byte {
	return ErrorPayloadWithTrace(errorType, errorMessage, nil)
}

// ErrorPayloadWithTrace is ErrorPayload with the traceback's frames in
// stackTrace.
func ErrorPayloadWithTrace(errorType, errorMessage string, stackTrace []string) []byte {
	if stackTrace == nil {
		stackTrace = []string{}
	}
	b, _ := json.Marshal(struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		RequestID  string   `json:"requestId"`
		StackTrace []string `json:"stackTrace"`
	}{errorMessage, errorType, RequestID(), stackTrace})
	return b
}

// RequestID returns a random request id in the AWS format.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

const prefix = "/2015-03-31/functions/"

// FunctionName returns the function named in an invocation path, without
// ARN parts or qualifier, and whether the path is an invocation.
func FunctionName(path string) (string, bool) {
	if !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, "/invocations") {
		return "", false
	}
	raw := strings.TrimSuffix(strings.TrimPrefix(path, prefix), "/invocations")
	name, err := url.PathUnescape(raw)
	if err != nil || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return BareName(name), true
}

// BareName strips an ARN and a qualifier: "arn:aws:lambda:r:a:function:f:live" → "f".
func BareName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		parts := strings.Split(nameOrARN, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
		return nameOrARN
	}
	if i := strings.IndexByte(nameOrARN, ':'); i >= 0 {
		return nameOrARN[:i]
	}
	return nameOrARN
}

// Router serves a set of functions by name. It is safe for concurrent use.
type Router struct {
	mu  sync.RWMutex
	fns map[string]Function
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{fns: map[string]Function{}} }

// Handle registers fn under name (a bare function name).
func (r *Router) Handle(name string, fn Function) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fns[name] = fn
}

// Reset unregisters every function.
func (r *Router) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fns = map[string]Function{}
}

// Lookup returns the function an invocation path names, if registered.
func (r *Router) Lookup(path string) (Function, bool) {
	name, ok := FunctionName(path)
	if !ok {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.fns[name]
	return fn, ok
}

// ServeHTTP answers an invocation of a registered function, and 404
// ResourceNotFoundException for anything else.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	fn, ok := r.Lookup(req.URL.Path)
	if !ok || req.Method != http.MethodPost {
		name, _ := FunctionName(req.URL.Path)
		WriteAPIError(w, &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException",
			Message: fmt.Sprintf("Function not found: %s", name)})
		return
	}
	Serve(w, req, fn)
}

// Serve runs one invocation of fn and writes the Invoke API response.
func Serve(w http.ResponseWriter, req *http.Request, fn Function) {
	if it := req.Header.Get("X-Amz-Invocation-Type"); it != "" && it != "RequestResponse" {
		WriteAPIError(w, &APIError{Status: http.StatusBadRequest, Type: "InvalidParameterValueException",
			Message: "only RequestResponse invocations are served here, got " + it})
		return
	}
	payload, err := io.ReadAll(io.LimitReader(req.Body, 6<<20+1))
	if err != nil {
		WriteAPIError(w, &APIError{Status: http.StatusBadRequest, Type: "InvalidRequestContentException", Message: err.Error()})
		return
	}
	if len(payload) > 6<<20 {
		WriteAPIError(w, &APIError{Status: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException", Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"})
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	resp, err := fn.Invoke(req.Context(), payload)
	if err != nil {
		apiErr, ok := err.(*APIError)
		if !ok {
			apiErr = &APIError{Status: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()}
		}
		WriteAPIError(w, apiErr)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-RequestId", RequestID())
	version := resp.ExecutedVersion
	if version == "" {
		version = "$LATEST"
	}
	h.Set("X-Amz-Executed-Version", version)
	if resp.LogResult != "" && req.Header.Get("X-Amz-Log-Type") == "Tail" {
		h.Set("X-Amz-Log-Result", resp.LogResult)
	}
	if resp.FunctionError != "" {
		h.Set("X-Amz-Function-Error", resp.FunctionError)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.Payload)
}

// WriteAPIError writes an Invoke API error the way AWS does: a non-2xx status,
// X-Amzn-ErrorType and X-Amzn-RequestId (moto's engine needs the latter).
func WriteAPIError(w http.ResponseWriter, e *APIError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Type)
	h.Set("X-Amzn-RequestId", RequestID())
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(map[string]string{"Type": "User", "message": e.Message})
	_, _ = w.Write(b)
}
