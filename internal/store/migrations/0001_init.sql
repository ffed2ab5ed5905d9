-- The control plane's first schema. Portable SQL: it runs unchanged on
-- SQLite and PostgreSQL. Ids are UUID strings made by the store; times are
-- Unix nanoseconds (BIGINT); lists are JSON text.

CREATE TABLE hosts (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE,
	personality    TEXT NOT NULL,
	administrative TEXT NOT NULL,
	operational    TEXT NOT NULL,
	numa_nodes     TEXT NOT NULL DEFAULT '[]',
	last_report    BIGINT,
	last_heartbeat BIGINT,
	-- Bumped by every change to the host's desired state; the agent
	-- protocol of a later issue long-polls it.
	revision       BIGINT NOT NULL DEFAULT 0,
	-- The last revision the agent reported as applied.
	applied        BIGINT NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

-- Physical NIC ports, replaced from each agent report; a port keeps its id
-- as long as its PCI address is reported.
CREATE TABLE ports (
	id                      TEXT PRIMARY KEY,
	host_id                 TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	name                    TEXT NOT NULL,
	pciaddr                 TEXT NOT NULL,
	pvendor                 TEXT NOT NULL,
	pdevice                 TEXT NOT NULL,
	psvendor                TEXT NOT NULL,
	psdevice                TEXT NOT NULL,
	driver                  TEXT NOT NULL,
	numa_node               INTEGER NOT NULL,
	mac                     TEXT NOT NULL,
	mtu                     INTEGER NOT NULL,
	speed                   INTEGER NOT NULL,
	link                    TEXT NOT NULL,
	sriov_totalvfs          INTEGER,
	sriov_numvfs            INTEGER NOT NULL,
	sriov_vfs_pci_address   TEXT NOT NULL,
	sriov_vf_driver         TEXT NOT NULL,
	sriov_vf_pdevice_id     TEXT NOT NULL,
	sriov_drivers_autoprobe BOOLEAN NOT NULL,
	created_at              BIGINT NOT NULL,
	updated_at              BIGINT NOT NULL,
	UNIQUE (host_id, pciaddr)
);

CREATE TABLE interfaces (
	id              TEXT PRIMARY KEY,
	host_id         TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	class           TEXT NOT NULL,
	mtu             INTEGER NOT NULL,
	sriov_numvfs    INTEGER NOT NULL,
	sriov_vf_driver TEXT NOT NULL,
	max_tx_rate     INTEGER NOT NULL,
	ae_mode         TEXT NOT NULL,
	vlan_id         INTEGER NOT NULL,
	-- The port of an ethernet interface; UNIQUE: a port belongs to at most
	-- one interface.
	port_id         TEXT UNIQUE REFERENCES ports (id) ON DELETE SET NULL,
	-- Creation order: VF sub-interfaces take their VFs in this order.
	seq             BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	UNIQUE (host_id, name)
);

-- The lower interfaces of a vlan, vf or ae interface (an ae's members).
CREATE TABLE interface_lowers (
	interface_id TEXT NOT NULL REFERENCES interfaces (id) ON DELETE CASCADE,
	lower_id     TEXT NOT NULL REFERENCES interfaces (id),
	position     INTEGER NOT NULL,
	PRIMARY KEY (interface_id, lower_id)
);
CREATE INDEX interface_lowers_lower ON interface_lowers (lower_id);

CREATE TABLE datanetworks (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE,
	type           TEXT NOT NULL,
	mtu            INTEGER NOT NULL,
	description    TEXT NOT NULL,
	segment_ranges TEXT NOT NULL DEFAULT '[]',
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE interface_datanetworks (
	id             TEXT PRIMARY KEY,
	interface_id   TEXT NOT NULL REFERENCES interfaces (id) ON DELETE CASCADE,
	datanetwork_id TEXT NOT NULL REFERENCES datanetworks (id),
	created_at     BIGINT NOT NULL,
	UNIQUE (interface_id, datanetwork_id)
);
CREATE INDEX interface_datanetworks_datanetwork ON interface_datanetworks (datanetwork_id);

-- API tokens, stored as the SHA-256 of the token: tokens are 32 random bytes,
-- so a plain hash is as strong as a slow one here.
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	hash       TEXT NOT NULL UNIQUE,
	project    TEXT NOT NULL,
	roles      TEXT NOT NULL,
	host       TEXT NOT NULL,
	expires_at BIGINT,
	created_at BIGINT NOT NULL
);

CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	host_id    TEXT REFERENCES hosts (id) ON DELETE CASCADE,
	at         BIGINT NOT NULL,
	type       TEXT NOT NULL,
	message    TEXT NOT NULL
);
CREATE INDEX events_host_at ON events (host_id, at);
