package lab

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConsole(t *testing.T) {
	const m = "VFNET-LAB-0123"
	text := strings.Join([]string{
		"SeaBIOS",
		m + " BOOT",
		m + " BEGIN one",
		"hello",
		"no newline" + m + " END one rc=3 uptime=4.5",
		m + " KMSG one",
		"[ 1.0] igb: loaded",
		m + " KMSG-END one",
		m + " BEGIN two",
		"VFNET-LAB-9999 END two rc=0", // another boot's marker is output
		"[ 9.9] reboot",
	}, "\r\n")
	c := ParseConsole(m, text)
	want := &Console{
		Booted: true,
		Phases: []*Phase{
			{Name: "one", Output: []string{"hello", "no newline"}, Ended: true, RC: 3, Uptime: "4.5", Kmsg: []string{"[ 1.0] igb: loaded"}},
			{Name: "two", Output: []string{"VFNET-LAB-9999 END two rc=0", "[ 9.9] reboot"}},
		},
		Other: []string{"SeaBIOS"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("ParseConsole(%q) (-want +got):\n%s", text, diff)
	}
}

func TestParseGoTest(t *testing.T) {
	out := []string{
		"=== RUN   TestA",
		"    a_test.go:1: log of A",
		"=== RUN   TestA/sub_case",
		"    a_test.go:2: boom",
		"--- FAIL: TestA (0.10s)",
		"    --- FAIL: TestA/sub_case (0.05s)",
		"=== RUN   TestB",
		"--- SKIP: TestB (0.00s)",
		"    b_test.go:3: no device",
		"=== RUN   TestC",
		"panic: oops",
		"goroutine 1",
		"FAIL",
	}
	tests, rest := ParseGoTest(out)
	want := []*GoTest{
		{Name: "TestA", Result: "FAIL", Elapsed: "0.10s", Output: []string{"    a_test.go:1: log of A"}},
		{Name: "TestA/sub_case", Result: "FAIL", Elapsed: "0.05s", Output: []string{"    a_test.go:2: boom"}},
		{Name: "TestB", Result: "SKIP", Elapsed: "0.00s", Output: []string{"    b_test.go:3: no device"}},
		{Name: "TestC"},
	}
	if diff := cmp.Diff(want, tests); diff != "" {
		t.Errorf("ParseGoTest tests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"panic: oops", "goroutine 1", "FAIL"}, rest); diff != "" {
		t.Errorf("ParseGoTest rest (-want +got):\n%s", diff)
	}
}

func TestBuildTree(t *testing.T) {
	tests := []*GoTest{{Name: "A"}, {Name: "A/x"}, {Name: "A/x/1"}, {Name: "B"}, {Name: "A/y"}, {Name: "A/y/numvfs/busy"}, {Name: "B/numvfs/busy"}}
	roots := buildTree(tests)
	var got []string
	var walk func(ns []*node, depth int)
	walk = func(ns []*node, depth int) {
		for _, n := range ns {
			got = append(got, strings.Repeat(" ", depth)+n.short)
			walk(n.children, depth+1)
		}
	}
	walk(roots, 0)
	want := []string{"A", " x", "  1", " y", "  numvfs/busy", "B", " numvfs/busy"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buildTree (-want +got):\n%s", diff)
	}
}

func TestFlattenDiff(t *testing.T) {
	sim := []byte(`{"hostname":"h","pfs":[{"pciaddr":"0000:3b:00.0","driver":"igb","sriov":{"numvfs":2,"vfs":[{"pciaddr":"0000:3b:10.0"}]}}],"numa_nodes":[]}`)
	guest := []byte(`{"hostname":"lab","pfs":[{"pciaddr":"0000:02:00.0","driver":"igbx","sriov":{"numvfs":2,"vfs":[{"pciaddr":"0000:02:10.0"}]}}],"numa_nodes":[{"id":0}]}`)
	w, err := Flatten(sim)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Flatten(guest)
	if err != nil {
		t.Fatal(err)
	}
	got := Diff(w, g, []string{"hostname"})
	want := []string{
		`numa_nodes.0.id: only in the guest: 0`,
		`numa_nodes: only in the simulator: []`,
		`pfs.0.driver: simulator "igb", guest "igbx"`,
		`pfs.0.pciaddr: simulator "0000:3b:00.0", guest "0000:02:00.0"`,
		`pfs.0.sriov.vfs.0.pciaddr: simulator "0000:3b:10.0", guest "0000:02:10.0"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}
