package s3store

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// faultOnce makes the fake server answer the first request for which
// match holds with what mangle makes of the true answer; later requests
// are answered as they are.
func faultOnce(f *fake, match func(*http.Request) bool, mangle func(w http.ResponseWriter, rec *httptest.ResponseRecorder)) *atomic.Bool {
	var done atomic.Bool
	fault(f, func(r *http.Request) bool { return match(r) && done.CompareAndSwap(false, true) }, mangle)
	return &done
}

// fault makes the fake server answer every request for which match holds
// with what mangle makes of the true answer.
func fault(f *fake, match func(*http.Request) bool, mangle func(w http.ResponseWriter, rec *httptest.ResponseRecorder)) {
	handler := f.srv.Config.Handler // the fake's own: the hook, then gofakes3
	var inner atomic.Bool           // set while the true answer is made
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if inner.Load() || !match(r) {
			return false
		}
		rec := httptest.NewRecorder()
		inner.Store(true)
		handler.ServeHTTP(rec, r)
		inner.Store(false)
		mangle(w, rec)
		return true
	})
}

// dropAfter returns a mangle that sends the first n bytes of the true
// answer under its true Content-Length, then closes the connection.
func dropAfter(n int) func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	return func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()[:min(n, rec.Body.Len())])
		w.(http.Flusher).Flush()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func getOf(part string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodGet && strings.Contains(r.URL.Path, part) }
}

// answer writes rec's answer with body and its length.
func answer(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// TestFaultsInTransitAreNeverAHit downloads an entry through answers
// changed on the way — a flipped byte, a body cut short under a matching
// Content-Length — and checks that neither is taken for the entry: each is
// a damaged entry (a miss, recomputed), and the next lookup, answered
// truly, is the entry as published.
func TestFaultsInTransitAreNeverAHit(t *testing.T) {
	cases := []struct {
		name   string
		mangle func(w http.ResponseWriter, rec *httptest.ResponseRecorder)
		want   string // in the error
		damage bool   // a *cache.DamagedError
	}{
		{"a flipped byte", func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
			b := bytes.Clone(rec.Body.Bytes())
			b[0] ^= 1
			answer(w, rec, b)
		}, "does not match its digest", true},
		{"a body cut short, and its length", func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
			answer(w, rec, rec.Body.Bytes()[:2])
		}, "has 2 bytes, want", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			k := key("transit")
			publish(t, f.open(t), k, files1)
			b := f.open(t)
			faulted := faultOnce(f, getOf("/files/"), c.mangle)
			e, err := b.Use(k)
			if !faulted.Load() {
				t.Fatal("no file was downloaded")
			}
			var damaged *cache.DamagedError
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &damaged) != c.damage {
				t.Fatalf("Use through the fault = %v, %v; want an error with %q (damaged: %v)", e, err, c.want, c.damage)
			}
			// The next process on the machine, answered truly, has the entry.
			got, err := f.openWith(t, b.opts).Use(k)
			if err != nil {
				t.Fatal(err)
			}
			if c := contents(t, got); !equalMaps(c, files1) {
				t.Errorf("the next lookup holds %v, want %v", c, files1)
			}
		})
	}
}

// TestAnUploadChangedInTransitIsNeverAHit publishes an entry whose file
// upload the server receives with a byte changed: whether the server
// refuses it (the request's signature) or stores it, another machine's
// lookup never takes those bytes for the entry.
func TestAnUploadChangedInTransitIsNeverAHit(t *testing.T) {
	f := newFake(t)
	k := key("upload")
	a := f.open(t)
	handler := f.srv.Config.Handler
	var changed atomic.Bool
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/files/") || !changed.CompareAndSwap(false, true) {
			return false
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		// The content is in the body (aws-chunked or plain): change a byte of it.
		for _, word := range []string{"alpha", "beta"} {
			if i := bytes.Index(body, []byte(word)); i >= 0 {
				body[i+1] ^= 1
				break
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
		return true
	})
	_, perr := a.Publish(k, outputs(t, a, files1), nil)
	if !changed.Load() {
		t.Fatal("no file was uploaded")
	}
	f.setHook(nil)
	e, err := f.open(t).Use(k)
	switch {
	case err == nil && !equalMaps(contents(t, e), files1):
		t.Fatalf("a hit holds %v, want %v (publish: %v)", contents(t, e), files1, perr)
	case err != nil && !errors.Is(err, cache.ErrMiss) && !errors.As(err, new(*cache.DamagedError)):
		t.Fatalf("Use = %v, want the entry, a miss or a damaged entry", err)
	}
	t.Logf("publish: %v; lookup: %v", perr, err)
}

// TestADownloadCutShortIsResumed drops the connection before or in the
// middle of a file's body: the download goes on from where it stopped (a
// GET of the rest; the file's digest still decides), so one dropped
// connection is not a failed run. Dropped every time, the lookup fails with the network's
// error after two resumptions: never a hit, nor a damaged entry.
func TestADownloadCutShortIsResumed(t *testing.T) {
	f := newFake(t)
	k := key("resumed")
	long := strings.Repeat("0123456789", 10)
	files := map[string]string{"a.txt": "alpha", "long.txt": long}
	publish(t, f.open(t), k, files)
	longFile := "/files/" + digest([]byte(long))[:2] + "/"
	var ranges []string
	var mu sync.Mutex
	isLongFile := func(r *http.Request) bool {
		if !getOf(longFile)(r) {
			return false
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		return true
	}
	// Before any byte of the body, the file is asked for again.
	faultOnce(f, isLongFile, dropAfter(0))
	if _, err := f.open(t).Use(k); err != nil {
		t.Fatalf("Use with one connection dropped before the body: %v", err)
	}
	if want := []string{"", ""}; !slices.Equal(ranges, want) {
		t.Errorf("the file was asked for with ranges %q, want %q", ranges, want)
	}

	ranges = nil
	faultOnce(f, isLongFile, dropAfter(2))
	got, err := f.open(t).Use(k)
	if err != nil {
		t.Fatalf("Use with one connection dropped mid-body: %v", err)
	}
	if c := contents(t, got); !equalMaps(c, files) {
		t.Errorf("the hit holds %v, want %v", c, files)
	}
	if want := []string{"", "bytes=2-"}; !slices.Equal(ranges, want) {
		t.Errorf("the file was asked for with ranges %q, want %q", ranges, want)
	}

	ranges = nil
	fault(f, isLongFile, dropAfter(2))
	_, err = f.open(t).Use(k)
	var damaged *cache.DamagedError
	if err == nil || errors.As(err, &damaged) || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("Use with every connection dropped = %v, want the network's error", err)
	}
	if len(ranges) != 3 {
		t.Errorf("the file was asked for %d times (%q), want 3: once and two resumptions", len(ranges), ranges)
	}
}
