package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MaxMetricsPerEMF is the embedded metric format's limit of metrics per
// document.
const MaxMetricsPerEMF = 100

// EMF publishes datums in CloudWatch's embedded metric format: one JSON
// document per line on w (a Lambda function's stdout), from which
// CloudWatch Logs extracts the metrics. It makes no API call, so it costs
// no PutMetricData request and needs no cloudwatch permission; the
// function's log group must exist (its retention applies).
type EMF struct {
	namespace string
	now       func() time.Time
	mu        sync.Mutex
	w         io.Writer
}

var _ interface {
	Publish(context.Context, []types.MetricDatum) error
} = (*EMF)(nil)

// NewEMF returns an EMF publisher to namespace (empty: DefaultNamespace)
// writing to w.
func NewEMF(w io.Writer, namespace string) *EMF {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &EMF{w: w, namespace: namespace, now: time.Now}
}

// emfDirective is a document's _aws member.
type emfDirective struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfMetricSet `json:"CloudWatchMetrics"`
}

type emfMetricSet struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

// emfGroup is the datums that share a timestamp and dimension values: one
// document (several past MaxMetricsPerEMF).
type emfGroup struct {
	at      time.Time
	dims    []types.Dimension
	metrics []emfMetric
	values  map[string]float64
}

// Publish writes datums as EMF documents, one per line. Datums that share
// a timestamp and dimensions share a document.
func (e *EMF) Publish(_ context.Context, datums []types.MetricDatum) error {
	var groups []*emfGroup
	byKey := map[string]*emfGroup{}
	for _, d := range datums {
		if d.MetricName == nil || d.Value == nil {
			return errors.New("emf: a datum without name or value")
		}
		at := e.now()
		if d.Timestamp != nil {
			at = *d.Timestamp
		}
		dims := append([]types.Dimension(nil), d.Dimensions...)
		sort.Slice(dims, func(i, j int) bool { return aws.ToString(dims[i].Name) < aws.ToString(dims[j].Name) })
		key := fmt.Sprint(at.UnixMilli())
		for _, dim := range dims {
			key += "\x00" + aws.ToString(dim.Name) + "=" + aws.ToString(dim.Value)
		}
		g := byKey[key]
		name := aws.ToString(d.MetricName)
		if g == nil || len(g.metrics) == MaxMetricsPerEMF || hasValue(g, name) {
			g = &emfGroup{at: at, dims: dims, values: map[string]float64{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.metrics = append(g.metrics, emfMetric{Name: name, Unit: string(d.Unit)})
		g.values[name] = *d.Value
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range groups {
		line, err := e.document(g)
		if err != nil {
			return err
		}
		if _, err := e.w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("emf: write: %w", err)
		}
	}
	return nil
}

func hasValue(g *emfGroup, name string) bool {
	_, ok := g.values[name]
	return ok
}

// document renders one EMF document: the directive, then the dimension
// and metric members.
func (e *EMF) document(g *emfGroup) ([]byte, error) {
	names := make([]string, len(g.dims))
	doc := map[string]any{}
	for i, dim := range g.dims {
		names[i] = aws.ToString(dim.Name)
		doc[names[i]] = aws.ToString(dim.Value)
	}
	for name, v := range g.values {
		if _, clash := doc[name]; clash || name == "_aws" {
			return nil, fmt.Errorf("emf: metric %q clashes with a dimension", name)
		}
		doc[name] = v
	}
	doc["_aws"] = emfDirective{
		Timestamp:         g.at.UnixMilli(),
		CloudWatchMetrics: []emfMetricSet{{Namespace: e.namespace, Dimensions: [][]string{names}, Metrics: g.metrics}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("emf: encode: %w", err)
	}
	return b, nil
}

// ParseEMF reads the metrics of one EMF document (a log line), as
// CloudWatch Logs extracts them: ok is false for a line that is not an EMF
// document. The local sandbox uses it to stand in for CloudWatch Logs.
func ParseEMF(line []byte) (namespace string, datums []types.MetricDatum, ok bool, err error) {
	trimmed := strings.TrimSpace(string(line))
	if !strings.HasPrefix(trimmed, "{") || !strings.Contains(trimmed, `"_aws"`) {
		return "", nil, false, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trimmed), &doc); err != nil {
		return "", nil, false, nil
	}
	raw, isEMF := doc["_aws"]
	if !isEMF {
		return "", nil, false, nil
	}
	var dir emfDirective
	if err := json.Unmarshal(raw, &dir); err != nil {
		return "", nil, true, fmt.Errorf("emf: the _aws member: %w", err)
	}
	if len(dir.CloudWatchMetrics) != 1 {
		return "", nil, true, fmt.Errorf("emf: %d metric sets, want 1", len(dir.CloudWatchMetrics))
	}
	set := dir.CloudWatchMetrics[0]
	at := time.UnixMilli(dir.Timestamp).UTC()
	for _, names := range set.Dimensions {
		var dims []types.Dimension
		for _, n := range names {
			var v string
			if err := json.Unmarshal(doc[n], &v); err != nil {
				return "", nil, true, fmt.Errorf("emf: dimension %q: want a string member", n)
			}
			dims = append(dims, types.Dimension{Name: aws.String(n), Value: aws.String(v)})
		}
		for _, m := range set.Metrics {
			var v float64
			if err := json.Unmarshal(doc[m.Name], &v); err != nil {
				return "", nil, true, fmt.Errorf("emf: metric %q: want a number member", m.Name)
			}
			datums = append(datums, types.MetricDatum{MetricName: aws.String(m.Name), Value: aws.Float64(v),
				Unit: types.StandardUnit(m.Unit), Timestamp: aws.Time(at), Dimensions: dims})
		}
	}
	return set.Namespace, datums, true, nil
}
