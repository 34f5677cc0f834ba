package store

import (
	"context"
	"fmt"
)

// Generation returns the change counter (see migration 0002).
func (db *DB) Generation(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, "SELECT n FROM generation WHERE id = 1").Scan(&n); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return n, nil
}

// BumpGeneration tells every replica that accounts or permissions changed.
func (db *DB) BumpGeneration(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, "UPDATE generation SET n = n + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("bump generation: %w", err)
	}
	return nil
}
