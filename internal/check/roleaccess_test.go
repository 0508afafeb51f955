package check_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
	"github.com/sfprobe/sfprobe/internal/failure"
)

const (
	awsManagedKeyID  = "aaaa1111-12ab-34cd-56ef-1234567890ab"
	awsManagedKeyARN = "arn:aws:kms:us-east-1:123456789012:key/" + awsManagedKeyID
	// awsManagedKeyPolicy is the key policy of aws/secretsmanager: any
	// principal of the account, through Secrets Manager only.
	awsManagedKeyPolicy = `{"Version":"2012-10-17","Id":"auto-secretsmanager-2","Statement":[` +
		`{"Sid":"Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager",` +
		`"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:CallerAccount":"123456789012","kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}},` +
		`{"Sid":"Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager",` +
		`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"123456789012"},` +
		`"StringLike":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}},` +
		`{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},` +
		`"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
)

// decideBy answers a simulation with allowed, except the actions in deny.
func decideBy(deny map[string]iamtypes.PolicyEvaluationDecisionType) func(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return func(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
		out := simulated(in, iamtypes.PolicyEvaluationDecisionTypeAllowed)
		for i, r := range out.EvaluationResults {
			if d, ok := deny[aws.ToString(r.EvalActionName)]; ok {
				out.EvaluationResults[i].EvalDecision = d
			}
		}
		return out, nil
	}
}

var implicit, explicit = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny, iamtypes.PolicyEvaluationDecisionTypeExplicitDeny

// TestKmsKey_awsManagedKeyRole: with aws/secretsmanager the role's secret
// actions are still simulated; a role without PutSecretValue fails.
func TestKmsKey_awsManagedKeyRole(t *testing.T) {
	tests := []struct {
		name        string
		giveDeny    map[string]iamtypes.PolicyEvaluationDecisionType
		wantStatus  check.Status
		wantMessage []string
	}{
		{
			name:        "role may read and write: the managed key's warning only",
			wantStatus:  check.Warn,
			wantMessage: []string{"AWS managed key"},
		},
		{
			name:        "role may not write the token back",
			giveDeny:    map[string]iamtypes.PolicyEvaluationDecisionType{"secretsmanager:PutSecretValue": implicit},
			wantStatus:  check.Fail,
			wantMessage: []string{"secretsmanager:PutSecretValue on " + secretARN + " (implicitDeny)"},
		},
		{
			// The managed key's policy lets the account's principals use it
			// through Secrets Manager: the role needs no KMS grant of its own.
			name:        "role without KMS permissions",
			giveDeny:    map[string]iamtypes.PolicyEvaluationDecisionType{"kms:Decrypt": implicit, "kms:GenerateDataKey": implicit},
			wantStatus:  check.Warn,
			wantMessage: []string{"AWS managed key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.SecretsManager.DescribeSecretFn = func(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
				return &secretsmanager.DescribeSecretOutput{ARN: in.SecretId}, nil // KmsKeyId omitted: aws/secretsmanager
			}
			f.KMS.DescribeKeyFn = func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				m := keyMeta(awsManagedKeyID, awsManagedKeyARN)
				m.KeyManager = kmstypes.KeyManagerTypeAws
				return &kms.DescribeKeyOutput{KeyMetadata: m}, nil
			}
			f.KMS.GetKeyPolicyFn = func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
				return &kms.GetKeyPolicyOutput{Policy: aws.String(awsManagedKeyPolicy)}, nil
			}
			f.IAM.SimulatePrincipalPolicyFn = decideBy(tt.giveDeny)

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.KmsKey, failure.Permission)
			} else {
				assertOK(t, r, check.KmsKey, tt.wantStatus)
				assert.NotContains(t, r.Message, "not certain")
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
		})
	}
}

// TestKmsKey_secretResourcePolicy: the secret's resource policy is part of
// the verdict: an explicit Deny fails, an Allow counts in the account.
func TestKmsKey_secretResourcePolicy(t *testing.T) {
	policy := func(effect, principal, condition string) string {
		s := `{"Version":"2012-10-17","Statement":[{"Sid":"S1","Effect":"` + effect + `","Principal":` + principal +
			`,"Action":"secretsmanager:*","Resource":"*"`
		if condition != "" {
			s += `,"Condition":` + condition
		}
		return s + `}]}`
	}
	tests := []struct {
		name        string
		givePolicy  string
		giveErr     error
		giveDeny    map[string]iamtypes.PolicyEvaluationDecisionType
		wantStatus  check.Status
		wantMessage []string
	}{
		{name: "no resource policy", wantStatus: check.Pass},
		{
			name:        "denies the role",
			givePolicy:  policy("Deny", `{"AWS":"`+roleARN+`"}`, ""),
			wantStatus:  check.Fail,
			wantMessage: []string{"secretsmanager:PutSecretValue on " + secretARN + " (explicitDeny)", "the secret's resource policy denies it (S1)"},
		},
		{
			name:        "denies the role's sessions",
			givePolicy:  policy("Deny", `{"AWS":"arn:aws:sts::123456789012:assumed-role/sfLambdaBasicExec/`+fnName+`"}`, ""),
			wantStatus:  check.Fail,
			wantMessage: []string{"explicitDeny"},
		},
		{
			name:        "denies everyone but an admin role",
			givePolicy:  policy("Deny", `"*"`, `{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Admin"}}`),
			wantStatus:  check.Fail,
			wantMessage: []string{"explicitDeny"},
		},
		{
			name:       "denies everyone but the role",
			givePolicy: policy("Deny", `{"AWS":"*"}`, `{"ArnNotEquals":{"aws:PrincipalArn":"`+roleARN+`"}}`),
			wantStatus: check.Pass,
		},
		{
			name:        "denies outside a network sfprobe cannot know",
			givePolicy:  policy("Deny", `"*"`, `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`),
			wantStatus:  check.Warn,
			wantMessage: []string{"not certain", "may deny it", "aws:SourceIp"},
		},
		{
			name:       "allows the role its IAM policies do not",
			givePolicy: policy("Allow", `{"AWS":"`+roleARN+`"}`, ""),
			giveDeny:   map[string]iamtypes.PolicyEvaluationDecisionType{"secretsmanager:PutSecretValue": implicit},
			wantStatus: check.Pass,
		},
		{
			name:        "an account statement does not replace the role's own grant",
			givePolicy:  policy("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`, ""),
			giveDeny:    map[string]iamtypes.PolicyEvaluationDecisionType{"secretsmanager:PutSecretValue": implicit},
			wantStatus:  check.Fail,
			wantMessage: []string{"PutSecretValue on " + secretARN + " (implicitDeny)"},
		},
		{
			name:        "unreadable",
			giveErr:     accessDenied,
			wantStatus:  check.Warn,
			wantMessage: []string{"secretsmanager:GetResourcePolicy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			var asked string
			f.SecretsManager.GetResourcePolicyFn = func(_ context.Context, in *secretsmanager.GetResourcePolicyInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error) {
				asked = aws.ToString(in.SecretId)
				if tt.giveErr != nil {
					return nil, tt.giveErr
				}
				out := &secretsmanager.GetResourcePolicyOutput{ARN: in.SecretId}
				if tt.givePolicy != "" {
					out.ResourcePolicy = aws.String(tt.givePolicy)
				}
				return out, nil
			}
			f.IAM.SimulatePrincipalPolicyFn = decideBy(tt.giveDeny)

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

			assert.Equal(t, secretARN, asked)
			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.KmsKey, failure.Permission)
			} else {
				assertOK(t, r, check.KmsKey, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
		})
	}
}

// TestKmsKey_keyPolicy: the key policy decides as in KMS: the role's IAM
// policies count only when the key policy delegates to the account; the
// calls come through Secrets Manager with its encryption context; grants
// are read, not simulated.
func TestKmsKey_keyPolicy(t *testing.T) {
	const crossKeyARN = "arn:aws:kms:us-east-1:999999999999:key/" + keyID
	statement := func(effect, principal, action, condition string) string {
		s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":` + action + `,"Resource":"*"`
		if condition != "" {
			s += `,"Condition":` + condition
		}
		return s + `}`
	}
	policy := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	root := statement("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`, `"kms:*"`, "")
	roleOnly := statement("Allow", `{"AWS":"`+roleARN+`"}`, `["kms:Decrypt","kms:GenerateDataKey*"]`, "")
	noKMSInIAM := map[string]iamtypes.PolicyEvaluationDecisionType{"kms:Decrypt": implicit, "kms:GenerateDataKey": implicit}
	roleGrant := kmstypes.GrantListEntry{GrantId: aws.String("g-1"), GranteePrincipal: aws.String(roleARN),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationGenerateDataKey}}
	tests := []struct {
		name          string
		giveKeyARN    string
		givePolicy    string
		giveDeny      map[string]iamtypes.PolicyEvaluationDecisionType
		giveGrants    []kmstypes.GrantListEntry
		giveGrantsErr error
		wantStatus    check.Status
		wantMessage   []string
	}{
		{name: "delegates to IAM, IAM allows", givePolicy: policy(root), wantStatus: check.Pass},
		{
			name:        "delegates to IAM, IAM does not allow",
			givePolicy:  policy(root),
			giveDeny:    noKMSInIAM,
			wantStatus:  check.Fail,
			wantMessage: []string{"kms:Decrypt on " + keyARN + " (implicitDeny)", "delegates to IAM, but no IAM policy of the role allows it"},
		},
		{name: "allows the role itself, no IAM grant needed", givePolicy: policy(roleOnly), giveDeny: noKMSInIAM, wantStatus: check.Pass},
		{
			// Before: the role's IAM allow alone passed.
			name:        "neither the role nor the account: IAM's allow does not count",
			givePolicy:  policy(statement("Allow", `{"AWS":"arn:aws:iam::123456789012:role/Admin"}`, `"kms:*"`, "")),
			wantStatus:  check.Fail,
			wantMessage: []string{"kms:Decrypt on " + keyARN + " (implicitDeny)", "neither allows the role nor delegates to IAM", "no KMS grant"},
		},
		{
			name:       "a grant gives the role the key",
			givePolicy: policy(statement("Allow", `{"AWS":"arn:aws:iam::123456789012:role/Admin"}`, `"kms:*"`, "")),
			giveGrants: []kmstypes.GrantListEntry{roleGrant},
			wantStatus: check.Pass,
		},
		{
			name:          "grants unreadable: no failure, a note",
			givePolicy:    policy(statement("Allow", `{"AWS":"arn:aws:iam::123456789012:role/Admin"}`, `"kms:*"`, "")),
			giveGrantsErr: accessDenied,
			wantStatus:    check.Warn,
			wantMessage:   []string{"not certain", "grant", "kms:ListGrants"},
		},
		{
			name: "allows through Secrets Manager in the secret's region",
			givePolicy: policy(statement("Allow", `{"AWS":"*"}`, `["kms:Decrypt","kms:GenerateDataKey"]`,
				`{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com","kms:CallerAccount":"123456789012"},"StringLike":{"kms:EncryptionContext:SecretARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:sf*"}}`)),
			giveDeny:   noKMSInIAM,
			wantStatus: check.Pass,
		},
		{
			name: "allows through Secrets Manager of another region",
			givePolicy: policy(statement("Allow", `{"AWS":"*"}`, `["kms:Decrypt","kms:GenerateDataKey"]`,
				`{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}`)),
			giveDeny:    noKMSInIAM,
			wantStatus:  check.Fail,
			wantMessage: []string{"implicitDeny"},
		},
		{
			name:       "denies use outside Secrets Manager only",
			givePolicy: policy(root, statement("Deny", `"*"`, `"kms:Decrypt"`, `{"StringNotEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}`)),
			wantStatus: check.Pass,
		},
		{
			name:        "denies the role",
			givePolicy:  policy(root, statement("Deny", `{"AWS":"`+roleARN+`"}`, `"kms:GenerateDataKey*"`, "")),
			wantStatus:  check.Fail,
			wantMessage: []string{"kms:GenerateDataKey on " + keyARN + " (explicitDeny)", "the key policy denies it"},
		},
		{
			name:        "another account's key delegating to its own account only",
			giveKeyARN:  crossKeyARN,
			givePolicy:  policy(statement("Allow", `{"AWS":"arn:aws:iam::999999999999:root"}`, `"kms:*"`, "")),
			wantStatus:  check.Fail,
			wantMessage: []string{"kms:Decrypt on " + crossKeyARN + " (implicitDeny)"},
		},
		{
			name:       "another account's key allowing the role's account",
			giveKeyARN: crossKeyARN,
			givePolicy: policy(statement("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`, `["kms:Decrypt","kms:GenerateDataKey"]`, "")),
			wantStatus: check.Pass,
		},
		{
			name:        "another account's key allowing the role, IAM does not",
			giveKeyARN:  crossKeyARN,
			givePolicy:  policy(roleOnly),
			giveDeny:    noKMSInIAM,
			wantStatus:  check.Fail,
			wantMessage: []string{"no IAM policy of the role allows it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			key := keyARN
			if tt.giveKeyARN != "" {
				key = tt.giveKeyARN
			}
			f.SecretsManager.DescribeSecretFn = func(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
				return &secretsmanager.DescribeSecretOutput{ARN: in.SecretId, KmsKeyId: aws.String(key)}, nil
			}
			f.KMS.DescribeKeyFn = func(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				return &kms.DescribeKeyOutput{KeyMetadata: keyMeta(keyID, key)}, nil
			}
			f.KMS.GetKeyPolicyFn = func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
				return &kms.GetKeyPolicyOutput{Policy: aws.String(tt.givePolicy)}, nil
			}
			f.KMS.ListGrantsFn = func(_ context.Context, in *kms.ListGrantsInput, _ ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
				assert.Equal(t, key, aws.ToString(in.KeyId))
				return errOr(&kms.ListGrantsOutput{Grants: tt.giveGrants}, tt.giveGrantsErr)
			}
			f.IAM.SimulatePrincipalPolicyFn = decideBy(tt.giveDeny)

			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())

			if tt.wantStatus == check.Fail {
				assertFailed(t, r, check.KmsKey, failure.Permission)
			} else {
				assertOK(t, r, check.KmsKey, tt.wantStatus)
			}
			for _, m := range tt.wantMessage {
				assert.Contains(t, r.Message, m)
			}
		})
	}
}

// TestKmsKey_identityContext: the role's own policies conditioned on the
// real call's context (kms:ViaService) are simulated with that context.
func TestKmsKey_identityContext(t *testing.T) {
	f := checktest.NewDeployment()
	f.IAM.SimulatePrincipalPolicyFn = func(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, o ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
		decision := iamtypes.PolicyEvaluationDecisionTypeAllowed
		if in.ResourceArns[0] == keyARN {
			if v := contextOf(in)["kms:ViaService"]; len(v) != 1 || v[0] != "secretsmanager.us-east-1.amazonaws.com" {
				decision = implicit // the role's policy says: only through Secrets Manager
			}
		}
		return simulated(in, decision), nil
	}
	r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
	assertOK(t, r, check.KmsKey, check.Pass)
}

// TestKmsKey_grantConstraints: a grant limited to the secret's encryption
// context counts; one for another secret does not.
func TestKmsKey_grantConstraints(t *testing.T) {
	noKeyPolicyForRole := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Admin"},"Action":"kms:*","Resource":"*"}]}`
	grant := func(subset map[string]string) kmstypes.GrantListEntry {
		return kmstypes.GrantListEntry{GrantId: aws.String("g-1"), GranteePrincipal: aws.String(roleARN),
			Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationGenerateDataKey},
			Constraints: &kmstypes.GrantConstraints{EncryptionContextSubset: subset}}
	}
	tests := []struct {
		name       string
		give       kmstypes.GrantListEntry
		wantStatus check.Status
	}{
		{"this secret", grant(map[string]string{"SecretARN": secretARN}), check.Pass},
		{"another secret", grant(map[string]string{"SecretARN": givenSecretARN}), check.Fail},
		{"one version", grant(map[string]string{"SecretVersionId": "v-1"}), check.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.KMS.GetKeyPolicyFn = func(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
				return &kms.GetKeyPolicyOutput{Policy: aws.String(noKeyPolicyForRole)}, nil
			}
			f.KMS.ListGrantsFn = func(context.Context, *kms.ListGrantsInput, ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
				return &kms.ListGrantsOutput{Grants: []kmstypes.GrantListEntry{tt.give}}, nil
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.KmsKey, target())
			require.Equal(t, tt.wantStatus, r.Status, r.Message)
		})
	}
}
