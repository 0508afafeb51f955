package check_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

var accessDenied = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:sts::123456789012:assumed-role/sfprobe is not authorized"}

// ---- TargetConfig -------------------------------------------------------

func TestTargetConfig(t *testing.T) {
	tests := []struct {
		name        string
		give        func(out *lambda.GetFunctionConfigurationOutput)
		wantStatus  check.Status
		wantClass   failure.Class
		wantMessage []string
	}{
		{
			name:        "healthy",
			give:        func(*lambda.GetFunctionConfigurationOutput) {},
			wantStatus:  check.Pass,
			wantMessage: []string{fnName + " is Active", "python3.12", "15 s timeout", "https://acme.my.salesforce.com"},
		},
		{
			name: "state Pending",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.State, out.StateReason = lambdatypes.StatePending, aws.String("creating")
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"state is Pending, want Active", "creating"},
		},
		{
			name: "last update failed",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.LastUpdateStatus, out.LastUpdateStatusReason = lambdatypes.LastUpdateStatusFailed, aws.String("layer too big")
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"last update status is Failed", "layer too big"},
		},
		{
			name: "SF_HOST is the login host",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://login.salesforce.com"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_HOST", "login host", "My Domain", "URL_NOT_RESET"},
		},
		{
			name: "SF_HOST is the sandbox login host",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://test.salesforce.com/"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_HOST", "My Domain"},
		},
		{
			name: "a My Domain named test",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://test.my.salesforce.com"
			},
			wantStatus: check.Pass,
		},
		{
			name: "a My Domain named login",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://login.my.salesforce.com"
			},
			wantStatus: check.Pass,
		},
		{
			name: "the login host in capitals",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://LOGIN.salesforce.com."
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"login host"},
		},
		{
			name: "SF_HOST over http",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "http://acme.my.salesforce.com"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{`SF_HOST "http://acme.my.salesforce.com" is not an https URL`},
		},
		{
			name: "SF_HOST without scheme",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "acme.my.salesforce.com"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_HOST", "not an https URL"},
		},
		{
			name:        "SF_HOST unset",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { delete(out.Environment.Variables, "SF_HOST") },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_HOST is not set"},
		},
		{
			name:        "bad SF_VERSION",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Environment.Variables["SF_VERSION"] = "60.0" },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{`SF_VERSION "60.0"`, "v60.0"},
		},
		{
			name: "missing SF_ADAPTER_NAMESPACE",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				delete(out.Environment.Variables, "SF_ADAPTER_NAMESPACE")
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_ADAPTER_NAMESPACE is not set"},
		},
		{
			name: "empty SF_ADAPTER_NAMESPACE is allowed",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_ADAPTER_NAMESPACE"] = ""
			},
			wantStatus: check.Pass,
		},
		{
			name:        "password mode without SF_USERNAME",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { delete(out.Environment.Variables, "SF_USERNAME") },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_USERNAME"},
		},
		{
			name: "client_credentials mode on v5.28 without SF_USERNAME",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				delete(out.Environment.Variables, "SF_USERNAME")
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
				out.Description = aws.String("sfInvokeAPI v5.28.0")
			},
			wantStatus: check.Pass,
		},
		{
			name: "client_credentials mode, release read from the layer",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				delete(out.Environment.Variables, "SF_USERNAME")
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
				out.Layers = []lambdatypes.Layer{{Arn: aws.String("arn:aws:lambda:us-east-1:123456789012:layer:sfLambdaLayer-v5_29:3")}}
			},
			wantStatus: check.Pass,
		},
		{
			// Before: trusted, so a pass; v5.26 ignores SF_AUTH_MODE.
			name: "client_credentials mode of an unknown release",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				delete(out.Environment.Variables, "SF_USERNAME")
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"SF_AUTH_MODE client_credentials needs sfInvokeAPI v5.28 or later"},
		},
		{
			name: "client_credentials mode on v5.26 without SF_USERNAME",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				delete(out.Environment.Variables, "SF_USERNAME")
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
				out.Description = aws.String("Amazon Connect Salesforce Lambda 5.26")
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_USERNAME is not set"},
		},
		{
			name: "client_credentials mode on v5.26 with a username",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
				out.Description = aws.String("sfInvokeAPI v5.26")
			},
			wantStatus:  check.Warn,
			wantMessage: []string{`SF_AUTH_MODE "client_credentials" is ignored by sfInvokeAPI v5.26`, "username-password flow"},
		},
		{
			name: "an unknown SF_AUTH_MODE on v5.26 is ignored",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_AUTH_MODE"] = "jwt"
				out.Description = aws.String("sfInvokeAPI v5.26")
			},
			wantStatus:  check.Warn,
			wantMessage: []string{"ignored"},
		},
		{
			name: "production flag with a sandbox My Domain",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://acme--uat.sandbox.my.salesforce.com"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_PRODUCTION is true", "sandbox My Domain", "login.salesforce.com", "SalesforceProduction to false"},
		},
		{
			name: "production flag with an older sandbox My Domain",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://acme--uat.cs42.my.salesforce.com"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"sandbox My Domain"},
		},
		{
			name: "sandbox My Domain, not production",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://acme--uat.sandbox.my.salesforce.com"
				out.Environment.Variables["SF_PRODUCTION"] = "False"
			},
			wantStatus: check.Pass,
		},
		{
			name: "sandbox My Domain in client_credentials mode on v5.28",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_HOST"] = "https://acme--uat.sandbox.my.salesforce.com"
				out.Environment.Variables["SF_AUTH_MODE"] = "client_credentials"
				out.Description = aws.String("v5.28")
			},
			wantStatus: check.Pass,
		},
		{
			name:        "unknown SF_AUTH_MODE",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Environment.Variables["SF_AUTH_MODE"] = "jwt" },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{`SF_AUTH_MODE "jwt"`},
		},
		{
			name:        "bad SF_PRODUCTION",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Environment.Variables["SF_PRODUCTION"] = "yes" },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{`SF_PRODUCTION "yes"`},
		},
		{
			name: "no secret ARN",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_CREDENTIALS_SECRETS_MANAGER_ARN"] = ""
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_CREDENTIALS_SECRETS_MANAGER_ARN is not set"},
		},
		{
			name: "secret ARN is not an ARN",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Environment.Variables["SF_CREDENTIALS_SECRETS_MANAGER_ARN"] = "sfCredentials"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{`SF_CREDENTIALS_SECRETS_MANAGER_ARN "sfCredentials" is not a secret ARN`},
		},
		{
			name:        "no environment at all",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Environment = nil },
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_ADAPTER_NAMESPACE", "SF_HOST", "SF_VERSION", "SF_USERNAME", "SF_PRODUCTION", "SF_CREDENTIALS_SECRETS_MANAGER_ARN"},
		},
		{
			name:        "timeout 6 s",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Timeout = aws.Int32(6) },
			wantStatus:  check.Warn,
			wantMessage: []string{"timeout is 6 s"},
		},
		{
			name:        "python3.10",
			give:        func(out *lambda.GetFunctionConfigurationOutput) { out.Runtime = lambdatypes.RuntimePython310 },
			wantStatus:  check.Warn,
			wantMessage: []string{"runtime python3.10", "python3.12"},
		},
		{
			name:       "python3.13",
			give:       func(out *lambda.GetFunctionConfigurationOutput) { out.Runtime = lambdatypes.RuntimePython313 },
			wantStatus: check.Pass,
		},
		{
			name: "problems win over warnings",
			give: func(out *lambda.GetFunctionConfigurationOutput) {
				out.Timeout = aws.Int32(6)
				out.Environment.Variables["SF_VERSION"] = "latest"
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Config,
			wantMessage: []string{"SF_VERSION"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			var gotInput *lambda.GetFunctionConfigurationInput
			f.Lambda.GetFunctionConfigurationFn = func(_ context.Context, in *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
				gotInput = in
				out := fnConfig(sfEnv())
				tt.give(out)
				return out, nil
			}

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.TargetConfig, target())

			require.NotNil(t, gotInput)
			assert.Equal(t, fnName, aws.ToString(gotInput.FunctionName))
			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.TargetConfig, tt.wantClass)
			} else {
				assertOK(t, r, check.TargetConfig, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
			assert.GreaterOrEqual(t, r.DurationMS, int64(0))
		})
	}
}

func TestTargetConfig_apiErrors(t *testing.T) {
	tests := []struct {
		name    string
		giveErr error
		want    failure.Class
	}{
		{"not found", &lambdatypes.ResourceNotFoundException{Message: aws.String("Function not found: " + fnName)}, failure.NotFound},
		{"access denied", accessDenied, failure.Permission},
		{"throttled", &lambdatypes.TooManyRequestsException{}, failure.Throttled},
		{"service error", &lambdatypes.ServiceException{}, failure.Network},
		{"deadline", context.DeadlineExceeded, failure.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
				return nil, &smithy.OperationError{ServiceID: "Lambda", OperationName: "GetFunctionConfiguration", Err: tt.giveErr}
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.TargetConfig, target())
			assertFailed(t, r, check.TargetConfig, tt.want)
			assert.Contains(t, r.Message, fnName)
		})
	}
}

func TestAWSChecks_withoutClients(t *testing.T) {
	for _, name := range check.AWSChecks {
		t.Run(name, func(t *testing.T) {
			r := check.RunAWSCheck(context.Background(), check.Deps{}, name, target())
			assertFailed(t, r, name, failure.Config)
			assert.Contains(t, r.Message, "client configured")
		})
	}
	r := check.RunAWSCheck(context.Background(), check.Deps{}, check.PhoneLookup, target())
	assertFailed(t, r, check.PhoneLookup, failure.Config)
}

// ---- SecretAccess -------------------------------------------------------

// secretCalls records the SecretId of every Secrets Manager call.
type secretCalls struct {
	describe, get, list []string
	tokens              []string
}

func recordSecretCalls(f *checktest.Deployment) *secretCalls {
	rec := &secretCalls{}
	describe, get, list := f.SecretsManager.DescribeSecretFn, f.SecretsManager.GetSecretValueFn, f.SecretsManager.ListSecretVersionIdsFn
	f.SecretsManager.DescribeSecretFn = func(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		rec.describe = append(rec.describe, aws.ToString(in.SecretId))
		return describe(ctx, in, o...)
	}
	f.SecretsManager.GetSecretValueFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		rec.get = append(rec.get, aws.ToString(in.SecretId))
		return get(ctx, in, o...)
	}
	f.SecretsManager.ListSecretVersionIdsFn = func(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, o ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
		rec.list = append(rec.list, aws.ToString(in.SecretId))
		rec.tokens = append(rec.tokens, aws.ToString(in.NextToken))
		return list(ctx, in, o...)
	}
	return rec
}

func TestSecretAccess_discoveredFromEnv(t *testing.T) {
	f := checktest.NewDeployment()
	rec := recordSecretCalls(f)

	r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())

	assertOK(t, r, check.SecretAccess, check.Pass)
	assert.Contains(t, r.Message, "secret "+secretARN+" is readable with Password, AccessToken, ConsumerKey, ConsumerSecret; 3 versions")
	assert.Equal(t, []string{secretARN}, rec.describe)
	assert.Equal(t, []string{secretARN}, rec.get)
	assert.Equal(t, []string{secretARN}, rec.list)
	assertNoSecret(t, r)
}

func TestSecretAccess_givenARNWins(t *testing.T) {
	f := checktest.NewDeployment()
	rec := recordSecretCalls(f)
	tgt := target()
	tgt.SecretARN = givenSecretARN

	r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, tgt)

	assertOK(t, r, check.SecretAccess, check.Pass)
	assert.Equal(t, []string{givenSecretARN}, rec.describe)
	assert.Equal(t, []string{givenSecretARN}, rec.get)
	assert.Equal(t, []string{givenSecretARN}, rec.list)
	assert.Contains(t, r.Message, givenSecretARN)
	assert.NotContains(t, r.Message, secretARN)
}

func TestSecretAccess_noSecretToDiscover(t *testing.T) {
	f := checktest.NewDeployment()
	f.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		env := sfEnv()
		delete(env, "SF_CREDENTIALS_SECRETS_MANAGER_ARN")
		return fnConfig(env), nil
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())
	assertFailed(t, r, check.SecretAccess, failure.Config)
	assert.Contains(t, r.Message, "SF_CREDENTIALS_SECRETS_MANAGER_ARN")
	assert.Contains(t, r.Message, "--secret-arn")
}

func TestSecretAccess_functionNotFound(t *testing.T) {
	f := checktest.NewDeployment()
	f.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
		return nil, &lambdatypes.ResourceNotFoundException{}
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())
	assertFailed(t, r, check.SecretAccess, failure.NotFound)
	assert.Contains(t, r.Message, "discover the secret")
}

func TestSecretAccess_secretContent(t *testing.T) {
	tests := []struct {
		name            string
		giveSecret      string
		giveEnvMode     string
		giveDescription string
		wantStatus      check.Status
		wantMessage     []string
		wantAbsent      []string
	}{
		{
			name:       "all keys",
			giveSecret: secretString(),
			wantStatus: check.Pass,
		},
		{
			name:        "no AccessToken",
			giveSecret:  secretString("AccessToken"),
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty AccessToken"},
			wantAbsent:  []string{"Password", "ConsumerKey"},
		},
		{
			// Trusted IP ranges or relaxed IP restrictions: no security token.
			name:        "empty AccessToken",
			giveSecret:  `{"Password":"SENTINEL-PASSWORD-123","AccessToken":"","ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			wantStatus:  check.Pass,
			wantMessage: []string{"note: AccessToken is empty", "trusted IP range"},
		},
		{
			name:        "non-string AccessToken",
			giveSecret:  `{"Password":"SENTINEL-PASSWORD-123","AccessToken":null,"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty AccessToken"},
		},
		{
			name:        "no Password",
			giveSecret:  secretString("Password"),
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty Password"},
		},
		{
			name:        "no ConsumerKey nor ConsumerSecret",
			giveSecret:  secretString("ConsumerKey", "ConsumerSecret"),
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty ConsumerKey, ConsumerSecret"},
		},
		{
			name:        "empty ConsumerSecret",
			giveSecret:  `{"Password":"SENTINEL-PASSWORD-123","AccessToken":"SENTINEL-TOKEN-456","ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":""}`,
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty ConsumerSecret"},
		},
		{
			name:        "non-string Password",
			giveSecret:  `{"Password":123,"AccessToken":"SENTINEL-TOKEN-456","ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty Password"},
		},
		{
			name:        "AuthToken is optional",
			giveSecret:  secretString("AuthToken"),
			wantStatus:  check.Pass,
			wantMessage: []string{"Password, AccessToken, ConsumerKey, ConsumerSecret"},
		},
		{
			name:        "not JSON",
			giveSecret:  "Password=SENTINEL-PASSWORD-123;AccessToken=SENTINEL-TOKEN-456",
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:        "truncated JSON",
			giveSecret:  `{"Password":"SENTINEL-PASSWORD-123","AccessToken":"SENTINEL-TOK`,
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:        "JSON list",
			giveSecret:  `["SENTINEL-PASSWORD-123", "SENTINEL-TOKEN-456"]`,
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:        "JSON string",
			giveSecret:  `"SENTINEL-PASSWORD-123"`,
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:        "JSON null",
			giveSecret:  `null`,
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:        "empty",
			giveSecret:  ``,
			wantStatus:  check.Fail,
			wantMessage: []string{"not a JSON object"},
		},
		{
			name:            "client_credentials needs only the consumer key and secret",
			giveSecret:      `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			giveEnvMode:     "client_credentials",
			giveDescription: "sfInvokeAPI v5.28",
			wantStatus:      check.Pass,
			wantMessage:     []string{"readable with ConsumerKey, ConsumerSecret;"},
		},
		{
			name:            "client_credentials mode is case-insensitive",
			giveSecret:      `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			giveEnvMode:     "Client_Credentials",
			giveDescription: "sfInvokeAPI v5.28",
			wantStatus:      check.Pass,
		},
		{
			// Before: a pass; v5.26 ignores the mode and raises KeyError.
			name:        "client_credentials of an unknown release",
			giveSecret:  `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			giveEnvMode: "client_credentials",
			wantStatus:  check.Warn,
			wantMessage: []string{"lacks Password, AccessToken, which sfInvokeAPI v5.26", "v5.28 or later"},
		},
		{
			name:            "client_credentials on v5.26 needs the password flow's keys",
			giveSecret:      `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			giveEnvMode:     "client_credentials",
			giveDescription: "sfInvokeAPI v5.26",
			wantStatus:      check.Fail,
			wantMessage:     []string{"lacks non-empty Password"},
		},
		{
			name:        "client_credentials still needs ConsumerSecret",
			giveSecret:  `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","Password":"SENTINEL-PASSWORD-123"}`,
			giveEnvMode: "client_credentials",
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty ConsumerSecret"},
		},
		{
			name:        "password mode needs more than the consumer key and secret",
			giveSecret:  `{"ConsumerKey":"SENTINEL-CONSUMER-KEY-789","ConsumerSecret":"SENTINEL-CONSUMER-SECRET-000"}`,
			wantStatus:  check.Fail,
			wantMessage: []string{"lacks non-empty Password, AccessToken"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			secret := tt.giveSecret
			f.SecretsManager.GetSecretValueFn = func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(secret)}, nil
			}
			f.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
				env := sfEnv()
				env["SF_AUTH_MODE"] = tt.giveEnvMode
				out := fnConfig(env)
				out.Description = aws.String(tt.giveDescription)
				return out, nil
			}

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())

			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.SecretAccess, failure.Config)
				assert.Contains(t, r.Message, secretARN)
			} else {
				assertOK(t, r, check.SecretAccess, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
			for _, m := range tt.wantAbsent {
				assert.NotContains(t, r.Message, m)
			}
			assertNoSecret(t, r)
		})
	}
}

func TestSecretAccess_apiErrors(t *testing.T) {
	tests := []struct {
		name         string
		giveDescribe error
		giveGet      error
		giveList     error
		want         failure.Class
		wantMessage  string
	}{
		{name: "GetSecretValue access denied", giveGet: accessDenied, want: failure.Permission, wantMessage: "get secret value of " + secretARN},
		{name: "GetSecretValue decryption failure", giveGet: &smtypes.DecryptionFailure{Message: aws.String("Secrets Manager can't decrypt the protected secret text using the provided KMS key.")}, want: failure.Permission},
		{name: "GetSecretValue KMS access denied", giveGet: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "Access to KMS is not allowed"}, want: failure.Permission},
		{name: "GetSecretValue not found", giveGet: &smtypes.ResourceNotFoundException{}, want: failure.NotFound},
		{name: "DescribeSecret access denied", giveDescribe: accessDenied, want: failure.Permission, wantMessage: "describe secret " + secretARN},
		{name: "DescribeSecret not found", giveDescribe: &smtypes.ResourceNotFoundException{}, want: failure.NotFound},
		{name: "DescribeSecret throttled", giveDescribe: &smithy.GenericAPIError{Code: "ThrottlingException"}, want: failure.Throttled},
		{name: "ListSecretVersionIds access denied", giveList: accessDenied, want: failure.Permission, wantMessage: "list secret versions of " + secretARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			describe, get, list := f.SecretsManager.DescribeSecretFn, f.SecretsManager.GetSecretValueFn, f.SecretsManager.ListSecretVersionIdsFn
			f.SecretsManager.DescribeSecretFn = func(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
				out, _ := describe(ctx, in, o...)
				return errOr(out, tt.giveDescribe)
			}
			f.SecretsManager.GetSecretValueFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
				out, _ := get(ctx, in, o...)
				return errOr(out, tt.giveGet)
			}
			f.SecretsManager.ListSecretVersionIdsFn = func(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, o ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
				out, _ := list(ctx, in, o...)
				return errOr(out, tt.giveList)
			}

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())

			assertFailed(t, r, check.SecretAccess, tt.want)
			assert.Contains(t, r.Message, tt.wantMessage)
			assertNoSecret(t, r)
		})
	}
}

// errOr returns out, or nil and err when err is set.
func errOr[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}

func TestSecretAccess_scheduledForDeletion(t *testing.T) {
	f := checktest.NewDeployment()
	f.SecretsManager.DescribeSecretFn = func(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		return &secretsmanager.DescribeSecretOutput{ARN: in.SecretId, DeletedDate: aws.Time(time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC))}, nil
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target())
	assertFailed(t, r, check.SecretAccess, failure.NotFound)
	assert.Contains(t, r.Message, "scheduled for deletion on 2025-04-01")
}

func TestSecretAccess_versions(t *testing.T) {
	tests := []struct {
		name        string
		givePages   [][]smtypes.SecretVersionsListEntry
		giveMax     int
		wantStatus  check.Status
		wantMessage string
	}{
		{name: "few", givePages: [][]smtypes.SecretVersionsListEntry{versions(2)}, giveMax: 5, wantStatus: check.Pass, wantMessage: "; 2 versions"},
		{name: "at the threshold", givePages: [][]smtypes.SecretVersionsListEntry{versions(5)}, giveMax: 5, wantStatus: check.Pass, wantMessage: "; 5 versions"},
		{name: "over the threshold", givePages: [][]smtypes.SecretVersionsListEntry{versions(6)}, giveMax: 5, wantStatus: check.Warn, wantMessage: "6 versions, more than 5"},
		{name: "over the threshold across pages", givePages: [][]smtypes.SecretVersionsListEntry{versions(4), versions(4)}, giveMax: 5, wantStatus: check.Warn, wantMessage: "8 versions, more than 5"},
		{name: "default threshold", givePages: [][]smtypes.SecretVersionsListEntry{versions(50), versions(31)}, giveMax: 0, wantStatus: check.Warn, wantMessage: "81 versions, more than 80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			var gotTokens []string
			f.SecretsManager.ListSecretVersionIdsFn = func(_ context.Context, in *secretsmanager.ListSecretVersionIdsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
				gotTokens = append(gotTokens, aws.ToString(in.NextToken))
				assert.True(t, aws.ToBool(in.IncludeDeprecated), "deprecated versions count too")
				i := len(gotTokens) - 1
				out := &secretsmanager.ListSecretVersionIdsOutput{Versions: tt.givePages[i]}
				if i+1 < len(tt.givePages) {
					out.NextToken = aws.String(fmt.Sprintf("page-%d", i+1))
				}
				return out, nil
			}
			var opts []check.Option
			if tt.giveMax > 0 {
				opts = append(opts, check.WithMaxSecretVersions(tt.giveMax))
			}

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.SecretAccess, target(), opts...)

			assertOK(t, r, check.SecretAccess, tt.wantStatus)
			assert.Contains(t, r.Message, tt.wantMessage)
			assert.Len(t, gotTokens, len(tt.givePages))
			assert.Equal(t, "", gotTokens[0])
			assertNoSecret(t, r)
		})
	}
}

// ---- KmsKey -------------------------------------------------------------

func TestKmsKey_allowed(t *testing.T) {
	f := checktest.NewDeployment()
	var described []string
	f.KMS.DescribeKeyFn = func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
		described = append(described, aws.ToString(in.KeyId))
		return &kms.DescribeKeyOutput{KeyMetadata: keyMeta(keyID, keyARN)}, nil
	}
	var policyOf string
	f.KMS.GetKeyPolicyFn = func(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
		policyOf = aws.ToString(in.KeyId)
		return &kms.GetKeyPolicyOutput{Policy: aws.String(checktest.DefaultKeyPolicy)}, nil
	}

	r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

	assertOK(t, r, check.KmsKey, check.Pass)
	assert.Contains(t, r.Message, "encrypted with enabled key "+keyARN)
	assert.Equal(t, []string{keyARN}, described)
	assert.Equal(t, keyARN, policyOf)
	require.Len(t, f.Simulations(), 2)
	for _, s := range f.Simulations() {
		assert.Equal(t, roleARN, aws.ToString(s.PolicySourceArn))
		// IAM takes a ResourcePolicy only with a CallerArn, which must be
		// an IAM user: resource policies are evaluated by sfprobe.
		assert.Nil(t, s.ResourcePolicy)
		assert.Nil(t, s.CallerArn)
	}
	assert.Equal(t, []string{"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"}, f.Simulations()[0].ActionNames)
	assert.Equal(t, []string{secretARN}, f.Simulations()[0].ResourceArns)
	assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey"}, f.Simulations()[1].ActionNames)
	assert.Equal(t, []string{keyARN}, f.Simulations()[1].ResourceArns)
	assert.Equal(t, map[string][]string{
		"kms:ViaService":                  {"secretsmanager.us-east-1.amazonaws.com"},
		"kms:CallerAccount":               {"123456789012"},
		"kms:EncryptionContext:SecretARN": {secretARN},
		"kms:EncryptionContextKeys":       {"SecretARN", "SecretVersionId"},
	}, contextOf(f.Simulations()[1]))
}

// contextOf maps a simulation's context entries by key.
func contextOf(in *iam.SimulatePrincipalPolicyInput) map[string][]string {
	out := map[string][]string{}
	for _, e := range in.ContextEntries {
		out[aws.ToString(e.ContextKeyName)] = e.ContextKeyValues
	}
	return out
}

func TestKmsKey_key(t *testing.T) {
	tests := []struct {
		name        string
		give        func(m *kmstypes.KeyMetadata)
		wantMessage string
	}{
		{"disabled", func(m *kmstypes.KeyMetadata) { m.Enabled, m.KeyState = false, kmstypes.KeyStateDisabled }, "key state is Disabled, want Enabled"},
		{"pending deletion", func(m *kmstypes.KeyMetadata) { m.Enabled, m.KeyState = false, kmstypes.KeyStatePendingDeletion }, "key state is PendingDeletion"},
		{"asymmetric", func(m *kmstypes.KeyMetadata) { m.KeySpec = kmstypes.KeySpecRsa2048 }, "key spec is RSA_2048, want SYMMETRIC_DEFAULT"},
		{"signing key", func(m *kmstypes.KeyMetadata) { m.KeyUsage = kmstypes.KeyUsageTypeSignVerify }, "key usage is SIGN_VERIFY, want ENCRYPT_DECRYPT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.KMS.DescribeKeyFn = func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				m := keyMeta(keyID, keyARN)
				tt.give(m)
				return &kms.DescribeKeyOutput{KeyMetadata: m}, nil
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
			assertFailed(t, r, check.KmsKey, failure.Config)
			assert.Contains(t, r.Message, tt.wantMessage)
			assert.Contains(t, r.Message, keyARN)
			assert.Empty(t, f.Simulations(), "no simulation for a broken key")
		})
	}
}

func TestKmsKey_expectedKey(t *testing.T) {
	tests := []struct {
		name       string
		giveWant   string
		wantStatus check.Status
	}{
		{name: "same key by ARN", giveWant: keyARN, wantStatus: check.Pass},
		{name: "same key by alias", giveWant: keyAliasARN, wantStatus: check.Pass},
		{name: "other key", giveWant: otherKeyARN, wantStatus: check.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.KMS.DescribeKeyFn = func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				switch aws.ToString(in.KeyId) {
				case keyARN, keyAliasARN:
					return &kms.DescribeKeyOutput{KeyMetadata: keyMeta(keyID, keyARN)}, nil
				case otherKeyARN:
					return &kms.DescribeKeyOutput{KeyMetadata: keyMeta(otherKeyID, otherKeyARN)}, nil
				}
				return nil, &kmstypes.NotFoundException{}
			}
			tgt := target()
			tgt.KMSKeyARN = tt.giveWant

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, tgt)

			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.KmsKey, failure.Config)
				assert.Contains(t, r.Message, "not the expected "+otherKeyARN)
				assert.Contains(t, r.Message, keyARN)
				return
			}
			assertOK(t, r, check.KmsKey, tt.wantStatus)
		})
	}
}

func TestKmsKey_awsManagedKey(t *testing.T) {
	f := checktest.NewDeployment()
	f.SecretsManager.DescribeSecretFn = func(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		return &secretsmanager.DescribeSecretOutput{ARN: in.SecretId}, nil // KmsKeyId omitted: aws/secretsmanager
	}
	var described []string
	f.KMS.DescribeKeyFn = func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
		described = append(described, aws.ToString(in.KeyId))
		m := keyMeta("aaaa", "arn:aws:kms:us-east-1:123456789012:key/aaaa")
		m.KeyManager = kmstypes.KeyManagerTypeAws
		return &kms.DescribeKeyOutput{KeyMetadata: m}, nil
	}

	r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

	assertOK(t, r, check.KmsKey, check.Warn)
	assert.Contains(t, r.Message, "AWS managed key")
	assert.Equal(t, []string{"alias/aws/secretsmanager"}, described)

	t.Run("with an expected key", func(t *testing.T) {
		tgt := target()
		tgt.KMSKeyARN = keyARN
		r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, tgt)
		assertFailed(t, r, check.KmsKey, failure.Config)
		assert.Contains(t, r.Message, "aws/secretsmanager, not "+keyARN)
	})
}

func TestKmsKey_simulation(t *testing.T) {
	tests := []struct {
		name        string
		giveErr     error
		giveDenied  map[string]iamtypes.PolicyEvaluationDecisionType
		wantStatus  check.Status
		wantClass   failure.Class
		wantMessage []string
	}{
		{
			name:        "allowed",
			wantStatus:  check.Pass,
			wantMessage: []string{"may read and write the secret and use the key"},
		},
		{
			name:        "simulation not implemented",
			giveErr:     &smithy.GenericAPIError{Code: "NotImplemented", Message: "The SimulatePrincipalPolicy action has not been implemented"},
			wantStatus:  check.Warn,
			wantMessage: []string{"skipped", "does not support iam:SimulatePrincipalPolicy"},
		},
		{
			name:        "sfprobe may not simulate",
			giveErr:     &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: iam:SimulatePrincipalPolicy"},
			wantStatus:  check.Warn,
			wantMessage: []string{"skipped", roleARN},
		},
		{
			name:        "simulation throttled",
			giveErr:     &smithy.GenericAPIError{Code: "Throttling"},
			wantStatus:  check.Fail,
			wantClass:   failure.Throttled,
			wantMessage: []string{"simulate the policies of " + roleARN},
		},
		{
			name:        "kms:Decrypt denied",
			giveDenied:  map[string]iamtypes.PolicyEvaluationDecisionType{"kms:Decrypt": iamtypes.PolicyEvaluationDecisionTypeImplicitDeny},
			wantStatus:  check.Fail,
			wantClass:   failure.Permission,
			wantMessage: []string{"role " + roleARN + " is denied kms:Decrypt on " + keyARN + " (implicitDeny)"},
		},
		{
			name: "secret write and key denied",
			giveDenied: map[string]iamtypes.PolicyEvaluationDecisionType{
				"secretsmanager:PutSecretValue": iamtypes.PolicyEvaluationDecisionTypeExplicitDeny,
				"kms:GenerateDataKey":           iamtypes.PolicyEvaluationDecisionTypeImplicitDeny,
			},
			wantStatus:  check.Fail,
			wantClass:   failure.Permission,
			wantMessage: []string{"kms:GenerateDataKey on " + keyARN + " (implicitDeny)", "secretsmanager:PutSecretValue on " + secretARN + " (explicitDeny)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.IAM.SimulatePrincipalPolicyFn = func(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
				if tt.giveErr != nil {
					return nil, tt.giveErr
				}
				out := simulated(in, iamtypes.PolicyEvaluationDecisionTypeAllowed)
				for i, r := range out.EvaluationResults {
					if d, ok := tt.giveDenied[aws.ToString(r.EvalActionName)]; ok {
						out.EvaluationResults[i].EvalDecision = d
					}
				}
				return out, nil
			}

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.KmsKey, tt.wantClass)
			} else {
				assertOK(t, r, check.KmsKey, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
		})
	}
}

func TestKmsKey_withoutSimulator(t *testing.T) {
	f := checktest.NewDeployment()
	deps := checktest.Deps(f.Lambda, f.SecretsManager, f.KMS, nil)
	r := check.RunAWSCheck(context.Background(), deps, check.KmsKey, target())
	assertOK(t, r, check.KmsKey, check.Warn)
	assert.Contains(t, r.Message, "simulation skipped: no IAM client")
}

// TestKmsKey_keyPolicyUnreadable: without the key policy the simulation
// would see only the role's policies and could report a false deny, so
// the key's actions are not simulated, and the check says so.
func TestKmsKey_keyPolicyUnreadable(t *testing.T) {
	f := checktest.NewDeployment()
	f.KMS.GetKeyPolicyFn = func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
		return nil, accessDenied
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
	assertOK(t, r, check.KmsKey, check.Warn)
	assert.Contains(t, r.Message, "kms:GetKeyPolicy")
	require.Len(t, f.Simulations(), 1, "the secret's actions only")
	assert.Contains(t, f.Simulations()[0].ActionNames, "secretsmanager:GetSecretValue")
}

func TestKmsKey_apiErrors(t *testing.T) {
	tests := []struct {
		name string
		give error
		want failure.Class
	}{
		{"key not found", &kmstypes.NotFoundException{}, failure.NotFound},
		{"key access denied", accessDenied, failure.Permission},
		{"KMS internal", &kmstypes.KMSInternalException{}, failure.Network},
		{"KMS dependency timeout", &kmstypes.DependencyTimeoutException{}, failure.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.KMS.DescribeKeyFn = func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				return nil, tt.give
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
			assertFailed(t, r, check.KmsKey, tt.want)
			assert.Contains(t, r.Message, "describe key "+keyARN)
		})
	}
}

func TestKmsKey_secretUnreadable(t *testing.T) {
	f := checktest.NewDeployment()
	f.SecretsManager.DescribeSecretFn = func(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		return nil, accessDenied
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
	assertFailed(t, r, check.KmsKey, failure.Permission)
}

// ---- ConnectAccess ------------------------------------------------------

func TestConnectAccess(t *testing.T) {
	statement := func(effect, principal, action, condition string) string {
		s := `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Principal":` + principal + `,"Action":` + action
		if condition != "" {
			s += `,"Condition":` + condition
		}
		return s + `}]}`
	}
	const connect = `{"Service":"connect.amazonaws.com"}`
	const invoke = `"lambda:InvokeFunction"`
	tests := []struct {
		name        string
		givePolicy  string
		giveWant    string
		wantStatus  check.Status
		wantMessage []string
	}{
		{
			name:        "scoped to the wanted instance",
			givePolicy:  connectPolicy(instanceX),
			giveWant:    instanceX,
			wantStatus:  check.Pass,
			wantMessage: []string{"instance " + instanceX + " may invoke"},
		},
		{
			name:        "scoped to another instance",
			givePolicy:  connectPolicy(instanceX),
			giveWant:    instanceY,
			wantStatus:  check.Fail,
			wantMessage: []string{"only from " + instanceX, "not from " + instanceY},
		},
		{
			name:        "scoped, nothing wanted",
			givePolicy:  connectPolicy(instanceX),
			wantStatus:  check.Pass,
			wantMessage: []string{"from " + instanceX},
		},
		{
			name:        "unscoped, nothing wanted",
			givePolicy:  statement("Allow", connect, invoke, ""),
			wantStatus:  check.Warn,
			wantMessage: []string{"any instance", "AWS:SourceArn"},
		},
		{
			name:        "unscoped, an instance wanted",
			givePolicy:  statement("Allow", connect, invoke, ""),
			giveWant:    instanceY,
			wantStatus:  check.Warn,
			wantMessage: []string{"any instance", instanceY},
		},
		{
			name:        "scoped only by account",
			givePolicy:  statement("Allow", connect, invoke, `{"StringEquals":{"AWS:SourceAccount":"123456789012"}}`),
			wantStatus:  check.Warn,
			wantMessage: []string{"any instance"},
		},
		{
			name:        "ArnLike wildcard matches",
			givePolicy:  statement("Allow", connect, invoke, `{"ArnLike":{"AWS:SourceArn":"arn:aws:connect:us-east-1:123456789012:instance/*"}}`),
			giveWant:    instanceX,
			wantStatus:  check.Pass,
			wantMessage: []string{instanceX},
		},
		{
			name:       "ArnLike wildcard of another account",
			givePolicy: statement("Allow", connect, invoke, `{"ArnLike":{"AWS:SourceArn":"arn:aws:connect:us-east-1:999999999999:instance/*"}}`),
			giveWant:   instanceX,
			wantStatus: check.Fail,
		},
		{
			name:       "ArnEquals with a list",
			givePolicy: statement("Allow", connect, invoke, `{"ArnEquals":{"aws:SourceArn":["`+instanceY+`","`+instanceX+`"]}}`),
			giveWant:   instanceX,
			wantStatus: check.Pass,
		},
		{
			name:       "action list and service list",
			givePolicy: statement("Allow", `{"Service":["events.amazonaws.com","connect.amazonaws.com"]}`, `["lambda:GetFunction","lambda:InvokeFunction"]`, `{"ArnLike":{"AWS:SourceArn":"`+instanceX+`"}}`),
			giveWant:   instanceX,
			wantStatus: check.Pass,
		},
		{
			name:        "another service only",
			givePolicy:  statement("Allow", `{"Service":"events.amazonaws.com"}`, invoke, ""),
			wantStatus:  check.Fail,
			wantMessage: []string{"no statement lets connect.amazonaws.com invoke"},
		},
		{
			name:        "Connect denied",
			givePolicy:  statement("Deny", connect, invoke, ""),
			wantStatus:  check.Fail,
			wantMessage: []string{"no statement"},
		},
		{
			// Before: a negated operator counted as admitting the instance.
			name:       "ArnNotEquals excludes the wanted instance",
			givePolicy: statement("Allow", connect, invoke, `{"ArnNotEquals":{"AWS:SourceArn":"`+instanceX+`"}}`),
			giveWant:   instanceX,
			wantStatus: check.Fail,
		},
		{
			name:       "StringNotLike excludes the wanted instance",
			givePolicy: statement("Allow", connect, invoke, `{"StringNotLike":{"AWS:SourceArn":"arn:aws:connect:*:*:instance/aaaa*"}}`),
			giveWant:   instanceX,
			wantStatus: check.Fail,
		},
		{
			name:        "ArnNotEquals admits other instances",
			givePolicy:  statement("Allow", connect, invoke, `{"ArnNotEquals":{"AWS:SourceArn":"`+instanceY+`"}}`),
			giveWant:    instanceX,
			wantStatus:  check.Warn,
			wantMessage: []string{"any instance"},
		},
		{
			name:        "a negated scope is no scope",
			givePolicy:  statement("Allow", connect, invoke, `{"StringNotEquals":{"AWS:SourceArn":"`+instanceY+`"}}`),
			wantStatus:  check.Warn,
			wantMessage: []string{"any instance"},
		},
		{
			name:       "SourceAccount of another account",
			givePolicy: statement("Allow", connect, invoke, `{"StringEquals":{"AWS:SourceAccount":"999999999999"},"ArnLike":{"AWS:SourceArn":"arn:aws:connect:*:*:instance/*"}}`),
			giveWant:   instanceX,
			wantStatus: check.Fail,
		},
		{
			name:        "an AWS wildcard principal",
			givePolicy:  statement("Allow", `{"AWS":"*"}`, invoke, `{"ArnLike":{"AWS:SourceArn":"`+instanceX+`"}}`),
			giveWant:    instanceX,
			wantStatus:  check.Pass,
			wantMessage: []string{"instance " + instanceX + " may invoke"},
		},
		{
			name: "a Deny for the wanted instance wins",
			givePolicy: `{"Statement":[` +
				`{"Effect":"Allow","Principal":{"Service":"connect.amazonaws.com"},"Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:connect:us-east-1:123456789012:instance/*"}}},` +
				`{"Sid":"NoX","Effect":"Deny","Principal":"*","Action":"lambda:*","Condition":{"ArnEquals":{"AWS:SourceArn":"` + instanceX + `"}}}]}`,
			giveWant:    instanceX,
			wantStatus:  check.Fail,
			wantMessage: []string{"denies Amazon Connect instance " + instanceX, "NoX"},
		},
		{
			name: "a Deny for another instance",
			givePolicy: `{"Statement":[` +
				`{"Effect":"Allow","Principal":{"Service":"connect.amazonaws.com"},"Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:connect:us-east-1:123456789012:instance/*"}}},` +
				`{"Sid":"NoY","Effect":"Deny","Principal":"*","Action":"lambda:*","Condition":{"ArnEquals":{"AWS:SourceArn":"` + instanceY + `"}}}]}`,
			giveWant:   instanceX,
			wantStatus: check.Pass,
		},
		{
			name: "an unconditional Deny",
			givePolicy: `{"Statement":[` + strings.TrimSuffix(strings.TrimPrefix(connectPolicy(instanceX), `{"Version":"2012-10-17","Id":"default","Statement":[`), `]}`) +
				`,{"Sid":"Off","Effect":"Deny","Principal":{"Service":"connect.amazonaws.com"},"Action":"lambda:InvokeFunction"}]}`,
			wantStatus:  check.Fail,
			wantMessage: []string{"denies Amazon Connect", "Off"},
		},
		{
			name: "a Deny under a condition sfprobe cannot evaluate",
			givePolicy: `{"Statement":[` + strings.TrimSuffix(strings.TrimPrefix(connectPolicy(instanceX), `{"Version":"2012-10-17","Id":"default","Statement":[`), `]}`) +
				`,{"Sid":"Hours","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
			giveWant:    instanceX,
			wantStatus:  check.Warn,
			wantMessage: []string{"may apply", "Hours"},
		},
		{
			name:        "Connect may only read",
			givePolicy:  statement("Allow", connect, `"lambda:GetFunction"`, ""),
			wantStatus:  check.Fail,
			wantMessage: []string{"no statement"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			var gotFunction string
			f.Lambda.GetPolicyFn = func(_ context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
				gotFunction = aws.ToString(in.FunctionName)
				return &lambda.GetPolicyOutput{Policy: aws.String(tt.givePolicy)}, nil
			}
			tgt := target()
			tgt.ConnectInstanceARN = tt.giveWant

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.ConnectAccess, tgt)

			assert.Equal(t, fnName, gotFunction)
			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.ConnectAccess, failure.Permission)
			} else {
				assertOK(t, r, check.ConnectAccess, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
		})
	}
}

func TestConnectAccess_apiErrors(t *testing.T) {
	tests := []struct {
		name        string
		giveErr     error
		givePolicy  string
		want        failure.Class
		wantMessage string
	}{
		{name: "no resource policy", giveErr: &lambdatypes.ResourceNotFoundException{Message: aws.String("The resource you requested does not exist.")}, want: failure.Permission, wantMessage: "no resource policy"},
		{name: "access denied", giveErr: accessDenied, want: failure.Permission, wantMessage: "get resource policy of " + fnName},
		{name: "throttled", giveErr: &lambdatypes.TooManyRequestsException{}, want: failure.Throttled},
		{name: "policy not JSON", givePolicy: "{", want: failure.UnexpectedResponse, wantMessage: "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.Lambda.GetPolicyFn = func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
				return errOr(&lambda.GetPolicyOutput{Policy: aws.String(tt.givePolicy)}, tt.giveErr)
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.ConnectAccess, target())
			assertFailed(t, r, check.ConnectAccess, tt.want)
			assert.Contains(t, r.Message, tt.wantMessage)
		})
	}
}

// TestAWSChecks_unexpectedCallsFail pins the fakes' contract: an unplanned
// call surfaces as a failed check, never as a pass.
func TestAWSChecks_unexpectedCallsFail(t *testing.T) {
	deps := checktest.Deps(&checktest.Lambda{}, &checktest.SecretsManager{}, &checktest.KMS{}, &checktest.IAM{})
	for _, name := range check.AWSChecks {
		r := check.RunAWSCheck(context.Background(), deps, name, target())
		assert.Equal(t, check.Fail, r.Status, name)
	}
	_, err := (&checktest.Lambda{}).Invoke(context.Background(), &lambda.InvokeInput{})
	assert.True(t, errors.Is(err, checktest.ErrUnexpectedCall))
}
