package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"vfnet/internal/agent"
	"vfnet/internal/kernel"
	"vfnet/internal/model"
	"vfnet/internal/neutron"
	"vfnet/internal/sched"
)

// Claims (migration 0150; docs/scheduling.md, "Claims"):
//
//   - sched_devices lists every schedulable device of a host, one row per
//     physical network it serves. It is written at unlock (syncDevices):
//     a host's interfaces and assignments change only while it is locked.
//   - vf_claims holds one row per claimed device; its primary key (host,
//     PCI address) is what makes a second claim of a device fail, whatever
//     the number of servers.
//   - claim is the one claim path, used by instance create and migrate and
//     by an external bind (PUT /v2.0/ports/{id} with binding:host_id). In
//     one transaction it finds a host from the partial indexes of free
//     devices, lets sched.PlaceOnHost choose the devices on that host, inserts
//     the claims, writes the ports' binding and bumps the host's revision.
//   - A release marks the claim releasing (no port): the device is not
//     free until the host's agent reports it reset (settleClaims, from the
//     applied report), so one tenant's MAC or VLAN never reaches the next.

// Claim states.
const (
	ClaimBound     = "bound"
	ClaimReleasing = "releasing"
)

// DeviceOwnerInstance is the device_owner vfnet writes on the ports of its
// own instances (Nova writes compute:<availability zone>).
const DeviceOwnerInstance = "compute:vfnet"

// The hot queries of a claim; their plans are checked in plan_test.go.
const (
	// qNextFreeHostOnNode: the next host (in id order) with a free device
	// of a physical network on a NUMA node.
	qNextFreeHostOnNode = `SELECT host_id FROM sched_devices INDEXED BY sched_devices_free_node
		WHERE physnet = ? AND class = ? AND numa_node = ? AND claimed = FALSE AND host_id > ?
		ORDER BY host_id LIMIT 1`
	// qNextFreeHost: the same on any NUMA node.
	qNextFreeHost = `SELECT host_id FROM sched_devices INDEXED BY sched_devices_free
		WHERE physnet = ? AND class = ? AND claimed = FALSE AND host_id > ?
		ORDER BY host_id LIMIT 1`
	qDevicesOfHost = `SELECT pciaddr, physnet, class, ifname, pf_pciaddr, vf_index, numa_node, socket, vendor_info, pf_mac, claimed
		FROM sched_devices WHERE host_id = ? ORDER BY pciaddr, physnet`
	qClaimsOfHost = `SELECT pciaddr, pf_pciaddr, vf_index, ifname, physnet, port_id, instance_id, state, revision
		FROM vf_claims WHERE host_id = ?`
	qClaimOfPort = `SELECT host_id, pciaddr FROM vf_claims WHERE port_id = ?`
	// qClaimPort: the port to claim for, with its network's physical
	// network and VLAN (the derived table keeps nportColumns unambiguous).
	qClaimPort = `SELECT ` + nportColumns + `, n.physical_network, n.segmentation_id
		FROM neutron_ports JOIN (SELECT id AS net_id, physical_network, segmentation_id FROM neutron_networks) n
		ON n.net_id = network_id WHERE id = ?`
	qFixedIPsOfPort = `SELECT subnet_id, ip_address FROM neutron_ip_allocations WHERE port_id = ? ORDER BY position`
	// The writes of a claim, by primary key.
	qPublishClaims = `UPDATE hosts SET revision = revision + 1, updated_at = ? WHERE id = ? RETURNING revision`
	qInsertClaim   = `INSERT INTO vf_claims (host_id, pciaddr, pf_pciaddr, vf_index, ifname, physnet, port_id, instance_id,
			state, revision, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qMarkClaimed = `UPDATE sched_devices SET claimed = TRUE WHERE host_id = ? AND pciaddr = ?`
	qBindPort    = `UPDATE neutron_ports SET host_id = ?, vif_type = ?, vif_details = ?, profile = ?, mac_address = ?,
		device_id = ?, device_owner = ?, status = ?, revision_number = ?, updated_at = ? WHERE id = ?`
)

// hotStatements are the statements prepared once on SQLite (Store.prepare):
// every statement of a claim transaction, and IPAM's.
func hotStatements() []string {
	return []string{qClaimPort, qNextFreeHostOnNode, qNextFreeHost, qHostByRef, qDevicesOfHost, qPublishClaims,
		qInsertClaim, qMarkClaimed, qBindPort, qFixedIPsOfPort,
		qFreeRanges, qFreeRangeAbove, qFreeRangeTo, qUnrangedSubnets, qAddrInUse, qReleasePort, qAllocate,
		qInsertFree, qDeleteFree, qSetFreeFirst, qSetFreeLast}
}

// hot turns a query with SQLite's INDEXED BY (which pins the partial index:
// architecture.md has the planner trap it avoids) into the dialect's.
func (d dialect) hot(q string) string {
	if d == sqliteDialect {
		return q
	}
	for _, ix := range []string{" INDEXED BY sched_devices_free_node", " INDEXED BY sched_devices_free"} {
		q = strings.Replace(q, ix, "", 1)
	}
	return q
}

// syncDevices writes host h's schedulable devices from its configuration
// c, at unlock. Devices that still have a claim row (a release the agent
// has not yet reported reset) stay claimed.
func syncDevices(ctx context.Context, t *tx, h model.Host, c model.HostConfig) error {
	wrap := func(err error) error { return fmt.Errorf("schedulable devices of host %s: %w", h.Hostname, err) }
	if _, err := t.exec(ctx, `DELETE FROM sched_devices WHERE host_id = ?`, h.ID); err != nil {
		return wrap(err)
	}
	vfs := c.VFAddresses()
	for _, i := range c.Interfaces {
		if i.Class != model.IfClassPCISRIOV && i.Class != model.IfClassPCIPassthrough {
			continue
		}
		dns := c.Assigned(i.ID)
		port, ok := c.RootPort(i)
		if len(dns) == 0 || !ok {
			continue
		}
		type dev struct {
			addr   string
			index  int
			vendor string
		}
		var devs []dev
		vendor := pciID(port.PVendor)
		if i.Class == model.IfClassPCIPassthrough {
			if i.Type != model.IfTypeEthernet {
				continue
			}
			devs = append(devs, dev{port.PCIAddr, -1, vendor + ":" + pciID(port.PDevice)})
		} else {
			for _, a := range vfs[i.ID] {
				devs = append(devs, dev{a, slices.Index(port.SRIOVVFsPCIAddress, a), vendor + ":" + port.SRIOVVFPDeviceID})
			}
		}
		for _, d := range devs {
			for _, dn := range dns {
				if _, err := t.exec(ctx, `INSERT INTO sched_devices (host_id, pciaddr, physnet, class, ifname, pf_pciaddr, vf_index,
					numa_node, socket, vendor_info, pf_mac, claimed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)`,
					h.ID, d.addr, dn.Name, i.Class, i.Name, port.PCIAddr, d.index, port.NUMANode, -1, d.vendor, port.MAC); err != nil {
					return wrap(err)
				}
			}
		}
	}
	if _, err := t.exec(ctx, `UPDATE sched_devices SET claimed = TRUE WHERE host_id = ?
		AND pciaddr IN (SELECT pciaddr FROM vf_claims WHERE host_id = ?)`, h.ID, h.ID); err != nil {
		return wrap(err)
	}
	return nil
}

var bracketID = regexp.MustCompile(`\[([0-9a-fA-F]{4})\]\s*$`)

// pciID is the hex id in a pci.ids name as the agent reports it ("Intel
// Corporation [8086]"), or the name itself when it is bare hex.
func pciID(name string) string {
	if m := bracketID.FindStringSubmatch(name); m != nil {
		return strings.ToLower(m[1])
	}
	return strings.ToLower(strings.TrimPrefix(name, "0x"))
}

// publishClaims bumps host id's desired revision for a claim or a release
// and returns the new revision. Unlike bumpRevision it leaves the host's
// configuration revision, so the host stays enabled while its agent
// programs the VF.
func publishClaims(ctx context.Context, t *tx, hostID string) (int64, error) {
	var rev int64
	err := t.queryRow(ctx, qPublishClaims, nanos(t.now), hostID).Scan(&rev)
	if err != nil {
		return 0, fmt.Errorf("publish claims of host %s: %w", hostID, err)
	}
	return rev, nil
}

// claimPort is one port to claim a device for, as the claim reads it.
type claimPort struct {
	port    neutron.Port
	physnet string
	vlan    int // 0 on a flat network
	pciSlot string
}

func (p claimPort) sched() sched.Port {
	pol := ""
	if p.port.NUMAAffinityPolicy != nil {
		pol = *p.port.NUMAAffinityPolicy
	}
	return sched.Port{ID: p.port.ID, VNICType: p.port.VNICType, PhysicalNetwork: p.physnet, Policy: sched.Policy(pol), PCISlot: p.pciSlot,
		AdminDown: !p.port.AdminStateUp}
}

// readClaimPort reads port id's row and its network's physical network and
// VLAN, in one query. The port's fixed IPs and tags are not read: a claim
// writes only the binding columns, and a caller that answers with the port
// adds them (portLists).
func readClaimPort(ctx context.Context, t *tx, id string) (claimPort, error) {
	var cp claimPort
	p, err := scanNeutronPort(scanWith{t.queryRow(ctx, qClaimPort, id), []any{&cp.physnet, &cp.vlan}})
	if errors.Is(err, sql.ErrNoRows) {
		return cp, neutron.PortNotFound(id)
	}
	if err != nil {
		return cp, fmt.Errorf("claim for port %s: %w", id, err)
	}
	cp.port = p
	if s, ok := p.Profile["pci_slot"].(string); ok {
		cp.pciSlot = s
	}
	return cp, nil
}

// scanWith scans a row into a row scanner's columns followed by extra.
type scanWith struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// portLists adds port p's fixed IPs and tags, which readClaimPort leaves
// out, to a port about to be returned to an API caller.
func portLists(ctx context.Context, t *tx, p *neutron.Port) error {
	tags, err := neutronTagsOf(ctx, t, neutron.Ports, ` WHERE id = ?`, p.ID)
	if err != nil {
		return err
	}
	p.Tags = tags[p.ID]
	rows, err := t.query(ctx, qFixedIPsOfPort, p.ID)
	if err != nil {
		return fmt.Errorf("fixed IPs of port %s: %w", p.ID, err)
	}
	p.FixedIPs = nil
	for rows.Next() {
		var f neutron.FixedIP
		if err := rows.Scan(&f.SubnetID, &f.IPAddress); err != nil {
			rows.Close()
			return fmt.Errorf("fixed IPs of port %s: %w", p.ID, err)
		}
		p.FixedIPs = append(p.FixedIPs, f)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("fixed IPs of port %s: %w", p.ID, err)
	}
	return nil
}

// claimRequest asks for one device per port on one host.
type claimRequest struct {
	ports []claimPort
	// host names the host (binding:host_id, instance create --host); ""
	// chooses one.
	host string
	// exclude is a host id never to choose (the host a cold migration
	// leaves).
	exclude string
	// node pins the instance's NUMA node; nil chooses it.
	node *int
	// instancePolicy is the instance's NUMA policy, used for ports that
	// have none.
	instancePolicy string
	instance       string // instance id, "" for an external bind
}

// claimed is what a claim gave.
type claimed struct {
	hostID, host string
	node         int
	ports        []neutron.Port
}

// claim places and claims one device per port of r, writes the ports'
// binding and bumps the host's revision, in transaction t. A refusal is a
// *sched.Error (nothing fits, a bad request) and changes nothing; a device
// another server claimed first is a lostRace, and the caller runs the
// transaction again.
func claim(ctx context.Context, t *tx, r claimRequest) (claimed, error) {
	req := sched.Request{Host: r.host, Node: r.node}
	for _, p := range r.ports {
		sp := p.sched()
		if sp.Policy == "" {
			pol, err := sched.ResolvePolicy("", r.instancePolicy)
			if err != nil {
				return claimed{}, err
			}
			sp.Policy = pol
		}
		req.Ports = append(req.Ports, sp)
	}
	pl, info, hostID, err := place(ctx, t, req, r.exclude)
	if err != nil {
		return claimed{}, err
	}
	rev, err := publishClaims(ctx, t, hostID)
	if err != nil {
		return claimed{}, err
	}
	out := claimed{hostID: hostID, host: pl.Host, node: pl.Node}
	for i, d := range pl.Devices {
		cp := r.ports[i]
		var inst any
		if r.instance != "" {
			inst = r.instance
		}
		_, err := t.exec(ctx, qInsertClaim,
			hostID, d.Addr(), d.PFAddr, vfIndexOf(d), d.Interface, cp.physnet, cp.port.ID, inst, ClaimBound, rev, nanos(t.now))
		if isUnique(err) {
			return claimed{}, &lostRace{what: "device " + d.Addr() + " of host " + pl.Host, err: err}
		}
		if err != nil {
			return claimed{}, fmt.Errorf("claim %s of host %s for port %s: %w", d.Addr(), pl.Host, cp.port.ID, err)
		}
		if _, err := t.exec(ctx, qMarkClaimed, hostID, d.Addr()); err != nil {
			return claimed{}, fmt.Errorf("claim %s of host %s: %w", d.Addr(), pl.Host, err)
		}
		vendor, pfMAC := info[i].vendor, info[i].pfMAC
		var b neutron.Binding
		if d.Class == model.IfClassPCIPassthrough {
			b = neutron.BindDirectPhysical(pl.Host, neutron.PF{PCISlot: d.PFAddr, PCIVendorInfo: vendor, PhysicalNetwork: cp.physnet, MACAddress: pfMAC}, cp.vlan)
		} else {
			b = neutron.BindDirect(pl.Host, neutron.VF{PCISlot: d.VFAddr, PCIVendorInfo: vendor, PhysicalNetwork: cp.physnet, PFMACAddress: pfMAC, VFNum: d.VFIndex}, cp.vlan)
		}
		p := cp.port
		b.Apply(&p)
		if r.instance != "" {
			p.DeviceID = r.instance
			if p.DeviceOwner == "" {
				p.DeviceOwner = DeviceOwnerInstance
			}
		}
		p.Status = neutron.PortStatusDown
		if err := writePortBinding(ctx, t, &p); err != nil {
			return claimed{}, err
		}
		out.ports = append(out.ports, p)
	}
	return out, nil
}

func vfIndexOf(d sched.Device) int {
	if d.Class == model.IfClassPCIPassthrough {
		return -1
	}
	return d.VFIndex
}

// writePortBinding stores p's binding, MAC, device and status.
func writePortBinding(ctx context.Context, t *tx, p *neutron.Port) error {
	p.RevisionNumber++
	p.UpdatedAt = neutron.Timestamp{Time: t.now}
	_, err := t.exec(ctx, qBindPort,
		p.HostID, p.VIFType, jsonText(nonNilNeutronMap(p.VIFDetails)), jsonText(nonNilNeutronMap(p.Profile)), p.MACAddress,
		p.DeviceID, p.DeviceOwner, p.Status, p.RevisionNumber, nanos(t.now), p.ID)
	if isUnique(err) {
		return neutron.MacAddressInUse(p.NetworkID, p.MACAddress)
	}
	if err != nil {
		return fmt.Errorf("bind port %s to host %q: %w", p.ID, p.HostID, err)
	}
	return nil
}

// place chooses the host and the devices: on the named host, or on the
// first host, from a random point of the host id order, whose free devices
// sched.Place accepts. Hosts come from the partial indexes of free devices
// of the first port's physical network, the instance's NUMA node first
// when it is pinned, so a claim costs O(log fleet) plus the hosts it must
// skip. It returns the placement and the host's id.
func place(ctx context.Context, t *tx, req sched.Request, exclude string) (sched.Placement, []devInfo, string, error) {
	// sched checks the request (vnic types, policies, physical networks)
	// before it looks at devices: an empty fleet returns those refusals.
	if _, err := sched.Place(nil, nil, req); sched.ReasonOf(err) == sched.ReasonInvalid || sched.ReasonOf(err) == sched.ReasonVNICType {
		return sched.Placement{}, nil, "", err
	}
	if req.Host != "" {
		h, err := getHost(ctx, t, req.Host)
		if model.CodeOf(err) == model.ErrNotFound {
			return sched.Placement{}, nil, "", &sched.Error{Reason: sched.ReasonNoDevice, Port: req.Ports[0].ID,
				Msg: fmt.Sprintf("host %s is not a vfnet host: see vfnet host-list", req.Host)}
		}
		if err != nil {
			return sched.Placement{}, nil, "", err
		}
		req.Host = h.Hostname
		pl, info, err := placeOnHost(ctx, t, h, req)
		return pl, info, h.ID, err
	}
	first := req.Ports[0]
	class, _ := sched.ClassFor(first.VNICType) // a vnic_type sched refuses was answered above
	pol := first.Policy
	if pol == "" {
		pol = sched.PolicyLegacy
	}
	// The NUMA nodes whose free devices make a host a candidate, in order;
	// nil is any node.
	var nodes []*int
	if req.Node == nil {
		nodes = []*int{nil}
	} else {
		n := *req.Node
		nodes = []*int{&n}
		switch pol {
		case sched.PolicyLegacy:
			none := -1
			nodes = append(nodes, &none)
		case sched.PolicySocket, sched.PolicyPreferred:
			nodes = append(nodes, nil)
		}
	}
	start := uuid.NewString()
	visited := map[string]bool{}
	var miss error
	for _, node := range nodes {
		// From start to the end of the id order, then from the beginning
		// to start.
		for pass := 0; pass < 2; pass++ {
			after := start
			if pass == 1 {
				after = ""
			}
			for {
				var id string
				var err error
				if node == nil {
					err = t.queryRow(ctx, t.dialect.hot(qNextFreeHost), first.PhysicalNetwork, class, after).Scan(&id)
				} else {
					err = t.queryRow(ctx, t.dialect.hot(qNextFreeHostOnNode), first.PhysicalNetwork, class, *node, after).Scan(&id)
				}
				if errors.Is(err, sql.ErrNoRows) || (pass == 1 && id > start) {
					break
				}
				if err != nil {
					return sched.Placement{}, nil, "", fmt.Errorf("schedule: next host with a free device on %s: %w", first.PhysicalNetwork, err)
				}
				after = id
				if visited[id] || id == exclude {
					continue
				}
				visited[id] = true
				h, err := getHost(ctx, t, id)
				if err != nil {
					return sched.Placement{}, nil, "", err
				}
				r := req
				r.Host = h.Hostname
				pl, info, err := placeOnHost(ctx, t, h, r)
				if err == nil {
					return pl, info, id, nil
				}
				if sched.ReasonOf(err) == "" {
					return sched.Placement{}, nil, "", err
				}
				if miss == nil || closer(err, miss) {
					miss = err
				}
			}
		}
	}
	if miss == nil && nodes[len(nodes)-1] != nil {
		// No host has a free device on the nodes the policy accepts: the
		// closest miss is a host with free devices elsewhere, which sched
		// describes node by node.
		var id string
		err := t.queryRow(ctx, t.dialect.hot(qNextFreeHost), first.PhysicalNetwork, class, "").Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return sched.Placement{}, nil, "", fmt.Errorf("schedule: a host with a free device on %s: %w", first.PhysicalNetwork, err)
		}
		if err == nil && id != exclude {
			h, err := getHost(ctx, t, id)
			if err != nil {
				return sched.Placement{}, nil, "", err
			}
			r := req
			r.Host = h.Hostname
			if _, _, err := placeOnHost(ctx, t, h, r); sched.ReasonOf(err) != "" {
				miss = err
			}
		}
	}
	if miss != nil {
		return sched.Placement{}, nil, "", &sched.Error{Reason: sched.ReasonOf(miss), Port: first.ID,
			Msg: fmt.Sprintf("no host can serve the instance's ports; the closest: %s", miss.Error())}
	}
	return sched.Placement{}, nil, "", noFreeDevice(ctx, t, first, class, exclude)
}

// closer prefers, as the closest miss to report, a host where the ports
// failed on NUMA or together, then one whose free VFs cannot disable an
// administratively down port's link, over one that was locked or disabled.
func closer(err, than error) bool {
	rank := map[sched.Reason]int{sched.ReasonTogether: 5, sched.ReasonNUMA: 4, sched.ReasonLinkState: 3, sched.ReasonPCISlot: 2, sched.ReasonNoDevice: 1}
	return rank[sched.ReasonOf(err)] > rank[sched.ReasonOf(than)]
}

// noFreeDevice says why no host had a free device of the port's kind on
// its physical network. For a cold migration (exclude: the host the
// instance leaves) it counts only the other hosts' devices: the instance's
// own, released in the same transaction, would read as claimed elsewhere.
func noFreeDevice(ctx context.Context, t *tx, p sched.Port, class model.IfClass, exclude string) error {
	one, many := "VF", "VFs"
	if class == model.IfClassPCIPassthrough {
		one, many = "pci-passthrough interface", "pci-passthrough interfaces"
	}
	where, hosts, args := "", "no unlocked host", []any{p.PhysicalNetwork, class}
	if exclude != "" {
		where, hosts = " AND host_id <> ?", "no unlocked host but the one the instance leaves"
		args = append(args, exclude)
	}
	var n, releasing int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM sched_devices WHERE physnet = ? AND class = ?`+where, args...).Scan(&n); err != nil {
		return fmt.Errorf("schedule: count devices on %s: %w", p.PhysicalNetwork, err)
	}
	if n == 0 {
		return &sched.Error{Reason: sched.ReasonNoDevice, Port: p.ID, Msg: fmt.Sprintf(
			"no host has a free %s on %s: %s has a %s interface assigned to %s; assign one (vfnet interface-datanetwork-assign) and unlock its host",
			one, p.PhysicalNetwork, hosts, class, p.PhysicalNetwork)}
	}
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM vf_claims WHERE physnet = ? AND state = ?`+where, append([]any{p.PhysicalNetwork, ClaimReleasing}, args[2:]...)...).Scan(&releasing); err != nil {
		return fmt.Errorf("schedule: count releasing devices on %s: %w", p.PhysicalNetwork, err)
	}
	msg := fmt.Sprintf("no host has a free %s on %s: all %d %s are claimed", one, p.PhysicalNetwork, n, many)
	if exclude != "" {
		msg = fmt.Sprintf("no host has a free %s on %s: all %d %s on the hosts it may move to are claimed", one, p.PhysicalNetwork, n, many)
	}
	if releasing > 0 {
		msg += fmt.Sprintf(" (%d released, free once their agents report them reset)", releasing)
	}
	return &sched.Error{Reason: sched.ReasonNoDevice, Port: p.ID, Msg: msg}
}

// devInfo is what a claim writes of a device that sched does not carry:
// binding:profile's pci_vendor_info and the PF's MAC.
type devInfo struct {
	vendor, pfMAC string
}

// placeOnHost runs sched.PlaceOnHost over host h's devices and returns, with
// the placement, the devInfo of each chosen device.
func placeOnHost(ctx context.Context, t *tx, h model.Host, req sched.Request) (sched.Placement, []devInfo, error) {
	devs, info, err := hostDevices(ctx, t, h)
	if err != nil {
		return sched.Placement{}, nil, err
	}
	if slices.ContainsFunc(req.Ports, func(p sched.Port) bool { return p.AdminDown }) {
		if err := markNoLinkState(ctx, t, h, devs); err != nil {
			return sched.Placement{}, nil, err
		}
	}
	var nodes []sched.HostNode
	for _, n := range h.NUMANodes {
		nodes = append(nodes, sched.HostNode{Host: h.Hostname, Node: n.ID, Socket: -1})
	}
	pl, err := sched.PlaceOnHost(devs, nodes, req)
	if err != nil {
		return pl, nil, err
	}
	chosen := make([]devInfo, len(pl.Devices))
	for i, d := range pl.Devices {
		for j := range devs {
			if devs[j].Addr() == d.Addr() {
				chosen[i] = info[j]
				break
			}
		}
	}
	return pl, chosen, nil
}

// markNoLinkState marks the VFs of host h's PFs whose driver, as the
// host's agent last reported, lacks VF link state, so that sched gives none
// of them to an administratively down port: the agent could not disable
// its link, and the port would be DOWN while its VF passes traffic (the
// same rule as checkLinkStateSupported's, at bind time). Only a claim with
// such a port pays for the read.
func markNoLinkState(ctx context.Context, t *tx, h model.Host, devs []sched.Device) error {
	us, err := lastUnsupported(ctx, t, h)
	if err != nil {
		return err
	}
	lacks := map[string]string{}
	for _, u := range us {
		if u.Attr == agent.AttrLinkState {
			lacks[u.PF] = u.Driver
		}
	}
	for i := range devs {
		if devs[i].Class == model.IfClassPCISRIOV {
			devs[i].NoLinkState = lacks[devs[i].PFAddr]
		}
	}
	return nil
}

// hostDevices reads host h's schedulable devices as sched takes them, a
// device serving several physical networks as one, and each one's devInfo.
func hostDevices(ctx context.Context, t *tx, h model.Host) ([]sched.Device, []devInfo, error) {
	rows, err := t.query(ctx, qDevicesOfHost, h.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("devices of host %s: %w", h.Hostname, err)
	}
	out := make([]sched.Device, 0, 64)
	info := make([]devInfo, 0, 64)
	for rows.Next() {
		var d sched.Device
		var physnet string
		var di devInfo
		if err := rows.Scan(&d.VFAddr, &physnet, &d.Class, &d.Interface, &d.PFAddr, &d.VFIndex, &d.NUMANode, &d.Socket, &di.vendor, &di.pfMAC, &d.Claimed); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("devices of host %s: %w", h.Hostname, err)
		}
		if d.Class == model.IfClassPCIPassthrough {
			d.VFAddr, d.VFIndex = "", 0
		}
		// Rows come by primary key (host, address, physical network): the
		// rows of a device that serves several are consecutive.
		if n := len(out); n > 0 && out[n-1].Addr() == d.Addr() {
			out[n-1].DataNetworks = append(out[n-1].DataNetworks, physnet)
			continue
		}
		d.Host, d.HostAdmin, d.HostOper, d.DataNetworks = h.Hostname, h.Administrative, h.Operational, []string{physnet}
		out = append(out, d)
		info = append(info, di)
	}
	if err := closeRows(rows); err != nil {
		return nil, nil, fmt.Errorf("devices of host %s: %w", h.Hostname, err)
	}
	for i := range out {
		sort.Strings(out[i].DataNetworks)
	}
	return out, info, nil
}

// release releases the device claimed by port id, if any: the claim turns
// releasing (the agent resets the device; settleClaims frees it), the host's
// revision is bumped, and the port loses its binding (a direct-physical port
// gets a fresh MAC instead of the PF's; an instance's port, instance != "",
// loses its device_id too). It returns the port as written and whether
// there was a claim.
func release(ctx context.Context, t *tx, id, instance string) (neutron.Port, bool, error) {
	p, err := getNeutronPort(ctx, t, neutron.Caller{Admin: true}, id)
	if err != nil {
		return p, false, err
	}
	var hostID, addr string
	err = t.queryRow(ctx, qClaimOfPort, id).Scan(&hostID, &addr)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("release port %s: %w", id, err)
	}
	if instance != "" && p.DeviceID == instance {
		p.DeviceID = ""
		if p.DeviceOwner == DeviceOwnerInstance {
			p.DeviceOwner = ""
		}
	}
	rev, err := publishClaims(ctx, t, hostID)
	if err != nil {
		return p, false, err
	}
	if _, err := t.exec(ctx, `UPDATE vf_claims SET state = ?, port_id = NULL, instance_id = NULL, revision = ? WHERE host_id = ? AND pciaddr = ?`,
		ClaimReleasing, rev, hostID, addr); err != nil {
		return p, false, fmt.Errorf("release %s for port %s: %w", addr, id, err)
	}
	if p.VIFType == neutron.VIFTypeHostdevPhy {
		mac, err := neutron.GenerateMAC(rand.Reader)
		if err != nil {
			return p, false, err
		}
		p.MACAddress = mac
	}
	b := neutron.Unbound()
	b.Apply(&p)
	p.Status = neutron.PortStatusDown
	if err := writePortBinding(ctx, t, &p); err != nil {
		if errors.Is(err, neutron.TypeMacAddressInUse) {
			return p, false, &lostRace{what: "MAC " + p.MACAddress, err: err}
		}
		return p, false, err
	}
	return p, true, nil
}

// boundDesired is the one place where VF bindings join a host's desired
// state (Desired): the bound claims of host id with what each port needs
// programmed (ports-and-binding.md, "What the agent programs on a VF"); a
// passed-through PF is an entry with Index -1. A claim or release bumps the
// host's revision with publishClaims in its transaction.
func boundDesired(ctx context.Context, t *tx, hostID string) ([]agent.DesiredVF, error) {
	rows, err := t.query(ctx, `SELECT c.pf_pciaddr, c.vf_index, p.id, p.mac_address, p.admin_state_up, p.port_security_enabled,
			p.trusted, n.segmentation_id
		FROM vf_claims c JOIN neutron_ports p ON p.id = c.port_id JOIN neutron_networks n ON n.id = p.network_id
		WHERE c.host_id = ? AND c.state = ? ORDER BY c.pf_pciaddr, c.vf_index`, hostID, ClaimBound)
	if err != nil {
		return nil, fmt.Errorf("bound VFs of host %s: %w", hostID, err)
	}
	var out []agent.DesiredVF
	for rows.Next() {
		var v agent.DesiredVF
		var up bool
		var trusted sql.NullBool
		if err := rows.Scan(&v.PF, &v.Index, &v.PortID, &v.MAC, &up, &v.SpoofChk, &trusted, &v.VLAN); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bound VFs of host %s: %w", hostID, err)
		}
		v.Trust = trusted.Valid && trusted.Bool
		v.LinkState = kernel.LinkAuto
		if !up {
			v.LinkState = kernel.LinkDisable
		}
		out = append(out, v)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("bound VFs of host %s: %w", hostID, err)
	}
	return out, nil
}

// settleClaims applies an agent's applied report r of host h to its
// claims, in the report's transaction: a bound port whose VF the report
// shows with the port's MAC and VLAN (a passed-through PF: on vfio-pci)
// goes ACTIVE, or DOWN when it is administratively down or not so
// programmed; a released device the report shows reset (MAC zero, VLAN 0;
// a PF back on its own driver) is free again. Only claims published at or
// before the reported revision are judged: an older report knows nothing
// of them.
func settleClaims(ctx context.Context, t *tx, h model.Host, r Applied) error {
	type row struct {
		addr, pf     string
		index        int
		port, state  sql.NullString
		revision     int64
		mac          string
		vlan         int
		up           bool
		status       string
		portRevision int
	}
	rows, err := t.query(ctx, `SELECT c.pciaddr, c.pf_pciaddr, c.vf_index, c.port_id, c.state, c.revision,
			COALESCE(p.mac_address, ''), COALESCE(n.segmentation_id, 0), COALESCE(p.admin_state_up, FALSE), COALESCE(p.status, ''),
			COALESCE(p.revision_number, 0)
		FROM vf_claims c LEFT JOIN neutron_ports p ON p.id = c.port_id LEFT JOIN neutron_networks n ON n.id = p.network_id
		WHERE c.host_id = ? AND c.revision <= ?`, h.ID, r.Revision)
	if err != nil {
		return fmt.Errorf("settle claims of host %s: %w", h.Hostname, err)
	}
	var claims []row
	for rows.Next() {
		var c row
		if err := rows.Scan(&c.addr, &c.pf, &c.index, &c.port, &c.state, &c.revision, &c.mac, &c.vlan, &c.up, &c.status, &c.portRevision); err != nil {
			rows.Close()
			return fmt.Errorf("settle claims of host %s: %w", h.Hostname, err)
		}
		claims = append(claims, c)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("settle claims of host %s: %w", h.Hostname, err)
	}
	if len(claims) == 0 {
		return nil
	}
	vfs := map[string]agent.VFState{}
	for _, v := range r.VFs {
		vfs[v.PF+"/"+strconv.Itoa(v.Index)] = v
	}
	pfs := map[string]agent.PFState{}
	for _, p := range r.PFs {
		pfs[p.PCIAddr] = p
	}
	for _, c := range claims {
		switch c.state.String {
		case ClaimReleasing:
			if !resetIn(c.pf, c.index, vfs, pfs, r.Converged) {
				continue
			}
			if _, err := t.exec(ctx, `DELETE FROM vf_claims WHERE host_id = ? AND pciaddr = ? AND state = ?`, h.ID, c.addr, ClaimReleasing); err != nil {
				return fmt.Errorf("free %s of host %s: %w", c.addr, h.Hostname, err)
			}
			if _, err := t.exec(ctx, `UPDATE sched_devices SET claimed = FALSE WHERE host_id = ? AND pciaddr = ?`, h.ID, c.addr); err != nil {
				return fmt.Errorf("free %s of host %s: %w", c.addr, h.Hostname, err)
			}
		case ClaimBound:
			status := neutron.PortStatusDown
			if c.up && programmedIn(c.pf, c.index, c.mac, c.vlan, vfs, pfs) {
				status = neutron.PortStatusActive
			}
			if status == c.status {
				continue
			}
			if _, err := t.exec(ctx, `UPDATE neutron_ports SET status = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
				status, nanos(t.now), c.port.String); err != nil {
				return fmt.Errorf("status of port %s: %w", c.port.String, err)
			}
		}
	}
	return nil
}

const zeroMAC = "00:00:00:00:00:00"

// resetIn reports whether the report shows the device reset.
func resetIn(pf string, index int, vfs map[string]agent.VFState, pfs map[string]agent.PFState, converged bool) bool {
	if index < 0 {
		p, ok := pfs[pf]
		return converged && (!ok || p.Driver != agent.VFIO)
	}
	v, ok := vfs[pf+"/"+strconv.Itoa(index)]
	if !ok || v.Info == nil {
		// The VF is gone, or its PF reports no VF settings: a converged
		// report is all there is to go by.
		return converged
	}
	return (v.Info.MAC == zeroMAC || v.Info.MAC == "") && v.Info.VLAN == 0
}

// programmedIn reports whether the report shows the device programmed for
// the port.
func programmedIn(pf string, index int, mac string, vlan int, vfs map[string]agent.VFState, pfs map[string]agent.PFState) bool {
	if index < 0 {
		p, ok := pfs[pf]
		return ok && p.Driver == agent.VFIO
	}
	v, ok := vfs[pf+"/"+strconv.Itoa(index)]
	if !ok || v.Info == nil {
		return false
	}
	return strings.EqualFold(v.Info.MAC, mac) && v.Info.VLAN == vlan
}

// portSettingsChanged follows an update of a bound port whose VF settings
// changed (admin_state_up: the VF's link state; port_security_enabled: its
// spoof check; trusted): the host's agent must apply them, so the host's
// revision is bumped and the port is DOWN until the agent reports them.
func portSettingsChanged(ctx context.Context, t *tx, cur neutron.Port, p *neutron.Port) error {
	same := cur.AdminStateUp == p.AdminStateUp && cur.PortSecurityEnabled == p.PortSecurityEnabled &&
		(cur.Trusted != nil && *cur.Trusted) == (p.Trusted != nil && *p.Trusted)
	if same {
		return nil
	}
	var hostID, addr string
	err := t.queryRow(ctx, qClaimOfPort, p.ID).Scan(&hostID, &addr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update port %s: read its claim: %w", p.ID, err)
	}
	rev, err := publishClaims(ctx, t, hostID)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE vf_claims SET revision = ? WHERE host_id = ? AND pciaddr = ?`, rev, hostID, addr); err != nil {
		return fmt.Errorf("update port %s: %w", p.ID, err)
	}
	p.Status = neutron.PortStatusDown
	if _, err := t.exec(ctx, `UPDATE neutron_ports SET status = ? WHERE id = ?`, p.Status, p.ID); err != nil {
		return fmt.Errorf("update port %s: %w", p.ID, err)
	}
	return nil
}

// BindNeutronPort is the binding step of PUT /v2.0/ports/{id} (the
// neutronapi.BindFunc), as Nova binds a port: with p.HostID set it claims a
// device of that host (binding:profile.pci_slot names one, else sched
// chooses) and binds the port, or records binding_failed, logging the
// reason and adding it to the host's events; with p.HostID "" it releases
// the port's device. It is one transaction, rerun when another server
// claimed the chosen device first.
func (s *Store) BindNeutronPort(ctx context.Context, in neutron.Port) (neutron.Port, error) {
	var out neutron.Port
	var failure error
	err := s.neutronWrite(ctx, func(t *tx) error {
		failure = nil
		if in.HostID == "" {
			p, _, err := release(ctx, t, in.ID, "")
			out = p
			return err
		}
		cp, err := readClaimPort(ctx, t, in.ID)
		if err != nil {
			return err
		}
		// Already bound there (a repeated PUT): keep the device unless
		// another pci_slot is asked for.
		var hostID, addr, hostName string
		err = t.queryRow(ctx, `SELECT c.host_id, c.pciaddr, h.name FROM vf_claims c JOIN hosts h ON h.id = c.host_id WHERE c.port_id = ?`,
			in.ID).Scan(&hostID, &addr, &hostName)
		switch {
		case err == nil && hostName == cp.port.HostID && (cp.pciSlot == "" || cp.pciSlot == addr) && cp.port.Bound():
			out = cp.port
			return portLists(ctx, t, &out)
		case err == nil:
			if _, _, err := release(ctx, t, in.ID, ""); err != nil {
				return err
			}
			if cp, err = readClaimPort(ctx, t, in.ID); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("bind port %s: read its claim: %w", in.ID, err)
		}
		host := cp.port.HostID
		got, err := claim(ctx, t, claimRequest{ports: []claimPort{cp}, host: host})
		var se *sched.Error
		if errors.As(err, &se) {
			failure = err
			p := cp.port
			b := neutron.BindFailed(host)
			b.Profile = p.Profile
			b.Apply(&p)
			p.Status = neutron.PortStatusDown
			if err := writePortBinding(ctx, t, &p); err != nil {
				return err
			}
			out = p
			if err := portLists(ctx, t, &out); err != nil {
				return err
			}
			if h, herr := getHost(ctx, t, host); herr == nil {
				return addEvents(ctx, t, h, []Event{{Kind: EventError, Object: "port " + p.ID,
					Message: "binding failed: " + se.Msg}})
			}
			return nil
		}
		if err != nil {
			return err
		}
		out = got.ports[0]
		return portLists(ctx, t, &out)
	})
	if failure != nil && err == nil {
		noteBindFailure(ctx, failure)
		s.log.InfoContext(ctx, "binding failed", "port", in.ID, "host", in.HostID, "reason", failure.Error())
	}
	return out, err
}

// lockBlockers names what keeps host id from being locked: the instances
// with ports bound on it, and the ports bound there by an external compute
// service.
func lockBlockers(ctx context.Context, t *tx, hostID string) ([]string, error) {
	rows, err := t.query(ctx, `SELECT COALESCE(i.name, ''), COALESCE(c.port_id, '') FROM vf_claims c
		LEFT JOIN instances i ON i.id = c.instance_id WHERE c.host_id = ? AND c.state = ?`, hostID, ClaimBound)
	if err != nil {
		return nil, fmt.Errorf("instances on host %s: %w", hostID, err)
	}
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var inst, port string
		if err := rows.Scan(&inst, &port); err != nil {
			rows.Close()
			return nil, fmt.Errorf("instances on host %s: %w", hostID, err)
		}
		name := inst
		if name == "" {
			name = "(port " + port + ")"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("instances on host %s: %w", hostID, err)
	}
	sort.Strings(out)
	return out, nil
}

// Claims returns the claims of host ref, bound and releasing, by address.
func (s *Store) Claims(ctx context.Context, ref string) ([]Claim, error) {
	var out []Claim
	err := s.read(ctx, func(t *tx) error {
		h, err := getHost(ctx, t, ref)
		if err != nil {
			return err
		}
		rows, err := t.query(ctx, qClaimsOfHost, h.ID)
		if err != nil {
			return fmt.Errorf("claims of host %s: %w", h.Hostname, err)
		}
		for rows.Next() {
			c := Claim{Host: h.Hostname}
			var port, inst sql.NullString
			if err := rows.Scan(&c.PCIAddr, &c.PFAddr, &c.VFIndex, &c.Interface, &c.PhysicalNetwork, &port, &inst, &c.State, &c.Revision); err != nil {
				rows.Close()
				return fmt.Errorf("claims of host %s: %w", h.Hostname, err)
			}
			c.PortID, c.InstanceID = port.String, inst.String
			out = append(out, c)
		}
		return closeRows(rows)
	})
	sort.Slice(out, func(a, b int) bool { return out[a].PCIAddr < out[b].PCIAddr })
	return out, err
}

// Claim is one device held by a port, or being reset after its release.
type Claim struct {
	Host            string `json:"host"`
	PCIAddr         string `json:"pciaddr"`
	PFAddr          string `json:"pf_pciaddr"`
	VFIndex         int    `json:"vf_index"` // -1: a whole PF
	Interface       string `json:"ifname"`
	PhysicalNetwork string `json:"physical_network"`
	PortID          string `json:"port_id,omitempty"`
	InstanceID      string `json:"instance_id,omitempty"`
	State           string `json:"state"` // bound | releasing
	Revision        int64  `json:"revision"`
}
