package linux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"

	"vfnet/internal/kernel"
)

// opNoVFs names what a netdev without SR-IOV (a veth, a virtio NIC, a PF
// whose driver has no VF operations) lacks, so that kernel.Error reads
// "eth0 does not support SR-IOV VF configuration (operation not supported)".
const opNoVFs = "SR-IOV VF configuration"

// SetLink sets ifname's MTU when mtu > 0, then its up flag: the order in which
// the kernel's do_setlink applies one `ip link set dev X mtu M up`.
func (k *Kernel) SetLink(ctx context.Context, ifname string, up bool, mtu int) error {
	l, err := k.link(ctx, "set link", ifname)
	if err != nil {
		return err
	}
	if mtu > 0 {
		k.log.DebugContext(ctx, "rtnetlink set", "op", "mtu", "dev", ifname, "mtu", mtu)
		if err := k.h.LinkSetMTU(l, mtu); err != nil {
			return &kernel.Error{Op: fmt.Sprintf("set MTU %d", mtu), Device: ifname, Err: err}
		}
	}
	k.log.DebugContext(ctx, "rtnetlink set", "op", "up", "dev", ifname, "up", up)
	if up {
		err = k.h.LinkSetUp(l)
	} else {
		err = k.h.LinkSetDown(l)
	}
	if err != nil {
		op := "set down"
		if up {
			op = "set up"
		}
		return &kernel.Error{Op: op, Device: ifname, Err: err}
	}
	return nil
}

// SetVF applies c to VF vf of the PF netdev ifname. c is validated first and
// nothing is sent when it is invalid.
//
// The kernel applies the attributes of one RTM_SETLINK in a fixed order and
// stops at the first error, keeping what it applied. vishvananda/netlink sends
// one message per attribute; sending them in the kernel's order and stopping
// at the first error leaves the VF in the same state and returns the same
// errno as the single message would.
func (k *Kernel) SetVF(ctx context.Context, ifname string, vf int, c kernel.VFChange) error {
	op := fmt.Sprintf("VF %d configuration", vf)
	if err := c.Validate(); err != nil {
		return &kernel.Error{Op: op, Device: ifname, Err: err}
	}
	l, err := k.link(ctx, op, ifname)
	if err != nil {
		return err
	}
	k.log.DebugContext(ctx, "rtnetlink set", "op", "vf", "dev", ifname, "vf", vf)
	attr, err := applyVF(k.h, l, vf, c)
	if err == nil {
		return nil
	}
	op = fmt.Sprintf("VF %d %s", vf, attr)
	if errors.Is(err, syscall.EOPNOTSUPP) && len(l.Attrs().Vfs) == 0 {
		// The netdev reports no VFs and refuses the operation: it has no VF
		// support at all, which is what the caller needs to hear. A PF that
		// has VFs and lacks one operation (igb's link state) keeps the
		// attribute's name.
		op = opNoVFs
	}
	return &kernel.Error{Op: op, Device: ifname, Err: err}
}

// vfSetter is the part of *netlink.Handle that SetVF uses; applyVF's tests
// replace it to see the order of the attributes and where they stop.
type vfSetter interface {
	LinkSetVfHardwareAddr(link netlink.Link, vf int, hwaddr net.HardwareAddr) error
	LinkSetVfVlanQos(link netlink.Link, vf, vlan, qos int) error
	LinkSetVfVlanQosProto(link netlink.Link, vf, vlan, qos, proto int) error
	LinkSetVfRate(link netlink.Link, vf, minRate, maxRate int) error
	LinkSetVfSpoofchk(link netlink.Link, vf int, check bool) error
	LinkSetVfState(link netlink.Link, vf int, state uint32) error
	LinkSetVfTrust(link netlink.Link, vf int, state bool) error
}

// applyVF sends c's attributes in the kernel's order (rtnetlink.c
// do_setvfinfo: MAC, VLAN, rate, spoof check, link state, trust) and stops at
// the first error, returning the name of the attribute that failed. c must
// have passed Validate.
func applyVF(s vfSetter, l netlink.Link, vf int, c kernel.VFChange) (string, error) {
	if c.MAC != nil {
		hw, err := net.ParseMAC(*c.MAC)
		if err != nil {
			return "MAC", fmt.Errorf("MAC %q: %w", *c.MAC, syscall.EINVAL)
		}
		if err := s.LinkSetVfHardwareAddr(l, vf, hw); err != nil {
			return "MAC", err
		}
	}
	if v := c.VLAN; v != nil {
		var err error
		if v.Proto == kernel.Proto8021AD {
			// Only IFLA_VF_VLAN_LIST carries a protocol; drivers without
			// 802.1ad (igb) answer EPROTONOSUPPORT.
			err = s.LinkSetVfVlanQosProto(l, vf, v.ID, v.QoS, v.Proto)
		} else {
			err = s.LinkSetVfVlanQos(l, vf, v.ID, v.QoS)
		}
		if err != nil {
			return "VLAN", err
		}
	}
	if r := c.Rate; r != nil {
		if err := s.LinkSetVfRate(l, vf, r.Min, r.Max); err != nil {
			return "rate", err
		}
	}
	if c.SpoofChk != nil {
		if err := s.LinkSetVfSpoofchk(l, vf, *c.SpoofChk); err != nil {
			return "spoof check", err
		}
	}
	if c.LinkState != nil {
		if err := s.LinkSetVfState(l, vf, uint32(*c.LinkState)); err != nil {
			return "link state", err
		}
	}
	if c.Trust != nil {
		if err := s.LinkSetVfTrust(l, vf, *c.Trust); err != nil {
			return "trust", err
		}
	}
	return "", nil
}

// VFs reads every VF the PF netdev ifname reports (RTM_GETLINK with
// RTEXT_FILTER_VF, which netlink's LinkByName asks for). A netdev without
// SR-IOV, or a PF at 0 VFs, reports none.
func (k *Kernel) VFs(ctx context.Context, ifname string) ([]kernel.VFInfo, error) {
	l, err := k.link(ctx, "read VFs", ifname)
	if err != nil {
		return nil, err
	}
	return vfInfos(l.Attrs().Vfs), nil
}

// link looks ifname up, answering ENODEV for a name the namespace does not
// have, as the kernel does for an unknown ifindex.
func (k *Kernel) link(ctx context.Context, op, ifname string) (netlink.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, &kernel.Error{Op: op, Device: ifname, Err: err}
	}
	l, err := k.h.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			// netlink turns the kernel's ENODEV into its own type; give the
			// errno back so that both kernels answer alike.
			err = syscall.ENODEV
		}
		return nil, &kernel.Error{Op: op, Device: ifname, Err: err}
	}
	return l, nil
}

// vfInfos converts IFLA_VF_INFO entries, which the kernel lists in VF order.
func vfInfos(vfs []netlink.VfInfo) []kernel.VFInfo {
	out := make([]kernel.VFInfo, 0, len(vfs))
	for _, v := range vfs {
		info := kernel.VFInfo{
			VF:   v.ID,
			VLAN: v.Vlan,
			QoS:  v.Qos,
			// IFLA_VF_VLAN_LIST; 0 when the kernel sent none.
			Proto:    v.VlanProto,
			SpoofChk: v.Spoofchk,
			// The kernel reports trust as -1 (all ones) when the driver
			// does not say: that is not "trusted".
			Trust:     v.Trust == 1,
			LinkState: kernel.LinkState(v.LinkState),
			MinTxRate: int(v.MinTxRate),
			MaxTxRate: int(v.MaxTxRate),
			Stats: kernel.VFStats{
				RxPackets: v.RxPackets,
				TxPackets: v.TxPackets,
				RxBytes:   v.RxBytes,
				TxBytes:   v.TxBytes,
				Broadcast: v.Broadcast,
				Multicast: v.Multicast,
				RxDropped: v.RxDropped,
				TxDropped: v.TxDropped,
			},
		}
		if len(v.Mac) > 0 {
			// HardwareAddr.String is lowercase and colon-separated.
			info.MAC = v.Mac.String()
		}
		if info.MaxTxRate == 0 && v.TxRate != 0 {
			// Old kernels send only IFLA_VF_TX_RATE, the max rate.
			info.MaxTxRate = v.TxRate
		}
		out = append(out, info)
	}
	return out
}
