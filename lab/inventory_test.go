package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"vfnet/internal/sim"
)

// inventory2VFCommand enables 2 VFs on the igb PF, waits for igbvf to give
// each a netdev and for the PF's link to come back from the reset that
// enabling VFs causes (igb closes and reopens the PF: its carrier goes down
// and up, two carrier changes, and the speed reads -1 meanwhile), prints the
// inventory and disables the VFs again.
var inventory2VFCommand = fmt.Sprintf(`set -e
pf=/sys/bus/pci/devices/%s
nd=$(echo $pf/net/*)
before=$(cat $nd/carrier_changes)
echo 2 > $pf/sriov_numvfs
i=0
until [ -d $pf/virtfn0/net ] && [ -d $pf/virtfn1/net ] && [ $(cat $nd/carrier_changes) -ge $((before+2)) ] &&
	[ "$(cat $nd/carrier)" = 1 ] && [ "$(cat $nd/operstate)" = up ] && [ "$(cat $nd/speed)" = 1000 ]; do
	i=$((i+1))
	[ $i -le 300 ] || { echo "VFs of $pf: no igbvf netdevs or no PF link after 30s"; ls -l $pf/; exit 1; }
	sleep 0.1
done
vfnet inventory -o json
echo 0 > $pf/sriov_numvfs`, IGBAddr)

// inventorySkip are the fields of `vfnet inventory -o json` that cannot
// match between the guest and the simulator, and why:
//   - netdev names: the guest has no udev, so the kernel's eth0, eth1...
//     stay; the simulator gives predictable names (enp59s0f0);
//   - NUMA node CPU lists: the guest has one CPU, the simulator's numa0 16.
//
// Everything else must be equal: addresses (the guest's igb sits where the
// simulator's does, see IGBAddr), ids and their pci.ids names, driver, NUMA
// node, MAC (QEMU is given the simulator's), MTU, speed, link, SR-IOV
// counts, VF addresses, VF driver, autoprobe, and each VF's rtnetlink
// settings and counters (a fresh igb VF: zero MAC, spoof checking on, VLAN
// protocol 802.1Q).
var inventorySkip = []string{
	"ports.*.name",
	"ports.*.vfs.*.name",
	"numa_nodes.*.cpulist",
}

type simInventory struct {
	mac       string // the igb PF's
	zero, two []byte // inventory JSON at 0 and 2 VFs
}

// simInventories creates a simulated host with the simulator's igb model on
// NUMA node 0 (`vfnet sim create`) and takes its inventory (`vfnet inventory
// --sim`) with 0 VFs and with 2.
func simInventories(ctx context.Context, vfnet, dir string) (simInventory, error) {
	var s simInventory
	if out, err := exec.CommandContext(ctx, vfnet, "sim", "create", dir, "--host", "h", "--nic", "igb:1@numa0").CombinedOutput(); err != nil {
		return s, fmt.Errorf("vfnet sim create: %w\n%s", err, out)
	}
	inv := func() ([]byte, error) {
		out, err := exec.CommandContext(ctx, vfnet, "inventory", "--sim", dir, "-o", "json").Output()
		if err != nil {
			return nil, fmt.Errorf("vfnet inventory of the simulated host: %w", err)
		}
		return out, nil
	}
	var err error
	if s.zero, err = inv(); err != nil {
		return s, err
	}
	var r struct {
		Ports []struct {
			PCIAddr string `json:"pciaddr"`
			MAC     string `json:"mac"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(s.zero, &r); err != nil {
		return s, fmt.Errorf("simulated inventory: %w", err)
	}
	if len(r.Ports) != 1 || r.Ports[0].PCIAddr != IGBAddr {
		return s, fmt.Errorf("the simulator's igb model on numa0 has ports %+v, the lab puts QEMU's igb at %s: keep them equal", r.Ports, IGBAddr)
	}
	s.mac = r.Ports[0].MAC
	k, err := sim.Open(dir)
	if err != nil {
		return s, err
	}
	if err := k.WriteNumVFs(ctx, IGBAddr, "2\n"); err != nil {
		return s, fmt.Errorf("enable 2 VFs on the simulated igb: %w", err)
	}
	s.two, err = inv()
	return s, err
}

// checkInventory compares the guest's inventory printed by phase with the
// simulator's, field by field.
func checkInventory(t *testing.T, c *Console, phase string, simJSON []byte) {
	t.Run(strings.TrimPrefix(phase, "inventory-"), func(t *testing.T) {
		p := phaseOf(t, c, phase)
		out := strings.Join(p.Output, "\n")
		if p.RC != 0 {
			t.Fatalf("guest phase %s exited %d:\n%s\nkernel messages:\n%s", phase, p.RC, out, tail(strings.Join(p.Kmsg, "\n"), 40))
		}
		i, j := strings.Index(out, "{"), strings.LastIndex(out, "}")
		if i < 0 || j < i {
			t.Fatalf("guest phase %s printed no JSON:\n%s", phase, out)
		}
		guest, err := Flatten([]byte(out[i : j+1]))
		if err != nil {
			t.Fatalf("guest inventory: %v\n%s", err, out)
		}
		want, err := Flatten(simJSON)
		if err != nil {
			t.Fatalf("simulated inventory: %v", err)
		}
		if diffs := Diff(want, guest, inventorySkip); len(diffs) > 0 {
			t.Errorf("the guest's inventory differs from the simulator's igb model in %d fields (skipping %v):\n%s\nguest:\n%s\nsimulator:\n%s",
				len(diffs), inventorySkip, strings.Join(diffs, "\n"), out[i:j+1], simJSON)
		}
	})
}
