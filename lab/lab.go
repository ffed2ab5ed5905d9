package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultCache is where lab/fetch.sh keeps what it downloads and builds;
// VFNET_LAB_CACHE overrides it.
const DefaultCache = "/var/cache/vfnet-lab"

// CacheDir is the cache the lab uses: $VFNET_LAB_CACHE or DefaultCache.
func CacheDir() string {
	if d := os.Getenv("VFNET_LAB_CACHE"); d != "" {
		return d
	}
	return DefaultCache
}

// Env is lab.env as lab/fetch.sh writes it: the paths and versions of every
// piece in the cache.
type Env map[string]string

// Prepare runs lab/fetch.sh (under repo) to fill cache, logging its progress
// to log, and returns the environment it wrote.
func Prepare(ctx context.Context, repo, cache string, log io.Writer) (Env, error) {
	script := filepath.Join(repo, "lab", "fetch.sh")
	cmd := exec.CommandContext(ctx, "bash", script, cache)
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(log, &stderr)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("prepare the lab cache %s with %s: %w\n%s", cache, script, err, tail(stderr.String(), 30))
	}
	path := strings.TrimSpace(string(out))
	return ReadEnv(path)
}

// ReadEnv reads a lab.env file and checks that every path it names exists.
func ReadEnv(path string) (Env, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lab environment: %w", err)
	}
	env := Env{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for _, k := range []string{"VMLINUZ", "MODULES", "QEMU", "QEMU_MODULE_DIR", "QEMU_DATA", "SEABIOS", "BUSYBOX", "IP", "NETDEVSIM"} {
		if env[k] == "" {
			return nil, fmt.Errorf("lab environment %s has no %s: rerun lab/fetch.sh", path, k)
		}
		if _, err := os.Stat(env[k]); err != nil {
			return nil, fmt.Errorf("lab environment %s: %s: %w (delete the cache entry and rerun lab/fetch.sh)", path, k, err)
		}
	}
	return env, nil
}

// qemuCmd returns a command running the unpacked QEMU with its own
// libraries and modules (without QEMU_MODULE_DIR it would load the host
// QEMU's modules, if any, and abort).
func (e Env) qemuCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e["QEMU"], args...)
	cmd.Env = append(os.Environ(),
		"LD_LIBRARY_PATH="+e["QEMU_LD_LIBRARY_PATH"],
		"QEMU_MODULE_DIR="+e["QEMU_MODULE_DIR"],
	)
	return cmd
}

// CheckQEMU fails unless the QEMU has the devices the lab needs. QEMU 7.2
// exits 0 for `-device igb,help` although it has no igb: the help text is
// what tells.
func (e Env) CheckQEMU(ctx context.Context) error {
	for dev, want := range map[string]string{"igb": "igb options", "nvme": "sriov_max_vfs", "intel-iommu": "intel-iommu options"} {
		out, _ := e.qemuCmd(ctx, "-audio", "none", "-device", dev+",help").CombinedOutput()
		if !strings.Contains(string(out), want) {
			return fmt.Errorf("QEMU %s (%s) lacks -device %s (its help has no %q): the lab needs QEMU >= 8 from %s-backports; delete %s and rerun lab/fetch.sh\n%s",
				e["QEMU_VERSION"], e["QEMU"], dev, want, "bookworm", filepath.Dir(filepath.Dir(filepath.Dir(e["QEMU"]))), tail(string(out), 10))
		}
	}
	return nil
}

// Guest describes what the guest runs: files to add to the initramfs,
// modules to load and the phases, in order.
type Guest struct {
	// Modules are loaded (with their dependencies, from the unpacked
	// kernel) before any phase, in this order.
	Modules []string
	// Files maps a path in the guest to a host file.
	Files map[string]string
	// Phases run one after the other; each is a shell command line.
	Phases []PhaseSpec
}

// PhaseSpec is one framed command of the guest.
type PhaseSpec struct {
	Name    string
	Command string
}

// NewMarker returns a random console marker for one boot.
func NewMarker() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console marker: %w", err)
	}
	return "VFNET-LAB-" + hex.EncodeToString(b), nil
}

// BuildInitramfs writes the guest's initramfs to dst: busybox, Debian's ip
// with its libraries, the modules in load order, g.Files and an /init that
// runs g.Phases between markers.
func (e Env) BuildInitramfs(ctx context.Context, g Guest, marker, dst string) error {
	r := NewInitramfs()
	if err := r.AddHostFile("bin/busybox", e["BUSYBOX"]); err != nil {
		return err
	}
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "sbin", "usr/bin", "usr/sbin", "etc"} {
		r.AddDir(d)
	}
	if err := addDynamic(ctx, r, "usr/sbin/ip", e["IP"]); err != nil {
		return err
	}

	idx, err := IndexModules(e["MODULES"])
	if err != nil {
		return err
	}
	idx["netdevsim"] = e["NETDEVSIM"]
	order, err := idx.LoadOrder(g.Modules)
	if err != nil {
		return err
	}
	var list strings.Builder
	for _, ko := range order {
		name := "lib/modules/" + filepath.Base(ko)
		if err := r.AddHostFile(name, ko); err != nil {
			return err
		}
		list.WriteString("/" + name + "\n")
	}
	r.AddFile("lib/modules/order", 0o644, []byte(list.String()))

	names := make([]string, 0, len(g.Files))
	for n := range g.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := r.AddHostFile(n, g.Files[n]); err != nil {
			return err
		}
	}
	r.AddFile("init", 0o755, []byte(initScript(marker, g.Phases)))

	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("write initramfs: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := r.WriteTo(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	return f.Close()
}

// addDynamic adds a dynamically linked host binary with the libraries ldd
// lists (and the loader), at their host paths.
func addDynamic(ctx context.Context, r *Initramfs, name, bin string) error {
	if err := r.AddHostFile(name, bin); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0] // the loader
		case strings.Contains(line, "not found"):
			return fmt.Errorf("%s needs %s, which the host lacks", bin, f[0])
		default:
			continue
		}
		if err := r.AddHostFile(lib, lib); err != nil {
			return err
		}
	}
	return nil
}

// initScript is the guest's /init. Kernel messages are kept off the console
// (dmesg -n 1) so that they cannot split a test's output lines; each phase's
// messages are printed after it, framed.
func initScript(marker string, phases []PhaseSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
M=%s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
dmesg -n 1
echo "$M BOOT"
uptime() { cut -d' ' -f1 /proc/uptime; }
for ko in $(cat /lib/modules/order); do
	insmod "$ko" || echo "insmod $ko failed"
done
ip link set lo up
dmesg -c >/dev/null
phase() {
	name=$1
	shift
	echo "$M BEGIN $name"
	sh -c "$*" </dev/null 2>&1
	rc=$?
	echo
	echo "$M END $name rc=$rc uptime=$(uptime)"
	echo "$M KMSG $name"
	dmesg -c
	echo "$M KMSG-END $name"
}
`, marker)
	for _, p := range phases {
		fmt.Fprintf(&b, "phase %s %s\n", p.Name, shellQuote(p.Command))
	}
	fmt.Fprintf(&b, "echo \"$M DONE\"\npoweroff -f\n")
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// BootOptions vary a boot.
type BootOptions struct {
	// Cmdline is appended to the kernel command line.
	Cmdline string
	// IGBMAC is the igb PF's permanent MAC address; "" means 52:54:00:12:34:56.
	IGBMAC string
	// SecondIGB adds a second emulated 82576 (SecondIGBAddr, MAC
	// SecondIGBMAC) on its own unconnected hub: a second PF, e.g. to pass
	// one through while the other has VFs.
	SecondIGB bool
}

// SecondIGBAddr and SecondIGBMAC are the second igb PF's (BootOptions.SecondIGB).
const (
	SecondIGBAddr = "0000:3c:00.0"
	SecondIGBMAC  = "52:54:00:12:34:57"
)

// IGBAddr and IGBNUMANode are where the guest's igb PF sits: behind a PCIe
// expander bridge (pxb-pcie, root bus 0x3a) on NUMA node 0, so that its
// address and NUMA node are those of the simulator's igb model on numa0
// (0000:3b:00.0) and inventories compare without renaming.
const (
	IGBAddr     = "0000:3b:00.0"
	IGBNUMANode = 0
)

// BootArgs are QEMU's arguments for the guest: q35 under TCG, one CPU in
// one NUMA node, an intel-iommu (so that vfio-pci can take a VF), an
// emulated 82576 (igb) on an unconnected hub, so that nothing leaves the
// machine, and an nvme SR-IOV PF.
func (e Env) BootArgs(initrd string, o BootOptions) []string {
	mac := o.IGBMAC
	if mac == "" {
		mac = "52:54:00:12:34:56"
	}
	args := []string{
		"-machine", "q35,kernel-irqchip=split", "-accel", "tcg", "-m", "1G", "-smp", "1",
		"-object", "memory-backend-ram,id=mem0,size=1G", "-numa", "node,nodeid=0,cpus=0,memdev=mem0",
		"-nographic", "-no-reboot", "-nic", "none", "-audio", "none",
		"-L", e["QEMU_DATA"], "-L", e["SEABIOS"],
		"-device", "intel-iommu,intremap=on",
		"-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
		"-device", "nvme-subsys,id=ns0",
		"-device", "nvme,serial=vfnetlab,subsys=ns0,bus=rp1,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4",
		"-device", fmt.Sprintf("pxb-pcie,id=pxb0,bus_nr=0x3a,numa_node=%d,bus=pcie.0", IGBNUMANode),
		"-device", "pcie-root-port,id=rp2,bus=pxb0,chassis=2,slot=0",
		"-netdev", "hubport,id=n0,hubid=0",
		"-device", "igb,netdev=n0,bus=rp2,mac=" + mac + ",romfile=",
		"-kernel", e["VMLINUZ"], "-initrd", initrd,
		"-append", "console=ttyS0 quiet panic=-1 ipv6.disable=1 intel_iommu=on no_timer_check " + o.Cmdline,
	}
	if o.SecondIGB {
		args = append(args,
			"-device", "pcie-root-port,id=rp3,bus=pxb0,chassis=3,slot=1",
			"-netdev", "hubport,id=n1,hubid=1",
			"-device", "igb,netdev=n1,bus=rp3,mac="+SecondIGBMAC+",romfile=")
	}
	return args
}

// Boot runs the guest until it powers off or ctx ends, copying the console
// to console as it arrives, and returns everything it printed.
func (e Env) Boot(ctx context.Context, initrd string, o BootOptions, console io.Writer) (string, error) {
	cmd := e.qemuCmd(ctx, e.BootArgs(initrd, o)...)
	var out bytes.Buffer
	w := io.MultiWriter(&out, console)
	cmd.Stdout = w
	cmd.Stderr = w
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("guest did not power off in time: %w", ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), fmt.Errorf("qemu exited: %w", err)
	}
	if err != nil {
		return out.String(), fmt.Errorf("run qemu: %w", err)
	}
	return out.String(), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
