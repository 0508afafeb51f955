package sandbox

import (
	"fmt"
	"net"
)

// loopback is the only address the sandbox listens on.
const loopback = "127.0.0.1"

// listenLoopback listens on a free loopback port chosen by the kernel.
func listenLoopback() (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return nil, fmt.Errorf("listen on a free loopback port: %w", err)
	}
	return ln, nil
}

// freePort returns a loopback port that was free a moment ago, for a child
// process that binds its own socket. Another process may take it before the
// child binds it: callers retry when the child reports the address in use.
func freePort() (int, error) {
	ln, err := listenLoopback()
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
