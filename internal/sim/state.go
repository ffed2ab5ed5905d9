package sim

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"vfnet/internal/kernel"
)

// Files of a simulated host's directory besides sys/. The state is split by
// how often it changes, so that the agent's most frequent write (one VF's
// rtnetlink settings) rewrites one small record in place instead of the
// whole host:
//
//   - sim.json: what changes rarely (models, drivers, faults, kept VF
//     settings), replaced by rename when it changes;
//   - sim.vfs/<PF>: the PF driver's per-VF settings, one fixed-size record
//     per VF, replaced by rename when the VF count changes and overwritten
//     in place, one record, by SetVF;
//   - sim.lock: the flock every operation takes, and a header record: the
//     write counters and the generation of the two above, which a process
//     compares with the one it cached to skip re-reading them.
//
// Every reader holds the lock shared and every writer exclusively, so an
// in-place overwrite is never seen half done; renames keep a writer killed
// mid-write from leaving a torn file. Nothing is fsynced: a simulated host
// need not survive a power loss.
const (
	stateFile = "sim.json"
	lockFile  = "sim.lock"
	vfsDir    = "sim.vfs"
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
	// Writes lives in the lock file's header; a sim.json written before the
	// split holds it here and is read once.
	Writes       map[Op]int `json:"-"`
	LegacyWrites map[Op]int `json:"writes,omitempty"`

	// What an operation changed, for save: sim.json, whole VF files, single
	// VF records.
	dirty     bool
	dirtyPF   map[string]bool
	dirtyVF   map[string]map[int]bool
	generated bool // sim.json or a VF file changed: the generation moves on
}

type pfState struct {
	Model    Model  `json:"model"`
	Port     int    `json:"port"`
	Ifname   string `json:"ifname,omitempty"` // the netdev the PF driver registers
	MAC      string `json:"mac,omitempty"`    // its permanent address
	NUMANode int    `json:"numa_node"`
	Netdev   int    `json:"netdev_parent_index,omitempty"`
	// VFs is the PF driver's per-VF configuration, one per enabled VF, kept
	// in sim.vfs/<PF>; LegacyVFs is where a sim.json from before the split
	// held it.
	VFs       []kernel.VFInfo `json:"-"`
	LegacyVFs []kernel.VFInfo `json:"vfs,omitempty"`
	// Kept is the configuration of VFs that were disabled, for drivers that
	// keep it (Model.SRIOV.KeepVFSettings).
	Kept []kernel.VFInfo `json:"kept,omitempty"`
}

func (st *state) changed() { st.dirty, st.generated = true, true }

// setVFs replaces a PF's VF list: its file is rewritten.
func (st *state) setVFs(pf string, vfs []kernel.VFInfo) {
	st.PFs[pf].VFs = vfs
	if st.dirtyPF == nil {
		st.dirtyPF = map[string]bool{}
	}
	st.dirtyPF[pf], st.generated = true, true
}

// vfChanged marks one VF record of pf for an in-place overwrite.
func (st *state) vfChanged(pf string, vf int) {
	if st.dirtyVF == nil {
		st.dirtyVF = map[string]map[int]bool{}
	}
	if st.dirtyVF[pf] == nil {
		st.dirtyVF[pf] = map[int]bool{}
	}
	st.dirtyVF[pf][vf], st.generated = true, true
}

func (st *state) clean() {
	st.dirty, st.generated, st.dirtyPF, st.dirtyVF = false, false, nil, nil
}

// header is the lock file's content: one record of headerSize bytes,
// overwritten in place under the exclusive lock.
type header struct {
	// Gen names the content of sim.json and sim.vfs: random, so that a
	// recreated host never repeats a generation a process has cached.
	Gen    string     `json:"gen"`
	Writes map[Op]int `json:"writes"`
}

const headerSize = 1024

// locked runs f with the host's lock held (exclusive when write) and the
// state loaded; a write's state is saved when f returns, even with an error,
// because the kernel keeps what it did before it failed.
func (k *Kernel) locked(write bool, f func(st *state) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lock == nil {
		lf, err := os.OpenFile(filepath.Join(k.dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open simulated host lock: %w", err)
		}
		k.lock = lf
	}
	fd := int(k.lock.Fd())
	how := unix.LOCK_SH
	if write {
		how = unix.LOCK_EX
	}
	var err error
	for {
		err = unix.Flock(fd, how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock simulated host %s: %w", k.dir, err)
	}
	defer unix.Flock(fd, unix.LOCK_UN)

	h, err := readHeader(k.lock)
	if err != nil {
		return err
	}
	if k.cache == nil || h.Gen == "" || h.Gen != k.gen {
		st, err := loadState(k.dir)
		if err != nil {
			k.cache = nil
			return err
		}
		k.cache, k.gen = st, h.Gen
	}
	st := k.cache
	st.Writes = h.Writes
	if len(st.LegacyWrites) > 0 && h.Gen == "" {
		st.Writes = st.LegacyWrites
	}
	if st.Writes == nil {
		st.Writes = map[Op]int{}
	}
	st.clean()
	ferr := f(st)
	if !write {
		return ferr
	}
	if err := k.save(st); err != nil {
		// What is on disk is unknown: read it all again next time.
		k.cache = nil
		return errors.Join(ferr, err)
	}
	return ferr
}

// save writes what the operation changed: the header first, so that a
// writer killed after it leaves other processes re-reading, never trusting
// a stale cache.
func (k *Kernel) save(st *state) error {
	h := header{Gen: k.gen, Writes: st.Writes}
	legacy := k.gen == ""
	if st.generated || legacy {
		h.Gen = newGen()
	}
	if err := writeHeader(k.lock, h); err != nil {
		return err
	}
	k.gen = h.Gen
	if legacy {
		// A host from before the split: write every part in the new layout.
		st.LegacyWrites = nil
		st.dirty = true
		for addr, ps := range st.PFs {
			ps.LegacyVFs = nil
			st.setVFs(addr, ps.VFs)
		}
	}
	if st.dirty {
		if err := saveState(k.dir, st); err != nil {
			return err
		}
	}
	for pf := range st.dirtyPF {
		if err := saveVFs(k.dir, pf, st.PFs[pf].VFs); err != nil {
			return err
		}
	}
	for pf, vfs := range st.dirtyVF {
		if st.dirtyPF[pf] {
			continue
		}
		if err := saveVFRecords(k.dir, pf, st.PFs[pf].VFs, vfs); err != nil {
			return err
		}
	}
	st.clean()
	return nil
}

func newGen() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createState writes a new host's state: the header and VF files first,
// sim.json, whose presence means a host is there, last.
func createState(dir string, st *state) error {
	for addr, ps := range st.PFs {
		if err := saveVFs(dir, addr, ps.VFs); err != nil {
			return err
		}
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("create simulated host lock: %w", err)
	}
	defer lf.Close()
	if err := writeHeader(lf, header{Gen: newGen(), Writes: st.Writes}); err != nil {
		return err
	}
	return saveState(dir, st)
}

// readHeader reads the lock file's header; an empty file (a new host, or one
// from before the header existed) has generation "".
func readHeader(f *os.File) (header, error) {
	buf := make([]byte, headerSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return header{}, fmt.Errorf("read simulated host header %s: %w", f.Name(), err)
	}
	h := header{}
	if b := bytes.TrimSpace(buf[:n]); len(b) > 0 {
		if err := json.Unmarshal(b, &h); err != nil {
			return header{}, fmt.Errorf("parse simulated host header %s: %w", f.Name(), err)
		}
	}
	return h, nil
}

func writeHeader(f *os.File, h header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode simulated host header: %w", err)
	}
	if len(b) >= headerSize {
		return fmt.Errorf("write simulated host header %s: %d bytes, more than the %d of its record", f.Name(), len(b), headerSize-1)
	}
	rec := pad(b, headerSize)
	if _, err := f.WriteAt(rec, 0); err != nil {
		return fmt.Errorf("write simulated host header %s: %w", f.Name(), err)
	}
	return nil
}

// pad fills b with spaces to size-1 bytes and a newline: JSON allows the
// spaces, and a fixed size lets a record be overwritten in place.
func pad(b []byte, size int) []byte {
	rec := make([]byte, size)
	n := copy(rec, b)
	for i := n; i < size-1; i++ {
		rec[i] = ' '
	}
	rec[size-1] = '\n'
	return rec
}

func loadState(dir string) (*state, error) {
	name := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read simulated host state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("parse simulated host state %s: %w", name, err)
	}
	for addr, ps := range st.PFs {
		vfs, err := loadVFs(dir, addr)
		if errors.Is(err, fs.ErrNotExist) {
			ps.VFs = ps.LegacyVFs
			continue
		}
		if err != nil {
			return nil, err
		}
		ps.VFs = vfs
	}
	return st, nil
}

// saveState replaces the state file atomically so that a writer that dies
// mid-write leaves the previous one.
func saveState(dir string, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode simulated host state: %w", err)
	}
	return replace(filepath.Join(dir, stateFile), append(b, '\n'))
}

func replace(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write simulated host state: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("write simulated host state: %w", err)
	}
	return nil
}

// vfRecord is one VF's settings in sim.vfs/<PF>. Stats are not kept: no
// traffic crosses a simulated VF, so they read zero.
type vfRecord struct {
	VF        int              `json:"vf"`
	MAC       string           `json:"mac"`
	VLAN      int              `json:"vlan"`
	QoS       int              `json:"qos"`
	Proto     int              `json:"vlan_proto"`
	SpoofChk  bool             `json:"spoofchk"`
	Trust     bool             `json:"trust"`
	LinkState kernel.LinkState `json:"link_state"`
	MinTxRate int              `json:"min_tx_rate"`
	MaxTxRate int              `json:"max_tx_rate"`
}

// vfRecordSize fits the longest record: 19-digit rates and every field at
// its widest are about 200 bytes.
const vfRecordSize = 256

func vfFile(dir, pf string) string { return filepath.Join(dir, vfsDir, pf) }

func encodeVF(pf string, v kernel.VFInfo) ([]byte, error) {
	b, err := json.Marshal(vfRecord{VF: v.VF, MAC: v.MAC, VLAN: v.VLAN, QoS: v.QoS, Proto: v.Proto, SpoofChk: v.SpoofChk,
		Trust: v.Trust, LinkState: v.LinkState, MinTxRate: v.MinTxRate, MaxTxRate: v.MaxTxRate})
	if err != nil {
		return nil, fmt.Errorf("encode VF %d of %s: %w", v.VF, pf, err)
	}
	if len(b) >= vfRecordSize {
		return nil, fmt.Errorf("encode VF %d of %s: %d bytes, more than the %d of its record", v.VF, pf, len(b), vfRecordSize-1)
	}
	return pad(b, vfRecordSize), nil
}

func loadVFs(dir, pf string) ([]kernel.VFInfo, error) {
	name := vfFile(dir, pf)
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(b)%vfRecordSize != 0 {
		return nil, fmt.Errorf("parse VF settings %s: %d bytes is not a whole number of %d-byte records", name, len(b), vfRecordSize)
	}
	vfs := make([]kernel.VFInfo, 0, len(b)/vfRecordSize)
	for off := 0; off < len(b); off += vfRecordSize {
		var r vfRecord
		if err := json.Unmarshal(b[off:off+vfRecordSize], &r); err != nil {
			return nil, fmt.Errorf("parse VF settings %s record %d: %w", name, off/vfRecordSize, err)
		}
		vfs = append(vfs, kernel.VFInfo{VF: r.VF, MAC: r.MAC, VLAN: r.VLAN, QoS: r.QoS, Proto: r.Proto, SpoofChk: r.SpoofChk,
			Trust: r.Trust, LinkState: r.LinkState, MinTxRate: r.MinTxRate, MaxTxRate: r.MaxTxRate})
	}
	return vfs, nil
}

// saveVFs replaces a PF's whole VF file.
func saveVFs(dir, pf string, vfs []kernel.VFInfo) error {
	if err := os.MkdirAll(filepath.Join(dir, vfsDir), 0o755); err != nil {
		return fmt.Errorf("write VF settings of %s: %w", pf, err)
	}
	b := make([]byte, 0, len(vfs)*vfRecordSize)
	for _, v := range vfs {
		rec, err := encodeVF(pf, v)
		if err != nil {
			return err
		}
		b = append(b, rec...)
	}
	return replace(vfFile(dir, pf), b)
}

// saveVFRecords overwrites the records of the VFs in which, in place.
func saveVFRecords(dir, pf string, vfs []kernel.VFInfo, which map[int]bool) error {
	f, err := os.OpenFile(vfFile(dir, pf), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write VF settings of %s: %w", pf, err)
	}
	defer f.Close()
	for i := range which {
		rec, err := encodeVF(pf, vfs[i])
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(rec, int64(i)*vfRecordSize); err != nil {
			return fmt.Errorf("write VF %d settings of %s: %w", i, pf, err)
		}
	}
	return f.Close()
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
