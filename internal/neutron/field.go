package neutron

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Field is one attribute of a request body with its presence: absent
// (Set false), given as JSON null (Set and Null), or given a value. PUT
// semantics depend on the difference: an absent gateway_ip keeps the
// gateway, a null one removes it.
type Field[T any] struct {
	Set  bool
	Null bool
	V    T
}

// Has reports whether the field was given a non-null value.
func (f Field[T]) Has() bool { return f.Set && !f.Null }

// Or returns the value when given, else def.
func (f Field[T]) Or(def T) T {
	if f.Has() {
		return f.V
	}
	return def
}

// Val builds a field holding v, for callers assembling requests in code.
func Val[T any](v T) Field[T] { return Field[T]{Set: true, V: v} }

// Null builds a field given as JSON null.
func Null[T any]() Field[T] { return Field[T]{Set: true, Null: true} }

// invalid is the message Neutron's convert_values builds when a validator
// rejects an attribute value.
func invalid(attr, reason string) *Error {
	return BadRequest("Invalid input for %s. Reason: %s.", attr, reason)
}

// pyRepr shows a JSON value roughly as Python's %s shows the decoded value,
// so messages read like Neutron's: strings bare, null as None, true as True.
func pyRepr(raw json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return string(raw)
	}
	return pyValue(v, false)
}

func pyValue(v any, nested bool) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case string:
		if nested {
			return "'" + t + "'"
		}
		return t
	case json.Number:
		return t.String()
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = pyValue(e, true)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = "'" + k + "': " + pyValue(t[k], true)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// parseBool accepts what oslo's strict bool_from_string accepts (JSON
// booleans, "true"/"false", "1"/"0", "yes"/"no", "on"/"off", "t"/"f",
// "y"/"n" in any case) because the openstack CLI and older clients send
// some booleans as strings.
func parseBool(raw json.RawMessage) (bool, bool) {
	if isNull(raw) {
		return false, false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return boolString(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		switch n.String() {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	}
	return false, false
}

func boolString(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "on", "y", "yes":
		return true, true
	case "0", "f", "false", "off", "n", "no":
		return false, true
	}
	return false, false
}

// parseInt accepts a JSON integer or a string holding one, as Neutron's
// convert_to_int does; fractions are refused rather than truncated.
func parseInt(raw json.RawMessage) (int, bool) {
	if isNull(raw) {
		return 0, false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		return 0, false
	}
	return int(i), true
}

func setBool(f *Field[bool], attr string, raw json.RawMessage) error {
	f.Set = true
	b, ok := parseBool(raw)
	if !ok {
		return invalid(attr, fmt.Sprintf("'%s' is not a valid boolean value", pyRepr(raw)))
	}
	f.V = b
	return nil
}

func setInt(f *Field[int], attr string, raw json.RawMessage, nullable bool) error {
	f.Set = true
	if nullable && isNull(raw) {
		f.Null = true
		return nil
	}
	i, ok := parseInt(raw)
	if !ok {
		return invalid(attr, fmt.Sprintf("'%s' is not an integer", pyRepr(raw)))
	}
	f.V = i
	return nil
}

// setString decodes a string of at most maxLen characters (0: no limit).
func setString(f *Field[string], attr string, raw json.RawMessage, maxLen int, nullable bool) error {
	f.Set = true
	if nullable && isNull(raw) {
		f.Null = true
		return nil
	}
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return invalid(attr, fmt.Sprintf("'%s' is not a valid string", pyRepr(raw)))
	}
	if maxLen > 0 && len([]rune(s)) > maxLen {
		return invalid(attr, fmt.Sprintf("'%s' exceeds maximum length of %d", s, maxLen))
	}
	f.V = s
	return nil
}

// setEnum decodes a string that must be one of values.
func setEnum(f *Field[string], attr string, raw json.RawMessage, nullable bool, values ...string) error {
	if err := setString(f, attr, raw, 0, nullable); err != nil {
		if nullable {
			return invalid(attr, fmt.Sprintf("'%s' is not in %s", pyRepr(raw), pyListNone(values)))
		}
		return invalid(attr, fmt.Sprintf("'%s' is not in %s", pyRepr(raw), pyList(values)))
	}
	if f.Null {
		return nil
	}
	for _, v := range values {
		if f.V == v {
			return nil
		}
	}
	if nullable {
		return invalid(attr, fmt.Sprintf("'%s' is not in %s", f.V, pyListNone(values)))
	}
	return invalid(attr, fmt.Sprintf("'%s' is not in %s", f.V, pyList(values)))
}

func pyListNone(values []string) string {
	s := pyList(values)
	return s[:len(s)-1] + ", None]"
}

// setStrings decodes a list of strings, each at most maxLen long, refusing
// duplicates when unique is set (Neutron's type:list_of_unique_strings).
func setStrings(f *Field[[]string], attr string, raw json.RawMessage, maxLen int, unique bool) error {
	f.Set = true
	var l []string
	if isNull(raw) || json.Unmarshal(raw, &l) != nil {
		return invalid(attr, fmt.Sprintf("'%s' is not a list", pyRepr(raw)))
	}
	if l == nil {
		l = []string{}
	}
	seen := make(map[string]bool, len(l))
	for _, s := range l {
		if maxLen > 0 && len([]rune(s)) > maxLen {
			return invalid(attr, fmt.Sprintf("'%s' exceeds maximum length of %d", s, maxLen))
		}
		if unique && seen[s] {
			return invalid(attr, fmt.Sprintf("Duplicate items in the list: '%s'", s))
		}
		seen[s] = true
	}
	f.V = l
	return nil
}

// decodeObjects decodes a list of JSON objects into T, refusing keys
// outside allowed with Neutron's "Unrecognized attribute(s)" message.
func decodeObjects[T any](attr string, raw json.RawMessage, allowed ...string) ([]T, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || isNull(raw) {
		return nil, invalid(attr, fmt.Sprintf("'%s' is not a list", pyRepr(raw)))
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(it, &m); err != nil || m == nil {
			return nil, invalid(attr, fmt.Sprintf("'%s' is not a dictionary", pyRepr(it)))
		}
		var extra []string
		for k := range m {
			if !contains(allowed, k) {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			return nil, BadRequest("Unrecognized attribute(s) '%s'", strings.Join(extra, ", "))
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, invalid(attr, fmt.Sprintf("'%s' is not a valid string for %s", pyRepr(v), k))
			}
		}
		var t T
		if err := json.Unmarshal(it, &t); err != nil {
			return nil, invalid(attr, fmt.Sprintf("'%s' is not valid", pyRepr(it)))
		}
		out = append(out, t)
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}
