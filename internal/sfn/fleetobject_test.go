package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// fakeObjects is an S3 bucket in memory: objects by bucket/key, or the
// error every read answers.
type fakeObjects struct {
	objects map[string]string
	err     error
	got     []string
}

func (f *fakeObjects) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	uri := "s3://" + *in.Bucket + "/" + *in.Key
	f.got = append(f.got, uri)
	if f.err != nil {
		return nil, f.err
	}
	body, ok := f.objects[uri]
	if !ok {
		return nil, &s3types.NoSuchKey{Message: new("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(body))}, nil
}

const fleetKey = "s3://results/runs/start-1/fleet.json"

// summaryFixture is a failed fleet of two, its full report and summary.
func summaryFixture(t *testing.T) (check.FleetSummary, string) {
	t.Helper()
	reports := []check.Report{
		{OK: true, Target: "eu", RunID: "start-1-0", Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Pass}}},
		{OK: false, Target: "us", RunID: "start-1-1", Checks: []check.Result{{Name: check.PhoneLookup, Status: check.Fail, Message: "lookup failed for password=hunter2"}}},
	}
	f := check.NewFleet("start-1", time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), time.Second, reports)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	loc, err := check.ParseObjectLocation(fleetKey)
	require.NoError(t, err)
	return f.Summary(loc), string(b)
}

func TestLoadFleet(t *testing.T) {
	sum, body := summaryFixture(t)
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }
	tests := []struct {
		name      string
		objects   map[string]string
		err       error
		wantClass failure.Class
		wantErr   []string
	}{
		{name: "read and checked", objects: map[string]string{fleetKey: body}},
		{name: "expired by the lifecycle", objects: map[string]string{}, wantClass: failure.NotFound,
			wantErr: []string{fleetKey, "no such object"}},
		{name: "no bucket", err: apiErr("NoSuchBucket"), wantClass: failure.NotFound, wantErr: []string{"no such bucket results"}},
		{name: "denied", err: apiErr("AccessDenied"), wantClass: failure.Permission,
			wantErr: []string{fleetKey, "access denied"}},
		{name: "network", err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}, wantClass: failure.Network},
		{name: "not JSON", objects: map[string]string{fleetKey: "<html>"}, wantClass: failure.UnexpectedResponse, wantErr: []string{"not a fleet report"}},
		{name: "not a fleet", objects: map[string]string{fleetKey: `{"ok": true}`}, wantClass: failure.UnexpectedResponse, wantErr: []string{"no targets"}},
		{name: "another run's", objects: map[string]string{fleetKey: strings.Replace(body, `"run_id":"start-1"`, `"run_id":"start-0"`, 1)},
			wantClass: failure.UnexpectedResponse, wantErr: []string{`run "start-0"'s, not this run's ("start-1")`}},
		{name: "another verdict", objects: map[string]string{fleetKey: strings.Replace(body, `"ok":false`, `"ok":true`, 1)},
			wantClass: failure.UnexpectedResponse, wantErr: []string{"it says ok true, the run's summary false"}},
		{name: "fewer targets", objects: map[string]string{fleetKey: `{"run_id": "start-1", "targets": []}`},
			wantClass: failure.UnexpectedResponse, wantErr: []string{"holds 0 targets, the run's summary counts 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeObjects{objects: tt.objects, err: tt.err}
			o := Outcome{Status: "FAILED", Summary: &sum}
			err := o.LoadFleet(context.Background(), api)
			assert.Equal(t, []string{fleetKey}, api.got)
			if tt.wantClass == "" {
				require.NoError(t, err)
				require.NotNil(t, o.Fleet)
				assert.Equal(t, []string{"us"}, o.Fleet.FailedTargets())
				assert.NotContains(t, o.Fleet.Targets[1].Checks[0].Message, "hunter2", "redacted")
				return
			}
			require.Error(t, err)
			assert.Nil(t, o.Fleet)
			assert.Equal(t, tt.wantClass, failure.ClassOf(err), err.Error())
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
			if tt.wantClass == failure.Permission {
				assert.Contains(t, failure.RemedyOf(err), "s3:GetObject on arn:aws:s3:::results/runs/start-1/fleet.json")
			}
		})
	}
}

func TestLoadFleetWithoutSummary(t *testing.T) {
	api := &fakeObjects{}
	o := Outcome{Status: "SUCCEEDED"}
	require.NoError(t, o.LoadFleet(context.Background(), api))
	assert.Empty(t, api.got, "no summary, no read")
}
