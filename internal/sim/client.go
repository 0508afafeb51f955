package sim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// sfClient is salesforce.py's Salesforce class: built per invocation from
// the secret and the environment, with the lazy OAuth refresh of
// makeRequest.
type sfClient struct {
	f         *Function
	fs        faultSet
	op        string // the operation being run, for tracebacks
	arn       string
	secret    *dict
	authToken any
	password  string
	version   string
	host      string
	username  string
	loginHost string
	authData  url.Values
}

// errInvalidAuthToken is salesforce.py's InvalidAuthTokenException(""),
// raised on HTTP 401.
var errInvalidAuthToken = &exception{Type: "InvalidAuthTokenException"}

const missingEnv = "'%s' enviroment variable is missing"

// getArg is sf_util.get_arg: the message is never formatted (and the typo
// is upstream's).
func (f *Function) getArg(name string) (string, error) {
	v, ok := f.env[name]
	if !ok {
		return "", &exception{Type: "Exception", Message: missingEnv}
	}
	return v, nil
}

// newClient is Salesforce.__init__: ARN, secret, then the other variables.
func (f *Function) newClient(ctx context.Context, fs faultSet) (*sfClient, error) {
	c := &sfClient{f: f, fs: fs}
	var err error
	if c.arn, err = f.getArg("SF_CREDENTIALS_SECRETS_MANAGER_ARN"); err != nil {
		return nil, withTrace(err, initFrames)
	}
	if err := c.loadCredentials(ctx); err != nil {
		return nil, withTrace(err, loadCredentialsFrames)
	}
	if c.version, err = f.getArg("SF_VERSION"); err != nil {
		return nil, withTrace(err, initFrames)
	}
	if c.host, err = f.getArg("SF_HOST"); err != nil {
		return nil, withTrace(err, initFrames)
	}
	if c.username, err = f.getArg("SF_USERNAME"); err != nil {
		return nil, withTrace(err, initFrames)
	}
	c.loginHost = c.host
	c.authData = url.Values{
		"grant_type":    {"password"},
		"client_id":     {pyStr(c.secret.vals["ConsumerKey"])},
		"client_secret": {pyStr(c.secret.vals["ConsumerSecret"])},
		"username":      {c.username},
		"password":      {c.password},
	}
	production, err := f.getArg("SF_PRODUCTION")
	if err != nil {
		return nil, withTrace(err, initFrames)
	}
	if strings.ToLower(production) == "true" {
		c.loginHost = "https://login.salesforce.com"
	}
	return c, nil
}

// loadCredentials is __load_credentials: json.loads of the SecretString,
// then Password, AccessToken, ConsumerKey and ConsumerSecret are required,
// AuthToken is optional. A secret that is not JSON raises JSONDecodeError;
// JSON that is not an object raises the TypeError of subscripting it
// ("list indices must be integers or slices, not str" for a list).
func (c *sfClient) loadCredentials(ctx context.Context) error {
	if c.arn == "" {
		// botocore validates the request before sending it.
		return raise("ParamValidationError", "Parameter validation failed:\nInvalid length for parameter SecretId, value: 0, valid min length: 1")
	}
	out, err := c.f.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.arn)})
	if err != nil {
		return botoError(ctx, "GetSecretValue", err)
	}
	if out.SecretString == nil {
		return keyError("SecretString")
	}
	v, err := decodeJSON([]byte(*out.SecretString))
	if err != nil {
		return raise("JSONDecodeError", "%s", err.Error())
	}
	for _, k := range []string{"Password", "AccessToken"} {
		if _, err := subscript(v, k); err != nil {
			return err
		}
	}
	secret := v.(*dict)
	if c.password, err = concat(secret.vals["Password"], secret.vals["AccessToken"]); err != nil {
		return err
	}
	for _, k := range []string{"ConsumerKey", "ConsumerSecret"} {
		if !secret.has(k) {
			return keyError(k)
		}
	}
	c.secret = secret
	c.authToken = ""
	if tok, ok := secret.get("AuthToken"); ok {
		c.authToken = tok
	}
	return nil
}

// concat is Python's a + b for the password and security token.
func concat(a, b any) (string, error) {
	as, aok := a.(string)
	bs, bok := b.(string)
	switch {
	case aok && bok:
		return as + bs, nil
	case aok:
		return "", raise("TypeError", "can only concatenate str (not \"%s\") to str", pyTypeName(b))
	}
	return "", raise("TypeError", "unsupported operand type(s) for +: '%s' and '%s'", pyTypeName(a), pyTypeName(b))
}

// modeledErrors are the Secrets Manager error codes botocore raises as
// their own exception classes; any other code is a plain ClientError.
var modeledErrors = map[string]bool{
	"DecryptionFailure": true, "EncryptionFailure": true, "InternalServiceError": true, "InvalidNextTokenException": true,
	"InvalidParameterException": true, "InvalidRequestException": true, "LimitExceededException": true,
	"MalformedPolicyDocumentException": true, "PreconditionNotMetException": true, "PublicPolicyException": true,
	"ResourceExistsException": true, "ResourceNotFoundException": true,
}

// botoError turns a Secrets Manager error into the exception boto3 raises.
// A done ctx is returned as is: the invocation has timed out.
func botoError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		typ := "ClientError"
		if modeledErrors[apiErr.ErrorCode()] {
			typ = apiErr.ErrorCode()
		}
		return raise(typ, "An error occurred (%s) when calling the %s operation: %s", apiErr.ErrorCode(), op, apiErr.ErrorMessage())
	}
	return raise("EndpointConnectionError", "Could not connect to the endpoint URL: %s", err.Error())
}

func (c *sfClient) dataPath(resource string) string {
	return restPrefix + c.version + "/" + resource
}

// makeRequest sends a REST request with the cached token; on HTTP 401 it
// fetches a new token, stores it in the secret and retries once.
// sfMethod names the salesforce.py method making the request (for the
// traceback of its errors).
func (c *sfClient) makeRequest(ctx context.Context, sfMethod, method, resource string, params url.Values, body []byte) (sfResponse, error) {
	resp, err := c.makeRequestOnce(ctx, method, resource, params, body)
	return resp, withTrace(err, requestFrames(c.op, sfMethod, verbs[method]))
}

// verbs are the Request methods (and requests functions) by HTTP method.
var verbs = map[string]string{http.MethodGet: "get", http.MethodPost: "post", http.MethodPatch: "patch", http.MethodDelete: "delete"}

func (c *sfClient) makeRequestOnce(ctx context.Context, method, resource string, params url.Values, body []byte) (sfResponse, error) {
	path := c.dataPath(resource)
	resp, err := c.send(ctx, method, c.host, path, params, pyStr(c.authToken), body)
	if !errors.Is(err, errInvalidAuthToken) {
		return resp, err
	}
	if c.fs.has(LoginHostUnreachable) {
		return sfResponse{}, c.tokenHostUnreachable()
	}
	tok, err := c.send(ctx, http.MethodPost, c.loginHost, tokenPath, c.authData, "", []byte("null"))
	if err != nil {
		return sfResponse{}, err
	}
	data, err := decodeJSON(tok.body)
	if err != nil {
		return sfResponse{}, raise("JSONDecodeError", "%s", err.Error())
	}
	token, err := subscript(data, "access_token")
	if err != nil {
		return sfResponse{}, err
	}
	c.authToken = token
	c.secret.set("AuthToken", token)
	_, err = c.f.secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(c.arn),
		SecretString: aws.String(string(pyDumps(c.secret))),
	})
	var apiErr smithy.APIError
	if err != nil && !(errors.As(err, &apiErr) && apiErr.ErrorCode() == "LimitExceededException") {
		return sfResponse{}, botoError(ctx, "PutSecretValue", err)
	}
	return c.send(ctx, method, c.host, path, params, pyStr(c.authToken), body)
}

// authParams is the order of salesforce.py's auth_data dict, which
// requests' urlencode keeps in the token URL.
var authParams = []string{"grant_type", "client_id", "client_secret", "username", "password"}

// tokenHostUnreachable is the ConnectionError requests raises when the token
// host cannot be resolved: urllib3 puts the request's URL, the credentials
// in its query string as sfInvokeAPI sends them, into the message.
func (c *sfClient) tokenHostUnreachable() error {
	host := c.loginHost
	if u, err := url.Parse(c.loginHost); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	var q strings.Builder
	for i, k := range authParams {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(c.authData.Get(k)))
	}
	return &exception{
		Type: "ConnectionError",
		Message: "HTTPSConnectionPool(host='" + host + "', port=443): Max retries exceeded with url: " + tokenPath + "?" + q.String() +
			" (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f3a2c1b2d50>: Failed to resolve '" + host +
			"' ([Errno -2] Name or service not known)\"))",
		trace: []string{
			"  File \"/var/task/salesforce.py\", line 206, in makeRequest\n    resp = self.request.post(url=self.login_host+\"/services/oauth2/token\", params=self.auth_data, headers=headers, hideData=True)\n",
			"  File \"/opt/python/requests/adapters.py\", line 700, in send\n    raise ConnectionError(e, request=request)\n",
		},
	}
}

// send is one requests call plus __check_resp__.
func (c *sfClient) send(ctx context.Context, method, host, path string, params url.Values, bearer string, body []byte) (sfResponse, error) {
	if err := ctx.Err(); err != nil {
		return sfResponse{}, err
	}
	if err := prepareURL(host + path); err != nil {
		return sfResponse{}, err
	}
	resp := c.f.roundTrip(sfRequest{method: method, host: host, path: path, query: params, bearer: bearer, body: body}, c.fs)
	return checkResponse(resp)
}

// roundTrip delivers a request to the org at an https My Domain host.
// A login host (or a non-https URL) is not the org's instance: REST calls
// there fail with URL_NOT_RESET, as in issues #4 and #12.
func (f *Function) roundTrip(req sfRequest, fs faultSet) sfResponse {
	u, err := url.Parse(req.host)
	loginHost := err == nil && (strings.EqualFold(u.Hostname(), "login.salesforce.com") || strings.EqualFold(u.Hostname(), "test.salesforce.com"))
	if err != nil || u.Scheme != "https" || u.Host == "" || (loginHost && req.path != tokenPath) {
		return errorResponse(badRequest("URL_NOT_RESET", "Destination URL not reset. The URL returned from login must be set"))
	}
	req.host = u.Scheme + "://" + u.Host
	req.path = "/" + strings.TrimLeft(strings.TrimSuffix(u.Path, "/")+req.path, "/")
	return f.org.serve(req, fs)
}

// checkResponse is salesforce.py's __check_resp__.
func checkResponse(resp sfResponse) (sfResponse, error) {
	if resp.status/100 == 2 {
		return resp, nil
	}
	if resp.status == http.StatusUnauthorized {
		return resp, errInvalidAuthToken
	}
	data, err := decodeJSON(resp.body)
	if err != nil {
		return resp, raise("JSONDecodeError", "%s", err.Error())
	}
	isOAuth, err := contains(data, "error")
	if err != nil {
		return resp, err
	}
	if isOAuth {
		code, err := subscript(data, "error")
		if err != nil {
			return resp, err
		}
		desc, err := subscript(data, "error_description")
		if err != nil {
			return resp, err
		}
		return resp, raise("Exception", "%s: %s", pyStr(code), pyStr(desc))
	}
	if list, ok := data.([]any); ok {
		for _, e := range list {
			hasMsg, err := contains(e, "message")
			if err != nil {
				return resp, err
			}
			if !hasMsg {
				continue
			}
			code, err := subscript(e, "errorCode")
			if err != nil {
				return resp, err
			}
			msg, err := subscript(e, "message")
			if err != nil {
				return resp, err
			}
			return resp, raise("Exception", "%s: %s", pyStr(code), pyStr(msg))
		}
	}
	return resp, raise("Exception", "request returned status code: %d", resp.status)
}

// jsonBody is resp.json().
func jsonBody(resp sfResponse) (any, error) {
	v, err := decodeJSON(resp.body)
	if err != nil {
		return nil, raise("JSONDecodeError", "%s", err.Error())
	}
	return v, nil
}

// records reads data[key] and, when strip, deletes each record's
// top-level attributes.
func records(data any, key string, strip bool) ([]any, error) {
	v, err := subscript(data, key)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, raise("TypeError", "'%s' object is not iterable", pyTypeName(v))
	}
	if strip {
		for _, r := range list {
			rec, ok := r.(*dict)
			if !ok {
				return nil, raise("TypeError", "'%s' object does not support item deletion", pyTypeName(r))
			}
			if !rec.del("attributes") {
				return nil, keyError("attributes")
			}
		}
	}
	return list, nil
}

// query is Salesforce.query: GET query?q=… (first page only).
func (c *sfClient) query(ctx context.Context, q string) ([]any, error) {
	resp, err := c.makeRequest(ctx, "query", http.MethodGet, "query", url.Values{"q": {q}}, nil)
	if err != nil {
		return nil, err
	}
	data, err := jsonBody(resp)
	if err != nil {
		return nil, err
	}
	return records(data, "records", true)
}

// search is Salesforce.search: GET search?q=… (attributes kept).
func (c *sfClient) search(ctx context.Context, q string) ([]any, error) {
	resp, err := c.makeRequest(ctx, "search", http.MethodGet, "search", url.Values{"q": {q}}, nil)
	if err != nil {
		return nil, err
	}
	data, err := jsonBody(resp)
	if err != nil {
		return nil, err
	}
	return records(data, "searchRecords", false)
}

// parameterizedSearch is Salesforce.parameterizedSearch.
func (c *sfClient) parameterizedSearch(ctx context.Context, data *dict) ([]any, error) {
	resp, err := c.makeRequest(ctx, "parameterizedSearch", http.MethodPost, "parameterizedSearch", nil, pyDumps(data))
	if err != nil {
		return nil, err
	}
	body, err := jsonBody(resp)
	if err != nil {
		return nil, err
	}
	return records(body, "searchRecords", true)
}

// idOf reads resp.json()['id'].
func idOf(resp sfResponse) (any, error) {
	data, err := jsonBody(resp)
	if err != nil {
		return nil, err
	}
	return subscript(data, "id")
}

func (c *sfClient) create(ctx context.Context, sobject string, data *dict) (any, error) {
	resp, err := c.makeRequest(ctx, "create", http.MethodPost, "sobjects/"+sobject, nil, pyDumps(data))
	if err != nil {
		return nil, err
	}
	return idOf(resp)
}

func (c *sfClient) update(ctx context.Context, sobject, id string, data *dict) (int, error) {
	resp, err := c.makeRequest(ctx, "update", http.MethodPatch, "sobjects/"+sobject+"/"+id, nil, pyDumps(data))
	if err != nil {
		return 0, err
	}
	return resp.status, nil
}

func (c *sfClient) delete(ctx context.Context, sobject, id string) error {
	_, err := c.makeRequest(ctx, "delete", http.MethodDelete, "sobjects/"+sobject+"/"+id, nil, nil)
	return err
}

func (c *sfClient) post(ctx context.Context, sfMethod, resource string, data *dict) (any, error) {
	resp, err := c.makeRequest(ctx, sfMethod, http.MethodPost, resource, nil, pyDumps(data))
	if err != nil {
		return nil, err
	}
	return idOf(resp)
}
