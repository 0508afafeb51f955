package awsconf_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/awsconf"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
)

// isolate clears the AWS settings of the environment and points the shared
// files at a config file holding sharedConfig.
func isolate(t *testing.T, sharedConfig string) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	dir := t.TempDir()
	configFile := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(configFile, []byte(sharedConfig), 0o600))
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const sharedConfig = `[default]
region = eu-west-1

[profile other]
region = ca-central-1
`

func TestLoad(t *testing.T) {
	tests := []struct {
		name         string
		giveConfig   string
		giveEnv      map[string]string
		giveOpts     []awsconf.Option
		wantRegion   string
		wantEndpoint string
	}{
		{
			name:       "region from the default profile",
			giveConfig: sharedConfig,
			wantRegion: "eu-west-1",
		},
		{
			name:       "AWS_REGION wins over the profile",
			giveConfig: sharedConfig,
			giveEnv:    map[string]string{"AWS_REGION": "ap-south-1"},
			wantRegion: "ap-south-1",
		},
		{
			name:       "WithRegion wins over AWS_REGION",
			giveConfig: sharedConfig,
			giveEnv:    map[string]string{"AWS_REGION": "ap-south-1"},
			giveOpts:   []awsconf.Option{awsconf.WithRegion("us-west-2")},
			wantRegion: "us-west-2",
		},
		{
			name:       "AWS_PROFILE",
			giveConfig: sharedConfig,
			giveEnv:    map[string]string{"AWS_PROFILE": "other"},
			wantRegion: "ca-central-1",
		},
		{
			name:       "WithProfile wins over AWS_PROFILE",
			giveConfig: sharedConfig,
			giveEnv:    map[string]string{"AWS_PROFILE": "default"},
			giveOpts:   []awsconf.Option{awsconf.WithProfile("other")},
			wantRegion: "ca-central-1",
		},
		{
			name:         "AWS_ENDPOINT_URL",
			giveEnv:      map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"},
			wantRegion:   "us-east-1",
			wantEndpoint: "http://127.0.0.1:1",
		},
		{
			name:         "WithEndpoint wins over AWS_ENDPOINT_URL",
			giveEnv:      map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"},
			giveOpts:     []awsconf.Option{awsconf.WithEndpoint("http://127.0.0.1:2")},
			wantRegion:   "us-east-1",
			wantEndpoint: "http://127.0.0.1:2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.giveConfig)
			for k, v := range tt.giveEnv {
				t.Setenv(k, v)
			}

			cfg, err := awsconf.Load(context.Background(), tt.giveOpts...)

			require.NoError(t, err)
			assert.Equal(t, tt.wantRegion, cfg.Region)
			assert.Equal(t, tt.wantEndpoint, aws.ToString(cfg.BaseEndpoint))
		})
	}
}

func TestLoadWithoutRegion(t *testing.T) {
	isolate(t, "")

	_, err := awsconf.Load(context.Background())

	require.ErrorIs(t, err, awsconf.ErrNoRegion)
	assert.EqualError(t, err, "no AWS region: set AWS_REGION or --region")
}

func TestLoadUnknownProfile(t *testing.T) {
	isolate(t, sharedConfig)

	_, err := awsconf.Load(context.Background(), awsconf.WithProfile("missing"))

	assert.ErrorContains(t, err, "missing")
}

func TestLoadWithStaticCredentials(t *testing.T) {
	isolate(t, sharedConfig)

	cfg, err := awsconf.Load(context.Background(), awsconf.WithStaticCredentials("AKID", "SECRET"))
	require.NoError(t, err)
	creds, err := cfg.Credentials.Retrieve(context.Background())

	require.NoError(t, err)
	assert.Equal(t, "AKID", creds.AccessKeyID)
	assert.Equal(t, "SECRET", creds.SecretAccessKey)
}

func TestCloudWatchProtocol(t *testing.T) {
	tests := []struct {
		name         string
		giveEnv      map[string]string
		giveEndpoint string
		wantQueryAPI bool
	}{
		{name: "real AWS keeps the SDK's protocol"},
		{name: "BaseEndpoint", giveEndpoint: "http://127.0.0.1:1", wantQueryAPI: true},
		{name: "AWS_ENDPOINT_URL", giveEnv: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, wantQueryAPI: true},
		{name: "AWS_ENDPOINT_URL_CLOUDWATCH", giveEnv: map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:1"}, wantQueryAPI: true},
		{name: "another service's endpoint", giveEnv: map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, "")
			for k, v := range tt.giveEnv {
				t.Setenv(k, v)
			}
			cfg, err := awsconf.Load(context.Background(),
				awsconf.WithRegion("us-east-1"), awsconf.WithEndpoint(tt.giveEndpoint))
			require.NoError(t, err)

			_, isQuery := awsconf.CloudWatch(cfg).Options().Protocol.(*awsquery.Protocol)

			assert.Equal(t, tt.wantQueryAPI, isQuery)
		})
	}
}

func TestCloudWatchAgainstMoto(t *testing.T) {
	moto := sandboxtest.Moto(t)
	isolate(t, "")
	ctx := context.Background()
	cfg, err := awsconf.Load(ctx, awsconf.WithRegion("us-east-1"), awsconf.WithEndpoint(moto.URL()),
		awsconf.WithStaticCredentials("testing", "testing"))
	require.NoError(t, err)
	cw := awsconf.CloudWatch(cfg)
	now := time.Now().UTC().Truncate(time.Minute)
	dims := []cwtypes.Dimension{{Name: aws.String("Check"), Value: aws.String("auth")}}

	_, err = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("sfprobe/test"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("Failures"), Dimensions: dims, Timestamp: aws.Time(now), Value: aws.Float64(2), Unit: cwtypes.StandardUnitCount},
			{MetricName: aws.String("Failures"), Dimensions: dims, Timestamp: aws.Time(now), Value: aws.Float64(3), Unit: cwtypes.StandardUnitCount},
		},
	})
	require.NoError(t, err)
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-5 * time.Minute)),
		EndTime:   aws.Time(now.Add(5 * time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("failures"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("sfprobe/test"), MetricName: aws.String("Failures"), Dimensions: dims},
				Period: aws.Int32(60),
				Stat:   aws.String("Sum"),
			},
		}},
	})

	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 1)
	assert.Equal(t, "failures", aws.ToString(out.MetricDataResults[0].Id))
	assert.Equal(t, []float64{5}, out.MetricDataResults[0].Values)
}
