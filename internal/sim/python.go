package sim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// exception is a Python exception raised inside the simulated handler. Its
// class name and str() become errorType and errorMessage of the Lambda
// function error. Messages never hold secret values.
type exception struct {
	Type    string
	Message string
	// trace is the stackTrace the runtime reports (see traceback.go).
	trace []string
}

func (e *exception) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

func raise(typ, format string, args ...any) *exception {
	return &exception{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// keyError is KeyError(key): its str() is the key's repr.
func keyError(key string) *exception { return &exception{Type: "KeyError", Message: pyRepr(key)} }

// subscript is Python's v[key] for a string key.
func subscript(v any, key string) (any, error) {
	switch x := v.(type) {
	case *dict:
		val, ok := x.get(key)
		if !ok {
			return nil, keyError(key)
		}
		return val, nil
	case []any, []string:
		return nil, raise("TypeError", "list indices must be integers or slices, not str")
	case string:
		return nil, raise("TypeError", "string indices must be integers, not 'str'")
	}
	return nil, raise("TypeError", "'%s' object is not subscriptable", pyTypeName(v))
}

// contains is Python's `needle in v` for a string needle.
func contains(v any, needle string) (bool, error) {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, needle), nil
	case *dict:
		return x.has(needle), nil
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == needle {
				return true, nil
			}
		}
		return false, nil
	}
	return false, raise("TypeError", "argument of type '%s' is not iterable", pyTypeName(v))
}

// noAttribute is the AttributeError of calling a str method on a non-str.
func noAttribute(v any, attr string) *exception {
	return raise("AttributeError", "'%s' object has no attribute '%s'", pyTypeName(v), attr)
}

// pySlice is s[start:end] on code points with Python's clamping; hasEnd
// false means an open end.
func pySlice(s string, start, end int, hasEnd bool) string {
	r := []rune(s)
	n := len(r)
	norm := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	a := norm(start)
	b := n
	if hasEnd {
		b = norm(end)
	}
	if a >= b {
		return ""
	}
	return string(r[a:b])
}

// pyInt is int(s) for a str: surrounding whitespace, a sign and single
// underscores between digits are allowed.
func pyInt(s string) (int64, error) {
	t := strings.TrimFunc(s, unicode.IsSpace)
	body := strings.TrimLeft(t, "+-")
	ok := len(t)-len(body) <= 1 && body != "" && body[0] != '_' && body[len(body)-1] != '_' && !strings.Contains(body, "__")
	digits := strings.ReplaceAll(body, "_", "")
	for _, c := range digits {
		if c < '0' || c > '9' {
			ok = false
		}
	}
	if ok {
		n, err := strconv.ParseInt(t[:len(t)-len(body)]+digits, 10, 64)
		if err == nil {
			return n, nil
		}
	}
	return 0, raise("ValueError", "invalid literal for int() with base 10: %s", pyRepr(s))
}

// signature describes a Python function the handler calls as
// fn(sf=sf, **parameters).
type signature struct {
	name     string
	required []string       // positional parameters after sf, in order
	optional []string       // parameters with defaults
	defaults map[string]any // their defaults
	varKw    bool           // **kwargs
}

// bind binds parameters to sig the way CPython does, including its
// TypeError texts. It returns the named arguments and the **kwargs.
func (sig signature) bind(params *dict) (map[string]any, *dict, error) {
	if params.has("sf") {
		return nil, nil, raise("TypeError", "sfInvokeAPI.%s() got multiple values for keyword argument 'sf'", sig.name)
	}
	named := map[string]bool{}
	for _, p := range sig.required {
		named[p] = true
	}
	for _, p := range sig.optional {
		named[p] = true
	}
	args := map[string]any{}
	kwargs := newDict()
	for _, k := range params.keys {
		v := params.vals[k]
		switch {
		case named[k]:
			args[k] = v
		case sig.varKw:
			kwargs.set(k, v)
		default:
			return nil, nil, raise("TypeError", "%s() got an unexpected keyword argument '%s'", sig.name, k)
		}
	}
	var missing []string
	for _, p := range sig.required {
		if _, ok := args[p]; !ok {
			missing = append(missing, "'"+p+"'")
		}
	}
	if len(missing) > 0 {
		noun := "argument"
		if len(missing) > 1 {
			noun = "arguments"
		}
		return nil, nil, raise("TypeError", "%s() missing %d required positional %s: %s", sig.name, len(missing), noun, joinMissing(missing))
	}
	for _, p := range sig.optional {
		if _, ok := args[p]; !ok {
			args[p] = sig.defaults[p]
		}
	}
	return args, kwargs, nil
}

// joinMissing joins names as CPython's format_missing does.
func joinMissing(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + ", and " + names[len(names)-1]
}
