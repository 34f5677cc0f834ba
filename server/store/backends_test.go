package store

import (
	"path/filepath"
	"testing"
)

func sqliteDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "regauth.db")
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	runSuite(t, sqliteDSN)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	postgresDSN(t) // skip (or fail in CI) early when there is none
	runSuite(t, postgresDSN)
}
