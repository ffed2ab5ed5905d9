-- The Neutron-compatible /v2.0 objects: project networks, subnets with their
-- allocation pools, ports with their IP allocations, and tags. Numbered 0100
-- so that the control plane's migrations keep the low numbers. Portable SQL
-- as in 0001; revision_number is Neutron's standard attribute, bumped by the
-- store on every change to the object.

CREATE TABLE neutron_networks (
	id                    TEXT PRIMARY KEY,
	project_id            TEXT NOT NULL,
	name                  TEXT NOT NULL,
	description           TEXT NOT NULL,
	admin_state_up        BOOLEAN NOT NULL,
	status                TEXT NOT NULL,
	shared                BOOLEAN NOT NULL,
	external              BOOLEAN NOT NULL,
	mtu                   INTEGER NOT NULL,
	port_security_enabled BOOLEAN NOT NULL,
	network_type          TEXT NOT NULL,
	-- The data network's name (names never change, see model.ModifyDataNetwork);
	-- the reference keeps a data network from being deleted under a network.
	physical_network      TEXT NOT NULL REFERENCES datanetworks (name),
	-- The VLAN on the physical network; 0 for flat, so that the constraint
	-- below also allows one flat network per physical network. No VLAN is
	-- ever carried twice on one physical network, whatever the number of
	-- servers creating networks.
	segmentation_id       INTEGER NOT NULL,
	revision_number       BIGINT NOT NULL,
	created_at            BIGINT NOT NULL,
	updated_at            BIGINT NOT NULL,
	UNIQUE (physical_network, segmentation_id)
);
CREATE INDEX neutron_networks_project ON neutron_networks (project_id);

CREATE TABLE neutron_subnets (
	id                TEXT PRIMARY KEY,
	project_id        TEXT NOT NULL,
	network_id        TEXT NOT NULL REFERENCES neutron_networks (id),
	name              TEXT NOT NULL,
	description       TEXT NOT NULL,
	ip_version        INTEGER NOT NULL,
	cidr              TEXT NOT NULL,
	gateway_ip        TEXT,
	host_routes       TEXT NOT NULL DEFAULT '[]',
	dns_nameservers   TEXT NOT NULL DEFAULT '[]',
	enable_dhcp       BOOLEAN NOT NULL,
	ipv6_ra_mode      TEXT,
	ipv6_address_mode TEXT,
	-- Creation order: IPAM tries a network's subnets in this order.
	seq               BIGINT NOT NULL,
	revision_number   BIGINT NOT NULL,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
CREATE INDEX neutron_subnets_network ON neutron_subnets (network_id);

CREATE TABLE neutron_allocation_pools (
	subnet_id TEXT NOT NULL REFERENCES neutron_subnets (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL,
	first_ip  TEXT NOT NULL,
	last_ip   TEXT NOT NULL,
	PRIMARY KEY (subnet_id, position)
);

CREATE TABLE neutron_ports (
	id                    TEXT PRIMARY KEY,
	project_id            TEXT NOT NULL,
	network_id            TEXT NOT NULL REFERENCES neutron_networks (id),
	name                  TEXT NOT NULL,
	description           TEXT NOT NULL,
	admin_state_up        BOOLEAN NOT NULL,
	status                TEXT NOT NULL,
	mac_address           TEXT NOT NULL,
	device_id             TEXT NOT NULL,
	device_owner          TEXT NOT NULL,
	security_groups       TEXT NOT NULL DEFAULT '[]',
	port_security_enabled BOOLEAN NOT NULL,
	allowed_address_pairs TEXT NOT NULL DEFAULT '[]',
	qos_policy_id         TEXT,
	trusted               BOOLEAN,
	numa_affinity_policy  TEXT,
	vnic_type             TEXT NOT NULL,
	host_id               TEXT NOT NULL,
	profile               TEXT NOT NULL DEFAULT '{}',
	vif_type              TEXT NOT NULL,
	vif_details           TEXT NOT NULL DEFAULT '{}',
	revision_number       BIGINT NOT NULL,
	created_at            BIGINT NOT NULL,
	updated_at            BIGINT NOT NULL,
	UNIQUE (network_id, mac_address)
);
CREATE INDEX neutron_ports_project ON neutron_ports (project_id);
CREATE INDEX neutron_ports_device ON neutron_ports (device_id);

-- One row per fixed IP. The UNIQUE constraint, not a check in Go, is what
-- guarantees an address is never given twice when servers race.
CREATE TABLE neutron_ip_allocations (
	port_id    TEXT NOT NULL REFERENCES neutron_ports (id) ON DELETE CASCADE,
	subnet_id  TEXT NOT NULL REFERENCES neutron_subnets (id),
	ip_address TEXT NOT NULL,
	position   INTEGER NOT NULL,
	UNIQUE (subnet_id, ip_address)
);
CREATE INDEX neutron_ip_allocations_port ON neutron_ip_allocations (port_id);

-- Tags of networks, subnets and ports (ids are UUIDs, unique across the three).
CREATE TABLE neutron_tags (
	resource_id TEXT NOT NULL,
	tag         TEXT NOT NULL,
	PRIMARY KEY (resource_id, tag)
);
