package sfinvoke

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Invocation is what one sfInvokeAPI invocation reported about itself: the
// figures of the REPORT line of its log tail (Invoke with LogType Tail) and
// the version that ran (X-Amz-Executed-Version). Nothing else of the tail
// is kept: the function's own log lines may hold customer data.
type Invocation struct {
	// DurationMS is the invocation's duration (the REPORT line's Duration).
	DurationMS float64 `json:"duration_ms"`
	// BilledDurationMS is what Lambda billed.
	BilledDurationMS float64 `json:"billed_duration_ms"`
	// MemorySizeMB is the function's configured memory.
	MemorySizeMB int `json:"memory_size_mb"`
	// MaxMemoryUsedMB is the peak memory of the execution environment.
	MaxMemoryUsedMB int `json:"max_memory_used_mb"`
	// InitDurationMS is the cold start's Init Duration (or a SnapStart
	// function's Restore Duration); absent on a warm invocation.
	InitDurationMS float64 `json:"init_duration_ms,omitempty"`
	// ExecutedVersion is the function version that ran ("$LATEST", "7").
	ExecutedVersion string `json:"executed_version,omitempty"`
}

// Cold reports whether the invocation started a new execution environment.
func (i Invocation) Cold() bool { return i.InitDurationMS > 0 }

// MemoryNearlyFull reports whether the peak memory reached
// MemoryWarnPercent of the configured memory.
func (i Invocation) MemoryNearlyFull() bool {
	return i.MemorySizeMB > 0 && i.MaxMemoryUsedMB*100 >= i.MemorySizeMB*MemoryWarnPercent
}

// MemoryWarnPercent is the share of the configured memory at which a check
// warns: a Python function at its limit is killed (Runtime.OutOfMemory).
const MemoryWarnPercent = 90

// reportField matches one "Label: number unit" field of a REPORT line. The
// longer labels come first, so "Billed Duration" is never read as
// "Duration".
var reportField = regexp.MustCompile(`(?:^|\s)(Billed Restore Duration|Restore Duration|Billed Duration|Init Duration|Max Memory Used|Memory Size|Duration): ([0-9]+(?:\.[0-9]+)?) (?:ms|MB)`)

// ParseLogTail reads the REPORT figures from an Invoke response's
// LogResult (base64, the last 4 KB of the invocation's log). It reads the
// text format ("REPORT RequestId: … Duration: 12.34 ms …", with the
// optional Init Duration, SnapStart's Restore Duration and a trailing
// Status) and the JSON log format's platform.report record. ok is false
// when the tail holds no REPORT record (a cut tail, no LogType Tail).
func ParseLogTail(logResult string) (Invocation, bool) {
	if logResult == "" {
		return Invocation{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(logResult)
	if err != nil {
		return Invocation{}, false
	}
	lines := strings.Split(string(raw), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if inv, ok := parseTextReport(line); ok {
			return inv, true
		}
		if inv, ok := parseJSONReport(line); ok {
			return inv, true
		}
	}
	return Invocation{}, false
}

func parseTextReport(line string) (Invocation, bool) {
	if !strings.HasPrefix(line, "REPORT ") {
		return Invocation{}, false
	}
	var inv Invocation
	seen := map[string]bool{}
	for _, m := range reportField.FindAllStringSubmatch(line, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		seen[m[1]] = true
		switch m[1] {
		case "Duration":
			inv.DurationMS = v
		case "Billed Duration":
			inv.BilledDurationMS = v
		case "Memory Size":
			inv.MemorySizeMB = megabytes(v)
		case "Max Memory Used":
			inv.MaxMemoryUsedMB = megabytes(v)
		case "Init Duration":
			inv.InitDurationMS = v
		case "Restore Duration":
			if inv.InitDurationMS == 0 {
				inv.InitDurationMS = v
			}
		}
	}
	if !seen["Duration"] || !seen["Memory Size"] {
		return Invocation{}, false
	}
	return inv, true
}

// maxMB bounds a memory figure: Lambda's largest memory size is 10,240 MB;
// anything past this is not a REPORT figure and reads as 0 (unknown).
const maxMB = 1 << 20

// megabytes rounds a memory figure, 0 for one out of range.
func megabytes(v float64) int {
	if v < 0 || v > maxMB || math.IsNaN(v) {
		return 0
	}
	return int(math.Round(v))
}

// parseJSONReport reads the platform.report record of the JSON log format.
func parseJSONReport(line string) (Invocation, bool) {
	if !strings.HasPrefix(line, "{") || !strings.Contains(line, "platform.report") {
		return Invocation{}, false
	}
	var rec struct {
		Type   string `json:"type"`
		Record struct {
			Metrics struct {
				DurationMS        *float64 `json:"durationMs"`
				BilledDurationMS  float64  `json:"billedDurationMs"`
				MemorySizeMB      *float64 `json:"memorySizeMB"`
				MaxMemoryUsedMB   float64  `json:"maxMemoryUsedMB"`
				InitDurationMS    float64  `json:"initDurationMs"`
				RestoreDurationMS float64  `json:"restoreDurationMs"`
			} `json:"metrics"`
		} `json:"record"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil || rec.Type != "platform.report" {
		return Invocation{}, false
	}
	m := rec.Record.Metrics
	if m.DurationMS == nil || m.MemorySizeMB == nil {
		return Invocation{}, false
	}
	if *m.DurationMS < 0 || m.BilledDurationMS < 0 || m.InitDurationMS < 0 || m.RestoreDurationMS < 0 {
		return Invocation{}, false
	}
	inv := Invocation{
		DurationMS:       *m.DurationMS,
		BilledDurationMS: m.BilledDurationMS,
		MemorySizeMB:     megabytes(*m.MemorySizeMB),
		MaxMemoryUsedMB:  megabytes(m.MaxMemoryUsedMB),
		InitDurationMS:   m.InitDurationMS,
	}
	if inv.InitDurationMS == 0 {
		inv.InitDurationMS = m.RestoreDurationMS
	}
	return inv, true
}

// ShapeKey is a top-level key of a result object whose value is not a
// string, with the JSON kind of its value. Amazon Connect's STRING_MAP
// response type expects a flat map of strings; these keys are the ones it
// may not take as they are. It never holds the value (customer data).
type ShapeKey struct {
	Key  string `json:"key"`
	Kind string `json:"kind"` // object, list, number, bool or null
}

// The kinds of a ShapeKey.
const (
	KindObject = "object"
	KindList   = "list"
	KindNumber = "number"
	KindBool   = "bool"
	KindNull   = "null"
)

// shapeOf lists the keys of raw whose values are not strings, sorted by key.
func shapeOf(raw map[string]json.RawMessage) []ShapeKey {
	var out []ShapeKey
	for k, v := range raw {
		if kind := jsonKind(v); kind != "" {
			out = append(out, ShapeKey{Key: k, Kind: kind})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// jsonKind names the kind of a JSON value, "" for a string.
func jsonKind(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return KindNull
	}
	switch s[0] {
	case '"':
		return ""
	case '{':
		return KindObject
	case '[':
		return KindList
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// Call is what one invocation that reached the function left behind, for
// an observer (WithObserver): its REPORT figures (nil when the tail held
// none) and, for a result object, its shape.
type Call struct {
	Event      string
	Invocation *Invocation
	// Shape is the result object's non-string keys; nil for a function
	// error.
	Shape []ShapeKey
	// Result is true when the call returned a result object.
	Result bool
}
