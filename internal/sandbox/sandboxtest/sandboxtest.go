// Package sandboxtest starts the sandbox's local AWS in tests.
package sandboxtest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sfprobe/sfprobe/internal/sandbox"
)

// RequireEnv names the variable that turns a missing python3 or moto from a
// skip into a failure (set it in CI).
const RequireEnv = "SFPROBE_REQUIRE_MOTO"

// AWS starts moto and the gateway for the test and closes them when it ends.
// Without python3 or moto it skips the test, unless SFPROBE_REQUIRE_MOTO is set.
func AWS(tb testing.TB, opts ...sandbox.MotoOption) *sandbox.AWS {
	tb.Helper()
	a, err := sandbox.StartSandboxAWS(context.Background(), opts...)
	Require(tb, err)
	tb.Cleanup(func() {
		if err := a.Close(); err != nil {
			tb.Errorf("close sandbox: %v", err)
		}
	})
	return a
}

// SetEnv points the test's standard AWS settings (AWS_ENDPOINT_URL, the
// region and the credentials) at a, as `sfprobe local --keep` prints them,
// so commands under test reach it with their own SDK configuration.
func SetEnv(t *testing.T, a *sandbox.AWS) {
	t.Helper()
	for _, e := range a.Env() {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
}

// Moto starts moto alone for the test and stops it when the test ends.
// Without python3 or moto it skips the test, unless SFPROBE_REQUIRE_MOTO is set.
func Moto(tb testing.TB, opts ...sandbox.MotoOption) *sandbox.Moto {
	tb.Helper()
	m, err := sandbox.StartMoto(context.Background(), opts...)
	Require(tb, err)
	tb.Cleanup(func() {
		if err := m.Stop(); err != nil {
			tb.Errorf("stop moto: %v", err)
		}
	})
	return m
}

// Require checks the error of starting moto: it skips the test when python3
// or moto is missing (unless SFPROBE_REQUIRE_MOTO is set) and fails it on
// any other error.
func Require(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, sandbox.ErrPythonNotFound) || errors.Is(err, sandbox.ErrMotoNotInstalled) {
		if os.Getenv(RequireEnv) == "" {
			tb.Skipf("local AWS unavailable (set %s=1 to fail instead): %v", RequireEnv, err)
		}
	}
	tb.Fatalf("start local AWS: %v", err)
}
