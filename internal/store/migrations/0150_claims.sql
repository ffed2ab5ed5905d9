-- Claims of VFs and PFs by ports, and instances (issue 6). Portable SQL as
-- in 0001. docs/scheduling.md ("Claims") explains the design.

-- config_revision is the desired revision of the host's last configuration
-- change (unlock, interfaces, data network assignments). A host is
-- operationally enabled once its agent has applied that revision; claims and
-- releases bump revision but not this, so that binding a port does not take
-- its host out of scheduling until the agent has programmed the VF.
ALTER TABLE hosts ADD COLUMN config_revision BIGINT NOT NULL DEFAULT 0;
UPDATE hosts SET config_revision = revision;

-- sched_devices: every schedulable device of an unlocked host, one row per
-- physical network it serves: the VFs of pci-sriov interfaces and the PF of
-- pci-passthrough interfaces, written when the host is unlocked (its
-- configuration cannot change while it is unlocked). It is the scheduler's
-- candidate list; claimed mirrors vf_claims so that free devices can be
-- found from the partial indexes below without reading claims.
CREATE TABLE sched_devices (
	host_id     TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	pciaddr     TEXT NOT NULL, -- the VF, or the PF of a pci-passthrough interface
	physnet     TEXT NOT NULL, -- a data network's name
	class       TEXT NOT NULL, -- pci-sriov or pci-passthrough
	ifname      TEXT NOT NULL,
	pf_pciaddr  TEXT NOT NULL,
	vf_index    INTEGER NOT NULL, -- -1 for a PF
	numa_node   INTEGER NOT NULL, -- -1 when the platform reports none
	socket      INTEGER NOT NULL, -- -1 when unknown
	vendor_info TEXT NOT NULL, -- 8086:154c, as binding:profile.pci_vendor_info
	pf_mac      TEXT NOT NULL,
	claimed     BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (host_id, pciaddr, physnet)
);
-- The hot claim queries: the next host (in host id order, from a random
-- start) with a free device of a physical network, on a given NUMA node or
-- on any. Partial: claimed devices are not in them, so a full fleet costs
-- nothing to skip.
CREATE INDEX sched_devices_free_node ON sched_devices (physnet, class, numa_node, host_id) WHERE claimed = FALSE;
CREATE INDEX sched_devices_free ON sched_devices (physnet, class, host_id) WHERE claimed = FALSE;

-- vf_claims: the authority. The primary key is what makes a device
-- impossible to claim twice, whatever the number of servers: the second
-- INSERT fails (on PostgreSQL the write transactions are also SERIALIZABLE).
-- A released device stays here, state 'releasing' and no port, until the
-- host's agent reports it reset; only then is it free again.
CREATE TABLE vf_claims (
	host_id     TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	pciaddr     TEXT NOT NULL,
	pf_pciaddr  TEXT NOT NULL,
	vf_index    INTEGER NOT NULL, -- -1 for a PF (direct-physical)
	ifname      TEXT NOT NULL,
	physnet     TEXT NOT NULL,
	-- A port holds at most one device; NULL while releasing.
	port_id     TEXT UNIQUE,
	instance_id TEXT,
	state       TEXT NOT NULL, -- bound | releasing
	-- The host revision that published the state: the agent's applied
	-- report of this revision or a later one settles it.
	revision    BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (host_id, pciaddr)
);
CREATE INDEX vf_claims_instance ON vf_claims (instance_id);

CREATE TABLE instances (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	project_id TEXT NOT NULL,
	host_id    TEXT REFERENCES hosts (id),
	numa_node  INTEGER NOT NULL, -- -1: none (the host reports no NUMA information)
	pinned     BOOLEAN NOT NULL, -- the NUMA node was asked for
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX instances_host ON instances (host_id);

CREATE TABLE instance_ports (
	instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
	port_id     TEXT NOT NULL UNIQUE REFERENCES neutron_ports (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	PRIMARY KEY (instance_id, port_id)
);
