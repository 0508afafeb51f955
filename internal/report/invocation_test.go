package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/check"
)

// reportedRun is passingReport with the chain's REPORT figures: a cold
// PhoneLookup, CreateCase the longest.
func reportedRun() check.Report {
	r := passingReport()
	figures := map[string]*check.Invocation{
		check.PhoneLookup:      {DurationMS: 380.2, BilledDurationMS: 381, MemorySizeMB: 128, MaxMemoryUsedMB: 76, InitDurationMS: 812.4, ExecutedVersion: "7"},
		check.CreateCase:       {DurationMS: 590.7, BilledDurationMS: 591, MemorySizeMB: 128, MaxMemoryUsedMB: 79, ExecutedVersion: "7"},
		check.CloseCase:        {DurationMS: 350, BilledDurationMS: 350, MemorySizeMB: 128, MaxMemoryUsedMB: 79, ExecutedVersion: "7"},
		check.VerifyCaseClosed: {DurationMS: 120, BilledDurationMS: 120, MemorySizeMB: 128, MaxMemoryUsedMB: 81, ExecutedVersion: "7"},
	}
	for i, c := range r.Checks {
		r.Checks[i].Invocation = figures[c.Name]
	}
	r.Checks[6].Shape = []check.ShapeKey{{Key: "Status", Kind: "number"}}
	return r
}

func TestWriteText_reportLine(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, reportedRun(), Text))
	assert.Contains(t, buf.String(), "\nsfInvokeAPI REPORT: cold start 812 ms, longest 591 ms (CreateCase), memory 81 of 128 MB, version 7\n")

	warm := reportedRun()
	warm.Checks[4].Invocation.InitDurationMS = 0
	buf.Reset()
	require.NoError(t, Write(&buf, warm, Text))
	assert.Contains(t, buf.String(), "sfInvokeAPI REPORT: no cold start, longest 591 ms")

	buf.Reset()
	require.NoError(t, Write(&buf, passingReport(), Text))
	assert.NotContains(t, buf.String(), "REPORT", "no line when no invocation reported figures")
}

func TestWriteJSON_invocationAndShape(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, reportedRun(), JSON))
	var doc struct {
		Checks []map[string]json.RawMessage `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.NotContains(t, doc.Checks[0], "invocation", "omitted on a check without invocations")
	assert.JSONEq(t, `{"duration_ms":380.2,"billed_duration_ms":381,"memory_size_mb":128,"max_memory_used_mb":76,"init_duration_ms":812.4,"executed_version":"7"}`, string(doc.Checks[4]["invocation"]))
	assert.JSONEq(t, `{"duration_ms":590.7,"billed_duration_ms":591,"memory_size_mb":128,"max_memory_used_mb":79,"executed_version":"7"}`, string(doc.Checks[5]["invocation"]), "init_duration_ms only when cold")
	assert.JSONEq(t, `[{"key":"Status","kind":"number"}]`, string(doc.Checks[6]["response_shape"]))
	assert.NotContains(t, doc.Checks[5], "response_shape")
}

func TestWriteJUnit_invocationProperties(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, reportedRun(), JUnit))
	validateJUnit(t, buf.Bytes())

	var doc struct {
		Suites []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	props := map[string]string{}
	for _, p := range doc.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	assert.Equal(t, "590.70", props["target_duration_ms"])
	assert.Equal(t, "812.40", props["target_cold_start_ms"])
	assert.Equal(t, "812.40", props["PhoneLookup.init_duration_ms"])
	assert.Equal(t, "81", props["VerifyCaseClosed.max_memory_used_mb"])
	assert.Equal(t, "128", props["CreateCase.memory_size_mb"])
	assert.Equal(t, "7", props["CloseCase.executed_version"])
	assert.NotContains(t, props, "CreateCase.init_duration_ms")
}
