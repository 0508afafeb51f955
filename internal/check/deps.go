package check

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// FunctionConfigGetter reads the target function's configuration.
type FunctionConfigGetter interface {
	GetFunctionConfiguration(ctx context.Context, params *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// PolicyGetter reads the target function's resource policy.
type PolicyGetter interface {
	GetPolicy(ctx context.Context, params *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// SecretDescriber reads a secret's metadata.
type SecretDescriber interface {
	DescribeSecret(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// SecretGetter reads a secret's value.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretVersionLister lists a secret's versions.
type SecretVersionLister interface {
	ListSecretVersionIds(ctx context.Context, params *secretsmanager.ListSecretVersionIdsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

// SecretPolicyGetter reads a secret's resource policy (optional).
type SecretPolicyGetter interface {
	GetResourcePolicy(ctx context.Context, params *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

// KeyDescriber reads a KMS key's metadata.
type KeyDescriber interface {
	DescribeKey(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// KeyPolicyGetter reads a KMS key policy (optional).
type KeyPolicyGetter interface {
	GetKeyPolicy(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// KeyGrantLister lists a KMS key's grants (optional): kms.ListGrantsAPIClient.
type KeyGrantLister = kms.ListGrantsAPIClient

// PolicySimulator simulates the target role's IAM policies (optional).
type PolicySimulator interface {
	SimulatePrincipalPolicy(ctx context.Context, params *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// ConnectLambdaLister lists the Lambda functions associated with an Amazon
// Connect instance: connect.ListLambdaFunctionsAPIClient.
type ConnectLambdaLister = connect.ListLambdaFunctionsAPIClient

// ContactFlowLister lists an instance's contact flows: connect.ListContactFlowsAPIClient.
type ContactFlowLister = connect.ListContactFlowsAPIClient

// ContactFlowModuleLister lists an instance's flow modules: connect.ListContactFlowModulesAPIClient.
type ContactFlowModuleLister = connect.ListContactFlowModulesAPIClient

// ContactFlowDescriber reads a contact flow's content.
type ContactFlowDescriber interface {
	DescribeContactFlow(ctx context.Context, params *connect.DescribeContactFlowInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowOutput, error)
}

// ContactFlowModuleDescriber reads a flow module's content.
type ContactFlowModuleDescriber interface {
	DescribeContactFlowModule(ctx context.Context, params *connect.DescribeContactFlowModuleInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowModuleOutput, error)
}

// ConnectReader is what ConnectAccess reads of the Connect instance.
type ConnectReader interface {
	ConnectLambdaLister
	ContactFlowLister
	ContactFlowModuleLister
	ContactFlowDescriber
	ContactFlowModuleDescriber
}

var (
	_ ConnectReader        = (*connect.Client)(nil)
	_ FunctionConfigGetter = (*lambda.Client)(nil)
	_ PolicyGetter         = (*lambda.Client)(nil)
	_ sfinvoke.Invoker     = (*lambda.Client)(nil)
	_ SecretDescriber      = (*secretsmanager.Client)(nil)
	_ SecretGetter         = (*secretsmanager.Client)(nil)
	_ SecretVersionLister  = (*secretsmanager.Client)(nil)
	_ SecretPolicyGetter   = (*secretsmanager.Client)(nil)
	_ KeyDescriber         = (*kms.Client)(nil)
	_ KeyPolicyGetter      = (*kms.Client)(nil)
	_ KeyGrantLister       = (*kms.Client)(nil)
	_ PolicySimulator      = (*iam.Client)(nil)
)

// Deps are the AWS APIs the checks call. Checks whose dependency is nil
// fail as config errors; SecretPolicies, KeyPolicies, KeyGrants and
// Simulator are optional; without Connect, ConnectAccess reads only the
// function's resource policy and says so.
type Deps struct {
	FunctionConfig FunctionConfigGetter
	Policy         PolicyGetter
	Invoker        sfinvoke.Invoker
	SecretMeta     SecretDescriber
	Secrets        SecretGetter
	SecretVersions SecretVersionLister
	SecretPolicies SecretPolicyGetter
	Keys           KeyDescriber
	KeyPolicies    KeyPolicyGetter
	KeyGrants      KeyGrantLister
	Simulator      PolicySimulator
	// Connect reads the instance's side of ConnectAccess. Its calls go to
	// the instance's region (a per-call option), whatever the client's.
	Connect ConnectReader
	// HTTP sends SalesforceLogin's requests to the org.
	HTTP HTTPDoer
}

// Clients groups the SDK clients that satisfy Deps.
type Clients struct {
	Lambda         *lambda.Client
	SecretsManager *secretsmanager.Client
	KMS            *kms.Client
	IAM            *iam.Client
	Connect        *connect.Client
	// HTTP reaches Salesforce (SalesforceLogin); nil: NewHTTPClient("").
	HTTP *http.Client
}

// DepsFrom wires SDK clients into Deps.
func DepsFrom(c Clients) Deps {
	d := Deps{HTTP: c.HTTP}
	if c.HTTP == nil {
		d.HTTP, _ = NewHTTPClient("")
	}
	if c.Lambda != nil {
		d.FunctionConfig, d.Policy, d.Invoker = c.Lambda, c.Lambda, c.Lambda
	}
	if c.SecretsManager != nil {
		d.SecretMeta, d.Secrets, d.SecretVersions, d.SecretPolicies = c.SecretsManager, c.SecretsManager, c.SecretsManager, c.SecretsManager
	}
	if c.KMS != nil {
		d.Keys, d.KeyPolicies, d.KeyGrants = c.KMS, c.KMS, c.KMS
	}
	if c.IAM != nil {
		d.Simulator = c.IAM
	}
	if c.Connect != nil {
		d.Connect = c.Connect
	}
	return d
}
