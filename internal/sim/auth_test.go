package sim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
)

// fakeSecrets is a SecretStore whose methods are set per test; unset ones
// fall back to an in-memory store.
type fakeSecrets struct {
	mem              *MemorySecrets
	gets, puts       int
	GetSecretValueFn func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValueFn func(ctx context.Context, in *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error)
}

func (f *fakeSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.gets++
	if f.GetSecretValueFn != nil {
		return f.GetSecretValueFn(ctx, in)
	}
	return f.mem.GetSecretValue(ctx, in)
}

func (f *fakeSecrets) PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.puts++
	if f.PutSecretValueFn != nil {
		return f.PutSecretValueFn(ctx, in)
	}
	return f.mem.PutSecretValue(ctx, in)
}

func newFake(t *testing.T, opts ...Option) (*Function, *Org, *fakeSecrets, DefaultFixture) {
	t.Helper()
	org, fx := NewDefaultOrg()
	fake := &fakeSecrets{mem: NewMemorySecrets(testARN, fx.SecretString)}
	return NewFunction(org, fake, testEnv(fx), opts...), org, fake, fx
}

func phoneLookupEvent(t *testing.T) []byte {
	return render(t, events.PhoneLookup, events.Values{Phone: DefaultPhone, Fields: "Id, Name"})
}

var jim = ok(map[string]any{"Id": DefaultContactID, "Name": "Jim Smith", "sf_count": float64(1)})

func TestOAuthRefreshWritesSecretVersion(t *testing.T) {
	fn, org, store, fx := newDefault(t)

	assert.Equal(t, jim, call(t, fn, phoneLookupEvent(t)))

	// The empty AuthToken got a 401, the token request and the retry.
	assert.Equal(t, 3, org.APICalls())
	require.Equal(t, 2, store.Versions(testARN))
	secret, _ := store.Current(testARN)
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(secret), &got))
	assert.NotEmpty(t, got["AuthToken"])
	assert.Equal(t, fx.Credentials.Password, got["Password"])
	assert.Equal(t, fx.Credentials.SecurityToken, got["AccessToken"])
	// Re-serialized like json.dumps: key order kept, ", " and ": ".
	assert.True(t, strings.HasPrefix(secret, `{"Password": "`), secret)
	assert.True(t, strings.HasSuffix(secret, `", "AuthToken": "`+got["AuthToken"]+`"}`), secret)

	// The cached token is used as is.
	assert.Equal(t, jim, call(t, fn, phoneLookupEvent(t)))
	assert.Equal(t, 4, org.APICalls())
	assert.Equal(t, 2, store.Versions(testARN))

	// An expired session is refreshed again.
	org.ExpireSessions()
	assert.Equal(t, jim, call(t, fn, phoneLookupEvent(t)))
	assert.Equal(t, 3, store.Versions(testARN))
}

func TestOAuthRefreshAppendsAuthToken(t *testing.T) {
	org, fx := NewDefaultOrg()
	secret := `{"Password":"` + fx.Credentials.Password + `","AccessToken":"` + fx.Credentials.SecurityToken +
		`","ConsumerKey":"` + fx.Credentials.ConsumerKey + `","ConsumerSecret":"` + fx.Credentials.ConsumerSecret + `","Extra":"é"}`
	store := NewMemorySecrets(testARN, secret)
	fn := NewFunction(org, store, testEnv(fx))

	assert.Equal(t, jim, call(t, fn, phoneLookupEvent(t)))

	got, _ := store.Current(testARN)
	assert.Contains(t, got, `"Extra": "\u00e9", "AuthToken": "00D`)
}

func TestOAuthFailures(t *testing.T) {
	accessDenied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User is not authorized to perform: secretsmanager:PutSecretValue"}
	tests := []struct {
		name     string
		secret   func(fx DefaultFixture) string
		putFn    func(org *Org) func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error)
		want     result
		wantPuts int
	}{
		{
			name: "wrong password",
			secret: func(fx DefaultFixture) string {
				return strings.Replace(fx.SecretString, fx.Credentials.Password, "wrong", 1)
			},
			want: fnError("Exception", "invalid_grant: authentication failure"),
		},
		{
			name: "wrong consumer key",
			secret: func(fx DefaultFixture) string {
				return strings.Replace(fx.SecretString, fx.Credentials.ConsumerKey, "wrong", 1)
			},
			want: fnError("Exception", "invalid_client_id: client identifier invalid"),
		},
		{
			name: "wrong consumer secret",
			secret: func(fx DefaultFixture) string {
				return strings.Replace(fx.SecretString, fx.Credentials.ConsumerSecret, "wrong", 1)
			},
			want: fnError("Exception", "invalid_client: invalid client credentials"),
		},
		{
			name: "version limit is ignored",
			putFn: func(*Org) func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
				return func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
					return nil, &smtypes.LimitExceededException{Message: aws.String("too many versions")}
				}
			},
			want:     jim,
			wantPuts: 1,
		},
		{
			name: "write denied",
			putFn: func(*Org) func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
				return func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
					return nil, accessDenied
				}
			},
			want:     fnError("ClientError", "An error occurred (AccessDeniedException) when calling the PutSecretValue operation: User is not authorized to perform: secretsmanager:PutSecretValue"),
			wantPuts: 1,
		},
		{
			name: "retry rejected again",
			putFn: func(org *Org) func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
				return func(context.Context, *secretsmanager.PutSecretValueInput) (*secretsmanager.PutSecretValueOutput, error) {
					org.ExpireSessions() // the new session dies before the retry
					return &secretsmanager.PutSecretValueOutput{}, nil
				}
			},
			want:     fnError("InvalidAuthTokenException", ""),
			wantPuts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, org, fake, fx := newFake(t)
			if tt.secret != nil {
				fake.mem = NewMemorySecrets(testARN, tt.secret(fx))
			}
			if tt.putFn != nil {
				fake.PutSecretValueFn = tt.putFn(org)
			}

			got := call(t, fn, phoneLookupEvent(t))

			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantPuts, fake.puts)
			payload, _ := json.Marshal(got.Payload)
			assert.NotContains(t, string(payload), fx.Credentials.Password)
		})
	}
}

func TestSecretReadOnEveryInvocation(t *testing.T) {
	fn, org, fake, _ := newFake(t)
	for _, event := range [][]byte{
		params("sf_operation", "nope"),
		params("sf_operation", "phoneLookup", "sf_phone", "anonymous", "sf_fields", "Id"),
		params("sf_phone", DefaultPhone),
	} {
		call(t, fn, event)
	}
	assert.Equal(t, 3, fake.gets)
	assert.Zero(t, org.APICalls())
}

func TestEnvironmentAndSecretErrors(t *testing.T) {
	missing := fnError("Exception", "'%s' enviroment variable is missing")
	tests := []struct {
		name      string
		dropEnv   string
		setEnv    map[string]string
		secret    string
		getErr    error
		want      result
		wantGets  int
		wantCalls int
	}{
		{name: "no secret ARN", dropEnv: "SF_CREDENTIALS_SECRETS_MANAGER_ARN", want: missing},
		{name: "no SF_VERSION", dropEnv: "SF_VERSION", want: missing, wantGets: 1},
		{name: "no SF_HOST", dropEnv: "SF_HOST", want: missing, wantGets: 1},
		{name: "no SF_USERNAME", dropEnv: "SF_USERNAME", want: missing, wantGets: 1},
		{name: "no SF_PRODUCTION", dropEnv: "SF_PRODUCTION", want: missing, wantGets: 1},
		{name: "no namespace", dropEnv: "SF_ADAPTER_NAMESPACE", want: fnError("KeyError", "'SF_ADAPTER_NAMESPACE'")},
		{name: "secret lacks AccessToken", secret: `{"Password": "p", "ConsumerKey": "k", "ConsumerSecret": "s"}`,
			want: fnError("KeyError", "'AccessToken'"), wantGets: 1},
		{name: "secret lacks ConsumerSecret", secret: `{"Password": "p", "AccessToken": "t", "ConsumerKey": "k"}`,
			want: fnError("KeyError", "'ConsumerSecret'"), wantGets: 1},
		{name: "secret not JSON", secret: `p@ssw0rd`, want: fnError("JSONDecodeError", "Expecting value: line 1 column 1 (char 0)"), wantGets: 1},
		{name: "secret a JSON list", secret: `["p", "t"]`, want: fnError("TypeError", "list indices must be integers or slices, not str"), wantGets: 1},
		{name: "secret a JSON string", secret: `"p@ssw0rd"`, want: fnError("TypeError", "string indices must be integers, not 'str'"), wantGets: 1},
		{name: "secret JSON null", secret: `null`, want: fnError("TypeError", "'NoneType' object is not subscriptable"), wantGets: 1},
		{name: "empty secret ARN", setEnv: map[string]string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN": ""},
			want: fnError("ParamValidationError", "Parameter validation failed:\nInvalid length for parameter SecretId, value: 0, valid min length: 1")},
		{name: "SF_HOST empty", setEnv: map[string]string{"SF_HOST": ""},
			want: fnError("MissingSchema", "Invalid URL '/services/data/v60.0/parameterizedSearch': No scheme supplied. Perhaps you meant https:///services/data/v60.0/parameterizedSearch?"), wantGets: 1},
		{name: "SF_HOST without a scheme", setEnv: map[string]string{"SF_HOST": "sfprobe-sim.my.salesforce.com"},
			want: fnError("MissingSchema", "Invalid URL 'sfprobe-sim.my.salesforce.com/services/data/v60.0/parameterizedSearch': No scheme supplied. Perhaps you meant https://sfprobe-sim.my.salesforce.com/services/data/v60.0/parameterizedSearch?"), wantGets: 1},
		{name: "SF_HOST host:port", setEnv: map[string]string{"SF_HOST": "sfprobe-sim.my.salesforce.com:443"},
			want: fnError("InvalidSchema", "No connection adapters were found for 'sfprobe-sim.my.salesforce.com:443/services/data/v60.0/parameterizedSearch'"), wantGets: 1},
		{name: "SF_HOST without a host", setEnv: map[string]string{"SF_HOST": "https://"},
			want: fnError("InvalidURL", "Invalid URL 'https:///services/data/v60.0/parameterizedSearch': No host supplied"), wantGets: 1},
		{name: "secret not found", getErr: &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")},
			want:     fnError("ResourceNotFoundException", "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret."),
			wantGets: 1},
		{name: "secret access denied", getErr: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"},
			want:     fnError("ClientError", "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: not authorized"),
			wantGets: 1},
		{name: "login host", setEnv: map[string]string{"SF_HOST": "https://login.salesforce.com"},
			want: fnError("Exception", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set"), wantGets: 1},
		{name: "http host", setEnv: map[string]string{"SF_HOST": "http://sfprobe-sim.my.salesforce.com"},
			want: fnError("Exception", "URL_NOT_RESET: Destination URL not reset. The URL returned from login must be set"), wantGets: 1},
		{name: "production logs in at login.salesforce.com", setEnv: map[string]string{"SF_PRODUCTION": "True"},
			want: jim, wantGets: 1, wantCalls: 3},
		{name: "bad API version", setEnv: map[string]string{"SF_VERSION": "60.0"},
			want: fnError("Exception", "NOT_FOUND: The requested resource does not exist"), wantGets: 1, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, fx := NewDefaultOrg()
			env := testEnv(fx)
			delete(env, tt.dropEnv)
			for k, v := range tt.setEnv {
				env[k] = v
			}
			secret := fx.SecretString
			if tt.secret != "" {
				secret = tt.secret
			}
			fake := &fakeSecrets{mem: NewMemorySecrets(testARN, secret)}
			if tt.getErr != nil {
				fake.GetSecretValueFn = func(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
					return nil, tt.getErr
				}
			}
			fn := NewFunction(org, fake, env)

			got := call(t, fn, phoneLookupEvent(t))

			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantGets, fake.gets)
			assert.Equal(t, tt.wantCalls, org.APICalls())
		})
	}
}
