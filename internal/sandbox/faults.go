package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/lambdahttp"
	"github.com/sfprobe/sfprobe/internal/sim"
)

// Fault is a named failure the sandbox can inject: the simulator's faults
// (Salesforce and sfInvokeAPI) and the AWS side's.
type Fault struct {
	Name        string
	Description string
	// Check and Class are what a run with only this fault fails with.
	Check string
	Class failure.Class
}

// The AWS-side faults.
const (
	FaultSecretMissingKey    = "secret-missing-key"
	FaultKeyDisabled         = "key-disabled"
	FaultKeyMismatch         = "key-mismatch"
	FaultAccessDenied        = "access-denied"
	FaultNoConnectPermission = "no-connect-permission"
	FaultTargetMisconfigured = "target-misconfigured"
	FaultHostWithoutScheme   = "host-without-scheme"
	FaultSecretARNEmpty      = "secret-arn-empty"
	FaultNotAssociated       = "not-associated"
	FaultMemoryNearlyFull    = "memory-nearly-full"
	FaultWrongVersion        = "wrong-version"
	// FaultStepResponseLost is the Lambda service failing the workflow's
	// invoke of check-salesforce for CreateCase with 500 ServiceException
	// after the step ran and created its case: the Task's Retry must find
	// the case by its run marker, never create a second one. The run
	// passes (the CLI engine does not go through check-salesforce).
	FaultStepResponseLost = "step-response-lost"
)

// The sandbox's target runs unqualified, so $LATEST answers; the
// wrong-version fault makes the target expect a published version instead,
// as a deploy that published version 2 but left the flows' function
// unchanged would.
const (
	ExecutedVersion = "$LATEST"
	ExpectedVersion = "2"
	// nearlyFullMB is the memory-nearly-full fault's Max Memory Used: 95 %
	// of TargetMemorySizeMB.
	nearlyFullMB = 121
)

var awsFaults = []Fault{
	{FaultSecretMissingKey, "the secret lacks AccessToken (the user's security token)", check.SecretAccess, failure.Config},
	{FaultKeyDisabled, "the secret's KMS key is disabled", check.KmsKey, failure.Config},
	{FaultKeyMismatch, "the secret is encrypted with another key than the expected --kms-key-arn", check.KmsKey, failure.Config},
	{FaultAccessDenied, "Secrets Manager denies GetSecretValue (IAM or key policy)", check.SecretAccess, failure.Permission},
	{FaultNoConnectPermission, "the function has no resource policy for connect.amazonaws.com", check.ConnectAccess, failure.Permission},
	{FaultTargetMisconfigured, "SF_HOST is the login host instead of the org's My Domain (URL_NOT_RESET)", check.TargetConfig, failure.Config},
	{FaultHostWithoutScheme, "SF_HOST is the My Domain without https:// (requests raises MissingSchema)", check.TargetConfig, failure.Config},
	{FaultSecretARNEmpty, "SF_CREDENTIALS_SECRETS_MANAGER_ARN is empty, the template's default (botocore raises ParamValidationError)", check.TargetConfig, failure.Config},
	{FaultNotAssociated, "the function is not added to the Connect instance (its ListLambdaFunctions lacks it), though its resource policy lets Connect invoke it", check.ConnectAccess, failure.Permission},
	// A warning, not a failure (issue 13 item 4): every chain check warns, the run passes.
	{FaultMemoryNearlyFull, "sfInvokeAPI's REPORT lines show 121 of its 128 MB used (at least 90 %): every chain check warns, the run passes", check.PhoneLookup, ""},
	{FaultWrongVersion, "the target expects version 2 (expect_version, --expect-version) but $LATEST answers: a deploy that did not take", check.PhoneLookup, failure.Config},
	{FaultStepResponseLost, "the workflow's invoke of check-salesforce for CreateCase fails with 500 ServiceException after the step created its case: the Retry finds it by its run marker (the run passes)", "", ""},
}

// simFaultOutcome is what each simulator fault fails (issue table).
var simFaultOutcome = map[sim.Fault]struct {
	check string
	class failure.Class
}{
	sim.AuthExpired:    {check.PhoneLookup, failure.Auth},
	sim.APILimit:       {check.PhoneLookup, failure.APILimit},
	sim.ContactMissing: {check.PhoneLookup, failure.Data},
	sim.CreateRejected: {check.CreateCase, failure.Data},
	sim.UpdateNot204:   {check.CloseCase, failure.UnexpectedResponse},
	sim.CaseStaysOpen:  {check.VerifyCaseClosed, failure.Data},
	sim.Timeout:        {check.PhoneLookup, failure.Timeout},
	sim.ImportError:    {check.PhoneLookup, failure.Packaging},
	sim.Throttled:      {check.PhoneLookup, failure.Throttled},
	sim.ServiceError:   {check.PhoneLookup, failure.Network},
	// A lost create response is recovered by the run marker: the run passes.
	sim.CreateResponseLost: {"", ""},
	// The token host is unreachable: a network failure, credentials redacted.
	sim.LoginHostUnreachable: {check.PhoneLookup, failure.Network},
	// The chain passes; ConnectAccess's budget sees what Connect's blocks would.
	sim.SlowLookup:     {check.ConnectAccess, failure.Timeout},
	sim.NestedResponse: {check.ConnectAccess, failure.UnexpectedResponse},
	// A create that commits after its invoke failed is found by the run
	// marker once the function's timeout has passed: the run passes.
	sim.CreateCommitsLate: {"", ""},
	// The org's faults: the replay rides the cached session, SalesforceLogin's
	// fresh login sees them.
	sim.PasswordRotated:         {check.SalesforceLogin, failure.Auth},
	sim.APIVersionRetired:       {check.SalesforceLogin, failure.Config},
	sim.APIBudgetLow:            {check.SalesforceLogin, failure.APILimit},
	sim.ClientSecretRegenerated: {check.SalesforceLogin, failure.Auth},
}

// orgFaultsOf picks the faults that change the simulated org itself.
func orgFaultsOf(specs []sim.FaultSpec) []sim.Fault {
	var out []sim.Fault
	for _, sp := range specs {
		if sim.IsOrgFault(sp.Fault) {
			out = append(out, sp.Fault)
		}
	}
	return out
}

// Faults lists every fault `sfprobe local --fault` takes, sorted by name.
func Faults() []Fault {
	out := append([]Fault(nil), awsFaults...)
	for _, f := range sim.Faults() {
		o := simFaultOutcome[f.Name]
		out = append(out, Fault{Name: string(f.Name), Description: f.Description, Check: o.check, Class: o.class})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseFaults validates a comma-separated fault list. A simulator fault may
// be limited to the next N invocations with NAME:N (e.g. throttled:1, to
// see a retry absorb it).
func ParseFaults(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := map[string]bool{}
	var names []string
	for _, f := range Faults() {
		known[f.Name] = true
		names = append(names, f.Name)
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		spec := strings.TrimSpace(part)
		n, _, limited := strings.Cut(spec, ":")
		if !known[n] {
			return nil, fmt.Errorf("--fault: unknown fault %q (known: %s; see --list-faults)", n, strings.Join(names, ", "))
		}
		if limited {
			if isAWSFault(n) {
				return nil, fmt.Errorf("--fault: %q: only simulator faults take a count", spec)
			}
			if _, err := sim.ParseFaultSpecs(spec); err != nil {
				return nil, fmt.Errorf("--fault: %v", err)
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

func isAWSFault(name string) bool {
	for _, f := range awsFaults {
		if f.Name == name {
			return true
		}
	}
	return false
}

func splitFaults(names []string) (simFaults []sim.FaultSpec, aws map[string]bool, err error) {
	aws = map[string]bool{}
	var simSpecs []string
	for _, n := range names {
		if isAWSFault(n) {
			aws[n] = true
		} else {
			simSpecs = append(simSpecs, n)
		}
	}
	simFaults, err = sim.ParseFaultSpecs(strings.Join(simSpecs, ","))
	return simFaults, aws, err
}

// denyGetSecretValue answers GetSecretValue with AccessDeniedException.
func denyGetSecretValue(secretARN string) Interceptor {
	return func(r *http.Request) *lambdahttp.APIError {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			return nil
		}
		return &lambdahttp.APIError{Status: http.StatusBadRequest, Type: "AccessDeniedException",
			Message: "User: arn:aws:sts::" + AccountID + ":assumed-role/sfInvokeAPI-role/sfInvokeAPI is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN + " because no identity-based policy allows the secretsmanager:GetSecretValue action"}
	}
}

// withoutKey removes key from a JSON object secret.
func withoutKey(secret, key string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(secret), &m); err != nil {
		return "", fmt.Errorf("fault %s: the fixture secret is not a JSON object", FaultSecretMissingKey)
	}
	delete(m, key)
	b, err := json.Marshal(m)
	return string(b), err
}

// loseStepResponse runs fn, then fails the first CreateCase invocation with
// the Lambda service's 500 ServiceException, as if its response was lost
// after the step ran.
func loseStepResponse(fn lambdahttp.Function) lambdahttp.Function {
	var once sync.Once
	return lambdahttp.FunctionFunc(func(ctx context.Context, payload []byte) (lambdahttp.Response, error) {
		resp, err := fn.Invoke(ctx, payload)
		var in struct {
			Check string `json:"check"`
		}
		if err != nil || json.Unmarshal(payload, &in) != nil || in.Check != check.CreateCase {
			return resp, err
		}
		lost := false
		once.Do(func() { lost = true })
		if !lost {
			return resp, err
		}
		return lambdahttp.Response{}, &lambdahttp.APIError{Status: http.StatusInternalServerError, Type: "ServiceException", Message: "The AWS Lambda service encountered an internal error."}
	})
}
