package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vfnet/internal/kernel"
)

// TestLegacyState opens a host written before the state was split (VF
// settings and write counts in sim.json, an empty lock file), as `vfnet dev`
// finds one it made earlier, and checks that it reads the same and is
// rewritten in the split layout on its first write.
func TestLegacyState(t *testing.T) {
	dir := t.TempDir()
	if err := Create(dir, HostSpec{Hostname: "h", NICs: []NICSpec{{Model: "x710", NUMANode: -1}}}); err != nil {
		t.Fatal(err)
	}
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := k.WriteNumVFs(ctx, "0000:3b:00.0", "2"); err != nil {
		t.Fatal(err)
	}
	if err := k.SetVF(ctx, "enp59s0f0", 1, kernel.VFChange{VLAN: &kernel.VLAN{ID: 7}}); err != nil {
		t.Fatal(err)
	}
	want, err := k.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantWrites, err := k.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Rewrite the state as the old code kept it.
	st, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range st.PFs {
		ps.LegacyVFs = ps.VFs
	}
	st.LegacyWrites = wantWrites
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, vfsDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, lockFile), 0); err != nil {
		t.Fatal(err)
	}

	old, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := old.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("legacy host (-want +got):\n%s", d)
	}
	if err := old.SetAutoprobe(ctx, "0000:3b:00.0", true); err != nil {
		t.Fatal(err)
	}
	wantWrites[OpAutoprobe]++
	if _, err := os.Stat(filepath.Join(dir, vfsDir, "0000:3b:00.0")); err != nil {
		t.Errorf("after a write the VF settings are not in their own file: %v", err)
	}
	fresh, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = fresh.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("converted host (-want +got):\n%s", d)
	}
	gotWrites, err := fresh.Writes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantWrites, gotWrites); d != "" {
		t.Errorf("write counts (-want +got):\n%s", d)
	}
}
