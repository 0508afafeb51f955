package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
)

// TestEMFDocument pins the document CloudWatch Logs extracts metrics from
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
func TestEMFDocument(t *testing.T) {
	var buf bytes.Buffer
	datums := []types.MetricDatum{
		datum(RunSuccess, 0, types.StandardUnitCount, aws.Time(startedAt), "prod-eu", ""),
		datum(SalesforceCalls, 5, types.StandardUnitCount, aws.Time(startedAt), "prod-eu", ""),
		datum(CheckFailure, 1, types.StandardUnitCount, aws.Time(startedAt), "prod-eu", check.KmsKey),
	}

	require.NoError(t, NewEMF(&buf, "sfprobe").Publish(context.Background(), datums))

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2, "one document per dimension set")
	assert.JSONEq(t, `{"_aws": {"Timestamp": 1741064767000, "CloudWatchMetrics": [{"Namespace": "sfprobe",
		"Dimensions": [["Target"]], "Metrics": [{"Name": "RunSuccess", "Unit": "Count"}, {"Name": "SalesforceCalls", "Unit": "Count"}]}]},
		"Target": "prod-eu", "RunSuccess": 0, "SalesforceCalls": 5}`, string(lines[0]))
	assert.JSONEq(t, `{"_aws": {"Timestamp": 1741064767000, "CloudWatchMetrics": [{"Namespace": "sfprobe",
		"Dimensions": [["Check", "Target"]], "Metrics": [{"Name": "CheckFailure", "Unit": "Count"}]}]},
		"Target": "prod-eu", "Check": "KmsKey", "CheckFailure": 1}`, string(lines[1]))
}

// TestEMFRoundTrip: what a run publishes comes back from the log lines as
// the same datums, as CloudWatch Logs would extract them.
func TestEMFRoundTrip(t *testing.T) {
	rep := report([]check.Result{
		{Name: check.TargetConfig, Status: check.Pass, DurationMS: 10},
		{Name: check.PhoneLookup, Status: check.Fail, ErrorClass: failure.Auth, DurationMS: 20},
	}, check.CleanupFailed)
	tests := []struct {
		name string
		give []types.MetricDatum
	}{
		{"a failed run, detailed", Datums(rep, "prod-eu", WithDetailed(true))},
		{"paused", PausedDatums("prod-eu", startedAt)},
		{"two targets", append(Datums(rep, "eu"), Datums(rep, "us")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, NewEMF(&buf, "ns").Publish(context.Background(), tt.give))

			var back []types.MetricDatum
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				ns, datums, ok, err := ParseEMF(sc.Bytes())
				require.NoError(t, err)
				require.True(t, ok, sc.Text())
				assert.Equal(t, "ns", ns)
				back = append(back, datums...)
			}
			assert.ElementsMatch(t, simplify(t, tt.give), simplify(t, back))
			for _, d := range back {
				assert.Equal(t, startedAt, *d.Timestamp, "the run's start, not the time of publication")
			}
		})
	}
}

func TestEMFSplitsDocuments(t *testing.T) {
	var datums []types.MetricDatum
	for i := range MaxMetricsPerEMF + 5 {
		datums = append(datums, datum(fmt.Sprintf("M%03d", i), float64(i), types.StandardUnitCount, aws.Time(startedAt), "t", ""))
	}
	// The same metric again with the same dimensions goes to the second
	// document: one document holds one value per name.
	datums = append(datums, datum("M000", 42, types.StandardUnitCount, aws.Time(startedAt), "t", ""))
	var buf bytes.Buffer

	require.NoError(t, NewEMF(&buf, "ns").Publish(context.Background(), datums))

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	assert.Contains(t, string(lines[1]), `"M000":42`)
	var n int
	for _, l := range lines {
		_, ds, ok, err := ParseEMF(l)
		require.NoError(t, err)
		require.True(t, ok)
		assert.LessOrEqual(t, len(ds), MaxMetricsPerEMF)
		n += len(ds)
	}
	assert.Equal(t, len(datums), n)
}

func TestParseEMFIgnoresOtherLines(t *testing.T) {
	tests := []struct {
		give    string
		wantOK  bool
		wantErr string
	}{
		{give: `{"time":"2025-03-04T05:06:07Z","level":"INFO","msg":"check","target":"prod-eu"}`},
		{give: `START RequestId: 1 Version: $LATEST`},
		{give: `{"_aws": 3`},
		{give: `{"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}}`, wantOK: true, wantErr: "0 metric sets"},
		{give: `{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [["Target"]], "Metrics": [{"Name": "M"}]}]}, "M": 1}`,
			wantOK: true, wantErr: `dimension "Target"`},
		{give: `{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "M"}]}]}, "M": "x"}`,
			wantOK: true, wantErr: `metric "M"`},
	}
	for _, tt := range tests {
		_, _, ok, err := ParseEMF([]byte(tt.give))
		assert.Equal(t, tt.wantOK, ok, tt.give)
		if tt.wantErr == "" {
			assert.NoError(t, err, tt.give)
		} else {
			assert.ErrorContains(t, err, tt.wantErr)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestEMFErrors(t *testing.T) {
	d := datum(RunSuccess, 1, types.StandardUnitCount, aws.Time(startedAt), "t", "")
	assert.ErrorContains(t, NewEMF(failingWriter{}, "").Publish(context.Background(), []types.MetricDatum{d}), "emf: write: closed")
	assert.ErrorContains(t, NewEMF(&bytes.Buffer{}, "").Publish(context.Background(), []types.MetricDatum{{MetricName: aws.String("x")}}), "without name or value")
	clash := datum("Target", 1, types.StandardUnitCount, aws.Time(startedAt), "t", "")
	assert.ErrorContains(t, NewEMF(&bytes.Buffer{}, "").Publish(context.Background(), []types.MetricDatum{clash}), "clashes with a dimension")
}
