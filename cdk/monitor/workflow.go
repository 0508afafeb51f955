package monitor

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sfprobe/sfprobe/internal/workflow"
)

// WorkflowProps configures NewWorkflow.
type WorkflowProps struct {
	Config    Config
	Functions *Functions
	// Extra are substitutions for placeholders beyond the functions and the
	// default target (e.g. a pause parameter's name), each with the
	// statements the state machine's role needs when the definition uses it.
	// An entry the definition does not use is ignored.
	Extra map[string]Substitution
}

// Substitution is an optional placeholder's value and what it needs.
type Substitution struct {
	Value      string
	Statements []awsiam.PolicyStatement
}

// Workflow is the deployed state machine and its log group.
type Workflow struct {
	// Group is the construct holding the state machine and its log group.
	Group        constructs.Construct
	StateMachine awsstepfunctions.StateMachine
	// LogGroup is nil with workflowLogLevel OFF.
	LogGroup awslogs.LogGroup
}

// Substitutions returns the DefinitionSubstitutions: every placeholder of
// workflow.Definition() mapped to its value, the functions' ARNs included.
// A placeholder the stack cannot fill is an error.
func Substitutions(c Config, fns *Functions, extra map[string]Substitution) (map[string]*string, error) {
	defaultTargets := c.DefaultTargets()
	if c.distributed() {
		// Too many for the definition: they are in the targets object
		// (DefaultTargetsBucket, DefaultTargetsKey).
		defaultTargets = nil
	}
	targets, err := json.Marshal(defaultTargets)
	if err != nil {
		return nil, fmt.Errorf("workflow: default targets: %w", err)
	}
	if defaultTargets == nil {
		targets = []byte("[]")
	}
	defaults := map[string]string{}
	subs := map[string]*string{
		// A JSON array in a JSON string: escaped here, as CloudFormation
		// substitutes values as they are.
		workflow.DefaultTargets: jsii.String(workflow.Escape(string(targets))),
	}
	var missing []string
	for _, k := range documentKeys(deployedDefinition(c)) {
		if _, done := subs[k]; done {
			continue
		}
		v, ok := defaults[k]
		if x, isExtra := extra[k]; !ok && isExtra {
			v, ok = x.Value, true
		}
		if ok {
			// CloudFormation substitutes values as they are, unescaped, into
			// JSON strings (workflow.Render escapes; the service does not).
			if strings.ContainsAny(v, "\"\\") || strings.IndexFunc(v, func(r rune) bool { return r < 0x20 }) >= 0 {
				return nil, fmt.Errorf("workflow: the value %q of ${%s} holds a quote, backslash or control character, which would break the definition's JSON", v, k)
			}
			subs[k] = jsii.String(v)
			continue
		}
		found := false
		for _, f := range workflow.Functions {
			if f.Key == k {
				subs[k], found = fns.ByName[f.Name].FunctionArn(), true
			}
		}
		if !found {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("workflow: the definition uses ${%s}, which the stack does not fill (cdk/monitor/workflow.go)", strings.Join(missing, "}, ${"))
	}
	return subs, nil
}

// NewWorkflow deploys workflow.Definition() unchanged with its
// DefinitionSubstitutions: type EXPRESS or STANDARD, logging at
// workflowLogLevel (default ERROR: a healthy run writes nothing) without
// execution data (payloads hold the test phone) and no log group at OFF,
// X-Ray tracing only with tracing, and a role that may invoke the four
// functions and nothing else besides the log delivery and X-Ray calls Step
// Functions needs for those.
func NewWorkflow(scope constructs.Construct, id string, props *WorkflowProps) (*Workflow, error) {
	c := props.Config
	doc := deployedDefinition(c)
	if err := workflow.Validate(doc); err != nil {
		return nil, fmt.Errorf("workflow: %w", err)
	}
	subs, err := Substitutions(c, props.Functions, props.Extra)
	if err != nil {
		return nil, err
	}
	group := constructs.NewConstruct(scope, jsii.String(id))
	var logs awslogs.LogGroup
	var logOptions *awsstepfunctions.LogOptions
	if c.WorkflowLogLevel != string(awsstepfunctions.LogLevel_OFF) {
		logs = awslogs.NewLogGroup(group, jsii.String("Logs"), &awslogs.LogGroupProps{
			// The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small.
			LogGroupName:  jsii.String("/aws/vendedlogs/states/" + c.StackName + "-workflow"),
			Retention:     retention(c.LogRetentionDays),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		logOptions = &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel(c.WorkflowLogLevel),
			IncludeExecutionData: jsii.Bool(false),
		}
	}
	typ := awsstepfunctions.StateMachineType_EXPRESS
	if c.WorkflowType == WorkflowStandard {
		typ = awsstepfunctions.StateMachineType_STANDARD
	}
	sm := awsstepfunctions.NewStateMachine(group, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:                 jsii.String("sfprobe: health check of sfInvokeAPI " + c.summary()),
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(doc)),
		DefinitionSubstitutions: &subs,
		StateMachineType:        typ,
		TracingEnabled:          jsii.Bool(c.Tracing),
		Logs:                    logOptions,
	})
	for _, v := range subs {
		if v != nil && *v == "" {
			// cfn-lint 1.x takes an empty substitution for a missing one and
			// reports E1029 (its SubNeeded rule tests the value's truth);
			// CloudFormation substitutes "" (ConnectInstanceArn when unset).
			sm.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
				map[string]any{"config": map[string]any{"ignore_checks": []string{"E1029"}}})
			break
		}
	}
	arns := []*string{}
	for _, fn := range props.Functions.Ordered() {
		arns = append(arns, fn.FunctionArn())
	}
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(SidInvokeFunctions),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &arns,
	}))
	used := map[string]bool{}
	for _, k := range documentKeys(doc) {
		used[k] = true
	}
	keys := make([]string, 0, len(props.Extra))
	for k := range props.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if used[k] {
			for _, s := range props.Extra[k].Statements {
				sm.AddToRolePolicy(s)
			}
		}
	}
	return &Workflow{Group: group, StateMachine: sm, LogGroup: logs}, nil
}

// deployedDefinition is the document the stack deploys for its workflow
// type: a Distributed Map needs a STANDARD parent, so an EXPRESS stack
// deploys the variant whose distributed branch fails with BadInput.
func deployedDefinition(c Config) string {
	return workflow.DefinitionFor(workflow.Type(c.WorkflowType))
}

// placeholderRe is a ${Key} placeholder of the definition (as internal/workflow's).
var placeholderRe = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9]*)\}`)

// documentKeys are the placeholders doc uses, sorted (workflow.Keys() for
// the full document).
func documentKeys(doc string) []string {
	seen := map[string]bool{}
	for _, m := range placeholderRe.FindAllStringSubmatch(doc, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Checks returns the names of the checks the definition runs (the "check"
// of each Task's Payload), in the order of its branches and chain.
func Checks() ([]string, error) {
	type state struct {
		Type     string `json:"Type"`
		Next     string `json:"Next"`
		Default  string `json:"Default"`
		Choices  []struct{ Next string }
		Branches []json.RawMessage `json:"Branches"`
		// A Map's states: ItemProcessor, or Iterator in older documents.
		ItemProcessor json.RawMessage `json:"ItemProcessor"`
		Iterator      json.RawMessage `json:"Iterator"`
		Parameters    struct {
			Payload struct {
				// One check, or several in one invocation.
				Check  string   `json:"check"`
				Checks []string `json:"checks"`
			} `json:"Payload"`
		} `json:"Parameters"`
	}
	type machine struct {
		StartAt string           `json:"StartAt"`
		States  map[string]state `json:"States"`
	}
	var out []string
	seen := map[string]bool{}
	var walk func(raw []byte) error
	walk = func(raw []byte) error {
		var m machine
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		visited := map[string]bool{}
		queue := []string{m.StartAt}
		for len(queue) > 0 {
			name := queue[0]
			queue = queue[1:]
			s, ok := m.States[name]
			if !ok || visited[name] {
				continue
			}
			visited[name] = true
			if s.Type == "Task" {
				for _, ch := range append([]string{s.Parameters.Payload.Check}, s.Parameters.Payload.Checks...) {
					if ch != "" && !seen[ch] {
						seen[ch] = true
						out = append(out, ch)
					}
				}
			}
			for _, b := range append(s.Branches, s.ItemProcessor, s.Iterator) {
				if len(b) == 0 {
					continue
				}
				if err := walk(b); err != nil {
					return err
				}
			}
			for _, ch := range s.Choices {
				queue = append(queue, ch.Next)
			}
			queue = append(queue, s.Next, s.Default)
		}
		return nil
	}
	if err := walk([]byte(workflow.Definition())); err != nil {
		return nil, fmt.Errorf("workflow: read the checks: %w", err)
	}
	return out, nil
}
