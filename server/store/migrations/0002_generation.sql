-- A counter every administrative change bumps, so each replica can tell
-- with one cheap read a second whether its account and permission caches
-- are stale, and cache them for long otherwise.
CREATE TABLE generation (
	id INTEGER PRIMARY KEY,
	n  BIGINT NOT NULL
);

INSERT INTO generation (id, n) VALUES (1, 0);
