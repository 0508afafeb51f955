package sfn_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/sandbox/sandboxtest"
	"github.com/sfprobe/sfprobe/internal/sfn"
)

// TestLoadFleetFromMotoS3: the SDK's S3 client and the errors S3 answers
// (a missing key, a missing bucket) are what LoadFleet classifies. moto
// enforces no IAM, so AccessDenied is the fake's (TestLoadFleet).
func TestLoadFleetFromMotoS3(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	a := sandboxtest.AWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := a.Config(ctx)
	require.NoError(t, err)
	api := s3.NewFromConfig(cfg)
	_, err = api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("results")})
	require.NoError(t, err)
	f := check.NewFleet("start-1", time.Now(), time.Second, []check.Report{{OK: true, Target: "eu", Checks: []check.Result{}}})
	body, err := json.Marshal(f)
	require.NoError(t, err)
	_, err = api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("results"), Key: aws.String("runs/start-1/fleet.json"), Body: strings.NewReader(string(body))})
	require.NoError(t, err)

	tests := []struct {
		name      string
		loc       check.ObjectLocation
		wantClass failure.Class
	}{
		{"read", check.ObjectLocation{Bucket: "results", Key: "runs/start-1/fleet.json"}, ""},
		{"no such key", check.ObjectLocation{Bucket: "results", Key: "runs/start-0/fleet.json"}, failure.NotFound},
		{"no such bucket", check.ObjectLocation{Bucket: "gone", Key: "runs/start-1/fleet.json"}, failure.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := f.Summary(tt.loc)
			o := sfn.Outcome{Status: "SUCCEEDED", Summary: &s}
			err := o.LoadFleet(ctx, api)
			if tt.wantClass == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{"eu"}, []string{o.Fleet.Targets[0].Target})
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantClass, failure.ClassOf(err), err.Error())
		})
	}
}
