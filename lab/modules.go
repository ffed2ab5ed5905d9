package lab

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// ModuleIndex maps a kernel module's name (dashes as underscores, as the
// kernel spells it) to its .ko file.
type ModuleIndex map[string]string

// IndexModules walks an unpacked /lib/modules/<release> tree.
func IndexModules(dir string) (ModuleIndex, error) {
	idx := ModuleIndex{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ko") {
			idx[modName(filepath.Base(p))] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index kernel modules in %s: %w", dir, err)
	}
	return idx, nil
}

func modName(file string) string {
	return strings.ReplaceAll(strings.TrimSuffix(file, ".ko"), "-", "_")
}

// ModInfo reads one key of a module's .modinfo section ("depends",
// "vermagic"), as modinfo -F does, without needing kmod on the host.
func ModInfo(ko, key string) (string, error) {
	f, err := elf.Open(ko)
	if err != nil {
		return "", fmt.Errorf("modinfo %s: %w", ko, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return "", fmt.Errorf("modinfo %s: no .modinfo section", ko)
	}
	data, err := sec.Data()
	if err != nil {
		return "", fmt.Errorf("modinfo %s: %w", ko, err)
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k == key {
			return v, nil
		}
	}
	return "", nil
}

// LoadOrder returns the .ko files to insmod, dependencies first, so that
// every module in want loads. A dependency missing from the index is an
// error naming the module that needs it.
func (idx ModuleIndex) LoadOrder(want []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		name = strings.ReplaceAll(name, "-", "_")
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("kernel module %s: dependency cycle through %s", name, from)
		}
		ko, ok := idx[name]
		if !ok {
			if from == "" {
				return fmt.Errorf("kernel module %s is not in the unpacked kernel", name)
			}
			return fmt.Errorf("kernel module %s (needed by %s) is not in the unpacked kernel", name, from)
		}
		state[name] = 1
		deps, err := ModInfo(ko, "depends")
		if err != nil {
			return err
		}
		for _, d := range strings.Split(deps, ",") {
			if d = strings.TrimSpace(d); d != "" {
				if err := visit(d, name); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		order = append(order, ko)
		return nil
	}
	for _, w := range want {
		if err := visit(w, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}
