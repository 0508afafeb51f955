package monitor

import (
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// TestApiRemainingAlarm: one SalesforceApiRemaining alarm per target, below
// the threshold prop, on the hourly minimum; no data is no breach.
func TestApiRemainingAlarm(t *testing.T) {
	for variant, want := range map[string]float64{"default": 20, "vpc": 30} {
		s := synth(t, variant)
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": metricname.SalesforceApiRemaining, "Statistic": "Minimum", "Period": 3600,
			"ComparisonOperator": "LessThanThreshold", "Threshold": want, "TreatMissingData": "notBreaching",
		})
	}
}

// TestVpcPlacement: with vpcSubnetIds and vpcSecurityGroupIds every
// function runs in them and its role may manage its network interfaces;
// without, none is in a VPC.
func TestVpcPlacement(t *testing.T) {
	s := synth(t, "vpc")
	fns := s.resources("AWS::Lambda::Function")
	inVpc := 0
	for id, fn := range fns {
		vc, ok := props(fn)["VpcConfig"].(map[string]any)
		if !ok {
			continue
		}
		inVpc++
		assert.ElementsMatch(t, []any{"subnet-0123456789abcdef0", "subnet-0fedcba9876543210"}, vc["SubnetIds"], id)
		assert.ElementsMatch(t, []any{"sg-0123456789abcdef0"}, vc["SecurityGroupIds"], id)
		found := false
		for _, st := range s.roleStatements(t, ref(t, props(fn)["Role"])) {
			if st.Sid == SidVpcNetworkInterfaces {
				found = true
				assert.Contains(t, st.Actions, "ec2:CreateNetworkInterface")
				assert.Contains(t, st.Actions, "ec2:DeleteNetworkInterface")
			}
		}
		assert.True(t, found, "%s's role may manage its network interfaces", id)
	}
	assert.Equal(t, len(workflow.Functions), inVpc, "every sfprobe function")
	for id, fn := range synth(t, "default").resources("AWS::Lambda::Function") {
		assert.Nil(t, props(fn)["VpcConfig"], id)
	}
}

func TestVpcConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		give map[string]any
		want string
	}{
		{"subnets alone", map[string]any{"vpcSubnetIds": "subnet-0123456789abcdef0"}, "vpcSubnetIds: vpcSubnetIds and vpcSecurityGroupIds go together"},
		{"bad subnet", map[string]any{"vpcSubnetIds": "subnet-x", "vpcSecurityGroupIds": "sg-0123456789abcdef0"}, `"subnet-x" is not a subnet id`},
		{"bad group", map[string]any{"vpcSubnetIds": "subnet-0123456789abcdef0", "vpcSecurityGroupIds": "0123"}, `"0123" is not a security group id`},
		{"threshold", map[string]any{"apiRemainingAlarmPercent": 100}, "apiRemainingAlarmPercent: 100: want 1 to 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := required()
			for k, v := range tt.give {
				ctx[k] = v
			}
			_, err := ConfigFrom(ctx, readTestFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestDailySalesforceCalls: check-config is told what the schedules spend
// of the org's daily API calls: 5 per chain run, 1 per SalesforceLogin run.
func TestDailySalesforceCalls(t *testing.T) {
	tests := []struct {
		name string
		give map[string]any
		want int
	}{
		{"defaults: chain every 5 min, AWS-side every 15", nil, 288*5 + 96},
		{"every run", map[string]any{"configSchedule": "every-run"}, 288*5 + 288},
		{"no schedule", map[string]any{"schedule": "off"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := required()
			for k, v := range tt.give {
				ctx[k] = v
			}
			c, err := ConfigFrom(ctx, readTestFile)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.dailySalesforceCalls())
		})
	}
	synth(t, "default").template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": map[string]any{workflow.EnvDailySalesforceCalls: "1536", workflow.EnvCallTimeout: CallTimeout}},
	})
}
