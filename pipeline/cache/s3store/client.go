package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
)

// client is the few requests the store makes, each bounded by a timeout
// without progress, with errors named by the request. Once a request
// finds the server down or not answering, the client makes no further
// request: every later one fails at once with that first error, so that a
// sweep of many trials ends promptly instead of waiting out each timeout.
type client struct {
	mc      *minio.Client
	bucket  string
	prefix  string // "" or ending in "/"
	timeout time.Duration
	clock   *serverClock
	down    atomic.Pointer[error] // the error that found the server down
}

// check returns the error that found the server down, if one did.
func (c *client) check() error {
	if err := c.down.Load(); err != nil {
		return *err
	}
	return nil
}

// errNotFound reports a missing object.
var errNotFound = errors.New("no such object")

// errTimeout is the cause of a request abandoned for making no progress.
var errTimeout = errors.New("no progress")

// object is what a listing or a HEAD says of an object.
type object struct {
	Name         string // relative to the prefix
	Size         int64
	ETag         string
	LastModified time.Time
}

// watch returns a context that is cancelled when kick has not been called
// for the client's timeout, and the functions to kick and to end it.
func (c *client) watch(parent context.Context) (ctx context.Context, kick, done func()) {
	ctx, cancel := context.WithCancelCause(parent)
	t := time.AfterFunc(c.timeout, func() { cancel(errTimeout) })
	return ctx, func() { t.Reset(c.timeout) }, func() { t.Stop(); cancel(nil) }
}

// fail names a failed request, and says so when it timed out. A timeout,
// a network error or a server error (5xx, after the client's retries)
// marks the server down.
func (c *client) fail(ctx context.Context, what, name string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case errors.Is(context.Cause(ctx), errTimeout):
		err = fmt.Errorf("%s %s: the server made no progress for %v (NNPIPE_S3_TIMEOUT)", what, c.prefix+name, c.timeout)
	case resp.Code == "NoSuchKey":
		return fmt.Errorf("%s %s: %w", what, c.prefix+name, errNotFound)
	default:
		err = fmt.Errorf("%s %s: %w", what, c.prefix+name, err)
		if ctx.Err() != nil || (resp.StatusCode > 0 && resp.StatusCode < 500) {
			return err // cancelled by the caller, or an answer
		}
	}
	down := fmt.Errorf("the server is down or not answering, so no further request is made: %w", err)
	c.down.CompareAndSwap(nil, &down)
	return err
}

// maxSmall bounds the objects getSmall reads whole: failure records and
// lease segments. entry.json and the lists of kept outputs are read with
// getUpTo, to cache.MaxEntryJSON.
const maxSmall = 16 << 20

// getSmall reads a small object whole, with its ETag; one larger than
// maxSmall is an error.
func (c *client) getSmall(ctx context.Context, name string) ([]byte, string, error) {
	b, o, err := c.getUpTo(ctx, name, maxSmall+1)
	if err != nil {
		return nil, "", err
	}
	if len(b) > maxSmall {
		return nil, "", fmt.Errorf("get %s: larger than %d bytes", c.prefix+name, maxSmall)
	}
	return b, o.ETag, nil
}

// getUpTo reads at most limit bytes of an object, the start of a larger
// one, and returns them with what the server says of the object: its
// whole size and its ETag.
func (c *client) getUpTo(ctx context.Context, name string, limit int64) ([]byte, object, error) {
	if err := c.check(); err != nil {
		return nil, object{}, err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	// One GET, whose response says the size and ETag of what it returns.
	// Client.GetObject's Stat would send a HEAD first and then a GET
	// conditional on the HEAD's ETag, which the server refuses (412) when
	// the object is replaced in between: a lease segment rewritten by its
	// process, a repaired entry.json, a failure record recorded again.
	body, info, _, err := minio.Core{Client: c.mc}.GetObject(ctx, c.bucket, c.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, object{}, c.fail(ctx, "get", name, err)
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(&kickReader{body, kick}, limit))
	if err != nil {
		return nil, object{}, c.fail(ctx, "get", name, err)
	}
	return b, object{Name: name, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}, nil
}

// maxResumes bounds how many times get goes on with a body the network cut
// short.
const maxResumes = 2

// get streams at most limit bytes of an object into w, and returns how
// many it read. A body cut short by the network (the connection reset or
// closed before its end, before its first byte included) is resumed where
// it stopped, up to maxResumes times, with a GET of the rest: the objects get reads are named by their
// digest, which the caller checks over the whole stream, so no mix of two
// versions can pass.
func (c *client) get(ctx context.Context, name string, w io.Writer, limit int64) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	var got int64
	for resumes := 0; ; resumes++ {
		opts := minio.GetObjectOptions{}
		if got > 0 {
			if err := opts.SetRange(got, 0); err != nil {
				return got, err
			}
		}
		body, _, _, err := minio.Core{Client: c.mc}.GetObject(ctx, c.bucket, c.prefix+name, opts)
		if err != nil {
			return got, c.fail(ctx, "get", name, err)
		}
		n, err := io.Copy(writerOf{w}, io.LimitReader(&kickReader{body, kick}, limit-got))
		body.Close()
		got += n
		var werr *writeError
		switch {
		case err == nil:
			return got, nil
		case errors.As(err, &werr):
			return got, werr.err
		case resumes == maxResumes || ctx.Err() != nil:
			return got, c.fail(ctx, "get", name, err)
		}
	}
}

// writeError marks an error of the writer get copies into, not of the
// request.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

type writerOf struct{ w io.Writer }

func (w writerOf) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

// put writes an object; ifAbsent makes it a conditional create
// (If-None-Match: *), which fails with errExists when the object exists.
func (c *client) put(ctx context.Context, name string, r io.Reader, size int64, ifAbsent bool) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	// minio reads a large file a part (16 MiB) at a time before sending it: the reads of r
	// stop while a part is on the wire. Progress is read as the part's bytes go out.
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", Progress: progressKick(kick)}
	if ifAbsent {
		opts.SetMatchETagExcept("*")
	}
	_, err := c.mc.PutObject(ctx, c.bucket, c.prefix+name, &kickReader{r, kick}, size, opts)
	if err != nil {
		if ifAbsent && minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
			return errExists
		}
		return c.fail(ctx, "put", name, err)
	}
	return nil
}

// errExists reports a conditional create of an object that exists.
var errExists = errors.New("the object exists")

func (c *client) putBytes(ctx context.Context, name string, b []byte, ifAbsent bool) error {
	return c.put(ctx, name, bytes.NewReader(b), int64(len(b)), ifAbsent)
}

// stat returns what the server says of an object, errNotFound when there
// is none.
func (c *client) stat(ctx context.Context, name string) (object, error) {
	if err := c.check(); err != nil {
		return object{}, err
	}
	ctx, _, done := c.watch(ctx)
	defer done()
	info, err := c.mc.StatObject(ctx, c.bucket, c.prefix+name, minio.StatObjectOptions{})
	if err != nil {
		return object{}, c.fail(ctx, "head", name, err)
	}
	return object{Name: name, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}, nil
}

// remove deletes an object; a missing one is not an error.
func (c *client) remove(ctx context.Context, name string) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, _, done := c.watch(ctx)
	defer done()
	if err := c.mc.RemoveObject(ctx, c.bucket, c.prefix+name, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(c.fail(ctx, "delete", name, err), errNotFound) {
			return nil
		}
		return c.fail(ctx, "delete", name, err)
	}
	return nil
}

// list calls fn with every object under dir (relative to the prefix, ending
// in "/"), in key order; recursive false lists the "folders" of dir too,
// as names ending in "/". fn returning false stops the listing.
func (c *client) list(ctx context.Context, dir string, recursive bool, fn func(object) bool) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	ctx, stop := context.WithCancel(ctx)
	ch := c.mc.ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Prefix: c.prefix + dir, Recursive: recursive})
	defer func() {
		stop()
		for range ch { // let the listing's goroutine end
		}
	}()
	for info := range ch {
		kick()
		if info.Err != nil {
			return c.fail(ctx, "list", dir, info.Err)
		}
		name := strings.TrimPrefix(info.Key, c.prefix)
		if !fn(object{Name: name, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified}) {
			return nil
		}
	}
	return nil
}

// kickReader kicks a watchdog on every read that makes progress.
type kickReader struct {
	r    io.Reader
	kick func()
}

func (k *kickReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.kick()
	}
	return n, err
}

// progressKick is minio's Progress hook: it is read as an upload's bytes are sent, and each
// read says the request is making progress.
type progressKick func()

func (k progressKick) Read(p []byte) (int, error) {
	k()
	return len(p), nil
}

// serverClock tells the time by the server's clock: the Date of the
// latest response, plus the time elapsed since on this machine's
// monotonic clock. Before any response it is this machine's clock.
type serverClock struct {
	base http.RoundTripper

	mu   sync.Mutex
	date time.Time // the latest Date header
	at   time.Time // when it was received, with a monotonic reading
}

func (t *serverClock) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			t.mu.Lock()
			t.date, t.at = d, time.Now()
			t.mu.Unlock()
		}
	}
	return resp, err
}

// now returns the server's time, truncated to whole seconds by the Date
// header, so never ahead of it by more than the drift since.
func (t *serverClock) now() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.date.IsZero() {
		return time.Now()
	}
	return t.date.Add(time.Since(t.at))
}

// upload is a multipart upload the server holds that was never completed
// nor aborted: the parts a process sent of a large file before it died.
type upload struct {
	Name      string // the object it would make, relative to the prefix
	ID        string
	Initiated time.Time
}

// uploads calls fn with every multipart upload not completed under dir
// (relative to the prefix, ending in "/"). fn returning false stops.
func (c *client) uploads(ctx context.Context, dir string, fn func(upload) bool) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	ctx, stop := context.WithCancel(ctx)
	ch := c.mc.ListIncompleteUploads(ctx, c.bucket, c.prefix+dir, true)
	defer func() {
		stop()
		for range ch { // let the listing's goroutine end
		}
	}()
	for u := range ch {
		kick()
		if u.Err != nil {
			switch minio.ToErrorResponse(u.Err).Code {
			case "NoSuchUpload", "NotImplemented":
				// Said by servers that hold none (gofakes3) or keep no list.
				return nil
			}
			return c.fail(ctx, "list the uploads of", dir, u.Err)
		}
		if !fn(upload{Name: strings.TrimPrefix(u.Key, c.prefix), ID: u.UploadID, Initiated: u.Initiated}) {
			return nil
		}
	}
	return nil
}

// uploadSize returns the bytes of the parts an upload holds.
func (c *client) uploadSize(ctx context.Context, u upload) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	ctx, kick, done := c.watch(ctx)
	defer done()
	core := minio.Core{Client: c.mc}
	var n int64
	marker := 0
	for {
		res, err := core.ListObjectParts(ctx, c.bucket, c.prefix+u.Name, u.ID, marker, 1000)
		if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
			return n, nil // completed or aborted meanwhile
		}
		if err != nil {
			return 0, c.fail(ctx, "list the parts of", u.Name, err)
		}
		kick()
		for _, p := range res.ObjectParts {
			n += p.Size
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			return n, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// abort aborts an upload, deleting its parts; one gone already is not an
// error.
func (c *client) abort(ctx context.Context, u upload) error {
	if err := c.check(); err != nil {
		return err
	}
	ctx, _, done := c.watch(ctx)
	defer done()
	err := minio.Core{Client: c.mc}.AbortMultipartUpload(ctx, c.bucket, c.prefix+u.Name, u.ID)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return c.fail(ctx, "abort the upload of", u.Name, err)
	}
	return nil
}
