package linux

import (
	"fmt"
	"log/slog"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Kernel is the Linux kernel.Kernel. It is safe for concurrent use: sysfs
// writes share nothing and the netlink handle serialises its requests.
type Kernel struct {
	root  string
	h     *netlink.Handle
	ownsH bool
	log   *slog.Logger
}

// New returns the Linux kernel of opts.SysfsRoot and opts.Handle's network
// namespace. Close it to release a handle New opened.
func New(opts Options) (*Kernel, error) {
	k := &Kernel{root: opts.SysfsRoot, h: opts.Handle, log: opts.Logger}
	if k.root == "" {
		k.root = "/sys"
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.h == nil {
		// Only the route family: vfnet needs nothing else, and opening every
		// family fails on kernels built without some of them.
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return nil, fmt.Errorf("open rtnetlink socket: %w", err)
		}
		k.h, k.ownsH = h, true
	}
	return k, nil
}

// Close releases the netlink handle New opened; a handle passed in Options
// is left open. The Kernel must not be used afterwards.
func (k *Kernel) Close() error {
	if k.ownsH {
		k.h.Close()
		k.ownsH = false
	}
	return nil
}
