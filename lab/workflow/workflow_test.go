//go:build lab

// Package workflow runs the seed's workflow inside the lab's QEMU guest, on
// the real kernel: a vfnet server on an embedded SQLite store, a vfnet agent
// on the guest's sysfs and rtnetlink (two emulated Intel 82576 PFs driven by
// igb, their VFs by igbvf), and the vfnet CLI, all on the guest's loopback.
// The host (lab/workflow_test.go) boots the guest and turns this binary's
// `go test -v` output into subtests.
package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vfnet/internal/agent"
	"vfnet/internal/client"
	"vfnet/internal/model"
)

const (
	vfnetBin   = "/usr/bin/vfnet"
	listen     = "127.0.0.1:8700"
	url        = "http://" + listen
	adminToken = "lab-workflow-admin-token-0123456789"
	hostName   = "lab-0"
	// interval is the agent's longest time between passes: drift is put
	// back within it.
	interval = "2s"
	// wait bounds every wait for the agent: igbvf probes take seconds each
	// under TCG (mailbox timeouts).
	wait                 = 90 * time.Second
	igbVendor, igbDevice = "0x8086", "0x10c9"
)

// proc is a vfnet child process whose output is kept for failures.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// lab is the guest's control plane, agent and PFs.
type lab struct {
	t      *testing.T
	c      *client.Client
	server *proc
	agent  *proc
	pf1    pf // pci-sriov, 4 VFs
	pf2    pf // pci-passthrough
}

type pf struct {
	addr   string // PCI address
	ifname string // netdev at boot (the kernel's ethN: no udev in the guest)
	mac    string // permanent MAC
}

func (l *lab) start(name string, args ...string) *proc {
	l.t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(vfnetBin, args...)
	p.cmd.Env = append(os.Environ(), "VFNET_BOOTSTRAP_TOKEN="+adminToken)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		l.t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	return p
}

func (l *lab) startAgent() {
	l.agent = l.start("agent", "agent", "--server", url, "--token", adminToken, "--host", hostName,
		"--sysfs", "/sys", "--interval", interval)
}

// vfnet runs one CLI command against the guest's server.
func (l *lab) vfnet(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, vfnetBin, args...)
	cmd.Env = append(os.Environ(), "VFNET_URL="+url, "VFNET_TOKEN="+adminToken)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (l *lab) mustVfnet(t *testing.T, args ...string) string {
	t.Helper()
	out, err := l.vfnet(args...)
	if err != nil {
		t.Fatalf("vfnet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("vfnet %s\n%s", strings.Join(args, " "), strings.TrimRight(out, "\n"))
	return out
}

func (l *lab) jsonVfnet(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := l.vfnet(append(args, "-o", "json")...)
	if err != nil {
		t.Fatalf("vfnet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("vfnet %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// eventually retries check until it returns "" or d passes; then the test
// fails with the last state.
func eventually(t *testing.T, d time.Duration, what string, check func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		state := check()
		if state == "" {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not so after %v; last state: %s", what, d, state)
		}
		time.Sleep(200 * time.Millisecond) // polling interval, not synchronisation
	}
}

func sysRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func driverOf(dev string) string {
	l, err := os.Readlink(filepath.Join("/sys/bus/pci/devices", dev, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(l)
}

// netdevOf is the PF's netdev now ("" without one): igb's reload renames
// nothing, but the kernel gives the next free ethN.
func netdevOf(dev string) string {
	ents, err := os.ReadDir(filepath.Join("/sys/bus/pci/devices", dev, "net"))
	if err != nil || len(ents) != 1 {
		return ""
	}
	return ents[0].Name()
}

// igbPFs are the guest's 82576 PFs in address order.
func igbPFs(t *testing.T) []pf {
	t.Helper()
	ents, err := os.ReadDir("/sys/bus/pci/devices")
	if err != nil {
		t.Fatal(err)
	}
	var out []pf
	for _, e := range ents {
		dev := filepath.Join("/sys/bus/pci/devices", e.Name())
		if sysRead(dev+"/vendor") == igbVendor && sysRead(dev+"/device") == igbDevice {
			nd := netdevOf(e.Name())
			out = append(out, pf{addr: e.Name(), ifname: nd, mac: sysRead(dev + "/net/" + nd + "/address")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

// ipVF is one entry of `ip -j -d link show PF`'s vfinfo_list.
type ipVF struct {
	VF       int    `json:"vf"`
	Address  string `json:"address"`
	VLANList []struct {
		VLAN int `json:"vlan"`
		QoS  int `json:"qos"`
	} `json:"vlan_list"`
	SpoofChk  bool   `json:"spoofchk"`
	LinkState string `json:"link_state"`
}

func (v ipVF) vlan() int {
	if len(v.VLANList) == 0 {
		return 0
	}
	return v.VLANList[0].VLAN
}

// ipVFs runs `ip -j -d link show IFNAME` and returns its raw output and VFs.
func ipVFs(ifname string) (string, []ipVF, error) {
	out, err := exec.Command("/usr/sbin/ip", "-j", "-d", "link", "show", ifname).CombinedOutput()
	if err != nil {
		return string(out), nil, fmt.Errorf("ip -j -d link show %s: %w\n%s", ifname, err, out)
	}
	var links []struct {
		VFs []ipVF `json:"vfinfo_list"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return string(out), nil, fmt.Errorf("ip -j -d link show %s: %v\n%s", ifname, err, out)
	}
	return string(out), links[0].VFs, nil
}

// vfIndexOf is the VF number of PCI function vf under pf (its virtfnN link).
func vfIndexOf(pfAddr, vf string) int {
	for i := 0; i < 8; i++ {
		l, err := os.Readlink(fmt.Sprintf("/sys/bus/pci/devices/%s/virtfn%d", pfAddr, i))
		if err == nil && filepath.Base(l) == vf {
			return i
		}
	}
	return -1
}

// converged is "" when the host applied its desired revision without error.
func (l *lab) converged() string {
	h, err := l.c.Host(context.Background(), hostName)
	if err != nil {
		return err.Error()
	}
	v, err := l.c.Applied(context.Background(), hostName)
	if err != nil {
		return err.Error()
	}
	if h.AppliedRevision != h.DesiredRevision || v.Report == nil || !v.Report.Converged {
		return fmt.Sprintf("applied %d desired %d report %v", h.AppliedRevision, h.DesiredRevision, v.Report)
	}
	return ""
}

// vfsReady is "" when the PF has n VFs, each bound to igbvf.
func vfsReady(pfAddr string, n int) string {
	dev := "/sys/bus/pci/devices/" + pfAddr
	if got := sysRead(dev + "/sriov_numvfs"); got != fmt.Sprint(n) {
		return "sriov_numvfs " + got
	}
	for i := 0; i < n; i++ {
		l, err := os.Readlink(fmt.Sprintf("%s/virtfn%d", dev, i))
		if err != nil {
			return err.Error()
		}
		if d := driverOf(filepath.Base(l)); d != "igbvf" {
			return fmt.Sprintf("VF %d driver %q", i, d)
		}
	}
	return ""
}

type portView struct {
	ID      string `json:"id"`
	MAC     string `json:"mac_address"`
	Status  string `json:"status"`
	VIFType string `json:"binding:vif_type"`
}

type instanceView struct {
	NICs []struct {
		PortID  string `json:"port_id"`
		MAC     string `json:"mac_address"`
		PCISlot string `json:"pci_slot"`
		PFAddr  string `json:"pf_pciaddr"`
		VFIndex int    `json:"vf_index"`
		Status  string `json:"status"`
	} `json:"nics"`
}

// step runs one step as a subtest; a failed step ends the workflow, since
// every later step stands on it.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// TestWorkflow is the seed's workflow on the real kernel, then what real
// drivers do and the faults of a real host.
func TestWorkflow(t *testing.T) {
	l := &lab{t: t, c: client.New(url, adminToken, nil)}
	labStart := time.Now()
	pfs := igbPFs(t)
	if len(pfs) != 2 || pfs[0].ifname == "" || pfs[1].ifname == "" {
		t.Fatalf("the guest needs two igb PFs with netdevs (BootOptions.SecondIGB), found %+v", pfs)
	}
	l.pf1, l.pf2 = pfs[0], pfs[1]
	t.Logf("igb PFs: %+v", pfs)

	data := t.TempDir()
	l.server = l.start("server", "server", "--listen", listen, "--data", data)
	l.startAgent()
	t.Cleanup(func() {
		l.agent.kill()
		l.server.kill()
		if t.Failed() {
			t.Logf("--- server output (tail):\n%s", tail(l.server.output(), 40))
			t.Logf("--- agent output (tail):\n%s", tail(l.agent.output(), 80))
		}
	})

	step(t, "ports appear by themselves", func(t *testing.T) {
		eventually(t, wait, "the server answers", func() string {
			if _, err := l.c.Hosts(context.Background()); err != nil {
				return err.Error()
			}
			return ""
		})
		eventually(t, wait, "both igb ports reported", func() string {
			ps, err := l.c.Ports(context.Background(), hostName)
			if err != nil {
				return err.Error()
			}
			seen := map[string]model.Port{}
			for _, p := range ps {
				seen[p.PCIAddr] = p
			}
			for _, p := range pfs {
				if seen[p.addr].Driver != "igb" {
					return fmt.Sprintf("ports %+v", ps)
				}
			}
			return ""
		})
		l.mustVfnet(t, "host-port-list", hostName)
	})

	var unlockTime, convergeTime time.Duration
	step(t, "configure and unlock", func(t *testing.T) {
		if out, err := l.vfnet("host-lock", hostName); err != nil && !strings.Contains(out, "already locked") {
			t.Fatalf("host-lock: %v\n%s", err, out)
		}
		l.mustVfnet(t, "host-if-modify", hostName, l.pf1.ifname, "-n", "sriov0", "-c", "pci-sriov", "-N", "4", "--vf-driver", "netdevice")
		l.mustVfnet(t, "host-if-modify", hostName, l.pf2.ifname, "-n", "pthru0", "-c", "pci-passthrough")
		l.mustVfnet(t, "datanetwork-add", "physnet0", "vlan", "--segment-range", "100-199")
		l.mustVfnet(t, "interface-datanetwork-assign", hostName, "sriov0", "physnet0")
		l.mustVfnet(t, "interface-datanetwork-assign", hostName, "pthru0", "physnet0")

		// Unlock is refused while the agent has not reported 4 VFs.
		start := time.Now()
		p, err := l.c.Port(context.Background(), hostName, l.pf1.addr)
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.vfnet("host-unlock", hostName)
		switch {
		case p.SRIOVNumVFs != 4 && err == nil:
			t.Fatalf("host-unlock accepted while the agent reported %d VFs on %s:\n%s", p.SRIOVNumVFs, l.pf1.addr, out)
		case p.SRIOVNumVFs != 4:
			t.Logf("host-unlock before the agent reported 4 VFs (it reported %d): refused, as it must be:\n%s", p.SRIOVNumVFs, out)
		case err != nil:
			t.Logf("host-unlock refused although 4 VFs were reported (something else is pending):\n%s", out)
		}
		if err != nil {
			unlockTime = eventually(t, wait, "host-unlock accepted", func() string {
				out, err := l.vfnet("host-unlock", hostName)
				if err != nil {
					return out
				}
				return ""
			})
		}
		eventually(t, wait, "4 igbvf VFs on "+l.pf1.addr, func() string { return vfsReady(l.pf1.addr, 4) })
		eventually(t, wait, "converged", l.converged)
		convergeTime = time.Since(start)
		t.Logf("FIGURE unlock: first host-unlock to accepted %v; to 4 VFs bound to igbvf and the host converged %v",
			unlockTime.Round(100*time.Millisecond), convergeTime.Round(100*time.Millisecond))
		l.mustVfnet(t, "host-show", hostName)
	})

	var port portView
	var vm instanceView
	var vfIndex int
	step(t, "direct port: VF with the port's MAC and VLAN 10", func(t *testing.T) {
		l.mustVfnet(t, "network", "create", "--provider-network-type", "vlan", "--provider-physical-network", "physnet0",
			"--provider-segment", "10", "net10")
		l.mustVfnet(t, "subnet", "create", "--network", "net10", "--subnet-range", "192.168.10.0/24", "sub10")
		l.jsonVfnet(t, &port, "port", "create", "--network", "net10", "--vnic-type", "direct", "port0")
		out := l.mustVfnet(t, "instance", "create", "--nic", "port-id="+port.ID, "vm0")
		if !strings.Contains(out, port.MAC) || !strings.Contains(out, `<tag id="10">`) {
			t.Fatalf("instance create: no libvirt XML with the port's MAC and VLAN 10:\n%s", out)
		}
		l.jsonVfnet(t, &vm, "instance", "show", "vm0")
		if len(vm.NICs) != 1 || vm.NICs[0].PFAddr != l.pf1.addr {
			t.Fatalf("vm0's NICs %+v: want one VF of %s", vm.NICs, l.pf1.addr)
		}
		vfIndex = vfIndexOf(l.pf1.addr, vm.NICs[0].PCISlot)
		if vfIndex != vm.NICs[0].VFIndex {
			t.Fatalf("VF %s is virtfn%d of %s, the server says VF %d", vm.NICs[0].PCISlot, vfIndex, l.pf1.addr, vm.NICs[0].VFIndex)
		}
		var raw string
		eventually(t, wait, "the VF programmed", func() string {
			out, vfs, err := ipVFs(netdevOf(l.pf1.addr))
			if err != nil {
				return err.Error()
			}
			raw = out
			return l.vfIs(vfs, vfIndex, port.MAC, 10)
		})
		t.Logf("REAL KERNEL: ip -j -d link show %s (VF %d is %s, claimed by port %s, MAC %s, VLAN 10):\n%s",
			netdevOf(l.pf1.addr), vfIndex, vm.NICs[0].PCISlot, port.ID, port.MAC, strings.TrimSpace(raw))
		eventually(t, wait, "port0 ACTIVE", func() string { return l.portStatus(port.ID, "ACTIVE") })
	})

	step(t, "igb lacks VF link state: reported per host and per port", func(t *testing.T) {
		v, err := l.c.Applied(context.Background(), hostName)
		if err != nil || v.Report == nil {
			t.Fatalf("applied report: %v %+v", err, v)
		}
		for _, p := range v.Report.PFs {
			if p.PCIAddr == l.pf1.addr && !contains(p.Unsupported, agent.AttrLinkState) {
				t.Errorf("applied report: PF %s (%s) unsupported %v, want %s", p.PCIAddr, p.Driver, p.Unsupported, agent.AttrLinkState)
			}
		}
		out := l.mustVfnet(t, "host-applied-show", hostName)
		if !strings.Contains(out, l.pf1.addr) || !strings.Contains(out, "link_state") {
			t.Errorf("host-applied-show does not name link_state as unsupported on %s:\n%s", l.pf1.addr, out)
		}
		ev := l.mustVfnet(t, "event-list", "--host", hostName, "--kind", "info")
		if !strings.Contains(ev, "driver igb does not support link_state (EOPNOTSUPP)") {
			t.Errorf("event-list has no event for igb's missing link state:\n%s", ev)
		}
	})

	step(t, "admin_state_up false on igb: refused with 409", func(t *testing.T) {
		out, err := l.vfnet("port", "set", "--disable", port.ID)
		if err == nil || !strings.Contains(out, "cannot disable") || !strings.Contains(out, "igb") {
			t.Fatalf("port set --disable on a VF of igb: %v\n%s\nwant a refusal saying that igb cannot disable a VF's link", err, out)
		}
		t.Logf("port set --disable: refused:\n%s", out)
		var p struct {
			AdminStateUp bool   `json:"admin_state_up"`
			Status       string `json:"status"`
		}
		l.jsonVfnet(t, &p, "port", "show", port.ID)
		if !p.AdminStateUp || p.Status != "ACTIVE" {
			t.Errorf("after the refused update port0 is admin_state_up=%v status %s, want true, ACTIVE", p.AdminStateUp, p.Status)
		}
	})

	step(t, "a port already admin down is not bound onto igb", func(t *testing.T) {
		// The only VFs of the host are igb's (the second PF is
		// pci-passthrough): an external bind fails with the reason in the
		// host's events, an instance create is refused.
		var down struct {
			ID      string `json:"id"`
			VIFType string `json:"binding:vif_type"`
		}
		l.jsonVfnet(t, &down, "port", "create", "--network", "net10", "--disable", "--host", hostName, "port-down")
		if down.VIFType != "binding_failed" {
			t.Fatalf("port create --disable --host %s: vif_type %s, want binding_failed (igb cannot disable a VF's link)", hostName, down.VIFType)
		}
		ev := l.mustVfnet(t, "event-list", "--host", hostName, "--kind", "error")
		if !strings.Contains(ev, "binding failed: port "+down.ID+" is admin_state_up false") || !strings.Contains(ev, "(igb) cannot disable a VF's link") {
			t.Errorf("event-list has no reason for the failed bind of %s:\n%s", down.ID, ev)
		}
		var down2 portView
		l.jsonVfnet(t, &down2, "port", "create", "--network", "net10", "--disable", "port-down2")
		out, err := l.vfnet("instance", "create", "--nic", "port-id="+down2.ID, "vm-down")
		if err == nil || !strings.Contains(out, "(igb) cannot disable a VF's link") {
			t.Fatalf("instance create with an admin down port, only igb VFs free: %v\n%s\nwant a refusal saying igb cannot disable the VF's link", err, out)
		}
		t.Logf("instance create with an admin down port: refused:\n%s", out)
		l.mustVfnet(t, "port", "delete", down.ID)
		l.mustVfnet(t, "port", "delete", down2.ID)
	})

	step(t, "direct-physical port on the second PF", func(t *testing.T) {
		var pt portView
		l.jsonVfnet(t, &pt, "port", "create", "--network", "net10", "--vnic-type", "direct-physical", "port-pt")
		out := l.mustVfnet(t, "instance", "create", "--nic", "port-id="+pt.ID, "vm-pt")
		var in instanceView
		l.jsonVfnet(t, &in, "instance", "show", "vm-pt")
		if len(in.NICs) != 1 || in.NICs[0].PCISlot != l.pf2.addr {
			t.Fatalf("vm-pt's NICs %+v: want PF %s\n%s", in.NICs, l.pf2.addr, out)
		}
		eventually(t, wait, l.pf2.addr+" bound to vfio-pci", func() string {
			if d := driverOf(l.pf2.addr); d != "vfio-pci" {
				return "driver " + d
			}
			return ""
		})
		eventually(t, wait, "port-pt ACTIVE", func() string { return l.portStatus(pt.ID, "ACTIVE") })
		l.jsonVfnet(t, &pt, "port", "show", pt.ID)
		if pt.VIFType != "hostdev_physical" || !strings.EqualFold(pt.MAC, l.pf2.mac) {
			t.Errorf("port-pt: vif_type %s MAC %s, want hostdev_physical and the PF's MAC %s", pt.VIFType, pt.MAC, l.pf2.mac)
		}
		g, _ := os.Readlink("/sys/bus/pci/devices/" + l.pf2.addr + "/iommu_group")
		if _, err := os.Stat("/dev/vfio/" + filepath.Base(g)); err != nil {
			t.Errorf("%s on vfio-pci but /dev/vfio/%s: %v", l.pf2.addr, filepath.Base(g), err)
		}
		t.Logf("PF %s on vfio-pci, IOMMU group %s, port MAC %s", l.pf2.addr, filepath.Base(g), pt.MAC)
	})

	step(t, "drift: out-of-band vlan 99 reverted and listed", func(t *testing.T) {
		ifname := netdevOf(l.pf1.addr)
		ipLink(t, "link", "set", ifname, "vf", fmt.Sprint(vfIndex), "vlan", "99")
		eventually(t, wait, "VF back on VLAN 10", func() string {
			_, vfs, err := ipVFs(ifname)
			if err != nil {
				return err.Error()
			}
			return l.vfIs(vfs, vfIndex, port.MAC, 10)
		})
		want := fmt.Sprintf("VF %d vlan: found vlan 99 qos 0, want vlan 10 qos 0, put back", vfIndex)
		eventually(t, wait, "the drift in event-list", func() string {
			out, _ := l.vfnet("event-list", "--host", hostName, "--kind", "drift")
			if !strings.Contains(out, want) {
				return out
			}
			return ""
		})
		l.mustVfnet(t, "event-list", "--host", hostName, "--kind", "drift")
	})

	step(t, "a free VF's MAC set by its VF driver (as igbvf's random one) reset at the next pass", func(t *testing.T) {
		free := (vfIndex + 1) % 4
		vf, err := os.Readlink(fmt.Sprintf("/sys/bus/pci/devices/%s/virtfn%d", l.pf1.addr, free))
		if err != nil {
			t.Fatal(err)
		}
		vfNet := netdevOf(filepath.Base(vf))
		if vfNet == "" {
			t.Fatalf("VF %d (%s) has no igbvf netdev", free, filepath.Base(vf))
		}
		// What igbvf does with the random MAC it picks while its PF is in
		// reset: it asks the PF to use it (mailbox SET_MAC_ADDR), and the
		// PF then reports it as the VF's MAC.
		const random = "02:5e:aa:bb:cc:01"
		ipLink(t, "link", "set", vfNet, "address", random)
		ipLink(t, "link", "set", vfNet, "up")
		want := fmt.Sprintf("VF %d mac: found %s, want 00:00:00:00:00:00, put back", free, random)
		eventually(t, wait, "the free VF's MAC reset", func() string {
			out, _ := l.vfnet("event-list", "--host", hostName, "--kind", "drift")
			if !strings.Contains(out, want) {
				return "no event " + want
			}
			_, vfs, err := ipVFs(netdevOf(l.pf1.addr))
			if err != nil {
				return err.Error()
			}
			return l.vfIs(vfs, free, "00:00:00:00:00:00", 0)
		})
	})

	step(t, "rmmod igb; insmod igb: every bound VF restored", func(t *testing.T) {
		run(t, "rmmod", "igb")
		// sriov_numvfs is the PCI core's: it stays, at 0, with no driver.
		if d, n := driverOf(l.pf1.addr), sysRead("/sys/bus/pci/devices/"+l.pf1.addr+"/sriov_numvfs"); d != "" || n != "0" {
			t.Fatalf("after rmmod igb %s has driver %q and sriov_numvfs %q, want none and 0", l.pf1.addr, d, n)
		}
		start := time.Now()
		run(t, "insmod", "/lib/modules/igb.ko")
		eventually(t, wait, "4 igbvf VFs again", func() string { return vfsReady(l.pf1.addr, 4) })
		var raw string
		eventually(t, wait, "the bound VF's MAC and VLAN back", func() string {
			out, vfs, err := ipVFs(netdevOf(l.pf1.addr))
			if err != nil {
				return err.Error()
			}
			raw = out
			for i := 0; i < 4; i++ {
				if i == vfIndex {
					continue
				}
				if s := l.vfIs(vfs, i, "00:00:00:00:00:00", 0); s != "" {
					return s
				}
			}
			return l.vfIs(vfs, vfIndex, port.MAC, 10)
		})
		eventually(t, wait, "converged", l.converged)
		t.Logf("FIGURE reload: insmod igb to every VF restored and converged %v", time.Since(start).Round(100*time.Millisecond))
		t.Logf("REAL KERNEL after igb reload: ip -j -d link show %s:\n%s", netdevOf(l.pf1.addr), strings.TrimSpace(raw))
		if d := driverOf(l.pf2.addr); d != "vfio-pci" {
			t.Errorf("the passed-through PF %s is on %q after igb's reload, want vfio-pci", l.pf2.addr, d)
		}
		eventually(t, wait, "port0 ACTIVE", func() string { return l.portStatus(port.ID, "ACTIVE") })
		l.followsNetdev(t, l.pf1, "sriov0")
	})

	step(t, "agent restart on a converged host writes nothing", func(t *testing.T) {
		before := lastReport(t, l)
		l.agent.kill()
		l.startAgent()
		var r *agent.Report
		eventually(t, wait, "a report from the new agent", func() string {
			v, err := l.c.Applied(context.Background(), hostName)
			if err != nil {
				return err.Error()
			}
			if v.ReportedAt == nil || !v.ReportedAt.After(before) {
				return "no new report"
			}
			r = v.Report
			return ""
		})
		t.Logf("FIGURE restart: first pass of the restarted agent: converged=%v passes=%d writes sysfs=%d netlink=%d, elapsed %v (kernel %v)",
			r.Converged, r.Passes, r.Writes.Sysfs, r.Writes.Netlink, r.Elapsed.Round(time.Millisecond), r.KernelTime.Round(time.Millisecond))
		if !r.Converged || r.Writes.Total() != 0 || r.Passes != 0 {
			t.Errorf("restarted agent on a converged host: converged=%v passes=%d writes %+v errors %+v, want 0 writes", r.Converged, r.Passes, r.Writes, r.Errors)
		}
	})

	step(t, "instance delete: VF reset as igb reads it back", func(t *testing.T) {
		l.mustVfnet(t, "instance", "delete", "vm0")
		var raw string
		eventually(t, wait, "the VF reset", func() string {
			out, vfs, err := ipVFs(netdevOf(l.pf1.addr))
			if err != nil {
				return err.Error()
			}
			raw = out
			if s := l.vfIs(vfs, vfIndex, "00:00:00:00:00:00", 0); s != "" {
				return s
			}
			for _, v := range vfs {
				if v.VF == vfIndex && !v.SpoofChk {
					return "spoofchk off"
				}
			}
			return ""
		})
		t.Logf("REAL KERNEL after instance delete: ip -j -d link show %s:\n%s", netdevOf(l.pf1.addr), strings.TrimSpace(raw))
		eventually(t, wait, "the VF free again", func() string {
			cs, err := l.c.Claims(context.Background(), hostName)
			if err != nil {
				return err.Error()
			}
			for _, c := range cs {
				if c.PCIAddr == vm.NICs[0].PCISlot {
					return fmt.Sprintf("claim %+v", c)
				}
			}
			return ""
		})
		l.mustVfnet(t, "instance", "delete", "vm-pt")
		eventually(t, wait, l.pf2.addr+" back on igb", func() string {
			if d := driverOf(l.pf2.addr); d != "igb" {
				return "driver " + d
			}
			return ""
		})
		eventually(t, wait, "converged", l.converged)
		l.followsNetdev(t, l.pf2, "pthru0")
	})
	t.Logf("FIGURE workflow: whole workflow in the guest %v", time.Since(labStart).Round(100*time.Millisecond))
}

// followsNetdev checks, after the kernel gave PF p's netdev a new name (no
// udev in the guest: the next free ethN), that the server follows it: the
// same port (by PCI address) carries the new name, host-port-show finds it
// by that name, and interface iface keeps its id, class and port, so no
// interface was added or lost its configuration.
func (l *lab) followsNetdev(t *testing.T, p pf, iface string) {
	t.Helper()
	ctx := context.Background()
	now := netdevOf(p.addr)
	if now == "" {
		t.Fatalf("%s has no netdev", p.addr)
	}
	var port model.Port
	eventually(t, wait, "the server's port of "+p.addr+" named "+now, func() string {
		var err error
		if port, err = l.c.Port(ctx, hostName, p.addr); err != nil {
			return err.Error()
		}
		if port.Name != now {
			return "name " + port.Name
		}
		return ""
	})
	byName, err := l.c.Port(ctx, hostName, now)
	if err != nil || byName.ID != port.ID {
		t.Fatalf("host-port-show %s %s: %+v %v, want port %s of %s", hostName, now, byName, err, port.ID, p.addr)
	}
	ifs, err := l.c.Interfaces(ctx, hostName)
	if err != nil {
		t.Fatal(err)
	}
	var found []model.Interface
	for _, i := range ifs {
		if i.PortID == port.ID {
			found = append(found, i)
		}
	}
	if len(found) != 1 || found[0].Name != iface || found[0].Class == model.IfClassNone || len(found[0].DataNetworks) == 0 {
		t.Fatalf("interfaces of port %s (%s, now %s): %+v, want only %s, still configured", port.ID, p.addr, now, found, iface)
	}
	t.Logf("PF %s: netdev %s at boot, %s now; port %s and interface %s (%s, %v) followed", p.addr, p.ifname, now, port.ID, iface, found[0].Class, found[0].DataNetworks)
	l.mustVfnet(t, "host-port-show", hostName, now)
}

// vfIs is "" when VF i of vfs has MAC mac and VLAN vlan.
func (l *lab) vfIs(vfs []ipVF, i int, mac string, vlan int) string {
	for _, v := range vfs {
		if v.VF == i {
			if !strings.EqualFold(v.Address, mac) || v.vlan() != vlan {
				return fmt.Sprintf("VF %d: mac %s vlan %d, want %s vlan %d", i, v.Address, v.vlan(), mac, vlan)
			}
			return ""
		}
	}
	return fmt.Sprintf("no VF %d in %+v", i, vfs)
}

func (l *lab) portStatus(id, want string) string {
	var p portView
	out, err := l.vfnet("port", "show", id, "-o", "json")
	if err != nil {
		return out
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		return err.Error()
	}
	if p.Status != want {
		return "status " + p.Status
	}
	return ""
}

func lastReport(t *testing.T, l *lab) time.Time {
	t.Helper()
	v, err := l.c.Applied(context.Background(), hostName)
	if err != nil || v.ReportedAt == nil {
		t.Fatalf("applied report: %v %+v", err, v)
	}
	return *v.ReportedAt
}

func ipLink(t *testing.T, args ...string) {
	t.Helper()
	run(t, "/usr/sbin/ip", args...)
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("$ %s %s %s", name, strings.Join(args, " "), strings.TrimSpace(string(out)))
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
