package handler

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/stretchr/testify/assert"

	"github.com/sfprobe/sfprobe/internal/check"
)

// regionInvoker marks the region whose clients a Deps holds.
type regionInvoker string

func (regionInvoker) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	return nil, nil
}

func TestDepsFor(t *testing.T) {
	home := check.Deps{Invoker: regionInvoker("eu-west-2")}
	var built []string
	r := NewRegions("eu-west-2", func(region string) check.Deps {
		built = append(built, region)
		return check.Deps{Invoker: regionInvoker(region)}
	})
	tests := []struct {
		give      string
		wantBuild []string
	}{
		{give: "sfInvokeAPI-prod"},
		{give: "arn:aws:lambda:eu-west-2:123456789012:function:sfInvokeAPI"},
		{give: "arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI", wantBuild: []string{"us-east-1"}},
		{give: "arn:aws:lambda:us-east-1:210987654321:function:sfInvokeAPI:live", wantBuild: []string{"us-east-1"}},
		{give: "arn:aws:lambda:ap-southeast-2:123456789012:function:sfInvokeAPI", wantBuild: []string{"us-east-1", "ap-southeast-2"}},
	}
	for _, tt := range tests {
		got := depsFor(home, r, check.Target{Function: tt.give})
		assert.Equal(t, tt.wantBuild, built, "%s: each other region's clients are built once", tt.give)
		want := "eu-west-2"
		if region := check.FunctionRegion(tt.give); region != "" {
			want = region
		}
		assert.Equal(t, regionInvoker(want), got.Invoker, tt.give)
	}
	assert.Equal(t, "us-east-1", check.FunctionRegion("arn:aws:lambda:us-east-1:123456789012:function:f"))
	assert.Equal(t, "", check.FunctionRegion("123456789012:function:f"))
	assert.Equal(t, "", check.FunctionRegion("arn:aws:states:us-east-1:123456789012:stateMachine:f:x"))
	depsFor(home, nil, check.Target{Function: "arn:aws:lambda:sa-east-1:123456789012:function:f"})
	assert.Len(t, built, 2, "without Regions every target uses the home clients")
}
