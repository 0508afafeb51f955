package checktest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
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

	"github.com/sfprobe/sfprobe/internal/check"
)

// The healthy deployment's names.
const (
	FunctionName = "sfInvokeAPI-prod"
	SecretARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sfCredentials-AbCdEf"
	KeyID        = "1234abcd-12ab-34cd-56ef-1234567890ab"
	KeyARN       = "arn:aws:kms:us-east-1:123456789012:key/" + KeyID
	RoleARN      = "arn:aws:iam::123456789012:role/sfLambdaBasicExec"
	InstanceARN  = "arn:aws:connect:us-east-1:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	Phone        = "+441122334455"
	SFHost       = "https://acme.my.salesforce.com"
)

// DefaultKeyPolicy is the key policy KMS gives a key created without one: it
// delegates to the account's IAM policies.
const DefaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",` +
	`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`

// SecretValues are the healthy secret's values: sentinels that no check
// result may ever carry.
var SecretValues = map[string]string{
	"Password":       "SENTINEL-PASSWORD-123",
	"AccessToken":    "SENTINEL-TOKEN-456",
	"ConsumerKey":    "SENTINEL-CONSUMER-KEY-789",
	"ConsumerSecret": "SENTINEL-CONSUMER-SECRET-000",
	"AuthToken":      "SENTINEL-AUTH-TOKEN-111",
}

// SecretString is the secret's JSON without the keys in drop.
func SecretString(drop ...string) string {
	m := map[string]string{}
	for k, v := range SecretValues {
		m[k] = v
	}
	for _, k := range drop {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// SFEnv is sfInvokeAPI v5.26's environment as template.yaml sets it.
func SFEnv() map[string]string {
	return map[string]string{
		"SF_ADAPTER_NAMESPACE":               "amazonconnect",
		"SF_CREDENTIALS_SECRETS_MANAGER_ARN": SecretARN,
		"SF_VERSION":                         "v60.0",
		"SF_HOST":                            SFHost,
		"SF_USERNAME":                        "api@acme.com",
		"SF_PRODUCTION":                      "true",
		"LOGGING_LEVEL":                      "INFO",
	}
}

// FunctionConfig is a healthy sfInvokeAPI configuration with env.
func FunctionConfig(env map[string]string) *lambda.GetFunctionConfigurationOutput {
	return &lambda.GetFunctionConfigurationOutput{
		FunctionName:     aws.String(FunctionName),
		FunctionArn:      aws.String("arn:aws:lambda:us-east-1:123456789012:function:" + FunctionName),
		Runtime:          lambdatypes.RuntimePython312,
		Timeout:          aws.Int32(15),
		Role:             aws.String(RoleARN),
		State:            lambdatypes.StateActive,
		LastUpdateStatus: lambdatypes.LastUpdateStatusSuccessful,
		Environment:      &lambdatypes.EnvironmentResponse{Variables: env},
	}
}

// KeyMetadata is an enabled customer managed symmetric key.
func KeyMetadata(id, arn string) *kmstypes.KeyMetadata {
	return &kmstypes.KeyMetadata{
		KeyId:      aws.String(id),
		Arn:        aws.String(arn),
		Enabled:    true,
		KeyState:   kmstypes.KeyStateEnabled,
		KeySpec:    kmstypes.KeySpecSymmetricDefault,
		KeyUsage:   kmstypes.KeyUsageTypeEncryptDecrypt,
		KeyManager: kmstypes.KeyManagerTypeCustomer,
	}
}

// ConnectPolicy is the resource policy the Connect console adds when the
// function is added to instance.
func ConnectPolicy(instance string) string {
	return `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"connect-invoke","Effect":"Allow",` +
		`"Principal":{"Service":"connect.amazonaws.com"},"Action":"lambda:InvokeFunction",` +
		`"Resource":"arn:aws:lambda:us-east-1:123456789012:function:` + FunctionName + `",` +
		`"Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"` + instance + `"}}}]}`
}

// Simulated answers every action of in with decision.
func Simulated(in *iam.SimulatePrincipalPolicyInput, decision iamtypes.PolicyEvaluationDecisionType) *iam.SimulatePrincipalPolicyOutput {
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		r := iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: decision}
		if len(in.ResourceArns) > 0 {
			r.EvalResourceName = aws.String(in.ResourceArns[0])
		}
		out.EvaluationResults = append(out.EvaluationResults, r)
	}
	return out
}

// Versions lists n secret versions.
func Versions(n int) []smtypes.SecretVersionsListEntry {
	out := make([]smtypes.SecretVersionsListEntry, n)
	for i := range out {
		out[i] = smtypes.SecretVersionsListEntry{VersionId: aws.String(fmt.Sprintf("v-%03d", i))}
	}
	return out
}

// Deployment is a healthy sfInvokeAPI deployment: every check passes
// against it. Tests replace single Fn fields to break one thing.
type Deployment struct {
	Lambda         *Lambda
	SecretsManager *SecretsManager
	KMS            *KMS
	IAM            *IAM
	SFInvokeAPI    *SFInvokeAPI
	// Instance is the Connect instance InstanceARN; Connect serves it.
	Instance *Instance
	Connect  *Connect
	// Org answers SalesforceLogin's requests.
	Org *Org

	mu          sync.Mutex
	simulations []*iam.SimulatePrincipalPolicyInput
}

// NewDeployment returns the healthy deployment: the function is configured
// as template.yaml does, its secret holds every key (3 versions) under a
// customer managed key its role may use, Connect instance InstanceARN may
// invoke it, and the org answers as in the contract's vectors.
func NewDeployment() *Deployment {
	d := &Deployment{SFInvokeAPI: NewSFInvokeAPI(), Instance: HealthyInstance(), Org: &Org{}}
	d.Connect = d.Instance.Fake()
	d.Lambda = &Lambda{
		GetFunctionConfigurationFn: func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
			return FunctionConfig(SFEnv()), nil
		},
		GetPolicyFn: func(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
			return &lambda.GetPolicyOutput{Policy: aws.String(ConnectPolicy(InstanceARN))}, nil
		},
		InvokeFn: d.SFInvokeAPI.Invoke,
	}
	d.SecretsManager = &SecretsManager{
		DescribeSecretFn: func(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
			return &secretsmanager.DescribeSecretOutput{ARN: in.SecretId, Name: aws.String("sfCredentials"), KmsKeyId: aws.String(KeyARN)}, nil
		},
		GetSecretValueFn: func(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
			return &secretsmanager.GetSecretValueOutput{ARN: in.SecretId, SecretString: aws.String(SecretString())}, nil
		},
		ListSecretVersionIdsFn: func(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
			return &secretsmanager.ListSecretVersionIdsOutput{Versions: Versions(3)}, nil
		},
		GetResourcePolicyFn: func(_ context.Context, in *secretsmanager.GetResourcePolicyInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error) {
			return &secretsmanager.GetResourcePolicyOutput{ARN: aws.String(SecretARN), Name: aws.String("sfCredentials")}, nil // no resource policy
		},
	}
	d.KMS = &KMS{
		DescribeKeyFn: func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
			return &kms.DescribeKeyOutput{KeyMetadata: KeyMetadata(KeyID, KeyARN)}, nil
		},
		GetKeyPolicyFn: func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
			return &kms.GetKeyPolicyOutput{Policy: aws.String(DefaultKeyPolicy), PolicyName: aws.String("default")}, nil
		},
		ListGrantsFn: func(context.Context, *kms.ListGrantsInput, ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
			return &kms.ListGrantsOutput{}, nil
		},
	}
	d.IAM = &IAM{
		SimulatePrincipalPolicyFn: func(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
			d.mu.Lock()
			d.simulations = append(d.simulations, in)
			d.mu.Unlock()
			return Simulated(in, iamtypes.PolicyEvaluationDecisionTypeAllowed), nil
		},
	}
	return d
}

// Deps wires the deployment's fakes into check.Deps.
func (d *Deployment) Deps() check.Deps {
	deps := Deps(d.Lambda, d.SecretsManager, d.KMS, d.IAM)
	if d.Connect != nil {
		deps.Connect = d.Connect
	}
	if d.Org != nil {
		deps.HTTP = d.Org
	}
	return deps
}

// Simulations returns the inputs of the default SimulatePrincipalPolicyFn's calls.
func (d *Deployment) Simulations() []*iam.SimulatePrincipalPolicyInput {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*iam.SimulatePrincipalPolicyInput(nil), d.simulations...)
}

// WithAWSLatency makes every AWS API of d but sfInvokeAPI answer after
// latency, for benchmarks of a run's critical path; it returns d.
func (d *Deployment) WithAWSLatency(latency time.Duration) *Deployment {
	d.Lambda.GetFunctionConfigurationFn = Delayed(latency, d.Lambda.GetFunctionConfigurationFn)
	d.Lambda.GetPolicyFn = Delayed(latency, d.Lambda.GetPolicyFn)
	d.SecretsManager.DescribeSecretFn = Delayed(latency, d.SecretsManager.DescribeSecretFn)
	d.SecretsManager.GetSecretValueFn = Delayed(latency, d.SecretsManager.GetSecretValueFn)
	d.SecretsManager.ListSecretVersionIdsFn = Delayed(latency, d.SecretsManager.ListSecretVersionIdsFn)
	d.SecretsManager.GetResourcePolicyFn = Delayed(latency, d.SecretsManager.GetResourcePolicyFn)
	d.KMS.DescribeKeyFn = Delayed(latency, d.KMS.DescribeKeyFn)
	d.KMS.GetKeyPolicyFn = Delayed(latency, d.KMS.GetKeyPolicyFn)
	d.KMS.ListGrantsFn = Delayed(latency, d.KMS.ListGrantsFn)
	d.IAM.SimulatePrincipalPolicyFn = Delayed(latency, d.IAM.SimulatePrincipalPolicyFn)
	return d
}

// Delayed returns fn answering after d: a fake AWS API with latency.
func Delayed[In, Out, Opt any](d time.Duration, fn func(context.Context, In, ...Opt) (Out, error)) func(context.Context, In, ...Opt) (Out, error) {
	return func(ctx context.Context, in In, opts ...Opt) (Out, error) {
		time.Sleep(d)
		return fn(ctx, in, opts...)
	}
}
