package neutronapi

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"vfnet/internal/store/storetest"
)

// BenchmarkPortCreate measures POST /v2.0/ports through the API over
// loopback on SQLite: decode, authenticate, one store transaction (MAC,
// IPAM over a /16, insert), render. ns/op is one port; ports/s is the rate.
func BenchmarkPortCreate(b *testing.B) {
	e := newEnv(b, storetest.SQLiteURL(b))
	code, body := e.do(b, "admin", "POST", "/v2.0/networks", `{"network":{"name":"bench","provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}}`)
	if code != 201 {
		b.Fatalf("create network: %d %v", code, body)
	}
	netID := body["network"].(map[string]any)["id"].(string)
	if code, body := e.do(b, "admin", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"`+netID+`","ip_version":4,"cidr":"10.0.0.0/16"}}`); code != 201 {
		b.Fatalf("create subnet: %d %v", code, body)
	}
	req := []byte(`{"port":{"network_id":"` + netID + `","binding:vnic_type":"direct"}}`)
	client := e.srv.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := http.NewRequest("POST", e.srv.URL+"/v2.0/ports", bytes.NewReader(req))
			if err != nil {
				b.Error(err)
				return
			}
			r.Header.Set(TokenHeader, e.tokens["admin"])
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("POST /v2.0/ports: status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ports/s")
}

// BenchmarkPortCreateFilled measures POST /v2.0/ports on a network that
// already has `ports` ports (created before the timer starts), on SQLite
// and PostgreSQL, one client: the cost of a create at that fill, which
// IPAM must keep independent of the addresses already allocated.
//
//	go test -run '^$' -bench PortCreateFilled -benchtime 200x ./internal/api/neutronapi
func BenchmarkPortCreateFilled(b *testing.B) {
	for _, db := range []struct {
		name string
		dsn  storetest.DSN
	}{{"sqlite", storetest.SQLiteURL}, {"postgres", storetest.PostgresURL}} {
		for _, fill := range []int{200, 2000} {
			b.Run(fmt.Sprintf("%s/ports=%d", db.name, fill), func(b *testing.B) {
				e := newEnv(b, db.dsn(b))
				code, body := e.do(b, "admin", "POST", "/v2.0/networks", `{"network":{"name":"bench","provider:network_type":"vlan","provider:physical_network":"datanet-a","provider:segmentation_id":10}}`)
				if code != 201 {
					b.Fatalf("create network: %d %v", code, body)
				}
				netID := body["network"].(map[string]any)["id"].(string)
				if code, body := e.do(b, "admin", "POST", "/v2.0/subnets", `{"subnet":{"network_id":"`+netID+`","ip_version":4,"cidr":"10.0.0.0/16"}}`); code != 201 {
					b.Fatalf("create subnet: %d %v", code, body)
				}
				req := `{"port":{"network_id":"` + netID + `","binding:vnic_type":"direct"}}`
				for i := range fill {
					if code, body := e.do(b, "admin", "POST", "/v2.0/ports", req); code != 201 {
						b.Fatalf("fill port %d: %d %v", i, code, body)
					}
				}
				b.ResetTimer()
				for range b.N {
					if code, body := e.do(b, "admin", "POST", "/v2.0/ports", req); code != 201 {
						b.Fatalf("POST /v2.0/ports: %d %v", code, body)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ports/s")
			})
		}
	}
}
