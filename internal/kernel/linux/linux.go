// Package linux is the kernel.Kernel of a real Linux host: it reads sysfs
// (through internal/sysfs), writes the SR-IOV and driver-binding files of
// /sys/bus/pci, and programs netdevs and VFs with rtnetlink.
//
// Every write is one open(O_WRONLY) and one write(2) of the caller's bytes, so
// the errno the kernel returns for that write is the errno the caller sees
// (errors.Is(err, syscall.EBUSY) works); nothing is retried or rolled back
// here, because the agent above decides what a failure means.
package linux

import (
	"log/slog"

	"github.com/vishvananda/netlink"
)

// Options configure a Kernel. The zero value is the host this process runs on.
type Options struct {
	// SysfsRoot is where sysfs is mounted; "" means "/sys". Tests point it at
	// a temporary tree.
	SysfsRoot string
	// Handle is the rtnetlink handle used for netdevs and VFs; nil opens one
	// in the calling thread's network namespace, which Close releases. A
	// handle given here stays the caller's to close.
	Handle *netlink.Handle
	// Logger receives one debug record per kernel write; nil discards.
	Logger *slog.Logger
}
