package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfprobe/sfprobe/internal/lambdahttp"
)

// ConnectFlow is a contact flow or flow module of the sandbox's Connect
// instance, with its flow language content.
type ConnectFlow struct {
	ID, Name string
	Module   bool
	Content  string
	Modified time.Time
}

// ConnectInstance answers the Amazon Connect API calls ConnectAccess makes
// (ListLambdaFunctions, ListContactFlows, ListContactFlowModules,
// DescribeContactFlow, DescribeContactFlowModule) over Connect's REST-JSON
// protocol, for one instance: moto has no contact flows. Pages hold
// PageSize items (the SDK's maxResults when smaller).
type ConnectInstance struct {
	ID       string
	PageSize int

	mu        sync.Mutex
	functions []string
	flows     []ConnectFlow
}

// SetFunctions sets the Lambda functions associated with the instance.
func (c *ConnectInstance) SetFunctions(arns ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.functions = append([]string(nil), arns...)
}

// AddFlow adds a flow or module.
func (c *ConnectInstance) AddFlow(f ConnectFlow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flows = append(c.flows, f)
}

// connectPath reports whether path is one of the Connect operations served.
func connectPath(path string) bool {
	for _, p := range []string{"/instance/", "/contact-flows-summary/", "/contact-flow-modules-summary/", "/contact-flows/", "/contact-flow-modules/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (c *ConnectInstance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	notFound := func(what string) {
		lambdahttp.WriteAPIError(w, &lambdahttp.APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: what + " not found"})
	}
	if r.Method != http.MethodGet || len(parts) < 2 {
		lambdahttp.WriteAPIError(w, &lambdahttp.APIError{Status: http.StatusBadRequest, Type: "InvalidRequestException", Message: "sandbox Connect: unsupported operation " + r.Method + " " + r.URL.Path})
		return
	}
	if instance := parts[1]; instance != c.ID {
		notFound("instance " + parts[1])
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case parts[0] == "instance" && len(parts) == 3 && parts[2] == "lambda-functions":
		items, next := c.page(r, len(c.functions))
		writeJSON(w, map[string]any{"LambdaFunctions": c.functions[items[0]:items[1]], "NextToken": next})
	case parts[0] == "contact-flows-summary" && len(parts) == 2:
		var all []map[string]any
		for _, f := range c.flows {
			if !f.Module {
				all = append(all, map[string]any{"Id": f.ID, "Arn": c.arn("contact-flow", f.ID), "Name": f.Name,
					"ContactFlowType": "CONTACT_FLOW", "ContactFlowState": "ACTIVE", "ContactFlowStatus": "PUBLISHED"})
			}
		}
		items, next := c.page(r, len(all))
		writeJSON(w, map[string]any{"ContactFlowSummaryList": all[items[0]:items[1]], "NextToken": next})
	case parts[0] == "contact-flow-modules-summary" && len(parts) == 2:
		var all []map[string]any
		for _, f := range c.flows {
			if f.Module {
				all = append(all, map[string]any{"Id": f.ID, "Arn": c.arn("flow-module", f.ID), "Name": f.Name, "State": "ACTIVE"})
			}
		}
		items, next := c.page(r, len(all))
		writeJSON(w, map[string]any{"ContactFlowModulesSummaryList": all[items[0]:items[1]], "NextToken": next})
	case (parts[0] == "contact-flows" || parts[0] == "contact-flow-modules") && len(parts) == 3:
		module := parts[0] == "contact-flow-modules"
		for _, f := range c.flows {
			if f.ID != parts[2] || f.Module != module {
				continue
			}
			if module {
				writeJSON(w, map[string]any{"ContactFlowModule": map[string]any{"Id": f.ID, "Arn": c.arn("flow-module", f.ID), "Name": f.Name,
					"Content": f.Content, "State": "ACTIVE", "Status": "PUBLISHED", "Version": f.Modified.Unix()}})
			} else {
				writeJSON(w, map[string]any{"ContactFlow": map[string]any{"Id": f.ID, "Arn": c.arn("contact-flow", f.ID), "Name": f.Name,
					"Type": "CONTACT_FLOW", "State": "ACTIVE", "Status": "PUBLISHED", "Content": f.Content,
					"LastModifiedTime": float64(f.Modified.Unix()), "LastModifiedRegion": Region}})
			}
			return
		}
		notFound("flow " + parts[2])
	default:
		lambdahttp.WriteAPIError(w, &lambdahttp.APIError{Status: http.StatusBadRequest, Type: "InvalidRequestException", Message: "sandbox Connect: unsupported operation GET " + r.URL.Path})
	}
}

// page returns the [start, end) of the page the request's nextToken and
// maxResults select, and the next token (nil on the last page).
func (c *ConnectInstance) page(r *http.Request, n int) ([2]int, *string) {
	start, _ := strconv.Atoi(r.URL.Query().Get("nextToken"))
	size := c.PageSize
	if m, err := strconv.Atoi(r.URL.Query().Get("maxResults")); err == nil && m > 0 && (size <= 0 || m < size) {
		size = m
	}
	start = min(max(start, 0), n)
	if size <= 0 || start+size >= n {
		return [2]int{start, n}, nil
	}
	next := strconv.Itoa(start + size)
	return [2]int{start, start + size}, &next
}

func (c *ConnectInstance) arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", Region, AccountID, c.ID, kind, id)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", lambdahttp.RequestID())
	_ = json.NewEncoder(w).Encode(v)
}

// invokeBlockContent is flow language content as the flow designer saves
// it: an "Invoke AWS Lambda function" block calling fnARN, with the
// timeout and response validation given, then a disconnect.
func invokeBlockContent(fnARN string, timeoutSeconds int, responseType string) string {
	doc := map[string]any{
		"Version":     "2019-10-30",
		"StartAction": "invoke-sfinvokeapi",
		"Metadata":    map[string]any{"entryPointPosition": map[string]int{"x": 40, "y": 40}},
		"Actions": []map[string]any{
			{
				"Identifier": "invoke-sfinvokeapi",
				"Type":       "InvokeLambdaFunction",
				"Parameters": map[string]any{
					"LambdaFunctionARN":          fnARN,
					"InvocationTimeLimitSeconds": strconv.Itoa(timeoutSeconds),
					"InvocationType":             "SYNCHRONOUS",
					"LambdaInvocationAttributes": map[string]string{"sf_operation": "phoneLookup", "sf_phone": "$.CustomerEndpoint.Address", "sf_fields": "Id, Name"},
					"ResponseValidation":         map[string]string{"ResponseType": responseType},
				},
				"Transitions": map[string]any{
					"NextAction": "disconnect",
					"Errors":     []map[string]string{{"NextAction": "disconnect", "ErrorType": "NoMatchingError"}},
				},
			},
			{"Identifier": "disconnect", "Type": "DisconnectParticipant", "Parameters": map[string]any{}, "Transitions": map[string]any{}},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// The sandbox instance's flows: what a contact center built on the setup
// guide has, the function called from a flow and from a module.
const (
	InboundFlowName  = "Inbound Salesforce lookup"
	CaseModuleName   = "Create Salesforce case"
	inboundFlowID    = "5a8c1f3e-0c1d-4b5e-9a7f-1d2e3f4a5b6c"
	caseModuleID     = "7e6d5c4b-3a29-4180-8f7e-6d5c4b3a2918"
	otherFunctionARN = "arn:aws:lambda:" + Region + ":" + AccountID + ":function:sfExecuteAWSService"
)

// newConnectInstance is the sandbox's instance: fnARN added to it (unless
// notAssociated), a flow calling it with a 3 s STRING_MAP block and a
// module with an 8 s JSON block (none with noFlows).
func newConnectInstance(fnARN string, notAssociated, noFlows bool) *ConnectInstance {
	c := &ConnectInstance{ID: ConnectInstanceID}
	if notAssociated {
		c.SetFunctions(otherFunctionARN)
	} else {
		c.SetFunctions(otherFunctionARN, fnARN)
	}
	if noFlows {
		return c
	}
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	c.AddFlow(ConnectFlow{ID: inboundFlowID, Name: InboundFlowName, Content: invokeBlockContent(fnARN, 3, "STRING_MAP"), Modified: at})
	c.AddFlow(ConnectFlow{ID: caseModuleID, Name: CaseModuleName, Module: true, Content: invokeBlockContent(fnARN, 8, "JSON"), Modified: at})
	return c
}
