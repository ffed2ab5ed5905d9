package linux

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"vfnet/internal/kernel"
)

// recorder is a vfSetter that logs each call and fails the one named in fail.
type recorder struct {
	calls []string
	fail  string
	err   error
}

func (r *recorder) call(s string) error {
	r.calls = append(r.calls, s)
	if r.fail != "" && len(s) >= len(r.fail) && s[:len(r.fail)] == r.fail {
		return r.err
	}
	return nil
}

func (r *recorder) LinkSetVfHardwareAddr(_ netlink.Link, vf int, hw net.HardwareAddr) error {
	return r.call(fmt.Sprintf("mac %d %s", vf, hw))
}
func (r *recorder) LinkSetVfVlanQos(_ netlink.Link, vf, vlan, qos int) error {
	return r.call(fmt.Sprintf("vlan %d %d %d", vf, vlan, qos))
}
func (r *recorder) LinkSetVfVlanQosProto(_ netlink.Link, vf, vlan, qos, proto int) error {
	return r.call(fmt.Sprintf("vlan %d %d %d proto %#x", vf, vlan, qos, proto))
}
func (r *recorder) LinkSetVfRate(_ netlink.Link, vf, lo, hi int) error {
	return r.call(fmt.Sprintf("rate %d %d %d", vf, lo, hi))
}
func (r *recorder) LinkSetVfSpoofchk(_ netlink.Link, vf int, on bool) error {
	return r.call(fmt.Sprintf("spoofchk %d %v", vf, on))
}
func (r *recorder) LinkSetVfState(_ netlink.Link, vf int, st uint32) error {
	return r.call(fmt.Sprintf("state %d %d", vf, st))
}
func (r *recorder) LinkSetVfTrust(_ netlink.Link, vf int, on bool) error {
	return r.call(fmt.Sprintf("trust %d %v", vf, on))
}

func ptr[T any](v T) *T { return &v }

func TestApplyVFOrder(t *testing.T) {
	all := kernel.VFChange{
		Trust:     ptr(true),
		LinkState: ptr(kernel.LinkDisable),
		SpoofChk:  ptr(false),
		Rate:      &kernel.Rate{Min: 10, Max: 100},
		VLAN:      &kernel.VLAN{ID: 10, QoS: 3},
		MAC:       ptr("02:00:00:00:00:AA"),
	}
	allCalls := []string{
		"mac 3 02:00:00:00:00:aa", "vlan 3 10 3", "rate 3 10 100",
		"spoofchk 3 false", "state 3 2", "trust 3 true",
	}
	tests := []struct {
		name      string
		c         kernel.VFChange
		fail      string
		wantCalls []string
		wantAttr  string
		wantErr   error
	}{
		{"nothing set sends nothing", kernel.VFChange{}, "", nil, "", nil},
		{"all, kernel order", all, "", allCalls, "", nil},
		{"VLAN fails: MAC stays sent, nothing after", all, "vlan", allCalls[:2], "VLAN", syscall.EINVAL},
		{"link state unsupported (igb)", all, "state", allCalls[:5], "link state", syscall.EOPNOTSUPP},
		{"MAC fails first", all, "mac", allCalls[:1], "MAC", syscall.EINVAL},
		{"802.1Q by number uses IFLA_VF_VLAN", kernel.VFChange{VLAN: &kernel.VLAN{ID: 5, Proto: kernel.Proto8021Q}}, "",
			[]string{"vlan 3 5 0"}, "", nil},
		{"802.1ad uses the VLAN list", kernel.VFChange{VLAN: &kernel.VLAN{ID: 20, QoS: 1, Proto: kernel.Proto8021AD}}, "",
			[]string{"vlan 3 20 1 proto 0x88a8"}, "", nil},
		{"802.1ad refused (igb)", kernel.VFChange{VLAN: &kernel.VLAN{ID: 20, Proto: kernel.Proto8021AD}}, "vlan",
			[]string{"vlan 3 20 0 proto 0x88a8"}, "VLAN", syscall.EPROTONOSUPPORT},
		{"trust alone", kernel.VFChange{Trust: ptr(false)}, "", []string{"trust 3 false"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{fail: tt.fail, err: tt.wantErr}
			attr, err := applyVF(r, nil, 3, tt.c)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if attr != tt.wantAttr {
				t.Errorf("got failing attribute %q, want %q", attr, tt.wantAttr)
			}
			if diff := cmp.Diff(tt.wantCalls, r.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVFInfos(t *testing.T) {
	in := []netlink.VfInfo{
		{ // netdevsim VF 3 of the transcript
			ID: 0, Mac: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x33}, Trust: 1,
			MinTxRate: 100, MaxTxRate: 1000, TxRate: 1000,
			RxPackets: 1, TxPackets: 2, RxBytes: 3, TxBytes: 4, Broadcast: 5, Multicast: 6, RxDropped: 7, TxDropped: 8,
		},
		{ // igb VF 1: VLAN 10 QoS 3, spoof check on, 802.1Q reported
			ID: 1, Mac: net.HardwareAddr{0xEA, 0x35, 0x72, 0x6B, 0xF9, 0x24}, Vlan: 10, Qos: 3, VlanProto: 0x8100,
			Spoofchk: true, LinkState: 2,
		},
		{ // a driver that leaves trust unreported (-1) and an old kernel with only TX_RATE
			ID: 2, Trust: 0xffffffff, TxRate: 500,
		},
	}
	want := []kernel.VFInfo{
		{VF: 0, MAC: "02:00:00:00:00:33", Trust: true, MinTxRate: 100, MaxTxRate: 1000,
			Stats: kernel.VFStats{RxPackets: 1, TxPackets: 2, RxBytes: 3, TxBytes: 4, Broadcast: 5, Multicast: 6, RxDropped: 7, TxDropped: 8}},
		{VF: 1, MAC: "ea:35:72:6b:f9:24", VLAN: 10, QoS: 3, Proto: 0x8100, SpoofChk: true, LinkState: kernel.LinkDisable},
		{VF: 2, MaxTxRate: 500},
	}
	if diff := cmp.Diff(want, vfInfos(in)); diff != "" {
		t.Errorf("vfInfos (-want +got):\n%s", diff)
	}
	if got := vfInfos(nil); got == nil || len(got) != 0 {
		t.Errorf("vfInfos(nil) = %#v, want an empty, non-nil slice", got)
	}
}
