package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vfnet/internal/pciids"
)

// TestLabWorkflow boots the guest with two igb PFs and runs the seed's
// workflow inside it (lab/workflow): vfnet server, agent on the real kernel
// and CLI on the guest's loopback. Nothing crosses the guest's boundary but
// its console, whose `go test -v` output becomes subtests here.
func TestLabWorkflow(t *testing.T) {
	ctx, repo, cache, env, start := prepareLab(t)

	step := time.Now()
	work := t.TempDir()
	files := buildGuestBinaries(ctx, t, repo, work, map[string][]string{
		"workflow.test": {"test", "-c", "-tags", "lab", "./lab/workflow"},
		"vfnet":         {"build", "./cmd/vfnet"},
	})
	files[strings.TrimPrefix(pciids.DefaultPath, "/")] = pciids.DefaultPath
	marker, err := NewMarker()
	if err != nil {
		t.Fatal(err)
	}
	g := Guest{
		Modules: []string{"igb", "igbvf", "vfio_pci", "8021q"},
		Files:   files,
		Phases: []PhaseSpec{
			{Name: "workflow", Command: "cd /tmp && workflow.test -test.v -test.count=1 -test.timeout=10m"},
		},
	}
	initrd := filepath.Join(work, "initramfs.cpio.gz")
	if err := env.BuildInitramfs(ctx, g, marker, initrd); err != nil {
		t.Fatal(err)
	}
	t.Logf("guest binaries and initramfs built in %v", since(step))

	step = time.Now()
	consoleLog := filepath.Join(cache, "console-workflow.log")
	cf, err := os.Create(consoleLog)
	if err != nil {
		t.Fatal(err)
	}
	bctx, bcancel := context.WithTimeout(ctx, guestTimeout)
	text, bootErr := env.Boot(bctx, initrd, BootOptions{SecondIGB: true}, cf)
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
	checkGoTestPhase(t, c, "workflow")
	if p := c.Phase("workflow"); p != nil {
		logEvidence(t, p.Output)
	}
	t.Logf("FIGURE lab workflow total %v (cache check, builds, boot, workflow, power off)", since(start))
}

// logEvidence logs what the guest printed that the suite's output must show
// even when everything passes (the harness shows a passing guest test's
// output only on failure): the real kernel's view of the VFs ("REAL
// KERNEL") and the measured figures ("FIGURE"), each with its continuation
// lines.
func logEvidence(t *testing.T, out []string) {
	for i := 0; i < len(out); i++ {
		if !strings.Contains(out[i], "REAL KERNEL") && !strings.Contains(out[i], "FIGURE") {
			continue
		}
		block := []string{strings.TrimSpace(out[i])}
		for i+1 < len(out) && strings.HasPrefix(out[i+1], "        ") {
			i++
			block = append(block, strings.TrimSpace(out[i]))
		}
		t.Log("guest: " + strings.Join(block, "\n"))
	}
}
