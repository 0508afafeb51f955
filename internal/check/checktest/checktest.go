// Package checktest holds hand-written fakes of the AWS APIs that package
// check consumes (internal/check/deps.go), for the tests of check and of the
// Lambda handlers. Each fake is a struct of XxxFn fields that a test assigns;
// a call whose field is nil returns an error wrapping ErrUnexpectedCall, so a
// check that makes a call the test did not plan for fails visibly.
package checktest

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// ErrUnexpectedCall is returned by a fake method whose Fn is not set.
var ErrUnexpectedCall = errors.New("checktest: unexpected call")

func unexpected(op string) error { return fmt.Errorf("%s: %w", op, ErrUnexpectedCall) }

// Lambda fakes the Lambda API calls of package check.
type Lambda struct {
	GetFunctionConfigurationFn func(ctx context.Context, params *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	GetPolicyFn                func(ctx context.Context, params *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
	InvokeFn                   func(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var (
	_ check.FunctionConfigGetter = (*Lambda)(nil)
	_ check.PolicyGetter         = (*Lambda)(nil)
	_ sfinvoke.Invoker           = (*Lambda)(nil)
)

// GetFunctionConfiguration calls GetFunctionConfigurationFn.
func (f *Lambda) GetFunctionConfiguration(ctx context.Context, params *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	if f.GetFunctionConfigurationFn == nil {
		return nil, unexpected("lambda:GetFunctionConfiguration")
	}
	return f.GetFunctionConfigurationFn(ctx, params, optFns...)
}

// GetPolicy calls GetPolicyFn.
func (f *Lambda) GetPolicy(ctx context.Context, params *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	if f.GetPolicyFn == nil {
		return nil, unexpected("lambda:GetPolicy")
	}
	return f.GetPolicyFn(ctx, params, optFns...)
}

// Invoke calls InvokeFn.
func (f *Lambda) Invoke(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if f.InvokeFn == nil {
		return nil, unexpected("lambda:Invoke")
	}
	return f.InvokeFn(ctx, params, optFns...)
}

// SecretsManager fakes the Secrets Manager API calls of package check.
type SecretsManager struct {
	DescribeSecretFn       func(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValueFn       func(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	ListSecretVersionIdsFn func(ctx context.Context, params *secretsmanager.ListSecretVersionIdsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
	GetResourcePolicyFn    func(ctx context.Context, params *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

var (
	_ check.SecretDescriber     = (*SecretsManager)(nil)
	_ check.SecretGetter        = (*SecretsManager)(nil)
	_ check.SecretVersionLister = (*SecretsManager)(nil)
	_ check.SecretPolicyGetter  = (*SecretsManager)(nil)
)

// DescribeSecret calls DescribeSecretFn.
func (f *SecretsManager) DescribeSecret(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if f.DescribeSecretFn == nil {
		return nil, unexpected("secretsmanager:DescribeSecret")
	}
	return f.DescribeSecretFn(ctx, params, optFns...)
}

// GetSecretValue calls GetSecretValueFn.
func (f *SecretsManager) GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.GetSecretValueFn == nil {
		return nil, unexpected("secretsmanager:GetSecretValue")
	}
	return f.GetSecretValueFn(ctx, params, optFns...)
}

// ListSecretVersionIds calls ListSecretVersionIdsFn.
func (f *SecretsManager) ListSecretVersionIds(ctx context.Context, params *secretsmanager.ListSecretVersionIdsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if f.ListSecretVersionIdsFn == nil {
		return nil, unexpected("secretsmanager:ListSecretVersionIds")
	}
	return f.ListSecretVersionIdsFn(ctx, params, optFns...)
}

// GetResourcePolicy calls GetResourcePolicyFn.
func (f *SecretsManager) GetResourcePolicy(ctx context.Context, params *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error) {
	if f.GetResourcePolicyFn == nil {
		return nil, unexpected("secretsmanager:GetResourcePolicy")
	}
	return f.GetResourcePolicyFn(ctx, params, optFns...)
}

// KMS fakes the KMS API calls of package check.
type KMS struct {
	DescribeKeyFn  func(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicyFn func(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	ListGrantsFn   func(ctx context.Context, params *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
}

var (
	_ check.KeyDescriber    = (*KMS)(nil)
	_ check.KeyPolicyGetter = (*KMS)(nil)
	_ check.KeyGrantLister  = (*KMS)(nil)
)

// DescribeKey calls DescribeKeyFn.
func (f *KMS) DescribeKey(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if f.DescribeKeyFn == nil {
		return nil, unexpected("kms:DescribeKey")
	}
	return f.DescribeKeyFn(ctx, params, optFns...)
}

// GetKeyPolicy calls GetKeyPolicyFn.
func (f *KMS) GetKeyPolicy(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	if f.GetKeyPolicyFn == nil {
		return nil, unexpected("kms:GetKeyPolicy")
	}
	return f.GetKeyPolicyFn(ctx, params, optFns...)
}

// ListGrants calls ListGrantsFn.
func (f *KMS) ListGrants(ctx context.Context, params *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
	if f.ListGrantsFn == nil {
		return nil, unexpected("kms:ListGrants")
	}
	return f.ListGrantsFn(ctx, params, optFns...)
}

// IAM fakes the IAM API calls of package check.
type IAM struct {
	SimulatePrincipalPolicyFn func(ctx context.Context, params *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

var _ check.PolicySimulator = (*IAM)(nil)

// SimulatePrincipalPolicy calls SimulatePrincipalPolicyFn.
func (f *IAM) SimulatePrincipalPolicy(ctx context.Context, params *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	if f.SimulatePrincipalPolicyFn == nil {
		return nil, unexpected("iam:SimulatePrincipalPolicy")
	}
	return f.SimulatePrincipalPolicyFn(ctx, params, optFns...)
}

// Deps wires the fakes into check.Deps; nil fakes leave their fields nil.
func Deps(l *Lambda, sm *SecretsManager, k *KMS, i *IAM) check.Deps {
	var d check.Deps
	if l != nil {
		d.FunctionConfig, d.Policy, d.Invoker = l, l, l
	}
	if sm != nil {
		d.SecretMeta, d.Secrets, d.SecretVersions, d.SecretPolicies = sm, sm, sm, sm
	}
	if k != nil {
		d.Keys, d.KeyPolicies, d.KeyGrants = k, k, k
	}
	if i != nil {
		d.Simulator = i
	}
	return d
}
