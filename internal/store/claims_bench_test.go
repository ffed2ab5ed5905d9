package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vfnet/internal/neutron"
)

// BenchmarkClaim measures the claim transaction (claim: a host from the
// partial index of free VFs, sched.Place on its devices, the claim row,
// the port's binding, the host's revision) on synthetic fleets of 1,000 and
// 10,000 hosts with 64 VFs each (two PFs of 32, NUMA nodes 0 and 1), seeded
// directly. Each op binds a port with no host given (vfnet chooses), as an
// instance create does; the port bound `ports` ops earlier is released and
// its VF freed first (outside the measured latency), so the fleet stays
// nearly as free as it starts. binds/s is 1 s over the mean claim latency;
// p50 and p99 are of the claim transactions.
//
//	go test ./internal/store -run '^$' -bench BenchmarkClaim -benchtime 5000x
func BenchmarkClaim(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, hosts := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/hosts=%d", dialect, hosts), func(b *testing.B) {
				benchClaims(b, dialect, hosts)
			})
		}
	}
}

func benchClaims(b *testing.B, dialect string, hosts int) {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if dialect == "postgres" {
		dsn = benchPostgres(b)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s, err := Open(ctx, dsn, Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const ports = 2048
	portIDs := seedFleet(b, s, hosts, ports, now)

	lat := make([]time.Duration, 0, b.N)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := portIDs[i%ports]
		if i >= ports {
			if err := s.write(ctx, func(t *tx) error {
				if _, _, err := release(ctx, t, id, ""); err != nil {
					return err
				}
				// The agent's report that the VF is reset.
				_, err := t.exec(ctx, `UPDATE sched_devices SET claimed = FALSE WHERE (host_id, pciaddr) IN
					(SELECT host_id, pciaddr FROM vf_claims WHERE state = ?)`, ClaimReleasing)
				if err != nil {
					return err
				}
				_, err = t.exec(ctx, `DELETE FROM vf_claims WHERE state = ?`, ClaimReleasing)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		err := s.neutronWrite(ctx, func(t *tx) error {
			cp, err := readClaimPort(ctx, t, id)
			if err != nil {
				return err
			}
			_, err = claim(ctx, t, claimRequest{ports: []claimPort{cp}})
			return err
		})
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
		total += d
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "binds/s")
	b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}

// seedFleet writes hosts x 64 VFs on datanet-a straight into the tables
// (unlocked, enabled hosts whose agents reported at now), a VLAN network
// and nports direct ports, and returns the ports' ids.
func seedFleet(b *testing.B, s *Store, hosts, nports int, now time.Time) []string {
	ctx := context.Background()
	ts := nanos(now)
	err := s.write(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `INSERT INTO datanetworks (id, name, type, mtu, description, segment_ranges, created_at, updated_at)
			VALUES ('dn-a', 'datanet-a', 'vlan', 1500, '', '[]', ?, ?)`, ts, ts); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `INSERT INTO neutron_networks (id, project_id, name, description, admin_state_up, status, shared, external,
			mtu, port_security_enabled, network_type, physical_network, segmentation_id, revision_number, created_at, updated_at)
			VALUES ('net-10', 'admin', 'net10', '', TRUE, 'ACTIVE', FALSE, FALSE, 1500, TRUE, 'vlan', 'datanet-a', 10, 1, ?, ?)`, ts, ts); err != nil {
			return err
		}
		var hostRows, devRows []string
		var hostArgs, devArgs []any
		flush := func(force bool) error {
			// Hosts go first: devices reference them.
			if len(hostRows) > 0 && (force || len(hostRows) >= 200 || len(devRows) >= 500) {
				if _, err := t.exec(ctx, `INSERT INTO hosts (id, name, personality, administrative, operational, numa_nodes, last_report,
					revision, applied, config_revision, created_at, updated_at) VALUES `+strings.Join(hostRows, ","), hostArgs...); err != nil {
					return err
				}
				hostRows, hostArgs = hostRows[:0], hostArgs[:0]
			}
			if len(devRows) > 0 && (force || len(devRows) >= 500) {
				if _, err := t.exec(ctx, `INSERT INTO sched_devices (host_id, pciaddr, physnet, class, ifname, pf_pciaddr, vf_index,
					numa_node, socket, vendor_info, pf_mac, claimed) VALUES `+strings.Join(devRows, ","), devArgs...); err != nil {
					return err
				}
				devRows, devArgs = devRows[:0], devArgs[:0]
			}
			return nil
		}
		for h := range hosts {
			id := fmt.Sprintf("%08x-0000-4000-8000-%012x", h*2654435761%(1<<32), h)
			hostRows = append(hostRows, "(?, ?, 'worker', 'unlocked', 'enabled', ?, ?, 1, 1, 1, ?, ?)")
			hostArgs = append(hostArgs, id, fmt.Sprintf("compute-%05d", h), `[{"id":0,"cpulist":"0-7"},{"id":1,"cpulist":"8-15"}]`, ts, ts, ts)
			for pf, bus := range []string{"3b", "af"} {
				for i := range 32 {
					devRows = append(devRows, "(?, ?, 'datanet-a', 'pci-sriov', ?, ?, ?, ?, -1, '8086:154c', ?, FALSE)")
					devArgs = append(devArgs, id, fmt.Sprintf("0000:%s:%02x.%d", bus, 2+i/8, i%8), fmt.Sprintf("sriov%d", pf),
						"0000:"+bus+":00.0", i, pf, fmt.Sprintf("3c:fd:fe:00:00:%02x", pf))
				}
			}
			if err := flush(false); err != nil {
				return err
			}
		}
		if err := flush(true); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed fleet: %v", err)
	}
	ids := make([]string, nports)
	err = s.write(ctx, func(t *tx) error {
		for i := range ids {
			ids[i] = fmt.Sprintf("port-%06d", i)
			if _, err := t.exec(ctx, `INSERT INTO neutron_ports (id, project_id, network_id, name, description, admin_state_up, status,
				mac_address, device_id, device_owner, port_security_enabled, vnic_type, host_id, vif_type, revision_number, created_at, updated_at)
				VALUES (?, 'admin', 'net-10', '', '', TRUE, 'DOWN', ?, '', '', TRUE, 'direct', '', ?, 1, ?, ?)`,
				ids[i], fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", i>>16, (i>>8)&0xff, i&0xff), neutron.VIFTypeUnbound, ts, ts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed ports: %v", err)
	}
	// Measure the steady state, not the write-back of the seed: ANALYZE on
	// PostgreSQL, a checkpoint of the seed's WAL on SQLite.
	q := "PRAGMA wal_checkpoint(TRUNCATE)"
	if s.dialect == postgresDialect {
		q = "ANALYZE"
	}
	if _, err := s.wdb.ExecContext(ctx, q); err != nil {
		b.Fatal(err)
	}
	return ids
}

// benchPostgres is a private schema on $VFNET_TEST_POSTGRES, dropped at the
// end (storetest.PostgresURL, which this package's tests cannot import).
func benchPostgres(b testing.TB) string {
	base := os.Getenv("VFNET_TEST_POSTGRES")
	if base == "" {
		b.Fatal("VFNET_TEST_POSTGRES is not set: export VFNET_TEST_POSTGRES=$(scripts/postgres.sh)")
	}
	r := make([]byte, 6)
	rand.Read(r)
	schema := "b_" + hex.EncodeToString(r)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
