package targets_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/validate"
)

// FuzzParse: Parse never panics. What it accepts is a valid file (1 to
// MaxTargets entries that validate, with distinct labels, a bound in range)
// that survives a JSON round trip unchanged; what it rejects it explains,
// and each validation error names a field path.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fileYAML, fileJSON,
		`{"targets": [{"function": "sfInvokeAPI", "phone": "+441122334455"}]}`,
		"targets:\n  - &a {function: a, phone: +441122334455, region: eu-west-2}\n  - {<<: *a, function: b}\n",
		"targets:\n- function: a\n  phone: 441122334455\n  keep_cases: yes\n  name: 2025-01-01\n",
		`{"max_concurrency": 0, "targets": [{"function": "a", "phone": "+441122334455", "secretArn": "x"}, {"function": "a"}]}`,
		`{"targets": [], "targets": []}`,
		"? [a]\n: b\n",
		"a: &x [*x]\n",
		"targets: [0x1F, .inf, ~, !!binary aGk=, !custom x]\n",
		"---\n---\n",
		"",
		"[",
	} {
		for _, name := range []string{"targets.yaml", "targets.json", "targets"} {
			f.Add([]byte(seed), name)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		file, err := targets.Parse(data, name)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var fe *validate.FieldError
					if !errors.As(e, &fe) || fe.Field == "" {
						t.Fatalf("%q is not a field error", e)
					}
				}
			}
			return
		}
		if n := len(file.Targets); n < 1 || n > targets.MaxTargets {
			t.Fatalf("accepted %d targets", n)
		}
		if c := file.MaxConcurrency; c < 0 || c > targets.MaxConcurrency {
			t.Fatalf("accepted max_concurrency %d", c)
		}
		if c := file.Concurrency(); c < 1 || c > targets.MaxConcurrency {
			t.Fatalf("concurrency %d", c)
		}
		labels := map[string]bool{}
		for i, e := range file.Targets {
			tg := e.Target()
			if err := tg.ValidateFor(true); err != nil {
				t.Fatalf("accepted targets[%d] that does not validate: %v", i, err)
			}
			if labels[e.Label()] {
				t.Fatalf("accepted a second label %q", e.Label())
			}
			labels[e.Label()] = true
		}
		b, err := json.Marshal(file)
		if err != nil {
			t.Fatal(err)
		}
		again, err := targets.Parse(b, "again.json")
		if err != nil {
			t.Fatalf("the accepted file's JSON is rejected: %v\n%s", err, b)
		}
		if b2, _ := json.Marshal(again); string(b2) != string(b) {
			t.Fatalf("round trip changed the file:\n%s\n%s", b, b2)
		}
	})
}
