package dataset

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LoadOptions says how to read a user's table. The zero value of every field but Label is the
// default.
type LoadOptions struct {
	Format   string   // "csv" or "parquet"; "" picks by extension (.csv, .parquet/.pq)
	Label    string   // label column (required)
	Features []string // feature columns; nil or empty: every other numeric column not kept, in file order
	// Keep names columns to carry along as [Dataset.Extra], in this order, as text: neither
	// features nor the label (a 0/1 or train/test column for a split, an id).
	Keep      []string
	Delimiter rune // CSV only; 0 means ','
	// NoHeader says a CSV file has no header row: every line is data and the columns are
	// named c0, c1, … in order. Parquet files always name their columns.
	NoHeader bool
	// SHA256, when set, is the hex SHA-256 the file must have, as [Digest] returned it for a
	// cache key: Load then hashes exactly the bytes it parses, from the first to the end of
	// the file, and fails with [ErrChanged] unless they have this digest (the file was
	// rewritten, truncated or replaced after the digest was taken, or while Load read it).
	// A CSV file is hashed as it is parsed; a Parquet file, which is read out of order, is
	// first copied into TempDir while it is hashed, and the copy is parsed and removed.
	SHA256 string
	// TempDir is the folder for that copy of a Parquet file; "" means os.TempDir().
	TempDir string
}

// ErrChanged is matched (with errors.Is) by the error of [Load] for a file that changed while
// it was read, or since the digest given as [LoadOptions.SHA256] was taken.
var ErrChanged = errors.New("changed while nnpipe read it; nothing was kept from it, run again to read its new content")

// LoadError is the error of [Load]: a problem with the user's file, located as precisely as
// it can be. Its message reads `FILE[:LINE]: [row ROW: ][column "COLUMN": ]problem`, e.g.
// `data.csv:14: column "x1": "abc" is not a number`.
type LoadError struct {
	File   string // the path as given to Load
	Line   int    // 1-based line of a CSV file (the header is line 1); 0 when it does not apply
	Row    int    // 1 + the row of a Parquet file, counted from 0 as predictions' row column counts; 0 when it does not apply
	Column string // the column's name; "" when it does not apply
	Err    error  // the problem; for a missing or unreadable file it matches fs.ErrNotExist etc.
}

// Error is the one-line message `FILE[:LINE]: [row ROW: ][column "COLUMN": ]problem`, the
// parts that do not apply left out. ROW counts from 0, as the row column of the predictions
// does, so that the row the message names is the one with that row number.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(shownPath(e.File))
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Row > 0 {
		b.WriteString("row " + strconv.Itoa(e.Row-1) + ": ")
	}
	if e.Column != "" {
		b.WriteString("column " + shortQuote(e.Column) + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// shownPath is path as the one-line message shows it: as it is, or quoted
// as Go quotes strings when it would not read as itself on one line (it is
// empty, holds a line break or another character that does not print, or
// is not UTF-8). The engine's messages quote paths by the same rule.
func shownPath(path string) string {
	if readsAsItself(path) {
		return path
	}
	return strconv.Quote(path)
}

// readsAsItself reports whether s, written as it is in a one-line message, reads as itself:
// it is not empty, neither starts nor ends with a space, is UTF-8 and holds only characters
// that print (no line break).
func readsAsItself(s string) bool {
	return s != "" && s == strings.TrimSpace(s) && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

// Unwrap returns the problem, so that errors.Is matches fs.ErrNotExist or [ErrChanged]
// through a LoadError.
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads a CSV file (with a header row unless opt.NoHeader) or a Parquet file into a valid
// [Dataset].
//
// Labels may be integers or strings; the classes are the sorted distinct values (integers
// sorted numerically and named in canonical form, so "01" and "1" are one class "1"; strings
// sorted bytewise); at least two and at most [MaxClasses] are required. Values and labels are
// trimmed of surrounding spaces. Text labels, kept values and the names of the features taken
// by default must be valid UTF-8 (such names at most [MaxNameBytes] long), no column name
// may appear twice, and no feature or kept column may be named "label" or "label_name", the
// dataset file's own columns (see [WriteFile]). CSV feature values must be finite decimal
// numbers: an optional sign, ASCII digits with an optional fraction (5., .5 and 5.25 are
// numbers), an optional exponent (e or E, an optional sign, digits); not hexadecimal (0x1p4),
// nor with digits set off by _ (1_000) or a decimal comma (1,5); inf and nan, in any letter
// case, are refused as not finite, and a number beyond float64's range as out of range.
// Parquet features may be DOUBLE, FLOAT or signed integer columns. Without opt.Features, the
// features are every column other than the label, the kept columns and an unnamed row index
// (a column without a name, or pandas' __index_level_0__) that is numeric: in a CSV file,
// whose value on the first data row parses as a number; in a Parquet file, whose type is one
// of those.
// Kept columns (opt.Keep) become [Dataset.Extra], trimmed text; in a Parquet file they may be
// strings, integers, DOUBLE, FLOAT or BOOLEAN.
//
// path must name a regular file: a directory, a named pipe or a device is refused without
// being read, so a FIFO cannot block the caller. A file that grows while it is read, or whose
// size or time change while a parse error is met, is an error matching [ErrChanged].
//
// Every error is a *LoadError naming the file and, where it applies, the line (CSV), row
// (Parquet) and column.
func Load(path string, opt LoadOptions) (*Dataset, error) {
	return LoadContext(context.Background(), path, opt)
}

// LoadContext is [Load], stopping with ctx's error when ctx is done.
func LoadContext(ctx context.Context, path string, opt LoadOptions) (*Dataset, error) {
	return load(ctx, path, opt, nil)
}

// load is LoadContext; wrap, if not nil, wraps the file as it is read (tests change the file
// underneath the reader with it).
func load(ctx context.Context, path string, opt LoadOptions, wrap func(io.Reader) io.Reader) (*Dataset, error) {
	format, err := checkOptions(path, opt)
	if err != nil {
		return nil, err
	}
	f, st, err := openRegular(path)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	defer f.Close()
	size := st.Size()
	src := newSource(f, st, opt.SHA256)
	if wrap != nil {
		src.r = wrap(f)
	}
	if format == "parquet" {
		if opt.SHA256 == "" {
			return loadParquet(ctx, path, f, size, opt)
		}
		snap, err := snapshot(ctx, path, src, opt.TempDir)
		if err != nil {
			return nil, err
		}
		defer func() {
			snap.Close()
			os.Remove(snap.Name())
		}()
		return loadParquet(ctx, path, snap, src.n, opt)
	}
	d, err := readCSV(ctx, path, src, size, opt)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, ErrChanged):
		return nil, err
	case err != nil:
		// A parse error may come from a change during the read (a line cut short): then the
		// change, not its symptom, is reported. The rest of the file is not read for that,
		// so that a refusal stays quick: the file's size and time tell.
		if src.changedOnDisk() {
			return nil, &LoadError{File: path, Err: ErrChanged}
		}
		return nil, err
	}
	if err := src.check(); err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	return d, nil
}

// checkOptions checks opt for the file at path before anything is read, and returns the
// file's format: opt.Format, or the one its extension says.
func checkOptions(path string, opt LoadOptions) (format string, err error) {
	fail := func(format string, args ...any) error {
		return &LoadError{File: path, Err: fmt.Errorf(format, args...)}
	}
	if opt.Label == "" {
		return "", fail("no label column given")
	}
	if i, j := dupIndex(opt.Features); i >= 0 {
		return "", &LoadError{File: path, Column: opt.Features[j], Err: errors.New("listed twice as a feature")}
	}
	if slices.Contains(opt.Features, opt.Label) {
		return "", &LoadError{File: path, Column: opt.Label, Err: errors.New("is both the label and a feature")}
	}
	if i, j := dupIndex(opt.Keep); i >= 0 {
		return "", &LoadError{File: path, Column: opt.Keep[j], Err: errors.New("kept twice")}
	}
	for _, k := range opt.Keep {
		switch {
		case k == opt.Label:
			return "", &LoadError{File: path, Column: k, Err: errors.New("is both the label and a kept column")}
		case slices.Contains(opt.Features, k):
			return "", &LoadError{File: path, Column: k, Err: errors.New("is both a feature and a kept column")}
		}
	}
	return fileFormat(path, opt.Format, opt.Delimiter, opt.NoHeader)
}

// fileFormat returns the format of the file at path: format, or the one its extension says,
// and checks that the CSV options (delimiter, noHeader) are not given for a Parquet file.
func fileFormat(path, format string, delimiter rune, noHeader bool) (string, error) {
	fail := func(format string, args ...any) error {
		return &LoadError{File: path, Err: fmt.Errorf(format, args...)}
	}
	given := format
	format = strings.ToLower(format)
	if format == "" {
		if format = FormatOf(path); format == "" {
			return "", fail("cannot tell the format from the extension %q; set the format to csv or parquet", filepath.Ext(path))
		}
	}
	if format != "csv" && format != "parquet" {
		return "", fail("unknown format %q; want csv or parquet", given)
	}
	if format == "parquet" && delimiter != 0 {
		return "", fail("a delimiter applies to CSV only")
	}
	if format == "parquet" && noHeader {
		return "", fail("only a CSV file can lack a header row: a Parquet file always names its columns")
	}
	return format, nil
}

// source is the user's file read once, as a stream. It counts the bytes and refuses more than
// the file held when it was opened (a file that grows while it is read, which could otherwise
// be read forever); when a digest is expected it hashes every byte, so that the bytes parsed
// are the bytes checked.
type source struct {
	r    io.Reader
	f    *os.File
	st   fs.FileInfo // the file's when opened
	h    hash.Hash   // nil when no digest is expected
	want string      // the expected hex SHA-256
	size int64       // the file's size when opened
	n    int64       // bytes read so far
}

func newSource(f *os.File, st fs.FileInfo, want string) *source {
	s := &source{r: f, f: f, st: st, size: st.Size(), want: want}
	if want != "" {
		s.h = sha256.New()
	}
	return s
}

// changedOnDisk reports whether the open file's size or modification time differ from when it
// was opened: it was written to since.
func (s *source) changedOnDisk() bool {
	st, err := s.f.Stat()
	return err != nil || st.Size() != s.st.Size() || !st.ModTime().Equal(s.st.ModTime())
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.h != nil {
		s.h.Write(p[:n])
	}
	s.n += int64(n)
	if s.n > s.size {
		return n, ErrChanged
	}
	return n, err
}

// check reads what is left of the file (after a successful parse, nothing) and returns
// ErrChanged unless every byte read, from the first to the end, has the expected digest. It
// returns nil when no digest is expected.
func (s *source) check() error {
	if s.h == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, s); err != nil {
		if errors.Is(err, ErrChanged) {
			return ErrChanged
		}
		return unwrapPath(err)
	}
	if hex.EncodeToString(s.h.Sum(nil)) != s.want {
		return ErrChanged
	}
	return nil
}

// snapshot copies the file src reads into a new file in dir (os.TempDir() if ""), checks
// what it copied (see source.check) and returns the copy, positioned anywhere: it is read
// with ReadAt. The caller closes and removes it. A file that changed is a *LoadError
// matching ErrChanged; a copy that cannot be written is an error that names the copy.
func snapshot(ctx context.Context, path string, src *source, dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	snap, err := os.CreateTemp(dir, ".load-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", path, err)
	}
	fail := func(err error) (*os.File, error) {
		snap.Close()
		os.Remove(snap.Name())
		return nil, err
	}
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, rerr := src.Read(buf)
		if _, err := snap.Write(buf[:n]); err != nil {
			return fail(fmt.Errorf("copy %s: %w", path, err))
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if errors.Is(rerr, ErrChanged) {
			return fail(&LoadError{File: path, Err: ErrChanged})
		}
		if rerr != nil {
			return fail(&LoadError{File: path, Err: unwrapPath(rerr)})
		}
	}
	if err := src.check(); err != nil {
		return fail(&LoadError{File: path, Err: err})
	}
	return snap, nil
}

// openRegular opens path for reading and returns it with its description, if it is a regular
// file.
// It opens without blocking (see openNoBlock) and checks the opened file, not the name, so a
// named pipe is refused rather than waited on, and the file checked is the file read.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, nil, unwrapPath(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, unwrapPath(err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(st.Mode())
	}
	return f, st, nil
}

// ErrNotRegular is matched (with errors.Is) by the error for a path that exists but is not a
// regular file: a directory, a named pipe, a socket or a device.
var ErrNotRegular = errors.New("not a regular file")

// notRegular describes a non-regular file mode as an error matching ErrNotRegular.
func notRegular(m fs.FileMode) error {
	switch {
	case m.IsDir():
		return &notRegularError{"is a directory"}
	case m&fs.ModeNamedPipe != 0:
		return &notRegularError{"is a named pipe (FIFO), not a regular file"}
	case m&fs.ModeSocket != 0:
		return &notRegularError{"is a socket, not a regular file"}
	case m&fs.ModeDevice != 0:
		return &notRegularError{"is a device, not a regular file"}
	}
	return &notRegularError{"is not a regular file (mode " + m.Type().String() + ")"}
}

type notRegularError struct{ msg string }

func (e *notRegularError) Error() string        { return e.msg }
func (e *notRegularError) Is(target error) bool { return target == ErrNotRegular }

// unwrapPath drops the *fs.PathError wrapper, whose message repeats the path that LoadError
// prints anyway; the inner error still matches fs.ErrNotExist and fs.ErrPermission.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dupIndex returns the indices i < j of the first repeated name, or -1, -1.
func dupIndex(names []string) (int, int) {
	seen := make(map[string]int, len(names))
	for j, s := range names {
		if i, ok := seen[s]; ok {
			return i, j
		}
		seen[s] = j
	}
	return -1, -1
}

// Digest returns the hex SHA-256 of a file's bytes, read as a stream, for cache keys. Like
// [Load], it refuses anything but a regular file (the error matches [ErrNotRegular]) without
// reading it, so a named pipe cannot block it. Every error is a *LoadError naming the file; a
// missing file matches fs.ErrNotExist.
func Digest(path string) (string, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return "", &LoadError{File: path, Err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", &LoadError{File: path, Err: unwrapPath(err)}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// classSet assigns provisional ids to distinct label values as rows arrive and, at the end,
// the final class ids in sorted order.
type classSet[K cmp.Ordered] struct {
	ids   map[K]int32
	keys  []K // distinct values by provisional id
	own   func(K) K
	last  K
	lastN int32 // provisional id of last, or -1
}

func newClassSet[K cmp.Ordered](own func(K) K) *classSet[K] {
	return &classSet[K]{ids: make(map[K]int32), own: own, lastN: -1}
}

// id returns the provisional id of k. Labels often come in runs, so the last one is cached.
func (c *classSet[K]) id(k K) int32 {
	if c.lastN >= 0 && k == c.last {
		return c.lastN
	}
	n, ok := c.ids[k]
	if !ok {
		k = c.own(k) // keep a copy that does not pin the caller's buffer
		n = int32(len(c.keys))
		c.ids[k] = n
		c.keys = append(c.keys, k)
	}
	c.last, c.lastN = k, n
	return n
}

// sortedRemap returns the keys in sorted order and, for each provisional id, its rank.
func sortedRemap[K cmp.Ordered](keys []K) (sorted []K, rank []int32) {
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
	sorted = make([]K, len(keys))
	rank = make([]int32, len(keys))
	for r, id := range order {
		sorted[r] = keys[id]
		rank[id] = int32(r)
	}
	return sorted, rank
}

// textClasses turns the provisional ids of textual labels into final class ids in place and
// returns the class names: integers sorted numerically when every label is an integer,
// otherwise the strings sorted bytewise.
func textClasses(keys []string, labels []int32) []string {
	ints := make([]int64, len(keys))
	allInts := true
	for i, k := range keys {
		v, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			allInts = false
			break
		}
		ints[i] = v
	}
	if !allInts {
		names, rank := sortedRemap(keys)
		remap(labels, rank)
		return names
	}
	// "1" and "01" are the same integer: merge them before ranking.
	byValue := newClassSet(func(v int64) int64 { return v })
	merged := make([]int32, len(keys))
	for i, v := range ints {
		merged[i] = byValue.id(v)
	}
	sorted, rank := sortedRemap(byValue.keys)
	for i := range merged {
		merged[i] = rank[merged[i]]
	}
	remap(labels, merged)
	names := make([]string, len(sorted))
	for i, v := range sorted {
		names[i] = strconv.FormatInt(v, 10)
	}
	return names
}

// intClasses does the same for integer labels.
func intClasses(keys []int64, labels []int32) []string {
	sorted, rank := sortedRemap(keys)
	remap(labels, rank)
	names := make([]string, len(sorted))
	for i, v := range sorted {
		names[i] = strconv.FormatInt(v, 10)
	}
	return names
}

func remap(labels, to []int32) {
	for i, l := range labels {
		labels[i] = to[l]
	}
}

// tooManyClasses is the error for a label column with n > MaxClasses distinct values.
func tooManyClasses(n int) error {
	return fmt.Errorf("%d distinct labels, more than the %d classes nnpipe handles (is it the right label column?)", n, MaxClasses)
}

// MaxNameBytes bounds the name of a column that becomes a feature without being named in
// the options (the features of a file taken by default).
const MaxNameBytes = 1024

// checkName checks the name of column i (0-based), which is to be a feature: valid UTF-8
// text, as every later reader expects, and at most MaxNameBytes long.
func checkName(name string, i int) error {
	switch {
	case !utf8.ValidString(name):
		return fmt.Errorf("the name of column %d is not valid UTF-8 text", i+1)
	case len(name) > MaxNameBytes:
		return fmt.Errorf("the name of column %d has %d bytes, more than %d", i+1, len(name), MaxNameBytes)
	}
	return nil
}

// isUnnamedIndex reports whether a column is a table's unnamed row index rather than its
// data, and so never a feature taken by default: a column without a name (pandas writes its
// index so into a CSV file) or one named as pandas names an unnamed index level it writes
// into a Parquet file (__index_level_0__, __index_level_1__, …; it does so for any index
// but a plain range, e.g. after rows were filtered out).
func isUnnamedIndex(name string) bool {
	if name == "" {
		return true
	}
	n, ok := strings.CutPrefix(name, "__index_level_")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, "__")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// reservedName returns the problem of a column that is to be a feature (kept false) or a kept
// column of the dataset under the name of a column the dataset file holds besides them (see
// [WriteFile]): the file could not be written. It returns nil for any other name.
func reservedName(name string, kept bool) error {
	var what string
	switch name {
	case labelColumn:
		what = "class ids"
	case labelNameColumn:
		what = "class names"
	default:
		return nil
	}
	if kept {
		return fmt.Errorf("a kept column cannot be named %q, which nnpipe's dataset file gives its %s; rename the column in the file", name, what)
	}
	return fmt.Errorf("a feature cannot be named %q, which nnpipe's dataset file gives its %s; rename the column in the file, or list the features without it", name, what)
}

// notText is the problem of a label or kept value s that is not valid UTF-8.
func notText(s string) string {
	return shortQuote(s) + " is not valid UTF-8 text"
}

// singleClass is the error for a label column with one distinct value.
func singleClass(name string) error {
	return fmt.Errorf("every row has the same label %q; need at least 2 classes", name)
}

// listColumns formats header names for a one-line error message, eliding a long header.
// A name that would not read as itself there (see readsAsItself) is quoted; a long one is cut
// after 64 bytes, on a character's boundary.
func listColumns(names []string) string {
	const most, longest = 12, 64
	short := make([]string, 0, min(len(names), most))
	for _, n := range names[:min(len(names), most)] {
		cut, more := n, ""
		if len(n) > longest {
			cut, more = n[:runeCut(n, longest)], "…"
		}
		if !readsAsItself(n) || strings.Contains(n, ", ") { // ", " separates the names
			cut = strconv.Quote(cut)
		}
		short = append(short, cut+more)
	}
	if len(names) > most {
		return strings.Join(short, ", ") + fmt.Sprintf(", … (%d columns)", len(names))
	}
	return strings.Join(short, ", ")
}
