-- IPAM's free ranges (docs/performance.md, "Neutron API"): per subnet, the
-- addresses of its allocation pools that are neither the gateway nor
-- allocated, as ranges, so that a port create finds the lowest free address
-- with one index lookup instead of reading every address allocated on its
-- network. The store keeps them in the transaction that allocates or
-- releases (internal/store/ipam.go); the UNIQUE (subnet_id, ip_address) of
-- neutron_ip_allocations stays the authority.
CREATE TABLE neutron_ip_free (
	subnet_id TEXT NOT NULL REFERENCES neutron_subnets (id) ON DELETE CASCADE,
	-- The range's first and last address as lowercase hex of the address's
	-- bytes (8 digits for IPv4, 32 for IPv6): fixed width per family, so
	-- text order is address order on both databases.
	first_key TEXT NOT NULL,
	last_key  TEXT NOT NULL,
	-- Keyed by the last address: ranges never overlap, so this is also the
	-- order of first addresses, and taking the lowest address of a range
	-- (IPAM's usual step) changes first_key only, which no index holds. On
	-- PostgreSQL that makes it a HOT update; a key that moved up at every
	-- allocation would leave a dead index entry below the live one each
	-- time, and the next lookup would walk them all until a vacuum.
	PRIMARY KEY (subnet_id, last_key)
);

-- Whether the subnet's ranges are kept. Subnets created before this
-- migration have none yet: the store builds them from the subnet's
-- allocations the first time a port allocates or releases there.
ALTER TABLE neutron_subnets ADD COLUMN free_ranges BOOLEAN NOT NULL DEFAULT FALSE;
