// Package sandbox runs sfprobe against a local AWS: moto (a Python AWS
// emulator) behind a gateway that answers Lambda invocations with Go code,
// so the real Step Functions workflow runs without an AWS account.
//
// Every child process ends when its owner is closed, when the context it was
// started with is cancelled, and when the Go process dies (the launcher exits
// as soon as its stdin, held open by this process, reaches EOF). Callers
// should still defer Close/Stop right after a successful start.
package sandbox

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed launcher.py
var launcherPy []byte

var (
	// ErrPythonNotFound means no python3 interpreter is on PATH.
	ErrPythonNotFound = errors.New("python3 not found: install Python 3 and then `pip install 'moto[server]'`")
	// ErrMotoNotInstalled means python3 cannot import moto's server.
	ErrMotoNotInstalled = errors.New("moto is not installed: run `pip install 'moto[server]'`")

	errAddrInUse = errors.New("address already in use")
)

// launcherMissingModule is the launcher's exit status when moto does not import.
const launcherMissingModule = 3

// enableExecution makes moto run state machine definitions instead of
// pretending every execution succeeds at once.
const enableExecution = `{"stepfunctions": {"execute_state_machine": true}}`

// MotoOption tunes StartMoto.
type MotoOption func(*motoOptions)

type motoOptions struct {
	python       string
	lambdaPort   int
	startTimeout time.Duration
	logFile      string
}

// WithPython runs moto with the given interpreter (a path or a name on PATH)
// instead of python3.
func WithPython(python string) MotoOption {
	return func(o *motoOptions) { o.python = python }
}

// WithLambdaPort sets MOTO_PORT in moto's environment: moto's Step Functions
// engine (and every other moto service that calls AWS) sends its requests to
// http://localhost:port. The default is moto's own port.
func WithLambdaPort(port int) MotoOption {
	return func(o *motoOptions) { o.lambdaPort = port }
}

// WithStartTimeout bounds the wait for moto to answer (default 30 s).
func WithStartTimeout(d time.Duration) MotoOption {
	return func(o *motoOptions) { o.startTimeout = d }
}

// WithLogFile writes moto's output to path (appending) and keeps it after
// Stop. By default the log lives in a temporary directory Stop removes.
func WithLogFile(path string) MotoOption {
	return func(o *motoOptions) { o.logFile = path }
}

// Moto is a running moto server.
type Moto struct {
	url     string
	dir     string
	logPath string
	log     *os.File
	logFrom int64 // where the current process's output starts in log
	http    *http.Client

	cmd     *exec.Cmd
	stdin   *os.File      // the write end of the launcher's stdin
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result, readable after exited

	unwatch  func() bool // releases the context watch
	stopOnce sync.Once
	stopErr  error
}

// StartMoto starts moto on a free loopback port, waits until it answers and
// enables its Step Functions engine. moto runs until Stop is called or ctx is
// cancelled, whichever comes first; defer Stop.
func StartMoto(ctx context.Context, opts ...MotoOption) (*Moto, error) {
	o := motoOptions{python: "python3", startTimeout: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	python, err := exec.LookPath(o.python)
	if err != nil {
		if o.python == "python3" {
			return nil, ErrPythonNotFound
		}
		return nil, fmt.Errorf("look up %s: %w", o.python, ErrPythonNotFound)
	}
	dir, err := os.MkdirTemp("", "sfprobe-moto-")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m, err := startMoto(ctx, python, dir, o)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	m.unwatch = context.AfterFunc(ctx, func() { _ = m.Stop() })
	return m, nil
}

func startMoto(ctx context.Context, python, dir string, o motoOptions) (*Moto, error) {
	launcher := filepath.Join(dir, "launcher.py")
	if err := os.WriteFile(launcher, launcherPy, 0o600); err != nil {
		return nil, fmt.Errorf("write moto launcher: %w", err)
	}
	logPath := o.logFile
	if logPath == "" {
		logPath = filepath.Join(dir, "moto.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open moto log: %w", err)
	}
	m := &Moto{
		dir:     dir,
		logPath: logPath,
		log:     logFile,
		http:    &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second},
	}
	// The port is picked free but bound by moto later; retry if taken meanwhile.
	for attempt := 1; ; attempt++ {
		err = m.launch(ctx, python, launcher, o)
		if err == nil || !errors.Is(err, errAddrInUse) || attempt == 3 {
			break
		}
	}
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	return m, nil
}

// launch starts one moto process and waits until it is configured.
func (m *Moto) launch(ctx context.Context, python, launcher string, o motoOptions) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("start moto: %w", err)
	}
	lambdaPort := o.lambdaPort
	if lambdaPort == 0 {
		lambdaPort = port
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start moto: %w", err)
	}
	cmd := exec.Command(python, launcher, "-H", loopback, "-p", strconv.Itoa(port))
	cmd.Dir = filepath.Dir(launcher)
	cmd.Env = append(motoEnv(os.Environ(), lambdaPort), "SFPROBE_CLEANUP_DIR="+m.dir)
	cmd.Stdin = stdinR
	cmd.Stdout = m.log
	cmd.Stderr = m.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if fi, err := m.log.Stat(); err == nil {
		m.logFrom = fi.Size()
	}
	_, _ = fmt.Fprintf(m.log, "sfprobe: starting moto on %s:%d (MOTO_PORT=%d)\n", loopback, port, lambdaPort)
	err = cmd.Start()
	_ = stdinR.Close()
	if err != nil {
		_ = stdinW.Close()
		return fmt.Errorf("start moto with %s: %w", python, err)
	}
	m.url = "http://" + loopback + ":" + strconv.Itoa(port)
	m.cmd, m.stdin, m.exited = cmd, stdinW, make(chan struct{})
	go func() {
		m.waitErr = cmd.Wait()
		close(m.exited)
	}()

	started := time.Now()
	if err := m.waitReady(ctx, o.startTimeout); err != nil {
		m.terminate()
		return err
	}
	if err := m.configure(ctx); err != nil {
		m.terminate()
		return err
	}
	_, _ = fmt.Fprintf(m.log, "sfprobe: moto ready after %s\n", time.Since(started).Round(time.Millisecond))
	return nil
}

// motoEnv is the parent's environment without its AWS settings (a missing
// AWS_PROFILE would break moto's internal boto3 clients) plus moto's own.
func motoEnv(parent []string, lambdaPort int) []string {
	env := make([]string, 0, len(parent)+8)
	noProxy := "localhost,127.0.0.1"
	for _, kv := range parent {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), k == "MOTO_PORT", k == "PYTHONUNBUFFERED":
			continue
		case k == "NO_PROXY" || k == "no_proxy":
			if v != "" {
				noProxy += "," + v
			}
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"MOTO_PORT="+strconv.Itoa(lambdaPort),
		"AWS_ACCESS_KEY_ID="+AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+SecretAccessKey,
		"AWS_DEFAULT_REGION="+Region,
		"NO_PROXY="+noProxy,
		"no_proxy="+noProxy,
		"PYTHONUNBUFFERED=1",
		"SFPROBE_EXIT_ON_STDIN_EOF=1",
	)
}

// waitReady polls GET /moto-api/ until moto answers.
func (m *Moto) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.exited:
			return m.exitError()
		case <-ctx.Done():
			return fmt.Errorf("start moto: %w", ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("moto did not answer at %s within %s; log %s ends with:\n%s",
				m.url, timeout, m.logPath, m.logTail())
		case <-tick.C:
			if m.ready(ctx) {
				return nil
			}
		}
	}
}

func (m *Moto) ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/moto-api/", nil)
	if err != nil {
		return false
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// exitError explains why moto exited during start-up.
func (m *Moto) exitError() error {
	tail := m.logTail()
	var exit *exec.ExitError
	switch {
	case errors.As(m.waitErr, &exit) && exit.ExitCode() == launcherMissingModule:
		reason := strings.TrimPrefix(lastLine(tail), "sfprobe launcher: cannot import moto: ")
		return fmt.Errorf("start moto with %s: %s: %w", m.cmd.Path, reason, ErrMotoNotInstalled)
	case strings.Contains(tail, "Address already in use"):
		return fmt.Errorf("start moto on %s: %w", m.url, errAddrInUse)
	}
	return fmt.Errorf("moto exited during start-up (%v); log %s ends with:\n%s", m.waitErr, m.logPath, tail)
}

// configure enables moto's Step Functions engine.
func (m *Moto) configure(ctx context.Context) error {
	if err := m.post(ctx, "/moto-api/config", enableExecution); err != nil {
		return fmt.Errorf("configure moto: %w", err)
	}
	return nil
}

// Reset drops every resource moto holds and enables its Step Functions
// engine again.
func (m *Moto) Reset(ctx context.Context) error {
	if err := m.post(ctx, "/moto-api/reset", ""); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	return m.configure(ctx)
}

func (m *Moto) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// URL is moto's own endpoint (http://127.0.0.1:port).
func (m *Moto) URL() string { return m.url }

// LogPath is the file moto writes its output to; Stop removes it unless it
// was set with WithLogFile.
func (m *Moto) LogPath() string { return m.logPath }

// Stop ends moto's process group, waits for it and removes the temporary
// files. It is safe to call more than once and concurrently.
func (m *Moto) Stop() error {
	m.stopOnce.Do(func() {
		if m.unwatch != nil {
			m.unwatch()
		}
		m.terminate()
		m.http.CloseIdleConnections()
		errs := []error{m.log.Close()}
		if err := os.RemoveAll(m.dir); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			m.stopErr = fmt.Errorf("stop moto: %w", err)
		}
	})
	return m.stopErr
}

// terminate ends the process group of the current process and waits for it.
// moto keeps nothing worth a graceful exit: the launcher leaves at once when
// its stdin closes, and SIGKILL ends the group if it has not within a second.
func (m *Moto) terminate() {
	_ = m.stdin.Close()
	select {
	case <-m.exited:
	case <-time.After(time.Second):
	}
	// Also ends whatever the leader left behind in its group.
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.exited
}

// logTail returns the last lines of moto's log.
func (m *Moto) logTail() string {
	const maxTail = 4 << 10
	f, err := os.Open(m.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		_, _ = f.Seek(max(m.logFrom, fi.Size()-maxTail), io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
