package pipeline

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

func TestVerifyCacheAndCacheUsageByKind(t *testing.T) {
	fx := newExplainFixture(t)
	res := fx.run(testConfig)
	checked, damaged, err := VerifyCache(context.Background(), fx.eng.Cache)
	if err != nil || checked != 3 || len(damaged) != 0 {
		t.Fatalf("VerifyCache of a sound cache = %d checked, %v, %v; want 3, none", checked, damaged, err)
	}
	// Damage the scale stage's output.
	if err := os.WriteFile(res[1].Outputs["scaled"], []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	checked, damaged, err = VerifyCache(context.Background(), fx.eng.Cache)
	if err != nil || checked != 3 || len(damaged) != 1 || damaged[0].Key != res[1].Key || damaged[0].Kind != "scale" || damaged[0].Reason == "" {
		t.Errorf("VerifyCache with a damaged entry = %d checked, %+v, %v; want the scale entry with its reason", checked, damaged, err)
	}
	kinds, total, err := CacheUsage(fx.eng.Cache)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	sum := int64(0)
	for _, k := range kinds {
		names = append(names, k.Kind)
		sum += k.Bytes
		if k.Entries != 1 || k.Bytes <= 0 {
			t.Errorf("usage of kind %s = %+v, want one entry of some size", k.Kind, k)
		}
	}
	if len(names) != 3 || names[0] != "scale" || names[1] != "sink" || names[2] != "source" || total.Entries != 3 || total.Bytes != sum {
		t.Errorf("CacheUsage = %v, total %+v; want scale, sink, source, each once, and their sum", kinds, total)
	}
}

// failingVerify is a store whose Verify fails for a reason that is not the entry's.
type failingVerify struct{ cache.Store }

func (failingVerify) Verify(string) error {
	return errors.New("the server is down or not answering")
}

// TestVerifyCacheDoesNotCallAnOutageDamage: an error that says nothing of an entry (a server
// down) ends the check with that error instead of listing sound entries as damaged.
func TestVerifyCacheDoesNotCallAnOutageDamage(t *testing.T) {
	fx := newExplainFixture(t)
	fx.run(testConfig)
	checked, damaged, err := VerifyCache(context.Background(), failingVerify{fx.eng.Cache})
	if err == nil || !strings.Contains(err.Error(), "server is down") || len(damaged) != 0 {
		t.Errorf("VerifyCache with the store unreachable = %d checked, %v, %v; want the error and nothing damaged", checked, damaged, err)
	}
}

// countingVerify is a store that cancels a context at its second Verify.
type countingVerify struct {
	cache.Store
	n      *int
	cancel func()
}

func (c countingVerify) Verify(key string) error {
	if *c.n++; *c.n == 2 {
		c.cancel()
	}
	return c.Store.Verify(key)
}

// TestVerifyCacheStopsWhenItsContextEnds: an interrupt during cache verify
// stops it at the next entry, with the context's error, rather than
// after hashing every entry.
func TestVerifyCacheStopsWhenItsContextEnds(t *testing.T) {
	fx := newExplainFixture(t)
	fx.run(testConfig)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	checked, _, err := VerifyCache(ctx, countingVerify{fx.eng.Cache, &n, cancel})
	if !errors.Is(err, context.Canceled) || checked != 2 || n != 2 {
		t.Errorf("VerifyCache cancelled at its second entry = %d checked (%d verified), %v; want 2 and the context's error", checked, n, err)
	}
}
