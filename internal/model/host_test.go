package model

import (
	"errors"
	"strings"
	"testing"
)

func TestRequireLocked(t *testing.T) {
	tests := []struct {
		state AdminState
		want  error
	}{
		{AdminLocked, nil},
		{AdminUnlocked, ErrConflict},
		{"", ErrConflict},
	}
	for _, tt := range tests {
		h := lockedHost()
		h.Administrative = tt.state
		err := RequireLocked(h)
		checkErr(t, tt.state, err, tt.want)
		if err != nil && !strings.Contains(err.Error(), "Host compute-0 must be locked.") {
			t.Errorf("state %q: message %q does not say the host must be locked", tt.state, err)
		}
	}
}

func TestCheckLock(t *testing.T) {
	tests := []struct {
		name      string
		host      Host
		instances []string
		want      error
		wantIn    []string
	}{
		{"unlocked, nothing bound", unlockedHost(), nil, nil, nil},
		{"instances bound", unlockedHost(), []string{"vm-a", "vm-b"}, ErrConflict, []string{"instances vm-a, vm-b have", "vfnet instance migrate NAME", "delete"}},
		{"one instance bound", unlockedHost(), []string{"vm-a"}, ErrConflict, []string{"instance vm-a has", "vfnet instance migrate vm-a", "delete"}},
		{"already locked", lockedHost(), nil, ErrConflict, []string{"already locked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLock(tt.host, tt.instances)
			checkErr(t, tt.instances, err, tt.want)
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestCheckUnlock(t *testing.T) {
	reportVFs := func(c HostConfig, port string, n int, driver string) HostConfig {
		c.Ports = append([]Port{}, c.Ports...)
		for k := range c.Ports {
			if c.Ports[k].ID == port {
				c.Ports[k].SRIOVNumVFs = n
				c.Ports[k].SRIOVVFsPCIAddress = vfAddrs("3b", n)
				c.Ports[k].SRIOVVFDriver = driver
			}
		}
		return c
	}
	setIf := func(c HostConfig, id string, f func(*Interface)) HostConfig {
		c.Interfaces = append([]Interface{}, c.Interfaces...)
		for k := range c.Interfaces {
			if c.Interfaces[k].ID == id {
				f(&c.Interfaces[k])
			}
		}
		return c
	}
	vfio := func(i *Interface) { i.SRIOVVFDriver = VFDriverVFIO }
	noDriver := func(i *Interface) { i.SRIOVVFDriver = VFDriverNone }
	passthrough := Interface{ID: "i9", Name: "pt0", Type: IfTypeEthernet, Class: IfClassPCIPassthrough, PortID: "p1", MTU: 1500}
	vfioPool := vf("i5", "sriov0vf0", "sriov0", 2)
	vfioPool.SRIOVVFDriver = VFDriverVFIO
	netdevPool := vf("i5", "sriov0vf0", "sriov0", 2)
	netdevPool.SRIOVVFDriver = VFDriverNetdevice

	tests := []struct {
		name   string
		host   Host
		cfg    HostConfig
		force  bool
		want   error
		wantIn string
	}{
		{"converged", lockedHost(), fixture(), false, nil, ""},
		{"already unlocked", unlockedHost(), fixture(), false, ErrConflict, "already unlocked"},
		{"numvfs not applied", lockedHost(), reportVFs(fixture(), "p0", 0, ""), false, ErrConflict,
			"Expecting sriov_numvfs=8 on enp59s0f0 (interface sriov0), the host reports 0; wait for the agent and retry, or, if the agent cannot report, unlock with vfnet host-unlock --force compute-0."},
		{"numvfs not applied, forced", lockedHost(), reportVFs(fixture(), "p0", 0, ""), true, nil, ""},
		{"netdevice wanted, vfio-pci bound", lockedHost(), reportVFs(fixture(), "p0", 8, "vfio-pci"), false, ErrConflict, "the NIC's VF driver"},
		{"netdevice wanted, nothing bound", lockedHost(), reportVFs(fixture(), "p0", 8, ""), false, ErrConflict, "reports no driver"},
		{"netdevice wanted, mlx5_core bound", lockedHost(), reportVFs(fixture(), "p0", 8, "mlx5_core"), false, nil, ""},
		{"vfio wanted, iavf bound", lockedHost(), setIf(fixture(), "i0", vfio), false, ErrConflict, "vfio-pci"},
		{"vfio wanted, iavf bound, forced", lockedHost(), setIf(fixture(), "i0", vfio), true, nil, ""},
		{"vfio wanted and bound", lockedHost(), reportVFs(setIf(fixture(), "i0", vfio), "p0", 8, "vfio-pci"), false, nil, ""},
		{"no driver wanted: anything goes", lockedHost(), reportVFs(setIf(fixture(), "i0", noDriver), "p0", 8, ""), false, nil, ""},
		{"mixed drivers: count only", lockedHost(), with(fixture(), []Interface{vfioPool}), false, nil, ""},
		{"mixed drivers: count still checked", lockedHost(), reportVFs(with(fixture(), []Interface{vfioPool}), "p0", 4, "iavf"), false, ErrConflict, "sriov_numvfs=8"},
		{"one driver across pools is checked", lockedHost(), reportVFs(with(fixture(), []Interface{netdevPool}), "p0", 8, "vfio-pci"), false, ErrConflict, "the NIC's VF driver"},
		{"passthrough PF with VFs", lockedHost(), reportVFs(with(fixture(), []Interface{passthrough}), "p1", 4, "iavf"), false, ErrConflict, "Expecting sriov_numvfs=0 on enp59s0f1"},
		{"passthrough PF with VFs, forced", lockedHost(), reportVFs(with(fixture(), []Interface{passthrough}), "p1", 4, "iavf"), true, nil, ""},
		{"invalid configuration is never forced", lockedHost(), setIf(fixture(), "i0", func(i *Interface) { i.SRIOVNumVFs = 65 }), true, ErrConflict, "maximum of 64 VFs"},
		{"NIC gone", lockedHost(), func() HostConfig { c := fixture(); c.Ports = c.Ports[1:]; return c }(), true, ErrConflict, "port p0 is not a port of host compute-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUnlock(tt.host, tt.cfg, tt.force)
			checkErr(t, tt.name, err, tt.want)
			if tt.want == nil {
				return
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("%s: message %q lacks %q", tt.name, err, tt.wantIn)
			}
			// An invalid configuration keeps its own class under the conflict.
			inner := map[string]error{"invalid configuration is never forced": ErrInvalid, "NIC gone": ErrNotFound}[tt.name]
			if inner != nil && !errors.Is(err, inner) {
				t.Errorf("%s: got %v, want it to wrap class %v", tt.name, err, inner)
			}
		})
	}
}

func TestVFDriverMatches(t *testing.T) {
	tests := []struct {
		want     VFDriver
		reported string
		ok       bool
	}{
		{VFDriverNone, "", true},
		{VFDriverNone, "vfio-pci", true},
		{VFDriverVFIO, "vfio-pci", true},
		{VFDriverVFIO, "iavf", false},
		{VFDriverVFIO, "", false},
		{VFDriverNetdevice, "iavf", true},
		{VFDriverNetdevice, "ixgbevf", true},
		{VFDriverNetdevice, "igbvf", true},
		{VFDriverNetdevice, "mlx5_core", true},
		{VFDriverNetdevice, "vfio-pci", false},
		{VFDriverNetdevice, "igb_uio", false},
		{VFDriverNetdevice, "", false},
		{"bogus", "iavf", false},
	}
	for _, tt := range tests {
		if got := VFDriverMatches(tt.want, tt.reported); got != tt.ok {
			t.Errorf("VFDriverMatches(%q, %q) = %v, want %v", tt.want, tt.reported, got, tt.ok)
		}
	}
}

func TestKernelDriver(t *testing.T) {
	for d, want := range map[VFDriver]string{VFDriverVFIO: "vfio-pci", VFDriverNetdevice: "", VFDriverNone: ""} {
		if got := d.KernelDriver(); got != want {
			t.Errorf("%q.KernelDriver() = %q, want %q", d, got, want)
		}
	}
}
