package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The Sids of the functions' statements; tests and readers find them by Sid.
const (
	SidWriteOwnLogs       = "WriteOwnLogs"
	SidReadTargetConfig   = "ReadTargetConfig"
	SidInvokeTarget       = "InvokeTarget"
	SidReadSecret         = "ReadSecret"
	SidDescribeKey        = "DescribeKey"
	SidDecryptViaSecrets  = "DecryptSecretViaSecretsManager"
	SidSimulateRole       = "SimulateTargetRolePolicies"
	SidPutMetrics         = "PutMetricsInNamespace"
	SidInvokeFunctions    = "InvokeSfprobeFunctions"
	SidReadPauseParameter = "ReadPauseParameter"
)

// targetResources are the target function and its qualifiers (versions and
// aliases): the checks call it by the reference they were given.
func (c Config) targetResources() []string {
	base := c.targetBaseArn()
	return []string{base, base + ":*"}
}

// FunctionPolicies returns each function's statements beyond its logs:
// least privilege, on the named resources only.
//
//   - check-config reads the target's configuration and resource policy,
//     the secret's metadata, value and versions, describes the key, decrypts
//     only through Secrets Manager, and simulates the target role's policies
//     when targetRoleArn is given;
//   - check-salesforce and cleanup invoke the target;
//   - publish-metrics puts metrics in the configured namespace only.
func FunctionPolicies(c Config) map[string][]awsiam.PolicyStatement {
	stmt := func(sid string, actions, resources []string, conditions map[string]any) awsiam.PolicyStatement {
		p := &awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Actions:   jsii.Strings(actions...),
			Resources: jsii.Strings(resources...),
		}
		if conditions != nil {
			p.Conditions = &conditions
		}
		return awsiam.NewPolicyStatement(p)
	}
	invoke := stmt(SidInvokeTarget, []string{"lambda:InvokeFunction"}, c.targetResources(), nil)

	checkConfig := []awsiam.PolicyStatement{
		stmt(SidReadTargetConfig, []string{"lambda:GetFunctionConfiguration", "lambda:GetPolicy"}, c.targetResources(), nil),
		stmt(SidReadSecret, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"}, []string{c.SecretArn}, nil),
		stmt(SidDescribeKey, []string{"kms:DescribeKey"}, []string{c.KmsKeyArn}, nil),
		stmt(SidDecryptViaSecrets, []string{"kms:Decrypt"}, []string{c.KmsKeyArn}, map[string]any{
			"StringEquals": map[string]any{
				"kms:ViaService":                  "secretsmanager." + arnField(c.SecretArn, 3) + ".amazonaws.com",
				"kms:EncryptionContext:SecretARN": c.SecretArn,
			},
		}),
	}
	if c.TargetRoleArn != "" {
		checkConfig = append(checkConfig, stmt(SidSimulateRole, []string{"iam:SimulatePrincipalPolicy"}, []string{c.TargetRoleArn}, nil))
	}
	return map[string][]awsiam.PolicyStatement{
		FnCheckConfig:     checkConfig,
		FnCheckSalesforce: {invoke},
		FnCleanup:         {invoke},
		FnPublishMetrics: {
			stmt(SidPutMetrics, []string{"cloudwatch:PutMetricData"}, []string{"*"}, map[string]any{
				"StringEquals": map[string]any{"cloudwatch:namespace": c.MetricNamespace},
			}),
		},
	}
}
