package cache

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Location is where a cache is, as --cache and NNPIPE_CACHE give it: a
// local folder, or a prefix in an S3 bucket.
type Location struct {
	Dir    string // the folder; "" for S3
	Bucket string // the S3 bucket; "" for a folder
	Prefix string // the key prefix in the bucket, without leading or trailing "/"; "" for its root
}

// IsS3 reports whether the location is in an S3 bucket.
func (l Location) IsS3() bool { return l.Bucket != "" }

// String returns the location as ParseLocation takes it.
func (l Location) String() string {
	switch {
	case !l.IsS3():
		return l.Dir
	case l.Prefix == "":
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// maxPrefix bounds an S3 prefix, leaving room in S3's 1,024-byte keys for
// the cache's own names.
const maxPrefix = 512

// ParseLocation parses a cache location: s3://BUCKET or
// s3://BUCKET/PREFIX, or else a folder. Anything else that starts like a
// URL — a scheme of two or more letters and a colon (gs://b, file:///x,
// https://host/x, s3:b) — is refused: taken as a folder, it would quietly
// make one named after the scheme. A folder whose name has such a colon
// is written ./NAME. Errors are one line naming what was wrong.
func ParseLocation(s string) (Location, error) {
	scheme, rest, ok := splitScheme(s)
	if !ok {
		return Location{Dir: s}, nil
	}
	quoted := strconv.Quote(s)
	after, slashes := strings.CutPrefix(rest, "//")
	switch {
	case !strings.EqualFold(scheme, "s3") && slashes:
		return Location{}, fmt.Errorf("%s: %s:// is not supported; give a folder or s3://BUCKET/PREFIX", quoted, scheme)
	case !strings.EqualFold(scheme, "s3"):
		return Location{}, fmt.Errorf("%s: looks like a URL (%s:), which is not supported; give a folder (%q for one whose name has a colon) or s3://BUCKET/PREFIX", quoted, scheme, "./"+s)
	case !slashes:
		return Location{}, fmt.Errorf("%s: expected s3://BUCKET or s3://BUCKET/PREFIX", quoted)
	}
	if i := strings.IndexAny(after, "?#"); i >= 0 {
		return Location{}, fmt.Errorf("%s: an S3 location takes no %q part; the endpoint, region and credentials come from the AWS_* variables", quoted, after[i:i+1])
	}
	bucket, typed, _ := strings.Cut(after, "/")
	if err := checkBucket(bucket); err != nil {
		return Location{}, fmt.Errorf("%s: bucket %s", quoted, err)
	}
	prefix, err := checkPrefix(typed)
	if err != nil {
		return Location{}, fmt.Errorf("%s: prefix %s", quoted, err)
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

// splitScheme splits "scheme:rest" when s starts with a URL scheme of at
// least two characters (one letter would be a Windows drive).
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i < 2 {
		return "", "", false
	}
	for j, r := range s[:i] {
		letter := r < utf8.RuneSelf && unicode.IsLetter(r)
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", "", false
		}
	}
	return s[:i], s[i+1:], true
}

// checkBucket applies Amazon S3's rules for bucket names: 3 to 63
// characters, lower-case letters, digits, dots and hyphens, starting and
// ending with a letter or digit, no two dots in a row, not an IP address.
func checkBucket(b string) error {
	switch {
	case b == "":
		return fmt.Errorf("is missing; expected s3://BUCKET/PREFIX")
	case strings.Contains(b, "@"):
		return fmt.Errorf("%q: credentials do not go in the location; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", b)
	case len(b) < 3 || len(b) > 63:
		return fmt.Errorf("%q: must be 3 to 63 characters long", b)
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return fmt.Errorf("%q: may hold only lower-case letters, digits, dots and hyphens", b)
		}
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	switch {
	case !alnum(b[0]) || !alnum(b[len(b)-1]):
		return fmt.Errorf("%q: must start and end with a letter or digit", b)
	case strings.Contains(b, ".."):
		return fmt.Errorf("%q: must not hold two dots in a row", b)
	case isIPv4(b):
		return fmt.Errorf("%q: must not be an IP address", b)
	}
	return nil
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

// checkPrefix takes a prefix as typed after the bucket's "/" and returns
// it without the one trailing "/" it may end in. It refuses a prefix that
// would make keys hard to read or ambiguous: empty, "." or ".." segments
// (so "/" alone, and "//" anywhere), control characters, backslashes, text
// that is not UTF-8, and more than maxPrefix bytes. Its errors quote the
// prefix as typed.
func checkPrefix(typed string) (string, error) {
	if typed == "" {
		return "", nil
	}
	p := strings.TrimSuffix(typed, "/")
	switch {
	case len(p) > maxPrefix:
		return "", fmt.Errorf("is %d bytes long, more than %d", len(p), maxPrefix)
	case !utf8.ValidString(typed):
		return "", fmt.Errorf("%q is not valid UTF-8", typed)
	case strings.ContainsFunc(typed, func(r rune) bool { return unicode.IsControl(r) || r == '\\' }):
		return "", fmt.Errorf("%q holds a control character or a backslash", typed)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%q has an empty, \".\" or \"..\" part", typed)
		}
	}
	return p, nil
}
