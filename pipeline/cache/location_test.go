package cache

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLocation(t *testing.T) {
	cases := []struct {
		in      string
		want    Location
		wantErr string // a part of the error; "" for none
	}{
		{in: "results/.cache", want: Location{Dir: "results/.cache"}},
		{in: "/abs/cache", want: Location{Dir: "/abs/cache"}},
		{in: "./s3:x", want: Location{Dir: "./s3:x"}},
		{in: "/data/run:1", want: Location{Dir: "/data/run:1"}},
		{in: "C:/cache", want: Location{Dir: "C:/cache"}}, // a drive letter, not a scheme
		{in: "1x:y", want: Location{Dir: "1x:y"}},         // a scheme starts with a letter
		{in: "s3://bucket", want: Location{Bucket: "bucket"}},
		{in: "s3://bucket/", want: Location{Bucket: "bucket"}},
		{in: "s3://my.bucket-1/nnpipe/cache", want: Location{Bucket: "my.bucket-1", Prefix: "nnpipe/cache"}},
		{in: "s3://bucket/x/", want: Location{Bucket: "bucket", Prefix: "x"}},
		{in: "S3://bucket/x", want: Location{Bucket: "bucket", Prefix: "x"}},
		{in: "s3://bucket/ünïcode prefix", want: Location{Bucket: "bucket", Prefix: "ünïcode prefix"}},

		{in: "s3:bucket/x", wantErr: "expected s3://BUCKET"},
		{in: "s3:/bucket/x", wantErr: "expected s3://BUCKET"},
		{in: "s3://", wantErr: "bucket is missing"},
		{in: "s3:///x", wantErr: "bucket is missing"},
		{in: "gs://bucket/x", wantErr: "gs:// is not supported"},
		{in: "https://host/bucket", wantErr: "https:// is not supported"},
		{in: "file:///tmp/cache", wantErr: "file:// is not supported"},
		{in: "cache:1", wantErr: "./cache:1"},
		{in: "s3://Bucket/x", wantErr: "lower-case letters"},
		{in: "s3://b_u/x", wantErr: "lower-case letters"},
		{in: "s3://ab/x", wantErr: "3 to 63"},
		{in: "s3://" + strings.Repeat("a", 64), wantErr: "3 to 63"},
		{in: "s3://-bucket", wantErr: "start and end"},
		{in: "s3://bucket./x", wantErr: "start and end"},
		{in: "s3://a..b/x", wantErr: "two dots"},
		{in: "s3://192.168.1.1/x", wantErr: "IP address"},
		{in: "s3://key:secret@bucket/x", wantErr: "credentials do not go"},
		{in: "s3://bucket/x?region=eu", wantErr: `no "?" part`},
		{in: "s3://bucket/x#y", wantErr: `no "#" part`},
		{in: "s3://bucket//x", wantErr: `"s3://bucket//x": prefix "/x" has an empty, "." or ".." part`},
		{in: "s3://bucket//", wantErr: `"s3://bucket//": prefix "/" has an empty, "." or ".." part`},
		{in: "s3://bucket/a//", wantErr: `"s3://bucket/a//": prefix "a//" has an empty, "." or ".." part`},
		{in: "s3://bucket/a//b/", wantErr: `"s3://bucket/a//b/": prefix "a//b/" has an empty, "." or ".." part`},
		{in: "s3://bucket/./", wantErr: `"s3://bucket/./": prefix "./" has an empty, "." or ".." part`},
		{in: "s3://bucket/a/../b", wantErr: `".."`},
		{in: "s3://bucket/a/./b", wantErr: `"."`},
		{in: "s3://bucket/a\nb", wantErr: "control character"},
		{in: "s3://bucket/a\\b", wantErr: "backslash"},
		{in: "s3://bucket/\xff", wantErr: "not valid UTF-8"},
		{in: "s3://bucket/" + strings.Repeat("p", 513), wantErr: "more than 512"},
	}
	for _, c := range cases {
		got, err := ParseLocation(c.in)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("ParseLocation(%q): %v", c.in, err)
		case c.wantErr == "" && got != c.want:
			t.Errorf("ParseLocation(%q) = %+v, want %+v", c.in, got, c.want)
		case c.wantErr != "" && err == nil:
			t.Errorf("ParseLocation(%q) = %+v, want an error with %q", c.in, got, c.wantErr)
		case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
			t.Errorf("ParseLocation(%q): %v, want an error with %q", c.in, err, c.wantErr)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("ParseLocation(%q): the error spans lines: %q", c.in, err)
		}
	}
}

// FuzzParseLocation checks what ParseLocation promises for any input: no
// panic; a folder is the input unchanged and never starts with a URL
// scheme; an S3 location has a valid bucket and prefix, and written back
// it parses to itself; an error is one line.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"results/.cache", "s3://bucket", "s3://bucket/a/b/", "gs://x", "s3:b", "a:b", "./a:b", "s3://b..c", "S3://bucket/p?x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseLocation(%q): a multi-line error %q", s, err)
			}
			return
		}
		if !l.IsS3() {
			if l.Dir != s {
				t.Fatalf("ParseLocation(%q) = folder %q", s, l.Dir)
			}
			if _, _, ok := splitScheme(s); ok {
				t.Fatalf("ParseLocation(%q) took a URL for a folder", s)
			}
			return
		}
		if p, err := checkPrefix(l.Prefix); checkBucket(l.Bucket) != nil || err != nil || p != l.Prefix || !utf8.ValidString(l.Prefix) {
			t.Fatalf("ParseLocation(%q) = %+v: invalid bucket or prefix", s, l)
		}
		back, err := ParseLocation(l.String())
		if err != nil || back != l {
			t.Fatalf("ParseLocation(%q) = %+v; written back as %q it parses to %+v, %v", s, l, l.String(), back, err)
		}
	})
}
