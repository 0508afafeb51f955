package sandbox

// The sandbox's STS stand-in. moto's STS issues credentials for any
// AssumeRole, whatever the role's trust policy and ExternalId say (moto
// 5.2.1: neither is evaluated), and maps their access key to the role's
// account for every later request. The gateway therefore answers
// AssumeRole itself for the trust decision: it reads the role's trust
// policy from moto's IAM in the role's account, evaluates it for the
// caller (trust.go), answers STS's AccessDenied when it does not allow
// the call, and otherwise forwards the request to moto, so the
// credentials are moto's. It also remembers which account each access key
// it saw belongs to: the Lambda invocations and Connect calls the gateway
// answers itself are refused to a caller of another account, as AWS
// refuses them without a resource policy, so a test proves the target's
// calls were made with its role's credentials.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// DefaultPrincipalARN is the principal of the sandbox's static
// credentials, as moto's GetCallerIdentity names it: sfprobe's functions
// and the CLI run as it in the sandbox (aws:PrincipalArn in a trust policy).
const DefaultPrincipalARN = "arn:aws:iam::" + AccountID + ":user/moto"

// principal is who signed a request: its account and its IAM ARN (a role's
// ARN for an assumed-role session, as aws:PrincipalArn gives it).
type principal struct {
	Account string
	ARN     string
}

// accounts remembers the principal of each access key the gateway saw
// issued; the sandbox's static key is the default account's.
type accounts struct {
	mu     sync.Mutex
	keys   map[string]principal
	owners map[string]string // a routed function or Connect instance → its account
}

func newAccounts() *accounts {
	return &accounts{
		keys:   map[string]principal{AccessKeyID: {Account: AccountID, ARN: DefaultPrincipalARN}},
		owners: map[string]string{},
	}
}

// caller is the principal of r's signature, false for a key never seen.
func (a *accounts) caller(r *http.Request) (principal, bool) {
	key := accessKey(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.keys[key]
	return p, ok
}

func (a *accounts) learn(key string, p principal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[key] = p
}

// Own records that the routed function (bare name) or Connect instance id
// belongs to account: the gateway refuses it to callers of another
// account.
func (g *Gateway) Own(name, account string) {
	g.accounts.mu.Lock()
	defer g.accounts.mu.Unlock()
	g.accounts.owners[name] = account
}

// foreign returns the error AWS gives a caller of another account than
// name's owner (no resource policy lets it in), or nil.
func (g *Gateway) foreign(r *http.Request, name, action, resource string) *lambdahttp.APIError {
	g.accounts.mu.Lock()
	owner, owned := g.accounts.owners[name]
	g.accounts.mu.Unlock()
	p, known := g.accounts.caller(r)
	if !owned || !known || p.Account == owner {
		return nil
	}
	return &lambdahttp.APIError{Status: http.StatusForbidden, Type: "AccessDeniedException",
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", p.ARN, action, resource, action)}
}

// accessKey is the access key id of r's SigV4 signature.
func accessKey(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// signedService is the service of r's SigV4 credential scope
// (KEY/date/region/service/aws4_request).
func signedService(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(scope, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// stsStandIn answers STS AssumeRole with the trust decision moto skips.
type stsStandIn struct {
	motoURL  string
	client   *http.Client
	accounts *accounts
}

// serve handles r when it is an STS AssumeRole call; it reports whether it
// answered.
func (s *stsStandIn) serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || signedService(r) != "sts" {
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeSTSError(w, http.StatusBadRequest, "InvalidRequest", "sandbox STS: read the request: "+err.Error())
		return true
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "AssumeRole" {
		return s.forward(w, r, body, nil)
	}
	caller, known := s.accounts.caller(r)
	if !known {
		// Credentials minted outside the gateway (provisioning): moto decides.
		return s.forward(w, r, body, nil)
	}
	roleARN, externalID := form.Get("RoleArn"), form.Get("ExternalId")
	_, hasExternalID := form["ExternalId"]
	// The reason stays inside: AWS does not say which part failed.
	ok, _ := s.trusted(r.Context(), roleARN, request{Caller: caller, ExternalID: externalID, HasExternalID: hasExternalID})
	if !ok {
		writeSTSError(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, roleARN))
		return true
	}
	return s.forward(w, r, body, func(out []byte) {
		var resp struct {
			Result struct {
				Credentials struct {
					AccessKeyID string `xml:"AccessKeyId"`
				} `xml:"Credentials"`
				User struct {
					Arn string `xml:"Arn"`
				} `xml:"AssumedRoleUser"`
			} `xml:"AssumeRoleResult"`
		}
		if xml.Unmarshal(out, &resp) == nil && resp.Result.Credentials.AccessKeyID != "" {
			s.accounts.learn(resp.Result.Credentials.AccessKeyID, principal{Account: arnAccount(roleARN), ARN: roleARN})
		}
	})
}

// forward sends the request to moto and copies its answer; seen, when set,
// reads a successful answer's body.
func (s *stsStandIn) forward(w http.ResponseWriter, r *http.Request, body []byte, seen func([]byte)) bool {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimRight(s.motoURL, "/")+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		writeSTSError(w, http.StatusInternalServerError, "InternalFailure", "sandbox STS: "+err.Error())
		return true
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host
	resp, err := s.client.Do(req)
	if err != nil {
		writeSTSError(w, http.StatusBadGateway, "ServiceUnavailable", "sandbox STS: moto: "+err.Error())
		return true
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		writeSTSError(w, http.StatusBadGateway, "ServiceUnavailable", "sandbox STS: moto: "+err.Error())
		return true
	}
	if seen != nil && resp.StatusCode == http.StatusOK {
		seen(out)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
	return true
}

// trusted reads roleARN's trust policy from moto's IAM in the role's
// account and evaluates it for req. A role that does not exist is refused
// as AWS refuses it: with the same AccessDenied.
func (s *stsStandIn) trusted(ctx context.Context, roleARN string, req request) (bool, string) {
	account, name := arnAccount(roleARN), roleName(roleARN)
	if account == "" || name == "" {
		return false, "not a role ARN"
	}
	cfg := aws.Config{Region: Region, BaseEndpoint: aws.String(s.motoURL), HTTPClient: s.client,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")}
	// moto's STS issues credentials in any account: the reader's.
	reader, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/sandbox-trust-reader"), RoleSessionName: aws.String("sandbox-trust-reader")})
	if err != nil {
		return false, "read the trust policy: " + err.Error()
	}
	c := reader.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	role, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return false, "no such role: " + err.Error()
	}
	doc, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		doc = aws.ToString(role.Role.AssumeRolePolicyDocument)
	}
	return evaluateTrust(doc, req)
}

// writeSTSError answers in STS's query-protocol error XML.
func writeSTSError(w http.ResponseWriter, status int, code, msg string) {
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>`)
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</Code><Message>`)
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</Message></Error><RequestId>`)
	b.WriteString(lambdahttp.RequestID())
	b.WriteString(`</RequestId></ErrorResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// arnAccount is the account field of an ARN ("" when malformed).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// roleName is the role name of an IAM role ARN (path stripped).
func roleName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	res := parts[5]
	return res[strings.LastIndexByte(res, '/')+1:]
}
