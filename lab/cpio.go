// Package lab boots Debian's kernel under QEMU with real SR-IOV devices (an
// emulated Intel 82576 driven by igb/igbvf, QEMU's nvme SR-IOV PF and
// netdevsim) and runs vfnet's Linux code against it. lab/fetch.sh fills the
// cache; this package assembles the initramfs, boots the guest and reads its
// console. See lab/README.md.
package lab

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Initramfs is the guest's root file system as a set of files, written out
// as a gzip-compressed cpio "newc" archive, the format the kernel unpacks.
type Initramfs struct {
	entries map[string]entry
}

type entry struct {
	mode    uint32 // file type and permission bits, as in stat(2)
	data    []byte // contents of a regular file
	src     string // host file to copy when data is nil
	symlink string
}

const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
)

// NewInitramfs returns an empty root file system.
func NewInitramfs() *Initramfs {
	return &Initramfs{entries: map[string]entry{}}
}

// AddFile adds a regular file with the given contents; parent directories are
// created.
func (r *Initramfs) AddFile(name string, perm uint32, data []byte) {
	r.parents(name)
	r.entries[clean(name)] = entry{mode: modeRegular | perm, data: data}
}

// AddHostFile adds a copy of the host file src at name, keeping its
// permission bits; symbolic links are followed.
func (r *Initramfs) AddHostFile(name, src string) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("initramfs: add %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("initramfs: add %s: %s is not a regular file", name, src)
	}
	r.parents(name)
	r.entries[clean(name)] = entry{mode: modeRegular | uint32(st.Mode().Perm()), src: src}
	return nil
}

// AddSymlink adds a symbolic link name -> target.
func (r *Initramfs) AddSymlink(name, target string) {
	r.parents(name)
	r.entries[clean(name)] = entry{mode: modeSymlink | 0o777, symlink: target}
}

// AddDir adds an empty directory.
func (r *Initramfs) AddDir(name string) {
	r.parents(name)
	r.entries[clean(name)] = entry{mode: modeDir | 0o755}
}

func (r *Initramfs) parents(name string) {
	for d := path.Dir(clean(name)); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if _, ok := r.entries[d]; !ok {
			r.entries[d] = entry{mode: modeDir | 0o755}
		}
	}
}

func clean(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// WriteTo writes the archive, gzip-compressed, to w. Directories come before
// their contents because the kernel creates entries in archive order.
func (r *Initramfs) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	// BestSpeed: the archive holds ~50 MB of Go binaries; the kernel's
	// unpacking time barely depends on the level, the host's does.
	zw, err := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		return cw.n, err
	}
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	sort.Strings(names) // "a" sorts before "a/b"
	ino := uint32(1)
	for _, n := range names {
		e := r.entries[n]
		var data []byte
		switch {
		case e.mode&0o170000 == modeSymlink:
			data = []byte(e.symlink)
		case e.data != nil:
			data = e.data
		case e.src != "":
			data, err = os.ReadFile(e.src)
			if err != nil {
				return cw.n, fmt.Errorf("initramfs: read %s for %s: %w", e.src, n, err)
			}
		}
		if err := writeCPIO(zw, ino, n, e.mode, data); err != nil {
			return cw.n, err
		}
		ino++
	}
	if err := writeCPIO(zw, 0, "TRAILER!!!", 0, nil); err != nil {
		return cw.n, err
	}
	if err := zw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// writeCPIO writes one newc record: a 110-byte ASCII header, the
// NUL-terminated name and the data, each padded to 4 bytes.
func writeCPIO(w io.Writer, ino uint32, name string, mode uint32, data []byte) error {
	nlink := 1
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+8)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("initramfs: write %s: %w", name, err)
	}
	if len(data) == 0 {
		return nil
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("initramfs: write %s: %w", name, err)
	}
	if p := (4 - len(data)%4) % 4; p > 0 {
		if _, err := w.Write(make([]byte, p)); err != nil {
			return fmt.Errorf("initramfs: write %s: %w", name, err)
		}
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
