package sandbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/sandbox"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
)

func TestStartMotoWithoutPython(t *testing.T) {
	_, err := sandbox.StartMoto(context.Background(), sandbox.WithPython("sfprobe-no-such-python"))

	require.ErrorIs(t, err, sandbox.ErrPythonNotFound)
	assert.ErrorContains(t, err, "pip install 'moto[server]'")
}

func TestStartMotoWithoutMoto(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		sandboxtest.Require(t, sandbox.ErrPythonNotFound)
	}
	// python3 without site-packages cannot import moto.
	python := fakePython(t, "#!/bin/sh\nexec python3 -I -S \"$@\"\n")

	_, err := sandbox.StartMoto(context.Background(), sandbox.WithPython(python))

	require.ErrorIs(t, err, sandbox.ErrMotoNotInstalled)
	assert.ErrorContains(t, err, "No module named 'moto'")
}

func TestStartMotoWhenItDies(t *testing.T) {
	python := fakePython(t, "#!/bin/sh\necho 'something broke' >&2\nexit 1\n")

	_, err := sandbox.StartMoto(context.Background(), sandbox.WithPython(python))

	require.Error(t, err)
	assert.ErrorContains(t, err, "moto exited during start-up")
	assert.ErrorContains(t, err, "something broke")
}

func TestStartMotoTimeout(t *testing.T) {
	python := fakePython(t, "#!/bin/sh\nexec /bin/sleep 60\n")
	start := time.Now()

	_, err := sandbox.StartMoto(context.Background(), sandbox.WithPython(python),
		sandbox.WithStartTimeout(300*time.Millisecond))

	require.Error(t, err)
	assert.ErrorContains(t, err, "did not answer")
	assert.Less(t, time.Since(start), 5*time.Second, "the sleeping child was not killed")
}

// fakePython writes an executable script standing in for python3.
func fakePython(t *testing.T, script string) string {
	t.Helper()
	path := t.TempDir() + "/python"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700))
	return path
}

func TestMotoStopsWhenContextIsCancelled(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	moto, err := sandbox.StartMoto(ctx)
	sandboxtest.Require(t, err)
	require.True(t, answers(moto.URL()))

	cancel()

	require.Eventually(t, func() bool { return !processExists(moto.PID()) }, 5*time.Second, 20*time.Millisecond)
	assert.NoDirExists(t, moto.Dir())
	assert.NoError(t, moto.Stop(), "Stop after cancel")
	assert.NoError(t, moto.Stop(), "Stop twice")
	assertGoroutinesBack(t, before)
}

func TestMotoReset(t *testing.T) {
	t.Parallel()
	moto := sandboxtest.Moto(t)

	require.NoError(t, moto.Reset(context.Background()))

	assert.True(t, answers(moto.URL()))
}

// TestMotoStopsWhenParentDies kills a process that started moto and checks
// moto goes too.
func TestMotoStopsWhenParentDies(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMotoParent$")
	cmd.Env = append(os.Environ(), "SFPROBE_HELPER_MOTO_PARENT=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url, err := readURL(bufio.NewScanner(out))
	sandboxtest.Require(t, err)
	require.True(t, answers(url))

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	assert.Eventually(t, func() bool { return !answers(url) }, 5*time.Second, 20*time.Millisecond,
		"moto still answers after its parent died")
}

// readURL reads moto's URL, or the sentinel error it failed with, from the helper.
func readURL(sc *bufio.Scanner) (string, error) {
	for sc.Scan() {
		line := sc.Text()
		if url, ok := strings.CutPrefix(line, "MOTO_URL="); ok {
			return url, nil
		}
		if msg, ok := strings.CutPrefix(line, "MOTO_ERR="); ok {
			for _, sentinel := range []error{sandbox.ErrPythonNotFound, sandbox.ErrMotoNotInstalled} {
				if msg == sentinel.Error() {
					return "", fmt.Errorf("helper: %w", sentinel)
				}
			}
			return "", errors.New("helper: " + msg)
		}
	}
	return "", fmt.Errorf("helper printed no MOTO_URL: %v", sc.Err())
}

// TestHelperMotoParent is the process TestMotoStopsWhenParentDies kills.
func TestHelperMotoParent(t *testing.T) {
	if os.Getenv("SFPROBE_HELPER_MOTO_PARENT") != "1" {
		t.Skip("helper process")
	}
	moto, err := sandbox.StartMoto(context.Background())
	switch {
	case errors.Is(err, sandbox.ErrPythonNotFound):
		fmt.Printf("MOTO_ERR=%s\n", sandbox.ErrPythonNotFound)
	case errors.Is(err, sandbox.ErrMotoNotInstalled):
		fmt.Printf("MOTO_ERR=%s\n", sandbox.ErrMotoNotInstalled)
	case err != nil:
		fmt.Printf("MOTO_ERR=%s\n", strings.ReplaceAll(err.Error(), "\n", " | "))
	default:
		fmt.Printf("MOTO_URL=%s\n", moto.URL())
	}
	time.Sleep(time.Minute)
}

func answers(url string) bool {
	c := http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url + "/moto-api/")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// assertGoroutinesBack waits for the goroutine count to fall back to before.
func assertGoroutinesBack(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
