package check_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/check/checktest"
)

// TestTargetConfigNamesTheOrg: TargetConfig's result names the org the
// function calls, the host of its SF_HOST, whatever its verdict.
func TestTargetConfigNamesTheOrg(t *testing.T) {
	tests := []struct {
		name       string
		give       func(*lambda.GetFunctionConfigurationOutput)
		wantStatus check.Status
		want       string
	}{
		{"the deployment's", func(*lambda.GetFunctionConfigurationOutput) {}, check.Pass, "acme.my.salesforce.com"},
		{"in lower case, without the root's dot", func(out *lambda.GetFunctionConfigurationOutput) {
			out.Environment.Variables["SF_HOST"] = "https://ACME.My.Salesforce.com./"
		}, check.Pass, "acme.my.salesforce.com"},
		{"of a failing configuration too", func(out *lambda.GetFunctionConfigurationOutput) {
			out.State = lambdatypes.StateInactive
		}, check.Fail, "acme.my.salesforce.com"},
		{"not a URL: none", func(out *lambda.GetFunctionConfigurationOutput) {
			out.Environment.Variables["SF_HOST"] = "acme.my.salesforce.com"
		}, check.Fail, ""},
		{"no environment: none", func(out *lambda.GetFunctionConfigurationOutput) { out.Environment = nil }, check.Fail, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := checktest.NewDeployment()
			f.Lambda.GetFunctionConfigurationFn = func(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
				out := fnConfig(sfEnv())
				tt.give(out)
				return out, nil
			}
			r := check.RunAWSCheck(context.Background(), f.Deps(), check.TargetConfig, target())
			assert.Equal(t, tt.wantStatus, r.Status, r.Message)
			assert.Equal(t, tt.want, r.SalesforceHost)
		})
	}
}

// TestReportTakesTheOrgFromTargetConfig: the report names its org once
// finished, and keeps it compact (a fleet's output) and in JSON.
func TestReportTakesTheOrgFromTargetConfig(t *testing.T) {
	r := check.Report{Target: "eu", Checks: []check.Result{
		{Name: check.TargetConfig, Status: check.Pass, SalesforceHost: "acme.my.salesforce.com"},
		{Name: check.PhoneLookup, Status: check.Pass},
	}}
	r.Finish()
	assert.Equal(t, "acme.my.salesforce.com", r.SalesforceHost)
	assert.Equal(t, "acme.my.salesforce.com", r.Compact().SalesforceHost)
	b, err := json.Marshal(r.Compact())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"salesforce_host":"acme.my.salesforce.com"`)

	chainOnly := check.Report{Target: "eu", Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Pass}}}
	chainOnly.Finish()
	assert.Empty(t, chainOnly.SalesforceHost, "no TargetConfig, no org")
	b, err = json.Marshal(chainOnly)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "salesforce_host", "optional")
}

// TestFleetOrgs: targets that share an org share its daily API budget: the
// fleet counts the calls per org.
func TestFleetOrgs(t *testing.T) {
	report := func(label, host string, calls int) check.Report {
		return check.Report{OK: true, Target: label, SalesforceHost: host, SalesforceCalls: calls, Checks: []check.Result{}}
	}
	f := check.NewFleet("run", time.Now(), time.Second, []check.Report{
		report("prod-eu", "zeta.my.salesforce.com", 5),
		report("chain-only", "", 5),
		report("prod-us", "acme.my.salesforce.com", 6),
		report("prod-uk", "zeta.my.salesforce.com", 5),
	})
	assert.Equal(t, []check.Org{
		{Host: "acme.my.salesforce.com", Targets: []string{"prod-us"}, SalesforceCalls: 6},
		{Host: "zeta.my.salesforce.com", Targets: []string{"prod-eu", "prod-uk"}, SalesforceCalls: 10},
		{Host: check.OrgUnknown, Targets: []string{"chain-only"}, SalesforceCalls: 5},
	}, f.Orgs)
	assert.Equal(t, 21, f.SalesforceCalls)

	assert.Equal(t, []check.Org{}, check.NewFleet("run", time.Now(), 0, nil).Orgs, "an empty fleet has no orgs, as a list")
}
