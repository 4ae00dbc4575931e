package s3store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Names of the lease objects and of the gc marker.
const (
	leasesDir = "leases/"
	aliveName = "alive"
	gcName    = "gc"
	leaseKey  = "key "
	leaseFile = "file "
	// segmentLines bounds a lease segment: each line rewrites the segment,
	// so a process recording n lines uploads about n × segmentLines / 2
	// lines in all (some 3.5 KB a line), and gc reads n / segmentLines
	// objects of it.
	segmentLines = 100
)

// lease is this process's record, in the bucket, of the entries and files
// it relies on: leases/<id>/alive, rewritten as a heartbeat, and segments
// leases/<id>/<n> holding the lines. It is created on first need.
type lease struct {
	s *Store

	mu    sync.Mutex // serialises writing a segment and the gc check after it
	id    string
	hb    *heartbeat
	held  map[string]bool
	seg   int
	lines []string // of the current segment
}

// hold records lines in the lease, unless they are already, and then
// waits while a gc runs (see the package documentation). It fails when
// the lease has lapsed.
func (l *lease) hold(lines ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var fresh []string
	for _, line := range lines {
		if !l.held[line] && !contains(fresh, line) {
			fresh = append(fresh, line)
		}
	}
	if len(fresh) == 0 {
		return l.checkLocked()
	}
	if l.hb == nil {
		if err := l.create(); err != nil {
			return err
		}
	}
	if err := l.hb.check(); err != nil {
		return err
	}
	if len(l.lines)+len(fresh) > segmentLines {
		l.seg++
		l.lines = nil
	}
	all := append(append([]string{}, l.lines...), fresh...)
	body := strings.Join(all, "\n") + "\n"
	if err := l.s.c.putBytes(l.s.ctx, segmentName(l.id, l.seg), []byte(body), false); err != nil {
		return fmt.Errorf("record in the lease: %w", err)
	}
	l.lines = all
	// Held only once no gc can have missed them: a failed look at the gc marker leaves them
	// to be waited for again (and written again, harmlessly) by the next hold.
	if err := l.s.waitForGC(); err != nil {
		return err
	}
	for _, line := range fresh {
		l.held[line] = true
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func segmentName(id string, n int) string { return fmt.Sprintf("%s%s/%06d", leasesDir, id, n) }

// create writes the lease's alive object and starts its heartbeat. The
// object is created twice with If-None-Match: *, and the second create
// must be refused: a server that ignores the condition would let two
// writers of one entry replace each other, so it is refused first.
func (l *lease) create() error {
	b := make([]byte, 12)
	rand.Read(b)
	id := hex.EncodeToString(b)
	host, _ := os.Hostname()
	body := []byte(fmt.Sprintf("nnpipe cache lease: pid %d on %s\n", os.Getpid(), host))
	alive := leasesDir + id + "/" + aliveName
	start := time.Now()
	if err := l.s.c.putBytes(l.s.ctx, alive, body, true); err != nil {
		return fmt.Errorf("create the lease: %w", err)
	}
	switch err := l.s.c.putBytes(l.s.ctx, alive, body, true); {
	case err == nil:
		ctx, cancel := l.s.closeContext()
		defer cancel()
		l.s.c.remove(ctx, alive)
		return fmt.Errorf("the server at %s does not honour If-None-Match: * on PutObject (it replaced %s); the cache needs conditional writes", l.s.endpoint(), l.s.name(alive))
	case !errors.Is(err, errExists):
		return fmt.Errorf("create the lease: %w", err)
	}
	l.id, l.held, l.seg, l.lines = id, map[string]bool{}, 0, nil
	l.hb = startHeartbeat(l.s.ctx, l.s.opts.LeaseTTL, start, "the lease "+l.s.name(alive), func(ctx context.Context) error {
		return l.s.c.putBytes(ctx, alive, body, false)
	})
	return nil
}

// check fails when the lease has lapsed: what it protects may be gone.
func (l *lease) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checkLocked()
}

func (l *lease) checkLocked() error {
	if l.hb == nil {
		return nil
	}
	return l.hb.check()
}

// release stops the heartbeat and deletes the lease; the store may take
// a new one afterwards.
func (l *lease) release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hb == nil {
		return nil
	}
	l.hb.end()
	l.hb = nil
	ctx, cancel := l.s.closeContext()
	defer cancel()
	var err error
	for n := l.seg; n >= 0; n-- {
		err = errors.Join(err, l.s.c.remove(ctx, segmentName(l.id, n)))
	}
	// alive last: a lease whose segments outlive it is still dead.
	err = errors.Join(err, l.s.c.remove(ctx, leasesDir+l.id+"/"+aliveName))
	if err != nil {
		return fmt.Errorf("release the lease: %w", err)
	}
	return nil
}

// waitForGC returns once no live gc marker exists: at once, unless a gc
// is running. A marker whose heartbeat stopped more than the lease TTL ago
// (by the server's clock) belongs to a gc that died and is ignored.
func (s *Store) waitForGC() error {
	poll := 20 * time.Millisecond // doubled up to a second: most gc runs are short
	for {
		o, err := s.c.stat(s.ctx, gcName)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("look for a gc: %w", err)
		}
		if s.c.clock.now().Sub(o.LastModified) > s.opts.LeaseTTL {
			return nil
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, time.Second, s.opts.LeaseTTL/6)
	}
}

// heartbeat rewrites an object every TTL/6 for as long as it is not ended
// and has not lapsed: TTL/2 after the start of the last write that
// succeeded, as this machine's monotonic clock measures it.
type heartbeat struct {
	ttl  time.Duration
	what string

	mu      sync.Mutex
	last    time.Time // the start of the last write that succeeded
	lastErr error
	stop    chan struct{}
	done    chan struct{}
}

func startHeartbeat(ctx context.Context, ttl time.Duration, first time.Time, what string, write func(context.Context) error) *heartbeat {
	h := &heartbeat{ttl: ttl, what: what, last: first, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(ttl / 6)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if h.check() != nil {
				return // lapsed: writing again could revive what others judged dead
			}
			start := time.Now()
			err := write(ctx)
			h.mu.Lock()
			if err == nil {
				h.last = start
			} else {
				h.lastErr = err
			}
			h.mu.Unlock()
		}
	}()
	return h
}

// check fails once the heartbeat has lapsed.
func (h *heartbeat) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if since := time.Since(h.last); since >= h.ttl/2 {
		why := ""
		if h.lastErr != nil {
			why = fmt.Sprintf(" (last error: %v)", h.lastErr)
		}
		return fmt.Errorf("%s lapsed: no heartbeat reached the server for %v%s; what it protected may have been removed",
			h.what, since.Round(time.Second), why)
	}
	return nil
}

// end stops the heartbeat and waits for its goroutine.
func (h *heartbeat) end() {
	close(h.stop)
	<-h.done
}
