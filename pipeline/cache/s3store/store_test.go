package s3store

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

var files1 = map[string]string{"a.txt": "alpha", "plots/b.png": "beta", "plots/c.png": "alpha"}

func TestPublishThenUseOnAnotherMachine(t *testing.T) {
	f := newFake(t)
	a, b := f.open(t), f.open(t)
	k := key("1")
	pub := publish(t, a, k, files1)
	if got := contents(t, pub); !equalMaps(got, files1) {
		t.Fatalf("published entry holds %v, want %v", got, files1)
	}
	// One object per distinct content: "alpha" is stored once.
	for _, want := range []string{entryName(k), fileName(digest([]byte("alpha"))), fileName(digest([]byte("beta")))} {
		if !f.has(want) {
			t.Errorf("the bucket lacks %s: %v", want, f.objects())
		}
	}
	if n := strings.Count(strings.Join(f.objects(), "\n"), "files/"); n != 2 {
		t.Errorf("%d file objects, want 2 (equal contents are stored once)", n)
	}
	got, err := b.Use(k)
	if err != nil {
		t.Fatal(err)
	}
	if c := contents(t, got); !equalMaps(c, files1) || got.Key != k || !strings.Contains(string(got.Meta), `"stage": "test"`) || !got.Created.Equal(pub.Created) {
		t.Errorf("Use on another machine = %v, key %s, meta %s; want the published entry", c, got.Key[:12], got.Meta)
	}
	if got.Dir == pub.Dir || !strings.HasPrefix(got.Dir, b.opts.CopyDir) {
		t.Errorf("the hit's files are in %s, want b's local copy %s", got.Dir, b.opts.CopyDir)
	}
}

func TestWarmHitsComeFromTheLocalCopyAndVerifyReadsTheBucket(t *testing.T) {
	f := newFake(t)
	a := f.open(t)
	k := key("warm")
	publish(t, a, k, files1)
	b := f.open(t)
	if _, err := b.Use(k); err != nil {
		t.Fatal(err)
	}
	// Damage a file in the bucket: b's local copy still serves the hit,
	// while Verify, which reads the bucket, reports it.
	f.write(fileName(digest([]byte("beta"))), []byte("bexa"))
	b2 := f.openWith(t, b.opts) // the next process on b's machine
	if _, err := b2.Use(k); err != nil {
		t.Errorf("Use with a good local copy: %v", err)
	}
	var damaged *cache.DamagedError
	if err := b2.Verify(k); !errors.As(err, &damaged) || !strings.Contains(damaged.Reason, "plots/b.png does not match its digest") {
		t.Errorf("Verify of a flipped file = %v, want damaged naming plots/b.png", err)
	}
	// And the local copy is itself verified on every hit.
	local, err := b2.local.List()
	if err != nil || len(local) != 1 {
		t.Fatalf("local copy: %v, %v", local, err)
	}
	if err := os.WriteFile(local[0].Dir+"/a.txt", []byte("alphX"), 0o644); err != nil {
		t.Fatal(err)
	}
	b3 := f.openWith(t, b.opts)
	if _, err := b3.Use(k); !errors.As(err, &damaged) {
		t.Errorf("Use with a damaged local copy and a damaged bucket file = %v, want a damaged entry", err)
	}
}

func TestDamagedEntriesAreMissesThenRepaired(t *testing.T) {
	cases := []struct {
		name   string
		damage func(f *fake, k string)
		reason string
	}{
		{"a flipped byte in a file", func(f *fake, k string) { f.write(fileName(digest([]byte("beta"))), []byte("bexa")) }, "does not match its digest"},
		{"a truncated file", func(f *fake, k string) { f.write(fileName(digest([]byte("beta"))), []byte("be")) }, "has 2 bytes, want 4"},
		{"a longer file", func(f *fake, k string) {
			f.write(fileName(digest([]byte("beta"))), []byte("beta"+strings.Repeat("x", 1<<20)))
		}, "has 5 bytes, want 4"}, // read no further than one byte past the size listed
		{"a missing file", func(f *fake, k string) { f.remove(fileName(digest([]byte("beta")))) }, "missing from the bucket"},
		{"entry.json garbage", func(f *fake, k string) { f.write(entryName(k), []byte("{garbage")) }, "entry.json is not valid"},
		{"entry.json of another key", func(f *fake, k string) {
			f.write(entryName(k), []byte(strings.ReplaceAll(string(f.read(entryName(k))), k, key("other"))))
		}, "names another key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			k := key(c.name)
			publish(t, f.open(t), k, files1)
			c.damage(f, k)
			b := f.open(t)
			var damaged *cache.DamagedError
			if _, err := b.Use(k); !errors.As(err, &damaged) || !strings.Contains(damaged.Reason, c.reason) {
				t.Fatalf("Use = %v, want a damaged entry: %s", err, c.reason)
			}
			if leftovers, _ := os.ReadDir(b.opts.CopyDir + "/tmp"); len(leftovers) != 0 {
				t.Errorf("a failed download left %d folders in the local copy's tmp", len(leftovers))
			}
			// What the engine does next: recompute and publish, which repairs.
			e, err := b.Publish(k, outputs(t, b, files1), map[string]string{"stage": "again"})
			if err != nil {
				t.Fatal(err)
			}
			if !equalMaps(contents(t, e), files1) {
				t.Errorf("republished entry holds %v", contents(t, e))
			}
			if err := f.open(t).Verify(k); err != nil {
				t.Errorf("after the republish, Verify = %v", err)
			}
		})
	}
}

// TestWritersOfOneKey runs eight publishers of one key at once, some with
// other contents: all succeed, the first writer's entry stays, and every
// publisher returns its files.
func TestWritersOfOneKey(t *testing.T) {
	f := newFake(t)
	k := key("race")
	const n = 8
	stores := make([]*Store, n)
	dirs := make([]string, n)
	for i := range stores {
		stores[i] = f.open(t)
		content := map[string]string{"out.txt": "same"}
		if i%2 == 1 {
			content = map[string]string{"out.txt": fmt.Sprintf("other %d", i)}
		}
		dirs[i] = outputs(t, stores[i], content)
	}
	got := make([]*cache.Entry, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = stores[i].Publish(k, dirs[i], nil)
		}()
	}
	wg.Wait()
	stored, err := cache.ParseEntry(f.read(entryName(k)), "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("publisher %d: %v", i, errs[i])
		}
		if !sameFiles(got[i].Files, stored.Files) {
			t.Errorf("publisher %d got files %v, the entry lists %v", i, got[i].Files, stored.Files)
		}
		if c := contents(t, got[i]); c["out.txt"] == "" {
			t.Errorf("publisher %d: no content", i)
		}
		if _, err := os.Stat(dirs[i]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("publisher %d left its build folder", i)
		}
	}
	if err := f.open(t).Verify(k); err != nil {
		t.Errorf("Verify after the race: %v", err)
	}
}

func TestAServerThatIgnoresIfNoneMatchIsRefused(t *testing.T) {
	f := newFake(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		r.Header.Del("If-None-Match")
		return false
	})
	s := f.open(t)
	_, err := s.Publish(key("x"), outputs(t, s, files1), nil)
	if err == nil || !strings.Contains(err.Error(), "does not honour If-None-Match") {
		t.Fatalf("Publish on a server without conditional writes = %v", err)
	}
	for _, o := range f.objects() {
		t.Errorf("left %s in the bucket", o)
	}
}

func TestFailureRecordsAndKeptOutputs(t *testing.T) {
	f := newFake(t)
	a, b := f.open(t), f.open(t)
	k := key("failed")
	if _, ok := b.Failure(k); ok {
		t.Fatal("a failure record before any")
	}
	if err := a.RecordFailure(k, map[string]string{"error": "diverged"}); err != nil {
		t.Fatal(err)
	}
	if rec, ok := b.Failure(k); !ok || string(rec) != `{"error":"diverged"}` {
		t.Errorf("Failure = %q, %v", rec, ok)
	}
	kept, err := a.KeepFailed(k, outputs(t, a, map[string]string{"history.parquet": "steps"}))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(kept + "/history.parquet"); err != nil || string(b) != "steps" {
		t.Errorf("KeepFailed's folder holds %q, %v", b, err)
	}
	dir, ok := b.FailedDir(k)
	if !ok {
		t.Fatal("FailedDir on another machine found nothing")
	}
	if got, err := os.ReadFile(dir + "/history.parquet"); err != nil || string(got) != "steps" {
		t.Errorf("FailedDir on another machine holds %q, %v", got, err)
	}
	a.ClearFailure(k)
	if _, ok := b.Failure(k); ok {
		t.Error("the record is still there after ClearFailure")
	}
}

func TestListVerifyAndSizes(t *testing.T) {
	f := newFake(t)
	s := f.open(t)
	k1, k2, k3 := key("1"), key("2"), key("3")
	publish(t, s, k1, files1)
	publish(t, s, k2, map[string]string{"x": "1234567"})
	publish(t, s, k3, map[string]string{"y": "z"})
	f.write(entryName(k3), []byte("not json"))
	if err := s.Close(); err != nil { // its lease no longer protects the entries from gc
		t.Fatal(err)
	}
	g := f.open(t)
	listed, err := g.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 {
		t.Fatalf("List = %d entries, want 3", len(listed))
	}
	// An entry's size is its entry.json and the files it lists, as the
	// file cache counts its folder.
	json1, json2 := int64(len(f.read(entryName(k1)))), int64(len(f.read(entryName(k2))))
	sizes := map[string]int64{k1: json1 + 14, k2: json2 + 7, k3: int64(len("not json"))}
	for _, l := range listed {
		if got := g.EntrySize(l); got != sizes[l.Key] {
			t.Errorf("entry %s: size %d, want %d", l.Key[:12], got, sizes[l.Key])
		}
		if (l.Key == k3) != (l.Err != nil) || (l.Key == k3) != (l.Entry == nil) {
			t.Errorf("entry %s: error %v; want one for entry 3 alone, whose entry.json is garbage", l.Key[:12], l.Err)
		}
	}
	// gc counts them alike: each entry it would remove with its size, and
	// those bytes among what it would free, with file y ("z"), which no
	// entry lists now that entry 3's entry.json is garbage.
	res := gc(t, g, cache.GCOptions{DryRun: true, Keep: func(k string) bool { return k == k1 }})
	want := []cache.Removed{{Listed: listed[slices.IndexFunc(listed, func(l cache.Listed) bool { return l.Key == k2 })], Size: sizes[k2]},
		{Listed: listed[slices.IndexFunc(listed, func(l cache.Listed) bool { return l.Key == k3 })], Size: sizes[k3]}}
	slices.SortFunc(want, func(a, b cache.Removed) int { return strings.Compare(a.Key, b.Key) })
	if len(res.Removed) != 2 || res.Removed[0].Key != want[0].Key || res.Removed[0].Size != want[0].Size ||
		res.Removed[1].Key != want[1].Key || res.Removed[1].Size != want[1].Size || res.Freed != sizes[k2]+sizes[k3]+1 {
		t.Errorf("gc --dry-run would remove %v and free %d; want %v and %d", removedSizes(res.Removed), res.Freed, removedSizes(want), sizes[k2]+sizes[k3]+1)
	}
	if err := s.Verify(k1); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := s.Verify(key("none")); !errors.Is(err, cache.ErrMiss) {
		t.Errorf("Verify of a missing key = %v, want ErrMiss", err)
	}
}

// removedSizes says which entries gc removed, and their sizes.
func removedSizes(removed []cache.Removed) []string {
	var out []string
	for _, r := range removed {
		out = append(out, fmt.Sprintf("%s %d", r.Key[:12], r.Size))
	}
	return out
}

// TestEntrySizesAgreeWithTheFileCache publishes the same outputs to the
// bucket and to a cache folder: their entries are the same size.
func TestEntrySizesAgreeWithTheFileCache(t *testing.T) {
	f := newFake(t)
	s := f.open(t)
	local := cache.Open(t.TempDir())
	defer local.Close()
	meta := map[string]string{"stage": "test"}
	for i, files := range []map[string]string{files1, {"x": "1234567"}, {"model.json": "{}", "history.parquet": "PAR1"}} {
		k := key(fmt.Sprint(i))
		if _, err := s.Publish(k, outputs(t, s, files), meta); err != nil {
			t.Fatal(err)
		}
		dir, err := local.TempDir()
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
		if _, err := local.Publish(k, dir, meta); err != nil {
			t.Fatal(err)
		}
	}
	inBucket, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	inFolder, err := local.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(inBucket) != 3 || len(inFolder) != 3 {
		t.Fatalf("%d entries in the bucket, %d in the folder; want 3 and 3", len(inBucket), len(inFolder))
	}
	for i := range inBucket {
		if b, l := s.EntrySize(inBucket[i]), local.EntrySize(inFolder[i]); inBucket[i].Key != inFolder[i].Key || b != l {
			t.Errorf("entry %s: %d bytes in the bucket, %d in the folder (entry %s)", inBucket[i].Key[:12], b, l, inFolder[i].Key[:12])
		}
	}
}

func TestCheckFolder(t *testing.T) {
	f := newFake(t)
	s := f.open(t)
	var nc *cache.NotCacheError
	if err := s.CheckFolder(); !errors.As(err, &nc) || !nc.Missing {
		t.Errorf("CheckFolder of an empty prefix = %v, want missing", err)
	}
	publish(t, s, key("1"), files1)
	if err := s.CheckFolder(); err != nil {
		t.Errorf("CheckFolder of a cache: %v", err)
	}
	f.write("photos/cat.jpg", []byte("meow"))
	if err := s.CheckFolder(); !errors.As(err, &nc) || nc.Missing || !strings.Contains(err.Error(), `"photos/"`) {
		t.Errorf("CheckFolder of a prefix with someone's files = %v", err)
	}
}

// TestCheckUse: a run may use an empty prefix or a cache, not a prefix
// that holds someone's objects, whose gc would refuse it.
func TestCheckUse(t *testing.T) {
	f := newFake(t)
	s := f.open(t)
	if err := s.CheckUse(); err != nil {
		t.Errorf("CheckUse of an empty prefix: %v", err)
	}
	publish(t, s, key("1"), files1)
	if err := s.CheckUse(); err != nil {
		t.Errorf("CheckUse of a cache: %v", err)
	}
	f.write("photos/cat.jpg", []byte("meow"))
	var nc *cache.NotCacheError
	if err := s.CheckUse(); !errors.As(err, &nc) || !strings.Contains(err.Error(), `"photos/"`) {
		t.Errorf("CheckUse of a prefix with someone's files = %v, want a *cache.NotCacheError naming photos/", err)
	}
}

// TestAnEntryJSONOverTheLimitIsDamaged: an entry.json larger than the file
// cache accepts (cache.MaxEntryJSON), even larger than the objects read
// whole, is a damaged entry as in the file cache: a lookup misses, List
// and Verify name it, gc removes it and a publish replaces it. None of
// them fails on it.
func TestAnEntryJSONOverTheLimitIsDamaged(t *testing.T) {
	for _, size := range []int{cache.MaxEntryJSON + 1, maxSmall + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := newFake(t)
			k := key("big")
			big := bytes.Repeat([]byte(" "), size)
			f.write(entryName(k), big)
			g := f.open(t) // takes no lease: List, Verify and gc record no key
			var damaged *cache.DamagedError
			if err := g.Verify(k); !errors.As(err, &damaged) || damaged.Key != k || damaged.Reason != "entry.json is too large" {
				t.Errorf("Verify = %v, want a damaged entry: entry.json is too large", err)
			}
			listed, err := g.List()
			if err != nil || len(listed) != 1 || listed[0].Key != k || listed[0].Entry != nil || listed[0].Err == nil || listed[0].Err.Error() != "entry.json is too large" {
				t.Errorf("List = %+v, %v; want the entry, damaged: entry.json is too large", listed, err)
			}
			if res := gc(t, g, cache.GCOptions{DryRun: true}); !slices.Equal(removedKeys(res), []string{k}) || !f.has(entryName(k)) {
				t.Errorf("gc --dry-run would remove %v, want the entry, and left %v", removedKeys(res), f.objects())
			}
			if res := gc(t, g, cache.GCOptions{}); !slices.Equal(removedKeys(res), []string{k}) || len(f.objects()) != 0 {
				t.Errorf("gc removed %v and left %v, want the entry and nothing left", removedKeys(res), f.objects())
			}
			f.write(entryName(k), big)
			s := f.open(t)
			if _, err := s.Use(k); !errors.As(err, &damaged) || damaged.Key != k || damaged.Reason != "entry.json is too large" {
				t.Errorf("Use = %v, want a damaged entry: entry.json is too large", err)
			}
			// What a run does next: it recomputes the miss and publishes.
			if _, err := s.Publish(k, outputs(t, s, files1), nil); err != nil {
				t.Fatalf("Publish over a damaged entry.json: %v", err)
			}
			if err := f.open(t).Verify(k); err != nil {
				t.Errorf("after the publish, Verify = %v", err)
			}
		})
	}
}

// TestAnEntryRemovedOrReplacedWhileReadIsNotDamaged removes a file of an
// entry while Verify, Get or Use reads it, as gc does once it has removed
// the entry.json: the entry is a miss when its entry.json is gone too, the
// new version is read when entry.json was replaced meanwhile, and only an
// entry.json still the one read makes the entry damaged.
func TestAnEntryRemovedOrReplacedWhileReadIsNotDamaged(t *testing.T) {
	other := map[string]string{"out.txt": "the new version"}
	cases := []struct {
		name string
		// meanwhile changes the bucket when the file is first asked for.
		meanwhile func(f *fake, k string, replacement []byte)
		want      string // "miss", "new" (the new version, sound) or a damaged entry's reason
	}{
		{"removed by gc", func(f *fake, k string, _ []byte) { f.remove(entryName(k)) }, "miss"},
		{"replaced", func(f *fake, k string, replacement []byte) { f.write(entryName(k), replacement) }, "new"},
		{"entry.json unchanged", func(*fake, string, []byte) {}, "file plots/b.png is missing from the bucket"},
	}
	lookups := []struct {
		name string
		do   func(s *Store, k string) (*cache.Entry, error)
	}{
		{"Verify", func(s *Store, k string) (*cache.Entry, error) { return nil, s.Verify(k) }},
		{"Get", (*Store).Get},
		{"Use", (*Store).Use},
	}
	for _, c := range cases {
		for _, l := range lookups {
			t.Run(c.name+"/"+l.name, func(t *testing.T) {
				f := newFake(t)
				k := key("raced")
				w := f.open(t)
				publish(t, w, k, files1)
				// The new version: another writer's entry for k, with other files.
				publish(t, w, key("other"), other)
				replacement := []byte(strings.ReplaceAll(string(f.read(entryName(key("other")))), key("other"), k))
				victim := "/" + fileName(digest([]byte("beta")))
				var once sync.Once
				f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, victim) {
						once.Do(func() {
							c.meanwhile(f, k, replacement)
							f.remove(fileName(digest([]byte("beta"))))
						})
					}
					return false
				})
				got, err := l.do(f.open(t), k)
				var damaged *cache.DamagedError
				switch {
				case c.want == "miss":
					if !errors.Is(err, cache.ErrMiss) || errors.As(err, &damaged) {
						t.Errorf("%s of an entry gc removed meanwhile = %v, want a miss", l.name, err)
					}
				case c.want == "new":
					if err != nil {
						t.Errorf("%s of an entry replaced meanwhile = %v, want the new version", l.name, err)
					} else if got != nil && !equalMaps(contents(t, got), other) {
						t.Errorf("%s of an entry replaced meanwhile holds %v, want the new version %v", l.name, contents(t, got), other)
					}
				default:
					if !errors.As(err, &damaged) || damaged.Key != k || damaged.Reason != c.want {
						t.Errorf("%s of an entry whose file went missing = %v, want a damaged entry: %s", l.name, err, c.want)
					}
				}
			})
		}
	}
}

// TestAnEntryNamesWhereTheBucketHoldsIt checks that an entry a store
// returns says where it is stored in the bucket, not only where its files
// are in the local copy: a warning asking to remove the entry (a
// --no-cache run that recomputed other outputs) must name what to remove.
func TestAnEntryNamesWhereTheBucketHoldsIt(t *testing.T) {
	f := newFake(t)
	k := key("where")
	want := "s3://" + testBucket + "/p/v1/" + k[:2] + "/" + k
	a, b := f.open(t), f.open(t)
	published := publish(t, a, k, files1)
	other, err := b.Publish(k, outputs(t, b, map[string]string{"a.txt": "recomputed otherwise"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	used, err := f.open(t).Use(k)
	if err != nil {
		t.Fatal(err)
	}
	for what, e := range map[string]*cache.Entry{"published": published, "published second": other, "used": used} {
		if e.Location != want {
			t.Errorf("the %s entry's Location is %q, want %q (its files are in %s)", what, e.Location, want, e.Dir)
		}
	}
}
