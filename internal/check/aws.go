package check

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// The environment variables sfInvokeAPI v5.26 reads (contract §4).
const (
	EnvNamespace   = "SF_ADAPTER_NAMESPACE"
	EnvSecretARN   = "SF_CREDENTIALS_SECRETS_MANAGER_ARN"
	EnvVersion     = "SF_VERSION"
	EnvHost        = "SF_HOST"
	EnvUsername    = "SF_USERNAME"
	EnvProduction  = "SF_PRODUCTION"
	EnvAuthMode    = "SF_AUTH_MODE"
	authModeClient = "client_credentials"
)

// DefaultMaxSecretVersions is the version count above which SecretAccess
// warns: every token refresh writes a version (contract §7.5).
const DefaultMaxSecretVersions = 80

// session memoizes discovery (the function configuration, the secret's
// metadata) so concurrent checks of one run share one call each.
type session struct {
	deps   Deps
	target Target
	opts   options

	fnOnce sync.Once
	fn     *lambda.GetFunctionConfigurationOutput
	fnErr  error

	secOnce sync.Once
	sec     *secretsmanager.DescribeSecretOutput
	secARN  string
	secErr  error

	grantsOnce sync.Once
	grantList  []kmstypes.GrantListEntry
	grantsErr  error
}

func newSession(d Deps, t Target, o options) *session { return &session{deps: d, target: t, opts: o} }

func (s *session) function(ctx context.Context) (*lambda.GetFunctionConfigurationOutput, error) {
	s.fnOnce.Do(func() {
		if s.deps.FunctionConfig == nil {
			s.fnErr = failure.New(failure.Config, "no Lambda client configured")
			return
		}
		out, err := s.deps.FunctionConfig.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(s.target.Function)})
		if err != nil {
			s.fnErr = awsFailure(ctx, "get function configuration of "+s.target.Function, err)
			return
		}
		s.fn = out
	})
	return s.fn, s.fnErr
}

func envOf(fn *lambda.GetFunctionConfigurationOutput) map[string]string {
	if fn == nil || fn.Environment == nil || fn.Environment.Variables == nil {
		return map[string]string{}
	}
	return fn.Environment.Variables
}

// secretARN returns the target's secret: the given one, else the function's.
func (s *session) secretARN(ctx context.Context) (string, error) {
	if s.target.SecretARN != "" {
		return s.target.SecretARN, nil
	}
	fn, err := s.function(ctx)
	if err != nil {
		return "", fmt.Errorf("discover the secret from the function: %w", err)
	}
	arn := envOf(fn)[EnvSecretARN]
	if arn == "" {
		return "", failure.New(failure.Config, "the function has no %s and no --secret-arn was given", EnvSecretARN)
	}
	return arn, nil
}

func (s *session) secret(ctx context.Context) (*secretsmanager.DescribeSecretOutput, string, error) {
	s.secOnce.Do(func() {
		arn, err := s.secretARN(ctx)
		if err != nil {
			s.secErr = err
			return
		}
		s.secARN = arn
		if s.deps.SecretMeta == nil {
			s.secErr = failure.New(failure.Config, "no Secrets Manager client configured")
			return
		}
		out, err := s.deps.SecretMeta.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
		if err != nil {
			s.secErr = awsFailure(ctx, "describe secret "+arn, err)
			return
		}
		if out.DeletedDate != nil {
			s.secErr = failure.New(failure.NotFound, "secret %s is scheduled for deletion on %s", arn, out.DeletedDate.UTC().Format("2006-01-02"))
			return
		}
		s.sec = out
	})
	return s.sec, s.secARN, s.secErr
}

var (
	versionRe  = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	usernameRe = regexp.MustCompile(`^.+@.+\..+$`)
	// Runtimes sfInvokeAPI v5.26 can run on that AWS still supports.
	supportedRuntimes = map[lambdatypes.Runtime]bool{"python3.12": true, "python3.13": true, "python3.14": true}
)

// loginHost reports whether host is a Salesforce login host rather than the
// org's My Domain (the cause of URL_NOT_RESET, contract §7.1).
func loginHost(host string) bool {
	return loginHosts[strings.TrimSuffix(strings.ToLower(host), ".")]
}

// loginHosts are Salesforce's shared login hosts. A My Domain may well be
// named login or test (test.my.salesforce.com): match hosts, not labels.
var loginHosts = map[string]bool{
	"login.salesforce.com": true, // production
	"test.salesforce.com":  true, // sandboxes
}

// checkTargetConfig: the function exists, is Active and Successful, and its
// environment is what sfInvokeAPI needs. Its result names the org the
// function calls (SalesforceHost), whatever the verdict.
func (s *session) checkTargetConfig(ctx context.Context) Result {
	fn, err := s.function(ctx)
	if err != nil {
		return failedErr(TargetConfig, err)
	}
	r := judgeTargetConfig(fn)
	r.SalesforceHost = orgHost(envOf(fn)[EnvHost])
	return r
}

// judgeTargetConfig judges the function's configuration.
func judgeTargetConfig(fn *lambda.GetFunctionConfigurationOutput) Result {
	var problems, warnings []string
	if fn.State != lambdatypes.StateActive {
		problems = append(problems, fmt.Sprintf("state is %s, want Active (%s)", fn.State, aws.ToString(fn.StateReason)))
	}
	if fn.LastUpdateStatus != "" && fn.LastUpdateStatus != lambdatypes.LastUpdateStatusSuccessful {
		problems = append(problems, fmt.Sprintf("last update status is %s, want Successful (%s)", fn.LastUpdateStatus, aws.ToString(fn.LastUpdateStatusReason)))
	}
	env := envOf(fn)
	envProblems, envWarnings := envProblems(env, authFlowOf(fn))
	problems = append(problems, envProblems...)
	warnings = append(warnings, envWarnings...)
	if t := aws.ToInt32(fn.Timeout); t > 0 && t <= 6 {
		warnings = append(warnings, fmt.Sprintf("timeout is %d s: sfInvokeAPI often needs more (raise it to 10-15 s)", t))
	}
	if fn.Runtime != "" && !supportedRuntimes[fn.Runtime] {
		warnings = append(warnings, fmt.Sprintf("runtime %s is deprecated or unsupported: move to python3.12 with a layer built for it", fn.Runtime))
	}
	if len(problems) > 0 {
		return failed(TargetConfig, failure.Config, strings.Join(problems, "; "))
	}
	summary := fmt.Sprintf("%s is Active (%s, %d s timeout) with SF_HOST %s", aws.ToString(fn.FunctionName), fn.Runtime, aws.ToInt32(fn.Timeout), env[EnvHost])
	if len(warnings) > 0 {
		return warned(TargetConfig, summary+"; warning: "+strings.Join(warnings, "; "))
	}
	return passed(TargetConfig, summary)
}

// envProblems lists what is wrong with sfInvokeAPI's environment, and what
// may be, for the function's login flow.
func envProblems(env map[string]string, flow authFlow) (problems, warnings []string) {
	if _, ok := env[EnvNamespace]; !ok {
		problems = append(problems, EnvNamespace+" is not set (the module fails to import)")
	}
	host := env[EnvHost]
	if host == "" {
		problems = append(problems, EnvHost+" is not set")
	} else if u, err := url.Parse(host); err != nil || u.Scheme != "https" || u.Host == "" {
		problems = append(problems, fmt.Sprintf("%s %q is not an https URL", EnvHost, host))
	} else if loginHost(u.Hostname()) {
		problems = append(problems, fmt.Sprintf("%s %q is a login host: set it to the org's My Domain URL (https://<domain>.my.salesforce.com), or every call fails with URL_NOT_RESET", EnvHost, host))
	}
	if v := env[EnvVersion]; !versionRe.MatchString(v) {
		problems = append(problems, fmt.Sprintf("%s %q is not an API version like v60.0", EnvVersion, v))
	}
	mode := strings.ToLower(env[EnvAuthMode])
	switch {
	case flow.ignored:
		warnings = append(warnings, fmt.Sprintf("%s %q is ignored by sfInvokeAPI v5.%d (it needs v5.%d or later): the function logs in with the username-password flow", EnvAuthMode, env[EnvAuthMode], flow.release, authModeSince))
	case mode == "", mode == "password", mode == authModeClient:
	default:
		problems = append(problems, fmt.Sprintf("%s %q is not password or client_credentials", EnvAuthMode, env[EnvAuthMode]))
	}
	if flow.unsure {
		warnings = append(warnings, fmt.Sprintf("%s client_credentials needs sfInvokeAPI v5.%d or later and sfprobe cannot read the function's release: v5.26 ignores it and logs in with the username-password flow (SF_USERNAME, SF_PRODUCTION, the secret's Password and AccessToken)", EnvAuthMode, authModeSince))
	}
	if !flow.clientCredentials && !usernameRe.MatchString(env[EnvUsername]) {
		problems = append(problems, EnvUsername+" is not set to the API user's username")
	}
	switch strings.ToLower(env[EnvProduction]) { // sfInvokeAPI lowercases it
	case "true", "false":
	default:
		problems = append(problems, fmt.Sprintf("%s %q is not true or false", EnvProduction, env[EnvProduction]))
	}
	if u, err := url.Parse(host); err == nil && strings.EqualFold(env[EnvProduction], "true") && sandboxHost(u.Hostname()) {
		// The password flow logs in at login.salesforce.com in production
		// (contract §4), which does not know a sandbox's users.
		msg := fmt.Sprintf("%s is true but %s %q is a sandbox My Domain: the token refresh logs in at login.salesforce.com, which rejects sandbox users (invalid_grant); set SalesforceProduction to false", EnvProduction, EnvHost, host)
		switch {
		case flow.unsure:
			warnings = append(warnings, msg+" (unless the function is v5.28+ in client_credentials mode)")
		case !flow.clientCredentials:
			problems = append(problems, msg)
		}
	}
	if arn := env[EnvSecretARN]; arn == "" {
		problems = append(problems, EnvSecretARN+" is not set")
	} else if validate.SecretARN(EnvSecretARN, arn) != nil {
		problems = append(problems, fmt.Sprintf("%s %q is not a secret ARN", EnvSecretARN, arn))
	}
	return problems, warnings
}

// sandboxHost reports whether host is a sandbox's (or scratch org's) My
// Domain: <org>--<sandbox>.sandbox.my.salesforce.com, or the older
// <org>--<sandbox>.<instance>.my.salesforce.com.
func sandboxHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if !strings.HasSuffix(h, ".my.salesforce.com") {
		return false
	}
	first, _, _ := strings.Cut(h, ".")
	return strings.HasSuffix(h, ".sandbox.my.salesforce.com") || strings.HasSuffix(h, ".scratch.my.salesforce.com") || strings.Contains(first, "--")
}

// secretString reads the secret's value. From then on this process removes
// the secret's values from every text it lets out, in any encoding.
func (s *session) secretString(ctx context.Context, arn string) (string, error) {
	if s.deps.Secrets == nil {
		return "", failure.New(failure.Config, "no Secrets Manager client configured")
	}
	out, err := s.deps.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", awsFailure(ctx, "get secret value of "+arn, err)
	}
	secret := aws.ToString(out.SecretString)
	redact.RegisterSecret(secret)
	return secret, nil
}

// checkSecretAccess: the secret is readable, a JSON object with the keys
// sfInvokeAPI needs, and its versions are not piling up. Secret values never
// leave this function.
func (s *session) checkSecretAccess(ctx context.Context) Result {
	_, arn, err := s.secret(ctx)
	if err != nil {
		return failedErr(SecretAccess, err)
	}
	secret, err := s.secretString(ctx, arn)
	if err != nil {
		return failedErr(SecretAccess, err)
	}
	required := passwordKeys
	var warnings []string
	if fn, ferr := s.function(ctx); ferr == nil {
		if flow := authFlowOf(fn); flow.clientCredentials {
			required = clientCredentialsKeys
			if missing, _, err := missingKeys(secret, passwordKeys); flow.unsure && err == nil && len(missing) > 0 {
				warnings = append(warnings, fmt.Sprintf("it lacks %s, which sfInvokeAPI v5.26 (it ignores %s) needs: confirm the function is v5.%d or later", strings.Join(missing, ", "), EnvAuthMode, authModeSince))
			}
		}
	}
	missing, empty, err := missingKeys(secret, required)
	if err != nil {
		return failed(SecretAccess, failure.Config, fmt.Sprintf("secret %s: %v", arn, err))
	} else if len(missing) > 0 {
		return failed(SecretAccess, failure.Config, fmt.Sprintf("secret %s lacks non-empty %s", arn, strings.Join(missing, ", ")))
	}
	n, err := s.countVersions(ctx, arn)
	if err != nil {
		return failedErr(SecretAccess, err)
	}
	msg := fmt.Sprintf("secret %s is readable with %s; %d versions", arn, strings.Join(required, ", "), n)
	over := false
	if max := s.opts.maxSecretVersions; n > max {
		msg += fmt.Sprintf(", more than %d: token write-backs pile versions up (Secrets Manager keeps at most 100)", max)
		over = true
	}
	if len(empty) > 0 {
		msg += fmt.Sprintf("; note: %s is empty, which is right when the API user needs no security token (its logins come from a trusted IP range, or the Connected App relaxes IP restrictions)", strings.Join(empty, ", "))
	}
	if len(warnings) > 0 {
		return warned(SecretAccess, msg+"; warning: "+strings.Join(warnings, "; "))
	}
	if over {
		return warned(SecretAccess, msg)
	}
	return passed(SecretAccess, msg)
}

// The secret's keys each login flow needs (contract §4).
var (
	passwordKeys          = []string{"Password", "AccessToken", "ConsumerKey", "ConsumerSecret"}
	clientCredentialsKeys = []string{"ConsumerKey", "ConsumerSecret"}
)

// mayBeEmpty are the secret's keys sfInvokeAPI needs present but not set:
// AccessToken, the user's security token, is appended to the password and
// is empty when the org needs none (contract §4).
var mayBeEmpty = map[string]bool{"AccessToken": true}

// missingKeys parses the secret string and names the required keys that are
// absent or empty (missing), and those present but empty that may be
// (empty). Errors never quote the secret.
func missingKeys(secret string, required []string) (missing, empty []string, err error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(secret), &obj); err != nil || obj == nil {
		return nil, nil, fmt.Errorf("the SecretString is not a JSON object")
	}
	for _, k := range required {
		v, ok := obj[k].(string)
		switch {
		case ok && v == "" && mayBeEmpty[k]:
			empty = append(empty, k)
		case !ok || v == "":
			missing = append(missing, k)
		}
	}
	return missing, empty, nil
}

func (s *session) countVersions(ctx context.Context, arn string) (int, error) {
	if s.deps.SecretVersions == nil {
		return 0, failure.New(failure.Config, "no Secrets Manager client configured")
	}
	p := secretsmanager.NewListSecretVersionIdsPaginator(s.deps.SecretVersions, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(arn), IncludeDeprecated: aws.Bool(true),
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, awsFailure(ctx, "list secret versions of "+arn, err)
		}
		n += len(page.Versions)
	}
	return n, nil
}

// checkKmsKey: the secret's key is enabled, symmetric, for encryption, equal
// to the expected key, and the function's role may use it.
func (s *session) checkKmsKey(ctx context.Context) Result {
	sec, arn, err := s.secret(ctx)
	if err != nil {
		return failedErr(KmsKey, err)
	}
	if s.deps.Keys == nil {
		return failed(KmsKey, failure.Config, "no KMS client configured")
	}
	keyRef := aws.ToString(sec.KmsKeyId)
	if keyRef == "" {
		if s.target.KMSKeyARN != "" {
			return failed(KmsKey, failure.Config, fmt.Sprintf("secret %s uses the AWS managed key aws/secretsmanager, not %s", arn, s.target.KMSKeyARN))
		}
		keyRef = "alias/aws/secretsmanager"
	}
	key, err := s.describeKey(ctx, keyRef)
	if err != nil {
		return failedErr(KmsKey, err)
	}
	var problems []string
	if !key.Enabled || key.KeyState != kmstypes.KeyStateEnabled {
		problems = append(problems, fmt.Sprintf("key state is %s, want Enabled", key.KeyState))
	}
	if key.KeySpec != "" && key.KeySpec != kmstypes.KeySpecSymmetricDefault {
		problems = append(problems, fmt.Sprintf("key spec is %s, want SYMMETRIC_DEFAULT", key.KeySpec))
	}
	if key.KeyUsage != "" && key.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt {
		problems = append(problems, fmt.Sprintf("key usage is %s, want ENCRYPT_DECRYPT", key.KeyUsage))
	}
	if len(problems) > 0 {
		return failed(KmsKey, failure.Config, fmt.Sprintf("key %s of secret %s: %s", aws.ToString(key.Arn), arn, strings.Join(problems, "; ")))
	}
	if want := s.target.KMSKeyARN; want != "" {
		wantKey, err := s.describeKey(ctx, want)
		if err != nil {
			return failedErr(KmsKey, err)
		}
		if aws.ToString(wantKey.KeyId) != aws.ToString(key.KeyId) {
			return failed(KmsKey, failure.Config, fmt.Sprintf("secret %s is encrypted with %s, not the expected %s", arn, aws.ToString(key.Arn), want))
		}
	}
	msg := fmt.Sprintf("secret %s is encrypted with enabled key %s", arn, aws.ToString(key.Arn))
	// The role's secret actions matter whatever the key: without
	// PutSecretValue every call fails from the first token refresh on.
	note, err := s.simulate(ctx, arn, aws.ToString(key.Arn))
	if err != nil {
		return failedErr(KmsKey, err)
	}
	var warnings []string
	if keyRef == "alias/aws/secretsmanager" {
		warnings = append(warnings, "that is the AWS managed key, the setup guide uses a customer managed key")
	}
	if note != "" {
		warnings = append(warnings, note)
	}
	if len(warnings) > 0 {
		return warned(KmsKey, msg+"; warning: "+strings.Join(warnings, "; "))
	}
	return passed(KmsKey, msg+"; the function's role may read and write the secret and use the key")
}

func (s *session) describeKey(ctx context.Context, ref string) (*kmstypes.KeyMetadata, error) {
	out, err := s.deps.Keys.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	if err != nil {
		return nil, awsFailure(ctx, "describe key "+ref, err)
	}
	if out.KeyMetadata == nil {
		return nil, failure.New(failure.UnexpectedResponse, "describe key %s: no metadata", ref)
	}
	return out.KeyMetadata, nil
}

// checkConnectPolicy: the function's resource policy lets Amazon Connect
// (the given instance, when one is given) invoke it. It also returns the
// instances the policy's Allow statements name.
func (s *session) checkConnectPolicy(ctx context.Context) (Result, []string) {
	if s.deps.Policy == nil {
		return failed(ConnectAccess, failure.Config, "no Lambda client configured"), nil
	}
	out, err := s.deps.Policy.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(s.target.Function)})
	if err != nil {
		if classifyAWS(ctx, err) == failure.NotFound {
			return failed(ConnectAccess, failure.Permission, "the function has no resource policy, so Amazon Connect cannot invoke it: add it to the Connect instance (Contact flows > AWS Lambda)"), nil
		}
		return failedErr(ConnectAccess, awsFailure(ctx, "get resource policy of "+s.target.Function, err)), nil
	}
	doc, err := parseResourcePolicy(aws.ToString(out.Policy))
	if err != nil {
		return failed(ConnectAccess, failure.UnexpectedResponse, "the resource policy is not JSON"), nil
	}
	instances, unscoped := connectScopes(doc)
	connect := policyPrincipal{Service: connectService}
	want := s.target.ConnectInstanceARN
	// Lambda evaluates the policy with the caller's context: Connect's
	// calls carry the instance as AWS:SourceArn and its account as
	// AWS:SourceAccount. Without an instance, those are unknown.
	reqCtx := map[string][]string{}
	if want != "" {
		reqCtx["aws:sourcearn"] = []string{want}
		reqCtx["aws:sourceaccount"] = []string{arnAccount(want)}
	}
	ev := doc.evaluate(policyRequest{Principal: connect, Action: "lambda:InvokeFunction", Context: reqCtx})
	maybeDeny := ""
	if len(ev.MaybeDeny) > 0 {
		maybeDeny = "; warning: a Deny statement may apply: " + strings.Join(ev.MaybeDeny, ", ")
	}
	switch {
	case len(instances) == 0 && !unscoped:
		msg := "no statement lets connect.amazonaws.com invoke the function: add it to the Connect instance (Contact flows > AWS Lambda)"
		if len(ev.Deny) > 0 {
			msg += "; and " + strings.Join(ev.Deny, ", ") + " denies it"
		}
		return failed(ConnectAccess, failure.Permission, msg), instances
	case len(ev.Deny) > 0:
		whom := "Amazon Connect"
		if want != "" {
			whom = "Amazon Connect instance " + want
		}
		return failed(ConnectAccess, failure.Permission, fmt.Sprintf("the resource policy denies %s the invocation (%s): remove or narrow that Deny statement", whom, strings.Join(ev.Deny, ", "))), instances
	case want != "" && len(ev.Allow) == 0 && len(ev.MaybeAllow) > 0:
		return warned(ConnectAccess, fmt.Sprintf("Amazon Connect instance %s may invoke the function only under conditions sfprobe cannot evaluate: %s", want, strings.Join(ev.MaybeAllow, ", "))), instances
	case want != "" && len(ev.Allow) == 0:
		if len(instances) == 0 {
			return failed(ConnectAccess, failure.Permission, fmt.Sprintf("the resource policy does not let Amazon Connect instance %s invoke the function (its statements' AWS:SourceArn/AWS:SourceAccount conditions exclude it): add the function to that instance", want)), instances
		}
		return failed(ConnectAccess, failure.Permission, fmt.Sprintf("Amazon Connect may invoke the function only from %s, not from %s: add the function to that instance", strings.Join(instances, ", "), want)), instances
	case want != "" && unscoped:
		return warned(ConnectAccess, fmt.Sprintf("Amazon Connect may invoke the function from any instance (not scoped to %s)%s", want, maybeDeny)), instances
	case want != "" && maybeDeny != "":
		return warned(ConnectAccess, "Amazon Connect instance "+want+" may invoke the function"+maybeDeny), instances
	case want != "":
		return passed(ConnectAccess, "Amazon Connect instance "+want+" may invoke the function"), instances
	case unscoped:
		return warned(ConnectAccess, "Amazon Connect may invoke the function from any instance: scope the permission with AWS:SourceArn"+maybeDeny), instances
	case maybeDeny != "":
		return warned(ConnectAccess, "Amazon Connect may invoke the function from "+strings.Join(instances, ", ")+maybeDeny), instances
	}
	return passed(ConnectAccess, "Amazon Connect may invoke the function from "+strings.Join(instances, ", ")), instances
}

const connectService = "connect.amazonaws.com"

// positiveSourceOperators are the operators whose AWS:SourceArn values
// name the instances a statement admits; a negated one (ArnNotEquals...)
// or an IfExists admits others too.
var positiveSourceOperators = map[string]bool{"arnequals": true, "arnlike": true, "stringequals": true, "stringlike": true}

// connectScopes lists the instances the policy's Allow statements for
// Connect's invocation admit, and whether one admits any instance.
func connectScopes(doc resourcePolicy) (instances []string, unscoped bool) {
	for _, st := range doc.Statements {
		if !strings.EqualFold(st.Effect, "Allow") || !st.actionMatches("lambda:InvokeFunction") {
			continue
		}
		if m, _ := st.principalMatches(policyPrincipal{Service: connectService}); m != triYes {
			continue
		}
		var arns []string
		for op, kv := range st.Condition {
			if !positiveSourceOperators[strings.ToLower(op)] {
				continue
			}
			for k, v := range kv {
				if strings.EqualFold(k, "AWS:SourceArn") {
					arns = append(arns, policyValues(v)...)
				}
			}
		}
		if len(arns) == 0 {
			unscoped = true
		}
		instances = append(instances, arns...)
	}
	return instances, unscoped
}
