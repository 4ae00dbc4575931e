package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// EntryKind returns the stage kind an entry's metadata records, or "?".
func EntryKind(l cache.Listed) string {
	if l.Entry == nil {
		return "?"
	}
	var m EntryMeta
	if json.Unmarshal(l.Entry.Meta, &m) != nil || m.Kind == "" {
		return "?"
	}
	return m.Kind
}

// DamagedEntry is a cache entry that does not verify.
type DamagedEntry struct {
	Key, Kind, Reason string
}

// VerifyCache checks every entry of c against its digests, as a hit does,
// and returns how many it checked and those that are damaged, in key
// order. An entry removed since it was listed (by gc, or replaced by a
// run) is not counted. An error that says nothing of an entry (the
// store cannot be read) ends the check with that error, and ctx's end
// with ctx's error. It writes nothing.
func VerifyCache(ctx context.Context, c cache.Store) (checked int, damaged []DamagedEntry, err error) {
	listed, err := c.List()
	if err != nil {
		return 0, nil, err
	}
	for _, l := range listed {
		if err := ctx.Err(); err != nil {
			return checked, damaged, err
		}
		reason := ""
		if l.Err != nil {
			reason = l.Err.Error()
		} else if err := c.Verify(l.Key); errors.Is(err, cache.ErrMiss) {
			continue
		} else if d := (*cache.DamagedError)(nil); errors.As(err, &d) {
			reason = d.Reason
		} else if err != nil {
			// Not the entry's fault (a server down, a folder that cannot be read): saying it
			// is damaged would send the user to delete sound entries.
			return checked, damaged, fmt.Errorf("verify %s: %w", shortHash(l.Key), err)
		}
		checked++
		if reason != "" {
			damaged = append(damaged, DamagedEntry{Key: l.Key, Kind: EntryKind(l), Reason: reason})
		}
	}
	return checked, damaged, nil
}

// KindUsage is the entries of a stage kind in a cache and their size.
type KindUsage struct {
	Kind    string
	Entries int
	Bytes   int64
}

// CacheUsage returns the entries of c and their size by kind, sorted by
// kind ("?" for entries whose kind cannot be read), and the totals.
func CacheUsage(c cache.Store) ([]KindUsage, KindUsage, error) {
	listed, err := c.List()
	if err != nil {
		return nil, KindUsage{}, err
	}
	by := map[string]*KindUsage{}
	total := KindUsage{Kind: "total"}
	for _, l := range listed {
		k := EntryKind(l)
		if by[k] == nil {
			by[k] = &KindUsage{Kind: k}
		}
		size := c.EntrySize(l)
		by[k].Entries++
		by[k].Bytes += size
		total.Entries++
		total.Bytes += size
	}
	out := make([]KindUsage, 0, len(by))
	for _, u := range by {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, total, nil
}
