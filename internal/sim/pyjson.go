package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// dict is a JSON object that keeps its keys in insertion order, as a Python
// dict does. sfInvokeAPI's results, the secret it writes back and
// Salesforce's records are built and re-serialized in order.
type dict struct {
	keys []string
	vals map[string]any
}

// newDict returns an object holding the key/value pairs kv.
func newDict(kv ...any) *dict {
	o := &dict{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *dict) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *dict) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *dict) has(k string) bool {
	_, ok := o.vals[k]
	return ok
}

func (o *dict) del(k string) bool {
	if _, ok := o.vals[k]; !ok {
		return false
	}
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
	return true
}

func (o *dict) size() int { return len(o.keys) }

// copyDict is dict(o): a shallow copy.
func (o *dict) copyDict() *dict {
	c := newDict()
	for _, k := range o.keys {
		c.set(k, o.vals[k])
	}
	return c
}

// errJSON is a JSON decoding error worded like Python's json module.
type errJSON struct{ msg string }

func (e *errJSON) Error() string { return e.msg }

// decodeJSON parses b like Python's json.loads: objects keep key order,
// numbers stay json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, pyJSONError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		for off < len(b) && isJSONSpace(b[off]) {
			off++
		}
		return nil, &errJSON{"Extra data: " + jsonPos(b, off)}
	}
	return v, nil
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		o := newDict()
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(k, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return o, nil
	case '[':
		l := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return l, nil
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// pyJSONError words a decoding error the way json.loads does, as closely
// as the Go decoder's information allows.
func pyJSONError(b []byte, err error) error {
	var syn *json.SyntaxError
	off := 0
	switch {
	case errors.As(err, &syn):
		// Python points at the start of the bad value, Go inside it.
		off = int(syn.Offset) - 1
		for off > 0 && off <= len(b) && isLetter(b[off-1]) {
			off--
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = len(b)
		if len(bytes.TrimSpace(b)) == 0 {
			off = 0
			for off < len(b) && isJSONSpace(b[off]) {
				off++
			}
		}
	}
	if off < 0 {
		off = 0
	}
	return &errJSON{"Expecting value: " + jsonPos(b, off)}
}

// jsonPos is Python's "line L column C (char N)".
func jsonPos(b []byte, off int) string {
	if off > len(b) {
		off = len(b)
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off + 1
	if i := bytes.LastIndexByte(b[:off], '\n'); i >= 0 {
		col = off - i
	}
	return fmt.Sprintf("line %d column %d (char %d)", line, col, utf8.RuneCount(b[:off]))
}

// pyDumps serializes v like Python's json.dumps with default settings:
// ", " and ": " separators and ensure_ascii.
func pyDumps(v any) []byte {
	var buf bytes.Buffer
	encodeJSON(&buf, v, true)
	return buf.Bytes()
}

// compactJSON serializes v the way Salesforce answers: no spaces, UTF-8.
func compactJSON(v any) []byte {
	var buf bytes.Buffer
	encodeJSON(&buf, v, false)
	return buf.Bytes()
}

func encodeJSON(buf *bytes.Buffer, v any, py bool) {
	sep, colon := ",", ":"
	if py {
		sep, colon = ", ", ": "
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(buf, x, py)
	case int:
		buf.WriteString(strconv.Itoa(x))
	case float64:
		buf.WriteString(jsonFloat(x, py))
	case json.Number:
		buf.WriteString(jsonNumber(x, py))
	case []string:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteString(sep)
			}
			writeJSONString(buf, e, py)
		}
		buf.WriteByte(']')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteString(sep)
			}
			encodeJSON(buf, e, py)
		}
		buf.WriteByte(']')
	case *dict:
		buf.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				buf.WriteString(sep)
			}
			writeJSONString(buf, k, py)
			buf.WriteString(colon)
			encodeJSON(buf, x.vals[k], py)
		}
		buf.WriteByte('}')
	default:
		b, _ := json.Marshal(x)
		buf.Write(b)
	}
}

func writeJSONString(buf *bytes.Buffer, s string, asciiOnly bool) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(buf, `\u%04x`, r)
			case asciiOnly && r > 0x7e && r != 0x7f:
				if r > 0xffff {
					r1, r2 := utf16Pair(r)
					fmt.Fprintf(buf, `\u%04x\u%04x`, r1, r2)
				} else {
					fmt.Fprintf(buf, `\u%04x`, r)
				}
			default:
				buf.WriteRune(r)
			}
		}
	}
	buf.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// jsonNumber renders a decoded number: Python re-renders floats with repr.
func jsonNumber(n json.Number, py bool) string {
	s := n.String()
	if !py || !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	return jsonFloat(f, true)
}

func jsonFloat(f float64, py bool) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if !py {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return pyFloatRepr(f)
}

// pyFloatRepr is Python's repr(float).
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyRepr is Python's repr(str).
func pyRepr(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// pyReprValue is repr() of a decoded JSON value.
func pyReprValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyRepr(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloatRepr(x)
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			return s
		}
		f, _ := strconv.ParseFloat(s, 64)
		return pyFloatRepr(f)
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyReprValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *dict:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = pyRepr(k) + ": " + pyReprValue(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyStr is Python's str() of a decoded JSON value.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyReprValue(v)
}

// pyTypeName is type(v).__name__ of a decoded JSON value.
func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case int:
		return "int"
	case float64:
		return "float"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "float"
		}
		return "int"
	case []any, []string:
		return "list"
	case *dict:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// pyTruthy is bool(v).
func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case float64:
		return x != 0
	case json.Number:
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f != 0
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case *dict:
		return x.size() > 0
	}
	return true
}
