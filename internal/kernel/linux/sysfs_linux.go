package linux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"vfnet/internal/kernel"
)

// WriteNumVFs writes value unchanged to the PF's sriov_numvfs: the kernel's
// parser (kstrtou16, base 0, one trailing newline) is the one that counts.
func (k *Kernel) WriteNumVFs(ctx context.Context, pf string, value string) error {
	return k.writeDevFile(ctx, "write sriov_numvfs", pf, "sriov_numvfs", value)
}

// SetAutoprobe writes the PF's sriov_drivers_autoprobe as echo would.
func (k *Kernel) SetAutoprobe(ctx context.Context, pf string, on bool) error {
	v := "0\n"
	if on {
		v = "1\n"
	}
	return k.writeDevFile(ctx, "write sriov_drivers_autoprobe", pf, "sriov_drivers_autoprobe", v)
}

// SetDriverOverride writes driver to dev's driver_override. Clearing writes
// "\n": the kernel (driver_set_override) clears on an empty line, while a
// zero-length write never reaches it (sysfs returns 0 before calling the
// store function), so "" would silently leave the old override.
func (k *Kernel) SetDriverOverride(ctx context.Context, dev string, driver string) error {
	if driver != "" {
		if err := checkName("driver", driver); err != nil {
			return &kernel.Error{Op: "write driver_override", Device: dev, Err: err}
		}
	}
	return k.writeDevFile(ctx, "write driver_override", dev, "driver_override", driver+"\n")
}

// Unbind writes dev to bus/pci/drivers/<driver>/unbind.
func (k *Kernel) Unbind(ctx context.Context, dev string, driver string) error {
	return k.writeDriverFile(ctx, "unbind from "+driver, dev, driver, "unbind")
}

// Bind writes dev to bus/pci/drivers/<driver>/bind.
func (k *Kernel) Bind(ctx context.Context, dev string, driver string) error {
	return k.writeDriverFile(ctx, "bind to "+driver, dev, driver, "bind")
}

// Probe writes dev to bus/pci/drivers_probe.
func (k *Kernel) Probe(ctx context.Context, dev string) error {
	const op = "probe"
	if err := checkName("device", dev); err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: err}
	}
	return k.write(ctx, op, dev, filepath.Join("bus", "pci", "drivers_probe"), dev)
}

func (k *Kernel) writeDevFile(ctx context.Context, op, dev, file, value string) error {
	if err := checkName("device", dev); err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: err}
	}
	return k.write(ctx, op, dev, filepath.Join("bus", "pci", "devices", dev, file), value)
}

func (k *Kernel) writeDriverFile(ctx context.Context, op, dev, driver, file string) error {
	if err := checkName("device", dev); err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: err}
	}
	if err := checkName("driver", driver); err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: err}
	}
	// The bus matches the name with sysfs_streq, so the bare address works
	// with or without echo's newline; send it bare.
	return k.write(ctx, op, dev, filepath.Join("bus", "pci", "drivers", driver, file), dev)
}

// write is the one way vfnet writes sysfs: open without O_CREAT or O_TRUNC
// (sysfs attributes exist or the device does not), one write(2) so that the
// store function's errno is the answer, and the bare errno in the error.
func (k *Kernel) write(ctx context.Context, op, dev, rel, value string) error {
	if err := ctx.Err(); err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: err}
	}
	path := filepath.Join(k.root, rel)
	k.log.DebugContext(ctx, "sysfs write", "op", op, "dev", dev, "path", path, "value", value)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return &kernel.Error{Op: op, Device: dev, Err: bareErrno(err)}
	}
	n, werr := f.Write([]byte(value))
	cerr := f.Close()
	switch {
	case werr != nil:
		return &kernel.Error{Op: op, Device: dev, Err: bareErrno(werr)}
	case n != len(value):
		// sysfs store functions take the whole buffer or fail; a short count
		// means the attribute is not what we think it is.
		return &kernel.Error{Op: op, Device: dev, Err: fmt.Errorf("%s took %d of %d bytes: %w", path, n, len(value), io.ErrShortWrite)}
	case cerr != nil:
		return &kernel.Error{Op: op, Device: dev, Err: bareErrno(cerr)}
	}
	return nil
}

// bareErrno unwraps *os.PathError and *os.SyscallError: kernel.Error already
// names the device and operation, and callers compare the errno.
func bareErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// checkName refuses names that would leave the sysfs directory they are
// joined into.
func checkName(kind, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00\n") {
		return fmt.Errorf("%s name %q must be one sysfs file name (non-empty, no '/', newline or NUL, not . or ..): %w",
			kind, name, syscall.EINVAL)
	}
	return nil
}
