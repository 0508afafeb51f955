package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Fault names a failure the simulator injects. Its string form is public:
// it is what `--faults` and `--list-faults` use.
type Fault string

// The faults, each reproducing one failure of a real deployment.
const (
	AuthExpired    Fault = "auth-expired"
	APILimit       Fault = "api-limit"
	ContactMissing Fault = "contact-missing"
	CreateRejected Fault = "create-rejected"
	UpdateNot204   Fault = "update-not-204"
	CaseStaysOpen  Fault = "case-stays-open"
	Timeout        Fault = "timeout"
	ImportError    Fault = "import-error"
	Throttled      Fault = "throttled"
	// ServiceError is the Lambda service failing the Invoke call (HTTP 500
	// ServiceException) before the function runs.
	ServiceError Fault = "service-error"
	// CreateResponseLost lets the next create run in Salesforce, then the
	// invocation times out: the caller cannot know the case exists. It
	// applies to one create only.
	CreateResponseLost Fault = "create-response-lost"
	// LoginHostUnreachable refuses the cached token and makes the token host
	// unreachable (SF_PRODUCTION true in a VPC with no route to
	// login.salesforce.com, a DNS outage, a proxy): requests raises a
	// ConnectionError whose message holds the token URL, credentials and all.
	LoginHostUnreachable Fault = "login-host-unreachable"
	// SlowLookup makes every phoneLookup take SlowLookupDuration (a slow
	// search, a cold org cache): the call succeeds, but after the 3 s an
	// Amazon Connect block waits by default.
	SlowLookup Fault = "flow-timeout-too-short"
	// NestedResponse makes Contact searches return a relationship field
	// (Account.Name, as a flow's sf_fields may ask) the way Salesforce
	// does, as a nested object; sfInvokeAPI's phoneLookup passes the record
	// on unflattened, which a STRING_MAP block refuses.
	NestedResponse Fault = "nested-response"
	// CreateCommitsLate loses the next create's response at once (the
	// Lambda service answers 500 ServiceException) while the function goes
	// on and commits the Case later, within its timeout: a caller that
	// looks for the Case at once finds nothing. One create only.
	CreateCommitsLate Fault = "create-commits-late"
	// The org's faults (ApplyOrgFault), each with a session the function
	// cached: the replay rides it, only a fresh login sees them.
	PasswordRotated         Fault = "password-rotated"
	APIVersionRetired       Fault = "api-version-retired"
	APIBudgetLow            Fault = "api-budget-low"
	ClientSecretRegenerated Fault = "client-secret-regenerated"
)

// SlowLookupDuration is how long a phoneLookup takes under SlowLookup.
const SlowLookupDuration = 3500 * time.Millisecond

// FaultInfo describes a fault for people.
type FaultInfo struct {
	Name        Fault
	Description string
}

var faultInfos = []FaultInfo{
	{AuthExpired, "Salesforce rejects the cached OAuth token and the token endpoint answers invalid_grant (expired password or security token): Exception 'invalid_grant: authentication failure'"},
	{APILimit, "every Salesforce REST call answers 403 REQUEST_LIMIT_EXCEEDED: Exception 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.'"},
	{ContactMissing, "Contact searches and queries find no records, so phoneLookup returns {\"sf_count\": 0}"},
	{CreateRejected, "a validation rule rejects Case inserts (400): Exception 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Cases cannot be created by this user'"},
	{UpdateNot204, "record updates answer HTTP 200 instead of 204 and change nothing, so update returns {\"Status\": 200}"},
	{CaseStaysOpen, "updates succeed (204) but a trigger reopens a closed Case: Status stays New, IsClosed false"},
	{Timeout, "the invocation hangs until the function's timeout: Sandbox.Timedout 'Task timed out after N seconds'"},
	{ImportError, "the layer lacks phonenumbers: every invocation fails with Runtime.ImportModuleError before reading the secret"},
	{Throttled, "the Lambda Invoke API answers 429 TooManyRequestsException 'Rate Exceeded.' without running the function"},
	{ServiceError, "the Lambda Invoke API answers 500 ServiceException without running the function"},
	{CreateResponseLost, "the next create succeeds in Salesforce but the invocation then times out, so its response (the Case Id) is lost"},
	{LoginHostUnreachable, "Salesforce rejects the cached OAuth token and the token host cannot be resolved: ConnectionError 'HTTPSConnectionPool(host=...): Max retries exceeded with url: /services/oauth2/token?grant_type=password&client_id=...&password=...', the credentials in the URL as sfInvokeAPI sends them"},
	{SlowLookup, "every phoneLookup takes 3.5 s and succeeds: the chain passes, but the contact flow's 3 s Invoke AWS Lambda function block gives up first and takes the Error branch"},
	{NestedResponse, "Contact searches return the relationship field Account.Name as Salesforce does, a nested object {\"Account\": {\"attributes\": ..., \"Name\": ...}}, which phoneLookup passes on unflattened: a flow's STRING_MAP block refuses it"},
	{CreateCommitsLate, "the next create's invoke fails at once with 500 ServiceException while the function goes on and creates the Case half its timeout later: the caller must wait out the function's timeout before looking for it"},
	{PasswordRotated, "the API user's password changed but the function's cached session still works: every call passes, and the next login (after the session ends) fails with invalid_grant: authentication failure"},
	{APIVersionRetired, "the org no longer serves the function's SF_VERSION: the versions list leaves it out and REST calls on it answer 404 NOT_FOUND"},
	{APIBudgetLow, "the org has 3 % of its daily API requests left (DailyApiRequests Remaining 450 of 15000)"},
	{ClientSecretRegenerated, "the Connected App's Consumer Secret was regenerated but the function's cached session still works: the next login fails with invalid_client: invalid client credentials"},
}

// Faults lists every fault in a stable order.
func Faults() []FaultInfo { return append([]FaultInfo(nil), faultInfos...) }

func knownFault(f Fault) bool {
	for _, info := range faultInfos {
		if info.Name == f {
			return true
		}
	}
	return false
}

func knownFaultNames() string {
	names := make([]string, len(faultInfos))
	for i, info := range faultInfos {
		names[i] = string(info.Name)
	}
	return strings.Join(names, ", ")
}

// FaultSpec injects a fault into a limited number of invocations.
type FaultSpec struct {
	Fault Fault
	// Times is how many of the next invocations the fault applies to;
	// 0 means every invocation.
	Times int
}

// Once injects f into the next invocation only, e.g. Once(Throttled) to
// test a caller's retry.
func Once(f Fault) FaultSpec { return FaultSpec{Fault: f, Times: 1} }

// Always injects f into every invocation.
func Always(f Fault) FaultSpec { return FaultSpec{Fault: f} }

// ParseFaults parses a comma-separated list of fault names ("a,b"). An
// empty string means no faults.
func ParseFaults(s string) ([]Fault, error) {
	specs, err := ParseFaultSpecs(s)
	if err != nil {
		return nil, err
	}
	out := make([]Fault, 0, len(specs))
	for _, sp := range specs {
		if sp.Times != 0 {
			return nil, fmt.Errorf("fault %q: a count is not allowed here", sp.Fault)
		}
		out = append(out, sp.Fault)
	}
	return out, nil
}

// ParseFaultSpecs parses a comma-separated list of faults, each optionally
// limited to the next N invocations: "throttled:1,api-limit".
func ParseFaultSpecs(s string) ([]FaultSpec, error) {
	var out []FaultSpec
	seen := map[Fault]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, count, hasCount := strings.Cut(part, ":")
		f := Fault(strings.TrimSpace(name))
		if !knownFault(f) {
			return nil, fmt.Errorf("unknown fault %q (known: %s)", string(f), knownFaultNames())
		}
		sp := FaultSpec{Fault: f}
		if hasCount {
			n, err := strconv.Atoi(strings.TrimSpace(count))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("fault %q: count %q is not a positive integer", string(f), count)
			}
			sp.Times = n
		}
		if seen[f] {
			return nil, fmt.Errorf("fault %q given twice", string(f))
		}
		seen[f] = true
		out = append(out, sp)
	}
	return out, nil
}

// faultSet holds the faults active for one invocation.
type faultSet map[Fault]bool

func (fs faultSet) has(f Fault) bool { return fs[f] }
