package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/store/storetest"
)

// TestDeleteVerbsOneShape: every delete verb reports what it deleted the
// same way, "Deleted KIND NAME (ID)", or with -o json
// {"deleted":[{"id","name"}]}, whether it was named by name or ID.
func TestDeleteVerbsOneShape(t *testing.T) {
	ctx := context.Background()
	srv := testServer(t)
	admin := srv.AdminToken
	if _, err := srv.Store.RegisterHost(ctx, "compute-0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.ReportInventory(ctx, "compute-0", storetest.Inventory(8)); err != nil {
		t.Fatal(err)
	}
	id := func(args ...string) string {
		t.Helper()
		var v map[string]any
		decodeJSON(t, vfnet(t, srv, admin, append(args, "-o", "json")...), &v)
		s, _ := v["id"].(string)
		if s == "" {
			t.Fatalf("vfnet %s: no id in %s", strings.Join(args, " "), mustJSON(v))
		}
		return s
	}
	type obj struct{ kind, name, id string }
	var objs [][2]obj // each kind twice: one deleted for the table, one for JSON
	vfnet(t, srv, admin, "datanetwork-add", "datanet-a", "vlan", "--segment-range", "100-199")
	vfnet(t, srv, admin, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a", "net-a")
	var pair [2]obj
	for i := range 2 {
		n := fmt.Sprint("dn-", i)
		pair[i] = obj{"data network", n, id("datanetwork-add", n, "vlan")}
	}
	objs = append(objs, pair)
	for i := range 2 {
		n := fmt.Sprint("port-", i)
		pair[i] = obj{"port", n, id("port", "create", "--network", "net-a", n)}
	}
	objs = append(objs, pair)
	for i := range 2 {
		n := fmt.Sprint("vlan1", i)
		pair[i] = obj{"interface", n, id("host-if-add", "compute-0", n, "vlan", "ens3", "-V", fmt.Sprint(10+i), "-c", "platform")}
	}
	objs = append(objs, pair)
	for i := range 2 {
		n := fmt.Sprint("user-", i)
		pair[i] = obj{"user", n, id("user", "create", n, "--password", "pw")}
	}
	objs = append(objs, pair)
	for i := range 2 {
		n := fmt.Sprint("project-", i)
		pair[i] = obj{"project", n, id("project", "create", n)}
	}
	objs = append(objs, pair)

	verb := func(o obj, ref string) []string {
		switch o.kind {
		case "data network":
			return []string{"datanetwork-delete", ref}
		case "interface":
			return []string{"host-if-delete", "compute-0", ref}
		}
		return []string{o.kind, "delete", ref}
	}
	for _, p := range objs {
		// Table: named by name.
		byName, byID := p[0], p[1]
		out := vfnet(t, srv, admin, verb(byName, byName.name)...)
		if want := fmt.Sprintf("Deleted %s %s (%s)\n", byName.kind, byName.name, byName.id); out != want {
			t.Errorf("vfnet %s: %q, want %q", strings.Join(verb(byName, byName.name), " "), out, want)
		}
		// JSON: named by ID, the name still reported.
		args := append(verb(byID, byID.id), "-o", "json")
		var got struct {
			Deleted []deleted `json:"deleted"`
		}
		decodeJSON(t, vfnet(t, srv, admin, args...), &got)
		if diff := cmp.Diff([]deleted{{ID: byID.id, Name: byID.name}}, got.Deleted); diff != "" {
			t.Errorf("vfnet %s (-want +got):\n%s", strings.Join(args, " "), diff)
		}
	}

	// A failed delete prints no JSON, only the error.
	out, err := vfnetErr(t, srv, admin, "datanetwork-delete", "no-such", "-o", "json")
	if err == nil || strings.Contains(out, `"deleted"`) || !strings.Contains(err.Error(), `delete data network "no-such"`) {
		t.Errorf("datanetwork-delete of an unknown network: %v\n%s", err, out)
	}
}
