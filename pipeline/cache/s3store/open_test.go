package s3store

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

func TestOpenRefusesTheUsersMistakes(t *testing.T) {
	f := newFake(t)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	cases := []struct {
		name   string
		loc    cache.Location
		change func(*Options)
		want   string
	}{
		{"an unknown bucket", cache.Location{Bucket: "no-such-bucket"}, nil, "does not exist"},
		{"no credentials", cache.Location{Bucket: testBucket}, func(o *Options) { o.AccessKey, o.SecretKey = "", "" }, "no credentials"},
		{"half the credentials", cache.Location{Bucket: testBucket}, func(o *Options) { o.SecretKey = "" }, "must be set together"},
		{"an endpoint with a path", cache.Location{Bucket: testBucket}, func(o *Options) { o.Endpoint += "/x" }, "/x\": want http://HOST[:PORT] or https://HOST[:PORT]"},
		{"an endpoint without a scheme", cache.Location{Bucket: testBucket}, func(o *Options) { o.Endpoint = "localhost:9000" },
			`endpoint "localhost:9000": want http://HOST[:PORT] or https://HOST[:PORT]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := f.options(t)
			if c.change != nil {
				c.change(&o)
			}
			s, err := Open(t.Context(), c.loc, o)
			var ue *UserError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open = %v, %v; want a one-line *UserError with %q", s, err, c.want)
			}
		})
	}
	if objs := f.objects(); len(objs) != 0 {
		t.Errorf("Open wrote %v", objs)
	}
}

// TestAMalformedEndpointIsBlamedOnItsVariable: the message names the
// variable the endpoint came from, the first of AWS_ENDPOINT_URL_S3 and
// AWS_ENDPOINT_URL that is set.
func TestAMalformedEndpointIsBlamedOnItsVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_ENDPOINT_URL_S3": "localhost:9000", "AWS_ENDPOINT_URL": "http://localhost:1"},
			`AWS_ENDPOINT_URL_S3 "localhost:9000": want http://HOST[:PORT] or https://HOST[:PORT]`},
		{map[string]string{"AWS_ENDPOINT_URL": "localhost:9000"},
			`AWS_ENDPOINT_URL "localhost:9000": want http://HOST[:PORT] or https://HOST[:PORT]`},
		{map[string]string{"AWS_ENDPOINT_URL_S3": "ftp://host", "AWS_ENDPOINT_URL": "localhost:9000"},
			`AWS_ENDPOINT_URL_S3 "ftp://host": want http://HOST[:PORT] or https://HOST[:PORT]`},
	}
	for _, c := range cases {
		copyDir := t.TempDir()
		env := map[string]string{"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "NNPIPE_S3_COPY": copyDir}
		for k, v := range c.env {
			env[k] = v
		}
		st, err := OpenCache(t.Context(), "s3://"+testBucket+"/p", func(k string) string { return env[k] })
		var ue *UserError
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("OpenCache with %v = %v, %v; want the *UserError %q", c.env, st, err, c.want)
		}
		if left, _ := os.ReadDir(copyDir); len(left) != 0 {
			t.Errorf("OpenCache with %v wrote %d names in the local copy", c.env, len(left))
		}
	}
}

func TestFromEnv(t *testing.T) {
	loc := cache.Location{Bucket: "b", Prefix: "p"}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	o, err := FromEnv(loc, env(map[string]string{
		"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "http://s3:2", "AWS_DEFAULT_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "NNPIPE_S3_TIMEOUT": "5s",
		"NNPIPE_S3_LEASE_TTL": "2m", "NNPIPE_S3_COPY": "/copy", "NNPIPE_S3_COPY_MB": "3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Endpoint: "http://s3:2", Region: "eu-west-1", AccessKey: "id", SecretKey: "secret",
		Timeout: 5 * time.Second, LeaseTTL: 2 * time.Minute, CopyDir: "/copy", CopyBytes: 3 << 20, endpointVar: "AWS_ENDPOINT_URL_S3"}
	if o != want {
		t.Errorf("FromEnv = %+v, want %+v", o, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if o, err := FromEnv(loc, env(nil)); err != nil || !strings.HasPrefix(o.CopyDir, "/xdg/nnpipe/s3/b-") || o.Timeout != DefaultTimeout {
		t.Errorf("FromEnv with nothing set = %+v, %v", o, err)
	}
	for _, bad := range []map[string]string{
		{"NNPIPE_S3_TIMEOUT": "soon"}, {"NNPIPE_S3_TIMEOUT": "10ms"}, {"NNPIPE_S3_LEASE_TTL": "1s"},
		{"NNPIPE_S3_COPY_MB": "-1"}, {"NNPIPE_S3_COPY_MB": "1GB"},
	} {
		var ue *UserError
		if _, err := FromEnv(loc, env(bad)); !errors.As(err, &ue) {
			t.Errorf("FromEnv(%v) = %v, want a *UserError", bad, err)
		}
	}
}

// TestRefusedCredentialsNameTheEndpoint: a server that refuses the
// credentials is named, as an unknown bucket's is, so that a user whose
// AWS_ENDPOINT_URL points at another server than meant can tell.
func TestRefusedCredentialsNameTheEndpoint(t *testing.T) {
	f := newFake(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>`)
		return true
	})
	_, err := Open(t.Context(), cache.Location{Bucket: testBucket, Prefix: "p"}, f.options(t))
	var ue *UserError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || !strings.Contains(err.Error(), "endpoint "+f.srv.URL) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open = %v; want a one-line *UserError naming SignatureDoesNotMatch and the endpoint %s", err, f.srv.URL)
	}
}
