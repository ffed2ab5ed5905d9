package sim

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
)

// RenamePFNetdev gives the netdev of PF pf (a PCI address) the name ifname,
// as the kernel does on a host without udev when the PF's driver probes it
// again: the netdev registers under the next free ethN (the lab saw eth1
// come back as eth5 after vfio-pci, and igb's netdevs renamed after rmmod
// and insmod). Its driver registers ifname from now on; a netdev the PF
// has now moves to the new name at once, with everything else unchanged
// (MAC, MTU, link, VFs), as `ip link set dev OLD name NEW` would. It is
// not a kernel.Kernel operation: nothing vfnet does renames a netdev.
func (k *Kernel) RenamePFNetdev(ctx context.Context, pf, ifname string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ifname == "" || len(ifname) > 15 || strings.ContainsAny(ifname, "/: ") {
		return fmt.Errorf("rename the netdev of %s: %q is no netdev name (1-15 characters, no '/', ':' or space)", pf, ifname)
	}
	return k.locked(true, func(st *state) error {
		ps := st.PFs[pf]
		if ps == nil || ps.Ifname == "" {
			return fmt.Errorf("rename the netdev of %s: the host has no PF with a netdev at %s", pf, pf)
		}
		if ps.Ifname == ifname {
			return nil
		}
		if k.t.exists("class/net/" + ifname) {
			return fmt.Errorf("rename the netdev of %s to %s: %s exists", pf, ifname, ifname)
		}
		old := ps.Ifname
		ps.Ifname = ifname
		st.changed()
		nd, ok := k.t.netdevDir(old)
		if !ok || deviceOfNetdev(nd) != pf {
			return nil // no netdev now (no driver, or vfio-pci): the next probe names it
		}
		moved := path.Join(path.Dir(nd), ifname)
		if err := os.Rename(k.t.abs(nd), k.t.abs(moved)); err != nil {
			return fmt.Errorf("rename the netdev of %s: %w", pf, err)
		}
		if err := k.t.remove("class/net/" + old); err != nil {
			return fmt.Errorf("rename the netdev of %s: %w", pf, err)
		}
		return k.t.link("class/net/"+ifname, up("class/net")+moved)
	})
}
