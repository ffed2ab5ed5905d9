package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"vfnet/internal/inventory"
)

// The inventory of a simulated host is read through the simulator's kernel,
// VF settings included, as the agent sees it.
func TestInventorySim(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "h")
	if _, _, err := runCLI(t, "sim", "create", dir, "--host", "h", "--nic", "igb:1@numa0"); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCLI(t, "inventory", "--sim", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r inventory.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("inventory -o json: %v\n%s", err, stdout)
	}
	if len(r.Ports) != 1 {
		t.Fatalf("ports = %d, want 1 igb port\n%s", len(r.Ports), stdout)
	}
	p := r.Ports[0]
	if p.Driver != "igb" || p.SRIOVTotalVFs == nil || *p.SRIOVTotalVFs != 7 || p.SRIOVVFPDeviceID == nil || *p.SRIOVVFPDeviceID != "10ca" {
		t.Errorf("igb port = %+v, want driver igb, sriov_totalvfs 7 (lowered by the driver from 8), VF device 10ca", p)
	}

	if _, _, err := runCLI(t, "inventory", "--sim", dir, "--sysfs", "/elsewhere"); err == nil {
		t.Error("inventory --sim with --sysfs: no error, want one asking for one of them")
	}
}
