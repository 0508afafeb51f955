package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sfprobe/sfprobe/internal/failure"
)

// What the function's role does with the secret and its key on every
// invocation and at every token refresh (contract §4): GetSecretValue and
// PutSecretValue on the secret; through Secrets Manager, kms:Decrypt and
// kms:GenerateDataKey on the key.
var (
	secretActions = []string{"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"}
	keyActions    = []string{"kms:Decrypt", "kms:GenerateDataKey"}
)

// Decisions, as IAM's simulator spells them.
const (
	decisionAllowed      = string(iamtypes.PolicyEvaluationDecisionTypeAllowed)
	decisionImplicitDeny = string(iamtypes.PolicyEvaluationDecisionTypeImplicitDeny)
	decisionExplicitDeny = string(iamtypes.PolicyEvaluationDecisionTypeExplicitDeny)
)

// roleAccess is the evidence about the role's right to one action.
type roleAccess struct {
	action, resource string
	// identity is the simulator's decision over the role's IAM policies.
	identity string
	// policy is the resource's policy evaluated for the call; policyName
	// names it in messages ("" when the resource has none).
	policy     policyEvaluation
	policyName string
	// keyPolicy: the resource is a KMS key, whose policy must allow the
	// call itself or delegate to IAM (KMS's rule); otherwise a same-account
	// allow by either the IAM or the resource policy suffices.
	keyPolicy    bool
	crossAccount bool
}

// verdict is an access's outcome: allowed, or denied/uncertain with why.
type verdict struct {
	decision  string // allowed, implicitDeny, explicitDeny; "" when uncertain
	reason    string
	uncertain bool
}

func (a roleAccess) verdict() verdict {
	ev := a.policy
	switch {
	case a.identity == decisionExplicitDeny:
		return verdict{decision: decisionExplicitDeny, reason: "an IAM policy of the role denies it"}
	case len(ev.Deny) > 0:
		return verdict{decision: decisionExplicitDeny, reason: fmt.Sprintf("%s denies it (%s)", a.policyName, strings.Join(ev.Deny, ", "))}
	}
	idAllow := a.identity == decisionAllowed
	byPolicy, delegated := len(ev.Allow) > 0, len(ev.Delegate) > 0
	var ok bool
	switch {
	case a.crossAccount:
		ok = idAllow && (byPolicy || delegated)
	case a.keyPolicy:
		ok = byPolicy || delegated && idAllow
	default:
		ok = idAllow || byPolicy
	}
	switch {
	case ok && len(ev.MaybeDeny) > 0:
		return verdict{uncertain: true, reason: fmt.Sprintf("%s may deny it: %s", a.policyName, strings.Join(ev.MaybeDeny, ", "))}
	case ok:
		return verdict{decision: decisionAllowed}
	case len(ev.MaybeAllow) > 0:
		return verdict{uncertain: true, reason: fmt.Sprintf("only %s may allow it: %s", a.policyName, strings.Join(ev.MaybeAllow, ", "))}
	}
	return verdict{decision: decisionImplicitDeny, reason: a.implicitReason(idAllow, byPolicy, delegated)}
}

func (a roleAccess) implicitReason(idAllow, byPolicy, delegated bool) string {
	switch {
	case a.keyPolicy && !byPolicy && !delegated:
		return "the key policy neither allows the role nor delegates to IAM (a statement for the account root)"
	case a.keyPolicy && !idAllow:
		return "the key policy delegates to IAM, but no IAM policy of the role allows it"
	case a.crossAccount && !idAllow:
		return "no IAM policy of the role allows it"
	case a.crossAccount:
		return fmt.Sprintf("%s does not allow the role's account", a.policyName)
	}
	return "no IAM policy of the role allows it"
}

// simulate checks that the function's role may read and write the secret
// and, unless keyARN is "", use its key. It returns a non-empty note when
// part of the evidence could not be had (the check then warns), and a
// *failure.Error when an action is denied.
func (s *session) simulate(ctx context.Context, secretARN, keyARN string) (string, error) {
	if s.deps.Simulator == nil {
		return "role permission simulation skipped: no IAM client", nil
	}
	fn, err := s.function(ctx)
	if err != nil {
		return "", fmt.Errorf("find the function's role: %w", err)
	}
	role := aws.ToString(fn.Role)
	if role == "" {
		return "role permission simulation skipped: the function reports no role", nil
	}
	identity, skip, err := s.simulateIdentity(ctx, role, secretActions, secretARN, nil)
	if skip != "" || err != nil {
		return skip, err
	}
	var notes []string
	var accesses []roleAccess
	secretPolicy, name, note := s.secretPolicy(ctx, role, secretARN)
	if note != "" {
		notes = append(notes, note)
	}
	for _, action := range secretActions {
		accesses = append(accesses, roleAccess{
			action: action, resource: secretARN, identity: identity[action],
			policy:     secretPolicy.evaluate(policyRequest{Principal: policyPrincipal{RoleARN: role}, Action: action, Resource: secretARN, Context: roleContext(role)}),
			policyName: name, crossAccount: arnAccount(secretARN) != arnAccount(role),
		})
	}
	if keyARN != "" {
		keyAccesses, note, err := s.keyAccess(ctx, role, secretARN, keyARN)
		if err != nil {
			return "", err
		}
		if note != "" {
			notes = append(notes, note)
		}
		accesses = append(accesses, keyAccesses...)
	}
	var denied, reasons []string
	for _, a := range accesses {
		v := a.verdict()
		if v.decision == decisionImplicitDeny && a.keyPolicy {
			v = s.viaGrant(ctx, role, secretARN, a, v)
		}
		switch {
		case v.uncertain:
			notes = append(notes, fmt.Sprintf("%s on %s is not certain: %s", a.action, a.resource, v.reason))
		case v.decision != decisionAllowed:
			denied = append(denied, fmt.Sprintf("%s on %s (%s)", a.action, a.resource, v.decision))
			reasons = appendNew(reasons, v.reason)
		}
	}
	if len(denied) > 0 {
		sort.Strings(denied)
		return "", failure.New(failure.Permission, "role %s is denied %s: %s", role, strings.Join(denied, ", "), strings.Join(reasons, "; "))
	}
	return strings.Join(notes, "; "), nil
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// simulateIdentity asks IAM's simulator for the role's identity-based
// decision on each action. skip is non-empty when the simulator cannot
// be used at all.
func (s *session) simulateIdentity(ctx context.Context, role string, actions []string, resource string, entries []iamtypes.ContextEntry) (map[string]string, string, error) {
	out, err := s.deps.Simulator.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(role),
		ActionNames:     actions,
		ResourceArns:    []string{resource},
		ContextEntries:  entries,
	})
	if err != nil {
		if unsupported(err) {
			return nil, "role permission simulation skipped: the endpoint does not support iam:SimulatePrincipalPolicy", nil
		}
		if classifyAWS(ctx, err) == failure.Permission {
			return nil, "role permission simulation skipped: sfprobe may not call iam:SimulatePrincipalPolicy on " + role, nil
		}
		return nil, "", awsFailure(ctx, "simulate the policies of "+role, err)
	}
	got := map[string]string{}
	for _, r := range out.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = string(r.EvalDecision)
	}
	for _, a := range actions {
		if _, ok := got[a]; !ok {
			got[a] = decisionImplicitDeny
		}
	}
	return got, "", nil
}

// secretPolicy reads the secret's resource policy. A secret without one
// gives an empty policy; an unreadable one gives a note.
func (s *session) secretPolicy(ctx context.Context, role, secretARN string) (resourcePolicy, string, string) {
	const name = "the secret's resource policy"
	if s.deps.SecretPolicies == nil {
		return resourcePolicy{}, name, "the secret's resource policy was not read (no client): an explicit Deny in it would not be seen"
	}
	out, err := s.deps.SecretPolicies.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return resourcePolicy{}, name, "the secret's resource policy is unreadable (grant sfprobe secretsmanager:GetResourcePolicy on the secret): an explicit Deny in it would not be seen"
	}
	doc := aws.ToString(out.ResourcePolicy)
	if strings.TrimSpace(doc) == "" {
		return resourcePolicy{}, name, ""
	}
	p, err := parseResourcePolicy(doc)
	if err != nil {
		return resourcePolicy{}, name, fmt.Sprintf("the secret's resource policy was not evaluated: %v", err)
	}
	return p, name, ""
}

// roleContext is what sfprobe knows of a request's context when the role
// calls: its own ARN and account; a direct call has no source.
func roleContext(role string) map[string][]string {
	return map[string][]string{
		"aws:principalarn":     {role},
		"aws:principalaccount": {arnAccount(role)},
		"aws:principaltype":    {"AssumedRole"},
		"aws:sourcearn":        nil,
		"aws:sourceaccount":    nil,
		"aws:viaawsservice":    {"false"},
	}
}

// kmsContext is the context of the KMS calls Secrets Manager makes for the
// role: through Secrets Manager in the secret's region, with the
// encryption context Secrets Manager sets (SecretARN, SecretVersionId).
func kmsContext(role, secretARN string) map[string][]string {
	ctx := roleContext(role)
	ctx["kms:viaservice"] = []string{viaSecretsManager(secretARN)}
	ctx["kms:calleraccount"] = []string{arnAccount(role)}
	ctx["kms:encryptioncontext:secretarn"] = []string{secretARN}
	ctx["kms:encryptioncontextkeys"] = []string{"SecretARN", "SecretVersionId"}
	ctx["aws:viaawsservice"] = []string{"true"}
	ctx["kms:grantisforawsresource"] = nil
	return ctx
}

func viaSecretsManager(secretARN string) string {
	host := "secretsmanager." + arnRegion(secretARN) + ".amazonaws.com"
	if arnPartition(secretARN) == "aws-cn" {
		host += ".cn"
	}
	return host
}

// kmsContextEntries are kmsContext's keys for IAM's simulator, so that
// the role's own policies conditioned on them evaluate as in a real call.
func kmsContextEntries(role, secretARN string) []iamtypes.ContextEntry {
	str := func(k string, v ...string) iamtypes.ContextEntry {
		return iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: v}
	}
	list := str("kms:EncryptionContextKeys", "SecretARN", "SecretVersionId")
	list.ContextKeyType = iamtypes.ContextKeyTypeEnumStringList
	return []iamtypes.ContextEntry{
		str("kms:ViaService", viaSecretsManager(secretARN)),
		str("kms:CallerAccount", arnAccount(role)),
		str("kms:EncryptionContext:SecretARN", secretARN),
		list,
	}
}

// keyAccess gathers the evidence about the role's use of the key: its IAM
// policies (simulated with the real call's context) and the key policy
// (evaluated as KMS does). An unreadable key policy leaves the key out,
// with a note: without it, the role's policies alone could say deny.
func (s *session) keyAccess(ctx context.Context, role, secretARN, keyARN string) ([]roleAccess, string, error) {
	if s.deps.KeyPolicies == nil {
		return nil, "the key's permissions were not simulated: no KMS client for its key policy", nil
	}
	out, err := s.deps.KeyPolicies.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
	if err != nil || out.Policy == nil {
		return nil, "the key's permissions were not simulated: its key policy is unreadable (grant sfprobe kms:GetKeyPolicy on the key)", nil
	}
	policy, err := parseResourcePolicy(aws.ToString(out.Policy))
	if err != nil {
		return nil, fmt.Sprintf("the key's permissions were not simulated: its key policy: %v", err), nil
	}
	identity, skip, err := s.simulateIdentity(ctx, role, keyActions, keyARN, kmsContextEntries(role, secretARN))
	if err != nil {
		return nil, "", err
	}
	if skip != "" {
		return nil, skip, nil
	}
	var accesses []roleAccess
	for _, action := range keyActions {
		accesses = append(accesses, roleAccess{
			action: action, resource: keyARN, identity: identity[action],
			policy:     policy.evaluate(policyRequest{Principal: policyPrincipal{RoleARN: role}, Action: action, Resource: keyARN, Context: kmsContext(role, secretARN)}),
			policyName: "the key policy", keyPolicy: true, crossAccount: arnAccount(keyARN) != arnAccount(role),
		})
	}
	return accesses, "", nil
}

// viaGrant looks for a KMS grant that gives the role a's operation when
// the key policy and the IAM policies do not. Grants cannot be simulated;
// when they cannot be read either, the denial becomes uncertain.
func (s *session) viaGrant(ctx context.Context, role, secretARN string, a roleAccess, v verdict) verdict {
	grants, err := s.grants(ctx, a.resource)
	if err != nil {
		return verdict{uncertain: true, reason: v.reason + "; only a KMS grant could allow it, and the key's grants are unreadable (grant sfprobe kms:ListGrants on the key)"}
	}
	op := kmstypes.GrantOperation(strings.TrimPrefix(a.action, "kms:"))
	maybe := ""
	for _, g := range grants {
		grantee := aws.ToString(g.GranteePrincipal)
		if !strings.EqualFold(grantee, role) && !sessionOf(grantee, role) {
			continue
		}
		covers := false
		for _, o := range g.Operations {
			covers = covers || o == op
		}
		if !covers {
			continue
		}
		switch grantConstraintsHold(g.Constraints, secretARN) {
		case triYes:
			return verdict{decision: decisionAllowed}
		case triMaybe:
			maybe = aws.ToString(g.GrantId)
		}
	}
	if maybe != "" {
		return verdict{uncertain: true, reason: fmt.Sprintf("%s; grant %s may allow it under its encryption-context constraints", v.reason, maybe)}
	}
	return verdict{decision: v.decision, reason: v.reason + " (and no KMS grant gives it to the role)"}
}

// grants lists every grant of key (memoized per run).
func (s *session) grants(ctx context.Context, key string) ([]kmstypes.GrantListEntry, error) {
	s.grantsOnce.Do(func() {
		if s.deps.KeyGrants == nil {
			s.grantsErr = failure.New(failure.Config, "no KMS client configured")
			return
		}
		p := kms.NewListGrantsPaginator(s.deps.KeyGrants, &kms.ListGrantsInput{KeyId: aws.String(key)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				s.grantsErr = awsFailure(ctx, "list grants of "+key, err)
				return
			}
			s.grantList = append(s.grantList, page.Grants...)
		}
	})
	return s.grantList, s.grantsErr
}

// grantConstraintsHold evaluates a grant's constraints against the
// encryption context Secrets Manager uses: SecretARN is known, the
// version id varies per version.
func grantConstraintsHold(c *kmstypes.GrantConstraints, secretARN string) tri {
	if c == nil {
		return triYes
	}
	known := map[string]string{"SecretARN": secretARN}
	check := func(m map[string]string) tri {
		t := triYes
		for k, v := range m {
			switch got, ok := known[k]; {
			case k == "SecretVersionId":
				t = t.and(triMaybe)
			case !ok || got != v:
				return triNo
			}
		}
		return t
	}
	t := check(c.EncryptionContextSubset)
	if len(c.EncryptionContextEquals) > 0 {
		if _, ok := c.EncryptionContextEquals["SecretVersionId"]; !ok {
			return triNo // the real context always holds SecretVersionId
		}
		t = t.and(check(c.EncryptionContextEquals))
	}
	return t
}
