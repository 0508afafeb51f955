package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// ErrRIENotFound says the Lambda Runtime Interface Emulator is missing.
var ErrRIENotFound = errors.New("aws-lambda-rie not found: run `make tools` (go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion + ")")

// RIEVersion is the emulator version the project's tests use.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIE runs one built Lambda bootstrap under the Lambda Runtime Interface
// Emulator: the real Lambda runtime API, so the binary CDK ships is the one
// that answers. It serves invocations one at a time (the emulator crashes on
// concurrent ones).
type RIE struct {
	cmd   *exec.Cmd
	url   string
	mu    sync.Mutex // serializes invocations
	logMu sync.Mutex
	log   bytes.Buffer
	http  *http.Client
	// ColdStart is the duration of the first invocation: the emulator
	// starts the bootstrap on it, so it includes the runtime's init.
	ColdStart time.Duration
	first     sync.Once
	done      chan struct{}
}

// StartRIE starts bootstrap under aws-lambda-rie on free loopback ports with
// env (plus a Lambda-like environment) and waits until it answers.
func StartRIE(ctx context.Context, bootstrap string, env []string) (*RIE, error) {
	return startRIE(ctx, bootstrap, env, nil)
}

// startRIE is StartRIE that also copies the output to logs, when not nil.
func startRIE(ctx context.Context, bootstrap string, env []string, logs io.Writer) (*RIE, error) {
	rie, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		return nil, ErrRIENotFound
	}
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("lambda bootstrap: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := loopback + ":" + strconv.Itoa(port)
	r := &RIE{url: "http://" + addr + "/2015-03-31/functions/function/invocations", http: &http.Client{}, done: make(chan struct{})}
	r.cmd = exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", loopback+":"+strconv.Itoa(apiPort), bootstrap)
	r.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"_LAMBDA_SERVER_PORT=" + strconv.Itoa(apiPort),
	}, env...)
	var out io.Writer = &r.log
	if logs != nil {
		out = io.MultiWriter(&r.log, logs)
	}
	r.cmd.Stdout, r.cmd.Stderr = &syncWriter{mu: &r.logMu, w: out}, &syncWriter{mu: &r.logMu, w: out}
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	if err := r.waitReady(ctx); err != nil {
		_ = r.Stop()
		return nil, err
	}
	return r, nil
}

func (r *RIE) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return fmt.Errorf("aws-lambda-rie exited: %s", r.Log())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if c, err := (&http.Client{Timeout: 200 * time.Millisecond}).Get(r.url[:len(r.url)-len("/2015-03-31/functions/function/invocations")] + "/"); err == nil {
			c.Body.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("aws-lambda-rie did not listen within 10s: %s", r.Log())
}

// Invoke implements lambdahttp.Function: the emulator reports a handler error
// as HTTP 200 with errorType and no X-Amz-Function-Error header; Invoke
// restores the header the Lambda service sets.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (lambdahttp.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(payload))
	if err != nil {
		return lambdahttp.Response{}, err
	}
	began := time.Now()
	resp, err := r.http.Do(req)
	if err != nil {
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusBadGateway, Type: "ServiceException", Message: "aws-lambda-rie: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusBadGateway, Type: "ServiceException", Message: "aws-lambda-rie: " + err.Error()}
	}
	r.first.Do(func() { r.ColdStart = time.Since(began) })
	if resp.StatusCode != http.StatusOK {
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusBadGateway, Type: "ServiceException", Message: fmt.Sprintf("aws-lambda-rie answered %d: %s", resp.StatusCode, body)}
	}
	var fe struct {
		Type *string `json:"errorType"`
	}
	out := lambdahttp.Response{Payload: body}
	if json.Unmarshal(body, &fe) == nil && fe.Type != nil {
		out.FunctionError = "Unhandled"
	}
	return out, nil
}

// Log is what the function and the emulator printed.
func (r *RIE) Log() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.log.String()
}

// Stop ends the emulator and the function.
func (r *RIE) Stop() error {
	if r.cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
	return nil
}

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
