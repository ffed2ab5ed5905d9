package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"vfnet/internal/model"
	"vfnet/internal/neutron"
)

// TestFreeRangesBuiltForOlderSubnets: a subnet from before migration 0175
// has no free ranges (free_ranges FALSE); the first release or allocation
// in it builds them from its allocations, and IPAM goes on giving the
// lowest free address. On SQLite, and on PostgreSQL when
// VFNET_TEST_POSTGRES is set.
func TestFreeRangesBuiltForOlderSubnets(t *testing.T) {
	dsns := map[string]string{"sqlite": filepath.Join(t.TempDir(), "ipam.db")}
	if os.Getenv("VFNET_TEST_POSTGRES") != "" {
		dsns["postgres"] = benchPostgres(t)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, dsn, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			admin := neutron.Caller{ProjectID: "admin", Admin: true}
			if _, err := s.CreateDataNetwork(ctx, model.DataNetwork{Name: "datanet-a", NetworkType: model.NetworkTypeVLAN, MTU: 1500}); err != nil {
				t.Fatal(err)
			}
			nr, err := neutron.DecodeNetworks([]byte(`{"network":{"provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}}`), neutron.Create)
			if err != nil {
				t.Fatal(err)
			}
			nets, err := s.CreateNetworks(ctx, admin, nr)
			if err != nil {
				t.Fatal(err)
			}
			sr, err := neutron.DecodeSubnets([]byte(`{"subnet":{"network_id":"`+nets[0].ID+`","ip_version":4,"cidr":"192.0.2.0/24"}}`), neutron.Create)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateSubnets(ctx, admin, sr); err != nil {
				t.Fatal(err)
			}
			create := func() neutron.Port {
				t.Helper()
				pr, err := neutron.DecodePorts([]byte(`{"port":{"network_id":"`+nets[0].ID+`"}}`), neutron.Create)
				if err != nil {
					t.Fatal(err)
				}
				ps, err := s.CreateNeutronPorts(ctx, admin, pr)
				if err != nil {
					t.Fatal(err)
				}
				return ps[0]
			}
			var ports []neutron.Port
			for range 5 {
				ports = append(ports, create()) // .2 to .6
			}
			older := func() {
				t.Helper()
				if err := s.write(ctx, func(t *tx) error {
					if _, err := t.exec(ctx, `DELETE FROM neutron_ip_free`); err != nil {
						return err
					}
					_, err := t.exec(ctx, `UPDATE neutron_subnets SET free_ranges = FALSE`)
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			older()
			if err := s.DeleteNeutronPort(ctx, admin, ports[1].ID, nil); err != nil { // .3
				t.Fatal(err)
			}
			if got := create().FixedIPs[0].IPAddress; got != "192.0.2.3" {
				t.Fatalf("after a release in an older subnet: got %s, want 192.0.2.3", got)
			}
			older()
			if got := create().FixedIPs[0].IPAddress; got != "192.0.2.7" {
				t.Fatalf("first allocation in an older subnet: got %s, want 192.0.2.7", got)
			}
			var n int
			if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM neutron_ip_free`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("free ranges after the rebuild: %d, %v; want 1 (192.0.2.8-192.0.2.254)", n, err)
			}
		})
	}
}
