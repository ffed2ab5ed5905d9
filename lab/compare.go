package lab

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Flatten turns a JSON document into path -> value lines ("pfs.0.sriov.numvfs"
// -> "2"), so that two inventories can be compared field by field and every
// difference named by its path.
func Flatten(doc []byte) (map[string]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("parse JSON: %w", err)
	}
	out := map[string]string{}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out[p] = "{}"
			}
			for k, c := range x {
				walk(join(p, k), c)
			}
		case []any:
			if len(x) == 0 {
				out[p] = "[]"
			}
			for i, c := range x {
				walk(join(p, fmt.Sprint(i)), c)
			}
		default:
			b, _ := json.Marshal(x)
			out[p] = string(b)
		}
	}
	walk("", v)
	return out, nil
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

// Diff compares two flattened documents and returns one line per path whose
// value differs, skipping paths that match any of the skip patterns
// (path.Match syntax over dot-separated paths, "*" being one element).
func Diff(want, got map[string]string, skip []string) []string {
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if skipped(k, skip) {
			continue
		}
		w, wok := want[k]
		g, gok := got[k]
		switch {
		case !wok:
			diffs = append(diffs, fmt.Sprintf("%s: only in the guest: %s", k, g))
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: only in the simulator: %s", k, w))
		case w != g:
			diffs = append(diffs, fmt.Sprintf("%s: simulator %s, guest %s", k, w, g))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func skipped(key string, patterns []string) bool {
	k := strings.ReplaceAll(key, ".", "/")
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ReplaceAll(p, ".", "/"), k); ok {
			return true
		}
	}
	return false
}
