package store

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSQLitePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dsn, path, query string
		wantErr                bool
	}{
		{name: "absolute url", dsn: "sqlite:///var/lib/regauth/regauth.db", path: "/var/lib/regauth/regauth.db"},
		{name: "relative url", dsn: "sqlite://data/regauth.db", path: "data/regauth.db"},
		{name: "opaque", dsn: "sqlite:regauth.db", path: "regauth.db"},
		{name: "plain path", dsn: "/tmp/x.db", path: "/tmp/x.db"},
		{name: "parameters", dsn: "sqlite:///x.db?_pragma=synchronous(NORMAL)", path: "/x.db", query: "_pragma=synchronous%28NORMAL%29"},
		{name: "empty", dsn: "sqlite://", wantErr: true},
		{name: "memory", dsn: "sqlite://:memory:", wantErr: true},
		{name: "file uri", dsn: "file:x.db", wantErr: true},
		{name: "other scheme", dsn: "mysql://u@h/db", wantErr: true},
		{name: "bad query", dsn: "x.db?%zz", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, q, err := sqlitePath(tc.dsn)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && (path != tc.path || q.Encode() != tc.query) {
				t.Errorf("got %q %q, want %q %q", path, q.Encode(), tc.path, tc.query)
			}
		})
	}
}

func TestSQLiteParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		extra    url.Values
		readOnly bool
		want     []string
	}{
		{name: "writer", want: []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"}},
		{name: "reader", readOnly: true, want: []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)"}},
		{name: "override", extra: url.Values{"_pragma": {"Synchronous = NORMAL", "cache_size(-20000)"}},
			want: []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "Synchronous = NORMAL", "cache_size(-20000)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(sqliteParams(tc.extra, tc.readOnly))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, q["_pragma"]); diff != "" {
				t.Errorf("pragmas (-want +got):\n%s", diff)
			}
			if got := q.Get("_txlock"); (got == "immediate") == tc.readOnly {
				t.Errorf("_txlock = %q", got)
			}
		})
	}
}

// TestSQLitePragmas checks the settings actually in force on both pools.
func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	db := openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "p.db"), newClock())
	tests := []struct {
		pragma   string
		w, r     string
		readOnly bool
	}{
		{pragma: "journal_mode", w: "wal", r: "wal"},
		{pragma: "synchronous", w: "2", r: "2"}, // FULL; readers never commit
		{pragma: "foreign_keys", w: "1", r: "1"},
		{pragma: "busy_timeout", w: "10000", r: "10000"},
		{pragma: "query_only", w: "0", r: "1"},
	}
	for _, tc := range tests {
		var w, r string
		must(t, db.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&w))
		must(t, db.r.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&r))
		if w != tc.w || (r != tc.r && tc.pragma != "synchronous") {
			t.Errorf("%s: writer %s reader %s, want %s %s", tc.pragma, w, r, tc.w, tc.r)
		}
	}
	if _, err := db.r.ExecContext(ctx, "DELETE FROM users"); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write on the read pool: err = %v", err)
	}
}

func FuzzSQLitePath(f *testing.F) {
	for _, s := range []string{"sqlite:///a/b.db", "sqlite:x?_pragma=a(1)", "x.db", "postgres://h/db", "sqlite://?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		path, _, err := sqlitePath(dsn)
		if err == nil && (path == "" || strings.Contains(path, "?")) {
			t.Errorf("sqlitePath(%q) = %q", dsn, path)
		}
	})
}
