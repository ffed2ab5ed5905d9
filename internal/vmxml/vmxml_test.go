package vmxml

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.xml from the current output")

func TestFragmentGolden(t *testing.T) {
	tests := []struct {
		name string
		nic  NIC
	}{
		{"direct-vlan", NIC{VNICType: "direct", MAC: "fa:16:3e:c9:cb:f0", PCIAddr: "0000:3b:02.3", VLAN: 10}},
		{"direct-flat", NIC{VNICType: "direct", MAC: "FA:16:3E:00:00:01", PCIAddr: "0000:3b:0a.7", VLAN: 0}},
		{"direct-vmd-domain", NIC{VNICType: "direct", MAC: "fa:16:3e:12:34:56", PCIAddr: "10000:01:10.1", VLAN: 4094}},
		{"direct-physical", NIC{VNICType: "direct-physical", MAC: "3c:fd:fe:aa:bb:cc", PCIAddr: "0000:5e:00.1", VLAN: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fragment(tt.nic)
			if err != nil {
				t.Fatalf("Fragment(%+v): %v", tt.nic, err)
			}
			golden := filepath.Join("testdata", tt.name+".golden.xml")
			if *update {
				if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read %s (run go test ./internal/vmxml -update to create it): %v", golden, err)
			}
			if got+"\n" != string(want) {
				t.Errorf("Fragment(%+v):\ngot\n%s\nwant (%s)\n%s", tt.nic, got, golden, want)
			}
			validate(t, tt.name, got)
		})
	}
}

// validate wraps the fragment into the smallest domain document libvirt's
// schema accepts and runs the real virt-xml-validate on it: the tool checks
// whole documents of a known root, not loose <interface> elements.
func validate(t *testing.T, name, fragment string) {
	t.Helper()
	tool := validator(t)
	doc := `<domain type='kvm'>
  <name>vfnet-test</name>
  <memory unit='MiB'>512</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
` + fragment + `
  </devices>
</domain>
`
	path := filepath.Join(t.TempDir(), name+".xml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, path, "domain").CombinedOutput()
	if err != nil {
		t.Errorf("virt-xml-validate %s domain: %v\n%s\ndocument:\n%s", path, err, out, doc)
	}
}

// validator returns the path of virt-xml-validate, failing the test when it
// or the xmllint it runs is missing: CI installs both through scripts/deps.sh.
func validator(t *testing.T) string {
	t.Helper()
	tool, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		t.Fatalf("virt-xml-validate is missing (Debian package libvirt-clients): run scripts/deps.sh: %v", err)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint, which virt-xml-validate runs, is missing (Debian package libxml2-utils): run scripts/deps.sh: %v", err)
	}
	return tool
}

// TestValidatorRejects proves the validation above can fail: a hostdev
// interface whose PCI function is out of range must not pass.
func TestValidatorRejects(t *testing.T) {
	tool := validator(t)
	bad := `<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os><devices>
<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x9'/></source></interface>
</devices></domain>`
	path := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, path, "domain").CombinedOutput(); err == nil {
		t.Errorf("virt-xml-validate accepted function 0x9:\n%s", out)
	}
}

func TestFragmentRefuses(t *testing.T) {
	tests := []struct {
		name string
		nic  NIC
		want string // a word the message must carry to name the fault
	}{
		{"normal vnic", NIC{VNICType: "normal", MAC: "fa:16:3e:00:00:01", PCIAddr: "0000:3b:02.3"}, "vnic_type"},
		{"bad address", NIC{VNICType: "direct", MAC: "fa:16:3e:00:00:01", PCIAddr: "3b:02.3"}, "PCI address"},
		{"bad MAC", NIC{VNICType: "direct", MAC: "fa:16:3e:00:01", PCIAddr: "0000:3b:02.3"}, "MAC"},
		{"long MAC", NIC{VNICType: "direct", MAC: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", PCIAddr: "0000:3b:02.3"}, "MAC"},
		{"VLAN too big", NIC{VNICType: "direct", MAC: "fa:16:3e:00:00:01", PCIAddr: "0000:3b:02.3", VLAN: 4095}, "VLAN"},
		{"VLAN negative", NIC{VNICType: "direct", MAC: "fa:16:3e:00:00:01", PCIAddr: "0000:3b:02.3", VLAN: -1}, "VLAN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fragment(tt.nic)
			if err == nil {
				t.Fatalf("Fragment(%+v) = %q, want an error naming %s", tt.nic, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fragment(%+v) error %q does not name %s", tt.nic, err, tt.want)
			}
		})
	}
}
