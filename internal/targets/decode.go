package targets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

var (
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	jsonNumberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	plainKeyRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// topKeys are the file's keys; entryKeys (Entry's JSON names, in field
// order) and entryField (each name's field index) are read from the struct
// tags, so the tags are the one list of keys.
var (
	topKeys               = []string{"max_concurrency", "targets"}
	entryKeys, entryField = jsonFields(reflect.TypeFor[Entry]())
)

func jsonFields(t reflect.Type) ([]string, map[string]int) {
	var keys []string
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
		index[name] = i
	}
	return keys, index
}

// decodeFile decodes and validates the JSON of a targets file, reporting
// every problem it finds.
func decodeFile(data []byte) (File, error) {
	top, err := members(data, "")
	if err != nil {
		return File{}, err
	}
	var f File
	var errs []error
	var rawTargets json.RawMessage
	for _, m := range top {
		switch m.key {
		case "max_concurrency":
			n, err := decodeConcurrency(m.value)
			if err != nil {
				errs = append(errs, err)
			}
			f.MaxConcurrency = n
		case "targets":
			rawTargets = m.value
		default:
			errs = append(errs, unknownKey("", m.key, topKeys))
		}
	}
	entries, entryErrs := decodeEntries(rawTargets)
	f.Targets = entries
	errs = append(errs, entryErrs...)
	if err := errors.Join(errs...); err != nil {
		return File{}, err
	}
	return f, nil
}

func decodeConcurrency(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, &validate.FieldError{Field: "max_concurrency", Msg: fmt.Sprintf("want an integer from 1 to %d, got %s", MaxConcurrency, describe(raw))}
	}
	if n < 1 || n > MaxConcurrency {
		return 0, &validate.FieldError{Field: "max_concurrency", Msg: fmt.Sprintf("%d is out of range: want 1 to %d (omit it for min(targets, %d))", n, MaxConcurrency, DefaultConcurrency)}
	}
	return n, nil
}

// decodeEntries decodes and validates the targets list; raw is nil when the
// file has none.
func decodeEntries(raw json.RawMessage) ([]Entry, []error) {
	const want = "a list of targets, each with at least function and phone"
	if raw == nil {
		return nil, []error{&validate.FieldError{Field: "targets", Msg: "required: " + want}}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return nil, []error{&validate.FieldError{Field: "targets", Msg: fmt.Sprintf("want %s, got %s", want, describe(raw))}}
	}
	switch {
	case len(raws) == 0:
		return nil, []error{&validate.FieldError{Field: "targets", Msg: "empty: list at least one target, each with at least function and phone"}}
	case len(raws) > MaxTargets:
		return nil, []error{&validate.FieldError{Field: "targets", Msg: fmt.Sprintf("%d targets; at most %d per file, the most one workflow run probes (more than %d run on its Distributed Map, which needs a STANDARD state machine). Split the list into several files", len(raws), MaxTargets, workflow.InlineMaxTargets)}}
	}
	entries := make([]Entry, len(raws))
	var errs []error
	for i, r := range raws {
		errs = append(errs, decodeEntry(fmt.Sprintf("targets[%d]", i), r, &entries[i])...)
	}
	return entries, append(errs, duplicateLabels(entries)...)
}

// decodeEntry decodes one entry key by key, so that every wrong key and
// value is reported, then validates it.
func decodeEntry(path string, raw json.RawMessage, e *Entry) []error {
	ms, err := members(raw, path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	bad := map[string]bool{}
	v := reflect.ValueOf(e).Elem()
	for _, m := range ms {
		i, ok := entryField[m.key]
		if !ok {
			errs = append(errs, unknownKey(path, m.key, entryKeys))
			continue
		}
		field := v.Field(i)
		if err := json.Unmarshal(m.value, field.Addr().Interface()); err != nil {
			bad[path+"."+m.key] = true
			errs = append(errs, &validate.FieldError{Field: path + "." + m.key, Msg: fmt.Sprintf("want %s, got %s", kindName(field.Kind()), describe(m.value))})
		}
	}
	for _, err := range validateEntry(path, e) {
		var fe *validate.FieldError
		if errors.As(err, &fe) && bad[fe.Field] {
			continue // its value was reported already
		}
		errs = append(errs, err)
	}
	return errs
}

type member struct {
	key   string
	value json.RawMessage
}

// members returns the members of the JSON object data, which is valid
// JSON, in order; path names data in errors ("" for the file).
func members(data []byte, path string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if path == "" {
			return nil, fmt.Errorf(`want an object {"targets": [...]}, got %s`, describe(data))
		}
		return nil, &validate.FieldError{Field: path, Msg: "want an object with at least function and phone, got " + describe(data)}
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", orFile(path), err)
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("decode %s: %w", orFile(path), err)
		}
		if seen[key] {
			return nil, &validate.FieldError{Field: keyPath(path, key), Msg: "given twice"}
		}
		seen[key] = true
		out = append(out, member{key, value})
	}
	return out, nil
}

func orFile(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// keyPath appends key to path, quoted unless it is a plain name.
func keyPath(path, key string) string {
	if !plainKeyRe.MatchString(key) {
		key = strconv.Quote(key)
		if len(key) > 40 {
			key = key[:36] + `..."`
		}
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKey reports key, suggesting the known key it probably means.
func unknownKey(path, key string, known []string) error {
	msg := "unknown key (known: " + strings.Join(known, ", ") + ")"
	for _, k := range known {
		if fold(k) == fold(key) || fold(k) == fold(key)+"s" {
			msg = fmt.Sprintf("unknown key; did you mean %q?", k)
			break
		}
	}
	return &validate.FieldError{Field: keyPath(path, key), Msg: msg}
}

// fold drops case and separators: secretArn, secret-arn and SECRET_ARN fold alike.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	default:
		return k.String()
	}
}

// describe says what a JSON value is, for an error message.
func describe(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s == "null", s == "true", s == "false":
		return s
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "a list"
	case s[0] == '"':
		var str string
		_ = json.Unmarshal(raw, &str)
		return "the string " + shorten(strconv.Quote(str))
	default:
		return "the number " + shorten(s)
	}
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// checkJSON reports a syntax error with its line and column.
func checkJSON(data []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	}
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

// position converts the offset of a json.SyntaxError (the bytes read up to
// and including the bad one) to the bad byte's 1-based line and column.
func position(data []byte, offset int64) (int, int) {
	offset = min(max(offset-1, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// yamlToJSON converts a one-document YAML file to JSON.
func yamlToJSON(data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New(`empty: want {"targets": [...]} in YAML or JSON`)
		}
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid YAML: several documents (---); want one")
	}
	if err := plainScalars(&doc); err != nil {
		return nil, err
	}
	var v any
	if err := doc.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("convert YAML to JSON: %w", err)
	}
	return out, nil
}

// plainScalars retags n's tree so that its generic decoding is JSON: keys
// are text, and a scalar JSON has no number for (+441122334455, 0x1F, a
// date, .inf) or a custom tag stays text, as the user wrote it.
func plainScalars(n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		n.Tag = "!!map"
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("invalid YAML: line %d: a key must be plain text", k.Line)
			}
			if k.ShortTag() != "!!merge" {
				k.Tag = "!!str"
			}
			if err := plainScalars(n.Content[i+1]); err != nil {
				return err
			}
		}
		return nil
	case yaml.SequenceNode:
		n.Tag = "!!seq"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!bool", "!!null":
		case "!!int", "!!float":
			if !jsonNumberRe.MatchString(n.Value) {
				n.Tag = "!!str"
			}
		default:
			n.Tag = "!!str"
		}
	}
	for _, c := range n.Content {
		if err := plainScalars(c); err != nil {
			return err
		}
	}
	return nil
}
