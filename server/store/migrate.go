package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migrations are numbered files, NNNN_name.sql, applied in order. Never edit
// one that has shipped: add the next number. Keep them additive (new tables,
// nullable or defaulted columns) so that replicas still running the previous
// version keep working during a rolling upgrade.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int64
	name    string
	stmts   []string
}

func loadMigrations(d *dialect) ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, f := range files { // Glob sorts, and names are zero-padded
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad number: %w", f, err)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, stmts: splitSQL(d.ddl.Replace(string(b)))})
	}
	return ms, nil
}

// splitSQL drops "--" comment lines and splits at ";". Our migrations hold
// no semicolons inside strings, triggers or function bodies.
func splitSQL(s string) []string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	var out []string
	for stmt := range strings.SplitSeq(b.String(), ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// migrate applies the missing migrations in one transaction. Replicas
// starting together serialise on the lock: PostgreSQL's advisory lock, or
// SQLite's write lock (BEGIN IMMEDIATE, waiting up to busy_timeout). The
// second one then finds everything applied and does nothing.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(db.d)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.d.lockMigrations(ctx, tx); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		applied := map[int64]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				m.version, m.name, nanos(db.now())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}
