package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// The sandbox's fixed identity: moto accepts any credentials and puts every
// resource in its default account.
const (
	Region          = "us-east-1"
	AccountID       = "123456789012"
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
)

// Gateway is the sandbox's single AWS endpoint: it answers Lambda
// invocations of the functions registered in its router, STS AssumeRole's
// trust decision (sts.go) and reverse-proxies every other request to moto
// unchanged.
type Gateway struct {
	router    *lambdahttp.Router
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	srv       *http.Server
	accounts  *accounts
	sts       *stsStandIn

	mu        sync.Mutex
	url       string
	intercept Interceptor
	connect   http.Handler
	serving   sync.WaitGroup
}

// Interceptor may answer a request itself, with an AWS API error, before it
// reaches a function or moto: the sandbox injects AWS-side faults with it
// (moto enforces no IAM policy). It returns nil to let the request pass.
type Interceptor func(r *http.Request) *lambdahttp.APIError

// Intercept installs fn (nil removes it).
func (g *Gateway) Intercept(fn Interceptor) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.intercept = fn
}

// ServeConnect makes h answer the Amazon Connect API (nil removes it):
// moto has no contact flows.
func (g *Gateway) ServeConnect(h http.Handler) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.connect = h
}

// NewGateway returns a gateway in front of the moto server at motoURL.
func NewGateway(motoURL string, router *lambdahttp.Router) *Gateway {
	g := &Gateway{
		router: router,
		// A transport of its own, so Close can drop its idle connections.
		transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	g.accounts = newAccounts()
	g.sts = &stsStandIn{motoURL: motoURL, client: &http.Client{Transport: g.transport, Timeout: 30 * time.Second}, accounts: g.accounts}
	target, err := url.Parse(motoURL)
	g.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			if err != nil {
				return // ErrorHandler reports it
			}
			r.SetURL(target)
			// Keep the Host the client signed and sees: moto dispatches on
			// the SigV4 credential scope and builds URLs (queue URLs, …)
			// from Host, which then lead back through the gateway.
			r.Out.Host = r.In.Host
		},
		Transport: g.transport,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, perr error) {
			if err != nil {
				perr = fmt.Errorf("bad moto URL %q: %w", motoURL, err)
			}
			lambdahttp.WriteAPIError(w, &lambdahttp.APIError{Status: http.StatusBadGateway,
				Type: "ServiceUnavailableException", Message: "sandbox gateway: moto: " + perr.Error()})
		},
	}
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	return g
}

// ServeHTTP answers invocations of registered functions with the router and
// proxies the rest to moto.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	intercept, connect := g.intercept, g.connect
	g.mu.Unlock()
	if intercept != nil {
		if e := intercept(r); e != nil {
			lambdahttp.WriteAPIError(w, e)
			return
		}
	}
	if g.sts.serve(w, r) {
		return
	}
	if connect != nil && connectPath(r.URL.Path) {
		if e := g.foreign(r, connectInstanceOf(r.URL.Path), "connect:"+connectAction(r.URL.Path), "instance "+connectInstanceOf(r.URL.Path)); e != nil {
			lambdahttp.WriteAPIError(w, e)
			return
		}
		connect.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodPost {
		if fn, ok := g.router.Lookup(r.URL.Path); ok {
			name, _ := lambdahttp.FunctionName(r.URL.Path)
			if e := g.foreign(r, name, "lambda:InvokeFunction", name); e != nil {
				lambdahttp.WriteAPIError(w, e)
				return
			}
			lambdahttp.Serve(w, r, fn)
			return
		}
	}
	g.proxy.ServeHTTP(w, r)
}

// Start serves on ln in the background until Close.
func (g *Gateway) Start(ln net.Listener) {
	g.setURL(ln)
	g.serving.Add(1)
	go func() {
		defer g.serving.Done()
		_ = g.Serve(ln)
	}()
}

// Serve serves on ln until Close; it returns nil after Close.
func (g *Gateway) Serve(ln net.Listener) error {
	g.setURL(ln)
	if err := g.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox gateway: %w", err)
	}
	return nil
}

func (g *Gateway) setURL(ln net.Listener) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.url = "http://" + ln.Addr().String()
}

// URL is the gateway's endpoint once it serves (http://127.0.0.1:port).
func (g *Gateway) URL() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.url
}

// Close stops serving, closes the listener and every connection, and waits
// for a Start-ed server to return. Invocations in flight see their request
// context cancelled.
func (g *Gateway) Close() error {
	err := g.srv.Close()
	g.serving.Wait()
	g.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("close sandbox gateway: %w", err)
	}
	return nil
}

// AWS is a local AWS for sfprobe: moto plus the gateway in front of it.
// Point every SDK client at Endpoint: Lambda invocations of the functions
// registered in Router reach Go code, everything else reaches moto, and
// moto's Step Functions engine calls Lambda through the same gateway.
type AWS struct {
	moto    *Moto
	gateway *Gateway
	router  *lambdahttp.Router

	unwatch   func() bool
	closeOnce sync.Once
	closeErr  error
}

// StartSandboxAWS starts moto and the gateway. Both run until Close is called
// or ctx is cancelled, whichever comes first; defer Close.
func StartSandboxAWS(ctx context.Context, opts ...MotoOption) (*AWS, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("start sandbox gateway: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	m, err := StartMoto(ctx, append(opts[:len(opts):len(opts)], WithLambdaPort(port))...)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	a := &AWS{moto: m, router: lambdahttp.NewRouter()}
	a.gateway = NewGateway(m.URL(), a.router)
	a.gateway.Start(ln)
	a.unwatch = context.AfterFunc(ctx, func() { _ = a.Close() })
	return a, nil
}

// Endpoint is the URL every SDK client of the sandbox uses.
func (a *AWS) Endpoint() string { return a.gateway.URL() }

// Router holds the Go functions the gateway answers Lambda invocations with;
// register them by bare function name.
func (a *AWS) Router() *lambdahttp.Router { return a.router }

// Moto is the moto server behind the gateway (for Reset and its log).
func (a *AWS) Moto() *Moto { return a.moto }

// Gateway is the sandbox's endpoint, for installing an Interceptor.
func (a *AWS) Gateway() *Gateway { return a.gateway }

// FunctionARN is the ARN moto and Step Functions definitions use for a
// function served by Router.
func (a *AWS) FunctionARN(name string) string {
	return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + name
}

// Env is the environment a child process (or the AWS CLI) needs to use the
// sandbox.
func (a *AWS) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + a.Endpoint(),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
	}
}

// Config is an SDK configuration for the sandbox: its endpoint, region and
// credentials, whatever the environment says.
func (a *AWS) Config(ctx context.Context) (aws.Config, error) {
	return awsconf.Load(ctx,
		awsconf.WithRegion(Region),
		awsconf.WithEndpoint(a.Endpoint()),
		awsconf.WithStaticCredentials(AccessKeyID, SecretAccessKey),
		awsconf.Isolated())
}

// Close stops the gateway and moto. It is safe to call more than once.
func (a *AWS) Close() error {
	a.closeOnce.Do(func() {
		if a.unwatch != nil {
			a.unwatch()
		}
		a.closeErr = errors.Join(a.gateway.Close(), a.moto.Stop())
	})
	return a.closeErr
}
