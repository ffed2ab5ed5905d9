package linux

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"vfnet/internal/kernel"
)

// requireNetAdmin fails the test, naming what is missing, unless this process
// can create network namespaces and links in them.
func requireNetAdmin(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, fmt.Sprintf("root (euid is %d)", os.Geteuid()))
	}
	caps, err := effectiveCaps()
	if err != nil {
		missing = append(missing, fmt.Sprintf("readable capabilities (%v)", err))
	} else {
		if caps&(1<<unix.CAP_NET_ADMIN) == 0 {
			missing = append(missing, "CAP_NET_ADMIN")
		}
		if caps&(1<<unix.CAP_SYS_ADMIN) == 0 {
			missing = append(missing, "CAP_SYS_ADMIN (unshare a network namespace)")
		}
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		missing = append(missing, "network namespace support (CONFIG_NET_NS): "+err.Error())
	}
	if len(missing) > 0 {
		t.Fatalf("this test creates a network namespace with a veth pair and needs: %s", strings.Join(missing, ", "))
	}
}

func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// newNetns returns a fresh network namespace, released when the test ends.
func newNetns(t *testing.T) netns.NsHandle {
	t.Helper()
	type result struct {
		ns  netns.NsHandle
		err error
	}
	ch := make(chan result)
	go func() {
		// unshare moves the calling thread into the new namespace. This
		// goroutine keeps its thread locked and exits, so the runtime
		// discards the thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		ns, err := netns.New()
		ch <- result{ns, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("create network namespace (unshare CLONE_NEWNET): %v", r.err)
	}
	// The namespace lives as long as a file descriptor refers to it.
	t.Cleanup(func() { r.ns.Close() })
	return r.ns
}

// vethKernel builds a Kernel whose netlink handle is in a new namespace
// holding a veth pair eth0/eth1, and returns a second handle there for
// reading back.
func vethKernel(t *testing.T) (*Kernel, *netlink.Handle) {
	t.Helper()
	requireNetAdmin(t)
	ns := newNetns(t)
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle in the test namespace: %v", err)
	}
	t.Cleanup(h.Close)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth1"}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatalf("create veth pair eth0/eth1 (needs the veth module): %v", err)
	}
	k, err := New(Options{Handle: h})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k, h
}

func TestVethSetVF(t *testing.T) {
	k, _ := vethKernel(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		c       kernel.VFChange
		wantErr error
		wantMsg string
	}{
		{"MAC", kernel.VFChange{MAC: ptr("02:00:00:00:00:01")}, syscall.EOPNOTSUPP,
			"eth0 does not support SR-IOV VF configuration (operation not supported)"},
		{"VLAN", kernel.VFChange{VLAN: &kernel.VLAN{ID: 10, QoS: 3}}, syscall.EOPNOTSUPP,
			"eth0 does not support SR-IOV VF configuration (operation not supported)"},
		{"link state", kernel.VFChange{LinkState: ptr(kernel.LinkEnable)}, syscall.EOPNOTSUPP,
			"eth0 does not support SR-IOV VF configuration (operation not supported)"},
		{"trust", kernel.VFChange{Trust: ptr(true)}, syscall.EOPNOTSUPP,
			"eth0 does not support SR-IOV VF configuration (operation not supported)"},
		// Each of these would reach the veth as a MAC first and come back
		// EOPNOTSUPP; EINVAL proves validation stopped it before sending.
		{"VLAN 4096 sends nothing", kernel.VFChange{MAC: ptr("02:00:00:00:00:01"), VLAN: &kernel.VLAN{ID: 4096}}, syscall.EINVAL,
			"eth0 VF 0 configuration: VLAN 4096 is out of range 0-4095: invalid argument"},
		{"QoS 8 sends nothing", kernel.VFChange{MAC: ptr("02:00:00:00:00:01"), VLAN: &kernel.VLAN{ID: 10, QoS: 8}}, syscall.EINVAL,
			"eth0 VF 0 configuration: QoS 8 is out of range 0-7: invalid argument"},
		{"multicast MAC sends nothing", kernel.VFChange{MAC: ptr("01:00:5e:00:00:01")}, syscall.EINVAL,
			"eth0 VF 0 configuration: MAC 01:00:5e:00:00:01 is multicast; a VF needs a unicast address (or 00:00:00:00:00:00 to clear): invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := k.SetVF(ctx, "eth0", 0, tt.c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetVF(eth0, 0, %s) = %v, want %v", tt.name, err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("SetVF(eth0, 0, %s) message\n got %q\nwant %q", tt.name, err, tt.wantMsg)
			}
		})
	}
}

func TestVethVFs(t *testing.T) {
	k, _ := vethKernel(t)
	vfs, err := k.VFs(context.Background(), "eth0")
	if err != nil {
		t.Fatalf("VFs(eth0): %v", err)
	}
	if len(vfs) != 0 {
		t.Errorf("VFs(eth0) = %+v, want none: a veth has no VFs", vfs)
	}
}

func TestVethSetLink(t *testing.T) {
	k, h := vethKernel(t)
	ctx := context.Background()
	steps := []struct {
		up      bool
		mtu     int
		wantUp  bool
		wantMTU int
	}{
		{up: true, mtu: 9000, wantUp: true, wantMTU: 9000},
		{up: false, mtu: 0, wantUp: false, wantMTU: 9000}, // 0 leaves the MTU alone
		{up: true, mtu: 1400, wantUp: true, wantMTU: 1400},
		{up: false, mtu: 1500, wantUp: false, wantMTU: 1500},
	}
	for _, s := range steps {
		if err := k.SetLink(ctx, "eth0", s.up, s.mtu); err != nil {
			t.Fatalf("SetLink(eth0, up=%v, mtu=%d): %v", s.up, s.mtu, err)
		}
		l, err := h.LinkByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		a := l.Attrs()
		if gotUp := a.Flags&net.FlagUp != 0; gotUp != s.wantUp || a.MTU != s.wantMTU {
			t.Errorf("after SetLink(eth0, up=%v, mtu=%d): up=%v mtu=%d, want up=%v mtu=%d",
				s.up, s.mtu, gotUp, a.MTU, s.wantUp, s.wantMTU)
		}
	}

	// The kernel's errno survives: veth's max MTU is 65535.
	err := k.SetLink(ctx, "eth0", true, 70000)
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("SetLink(eth0, mtu 70000) = %v, want EINVAL", err)
	}
	if want := "eth0 set MTU 70000: invalid argument"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestUnknownIfname(t *testing.T) {
	k, _ := vethKernel(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		do      func() error
		wantMsg string
	}{
		{"SetLink", func() error { return k.SetLink(ctx, "nosuch0", true, 0) }, "nosuch0 set link: no such device"},
		{"SetVF", func() error { return k.SetVF(ctx, "nosuch0", 0, kernel.VFChange{Trust: ptr(true)}) },
			"nosuch0 VF 0 configuration: no such device"},
		{"VFs", func() error { _, err := k.VFs(ctx, "nosuch0"); return err }, "nosuch0 read VFs: no such device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, syscall.ENODEV) {
				t.Fatalf("%s(nosuch0) = %v, want ENODEV", tt.name, err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("got %q, want %q", err, tt.wantMsg)
			}
		})
	}
}
