package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
)

// FuzzDecode: any body either decodes or is a 400 with a message; never a
// panic, never another status.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"ifname":"x","iftype":"vlan","uses":["a"],"vlan_id":5}`, `{"imtu":"x"}`, `[`, `null`,
		`{"ports":[{"pciaddr":"0000:00:03.0","sriov_totalvfs":null}]}`, `{"segment_ranges":[{"min":1,"max":2}]}`, "\x00", `{} x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		targets := []any{&AddInterfaceRequest{}, &model.InterfacePatch{}, &model.DataNetworkPatch{},
			&CreateDataNetworkRequest{}, &inventory.Report{}, &CreateTokenRequest{}, &UnlockRequest{}}
		for _, v := range targets {
			for _, optional := range []bool{false, true} {
				r := httptest.NewRequest("POST", "/", strings.NewReader(body))
				err := decode(r, v, optional)
				if err == nil {
					continue
				}
				var he *httpError
				if !errors.As(err, &he) || he.status != http.StatusBadRequest || he.msg == "" {
					t.Fatalf("decode(%q) into %T: %v; want nil or a 400 with a message", body, v, err)
				}
			}
		}
	})
}
