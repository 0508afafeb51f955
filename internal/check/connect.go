package check

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	connecttypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/smithy-go"

	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/redact"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// DefaultMaxFlows caps the contact flows and flow modules ConnectAccess
// reads per run: Connect answers DescribeContactFlow at a few requests a
// second, so a larger instance is read over several warm runs.
const DefaultMaxFlows = 50

// MaxMaxFlows is the largest cap sfprobe accepts.
const MaxMaxFlows = 1000

// The API's largest pages.
const (
	lambdaPageSize = 25
	flowPageSize   = 1000
)

// addLambdaRemedy is the setup guide's last step ("Add Lambda Function").
const addLambdaRemedy = "add the function to the Amazon Connect instance: Amazon Connect console > the instance > Contact flows (Flows) > AWS Lambda > choose the function > Add Lambda Function (the setup guide's last step), or `aws connect associate-lambda-function --instance-id <id> --function-arn <the ARN the flows call>`"

// ConnectView is what ConnectAccess found on the Connect instance's side:
// part of the JSON report (a public interface; extend, never rename).
type ConnectView struct {
	// InstanceARN is the instance checked; InstanceSource says where it
	// came from: "target" (--connect-instance-arn) or "resource-policy"
	// (the one instance the function's resource policy names).
	InstanceARN    string `json:"instance_arn"`
	InstanceSource string `json:"instance_source"`
	// Associated is true when the function (or every qualifier the flows
	// call) is in the instance's ListLambdaFunctions.
	Associated bool `json:"associated"`
	// AssociatedARNs are the function's ARNs the instance lists.
	AssociatedARNs []string `json:"associated_arns"`
	// FlowsCalling and ModulesCalling count the contact flows and flow
	// modules with an InvokeLambdaFunction block calling the function;
	// BlocksCalling counts the blocks.
	FlowsCalling   int `json:"flows_calling"`
	ModulesCalling int `json:"modules_calling"`
	BlocksCalling  int `json:"blocks_calling"`
	// MinTimeoutSeconds is the smallest InvocationTimeLimitSeconds among
	// the blocks calling the function (3 when a block names none), in the
	// flow or module MinTimeoutFlow; 0 when no block calls it.
	MinTimeoutSeconds int    `json:"min_timeout_seconds"`
	MinTimeoutFlow    string `json:"min_timeout_flow,omitempty"`
	// StrictestResponseType is STRING_MAP when any block calling the
	// function validates its response as a flat string map (StringMapFlow
	// names one), JSON when all accept any JSON, "" when no block calls it.
	StrictestResponseType string `json:"strictest_response_type,omitempty"`
	StringMapFlow         string `json:"string_map_flow,omitempty"`
	// Qualifiers are the function versions or aliases the blocks call
	// ($LATEST for the unqualified ARN), sorted.
	Qualifiers []string `json:"qualifiers"`
	// DynamicBlocks counts InvokeLambdaFunction blocks whose function ARN
	// is set at run time: sfprobe cannot tell whether they call it.
	DynamicBlocks int `json:"dynamic_blocks"`
	// FlowsListed counts the active flows and modules; FlowsRead those read
	// this run (at most the cap); FlowsFromCache those judged from the
	// content an earlier run of this process read. ScanTruncated is true
	// when the cap left some unread: the figures above may be incomplete.
	FlowsListed    int  `json:"flows_listed"`
	FlowsRead      int  `json:"flows_read"`
	FlowsFromCache int  `json:"flows_from_cache"`
	ScanTruncated  bool `json:"scan_truncated"`
	// FunctionTimeoutSeconds is the function's own Timeout (0: unknown);
	// FunctionTimeoutAboveBlock is true when it is above MinTimeoutSeconds:
	// Connect gives up first, and the function runs on.
	FunctionTimeoutSeconds    int  `json:"function_timeout_seconds"`
	FunctionTimeoutAboveBlock bool `json:"function_timeout_above_block"`
	// Budget is the verdict on this run's sfInvokeAPI calls against the
	// blocks' timeout and response type (Report.Finish sets it).
	Budget *Budget `json:"budget,omitempty"`
}

// redact passes the texts taken from Connect (flow names, ARNs) through
// the redactor, as every text from outside.
func (v *ConnectView) redact() {
	v.MinTimeoutFlow, v.StringMapFlow = redact.Text(v.MinTimeoutFlow), redact.Text(v.StringMapFlow)
	for i := range v.AssociatedARNs {
		v.AssociatedARNs[i] = redact.Text(v.AssociatedARNs[i])
	}
	for i := range v.Qualifiers {
		v.Qualifiers[i] = redact.Text(v.Qualifiers[i])
	}
}

// FlowCache keeps the InvokeLambdaFunction blocks of the flows and modules
// ConnectAccess read, in memory (one per process: a warm Lambda keeps it
// between runs). An entry is keyed by instance, kind and id and stamped
// with the flow's LastModifiedTime (a module's content hash or version: the
// module API has no time). The List APIs return no stamp, so the cache
// cannot spare a Describe by itself: it lets a capped scan rotate, reading
// unread and least recently read flows first and judging the rest from
// their last content.
type FlowCache struct {
	mu      sync.Mutex
	entries map[string]flowEntry
}

type flowEntry struct {
	stamp  string
	blocks []lambdaBlock
	readAt time.Time
}

// NewFlowCache returns an empty cache.
func NewFlowCache() *FlowCache { return &FlowCache{entries: map[string]flowEntry{}} }

var processFlowCache = NewFlowCache()

func (c *FlowCache) get(key string) (flowEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *FlowCache) put(key string, e flowEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = e
}

// flowRef is one active contact flow or flow module of the instance.
type flowRef struct {
	module   bool
	id, name string
}

func (f flowRef) kind() string {
	if f.module {
		return "flow module"
	}
	return "contact flow"
}

// functionRef is how the instance's lists and the flows' blocks are matched
// to the target: by unqualified ARN, or by name when the ARN is unknown.
type functionRef struct {
	base, name string
}

func (f functionRef) matches(arn string) (qualifier string, ok bool) {
	base, q, ok := splitFunctionARN(arn)
	if !ok {
		return "", false
	}
	if f.base != "" {
		return q, base == f.base
	}
	return q, FunctionName(base) == f.name
}

// checkConnectAccess: Amazon Connect may invoke the function (its resource
// policy), and on the instance's side the function is associated and the
// flows that call it give it time and accept its responses' shape.
func (s *session) checkConnectAccess(ctx context.Context) Result {
	pol, instances := s.checkConnectPolicy(ctx)
	if pol.Failed() {
		return pol
	}
	instance, source := s.target.ConnectInstanceARN, "target"
	if instance == "" && len(instances) == 1 && validate.ConnectInstanceARN("", instances[0]) == nil {
		instance, source = instances[0], "resource-policy"
	}
	switch {
	case instance == "" && len(instances) > 1:
		return withWarning(pol, "the instance side (association, contact flows) was not checked: the resource policy names several instances; name one with --connect-instance-arn")
	case instance == "":
		return withWarning(pol, "the instance side (association, contact flows) was not checked: name the instance with --connect-instance-arn")
	case s.deps.Connect == nil:
		return withWarning(pol, "the instance side (association, contact flows) was not checked: no Amazon Connect client configured")
	}
	view, warnings, err := s.connectSide(ctx, instance, source)
	view.redact()
	var apiErr smithy.APIError
	if err != nil && source == "resource-policy" && failure.ClassOf(err) == failure.Permission && errors.As(err, &apiErr) {
		// sfprobe was not told the instance, so it was not granted its
		// side (the stack grants it for connectInstanceArn only).
		return withWarning(pol, fmt.Sprintf("the instance side of %s (association, contact flows) was not checked: sfprobe may not read it (%s); name it with --connect-instance-arn / connectInstanceArn", instance, apiErr.ErrorCode()))
	}
	if err != nil {
		r := failedErr(ConnectAccess, err)
		r.Connect = view
		return r
	}
	msg := pol.Message + "; " + connectSummary(view)
	if view.FunctionTimeoutAboveBlock {
		// A note, not a warning: TargetConfig asks for 10-15 s and no block
		// waits more than 8 s. Whether calls outlast the block is the
		// timeout budget's verdict, from the chain's durations.
		msg += fmt.Sprintf("; note: the function's timeout (%d s) is above the smallest block timeout (%d s, %s): Connect gives up and takes the Error branch first, while the function runs on", view.FunctionTimeoutSeconds, view.MinTimeoutSeconds, view.MinTimeoutFlow)
	}
	var r Result
	switch {
	case len(warnings) > 0:
		r = warned(ConnectAccess, msg+"; warning: "+strings.Join(warnings, "; "))
	case pol.Status == Warn:
		r = warned(ConnectAccess, msg)
	default:
		r = passed(ConnectAccess, msg)
	}
	r.Connect = view
	return r
}

func connectSummary(v *ConnectView) string {
	if v.BlocksCalling == 0 {
		return fmt.Sprintf("the function is associated with %s; no contact flow or module of it calls the function (%d read)", v.InstanceARN, v.FlowsRead+v.FlowsFromCache)
	}
	return fmt.Sprintf("the function is associated with %s; %d contact flow(s) and %d module(s) call it (%s), smallest block timeout %d s (%s), strictest response validation %s",
		v.InstanceARN, v.FlowsCalling, v.ModulesCalling, strings.Join(v.Qualifiers, ", "), v.MinTimeoutSeconds, v.MinTimeoutFlow, v.StrictestResponseType)
}

// connectSide reads the instance: the association, then the flows and
// modules calling the function. A failure comes back as a classified error
// (with the view so far); what may be wrong as warnings.
func (s *session) connectSide(ctx context.Context, instance, source string) (*ConnectView, []string, error) {
	view := &ConnectView{InstanceARN: instance, InstanceSource: source, AssociatedARNs: []string{}, Qualifiers: []string{}}
	ref := functionRef{name: FunctionName(s.target.Function)}
	if base, _, ok := splitFunctionARN(s.target.Function); ok {
		ref.base = base
	}
	if fn, err := s.function(ctx); err == nil {
		if base, _, ok := splitFunctionARN(aws.ToString(fn.FunctionArn)); ok {
			ref.base = base
		}
		view.FunctionTimeoutSeconds = int(aws.ToInt32(fn.Timeout))
	}
	id := instance[strings.LastIndexByte(instance, '/')+1:]
	region := func(o *connect.Options) { o.Region = arnPart(instance, 3) }

	associated := map[string]bool{} // qualifier → listed
	p := connect.NewListLambdaFunctionsPaginator(s.deps.Connect, &connect.ListLambdaFunctionsInput{InstanceId: aws.String(id), MaxResults: aws.Int32(lambdaPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, region)
		if err != nil {
			return view, nil, awsFailure(ctx, "list the Lambda functions of Amazon Connect instance "+instance, err)
		}
		for _, arn := range page.LambdaFunctions {
			if q, ok := ref.matches(arn); ok {
				associated[q] = true
				view.AssociatedARNs = append(view.AssociatedARNs, arn)
			}
		}
	}
	if len(associated) == 0 {
		return view, nil, &failure.Error{Class: failure.Permission, Remedy: addLambdaRemedy,
			Msg: fmt.Sprintf("the function is not associated with Amazon Connect instance %s (its ListLambdaFunctions does not list it), so contact flows cannot invoke it", instance)}
	}
	view.Associated = true

	flows, err := s.listFlows(ctx, id, instance, region)
	if err != nil {
		return view, nil, err
	}
	view.FlowsListed = len(flows)
	var warnings []string
	qualifiers := map[string]bool{}
	unread := 0
	for _, r := range s.readFlows(ctx, instance, id, flows, region) {
		if r.err != nil {
			return view, nil, r.err
		}
		switch {
		case r.read:
			view.FlowsRead++
		case r.cached:
			view.FlowsFromCache++
		default:
			unread++
			continue
		}
		calls := 0
		for _, b := range r.blocks {
			if b.Dynamic {
				view.DynamicBlocks++
				continue
			}
			q, ok := ref.matches(b.FunctionARN)
			if !ok {
				continue
			}
			calls++
			qualifiers[q] = true
			if view.MinTimeoutSeconds == 0 || b.TimeoutSeconds < view.MinTimeoutSeconds {
				view.MinTimeoutSeconds, view.MinTimeoutFlow = b.TimeoutSeconds, r.flow.name
			}
			if b.ResponseType == ResponseStringMap && view.StringMapFlow == "" {
				view.StringMapFlow = r.flow.name
			}
		}
		if calls == 0 {
			continue
		}
		view.BlocksCalling += calls
		if r.flow.module {
			view.ModulesCalling++
		} else {
			view.FlowsCalling++
		}
	}
	for q := range qualifiers {
		view.Qualifiers = append(view.Qualifiers, q)
	}
	sort.Strings(view.Qualifiers)
	if view.BlocksCalling > 0 {
		view.StrictestResponseType = ResponseJSON
		if view.StringMapFlow != "" {
			view.StrictestResponseType = ResponseStringMap
		}
	}

	// The instance lists what the flows call: the ARN with its qualifier.
	var missing []string
	for _, q := range view.Qualifiers {
		if !associated[q] {
			missing = append(missing, q)
		}
	}
	if len(missing) > 0 {
		if len(missing) == len(view.Qualifiers) && !associated[latestQualifier] {
			view.Associated = false
			return view, nil, &failure.Error{Class: failure.Permission, Remedy: addLambdaRemedy,
				Msg: fmt.Sprintf("the contact flows call the function as %s, which Amazon Connect instance %s does not list (it lists %s)", strings.Join(missing, ", "), instance, strings.Join(view.AssociatedARNs, ", "))}
		}
		warnings = append(warnings, fmt.Sprintf("the flows call qualifier(s) %s, which the instance does not list (it lists %s): add that ARN to the instance", strings.Join(missing, ", "), strings.Join(view.AssociatedARNs, ", ")))
	}
	if unread > 0 {
		view.ScanTruncated = true
		warnings = append(warnings, fmt.Sprintf("scan cut short: %d of %d flows and modules read, %d from an earlier run, %d not read at all (the cap is %d per run: raise --connect-max-flows / the connectMaxFlows prop); the timeout and response figures may miss a block", view.FlowsRead, view.FlowsListed, view.FlowsFromCache, unread, s.maxFlows()))
	} else if view.FlowsFromCache > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of %d flows and modules judged from the content an earlier run read (the cap is %d per run)", view.FlowsFromCache, view.FlowsListed, s.maxFlows()))
	}
	if view.DynamicBlocks > 0 {
		warnings = append(warnings, fmt.Sprintf("%d InvokeLambdaFunction block(s) set the function ARN dynamically: sfprobe cannot tell whether they call this function", view.DynamicBlocks))
	}
	view.FunctionTimeoutAboveBlock = view.BlocksCalling > 0 && view.FunctionTimeoutSeconds > view.MinTimeoutSeconds
	return view, warnings, nil
}

func (s *session) maxFlows() int {
	if s.opts.maxFlows > 0 {
		return s.opts.maxFlows
	}
	return DefaultMaxFlows
}

// listFlows lists the instance's active contact flows and flow modules.
func (s *session) listFlows(ctx context.Context, id, instance string, region func(*connect.Options)) ([]flowRef, error) {
	var out []flowRef
	fp := connect.NewListContactFlowsPaginator(s.deps.Connect, &connect.ListContactFlowsInput{InstanceId: aws.String(id), MaxResults: aws.Int32(flowPageSize)})
	for fp.HasMorePages() {
		page, err := fp.NextPage(ctx, region)
		if err != nil {
			return nil, awsFailure(ctx, "list the contact flows of Amazon Connect instance "+instance, err)
		}
		for _, f := range page.ContactFlowSummaryList {
			if f.ContactFlowState == connecttypes.ContactFlowStateArchived {
				continue
			}
			out = append(out, flowRef{id: aws.ToString(f.Id), name: aws.ToString(f.Name)})
		}
	}
	mp := connect.NewListContactFlowModulesPaginator(s.deps.Connect, &connect.ListContactFlowModulesInput{
		InstanceId: aws.String(id), MaxResults: aws.Int32(flowPageSize), ContactFlowModuleState: connecttypes.ContactFlowModuleStateActive})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx, region)
		if err != nil {
			return nil, awsFailure(ctx, "list the flow modules of Amazon Connect instance "+instance, err)
		}
		for _, m := range page.ContactFlowModulesSummaryList {
			if m.State == connecttypes.ContactFlowModuleStateArchived {
				continue
			}
			out = append(out, flowRef{module: true, id: aws.ToString(m.Id), name: aws.ToString(m.Name)})
		}
	}
	return out, nil
}

// flowRead is one flow's blocks: read this run, from the cache, or neither
// (the cap cut the scan short).
type flowRead struct {
	flow         flowRef
	blocks       []lambdaBlock
	read, cached bool
	err          error
}

// readFlows describes up to the cap of flows, those never read first, then
// the least recently read; the others come from the cache when it has them.
func (s *session) readFlows(ctx context.Context, instance, id string, flows []flowRef, region func(*connect.Options)) []flowRead {
	cache := s.opts.flowCache
	if cache == nil {
		cache = NewFlowCache()
	}
	key := func(f flowRef) string { return instance + "|" + f.kind() + "|" + f.id }
	order := make([]int, len(flows))
	readAt := make([]time.Time, len(flows))
	for i, f := range flows {
		order[i] = i
		if e, ok := cache.get(key(f)); ok {
			readAt[i] = e.readAt
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return readAt[order[a]].Before(readAt[order[b]]) })
	out := make([]flowRead, len(flows))
	budget := s.maxFlows()
	for _, i := range order {
		f := flows[i]
		out[i] = flowRead{flow: f}
		if budget == 0 {
			if e, ok := cache.get(key(f)); ok {
				out[i].blocks, out[i].cached = e.blocks, true
			}
			continue
		}
		budget--
		content, stamp, err := s.describeFlow(ctx, id, f, region)
		if err != nil {
			if classifyAWS(ctx, err) == failure.NotFound {
				continue // deleted since the list: nothing calls from it
			}
			out[i].err = awsFailure(ctx, fmt.Sprintf("describe %s %q of Amazon Connect instance %s", f.kind(), f.name, instance), err)
			return out
		}
		e, ok := cache.get(key(f))
		if !ok || e.stamp != stamp || stamp == "" {
			blocks, perr := parseLambdaBlocks(content)
			if perr != nil {
				out[i].err = failure.New(failure.UnexpectedResponse, "%s %q of Amazon Connect instance %s: %v", f.kind(), f.name, instance, perr)
				return out
			}
			e = flowEntry{stamp: stamp, blocks: blocks}
		}
		e.readAt = s.opts.now()
		cache.put(key(f), e)
		out[i].blocks, out[i].read = e.blocks, true
	}
	return out
}

// describeFlow returns a flow's or module's content and its stamp.
func (s *session) describeFlow(ctx context.Context, id string, f flowRef, region func(*connect.Options)) (content, stamp string, err error) {
	if f.module {
		out, err := s.deps.Connect.DescribeContactFlowModule(ctx, &connect.DescribeContactFlowModuleInput{InstanceId: aws.String(id), ContactFlowModuleId: aws.String(f.id)}, region)
		if err != nil {
			return "", "", err
		}
		m := out.ContactFlowModule
		if m == nil {
			return "", "", errors.New("no flow module in the answer")
		}
		stamp = aws.ToString(m.FlowModuleContentSha256)
		if stamp == "" && m.Version != nil {
			stamp = fmt.Sprintf("v%d", *m.Version)
		}
		return aws.ToString(m.Content), stamp, nil
	}
	out, err := s.deps.Connect.DescribeContactFlow(ctx, &connect.DescribeContactFlowInput{InstanceId: aws.String(id), ContactFlowId: aws.String(f.id)}, region)
	if err != nil {
		return "", "", err
	}
	c := out.ContactFlow
	if c == nil {
		return "", "", errors.New("no contact flow in the answer")
	}
	if c.LastModifiedTime != nil {
		stamp = c.LastModifiedTime.UTC().Format(time.RFC3339Nano)
	}
	return aws.ToString(c.Content), stamp, nil
}
