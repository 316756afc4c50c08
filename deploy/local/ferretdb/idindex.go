package main

// FerretDB v1.24's SQLite backend creates each collection's unique `_id_` index on the
// expression `_ferretdb_sjson->"_id"`, but looks documents up by `_ferretdb_sjson->'$._id'`
// (a find, an update or a delete by `_id`, and the `IN` list of every delete). SQLite uses an
// expression index only for the very same expression, so each of those scans the whole table and
// parses every document's JSON: the cost of a write by `_id` grows with the collection (FerretDB
// issue #4646 is the same mismatch on its PostgreSQL backend).
//
// keepIDIndexes rebuilds each such index, under its own name and still unique, on the expression
// the queries use, in one transaction; FerretDB's own metadata (the index list it reports) does
// not change. It looks every `interval` for tables FerretDB created since, so a new collection is
// scanned only until its first check. docs/decisions/ferretdb-id-index.md has the measurements.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// ferretIDIndex is how FerretDB v1 declares the `_id_` index; lookupIDIndex is the expression
// its queries compare.
const (
	ferretIDIndex = `_ferretdb_sjson->"_id")`
	lookupIDIndex = `_ferretdb_sjson->'$._id'`
)

func keepIDIndexes(ctx context.Context, dir string, interval time.Duration, logger *slog.Logger) {
	for {
		files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		if err != nil {
			logger.Warn("id index: listing databases", "error", err)
		}
		for _, file := range files {
			if err := fixIDIndexes(ctx, file, logger); err != nil && ctx.Err() == nil {
				logger.Warn("id index: not rebuilt (tried again later)", "database", file, "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func fixIDIndexes(ctx context.Context, file string, logger *slog.Logger) error {
	// mode=rw: a database FerretDB dropped meanwhile is not created again
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	rows, err := db.QueryContext(ctx, `SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql LIKE ?`,
		"%"+ferretIDIndex)
	if err != nil {
		return err
	}
	var stale [][2]string
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, [2]string{name, table})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	for _, s := range stale {
		started := time.Now()
		if err := rebuild(ctx, db, s[0], s[1]); err != nil {
			return fmt.Errorf("%s: %w", s[0], err)
		}
		logger.Info("id index rebuilt on the lookup expression", "database", filepath.Base(file),
			"index", s[0], "took", time.Since(started))
	}
	return nil
}

func rebuild(ctx context.Context, db *sql.DB, name, table string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var current string
	// still FerretDB's declaration (another check may have rebuilt it, the table may be gone)
	err = tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&current)
	if err == sql.ErrNoRows || (err == nil && !strings.HasSuffix(current, ferretIDIndex)) {
		return nil
	}
	if err != nil {
		return err
	}
	quoted := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if _, err := tx.ExecContext(ctx, "DROP INDEX "+quoted(name)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s (%s)", quoted(name), quoted(table), lookupIDIndex)); err != nil {
		return err
	}
	return tx.Commit()
}
