package s3store

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// failureName is the object of key's failure record; keptName lists the
// outputs the failed computation kept.
func failureName(key string) string { return "failures/" + key + ".json" }
func keptName(key string) string    { return "failures/" + key + "/kept.json" }

// RecordFailure stores rec as the record of a failed computation of key,
// replacing an earlier one, after recording key in the lease.
func (s *Store) RecordFailure(key string, rec any) error {
	if !validKey(key) {
		return fmt.Errorf("cache: invalid key %q", key)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := s.lease.hold(leaseKey + key); err != nil {
		return s.errorf(err)
	}
	return s.errorf(s.c.putBytes(s.ctx, failureName(key), b, false))
}

// Failure returns the failure record of key, if there is one. A record
// that cannot be read counts as none: the trial is then pending, and a
// collecting process says so.
func (s *Store) Failure(key string) ([]byte, bool) {
	if !validKey(key) {
		return nil, false
	}
	b, _, err := s.c.getSmall(s.ctx, failureName(key))
	return b, err == nil
}

// ClearFailure removes the failure record of key, once it has succeeded.
func (s *Store) ClearFailure(key string) {
	if validKey(key) {
		s.c.remove(s.ctx, failureName(key))
	}
}

// KeepFailed uploads the outputs a failed computation of key wrote, in
// dir, beside its failure record, then keeps dir in the local copy and
// returns where.
func (s *Store) KeepFailed(key, dir string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("cache: invalid key %q", key)
	}
	e, err := cache.NewEntry(key, dir, nil, time.Now())
	if err == nil {
		err = s.upload(key, e.Files, dir)
	}
	var raw []byte
	if err == nil {
		raw, err = e.JSON()
	}
	if err == nil {
		err = s.c.putBytes(s.ctx, keptName(key), raw, false)
	}
	if err != nil {
		return "", s.errorf(fmt.Errorf("keep failed outputs: %w", err))
	}
	return s.local.KeepFailed(key, dir)
}

// FailedDir returns a local folder holding the outputs kept for a failed
// computation of key, downloaded and verified, after recording key in the
// lease.
func (s *Store) FailedDir(key string) (string, bool) {
	if !validKey(key) {
		return "", false
	}
	raw, _, err := s.c.getEntryJSON(s.ctx, keptName(key))
	if err != nil || s.lease.hold(leaseKey+key) != nil {
		return "", false
	}
	e, err := cache.ParseEntry(raw, "")
	if err != nil || e.Key != key {
		return "", false
	}
	tmp, err := s.local.TempDir()
	if err != nil {
		return "", false
	}
	if err := s.download(e, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", false
	}
	dir, err := s.local.KeepFailed(key, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return "", false
	}
	return dir, s.lease.check() == nil
}
