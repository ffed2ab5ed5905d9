package sim

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"vfnet/internal/kernel"
)

// Files of a simulated host's directory besides sys/.
const (
	stateFile = "sim.json"
	lockFile  = "sim.lock"
)

// state is what sysfs cannot show: the model behind each PF, the rtnetlink
// view of its VFs, the drivers' ID tables, faults to inject and write
// counters. Everything sysfs shows (numvfs, drivers, overrides, links) lives
// in the tree itself.
type state struct {
	Hostname  string              `json:"hostname"`
	NUMANodes []kernel.NUMANode   `json:"numa_nodes"`
	PFs       map[string]*pfState `json:"pfs"` // by PCI address
	// Drivers maps each loaded driver to the vendor:device IDs it claims
	// (its id_table); a driver with none binds only through driver_override.
	Drivers map[string][]string `json:"drivers"`
	Faults  []Fault             `json:"faults,omitempty"`
	Writes  map[Op]int          `json:"writes,omitempty"`
}

type pfState struct {
	Model    Model  `json:"model"`
	Port     int    `json:"port"`
	Ifname   string `json:"ifname,omitempty"` // the netdev the PF driver registers
	MAC      string `json:"mac,omitempty"`    // its permanent address
	NUMANode int    `json:"numa_node"`
	Netdev   int    `json:"netdev_parent_index,omitempty"`
	// VFs is the PF driver's per-VF configuration, one per enabled VF.
	VFs []kernel.VFInfo `json:"vfs,omitempty"`
	// Kept is the configuration of VFs that were disabled, for drivers that
	// keep it (Model.SRIOV.KeepVFSettings).
	Kept []kernel.VFInfo `json:"kept,omitempty"`
}

// locked runs f with the host's lock held (exclusive when write) and the
// state loaded; a write's state is saved when f returns, even with an error,
// because the kernel keeps what it did before it failed.
func (k *Kernel) locked(write bool, f func(st *state) error) error {
	lf, err := os.OpenFile(filepath.Join(k.dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open simulated host lock: %w", err)
	}
	defer lf.Close()
	how := unix.LOCK_SH
	if write {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(lf.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock simulated host %s: %w", k.dir, err)
	}
	defer unix.Flock(int(lf.Fd()), unix.LOCK_UN)

	st, err := loadState(k.dir)
	if err != nil {
		return err
	}
	ferr := f(st)
	if write {
		if err := saveState(k.dir, st); err != nil {
			return errors.Join(ferr, err)
		}
	}
	return ferr
}

func loadState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("read simulated host state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("parse simulated host state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if st.Writes == nil {
		st.Writes = map[Op]int{}
	}
	return st, nil
}

// saveState replaces the state file atomically so that a reader never sees
// half of it.
func saveState(dir string, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode simulated host state: %w", err)
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write simulated host state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write simulated host state: %w", err)
	}
	return nil
}

// macFor derives a stable, unicast address under prefix from the host and
// the device, so that two runs build the same host.
func macFor(prefix, host, dev string) string {
	h := sha256.Sum256([]byte(host + "/" + dev))
	return fmt.Sprintf("%s:%02x:%02x:%02x", prefix, h[0], h[1], h[2])
}

// vfMACFor is the address a VF driver picks when none was administered;
// real drivers pick a random locally administered one.
func vfMACFor(host, vf string) string {
	h := sha256.Sum256([]byte(host + "/vf/" + vf))
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", h[0]&0xfe|0x02, h[1], h[2], h[3], h[4], h[5])
}
