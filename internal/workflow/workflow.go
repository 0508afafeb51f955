// Package workflow holds sfprobe's one Step Functions definition (Amazon
// States Language, JSONPath) and its ${...} substitutions. CDK deploys it
// with DefinitionSubstitutions; the local sandbox executes the very same
// document. No orchestration is written again in Go.
//
// The file statemachine.asl.json gives the Distributed Map (more than
// InlineMaxTargets targets, or targets in S3) only its ProcessorConfig: its
// states are the inline Map's (Probe's), composed in when the package
// loads. A STANDARD state machine runs that document (DefinitionFor); an
// EXPRESS one, which cannot run a Distributed Map, runs it with the
// distributed branch replaced by a BadInput Fail state.
//
// The sandbox's one substitution that differs from the cloud's:
// ChildExecutionType is STANDARD (moto runs no EXPRESS children; the cloud
// uses EXPRESS). moto also ignores ToleratedFailurePercentage and writes no
// ResultWriter files: the workflow does not depend on either (each child
// writes its report to S3, Summarize reads them), and the tests of the
// definition's shape cover them.
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

// Type is a state machine's type: the parent's type decides which
// document it runs (DefinitionFor).
type Type string

// The state machine types.
const (
	// TypeStandard runs every fleet: up to InlineMaxTargets on the inline
	// Map, more on the Distributed Map.
	TypeStandard Type = "STANDARD"
	// TypeExpress runs up to InlineMaxTargets: an EXPRESS parent cannot run
	// a Distributed Map, so its document ends a larger fleet at Stage with
	// BadInput.
	TypeExpress Type = "EXPRESS"
)

// StandardTimeoutSeconds is the STANDARD document's TimeoutSeconds: a
// fleet of MaxFleetTargets at the Distributed Map's MaxConcurrency may
// spend about 21 s per target. The file (and the EXPRESS document) keeps
// 280, within Express's 5 minutes.
const StandardTimeoutSeconds = 900

// DistributedMaxConcurrency is how many child executions the Distributed
// Map runs at once (its Comment says why).
const DistributedMaxConcurrency = 40

// The states the composition works on.
const (
	stateProbe      = "Probe"
	stateDistribute = "Distribute"
	stateStage      = "Stage"
	stateSummarize  = "SummarizeFleet"
	stateBadTargets = "BadTargets"
	stateFanout     = "Fanout"
)

// ExpressFleetCause is the cause the EXPRESS document's Stage fails with.
const ExpressFleetCause = "targets: more than 50 targets (or targets in S3) need the workflowType STANDARD: an EXPRESS state machine cannot run the Distributed Map"

var documents = compose(definition)

// compose builds the two documents from the file: STANDARD, with the
// Distributed Map's ItemProcessor made of Probe's states (one source of
// truth for what a target's run does), and EXPRESS, without the
// distributed branch. Numbers keep their literal text (moto parses
// ToleratedFailurePercentage only as a float).
func compose(file string) map[Type]string {
	parse := func() map[string]any {
		dec := json.NewDecoder(strings.NewReader(file))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			panic(fmt.Sprintf("workflow: statemachine.asl.json is not JSON: %v", err))
		}
		return doc
	}
	states := func(doc map[string]any) map[string]any { return doc["States"].(map[string]any) }

	std := parse()
	probe := states(std)[stateProbe].(map[string]any)["ItemProcessor"].(map[string]any)
	dist := states(std)[stateDistribute].(map[string]any)["ItemProcessor"].(map[string]any)
	dist["StartAt"] = probe["StartAt"]
	dist["States"] = parse()["States"].(map[string]any)[stateProbe].(map[string]any)["ItemProcessor"].(map[string]any)["States"]
	std["TimeoutSeconds"] = json.Number(fmt.Sprint(StandardTimeoutSeconds))

	exp := parse()
	es := states(exp)
	delete(es, stateDistribute)
	delete(es, stateSummarize)
	delete(es, stateBadTargets)
	es[stateStage] = map[string]any{
		"Type":    "Fail",
		"Comment": "This EXPRESS state machine cannot run the Distributed Map: deploy with workflowType STANDARD for more than 50 targets or targets in S3.",
		"Error":   ErrBadInput,
		"Cause":   ExpressFleetCause,
	}
	es[stateFanout] = map[string]any{"Type": "Pass", "Comment": "EXPRESS: every run that gets here is inline.", "Next": stateProbe}
	return map[Type]string{TypeStandard: marshal(std), TypeExpress: marshal(exp)}
}

func marshal(doc map[string]any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		panic(fmt.Sprintf("workflow: encode the definition: %v", err))
	}
	return b.String()
}

// Definition returns the STANDARD document with its ${...} placeholders.
func Definition() string { return DefinitionFor(TypeStandard) }

// DefinitionFor returns the document a state machine of type t runs
// (TypeStandard when t is neither type).
func DefinitionFor(t Type) string {
	if d, ok := documents[t]; ok {
		return d
	}
	return documents[TypeStandard]
}

// Keys returns the placeholders the STANDARD document uses, sorted: every
// key a stack fills.
func Keys() []string { return KeysFor(TypeStandard) }

// KeysFor returns the placeholders the document of type t uses, sorted.
func KeysFor(t Type) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(DefinitionFor(t), -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Render substitutes every placeholder of the STANDARD document, as
// CloudFormation's DefinitionSubstitutions does.
func Render(subs map[string]string) (string, error) { return RenderFor(subs, TypeStandard) }

// RenderFor substitutes every placeholder of the document of type t.
// Values are JSON-escaped, since every placeholder stands inside a JSON
// string. A key the document needs is required; a key no document knows is
// an error (the STANDARD document's keys are accepted for both types, so
// one set of substitutions serves either).
func RenderFor(subs map[string]string, t Type) (string, error) {
	var missing []string
	for _, k := range KeysFor(t) {
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
	return placeholder.ReplaceAllStringFunc(DefinitionFor(t), func(m string) string {
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
