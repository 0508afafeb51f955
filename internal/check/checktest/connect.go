package checktest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	connecttypes "github.com/aws/aws-sdk-go-v2/service/connect/types"

	"github.com/sfprobe/sfprobe/internal/check"
)

// Connect fakes the Amazon Connect API calls of package check.
type Connect struct {
	ListLambdaFunctionsFn       func(ctx context.Context, params *connect.ListLambdaFunctionsInput, optFns ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error)
	ListContactFlowsFn          func(ctx context.Context, params *connect.ListContactFlowsInput, optFns ...func(*connect.Options)) (*connect.ListContactFlowsOutput, error)
	ListContactFlowModulesFn    func(ctx context.Context, params *connect.ListContactFlowModulesInput, optFns ...func(*connect.Options)) (*connect.ListContactFlowModulesOutput, error)
	DescribeContactFlowFn       func(ctx context.Context, params *connect.DescribeContactFlowInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowOutput, error)
	DescribeContactFlowModuleFn func(ctx context.Context, params *connect.DescribeContactFlowModuleInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowModuleOutput, error)
}

var _ check.ConnectReader = (*Connect)(nil)

// ListLambdaFunctions calls ListLambdaFunctionsFn.
func (f *Connect) ListLambdaFunctions(ctx context.Context, params *connect.ListLambdaFunctionsInput, optFns ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error) {
	if f.ListLambdaFunctionsFn == nil {
		return nil, unexpected("connect:ListLambdaFunctions")
	}
	return f.ListLambdaFunctionsFn(ctx, params, optFns...)
}

// ListContactFlows calls ListContactFlowsFn.
func (f *Connect) ListContactFlows(ctx context.Context, params *connect.ListContactFlowsInput, optFns ...func(*connect.Options)) (*connect.ListContactFlowsOutput, error) {
	if f.ListContactFlowsFn == nil {
		return nil, unexpected("connect:ListContactFlows")
	}
	return f.ListContactFlowsFn(ctx, params, optFns...)
}

// ListContactFlowModules calls ListContactFlowModulesFn.
func (f *Connect) ListContactFlowModules(ctx context.Context, params *connect.ListContactFlowModulesInput, optFns ...func(*connect.Options)) (*connect.ListContactFlowModulesOutput, error) {
	if f.ListContactFlowModulesFn == nil {
		return nil, unexpected("connect:ListContactFlowModules")
	}
	return f.ListContactFlowModulesFn(ctx, params, optFns...)
}

// DescribeContactFlow calls DescribeContactFlowFn.
func (f *Connect) DescribeContactFlow(ctx context.Context, params *connect.DescribeContactFlowInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowOutput, error) {
	if f.DescribeContactFlowFn == nil {
		return nil, unexpected("connect:DescribeContactFlow")
	}
	return f.DescribeContactFlowFn(ctx, params, optFns...)
}

// DescribeContactFlowModule calls DescribeContactFlowModuleFn.
func (f *Connect) DescribeContactFlowModule(ctx context.Context, params *connect.DescribeContactFlowModuleInput, optFns ...func(*connect.Options)) (*connect.DescribeContactFlowModuleOutput, error) {
	if f.DescribeContactFlowModuleFn == nil {
		return nil, unexpected("connect:DescribeContactFlowModule")
	}
	return f.DescribeContactFlowModuleFn(ctx, params, optFns...)
}

// Flow is a contact flow or flow module of a fake instance.
type Flow struct {
	ID, Name string
	Module   bool
	Archived bool
	Content  string
	Modified time.Time
}

// InvokeBlock is flow language content with one InvokeLambdaFunction block
// calling arn; timeout "" leaves InvocationTimeLimitSeconds out and
// responseType "" leaves ResponseValidation out.
func InvokeBlock(arn, timeout, responseType string) string {
	params := fmt.Sprintf(`"LambdaFunctionARN":%q`, arn)
	if timeout != "" {
		params += fmt.Sprintf(`,"InvocationTimeLimitSeconds":%q`, timeout)
	}
	if responseType != "" {
		params += fmt.Sprintf(`,"ResponseValidation":{"ResponseType":%q}`, responseType)
	}
	return `{"Version":"2019-10-30","StartAction":"a1","Actions":[` +
		`{"Identifier":"a1","Type":"InvokeLambdaFunction","Parameters":{` + params + `},"Transitions":{"NextAction":"a2","Errors":[{"NextAction":"a2","ErrorType":"NoMatchingError"}]}},` +
		`{"Identifier":"a2","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

// Instance is a fake Connect instance: its associated functions and flows,
// served a page of pageSize at a time (0: all at once).
type Instance struct {
	Functions []string
	Flows     []Flow
	PageSize  int
	// Describes counts the Describe calls.
	Describes int
}

func page[T any](items []T, token *string, size int) ([]T, *string) {
	start := 0
	if token != nil {
		_, _ = fmt.Sscanf(*token, "%d", &start)
	}
	if size <= 0 || start+size >= len(items) {
		return items[start:], nil
	}
	return items[start : start+size], aws.String(fmt.Sprint(start + size))
}

// Fake returns a Connect fake serving in.
func (in *Instance) Fake() *Connect {
	byID := func(id string, module bool) (Flow, bool) {
		for _, f := range in.Flows {
			if f.ID == id && f.Module == module {
				return f, true
			}
		}
		return Flow{}, false
	}
	notFound := &connecttypes.ResourceNotFoundException{Message: aws.String("not found")}
	return &Connect{
		ListLambdaFunctionsFn: func(_ context.Context, p *connect.ListLambdaFunctionsInput, _ ...func(*connect.Options)) (*connect.ListLambdaFunctionsOutput, error) {
			items, next := page(in.Functions, p.NextToken, in.PageSize)
			return &connect.ListLambdaFunctionsOutput{LambdaFunctions: items, NextToken: next}, nil
		},
		ListContactFlowsFn: func(_ context.Context, p *connect.ListContactFlowsInput, _ ...func(*connect.Options)) (*connect.ListContactFlowsOutput, error) {
			var all []connecttypes.ContactFlowSummary
			for _, f := range in.Flows {
				if !f.Module {
					state := connecttypes.ContactFlowStateActive
					if f.Archived {
						state = connecttypes.ContactFlowStateArchived
					}
					all = append(all, connecttypes.ContactFlowSummary{Id: aws.String(f.ID), Name: aws.String(f.Name), ContactFlowState: state, ContactFlowType: connecttypes.ContactFlowTypeContactFlow})
				}
			}
			items, next := page(all, p.NextToken, in.PageSize)
			return &connect.ListContactFlowsOutput{ContactFlowSummaryList: items, NextToken: next}, nil
		},
		ListContactFlowModulesFn: func(_ context.Context, p *connect.ListContactFlowModulesInput, _ ...func(*connect.Options)) (*connect.ListContactFlowModulesOutput, error) {
			var all []connecttypes.ContactFlowModuleSummary
			for _, f := range in.Flows {
				if f.Module && !f.Archived {
					all = append(all, connecttypes.ContactFlowModuleSummary{Id: aws.String(f.ID), Name: aws.String(f.Name), State: connecttypes.ContactFlowModuleStateActive})
				}
			}
			items, next := page(all, p.NextToken, in.PageSize)
			return &connect.ListContactFlowModulesOutput{ContactFlowModulesSummaryList: items, NextToken: next}, nil
		},
		DescribeContactFlowFn: func(_ context.Context, p *connect.DescribeContactFlowInput, _ ...func(*connect.Options)) (*connect.DescribeContactFlowOutput, error) {
			in.Describes++
			f, ok := byID(aws.ToString(p.ContactFlowId), false)
			if !ok {
				return nil, notFound
			}
			return &connect.DescribeContactFlowOutput{ContactFlow: &connecttypes.ContactFlow{Id: aws.String(f.ID), Name: aws.String(f.Name), Content: aws.String(f.Content), LastModifiedTime: aws.Time(f.Modified)}}, nil
		},
		DescribeContactFlowModuleFn: func(_ context.Context, p *connect.DescribeContactFlowModuleInput, _ ...func(*connect.Options)) (*connect.DescribeContactFlowModuleOutput, error) {
			in.Describes++
			f, ok := byID(aws.ToString(p.ContactFlowModuleId), true)
			if !ok {
				return nil, notFound
			}
			return &connect.DescribeContactFlowModuleOutput{ContactFlowModule: &connecttypes.ContactFlowModule{Id: aws.String(f.ID), Name: aws.String(f.Name), Content: aws.String(f.Content), Version: aws.Int64(f.Modified.Unix())}}, nil
		},
	}
}

// FunctionARN is the healthy deployment's function ARN.
const FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:" + FunctionName

// HealthyInstance is InstanceARN as the setup guide leaves it: the function
// added, one flow calling it with a 3 s STRING_MAP block and one module with
// an 8 s JSON block.
func HealthyInstance() *Instance {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	return &Instance{
		Functions: []string{"arn:aws:lambda:us-east-1:123456789012:function:other", FunctionARN},
		Flows: []Flow{
			{ID: "flow-inbound", Name: "Inbound Salesforce lookup", Content: InvokeBlock(FunctionARN, "3", "STRING_MAP"), Modified: at},
			{ID: "module-case", Name: "Create case module", Module: true, Content: InvokeBlock(FunctionARN, "8", "JSON"), Modified: at},
		},
	}
}
