package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sfprobe/sfprobe/internal/sfinvoke"
)

// Amazon Connect's flow language (the Content of DescribeContactFlow and
// DescribeContactFlowModule): the InvokeLambdaFunction action and what
// sfprobe reads of it.
const (
	invokeLambdaAction = "InvokeLambdaFunction"
	// DefaultBlockTimeoutSeconds is the wait of an "Invoke AWS Lambda
	// function" block that names no InvocationTimeLimitSeconds.
	DefaultBlockTimeoutSeconds = 3
	// MaxBlockTimeoutSeconds is the most a synchronous block may wait.
	MaxBlockTimeoutSeconds = 8
	// The block's response validation (ResponseValidation.ResponseType).
	ResponseStringMap = "STRING_MAP"
	ResponseJSON      = "JSON"
	// latestQualifier names the unqualified function: Lambda runs $LATEST.
	latestQualifier = "$LATEST"
)

// lambdaBlock is one InvokeLambdaFunction action of a flow or module.
type lambdaBlock struct {
	// FunctionARN is the block's LambdaFunctionARN ("" when set dynamically).
	FunctionARN string
	Dynamic     bool
	// TimeoutSeconds is InvocationTimeLimitSeconds, or the default.
	TimeoutSeconds int
	// ResponseType is STRING_MAP or JSON.
	ResponseType string
}

type flowContent struct {
	Actions []struct {
		Type       string          `json:"Type"`
		Parameters json.RawMessage `json:"Parameters"`
	} `json:"Actions"`
}

type invokeParameters struct {
	LambdaFunctionARN          string          `json:"LambdaFunctionARN"`
	InvocationTimeLimitSeconds json.RawMessage `json:"InvocationTimeLimitSeconds"`
	ResponseValidation         *struct {
		ResponseType string `json:"ResponseType"`
	} `json:"ResponseValidation"`
}

// parseLambdaBlocks returns the InvokeLambdaFunction actions of a flow's
// content. A block without ResponseValidation is STRING_MAP: the only kind
// there was before JSON validation, and the stricter one.
func parseLambdaBlocks(content string) ([]lambdaBlock, error) {
	var doc flowContent
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return nil, fmt.Errorf("the flow content is not flow language JSON")
	}
	var out []lambdaBlock
	for _, a := range doc.Actions {
		if a.Type != invokeLambdaAction {
			continue
		}
		var p invokeParameters
		if len(a.Parameters) > 0 {
			if err := json.Unmarshal(a.Parameters, &p); err != nil {
				return nil, fmt.Errorf("an %s action's Parameters are not an object", invokeLambdaAction)
			}
		}
		b := lambdaBlock{FunctionARN: p.LambdaFunctionARN, TimeoutSeconds: DefaultBlockTimeoutSeconds, ResponseType: ResponseStringMap}
		if !strings.HasPrefix(b.FunctionARN, "arn:") {
			b.FunctionARN, b.Dynamic = "", true // "$.Attributes.fn" and the like
		}
		if n, ok := blockTimeout(p.InvocationTimeLimitSeconds); ok {
			b.TimeoutSeconds = n
		}
		if p.ResponseValidation != nil && strings.EqualFold(p.ResponseValidation.ResponseType, ResponseJSON) {
			b.ResponseType = ResponseJSON
		}
		out = append(out, b)
	}
	return out, nil
}

// blockTimeout reads InvocationTimeLimitSeconds: the flow language writes
// it as a string ("8"); a number is accepted too.
func blockTimeout(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// splitFunctionARN splits a Lambda function ARN into the unqualified ARN and
// its qualifier ($LATEST when none); ok is false for anything else.
func splitFunctionARN(arn string) (base, qualifier string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return "", "", false
	}
	base = strings.Join(parts[:7], ":")
	qualifier = latestQualifier
	if len(parts) == 8 && parts[7] != "" {
		qualifier = parts[7]
	}
	return base, qualifier, true
}

// ResponseShapeProblem says which key of a function response breaks an
// "Invoke AWS Lambda function" block of the given response type, and why;
// "" when the block accepts the response. A JSON block accepts any JSON. A
// STRING_MAP block wants a flat object of string values: a nested object or
// a list sends the contact down the Error branch ("The Lambda function
// returned an error"). Numbers and booleans are scalars the block passes on
// as their text (sfInvokeAPI returns sf_count as a number and Connect shows
// "1"), and a null value is an empty attribute: neither breaks it.
func ResponseShapeProblem(resp map[string]any, responseType string) (key string, why string) {
	if !strings.EqualFold(responseType, ResponseStringMap) {
		return "", ""
	}
	keys := make([]string, 0, len(resp))
	for k := range resp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind := ""
		switch resp[k].(type) {
		case map[string]any:
			kind = sfinvoke.KindObject
		case []any:
			kind = sfinvoke.KindList
		}
		if stringMapRefuses(kind) {
			what := map[string]string{sfinvoke.KindObject: "a nested object", sfinvoke.KindList: "a list"}[kind]
			return k, fmt.Sprintf("%q is %s: a STRING_MAP block wants a flat object of string values (flatten it, or set the block's response validation to JSON)", k, what)
		}
	}
	return "", ""
}

// stringMapRefuses reports whether a STRING_MAP block refuses a value of
// this kind (sfinvoke.Kind*): a nested object or a list. Numbers, booleans
// and null are scalars it passes on as text.
func stringMapRefuses(kind string) bool {
	return kind == sfinvoke.KindObject || kind == sfinvoke.KindList
}
