package cli

import (
	"errors"
	"log/slog"

	"vfnet/internal/kernel"
	"vfnet/internal/kernel/linux"
	"vfnet/internal/sim"
)

// openKernel opens the kernel a command works on: the simulated host in
// simDir when given, else the Linux kernel whose sysfs is at sysfsRoot. The
// returned close releases the netlink handle of the Linux one.
func openKernel(simDir, sysfsRoot string, log *slog.Logger) (kernel.Kernel, func() error, error) {
	if simDir != "" {
		if sysfsRoot != "" && sysfsRoot != "/sys" {
			return nil, nil, errors.New("give --sim DIR or --sysfs ROOT, not both")
		}
		k, err := sim.Open(simDir)
		if err != nil {
			return nil, nil, err
		}
		return k, k.Close, nil
	}
	k, err := linux.New(linux.Options{SysfsRoot: sysfsRoot, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return k, k.Close, nil
}
