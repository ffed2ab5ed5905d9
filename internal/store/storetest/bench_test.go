package storetest

import (
	"context"
	"fmt"
	"testing"

	"vfnet/internal/inventory"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// bigReport is a host of four 64-VF ports, numvfs VFs on each.
func bigReport(numvfs int) inventory.Report {
	r := Inventory(numvfs)
	p := r.Ports[0]
	r.Ports = nil
	for i := range 4 {
		q := p
		q.Name = fmt.Sprintf("enp%ds0f0", 59+i)
		q.PCIAddr = fmt.Sprintf("0000:%02x:00.0", 0x3b+i)
		q.SRIOVVFsPCIAddress = nil
		for v := range numvfs {
			q.SRIOVVFsPCIAddress = append(q.SRIOVVFsPCIAddress, fmt.Sprintf("0000:%02x:%02x.%d", 0x3b+i, 2+v/8, v%8))
		}
		r.Ports = append(r.Ports, q)
	}
	return r
}

func benchStores(b *testing.B, fn func(b *testing.B, s *store.Store)) {
	for name, dsn := range map[string]DSN{"sqlite": SQLiteURL, "postgres": PostgresURL} {
		b.Run(name, func(b *testing.B) { fn(b, Open(b, dsn(b), store.Options{})) })
	}
}

// BenchmarkReportInventory: one agent report of a 4-port host; "same" is
// the common case (nothing changed), "changed" flips every port between
// 0 and 64 VFs.
func BenchmarkReportInventory(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		if _, err := s.RegisterHost(ctx, "compute-0", ""); err != nil {
			b.Fatal(err)
		}
		reports := []inventory.Report{bigReport(0), bigReport(64)}
		b.Run("same", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ReportInventory(ctx, "compute-0", reports[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("changed", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := s.ReportInventory(ctx, "compute-0", reports[i%2]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkModifyInterface: host-if-modify's transaction (read the host's
// configuration, check every rule, write) on a host of 4 ports.
func BenchmarkModifyInterface(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		if _, err := s.RegisterHost(ctx, "compute-0", ""); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReportInventory(ctx, "compute-0", bigReport(0)); err != nil {
			b.Fatal(err)
		}
		sriov := model.IfClassPCISRIOV
		i := 0
		for b.Loop() {
			i++
			n := 8 + i%2
			if _, err := s.ModifyInterface(ctx, "compute-0", "enp59s0f0", model.InterfacePatch{Class: &sriov, SRIOVNumVFs: &n}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAuthenticate: the token lookup in front of every request.
func BenchmarkAuthenticate(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		secret := store.NewTokenSecret()
		if _, err := s.CreateToken(ctx, secret, store.TokenSpec{Project: "p", Roles: []string{store.RoleReader}}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.Authenticate(ctx, secret); err != nil {
				b.Fatal(err)
			}
		}
	})
}
