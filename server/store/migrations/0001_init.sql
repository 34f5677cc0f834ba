-- Initial schema. Written once for both dialects: {{blob}} and {{id}} are
-- replaced per dialect (see dialect.go); every timestamp is UTC unix
-- nanoseconds in a BIGINT so neither driver's time handling matters.

CREATE TABLE users (
	name                TEXT PRIMARY KEY,
	password_hash       TEXT NOT NULL,
	admin               BOOLEAN NOT NULL DEFAULT FALSE,
	disabled            BOOLEAN NOT NULL DEFAULT FALSE,
	created_at          BIGINT NOT NULL,
	password_changed_at BIGINT NOT NULL
);

CREATE TABLE robots (
	name              TEXT PRIMARY KEY,
	namespace         TEXT NOT NULL,
	owner             TEXT NOT NULL,
	secret_hash       {{blob}} NOT NULL,
	description       TEXT NOT NULL DEFAULT '',
	expires_at        BIGINT,
	disabled          BOOLEAN NOT NULL DEFAULT FALSE,
	created_at        BIGINT NOT NULL,
	secret_changed_at BIGINT NOT NULL,
	last_used         BIGINT
);

CREATE INDEX robots_namespace ON robots (namespace);

-- A subject is "user:NAME" or "robot:NAME"; exactly one of user_name and
-- robot_name repeats NAME so that the database itself cascades deletes and
-- refuses grants to accounts that do not exist. permissions_subject is the
-- token hot path's index: a subject's rules in ID order, no sort.
CREATE TABLE permissions (
	id         {{id}},
	subject    TEXT NOT NULL,
	user_name  TEXT REFERENCES users (name) ON DELETE CASCADE,
	robot_name TEXT REFERENCES robots (name) ON DELETE CASCADE,
	pattern    TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
	created_at BIGINT NOT NULL,
	UNIQUE (subject, pattern),
	CHECK ((user_name IS NULL) <> (robot_name IS NULL))
);

CREATE INDEX permissions_subject ON permissions (subject, id);
CREATE INDEX permissions_user ON permissions (user_name);
CREATE INDEX permissions_robot ON permissions (robot_name);

-- Only a hash of a refresh token is stored: a database dump must not hand
-- out working tokens.
CREATE TABLE refresh_tokens (
	hash       {{blob}} PRIMARY KEY,
	subject    TEXT NOT NULL,
	user_name  TEXT REFERENCES users (name) ON DELETE CASCADE,
	robot_name TEXT REFERENCES robots (name) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	CHECK ((user_name IS NULL) <> (robot_name IS NULL))
);

CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_name);
CREATE INDEX refresh_tokens_robot ON refresh_tokens (robot_name);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE audit (
	id        {{id}},
	time      BIGINT NOT NULL,
	account   TEXT NOT NULL,
	client_ip TEXT NOT NULL,
	service   TEXT NOT NULL,
	requested TEXT NOT NULL,
	granted   TEXT NOT NULL,
	result    TEXT NOT NULL
);

CREATE INDEX audit_time ON audit (time);
