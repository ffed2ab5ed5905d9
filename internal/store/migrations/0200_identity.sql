-- Keystone v3-compatible identity (issue 11): users, projects and their role
-- assignments, over the tokens table of 0001. Portable SQL as in 0001.
--
-- There is one domain, Keystone's `default` (name "Default"), so there is no
-- domains table: every user and project lives in it, and names are unique
-- across the whole store. Roles are the store's fixed set (admin, member,
-- reader, service), so they need no table either: an assignment names one.

CREATE TABLE projects (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	enabled     BOOLEAN NOT NULL,
	created_at  BIGINT NOT NULL
);

CREATE TABLE users (
	id                 TEXT PRIMARY KEY,
	name               TEXT NOT NULL UNIQUE,
	-- bcrypt: a slow hash, so that a copy of the database does not give
	-- away the passwords.
	password_hash      TEXT NOT NULL,
	default_project_id TEXT REFERENCES projects (id) ON DELETE SET NULL,
	email              TEXT NOT NULL,
	enabled            BOOLEAN NOT NULL,
	created_at         BIGINT NOT NULL
);

CREATE TABLE role_assignments (
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	role       TEXT NOT NULL,
	PRIMARY KEY (user_id, project_id, role)
);
CREATE INDEX role_assignments_project ON role_assignments (project_id);

-- A token issued to a user (password or token method) names the user and
-- the methods; tokens made by `vfnet token create` and the bootstrap admin
-- token have none. Deleting a user or a project deletes its tokens, which
-- these indexes find.
ALTER TABLE tokens ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN methods TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_project ON tokens (project);
