// Command rsnms-ferretdb runs FerretDB v1 (SQLite backend) embedded, as the local
// MongoDB-wire server of the RSNMS platform. It listens on loopback only and keeps
// its data in a directory that survives restarts.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // profiles on -debug-addr only
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "./data", "directory for SQLite files (created if missing)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	debugAddr := flag.String("debug-addr", "", "loopback address for Go's pprof handlers (/debug/pprof/), off when empty")
	flag.Parse()

	if *debugAddr != "" {
		go func() {
			fmt.Fprintln(os.Stderr, "ferretdb: pprof:", http.ListenAndServe(*debugAddr, nil))
		}()
	}

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail(err)
	}
	logger := slog.New(newQuietEndSessions(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go keepIDIndexes(ctx, dir, time.Second, logger)

	fmt.Fprintf(os.Stderr, "ferretdb listening uri=%s data=%s\n", f.MongoDBURI(), dir)
	if err := f.Run(ctx); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}

// quietEndSessions drops the two WARN lines ("Response header", "Response message") FerretDB v1
// logs for its error reply to endSessions, which it does not implement and every MongoDB driver
// sends when a client closes. Every other record passes unchanged.
//
// FerretDB logs the header first, then the message, through one logger per connection (made with
// WithAttrs), so each connection's handler holds back a WARN header until the next record of that
// connection says whether it belongs to an endSessions reply.
//
// It also applies attributes lazily: FerretDB makes a logger with the SQL arguments (whole
// documents) for every statement it runs, to log them at DEBUG, and slog's text handler formats
// attributes as soon as they are added. Formatting them only for a record that is logged saved
// about a tenth of the server's CPU (docs/decisions/ferretdb-id-index.md).
type quietEndSessions struct {
	root  slog.Handler        // answers Enabled: the level does not depend on attributes
	inner func() slog.Handler // the handler with this one's attributes, made for its first record
	mu    sync.Mutex
	held  *slog.Record
}

func newQuietEndSessions(h slog.Handler) *quietEndSessions {
	return &quietEndSessions{root: h, inner: func() slog.Handler { return h }}
}

const endSessionsReply = "no such command: 'endSessions'"

func (h *quietEndSessions) Enabled(ctx context.Context, level slog.Level) bool {
	return h.root.Enabled(ctx, level)
}

func (h *quietEndSessions) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Level == slog.LevelWarn && strings.HasPrefix(r.Message, "Response header:") {
		if err := h.flush(ctx); err != nil {
			return err
		}
		held := r.Clone()
		h.held = &held
		return nil
	}
	if h.held != nil && r.Level == slog.LevelWarn && strings.Contains(r.Message, endSessionsReply) {
		h.held = nil
		return nil
	}
	if err := h.flush(ctx); err != nil {
		return err
	}
	return h.inner().Handle(ctx, r)
}

func (h *quietEndSessions) flush(ctx context.Context) error {
	if h.held == nil {
		return nil
	}
	held := *h.held
	h.held = nil
	return h.inner().Handle(ctx, held)
}

func (h *quietEndSessions) WithAttrs(attrs []slog.Attr) slog.Handler {
	parent := h.inner
	return &quietEndSessions{root: h.root, inner: sync.OnceValue(func() slog.Handler { return parent().WithAttrs(attrs) })}
}

func (h *quietEndSessions) WithGroup(name string) slog.Handler {
	parent := h.inner
	return &quietEndSessions{root: h.root, inner: sync.OnceValue(func() slog.Handler { return parent().WithGroup(name) })}
}
