package s3store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/nnpipe/nnpipe/pipeline/cache"
)

const testBucket = "nnpipe-test"

// clock is the fake server's clock, for its Last-Modified and Date: tests
// move it on to make leases and markers old.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fake is an in-process S3 server (gofakes3) with a fake clock, and a
// hook that sees every request first.
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	backend *s3mem.Backend
	clock   *clock

	mu   sync.Mutex
	hook func(w http.ResponseWriter, r *http.Request) bool // true: handled
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	f.backend = s3mem.New(s3mem.WithTimeSource(f.clock))
	if err := f.backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	s3 := gofakes3.New(f.backend, gofakes3.WithTimeSource(f.clock), gofakes3.WithTimeSkewLimit(0)).Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", f.clock.Now().Format(http.TimeFormat))
		f.mu.Lock()
		hook := f.hook
		f.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		s3.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	f.hook = h
	f.mu.Unlock()
}

func (f *fake) options(t *testing.T) Options {
	return Options{Endpoint: f.srv.URL, AccessKey: "key", SecretKey: "secret", Timeout: 10 * time.Second,
		LeaseTTL: time.Minute, CopyDir: t.TempDir(), CopyBytes: DefaultCopyBytes}
}

// open opens a store on the fake, at prefix "p", with a local copy of its
// own: another machine.
func (f *fake) open(t *testing.T) *Store {
	t.Helper()
	return f.openWith(t, f.options(t))
}

func (f *fake) openWith(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), cache.Location{Bucket: testBucket, Prefix: "p"}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// objects lists the objects under the prefix, relative to it.
func (f *fake) objects() []string {
	f.t.Helper()
	res, err := f.backend.ListBucket(testBucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, o := range res.Contents {
		out = append(out, strings.TrimPrefix(o.Key, "p/"))
	}
	return out
}

func (f *fake) has(name string) bool {
	for _, o := range f.objects() {
		if o == name {
			return true
		}
	}
	return false
}

func (f *fake) read(name string) []byte {
	f.t.Helper()
	o, err := f.backend.GetObject(testBucket, "p/"+name, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	defer o.Contents.Close()
	b, err := io.ReadAll(o.Contents)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fake) write(name string, b []byte) {
	f.t.Helper()
	meta := map[string]string{"Last-Modified": f.clock.Now().Format(http.TimeFormat)}
	if _, err := f.backend.PutObject(testBucket, "p/"+name, meta, bytes.NewReader(b), int64(len(b)), nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fake) remove(name string) {
	f.t.Helper()
	if _, err := f.backend.DeleteObject(testBucket, "p/"+name); err != nil {
		f.t.Fatal(err)
	}
}

// key returns a cache key made from s.
func key(s string) string { return cache.Key("test " + s) }

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// outputs makes a build folder of s holding files (name -> content).
func outputs(t *testing.T, s *Store, files map[string]string) string {
	t.Helper()
	dir, err := s.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publish publishes files as the entry for k and returns it.
func publish(t *testing.T, s *Store, k string, files map[string]string) *cache.Entry {
	t.Helper()
	e, err := s.Publish(k, outputs(t, s, files), map[string]string{"stage": "test"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// contents reads the files of a local entry folder.
func contents(t *testing.T, e *cache.Entry) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range e.Files {
		b, err := os.ReadFile(filepath.Join(e.Dir, filepath.FromSlash(f.Name)))
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds; go test's timeout is the only bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond) // how often to look, not a deadline
	defer tick.Stop()
	for !cond() {
		select {
		case <-t.Context().Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}
