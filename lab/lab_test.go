package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vfnet/internal/pciids"
)

// guestTimeout bounds one boot: the slowest run seen took about 2 minutes.
const guestTimeout = 12 * time.Minute

// TestLab boots Debian's kernel under QEMU with real SR-IOV devices and
// turns what the guest's test binaries report into subtests of this one.
func TestLab(t *testing.T) {
	ctx, repo, cache, env, start := prepareLab(t)

	step := time.Now()
	work := t.TempDir()
	files := buildGuestBinaries(ctx, t, repo, work, map[string][]string{
		"guest.test":  {"test", "-c", "-tags", "lab", "./lab/guest"},
		"kernel.test": {"test", "-c", "-tags", "lab", "./internal/kernel/linux"},
		"vfnet":       {"build", "./cmd/vfnet"},
	})
	// The simulated host whose inventory the guest's must equal; its igb
	// PF's MAC becomes the emulated 82576's.
	sim, err := simInventories(ctx, files["usr/bin/vfnet"], filepath.Join(work, "sim"))
	if err != nil {
		t.Fatal(err)
	}
	files[strings.TrimPrefix(pciids.DefaultPath, "/")] = pciids.DefaultPath

	marker, err := NewMarker()
	if err != nil {
		t.Fatal(err)
	}
	g := Guest{
		Modules: []string{"igb", "igbvf", "nvme", "netdevsim", "vfio_pci", "veth", "8021q"},
		Files:   files,
		Phases: []PhaseSpec{
			{Name: "setup", Command: setupCommand},
			{Name: "guest", Command: "guest.test -test.v -test.count=1 -test.timeout=5m"},
			{Name: "inventory-0vf", Command: "vfnet inventory -o json"},
			{Name: "inventory-2vf", Command: inventory2VFCommand},
			{Name: "kernel", Command: "kernel.test -test.v -test.count=1 -test.run '^TestLab' -test.timeout=9m"},
		},
	}
	initrd := filepath.Join(work, "initramfs.cpio.gz")
	if err := env.BuildInitramfs(ctx, g, marker, initrd); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(initrd)
	t.Logf("guest binaries and initramfs (%d MB) built in %v", st.Size()>>20, since(step))

	step = time.Now()
	consoleLog := filepath.Join(cache, "console.log")
	cf, err := os.Create(consoleLog)
	if err != nil {
		t.Fatal(err)
	}
	bctx, bcancel := context.WithTimeout(ctx, guestTimeout)
	text, bootErr := env.Boot(bctx, initrd, BootOptions{IGBMAC: sim.mac}, cf)
	bcancel()
	cf.Close()
	t.Logf("guest ran in %v (console: %s)", since(step), consoleLog)
	c := ParseConsole(marker, text)
	if bootErr != nil || !c.Done {
		t.Errorf("guest did not finish (%v; booted %v): console tail:\n%s", bootErr, c.Booted, tail(text, 60))
	}
	if !c.Booted {
		return
	}

	checkShellPhase(t, c, "setup")
	checkGoTestPhase(t, c, "guest")
	t.Run("inventory", func(t *testing.T) {
		checkInventory(t, c, "inventory-0vf", sim.zero)
		checkInventory(t, c, "inventory-2vf", sim.two)
	})
	checkGoTestPhase(t, c, "kernel")
	t.Logf("lab total %v", since(start))
}

// setupCommand creates the netdevsim device (1 port) and brings the PF
// netdevs up, as on a host in service: igb refuses VF rate limits while its
// link is down (EINVAL), and igbvf probes faster once the PF is out of reset.
const setupCommand = `set -e
echo "1 1" > /sys/bus/netdevsim/new_device
for n in /sys/bus/netdevsim/devices/netdevsim1/net/* /sys/bus/pci/drivers/igb/0000:*/net/*; do
	/usr/sbin/ip link set "${n##*/}" up
	i=0
	until [ "$(cat $n/operstate)" = up ] || [ "$(cat $n/operstate)" = unknown ]; do
		i=$((i+1))
		[ $i -le 100 ] || { echo "${n##*/}: link not up after 10s"; exit 1; }
		sleep 0.1
	done
done
/usr/sbin/ip -br link`

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// goBuild builds a static binary of the module for the guest.
// prepareLab is how every lab test starts: root, the cache ready (fetched
// on first use), and a QEMU that has igb; the context bounds the whole test.
func prepareLab(t *testing.T) (ctx context.Context, repo, cache string, env Env, start time.Time) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the real-kernel lab needs root (apt-get install of the kernel headers, the cache in " + DefaultCache + "): run go test as root, as scripts/test.sh and CI do")
	}
	ctx, cancel := context.WithTimeout(t.Context(), guestTimeout+8*time.Minute)
	t.Cleanup(cancel)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	cache = CacheDir()
	env, err = Prepare(ctx, repo, cache, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cache %s ready in %v: kernel %s (%s), QEMU %s, SeaBIOS %s", cache, since(start),
		env["KERNEL_RELEASE"], env["KERNEL_VERSION"], env["QEMU_VERSION"], env["SEABIOS_VERSION"])
	if err := env.CheckQEMU(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx, repo, cache, env, start
}

// buildGuestBinaries builds each named binary (go ARGS... -o work/NAME) and
// returns them as initramfs files under usr/bin.
func buildGuestBinaries(ctx context.Context, t *testing.T, repo, work string, bins map[string][]string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for name, args := range bins {
		out := filepath.Join(work, name)
		if err := goBuild(ctx, repo, out, args...); err != nil {
			t.Fatal(err)
		}
		files["usr/bin/"+name] = out
	}
	return files
}

func goBuild(ctx context.Context, repo, out string, args ...string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	full := append(append([]string{}, args[:1]...), "-o", out, "-trimpath", "-ldflags=-s -w")
	full = append(full, args[1:]...)
	cmd := exec.CommandContext(ctx, goBin, full...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(full, " "), err, b)
	}
	return nil
}

func phaseOf(t *testing.T, c *Console, name string) *Phase {
	t.Helper()
	p := c.Phase(name)
	if p == nil {
		t.Fatalf("guest phase %s never started: console outside phases (tail):\n%s", name, tail(strings.Join(c.Other, "\n"), 40))
	}
	if !p.Ended {
		t.Fatalf("guest phase %s never ended (guest died or timed out): its output (tail):\n%s\nkernel console (tail):\n%s",
			name, tail(strings.Join(p.Output, "\n"), 60), tail(strings.Join(c.Other, "\n"), 20))
	}
	return p
}

// checkShellPhase fails unless the phase exited 0.
func checkShellPhase(t *testing.T, c *Console, name string) {
	t.Run(name, func(t *testing.T) {
		p := phaseOf(t, c, name)
		if p.RC != 0 {
			t.Fatalf("guest phase %s exited %d:\n%s\nkernel messages:\n%s", name, p.RC,
				strings.Join(p.Output, "\n"), strings.Join(p.Kmsg, "\n"))
		}
	})
}

// checkGoTestPhase makes one subtest per test the guest binary ran.
func checkGoTestPhase(t *testing.T, c *Console, name string) {
	t.Run(name, func(t *testing.T) {
		p := phaseOf(t, c, name)
		tests, rest := ParseGoTest(p.Output)
		kmsg := tail(strings.Join(p.Kmsg, "\n"), 40)
		if len(tests) == 0 {
			t.Fatalf("guest phase %s ran no test (exit %d):\n%s\nkernel messages:\n%s", name, p.RC,
				strings.Join(p.Output, "\n"), kmsg)
		}
		failed := runTree(t, buildTree(tests), strings.Join(rest, "\n"), kmsg)
		if p.RC != 0 && !failed {
			t.Errorf("guest phase %s exited %d although no test failed:\n%s", name, p.RC, strings.Join(rest, "\n"))
		}
	})
}

type node struct {
	test     *GoTest
	short    string // name relative to the parent
	children []*node
}

// buildTree nests the guest's tests by their names (TestX/sub/case). A
// subtest's name may itself hold a slash (t.Run("numvfs/busy")), so a test's
// parent is the longest name before one of its slashes that ran.
func buildTree(tests []*GoTest) []*node {
	byName := map[string]*node{}
	var roots []*node
	for _, gt := range tests {
		n := &node{test: gt}
		byName[gt.Name] = n
		var parent *node
		for i := strings.LastIndex(gt.Name, "/"); i > 0 && parent == nil; i = strings.LastIndex(gt.Name[:i], "/") {
			if p, ok := byName[gt.Name[:i]]; ok {
				parent, n.short = p, gt.Name[i+1:]
			}
		}
		if parent == nil {
			n.short = gt.Name
			roots = append(roots, n)
		} else {
			parent.children = append(parent.children, n)
		}
	}
	return roots
}

// runTree mirrors the guest's tests as subtests and reports whether any
// failed.
func runTree(t *testing.T, nodes []*node, rest, kmsg string) bool {
	anyFailed := false
	for _, n := range nodes {
		gt := n.test
		ok := t.Run(n.short, func(t *testing.T) {
			out := strings.Join(gt.Output, "\n")
			switch gt.Result {
			case "PASS":
				t.Logf("guest: PASS (%s)", gt.Elapsed)
			case "SKIP":
				t.Skipf("guest skipped it:\n%s", out)
			case "FAIL":
				childFailed := runTree(t, n.children, rest, kmsg)
				if !childFailed {
					t.Errorf("guest: FAIL (%s):\n%s\nlast kernel messages of the phase:\n%s", gt.Elapsed, out, kmsg)
				} else if strings.TrimSpace(out) != "" {
					t.Logf("guest output:\n%s", out)
				}
				return
			default:
				t.Errorf("guest test never finished (panic, timeout or a dead guest):\n%s\n%s\nlast kernel messages of the phase:\n%s", out, rest, kmsg)
			}
			runTree(t, n.children, rest, kmsg)
		})
		anyFailed = anyFailed || !ok
	}
	return anyFailed
}

// testWriter sends lab/fetch.sh's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
