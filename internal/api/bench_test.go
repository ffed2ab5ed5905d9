package api

import (
	"strings"
	"testing"
)

// BenchmarkHostIfModify: `vfnet host-if-modify` as the server sees it: one
// PATCH over HTTP on 127.0.0.1 with authentication, strict decoding, the
// store transaction and the JSON answer (SQLite).
func BenchmarkHostIfModify(b *testing.B) {
	f := newFixture(b)
	bodies := []string{`{"ifclass":"pci-sriov","sriov_numvfs":8}`, `{"ifclass":"pci-sriov","sriov_numvfs":9}`}
	i := 0
	for b.Loop() {
		i++
		status, body := f.do(b, "admin", "PATCH", "/v1/hosts/compute-0/interfaces/enp59s0f0", strings.NewReader(bodies[i%2]))
		if status != 200 {
			b.Fatalf("status %d: %s", status, body)
		}
	}
}
