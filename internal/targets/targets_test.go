package targets_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/events"
	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/failure"
	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

const (
	fnEU      = "arn:aws:lambda:eu-west-2:123456789012:function:sfInvokeAPI"
	fnUS      = "sfInvokeAPI-staging"
	phoneEU   = "+441122334455"
	phoneUS   = "+15005550006"
	secretARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:sfCredentials-AbCdEf"
	keyARN    = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	connect   = "arn:aws:connect:eu-west-2:123456789012:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

// The same file in YAML and JSON.
const (
	fileYAML = `
# two deployments
max_concurrency: 2
targets:
  - function: ` + fnEU + `
    phone: +441122334455          # unquoted: stays text
    fields: Id, Name
    secret_arn: ` + secretARN + `
    kms_key_arn: ` + keyARN + `
    connect_instance_arn: ` + connect + `
    name: prod-eu
    keep_cases: true
    region: eu-west-2
    profile: prod
  - function: sfInvokeAPI-staging
    phone: "+15005550006"
    role_arn: arn:aws:iam::210987654321:role/sfprobe-target
    external_id: ext-1234:abc
`
	fileJSON = `{
  "max_concurrency": 2,
  "targets": [
    {"function": "` + fnEU + `", "phone": "+441122334455", "fields": "Id, Name",
     "secret_arn": "` + secretARN + `", "kms_key_arn": "` + keyARN + `",
     "connect_instance_arn": "` + connect + `", "name": "prod-eu", "keep_cases": true,
     "region": "eu-west-2", "profile": "prod"},
    {"function": "sfInvokeAPI-staging", "phone": "+15005550006",
     "role_arn": "arn:aws:iam::210987654321:role/sfprobe-target", "external_id": "ext-1234:abc"}
  ]
}`
)

func wantFile() targets.File {
	return targets.File{
		MaxConcurrency: 2,
		Targets: []targets.Entry{
			{
				Function: fnEU, Phone: phoneEU, Fields: "Id, Name", SecretARN: secretARN, KMSKeyARN: keyARN,
				ConnectInstanceARN: connect, Name: "prod-eu", KeepCases: true, Region: "eu-west-2", Profile: "prod",
			},
			{Function: fnUS, Phone: phoneUS, Fields: events.DefaultFields, RoleARN: "arn:aws:iam::210987654321:role/sfprobe-target", ExternalID: "ext-1234:abc"},
		},
	}
}

func TestParseYAMLAndJSONAgree(t *testing.T) {
	tests := []struct {
		name     string
		give     string
		fileName string
	}{
		{"yaml by extension", fileYAML, "targets.yaml"},
		{"yml by extension", fileYAML, "targets.yml"},
		{"yaml by content", fileYAML, "targets"},
		{"json by extension", fileJSON, "targets.json"},
		{"json by content", fileJSON, ""},
		{"json in a .yaml file", fileJSON, "targets.yaml"},
		{"json with a byte order mark", "\ufeff" + fileJSON, "targets.json"},
		{"uppercase extension", fileJSON, "TARGETS.JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := targets.Parse([]byte(tt.give), tt.fileName)
			require.NoError(t, err)
			assert.Equal(t, wantFile(), got)
		})
	}
}

func TestParseYAMLFeatures(t *testing.T) {
	got, err := targets.Parse([]byte(`
targets:
  - &first {function: a, phone: "+441122334455", region: eu-west-2, profile: prod}
  - {<<: *first, function: b}
  - {<<: *first, function: c, region: eu-west-1}
`), "t.yaml")
	require.NoError(t, err)
	require.Len(t, got.Targets, 3)
	assert.Equal(t, targets.Entry{Function: "b", Phone: phoneEU, Fields: events.DefaultFields, Region: "eu-west-2", Profile: "prod"}, got.Targets[1])
	assert.Equal(t, "eu-west-1", got.Targets[2].Region)

	got, err = targets.Parse([]byte("targets:\n- function: a\n  phone: +441122334455\n  name: 2025-01-01\n  keep_cases: false\n  fields: ~\n"), "t.yml")
	require.NoError(t, err)
	assert.Equal(t, "2025-01-01", got.Targets[0].Name, "a date stays text")
	assert.Equal(t, phoneEU, got.Targets[0].Phone, "an unquoted E.164 number stays text")
	assert.Equal(t, events.DefaultFields, got.Targets[0].Fields, "null means the default")
}

func TestParseErrors(t *testing.T) {
	entry := func(extra string) string {
		return `{"function": "sfInvokeAPI", "phone": "+441122334455"` + extra + `}`
	}
	list := func(entries ...string) string { return `{"targets": [` + strings.Join(entries, ", ") + `]}` }
	many := make([]string, targets.MaxTargets+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"function": "f%d", "phone": "+441122334455"}`, i)
	}
	tests := []struct {
		name     string
		give     string
		fileName string
		wantErr  []string // each a line of the error, in order
	}{
		{name: "empty", give: "  \n", wantErr: []string{`empty: want {"targets": [...]} in YAML or JSON`}},
		{name: "only a comment", give: "# nothing\n", fileName: "t.yaml", wantErr: []string{`empty: want {"targets": [...]}`}},
		{name: "JSON syntax", give: "{\n  \"targets\": [\n    {\"function\": }\n]}", fileName: "t.json", wantErr: []string{"invalid JSON at line 3, column 18: invalid character '}'"}},
		{name: "JSON trailing data", give: `{"targets": []} {}`, wantErr: []string{"invalid JSON at line 1, column 17: invalid character '{' after top-level value"}},
		{name: "YAML syntax", give: "targets:\n  - function: a\n  phone: b\n - x", fileName: "t.yaml", wantErr: []string{"invalid YAML: yaml: line"}},
		{name: "two YAML documents", give: "targets: []\n---\ntargets: []\n", fileName: "t.yaml", wantErr: []string{"several documents"}},
		{name: "YAML key that is a list", give: "? [a, b]\n: c\n", fileName: "t.yaml", wantErr: []string{"line 1: a key must be plain text"}},
		{name: "not an object", give: `[{"function": "a"}]`, wantErr: []string{`want an object {"targets": [...]}, got a list`}},
		{name: "scalar YAML", give: "hello", wantErr: []string{`want an object {"targets": [...]}, got the string "hello"`}},
		{name: "no targets", give: `{"max_concurrency": 2}`, wantErr: []string{"targets: required: a list of targets"}},
		{name: "empty list", give: `{"targets": []}`, wantErr: []string{"targets: empty: list at least one target"}},
		{name: "targets null", give: "targets:\n", fileName: "t.yaml", wantErr: []string{"targets: empty"}},
		{name: "targets not a list", give: `{"targets": {"function": "a"}}`, wantErr: []string{"targets: want a list of targets, each with at least function and phone, got an object"}},
		{name: "too many", give: list(many...), wantErr: []string{"targets: 1001 targets; at most 1000 per file, the most one workflow run probes (more than 50 run on its Distributed Map, which needs a STANDARD state machine). Split the list into several files"}},
		{name: "role_arn not a role", give: list(entry(`, "role_arn": "arn:aws:iam::123456789012:user/bob"`)), wantErr: []string{`targets[0].role_arn: "arn:aws:iam::123456789012:user/bob" is not an IAM role ARN (want arn:aws:iam::<account>:role/<name>)`}},
		{name: "external_id without role_arn", give: list(entry(`, "external_id": "abc123"`)), wantErr: []string{"targets[0].external_id: set without role_arn"}},
		{name: "external_id too short", give: list(entry(`, "role_arn": "arn:aws:iam::123456789012:role/sfprobe-target", "external_id": "a"`)), wantErr: []string{"targets[0].external_id: want 2 to 1224"}},
		{name: "external_id with a space", give: list(entry(`, "role_arn": "arn:aws:iam::123456789012:role/sfprobe-target", "external_id": "a b"`)), wantErr: []string{"targets[0].external_id: want 2 to 1224"}},
		{name: "unknown top-level key", give: `{"target": [], "targets": [` + entry("") + `]}`, wantErr: []string{`target: unknown key; did you mean "targets"?`}},
		{name: "unknown top-level key, no suggestion", give: `{"version": 1, "targets": [` + entry("") + `]}`, wantErr: []string{"version: unknown key (known: max_concurrency, targets)"}},
		{name: "duplicate key", give: `{"targets": [], "targets": []}`, wantErr: []string{"targets: given twice"}},
		{name: "max_concurrency zero", give: `{"max_concurrency": 0, "targets": [` + entry("") + `]}`, wantErr: []string{"max_concurrency: 0 is out of range: want 1 to 50 (omit it for min(targets, 10))"}},
		{name: "max_concurrency too high", give: `{"max_concurrency": 51, "targets": [` + entry("") + `]}`, wantErr: []string{"max_concurrency: 51 is out of range: want 1 to 50"}},
		{name: "max_concurrency not an integer", give: `{"max_concurrency": 2.5, "targets": [` + entry("") + `]}`, wantErr: []string{"max_concurrency: want an integer from 1 to 50, got the number 2.5"}},
		{name: "max_concurrency a string", give: "max_concurrency: ten\ntargets: [{function: a, phone: '+441122334455'}]", wantErr: []string{`max_concurrency: want an integer from 1 to 50, got the string "ten"`}},
		{name: "entry not an object", give: list(entry(""), `"sfInvokeAPI"`), wantErr: []string{`targets[1]: want an object with at least function and phone, got the string "sfInvokeAPI"`}},
		{name: "unknown entry key with a suggestion", give: list(entry(`, "secretArn": "x"`)), wantErr: []string{`targets[0].secretArn: unknown key; did you mean "secret_arn"?`}},
		{
			name: "unknown entry key", give: list(entry(`, "org": "acme"`)),
			wantErr: []string{"targets[0].org: unknown key (known: function, phone, fields, secret_arn, kms_key_arn, connect_instance_arn, name, keep_cases, expect_version, role_arn, external_id, region, profile)"},
		},
		{name: "odd key is quoted", give: list(entry(`, "a b\u001b": 1`)), wantErr: []string{`targets[0]["a b\x1b"]: unknown key`}},
		{name: "duplicate entry key", give: list(`{"function": "a", "function": "b"}`), wantErr: []string{"targets[0].function: given twice"}},
		{name: "phone as a YAML number", give: "targets:\n  - function: a\n    phone: 441122334455\n", fileName: "t.yaml", wantErr: []string{"targets[0].phone: want a string, got the number 441122334455"}},
		{name: "keep_cases a string", give: list(entry(`, "keep_cases": "yes"`)), wantErr: []string{`targets[0].keep_cases: want true or false, got the string "yes"`}},
		{name: "name an object", give: list(entry(`, "name": {}`)), wantErr: []string{"targets[0].name: want a string, got an object"}},
		{name: "missing function", give: list(`{"phone": "+441122334455"}`), wantErr: []string{"targets[0].function: required: the sfInvokeAPI function name or ARN"}},
		{name: "missing phone", give: list(`{"function": "a"}`), wantErr: []string{`targets[0].phone: "" is not an E.164 phone number`}},
		{
			name: "every field of an entry at once",
			give: list(entry(""), `{"function": "arn:aws:lambda:x", "phone": "0044", "fields": "Id,Name", "secret_arn": "s", "kms_key_arn": "k", "connect_instance_arn": "c", "name": "a b", "region": "Europe", "profile": " p"}`),
			wantErr: []string{
				`targets[1].function: "arn:aws:lambda:x" is not a Lambda function ARN`,
				`targets[1].fields: "Id,Name": "Id,Name" is not a Salesforce field name`,
				`targets[1].phone: "0044" is not an E.164 phone number`,
				`targets[1].secret_arn: "s" is not a Secrets Manager secret ARN`,
				`targets[1].kms_key_arn: "k" is not a KMS key or alias ARN`,
				`targets[1].connect_instance_arn: "c" is not an Amazon Connect instance ARN`,
				`targets[1].name: "a b": want 1 to 200 of letters`,
				`targets[1].region: "Europe" is not an AWS region (want e.g. eu-west-2)`,
				`targets[1].profile: " p" is not a profile name`,
			},
		},
		{name: "region other than the ARN's", give: list(`{"function": "` + fnEU + `", "phone": "+441122334455", "region": "us-east-1"}`), wantErr: []string{`targets[0].region: "us-east-1", but the function ARN is in eu-west-2`}},
		{name: "duplicate names", give: list(entry(`, "name": "prod"`), `{"function": "other", "phone": "+441122334455", "name": "prod"}`), wantErr: []string{`targets[1].name: label "prod" is also the label of targets[0]; give each target a distinct name (the label is the metric dimension Target)`}},
		{
			name:    "same function in two regions without names",
			give:    list(`{"function": "sfInvokeAPI", "phone": "+441122334455", "region": "eu-west-2"}`, `{"function": "sfInvokeAPI", "phone": "+441122334455", "region": "us-east-1"}`),
			wantErr: []string{`targets[1].name: label "sfInvokeAPI" (the function name) is also the label of targets[0]; set name to tell them apart`},
		},
		{name: "a name equal to another's function name", give: list(entry(""), `{"function": "other", "phone": "+441122334455", "name": "sfInvokeAPI"}`), wantErr: []string{`targets[1].name: label "sfInvokeAPI" is also the label of targets[0]`}},
		{name: "ARN and name label alike", give: list(`{"function": "`+fnEU+`", "phone": "+441122334455"}`, `{"function": "sfInvokeAPI:live", "phone": "+441122334455"}`), wantErr: []string{`targets[1].name: label "sfInvokeAPI" (the function name) is also the label of targets[0]`}},
		{
			name:    "errors of several entries and the file together",
			give:    `{"max_concurrency": 99, "targets": [` + entry(`, "nmae": "x"`) + `, {"function": "b", "phone": 5}]}`,
			wantErr: []string{"max_concurrency: 99 is out of range", `targets[0].nmae: unknown key`, "targets[1].phone: want a string, got the number 5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := targets.Parse([]byte(tt.give), tt.fileName)
			require.Error(t, err)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tt.wantErr), "one line per problem:\n%v", err)
			for i, want := range tt.wantErr {
				assert.Contains(t, lines[i], want)
			}
		})
	}
}

func TestParseErrorsAreFieldErrors(t *testing.T) {
	_, err := targets.Parse([]byte(`{"targets": [{"function": "a", "phone": "1"}, {"function": "a", "phone": "+441122334455"}]}`), "t.json")
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *validate.FieldError
		require.True(t, errors.As(e, &fe), "%v", e)
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"targets[0].phone", "targets[1].name"}, fields)
}

func TestParseTooLarge(t *testing.T) {
	big := `{"targets": [], "pad": "` + strings.Repeat("x", targets.MaxSize) + `"}`
	_, err := targets.Parse([]byte(big), "t.json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 1048576 bytes")
}

func TestMaxTargetsAccepted(t *testing.T) {
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range targets.MaxTargets {
		fmt.Fprintf(&b, "  - {function: sfInvokeAPI-%03d, phone: +441122334455}\n", i)
	}
	f, err := targets.Parse([]byte(b.String()), "t.yaml")
	require.NoError(t, err)
	assert.Len(t, f.Targets, targets.MaxTargets)
	assert.Equal(t, targets.DefaultConcurrency, f.Concurrency())
}

// TestReportsFitTheWorkflowPayload backs workflow.InlineMaxTargets: the
// Fleet JSON of that many reports, every check failed with a long message
// and its remedy (more than any real run), fits Step Functions' 256 KiB
// payload (the inline Map's output).
func TestReportsFitTheWorkflowPayload(t *testing.T) {
	startedAt := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	reps := make([]check.Report, workflow.InlineMaxTargets)
	for i := range reps {
		r := check.Report{
			Target: fmt.Sprintf("sfInvokeAPI-production-%03d", i), RunID: check.NewRunID(startedAt), StartedAt: startedAt,
			DurationMS: 12345, Cleanup: check.Cleanup{Status: check.CleanupFailed, CaseID: "500000000000001AAA", ErrorClass: failure.Network, Message: strings.Repeat("m", 100)},
			SalesforceCalls: 5,
		}
		for _, n := range check.Names() {
			r.Checks = append(r.Checks, check.Result{
				Name: n, Status: check.Fail, DurationMS: 1234, ErrorClass: failure.Permission, Message: strings.Repeat("m", 100),
				Remediation: failure.Permission.Remedy(), Runbook: failure.Permission.Anchor(),
			})
		}
		r.Finish()
		reps[i] = r
	}
	b, err := json.Marshal(check.NewFleet("run", startedAt, 0, reps))
	require.NoError(t, err)
	t.Logf("fleet JSON of %d failed targets: %d bytes (%d per target)", len(reps), len(b), len(b)/len(reps))
	assert.Less(t, len(b), 256*1024)
}

func TestConcurrency(t *testing.T) {
	entries := func(n int) []targets.Entry { return make([]targets.Entry, n) }
	tests := []struct {
		name string
		give targets.File
		want int
	}{
		{"file's bound", targets.File{MaxConcurrency: 3, Targets: entries(20)}, 3},
		{"file's bound above the targets", targets.File{MaxConcurrency: 30, Targets: entries(2)}, 30},
		{"default: all of a few", targets.File{Targets: entries(4)}, 4},
		{"default: ten of many", targets.File{Targets: entries(40)}, targets.DefaultConcurrency},
		{"never zero", targets.File{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.Concurrency())
		})
	}
}

// TestEntryHasTargetsKeys: an Entry carries every check.Target field under
// its JSON name, so the file and the workflow's input cannot drift apart.
func TestEntryHasTargetsKeys(t *testing.T) {
	want := check.Target{
		Function: fnEU, Phone: phoneEU, Fields: "Id, Name", SecretARN: secretARN, KMSKeyARN: keyARN,
		ConnectInstanceARN: connect, Name: "prod-eu", KeepCases: true,
	}
	b, err := json.Marshal(want)
	require.NoError(t, err)
	f, err := targets.Parse([]byte(`{"targets": [`+string(b)+`]}`), "t.json")
	require.NoError(t, err, "every key of check.Target is a key of an entry")
	assert.Equal(t, want, f.Targets[0].Target())
	assert.Equal(t, []check.Target{want}, f.CheckTargets())
	assert.Equal(t, "prod-eu", f.Targets[0].Label())

	back, err := json.Marshal(f.Targets[0])
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(back), "an entry without CLI settings encodes as its target")
}

func TestFileRoundTrips(t *testing.T) {
	b, err := json.Marshal(wantFile())
	require.NoError(t, err)
	got, err := targets.Parse(b, "t.json")
	require.NoError(t, err)
	assert.Equal(t, wantFile(), got)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fileYAML), 0o600))
	got, err := targets.Load(path)
	require.NoError(t, err)
	assert.Equal(t, wantFile(), got)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"targets": [{"function": "a"}]}`), 0o600))
	_, err = targets.Load(bad)
	require.Error(t, err)
	assert.Equal(t, "targets file "+bad+`: targets[0].phone: "" is not an E.164 phone number (want + then 7 to 15 digits, e.g. +441122334455)`, err.Error())

	_, err = targets.Load(filepath.Join(dir, "missing.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "read targets file")
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(path, []byte("# "+strings.Repeat("x", targets.MaxSize)), 0o600))
	_, err := targets.Load(path)
	require.Error(t, err)
	assert.Equal(t, "targets file "+path+": larger than 1048576 bytes", err.Error())
}

func TestLoadSeveralErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte("targets:\n  - {function: a}\n  - {function: a, phone: '+441122334455'}\n"), 0o600))
	_, err := targets.Load(path)
	require.Error(t, err)
	assert.Equal(t, "targets file "+path+":\n"+
		`targets[0].phone: "" is not an E.164 phone number (want + then 7 to 15 digits, e.g. +441122334455)`+"\n"+
		`targets[1].name: label "a" (the function name) is also the label of targets[0]; set name to tell them apart (the label is the metric dimension Target)`,
		err.Error(), "each error on its own line")
	var fe *validate.FieldError
	assert.ErrorAs(t, err, &fe)
}
