// Package workflow holds sfprobe's one Step Functions definition (Amazon
// States Language, JSONPath) and its ${...} substitutions. CDK deploys it
// with DefinitionSubstitutions; the local sandbox executes the very same
// document. No orchestration is written again in Go.
package workflow

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed statemachine.asl.json
var definition string

// The substitution keys of the definition. CDK fills them from the stack's
// functions and props; the sandbox from its local ARNs.
const (
	CheckConfigFunctionArn     = "CheckConfigFunctionArn"
	CheckSalesforceFunctionArn = "CheckSalesforceFunctionArn"
	CleanupFunctionArn         = "CleanupFunctionArn"
	PublishMetricsFunctionArn  = "PublishMetricsFunctionArn"
	PauseParameterName         = "PauseParameterName"
	// DefaultTargets is the JSON array of the targets a run without
	// "target" or "targets" in its input probes (the scheduled runs); its
	// value is that array's JSON text (see Escape).
	DefaultTargets = "DefaultTargets"
	// The Distributed Map's keys (a fleet of more than InlineMaxTargets):
	// ResultsBucket is the bucket of the run's reports and the Map's
	// ResultWriter; ChildExecutionType is the children's type (EXPRESS in
	// the cloud; STANDARD in the sandbox, the only one moto runs);
	// DefaultTargetsBucket and DefaultTargetsKey locate the stack's targets
	// as a JSON array in S3 when they are too many for DefaultTargets (both
	// "" otherwise).
	ResultsBucket        = "ResultsBucket"
	ChildExecutionType   = "ChildExecutionType"
	DefaultTargetsBucket = "DefaultTargetsBucket"
	DefaultTargetsKey    = "DefaultTargetsKey"
)

// InlineMaxTargets is the most targets the inline Map probes; a run of more
// fans out on the Distributed Map (child executions, reports in S3).
const InlineMaxTargets = 50

// MaxFleetTargets is the most targets one run (and one stack) probes.
const MaxFleetTargets = 1000

// The execution input's optional "scope" values: which checks a run makes.
const (
	ScopeAll        = "all"
	ScopeSalesforce = "salesforce"
	ScopeAWS        = "aws"
)

// MaxConcurrency is how many targets the workflow's Map state probes at
// once.
const MaxConcurrency = 25

// The error names the definition's Fail states raise.
const (
	ErrChecksFailed = "ChecksFailed"
	ErrRunBroken    = "RunBroken"
	// ErrBadInput ends a run whose execution input is wrong (an unknown
	// scope, an empty targets list) before anything is probed.
	ErrBadInput = "BadInput"
)

// TransientErrors are the only errors the definition retries.
var TransientErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	// The invoke's client-side timeout (AWS's recommended Retry set for Lambda tasks).
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.TooManyRequestsException",
	"TransientError",
	// The pause switch's read (aws-sdk errors; moto spells the service lower-case).
	"Ssm.ThrottlingException",
	"ssm.ThrottlingException",
	"Ssm.InternalServerErrorException",
	"ssm.InternalServerErrorException",
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9]*)\}`)

// Definition returns the ASL document with its ${...} placeholders.
func Definition() string { return definition }

// Keys returns the placeholders the definition uses, sorted.
func Keys() []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(definition, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Render substitutes every placeholder, as CloudFormation's
// DefinitionSubstitutions does. Values are JSON-escaped, since every
// placeholder stands inside a JSON string. A missing or unknown key is an
// error.
func Render(subs map[string]string) (string, error) {
	var missing []string
	for _, k := range Keys() {
		if _, ok := subs[k]; !ok {
			missing = append(missing, k)
		}
	}
	var unknown []string
	keys := map[string]bool{}
	for _, k := range Keys() {
		keys[k] = true
	}
	for k := range subs {
		if !keys[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(missing) > 0 || len(unknown) > 0 {
		return "", fmt.Errorf("workflow substitutions: missing [%s], unknown [%s]", strings.Join(missing, ", "), strings.Join(unknown, ", "))
	}
	return placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		return Escape(subs[placeholder.FindStringSubmatch(m)[1]])
	}), nil
}

// Escape returns v escaped for a JSON string, as every placeholder stands
// inside one. CloudFormation substitutes values as they are: a value that
// holds quotes (DefaultTargets) must be passed to it escaped.
func Escape(v string) string {
	q, _ := json.Marshal(v)
	return string(q[1 : len(q)-1])
}
