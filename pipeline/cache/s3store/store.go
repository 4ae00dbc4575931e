package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// Options say how to reach the bucket and how the store behaves. FromEnv
// reads them from the environment.
type Options struct {
	// Endpoint is the server's URL, http:// or https://; "" for Amazon S3.
	Endpoint string
	// Region is the bucket's region (us-east-1 when empty).
	Region string
	// AccessKey, SecretKey and SessionToken are the credentials; without
	// an access key, the shared credentials file (AWS_PROFILE) is read.
	AccessKey, SecretKey, SessionToken string
	// Timeout abandons a request that made no progress for this long.
	Timeout time.Duration
	// LeaseTTL is how long a lease lives without a heartbeat (see the
	// package documentation).
	LeaseTTL time.Duration
	// CopyDir is the folder of the local copy of entries; CopyBytes bounds
	// it when a process closes the store.
	CopyDir   string
	CopyBytes int64
	// copyParents is how many folders above CopyDir the store made for
	// it (the default's nnpipe/s3): Close removes them when empty.
	copyParents int
	// endpointVar is the variable Endpoint was read from, which a
	// message about it names; "" when it was not read from one.
	endpointVar string
}

// Defaults of the options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultLeaseTTL  = 60 * time.Second
	DefaultCopyBytes = 1024 << 20
	minLeaseTTL      = 2 * time.Second
)

// UserError is a problem with what the user gave — the location, the
// environment, credentials, the bucket — found before any work.
type UserError struct{ Err error }

// Error is the wrapped error's message, unchanged.
func (e *UserError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so that errors.Is and errors.As see through e.
func (e *UserError) Unwrap() error { return e.Err }

func userErrorf(format string, args ...any) error {
	return &UserError{fmt.Errorf(format, args...)}
}

// FromEnv reads the options for loc through getenv: AWS_ENDPOINT_URL_S3
// or AWS_ENDPOINT_URL, AWS_REGION or AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and nnpipe's
// NNPIPE_S3_TIMEOUT, NNPIPE_S3_LEASE_TTL (durations such as 30s),
// NNPIPE_S3_COPY (a folder) and NNPIPE_S3_COPY_MB (megabytes). A value
// that cannot be used is a *UserError naming the variable.
func FromEnv(loc cache.Location, getenv func(string) string) (Options, error) {
	endpointVar, endpoint := firstSet(getenv, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	_, region := firstSet(getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
	o := Options{
		Endpoint:     endpoint,
		endpointVar:  endpointVar,
		Region:       region,
		AccessKey:    getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: getenv("AWS_SESSION_TOKEN"),
		Timeout:      DefaultTimeout,
		LeaseTTL:     DefaultLeaseTTL,
		CopyDir:      getenv("NNPIPE_S3_COPY"),
		CopyBytes:    DefaultCopyBytes,
	}
	var err error
	if o.Timeout, err = envDuration(getenv, "NNPIPE_S3_TIMEOUT", DefaultTimeout, time.Second); err != nil {
		return o, err
	}
	if o.LeaseTTL, err = envDuration(getenv, "NNPIPE_S3_LEASE_TTL", DefaultLeaseTTL, minLeaseTTL); err != nil {
		return o, err
	}
	if v := getenv("NNPIPE_S3_COPY_MB"); v != "" {
		mb, err := strconv.ParseInt(v, 10, 64)
		if err != nil || mb < 0 || mb > 1<<40 {
			return o, userErrorf("NNPIPE_S3_COPY_MB %q: want a number of megabytes, 0 or more", v)
		}
		o.CopyBytes = mb << 20
	}
	if o.CopyDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return o, userErrorf("%s: no folder for the local copy of entries (%v); set NNPIPE_S3_COPY", loc, err)
		}
		id := sha256.Sum256([]byte(o.Endpoint + "\n" + loc.Bucket + "\n" + loc.Prefix))
		o.CopyDir = filepath.Join(base, "nnpipe", "s3", loc.Bucket+"-"+hex.EncodeToString(id[:6]))
		o.copyParents = 2
	}
	return o, nil
}

// firstSet returns the first of the variables names that is set, and its
// value; "", "" when none is.
func firstSet(getenv func(string) string, names ...string) (name, value string) {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

func envDuration(getenv func(string) string, name string, def, least time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		return 0, userErrorf("%s %q: want a duration of at least %v, such as %v", name, v, least, def)
	}
	return d, nil
}

// Store is a cache in an S3 bucket (see the package documentation). Its
// methods are safe for use by several goroutines and several processes.
type Store struct {
	loc    cache.Location
	c      *client
	local  *cache.Cache // the local copy
	opts   Options
	ctx    context.Context // the requests' parent; Close does not use it
	lease  *lease
	closed sync.Mutex // held by Close while it trims the local copy

	// gcHook, when set (by tests), is called by GC between reading the
	// leases and deleting what they do not protect.
	gcHook func()
}

var _ cache.Store = (*Store)(nil)

// Open opens the cache at loc and checks, by listing it, that the bucket
// exists and the credentials are good; a problem with either is a
// *UserError. It writes nothing. Requests are made within ctx; Close
// works after ctx is done.
func Open(ctx context.Context, loc cache.Location, o Options) (*Store, error) {
	if !loc.IsS3() {
		return nil, fmt.Errorf("s3store: %q is not an S3 location", loc)
	}
	mc, clock, err := newClient(loc, o)
	if err != nil {
		return nil, err
	}
	prefix := loc.Prefix
	if prefix != "" {
		prefix += "/"
	}
	s := &Store{loc: loc, opts: o, ctx: ctx, local: cache.OpenContext(ctx, o.CopyDir),
		c: &client{mc: mc, bucket: loc.Bucket, prefix: prefix, timeout: o.Timeout, clock: clock}}
	s.lease = &lease{s: s}
	if err := s.c.list(ctx, "", false, func(object) bool { return false }); err != nil {
		return nil, s.openError(err)
	}
	return s, nil
}

// newClient makes the minio client for loc, with the store's transport.
func newClient(loc cache.Location, o Options) (*minio.Client, *serverClock, error) {
	host, secure := "s3.amazonaws.com", true
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			name := o.endpointVar
			if name == "" {
				name = "endpoint"
			}
			return nil, nil, userErrorf("%s %q: want http://HOST[:PORT] or https://HOST[:PORT]", name, o.Endpoint)
		}
		host, secure = u.Host, u.Scheme == "https"
	}
	var creds *credentials.Credentials
	switch {
	case o.AccessKey != "" && o.SecretKey != "":
		creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, o.SessionToken)
	case o.AccessKey != "" || o.SecretKey != "":
		return nil, nil, userErrorf("%s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together", loc)
	default:
		file := &credentials.FileAWSCredentials{}
		v, err := file.RetrieveWithCredContext(&credentials.CredContext{})
		if err != nil || v.AccessKeyID == "" {
			return nil, nil, userErrorf("%s: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE with a shared credentials file)", loc)
		}
		creds = credentials.NewStaticV4(v.AccessKeyID, v.SecretAccessKey, v.SessionToken)
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, nil, err
	}
	tr.ResponseHeaderTimeout = o.Timeout
	tr.TLSHandshakeTimeout = min(o.Timeout, 10*time.Second)
	clock := &serverClock{base: tr}
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	mc, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: region, Transport: clock, MaxRetries: 3})
	if err != nil {
		return nil, nil, userErrorf("%s: %v", loc, err)
	}
	return mc, clock, nil
}

// openError sorts what listing the bucket on Open answered: the user's
// mistakes — no such bucket, credentials or a region refused, any other
// 4xx answer — from the rest (the server down, a 5xx).
func (s *Store) openError(err error) error {
	resp := responseOf(err)
	switch {
	case resp.Code == "NoSuchBucket":
		return userErrorf("%s: the bucket %s does not exist (endpoint %s)", s.loc, s.loc.Bucket, s.endpoint())
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return userErrorf("%s: the server refused the credentials or the bucket (%s: %s) at endpoint %s; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION",
			s.loc, resp.Code, resp.Message, s.endpoint())
	}
	return fmt.Errorf("%s: %w", s.loc, err)
}

// responseOf returns the S3 error response err carries, if any.
func responseOf(err error) minio.ErrorResponse {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp
	}
	return minio.ErrorResponse{}
}

func (s *Store) endpoint() string {
	if s.opts.Endpoint == "" {
		return "Amazon S3"
	}
	return s.opts.Endpoint
}

// Dir returns the location, s3://BUCKET/PREFIX.
func (s *Store) Dir() string { return s.loc.String() }

// name is the location of an object, for messages.
func (s *Store) name(rel string) string { return "s3://" + s.loc.Bucket + "/" + s.c.prefix + rel }

// errorf wraps an error of the store with its location.
func (s *Store) errorf(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("cache %s: %w", s.loc, err)
}

// Close releases the lease (gc may then remove what this process used),
// closes the local copy and trims it to its bound. It works after the
// context given to Open is done.
func (s *Store) Close() error {
	s.closed.Lock()
	defer s.closed.Unlock()
	err := s.lease.release()
	err = errors.Join(err, s.local.Close())
	err = errors.Join(err, s.trimCopy())
	// A run that published nothing leaves no folder: the file cache
	// removes the copy's own when empty, and these the ones made for it.
	for dir, n := filepath.Dir(s.opts.CopyDir), 0; n < s.opts.copyParents; dir, n = filepath.Dir(dir), n+1 {
		if os.Remove(dir) != nil {
			break
		}
	}
	return s.errorf(err)
}

// closeContext is the context of Close's requests: not cancelled with the
// store's, bounded by the timeout.
func (s *Store) closeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(s.ctx), s.opts.Timeout)
}

// entryName is the object of key's entry.json.
func entryName(key string) string { return "v1/" + key[:2] + "/" + key + "/" + cache.EntryFile }

// fileName is the object of a file with the given digest.
func fileName(sum string) string { return "files/" + sum[:2] + "/" + sum }

// validKey reports whether key is a lower-case hex SHA-256.
func validKey(key string) bool {
	if len(key) != 64 || strings.ToLower(key) != key {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

// OpenCache opens the cache at location, as --cache and NNPIPE_CACHE give
// it (cache.ParseLocation): the file cache in a folder, or the S3 store
// with the options FromEnv reads through getenv. Problems with what the
// user gave are a *UserError.
func OpenCache(ctx context.Context, location string, getenv func(string) string) (cache.Store, error) {
	loc, err := cache.ParseLocation(location)
	if err != nil {
		return nil, &UserError{err}
	}
	if !loc.IsS3() {
		return cache.OpenContext(ctx, loc.Dir), nil
	}
	o, err := FromEnv(loc, getenv)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, loc, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}
