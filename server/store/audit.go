package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/regauth/regauth/server/model"
)

// The audit log is written by one background goroutine so that a token
// request only pays a channel send. Under load events are written in
// batches of up to auditBatch rows per transaction (one fsync each); when
// idle each event is written as soon as it arrives.
//
// Loss semantics: AppendAudit returning means the event is queued, not
// stored. A crash or kill -9 loses what is queued and not yet committed —
// at most the buffer, in practice the few milliseconds of events behind
// the current write. Close and Flush write everything queued before them.
// If the writer falls behind and the buffer fills, AppendAudit blocks
// (back-pressure) rather than dropping events silently.

const auditBatch = 512

var errClosed = errors.New("store is closed")

type auditReq struct {
	ev    model.AuditEvent
	flush chan error // non-nil: a Flush marker, answered after prior events
}

type auditWriter struct {
	db      *DB
	onError func(error)
	ch      chan auditReq
	done    chan struct{}

	mu     sync.RWMutex // held for reading while sending; Close takes it to close ch
	closed bool

	errMu sync.Mutex
	err   error // first write error since the last Flush
}

func newAuditWriter(db *DB, size int, onError func(error)) *auditWriter {
	if size <= 0 {
		size = 4096
	}
	a := &auditWriter{db: db, onError: onError, ch: make(chan auditReq, size), done: make(chan struct{})}
	go a.run()
	return a
}

// AppendAudit queues ev for the background writer; a zero Time becomes
// now. It returns at once unless the buffer is full (then it waits, or
// returns ctx's error). See the loss semantics above.
func (db *DB) AppendAudit(ctx context.Context, ev model.AuditEvent) error {
	if ev.Time.IsZero() {
		ev.Time = db.now()
	}
	if err := db.audit.send(ctx, auditReq{ev: ev}); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// Flush waits until every event queued before it is written, and returns
// the first write error since the previous Flush (those events are lost).
func (db *DB) Flush(ctx context.Context) error {
	if err := db.audit.flush(ctx); err != nil {
		return fmt.Errorf("flush audit: %w", err)
	}
	return nil
}

func (a *auditWriter) send(ctx context.Context, r auditReq) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return errClosed
	}
	select {
	case a.ch <- r:
		return nil
	default:
	}
	select {
	case a.ch <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *auditWriter) flush(ctx context.Context) error {
	done := make(chan error, 1)
	if err := a.send(ctx, auditReq{flush: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *auditWriter) close() error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.ch)
	}
	a.mu.Unlock()
	<-a.done
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.err
}

// auditGroupWait is how long the writer waits for more events to commit
// together; it bounds how stale ListAudit can be without a Flush.
const auditGroupWait = 5 * time.Millisecond

func (a *auditWriter) run() {
	defer close(a.done)
	batch := make([]auditReq, 0, auditBatch)
	for r := range a.ch {
		batch = append(batch[:0], r)
		// Group commit: after the first event, keep collecting for a few
		// milliseconds (or until the batch is full) so that a busy server
		// pays one commit and fsync per batch, not per token. A flush
		// request is written at once.
		if r.flush == nil {
			timer := time.NewTimer(auditGroupWait)
		collect:
			for len(batch) < auditBatch {
				select {
				case r, ok := <-a.ch:
					if !ok {
						break collect
					}
					batch = append(batch, r)
					if r.flush != nil {
						break collect
					}
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
		}
		a.write(batch)
	}
}

func (a *auditWriter) write(batch []auditReq) {
	var evs []model.AuditEvent
	for _, r := range batch {
		if r.flush == nil {
			evs = append(evs, r.ev)
		}
	}
	if len(evs) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := a.db.tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (time, account, client_ip, service, requested, granted, result)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, ev := range evs {
				if _, err := stmt.ExecContext(ctx, nanos(ev.Time), ev.Account, ev.ClientIP, ev.Service,
					ev.Requested, ev.Granted, ev.Result); err != nil {
					return err
				}
			}
			return nil
		})
		cancel()
		if err != nil {
			err = fmt.Errorf("write %d audit events: %w", len(evs), err)
			a.errMu.Lock()
			if a.err == nil {
				a.err = err
			}
			a.errMu.Unlock()
			if a.onError != nil {
				a.onError(err)
			}
		}
	}
	for _, r := range batch {
		if r.flush != nil {
			a.errMu.Lock()
			err := a.err
			a.err = nil
			a.errMu.Unlock()
			r.flush <- err
		}
	}
}

func scanAudit(s scanner) (*model.AuditEvent, error) {
	var ev model.AuditEvent
	var t int64
	if err := s.Scan(&ev.ID, &t, &ev.Account, &ev.ClientIP, &ev.Service, &ev.Requested, &ev.Granted, &ev.Result); err != nil {
		return nil, err
	}
	ev.Time = fromNanos(t)
	return &ev, nil
}

// ListAudit returns up to limit events (default 100, at most 1000), newest
// first, with ID below before (0: from the newest) — pass the last ID of a
// page to get the next. Events queued by AppendAudit are written first.
func (db *DB) ListAudit(ctx context.Context, limit int, before int64) ([]model.AuditEvent, error) {
	// A write error was reported to OnAuditError; still list what is there.
	if err := db.audit.flush(ctx); err != nil && (errors.Is(err, errClosed) || ctx.Err() != nil) {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q, args := "SELECT id, time, account, client_ip, service, requested, granted, result FROM audit ORDER BY id DESC LIMIT $1", []any{limit}
	if before > 0 {
		q, args = "SELECT id, time, account, client_ip, service, requested, granted, result FROM audit WHERE id < $2 ORDER BY id DESC LIMIT $1", []any{limit, before}
	}
	evs, err := list(ctx, db.r, scanAudit, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return evs, nil
}

// PruneAudit deletes events older than t, for retention.
func (db *DB) PruneAudit(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, "DELETE FROM audit WHERE time < $1", nanos(t))
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("prune audit: %w", err)
}
