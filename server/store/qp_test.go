package store

import (
	"strings"
	"testing"
)

// TestQueryPlans keeps the hot-path queries on their indexes: a full scan
// would pass every functional test and still ruin latency at 100,000 rules.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	db := openDSN(t, sqliteDSN(t), newClock())
	tests := []struct{ name, query, want string }{
		{"get robot", "SELECT " + robotCols + " FROM robots WHERE name = $1", "sqlite_autoindex_robots_1"},
		{"list permissions", "SELECT " + permCols + " FROM permissions WHERE subject = $1 ORDER BY id", "permissions_subject"},
		{"cascade from robot", "DELETE FROM permissions WHERE robot_name = $1", "permissions_robot"},
		{"audit page", "SELECT id FROM audit WHERE id < $1 ORDER BY id DESC LIMIT 10", "INTEGER PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.query, "x")
			must(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				must(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			got := strings.Join(plan, "; ")
			if !strings.Contains(got, tc.want) || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan %q, want it to use %s without sorting", got, tc.want)
			}
		})
	}
}
