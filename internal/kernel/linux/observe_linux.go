package linux

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"vfnet/internal/kernel"
	"vfnet/internal/sysfs"
)

// Observe reads the host from sysfs, then asks each SR-IOV PF's netdev for
// its VFs' rtnetlink settings (kernel.VF.Info).
func (k *Kernel) Observe(ctx context.Context) (*kernel.Host, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("observe %s: %w", k.root, err)
	}
	host, err := sysfs.Read(os.DirFS(k.root))
	if err != nil {
		return nil, fmt.Errorf("observe %s: %w", k.root, err)
	}
	for i := range host.PFs {
		pf := &host.PFs[i]
		if pf.Ifname == "" || pf.SRIOV == nil || len(pf.SRIOV.VFs) == 0 {
			continue // nothing to ask, or nobody to ask (nvme has no netdev)
		}
		infos, err := k.VFs(ctx, pf.Ifname)
		if errors.Is(err, syscall.ENODEV) {
			// sysfs shows netdevs of every namespace sysfs was mounted
			// for, and a netdev can be renamed or removed between the two
			// reads; Info stays nil, which says "not known", not "default".
			k.log.WarnContext(ctx, "PF netdev not found over rtnetlink; VF settings unknown",
				"pf", pf.PCIAddr, "ifname", pf.Ifname, "err", err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("observe PF %s: %w", pf.PCIAddr, err)
		}
		for j := range pf.SRIOV.VFs {
			vf := &pf.SRIOV.VFs[j]
			// The kernel lists IFLA_VF_INFO in VF index order, 0..numvfs-1.
			if vf.Index >= 0 && vf.Index < len(infos) {
				info := infos[vf.Index]
				vf.Info = &info
			}
		}
	}
	return host, nil
}
