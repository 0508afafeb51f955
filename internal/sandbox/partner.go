package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sfprobe/sfprobe/internal/assume"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/handler"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// The second simulated account (Options.Partner): a partner's deployment
// of sfInvokeAPI that sfprobe reaches only through a role there.
const (
	PartnerAccountID = "210987654321"
	// PartnerFunctionName is the partner's sfInvokeAPI (its own name: the
	// gateway routes invocations by bare name).
	PartnerFunctionName = "sfInvokeAPI-partner"
	// PartnerRoleName trusts the sandbox's account (sfprobe's principal
	// DefaultPrincipalARN) with PartnerExternalID.
	PartnerRoleName = "sfprobe-target"
	// PartnerUntrustingRoleName trusts another account only.
	PartnerUntrustingRoleName = "sfprobe-target-untrusting"
	PartnerExternalID         = "sfprobe-sandbox-partner"
	PartnerConnectInstanceID  = "0c7b7a4e-2222-4b4b-8e8e-6f1f6f6f6f6f"
	// partnerProvisioner is the role whose moto credentials provision the
	// partner account (moto issues credentials for any role ARN).
	partnerProvisioner = "sandbox-provisioner"
)

// Partner is the second simulated account's deployment.
type Partner struct {
	// Target is the partner's target, through PartnerRoleName with the
	// right ExternalID.
	Target   check.Target
	Function *sim.Function
	Connect  *ConnectInstance
	// UntrustingRoleARN is a role whose trust policy does not trust
	// sfprobe's principal.
	UntrustingRoleARN string
}

// Partner is the second account's deployment; nil without Options.Partner.
func (s *Sandbox) Partner() *Partner { return s.partner }

// trustPolicy trusts account's principals with externalID.
func trustPolicy(account, externalID string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},`+
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"%s"}}}]}`, account, externalID)
}

// provisionPartner creates the partner account's function, secret, key,
// Connect instance and roles, after the default account's: its function
// has the same org and settings, its own secret (the same credentials)
// encrypted with its own key.
func (s *Sandbox) provisionPartner(ctx context.Context) error {
	cfg, err := s.accountConfig(ctx, PartnerAccountID)
	if err != nil {
		return err
	}
	iamc, kmsc, smc, lc := iam.NewFromConfig(cfg), kms.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg), awslambda.NewFromConfig(cfg)
	p := &Partner{}
	roles := map[string]string{
		PartnerRoleName:           trustPolicy(AccountID, PartnerExternalID),
		PartnerUntrustingRoleName: trustPolicy("999999999999", PartnerExternalID),
		TargetRoleName:            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	}
	arns := map[string]string{}
	for name, doc := range roles {
		r, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
		if err != nil {
			return fmt.Errorf("partner: create role %s: %w", name, err)
		}
		arns[name] = aws.ToString(r.Role.Arn)
	}
	p.UntrustingRoleARN = arns[PartnerUntrustingRoleName]
	key, err := s.createKey(ctx, kmsc, KeyAlias, "partner's sfInvokeAPI credentials")
	if err != nil {
		return fmt.Errorf("partner: %w", err)
	}

	// The default account's secret and environment, copied.
	home := s.Config()
	value, err := secretsmanager.NewFromConfig(home).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.Target.SecretARN)})
	if err != nil {
		return fmt.Errorf("partner: read the default secret: %w", err)
	}
	fc, err := awslambda.NewFromConfig(home).GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(TargetFunctionName)})
	if err != nil || fc.Environment == nil {
		return fmt.Errorf("partner: read the default function: %w", err)
	}
	sec, err := smc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(SecretName), KmsKeyId: aws.String(key), SecretString: value.SecretString})
	if err != nil {
		return fmt.Errorf("partner: create secret: %w", err)
	}
	env := map[string]string{}
	for k, v := range fc.Environment.Variables {
		env[k] = v
	}
	env[check.EnvSecretARN] = aws.ToString(sec.ARN)
	fn, err := lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String(PartnerFunctionName), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("sfInvokeAPI.lambda_handler"),
		Role: aws.String(arns[TargetRoleName]), Timeout: fc.Timeout, MemorySize: aws.Int32(TargetMemorySizeMB),
		Code: &lambdatypes.FunctionCode{ZipFile: placeholderZip()}, Environment: &lambdatypes.Environment{Variables: env},
		Description: aws.String("the partner's simulated sfInvokeAPI v5.26"),
	})
	if err != nil {
		return fmt.Errorf("partner: create function: %w", err)
	}
	fnARN := aws.ToString(fn.FunctionArn)
	connectARN := "arn:aws:connect:" + Region + ":" + PartnerAccountID + ":instance/" + PartnerConnectInstanceID
	if _, err := lc.AddPermission(ctx, &awslambda.AddPermissionInput{
		FunctionName: aws.String(PartnerFunctionName), StatementId: aws.String("connect-invoke"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("connect.amazonaws.com"),
		SourceArn: aws.String(connectARN), SourceAccount: aws.String(PartnerAccountID),
	}); err != nil {
		return fmt.Errorf("partner: add the Connect permission: %w", err)
	}

	// The function reads its secret with the partner account's credentials.
	p.Function = sim.NewFunction(s.Org, smc, env, sim.WithTimeout(s.functionTimeout()))
	s.aws.Router().Handle(PartnerFunctionName, newPlatform(p.Function, TargetMemorySizeMB, ExecutedVersion))
	p.Connect = newConnectInstance(fnARN, false, s.opts.NoContactFlows)
	p.Connect.ID = PartnerConnectInstanceID
	g := s.aws.Gateway()
	g.ServeConnect(connectInstances{s.Connect, p.Connect})
	g.Own(TargetFunctionName, AccountID)
	g.Own(ConnectInstanceID, AccountID)
	g.Own(PartnerFunctionName, PartnerAccountID)
	g.Own(PartnerConnectInstanceID, PartnerAccountID)

	p.Target = s.Target
	p.Target.Function, p.Target.SecretARN, p.Target.KMSKeyARN, p.Target.ConnectInstanceARN = fnARN, aws.ToString(sec.ARN), key, connectARN
	p.Target.Name = "partner"
	p.Target.ExpectVersion = ""
	p.Target.RoleARN, p.Target.ExternalID = arns[PartnerRoleName], PartnerExternalID
	s.partner = p
	return nil
}

// accountConfig is an SDK configuration for the sandbox with credentials
// in account: moto's STS, asked directly (not through the gateway's trust
// stand-in), issues them for any role ARN.
func (s *Sandbox) accountConfig(ctx context.Context, account string) (aws.Config, error) {
	motoCfg := s.Config().Copy()
	motoCfg.BaseEndpoint = aws.String(s.aws.Moto().URL())
	out, err := sts.NewFromConfig(motoCfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + partnerProvisioner), RoleSessionName: aws.String(partnerProvisioner)})
	if err != nil {
		return aws.Config{}, fmt.Errorf("credentials in account %s: %w", account, err)
	}
	c := out.Credentials
	cfg := s.Config().Copy()
	cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	return cfg, nil
}

// regions gives sfprobe's functions in the sandbox the clients of a target
// in another region or with a role (assumed through the gateway).
func (s *Sandbox) regions() *handler.Regions {
	build := func(region string, creds aws.CredentialsProvider) check.Deps {
		c := handler.ConfigFor(s.cfg, region, creds)
		return check.DepsFrom(check.Clients{
			Lambda: awslambda.NewFromConfig(c), SecretsManager: secretsmanager.NewFromConfig(c), KMS: kms.NewFromConfig(c),
			IAM: iam.NewFromConfig(c), Connect: connect.NewFromConfig(c), HTTP: s.SalesforceHTTP(),
		})
	}
	return handler.NewRegions(Region, build, assume.FromConfig(s.cfg))
}

// connectInstances serves the Connect API of several instances, by the
// instance id in the path.
type connectInstances []*ConnectInstance

func (cs connectInstances) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := connectInstanceOf(r.URL.Path)
	for _, c := range cs {
		if c != nil && c.ID == id {
			c.ServeHTTP(w, r)
			return
		}
	}
	lambdahttp.WriteAPIError(w, &lambdahttp.APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "instance " + id + " not found"})
}

// connectInstanceOf is the instance id of a Connect API path
// (/instance/{id}/..., /contact-flows/{id}/..., ...).
func connectInstanceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// connectAction names the Connect operation of a path, for messages.
func connectAction(path string) string {
	switch {
	case strings.HasPrefix(path, "/instance/"):
		return "ListLambdaFunctions"
	case strings.HasPrefix(path, "/contact-flows-summary/"):
		return "ListContactFlows"
	case strings.HasPrefix(path, "/contact-flow-modules-summary/"):
		return "ListContactFlowModules"
	case strings.HasPrefix(path, "/contact-flow-modules/"):
		return "DescribeContactFlowModule"
	default:
		return "DescribeContactFlow"
	}
}
