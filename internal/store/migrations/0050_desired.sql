-- The agent protocol (issue 5): what each host's agent last reported as
-- applied, and the host events operators list. Portable SQL as in 0001.

-- apply_failed: the agent's last applied report had kernel errors, refused
-- parts or writes still to make. A host is operationally enabled when its
-- agent reports in time, has applied the desired revision and this is false.
ALTER TABLE hosts ADD COLUMN apply_failed BOOLEAN NOT NULL DEFAULT FALSE;

-- The agent's last applied report of each host, as it sent it (JSON): the
-- observed PFs and VFs, per-operation errors, unsupported capabilities.
CREATE TABLE host_applied (
	host_id     TEXT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
	revision    BIGINT NOT NULL,
	converged   BOOLEAN NOT NULL,
	errors      INTEGER NOT NULL,
	-- What the host's drivers lack, handed back in the desired state so that
	-- a restarted agent does not send it again.
	unsupported TEXT NOT NULL DEFAULT '[]',
	-- The error and problem messages of the report, to record error events
	-- only when they change rather than at every pass.
	error_digest TEXT NOT NULL DEFAULT '',
	report      TEXT NOT NULL,
	reported_at BIGINT NOT NULL
);

-- Events (0001) gain the object they concern; their type is the kind:
-- drift, error, reset or info.
ALTER TABLE events ADD COLUMN object TEXT NOT NULL DEFAULT '';
-- Orders the events one transaction records at the same time.
ALTER TABLE events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_at ON events (at);
