package sfinvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

const (
	functionName = "sfInvokeAPI-prod"
	requestID    = "6f2d9b0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	contactID    = "0031r000026MVPIAA4"
	caseID       = "5001r0000000000002"
	marker       = "sfprobe-20250304T050607Z-0a1b2c3d"
)

// invocation is one request the fake Invoke endpoint received.
type invocation struct {
	Method, Path, InvocationType string
	Body                         []byte
}

// invokeServer is an httptest server that answers the Lambda Invoke API
// with the handler each test assigns, and records every request.
type invokeServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []invocation
}

func newInvokeServer(t *testing.T, h http.HandlerFunc) *invokeServer {
	t.Helper()
	s := &invokeServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, invocation{Method: r.Method, Path: r.URL.Path, InvocationType: r.Header.Get("X-Amz-Invocation-Type"), Body: body})
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *invokeServer) invocations() []invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]invocation(nil), s.calls...)
}

// lambdaClient is a real SDK client pointed at s, with static credentials
// and no retries.
func lambdaClient(s *invokeServer) *lambda.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.RetryMaxAttempts = 1
	})
}

// respond writes a successful Invoke response carrying payload; a non-empty
// functionError sets X-Amz-Function-Error.
func respond(payload []byte, functionError string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-RequestId", requestID)
		h.Set("X-Amz-Executed-Version", "$LATEST")
		if functionError != "" {
			h.Set("X-Amz-Function-Error", functionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
	}
}

// replay answers with a contract vector. Error payloads get back the
// requestId and stackTrace that vectors.json omits.
func replay(t *testing.T, v vector) http.HandlerFunc {
	t.Helper()
	if v.FunctionError == nil {
		return respond(v.Payload, "")
	}
	var obj map[string]any
	require.NoError(t, json.Unmarshal(v.Payload, &obj))
	obj["requestId"] = requestID
	obj["stackTrace"] = []string{`  File "/var/task/sfInvokeAPI.py", line 25, in lambda_handler`}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	return respond(b, *v.FunctionError)
}

// apiError answers like the Invoke API does for its own errors.
func apiError(status int, errorType, message string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", errorType)
		h.Set("X-Amzn-RequestId", requestID)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"Type":"User","message":"` + message + `"}`))
	}
}

// params returns the Details.Parameters of an event.
func params(t *testing.T, event []byte) map[string]any {
	t.Helper()
	p, err := events.Parameters(event)
	require.NoError(t, err)
	return p
}

func TestClient_successVectors(t *testing.T) {
	vectors := loadVectors(t)
	tests := []struct {
		vector string
		call   func(ctx context.Context, c *sfinvoke.Client) (any, error)
		want   any
		// wantSameEvent: the client sends exactly the vector's event
		// (create differs in its Subject, which carries the run marker).
		wantSameEvent bool
	}{
		{
			vector: "phoneLookup-found",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.PhoneLookup(ctx, "+441122334455", "Id, Name, Email")
			},
			want: sfinvoke.Contact{Count: 1, ID: contactID, Fields: map[string]any{
				"Id": contactID, "Name": "Jim Smith", "Email": nil,
			}},
			wantSameEvent: true,
		},
		{
			vector: "phoneLookup-not-found",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.PhoneLookup(ctx, "+15005550006", "Id, Name")
			},
			want:          sfinvoke.Contact{Count: 0, Fields: map[string]any{}},
			wantSameEvent: true,
		},
		{
			vector: "phoneLookup-anonymous",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.PhoneLookup(ctx, "anonymous", "Id, Name")
			},
			want:          sfinvoke.Contact{Count: 0, Fields: map[string]any{}},
			wantSameEvent: true,
		},
		{
			vector: "create-case",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.CreateCase(ctx, contactID, marker)
			},
			want: caseID,
		},
		{
			vector: "update-case-closed",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.CloseCase(ctx, caseID)
			},
			want:          204,
			wantSameEvent: true,
		},
		{
			vector: "lookup-case",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.LookupCase(ctx, caseID)
			},
			want:          sfinvoke.Case{Found: true, ID: caseID, Status: "Closed", IsClosed: true},
			wantSameEvent: true,
		},
		{
			vector: "delete-case",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return nil, c.DeleteCase(ctx, caseID)
			},
			want:          nil,
			wantSameEvent: true,
		},
		{
			vector: "lookup-deleted-case",
			call: func(ctx context.Context, c *sfinvoke.Client) (any, error) {
				return c.LookupCase(ctx, caseID)
			},
			want:          sfinvoke.Case{},
			wantSameEvent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			v, ok := vectors[tt.vector]
			require.True(t, ok)
			require.Nil(t, v.FunctionError)
			srv := newInvokeServer(t, replay(t, v))
			calls := 0
			c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallCounter(func() { calls++ }))

			got, err := tt.call(context.Background(), c)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, 1, calls)

			inv := srv.invocations()
			require.Len(t, inv, 1)
			assert.Equal(t, http.MethodPost, inv[0].Method)
			assert.Equal(t, "/2015-03-31/functions/"+functionName+"/invocations", inv[0].Path)
			assert.Equal(t, "RequestResponse", inv[0].InvocationType)
			if tt.wantSameEvent {
				assert.JSONEq(t, string(v.Event), string(inv[0].Body))
			} else {
				want := params(t, v.Event)
				want["Subject"] = events.Subject(marker)
				assert.Equal(t, want, params(t, inv[0].Body))
			}
		})
	}
}

// TestClient_errorVectors replays every error vector and expects a
// *failure.Error of the vector's class around the raised FunctionError.
func TestClient_errorVectors(t *testing.T) {
	vectors := loadVectors(t)
	byOperation := map[string]func(ctx context.Context, c *sfinvoke.Client) error{
		"phoneLookup": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.PhoneLookup(ctx, "+441122334455", "Id, Name")
			return err
		},
		"create": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.CreateCase(ctx, contactID, marker)
			return err
		},
		"update": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.CloseCase(ctx, caseID)
			return err
		},
		"lookup": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.LookupCase(ctx, caseID)
			return err
		},
		"delete": func(ctx context.Context, c *sfinvoke.Client) error { return c.DeleteCase(ctx, caseID) },
		// Events sfprobe never sends (no or an unknown sf_operation): any
		// method sees the same raised error.
		"": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.PhoneLookup(ctx, "+441122334455", "Id, Name")
			return err
		},
		"nope": func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.FindCases(ctx)
			return err
		},
	}
	for name, wantClass := range errorVectorClasses {
		t.Run(name, func(t *testing.T) {
			v, ok := vectors[name]
			require.True(t, ok)
			require.NotNil(t, v.FunctionError)
			op, _ := params(t, v.Event)["sf_operation"].(string)
			call, ok := byOperation[op]
			require.True(t, ok, "no client method for sf_operation %q", op)
			var want sfinvoke.FunctionError
			require.NoError(t, json.Unmarshal(v.Payload, &want))

			srv := newInvokeServer(t, replay(t, v))
			calls := 0
			err := call(context.Background(), sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallCounter(func() { calls++ })))

			require.Error(t, err)
			assert.Equal(t, 1, calls, "the function ran: the invocation counts")
			var fe *failure.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, wantClass, fe.Class)
			assert.Equal(t, wantClass, failure.ClassOf(err))
			var raised *sfinvoke.FunctionError
			require.ErrorAs(t, err, &raised)
			assert.Equal(t, want.Type, raised.Type)
			assert.Equal(t, want.Message, raised.Message)
			assert.Contains(t, err.Error(), want.Type)
			assert.Contains(t, err.Error(), want.Message)
		})
	}
}

// TestClient_connectStringForms: Connect displays sf_count and Status as
// strings ("1", "204"); the client takes both forms.
func TestClient_connectStringForms(t *testing.T) {
	t.Run("phoneLookup sf_count string", func(t *testing.T) {
		srv := newInvokeServer(t, respond([]byte(`{"Id": "0031r000026MVPIAA4", "Name": "Jim Smith", "sf_count": "1"}`), ""))
		got, err := sfinvoke.New(lambdaClient(srv), functionName).PhoneLookup(context.Background(), "+441122334455", "Id, Name")
		require.NoError(t, err)
		assert.Equal(t, sfinvoke.Contact{Count: 1, ID: contactID, Fields: map[string]any{"Id": contactID, "Name": "Jim Smith"}}, got)
	})
	t.Run("update Status string", func(t *testing.T) {
		srv := newInvokeServer(t, respond([]byte(`{"Status": "204"}`), ""))
		got, err := sfinvoke.New(lambdaClient(srv), functionName).CloseCase(context.Background(), caseID)
		require.NoError(t, err)
		assert.Equal(t, 204, got)
	})
	t.Run("lookup sf_count and IsClosed strings", func(t *testing.T) {
		srv := newInvokeServer(t, respond([]byte(`{"Id": "5001r0000000000002", "Status": "Closed", "IsClosed": "true", "sf_count": "1"}`), ""))
		got, err := sfinvoke.New(lambdaClient(srv), functionName).LookupCase(context.Background(), caseID)
		require.NoError(t, err)
		assert.Equal(t, sfinvoke.Case{Found: true, ID: caseID, Status: "Closed", IsClosed: true}, got)
	})
	t.Run("delete Response None", func(t *testing.T) {
		srv := newInvokeServer(t, respond([]byte(`{"Response": "None"}`), ""))
		require.NoError(t, sfinvoke.New(lambdaClient(srv), functionName).DeleteCase(context.Background(), caseID))
	})
}

func TestClient_phoneLookupManyMatchesAndNestedFields(t *testing.T) {
	payload := `{"Id": "0031r000026MVPIAA4", "Account": {"attributes": {"type": "Account"}, "Name": "Acme"}, "sf_count": 2}`
	srv := newInvokeServer(t, respond([]byte(payload), ""))
	got, err := sfinvoke.New(lambdaClient(srv), functionName).PhoneLookup(context.Background(), "+441122334455", "Id, Account.Name")
	require.NoError(t, err)
	assert.Equal(t, 2, got.Count)
	assert.Equal(t, contactID, got.ID)
	assert.Equal(t, map[string]any{"attributes": map[string]any{"type": "Account"}, "Name": "Acme"}, got.Fields["Account"])
}

func TestClient_findCases(t *testing.T) {
	payload := `{
		"sf_records_0_Id": "5001r0000000000002", "sf_records_0_Subject": "sfprobe synthetic test sfprobe-run1",
		"sf_records_0_IsClosed": false, "sf_records_0_CreatedDate": "2025-03-04T05:06:07.000+0000",
		"sf_records_1_Id": "5001r0000000000003", "sf_records_1_Subject": "sfprobe synthetic test sfprobe-run2",
		"sf_records_1_IsClosed": true, "sf_records_1_CreatedDate": "2025-03-05T05:06:07.000+0000",
		"sf_count": 2}`
	srv := newInvokeServer(t, respond([]byte(payload), ""))
	got, err := sfinvoke.New(lambdaClient(srv), functionName).FindCases(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []sfinvoke.StaleCase{
		{ID: "5001r0000000000002", Subject: "sfprobe synthetic test sfprobe-run1", CreatedDate: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)},
		{ID: "5001r0000000000003", Subject: "sfprobe synthetic test sfprobe-run2", IsClosed: true, CreatedDate: time.Date(2025, 3, 5, 5, 6, 7, 0, time.UTC)},
	}, normaliseTimes(got))

	inv := srv.invocations()
	require.Len(t, inv, 1)
	want, err := events.Render(events.FindCases, events.Values{})
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(inv[0].Body))
}

func TestClient_findCasesNone(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"sf_count": 0}`), ""))
	got, err := sfinvoke.New(lambdaClient(srv), functionName).FindCases(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestClient_findRunCase(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    []string
		wantErr failure.Class
	}{
		{name: "found", give: `{"sf_records_0_Id": "5001r0000000000002", "sf_records_0_Subject": "sfprobe synthetic test ` + marker + `", "sf_records_0_IsClosed": false, "sf_count": 1}`, want: []string{caseID}},
		{name: "found with string count", give: `{"sf_records_0_Id": "5001r0000000000002", "sf_count": "1"}`, want: []string{caseID}},
		{name: "every record", give: `{"sf_records_0_Id": "5001r0000000000002", "sf_records_1_Id": "5001r0000000000003", "sf_records_2_Id": "5001r0000000000004", "sf_count": 3}`,
			want: []string{caseID, "5001r0000000000003", "5001r0000000000004"}},
		{name: "none", give: `{"sf_count": 0}`, want: nil},
		{name: "count without record", give: `{"sf_count": 1}`, wantErr: failure.UnexpectedResponse},
		{name: "count beyond the records", give: `{"sf_records_0_Id": "5001r0000000000002", "sf_count": 2}`, wantErr: failure.UnexpectedResponse},
		{name: "no count", give: `{"sf_records_0_Id": "5001r0000000000002"}`, wantErr: failure.UnexpectedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, respond([]byte(tt.give), ""))

			got, err := sfinvoke.New(lambdaClient(srv), functionName).FindRunCases(context.Background(), marker)

			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, failure.ClassOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			inv := srv.invocations()
			require.Len(t, inv, 1)
			want, err := events.Render(events.FindRunCase, events.Values{Marker: marker})
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(inv[0].Body))
		})
	}
}

func TestClient_findRunCaseRaised(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"errorMessage": "MALFORMED_QUERY: unexpected token", "errorType": "Exception"}`), "Unhandled"))
	_, err := sfinvoke.New(lambdaClient(srv), functionName).FindRunCases(context.Background(), marker)
	require.Error(t, err)
	assert.Equal(t, failure.Config, failure.ClassOf(err))
}

func normaliseTimes(cases []sfinvoke.StaleCase) []sfinvoke.StaleCase {
	for i := range cases {
		cases[i].CreatedDate = cases[i].CreatedDate.UTC()
	}
	return cases
}

// TestClient_errorMessageWithoutHeader: a payload holding errorMessage is a
// function error even when the header was dropped (sf_util.invokeSfAPI's rule).
func TestClient_errorMessageWithoutHeader(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"errorMessage": "invalid_grant: authentication failure", "errorType": "Exception"}`), ""))
	_, err := sfinvoke.New(lambdaClient(srv), functionName).PhoneLookup(context.Background(), "+441122334455", "Id, Name")
	require.Error(t, err)
	assert.Equal(t, failure.Auth, failure.ClassOf(err))
	var raised *sfinvoke.FunctionError
	require.ErrorAs(t, err, &raised)
	assert.Equal(t, sfinvoke.FunctionError{Type: "Exception", Message: "invalid_grant: authentication failure"}, *raised)
}

// TestClient_timeoutPayload is the runtime's timeout report: no errorType
// in older runtimes, only the header and a message.
func TestClient_timeoutPayload(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"errorMessage": "2025-03-04T05:06:07.890Z 6f2d9b0e Task timed out after 6.01 seconds"}`), "Unhandled"))
	_, err := sfinvoke.New(lambdaClient(srv), functionName).CreateCase(context.Background(), contactID, marker)
	require.Error(t, err)
	assert.Equal(t, failure.Timeout, failure.ClassOf(err))
}

func TestClient_headerWithoutErrorObject(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`not json`), "Unhandled"))
	_, err := sfinvoke.New(lambdaClient(srv), functionName).CloseCase(context.Background(), caseID)
	require.Error(t, err)
	var raised *sfinvoke.FunctionError
	require.ErrorAs(t, err, &raised)
	assert.Equal(t, "Unhandled", raised.Type)
	assert.Contains(t, raised.Message, "not json")
}

func TestClient_nonObjectPayload(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "array", give: `[{"Id": "0031r000026MVPIAA4"}]`},
		{name: "string", give: `"0031r000026MVPIAA4"`},
		{name: "number", give: `1`},
		{name: "null", give: `null`},
		{name: "empty", give: ``},
		{name: "html", give: `<html>502 Bad Gateway</html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, respond([]byte(tt.give), ""))
			_, err := sfinvoke.New(lambdaClient(srv), functionName).PhoneLookup(context.Background(), "+441122334455", "Id, Name")
			require.Error(t, err)
			assert.Equal(t, failure.UnexpectedResponse, failure.ClassOf(err))
			var raised *sfinvoke.FunctionError
			assert.False(t, errors.As(err, &raised), "not a function error")
		})
	}
}

// TestClient_resultOutsideContract: results whose shape the contract does
// not allow are unexpected-response failures.
func TestClient_resultOutsideContract(t *testing.T) {
	tests := []struct {
		name string
		give string
		call func(ctx context.Context, c *sfinvoke.Client) error
	}{
		{"phoneLookup without sf_count", `{"Id": "0031r000026MVPIAA4"}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.PhoneLookup(ctx, "+441122334455", "Id")
			return err
		}},
		{"phoneLookup count without Id", `{"Name": "Jim", "sf_count": 1}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.PhoneLookup(ctx, "+441122334455", "Id")
			return err
		}},
		{"phoneLookup sf_count not a number", `{"sf_count": "one"}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.PhoneLookup(ctx, "+441122334455", "Id")
			return err
		}},
		{"create without Id", `{"id": "5001r0000000000002", "success": true}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.CreateCase(ctx, contactID, marker)
			return err
		}},
		{"create with an empty Id", `{"Id": ""}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.CreateCase(ctx, contactID, marker)
			return err
		}},
		{"update without Status", `{"Response": null}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.CloseCase(ctx, caseID)
			return err
		}},
		{"lookup without IsClosed", `{"Id": "5001r0000000000002", "Status": "Closed", "sf_count": 1}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.LookupCase(ctx, caseID)
			return err
		}},
		{"delete with a value", `{"Response": "deleted"}`, func(ctx context.Context, c *sfinvoke.Client) error {
			return c.DeleteCase(ctx, caseID)
		}},
		{"delete without Response", `{}`, func(ctx context.Context, c *sfinvoke.Client) error {
			return c.DeleteCase(ctx, caseID)
		}},
		{"query without sf_count", `{"sf_records_0_Id": "5001"}`, func(ctx context.Context, c *sfinvoke.Client) error {
			_, err := c.FindCases(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, respond([]byte(tt.give), ""))
			err := tt.call(context.Background(), sfinvoke.New(lambdaClient(srv), functionName))
			require.Error(t, err)
			assert.Equal(t, failure.UnexpectedResponse, failure.ClassOf(err))
		})
	}
}

func TestClient_invokeAPIErrors(t *testing.T) {
	tests := []struct {
		name string
		give http.HandlerFunc
		want failure.Class
	}{
		{"throttled", apiError(http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"), failure.Throttled},
		{"function not found", apiError(http.StatusNotFound, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-prod"), failure.NotFound},
		{"access denied", apiError(http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: lambda:InvokeFunction"), failure.Permission},
		{"service exception", apiError(http.StatusInternalServerError, "ServiceException", "internal error"), failure.Network},
		{"function not ready", apiError(http.StatusBadGateway, "ResourceNotReadyException", "The function is currently in the Pending state"), failure.Config},
		{"KMS access denied", apiError(http.StatusBadGateway, "KMSAccessDeniedException", "Lambda was unable to decrypt the environment variables"), failure.Permission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, tt.give)
			c := sfinvoke.New(lambdaClient(srv), functionName)
			_, err := c.PhoneLookup(context.Background(), "+441122334455", "Id, Name")
			require.Error(t, err)
			assert.Equal(t, tt.want, failure.ClassOf(err), "%v", err)
			assert.Len(t, srv.invocations(), 1, "RetryMaxAttempts = 1")
		})
	}
}

func TestClient_connectionRefused(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{}`), ""))
	client := lambdaClient(srv)
	srv.Close()
	_, err := sfinvoke.New(client, functionName).CloseCase(context.Background(), caseID)
	require.Error(t, err)
	assert.Equal(t, failure.Network, failure.ClassOf(err), "%v", err)
}

func TestClient_callTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newInvokeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallTimeout(20*time.Millisecond))
	start := time.Now()
	_, err := c.CreateCase(context.Background(), contactID, marker)
	require.Error(t, err)
	assert.Equal(t, failure.Timeout, failure.ClassOf(err), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestClient_callCounterCountsInvocations(t *testing.T) {
	vectors := loadVectors(t)
	srv := newInvokeServer(t, replay(t, vectors["update-case-closed"]))
	calls := 0
	c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallCounter(func() { calls++ }))
	for i := 0; i < 3; i++ {
		_, err := c.CloseCase(context.Background(), caseID)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, calls)
	assert.Len(t, srv.invocations(), 3)
}

// TestClient_callCounterSkipsRejectedInvocations: WithCallCounter counts
// "every invocation attempt that reaches the function (the Salesforce API
// budget)". An invocation the Invoke API rejects (throttled, no such
// function) never reached sfInvokeAPI and spent no Salesforce call.
func TestClient_callCounterSkipsRejectedInvocations(t *testing.T) {
	tests := []struct {
		name string
		give http.HandlerFunc
	}{
		{"throttled", apiError(http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")},
		{"function not found", apiError(http.StatusNotFound, "ResourceNotFoundException", "Function not found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newInvokeServer(t, tt.give)
			calls := 0
			c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallCounter(func() { calls++ }))
			_, err := c.PhoneLookup(context.Background(), "+441122334455", "Id, Name")
			require.Error(t, err)
			assert.Equal(t, 0, calls)
		})
	}
}

// TestClient_renderFailureInvokesNothing: an event that cannot be rendered
// is a config failure and spends no Salesforce call.
func TestClient_renderFailureInvokesNothing(t *testing.T) {
	srv := newInvokeServer(t, respond([]byte(`{"sf_count": 0}`), ""))
	calls := 0
	c := sfinvoke.New(lambdaClient(srv), functionName, sfinvoke.WithCallCounter(func() { calls++ }))

	_, err := c.PhoneLookup(context.Background(), "", "Id, Name")
	require.Error(t, err)
	assert.Equal(t, failure.Config, failure.ClassOf(err))
	assert.Contains(t, err.Error(), "phone")

	_, err = c.CreateCase(context.Background(), "", marker)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "contact_id")

	_, err = c.FindRunCases(context.Background(), "")
	require.Error(t, err)
	assert.Equal(t, failure.Config, failure.ClassOf(err))

	assert.Equal(t, 0, calls)
	assert.Empty(t, srv.invocations())
}

func TestClient_functionARN(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI-prod:live"
	srv := newInvokeServer(t, respond([]byte(`{"Response": null}`), ""))
	require.NoError(t, sfinvoke.New(lambdaClient(srv), arn).DeleteCase(context.Background(), caseID))
	inv := srv.invocations()
	require.Len(t, inv, 1)
	assert.Equal(t, "/2015-03-31/functions/"+arn+"/invocations", inv[0].Path)
}

// TestClient_createIsNeverResentByTheSDK: the SDK's retryer resends an
// Invoke that failed with a 500; for a create that can mean a second Case
// (the function may have run), so the create is sent once.
func TestClient_createIsNeverResentByTheSDK(t *testing.T) {
	srv := newInvokeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
		w.Header().Set("X-Amzn-RequestId", "r")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"Type":"Service","message":"The AWS Lambda service encountered an internal error."}`))
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	retrying := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 3
		o.Retryer = retry.AddWithMaxBackoffDelay(retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 3 }), time.Millisecond)
	})
	c := sfinvoke.New(retrying, functionName)

	_, err := c.CreateCase(context.Background(), "003A", marker)
	require.Error(t, err)
	assert.Len(t, srv.invocations(), 1, "a create is never resent")

	_, err = c.FindRunCases(context.Background(), marker)
	require.Error(t, err)
	assert.Len(t, srv.invocations(), 4, "a read is: 1 + 3 attempts")
}
