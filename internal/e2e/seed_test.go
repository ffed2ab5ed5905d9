package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeedWorkflow is the seed document's workflow end to end, as users
// run it: a vfnet server process, an agent process on a simulated host, the
// real openstack CLI (Debian's python3-openstackclient) for the network,
// subnet and port against /v2.0, and the vfnet CLI for the rest. It ends
// with the simulated kernel holding the port's MAC and VLAN 10 on the
// claimed VF, the port ACTIVE, and the VF reset after the instance is
// deleted.
func TestSeedWorkflow(t *testing.T) {
	osc := newOpenstack(t)
	cl := newCloud(t)
	cl.addHost("compute-0", "x710:1@numa0")
	eventually(t, 30*time.Second, "compute-0 registered and converged", func() string { return cl.converged("compute-0") })
	simDir := cl.simDirs["compute-0"]

	// The operator's part (host-lock answers 409 on a host that is locked
	// already, as a new host is).
	if out, err := cl.vfnet("host-lock", "compute-0"); err != nil && !strings.Contains(out, "already locked") {
		t.Fatalf("host-lock: %v\n%s", err, out)
	}
	cl.mustVfnet("host-if-modify", "compute-0", "enp59s0f0", "-n", "sriov0", "-c", "pci-sriov", "-N", "8", "--vf-driver", "netdevice")
	cl.mustVfnet("datanetwork-add", "datanet-a", "vlan", "--segment-range", "100-199")
	cl.mustVfnet("interface-datanetwork-assign", "compute-0", "sriov0", "datanet-a")
	cl.unlock("compute-0")
	eventually(t, 30*time.Second, "compute-0 converged after unlock", func() string { return cl.converged("compute-0") })

	// The project's part, with the openstack CLI.
	osc.run(cl.url, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "datanet-a",
		"--provider-segment", "10", "net10")
	osc.run(cl.url, "subnet", "create", "--network", "net10", "--subnet-range", "192.168.10.0/24", "sub10")
	var port struct {
		ID  string `json:"id"`
		MAC string `json:"mac_address"`
	}
	if err := json.Unmarshal([]byte(osc.run(cl.url, "port", "create", "--network", "net10", "--vnic-type", "direct", "-f", "json", "port0")), &port); err != nil || port.ID == "" {
		t.Fatalf("openstack port create -f json: %v", err)
	}

	// The VM: vfnet schedules it, claims a VF and hands back its XML.
	out := cl.mustVfnet("instance", "create", "--nic", "port-id="+port.ID, "vm0")
	if !strings.Contains(out, "<interface type=\"hostdev\" managed=\"yes\">") || !strings.Contains(out, port.MAC) || !strings.Contains(out, `<tag id="10">`) {
		t.Fatalf("instance create: no libvirt XML with the port's MAC and VLAN 10:\n%s", out)
	}
	var vm struct {
		ID   string `json:"id"`
		NICs []struct {
			PCISlot string `json:"pci_slot"`
			PF      string `json:"pf_pciaddr"`
			VF      int    `json:"vf_index"`
			XML     string `json:"libvirt_xml"`
		} `json:"nics"`
	}
	if err := json.Unmarshal([]byte(cl.mustVfnet("instance", "show", "vm0", "-o", "json")), &vm); err != nil || len(vm.NICs) != 1 || vm.NICs[0].PCISlot == "" {
		t.Fatalf("instance show -o json: %v %+v", err, vm)
	}
	slot := vm.NICs[0].PCISlot

	eventually(t, 30*time.Second, "the VF programmed with the port's MAC and VLAN 10", func() string {
		vf := simVF(t, cl, simDir, slot)
		if !strings.Contains(vf, "link/ether "+port.MAC) || !strings.Contains(vf, "vlan 10,") {
			return "VF " + slot + ": " + vf
		}
		return ""
	})
	eventually(t, 30*time.Second, "port0 ACTIVE", func() string {
		var p struct {
			Status string `json:"status"`
		}
		json.Unmarshal([]byte(osc.run(cl.url, "port", "show", "-f", "json", port.ID)), &p)
		if p.Status != "ACTIVE" {
			return "status " + p.Status
		}
		return ""
	})
	if out := cl.mustVfnet("host-if-vlans", "compute-0", "-o", "json"); !strings.Contains(out, `"vlans": "10,100-199"`) {
		t.Errorf("host-if-vlans: want the trunk to carry 10 and 100-199:\n%s", out)
	}
	if out, err := cl.vfnet("instance", "migrate", "--live", "vm0"); err == nil || !strings.Contains(out, "do not support live migration") {
		t.Errorf("instance migrate --live: %v\n%s; want a refusal citing the limitation", err, out)
	}
	if out, err := cl.vfnet("host-lock", "compute-0"); err == nil || !strings.Contains(out, "vm0") {
		t.Errorf("host-lock with vm0 on the host: %v\n%s; want a refusal naming vm0", err, out)
	}

	// Delete: the VF is released, reset by the agent, then free again.
	var del struct {
		Deleted []struct{ ID, Name string } `json:"deleted"`
	}
	if out := cl.mustVfnet("instance", "delete", "vm0", "-o", "json"); json.Unmarshal([]byte(out), &del) != nil ||
		len(del.Deleted) != 1 || del.Deleted[0].ID != vm.ID || del.Deleted[0].Name != "vm0" {
		t.Errorf("instance delete -o json: %s; want {\"deleted\":[{\"id\":%q,\"name\":\"vm0\"}]}", out, vm.ID)
	}
	eventually(t, 30*time.Second, "the VF reset", func() string {
		vf := simVF(t, cl, simDir, slot)
		if !strings.Contains(vf, "link/ether 00:00:00:00:00:00") || strings.Contains(vf, "vlan ") || !strings.Contains(vf, "link-state disable") {
			return "VF " + slot + ": " + vf
		}
		return ""
	})
	// The reset is one event naming the VF and what was put back, not one
	// per attribute.
	eventually(t, 30*time.Second, "one reset event for the VF", func() string {
		out := cl.mustVfnet("event-list", "--host", "compute-0", "--kind", "reset", "-o", "json")
		want := fmt.Sprintf("VF %d of PF %s reset: ", vm.NICs[0].VF, vm.NICs[0].PF)
		if n := strings.Count(out, want); n != 1 {
			return fmt.Sprintf("%d events saying %q:\n%s", n, want, out)
		}
		return ""
	})
	eventually(t, 30*time.Second, "the VF free again", func() string {
		cs, err := cl.c.Claims(context.Background(), "compute-0")
		if err != nil || len(cs) != 0 {
			return fmt.Sprintf("claims %+v %v", cs, err)
		}
		return ""
	})
}

// simVF is the two lines `vfnet sim show DIR` prints for the VF at slot.
func simVF(t *testing.T, cl *cloud, dir, slot string) string {
	t.Helper()
	lines := strings.Split(cl.mustVfnet("sim", "show", dir), "\n")
	for i, l := range lines {
		if strings.Contains(l, "pci "+slot+" ") && i > 0 {
			return strings.TrimSpace(lines[i-1]) + " / " + strings.TrimSpace(l)
		}
	}
	return "(not listed)"
}

// openstack runs the openstack CLI with a clouds.yaml of its own: the
// admin_token plugin with the server's admin token and URL as the endpoint
// (no identity service), as the neutronapi tests do.
type openstack struct {
	t   *testing.T
	dir string
}

func newOpenstack(t *testing.T) *openstack {
	t.Helper()
	if _, err := exec.LookPath("openstack"); err != nil {
		t.Fatalf("the openstack CLI is missing: install Debian's python3-openstackclient (scripts/deps.sh does): %v", err)
	}
	return &openstack{t: t, dir: t.TempDir()}
}

func (o *openstack) run(url string, args ...string) string {
	o.t.Helper()
	clouds := fmt.Sprintf("clouds:\n  vfnet:\n    auth_type: admin_token\n    auth:\n      token: %q\n      endpoint: %q\n", adminToken, url)
	if err := os.WriteFile(filepath.Join(o.dir, "clouds.yaml"), []byte(clouds), 0o600); err != nil {
		o.t.Fatal(err)
	}
	env := []string{"OS_CLIENT_CONFIG_FILE=" + filepath.Join(o.dir, "clouds.yaml"), "HOME=" + o.dir, "PATH=" + os.Getenv("PATH")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack", append([]string{"--os-cloud", "vfnet"}, args...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		o.t.Fatalf("openstack %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
