package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

const irisCSV = "../dataset/testdata/iris.csv"

// with returns the defaults changed by set.
func with(set func(p *Params)) *Params {
	p := NewParams()
	set(p)
	return p
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    *Params
		keys []string
	}{
		{"a CSV file", with(func(p *Params) { p.Path, p.Label = "d.csv", "y" }), nil},
		{"a Parquet file with a tab that stays at its default", with(func(p *Params) { p.Path, p.Label = "d.parquet", "y" }), nil},
		{"an unknown extension with the format given", with(func(p *Params) { p.Path, p.Label, p.Format = "d.txt", "y", "csv" }), nil},
		{"a tab delimiter and no header", with(func(p *Params) { p.Path, p.Label, p.Delimiter, p.Header = "d.tsv", "c0", "\t", false; p.Format = "csv" }), nil},
		{"nothing set", NewParams(), []string{"path", "label"}},
		{"an unknown extension", with(func(p *Params) { p.Path, p.Label = "d.txt", "y" }), []string{"path"}},
		{"an unknown format", with(func(p *Params) { p.Path, p.Label, p.Format = "d.csv", "y", "xlsx" }), []string{"format"}},
		{"a two-character delimiter", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.csv", "y", ";;" }), []string{"delimiter"}},
		{"an empty delimiter", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.csv", "y", "" }), []string{"delimiter"}},
		{"a quote as the delimiter", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.csv", "y", `"` }), []string{"delimiter"}},
		{"a NUL as the delimiter", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.csv", "y", "\x00" }), []string{"delimiter"}},
		{"the replacement character as the delimiter", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.csv", "y", "\uFFFD" }), []string{"delimiter"}},
		{"a delimiter for Parquet", with(func(p *Params) { p.Path, p.Label, p.Delimiter = "d.parquet", "y", ";" }), []string{"delimiter"}},
		{"no header for Parquet", with(func(p *Params) { p.Path, p.Label, p.Header = "d.pq", "y", false }), []string{"header"}},
		{"the label as a feature", with(func(p *Params) { p.Path, p.Label, p.Features = "d.csv", "y", []string{"a", "y"} }), []string{"features[1]"}},
		{"a feature twice", with(func(p *Params) { p.Path, p.Label, p.Features = "d.csv", "y", []string{"a", "a"} }), []string{"features[1]"}},
		{"an empty feature name", with(func(p *Params) { p.Path, p.Label, p.Features = "d.csv", "y", []string{""} }), []string{"features[0]"}},
		{"a feature kept", with(func(p *Params) { p.Path, p.Label, p.Features, p.Keep = "d.csv", "y", []string{"a"}, []string{"a"} }), []string{"keep[0]"}},
		{"the label kept", with(func(p *Params) { p.Path, p.Label, p.Keep = "d.csv", "y", []string{"y"} }), []string{"keep[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, e := range tt.p.Validate() {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("Validate(%+v) keys = %v, want %v", tt.p, keys, tt.keys)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "d.csv")
	tests := []struct{ path, base, want string }{
		{"d.csv", "configs", filepath.Join("configs", "d.csv")},
		{"../data/d.csv", "configs", filepath.Join("data", "d.csv")},
		{"d.csv", "", "d.csv"},
		{abs, "configs", abs},
	}
	for _, tt := range tests {
		if got := dataset.Resolve(tt.path, tt.base); got != tt.want {
			t.Errorf("dataset.Resolve(%q, %q) = %q, want %q", tt.path, tt.base, got, tt.want)
		}
	}
}

// copyTo writes src's bytes to dir/name and returns the path.
func copyTo(t *testing.T, src, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFingerprintFollowsTheBytesNotTheFileTimes(t *testing.T) {
	dir := t.TempDir()
	path := copyTo(t, irisCSV, dir, "iris.csv")
	p := with(func(p *Params) { p.Path, p.Label = "iris.csv", "species" })
	fp := func() string {
		t.Helper()
		s, err := Fingerprint(p, dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := fp()
	if !strings.HasPrefix(first, "sha256 ") || len(first) != len("sha256 ")+64 {
		t.Errorf("Fingerprint = %q, want sha256 and 64 hex digits", first)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if got := fp(); got != first {
		t.Errorf("Fingerprint after touching the file = %q, want %q unchanged", got, first)
	}
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(b, []byte("5.1"), []byte("5.2"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := fp(); got == first {
		t.Errorf("Fingerprint after editing a value = %q, unchanged; want it to change", got)
	}
}

func TestFingerprintErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		is   error
	}{
		{"a missing file", "missing.csv", fs.ErrNotExist},
		{"a directory", ".", dataset.ErrNotRegular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fingerprint(with(func(p *Params) { p.Path, p.Label, p.Format = tt.path, "y", "csv" }), dir)
			if !errors.Is(err, tt.is) {
				t.Errorf("Fingerprint(%s) = %v, want %v", tt.path, err, tt.is)
			}
			if want := dataset.Resolve(tt.path, dir); err == nil || !strings.HasPrefix(err.Error(), want+": ") {
				t.Errorf("Fingerprint(%s) = %v, want it to start with %q", tt.path, err, want+": ")
			}
		})
	}
}

// run runs the stage with p against base and returns the output path.
func run(p *Params, base, out string) (string, error) {
	io := pipeline.NewIO("data", nil, map[string]string{"dataset": out})
	io.BaseDir = base
	return out, Spec().Run(context.Background(), p, io)
}

func TestRunWritesTheLoadedDatasetDeterministically(t *testing.T) {
	out := t.TempDir()
	p := with(func(p *Params) { p.Path, p.Label = "iris.csv", "species" })
	var files [][]byte
	for i := range 2 {
		path, err := run(p, filepath.Dir(irisCSV), filepath.Join(out, strconv.Itoa(i)+".parquet"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("two runs wrote different bytes")
	}
	d, err := dataset.ReadFile(filepath.Join(out, "0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := dataset.Load(irisCSV, dataset.LoadOptions{Label: "species"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.X, want.X) || !slices.Equal(d.Labels, want.Labels) || !slices.Equal(d.Classes, []string{"setosa", "versicolor", "virginica"}) {
		t.Errorf("the written dataset differs from the loaded one (classes %v)", d.Classes)
	}
}

func TestRunCarriesKeptColumnsAndReadsFilesWithoutHeader(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.tsv"), []byte("1\t2\ta\t1\n3\t4\tb\t0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := with(func(p *Params) {
		p.Path, p.Format, p.Label, p.Delimiter, p.Header, p.Keep = "d.tsv", "csv", "c2", "\t", false, []string{"c3"}
	})
	out, err := run(p, dir, filepath.Join(dir, "out.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Features, []string{"c0", "c1"}) || !slices.Equal(d.X, []float64{1, 2, 3, 4}) {
		t.Errorf("loaded features %v %v, want c0 c1 [1 2 3 4]", d.Features, d.X)
	}
	if v, _ := d.ExtraColumn("c3"); !slices.Equal(v, []string{"1", "0"}) {
		t.Errorf("kept column c3 = %v, want [1 0]", v)
	}
}

func TestRunMarksBadDataInvalidAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("x,label\n1,a\nNaN,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(with(func(p *Params) { p.Path, p.Label = "bad.csv", "label" }), dir, filepath.Join(dir, "out.parquet"))
	if !pipeline.IsInvalid(err) {
		t.Fatalf("Run(NaN) = %v, want a pipeline.Invalid error", err)
	}
	var le *dataset.LoadError
	if !errors.As(err, &le) || le.Line != 3 || le.Column != "x" {
		t.Errorf("Run(NaN) = %v, want a *dataset.LoadError at line 3, column x", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Run(bad data) left %s", out)
	}
}

// writeBench writes n rows × 8 features and a 3-class label as CSV and as Parquet.
func writeBench(b *testing.B, dir string, n int) (csvPath, pqPath string) {
	b.Helper()
	src := rand.New(rand.NewPCG(1, 2))
	d := &dataset.Dataset{Classes: []string{"a", "b", "c"}, X: make([]float64, n*8), Labels: make([]int32, n)}
	for j := range 8 {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	var buf bytes.Buffer
	buf.WriteString(strings.Join(d.Features, ",") + ",label\n")
	for i := range n {
		d.Labels[i] = int32(src.IntN(3))
		for j := range 8 {
			d.X[i*8+j] = src.NormFloat64()
			buf.WriteString(strconv.FormatFloat(d.X[i*8+j], 'g', -1, 64) + ",")
		}
		buf.WriteString(d.Classes[d.Labels[i]] + "\n")
	}
	csvPath, pqPath = filepath.Join(dir, "d.csv"), filepath.Join(dir, "d.parquet")
	if err := os.WriteFile(csvPath, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := dataset.WriteFile(pqPath, d, nil); err != nil {
		b.Fatal(err)
	}
	return csvPath, pqPath
}

// BenchmarkRun is the whole stage (read the user's file, write dataset.parquet) on CSV and on
// Parquet at several sizes, as the engine runs it: with the key's fingerprint, so that the
// stage hashes what it reads (and copies a Parquet file first); rows/s should not fall as N
// grows.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		dir := b.TempDir()
		csvPath, pqPath := writeBench(b, dir, n)
		for _, c := range []struct {
			format string
			p      *Params
		}{
			{"csv", with(func(p *Params) { p.Path, p.Label = csvPath, "label" })},
			{"parquet", with(func(p *Params) {
				p.Path, p.Label, p.Features = pqPath, "label_name", []string{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"}
			})},
		} {
			b.Run(c.format+"/"+strconv.Itoa(n), func(b *testing.B) {
				fp, err := Fingerprint(c.p, "")
				if err != nil {
					b.Fatal(err)
				}
				io := pipeline.NewIO("data", nil, map[string]string{"dataset": filepath.Join(dir, "out.parquet")})
				io.Fingerprint = fp
				for b.Loop() {
					if err := Spec().Run(context.Background(), c.p, io); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkFingerprint is the cost the file's digest adds to every key computation.
func BenchmarkFingerprint(b *testing.B) {
	csvPath, _ := writeBench(b, b.TempDir(), 100_000)
	st, _ := os.Stat(csvPath)
	p := with(func(p *Params) { p.Path, p.Label = csvPath, "label" })
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := Fingerprint(p, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDocStatesTheClassLimit: `nnpipe stages` shows the kind's doc and the label's, which
// state the limit in words; they must follow dataset.MaxClasses.
func TestDocStatesTheClassLimit(t *testing.T) {
	limit := strconv.Itoa(dataset.MaxClasses/1000) + "," + fmt.Sprintf("%03d", dataset.MaxClasses%1000)
	field, _ := reflect.TypeFor[Params]().FieldByName("Label")
	for what, doc := range map[string]string{"the kind's doc": Spec().Doc, "the label's doc": field.Tag.Get("doc")} {
		if !strings.Contains(doc, limit) {
			t.Errorf("%s %q does not state the class limit %s", what, doc, limit)
		}
	}
}

// TestAFormatTheExtensionNamesKeysAsLeftOut checks that writing out the
// format a path's extension names gives the canonical JSON, hence the cache
// key and the config hash, of leaving it out: the file is read alike. A
// format other than the extension's is kept.
func TestAFormatTheExtensionNamesKeysAsLeftOut(t *testing.T) {
	for _, tt := range []struct {
		path, format string
		same         bool
	}{
		{"iris.csv", "csv", true},
		{"IRIS.CSV", "csv", true},
		{"iris.parquet", "parquet", true},
		{"iris.pq", "parquet", true},
		{"iris.csv", "parquet", false},
		{"iris.txt", "csv", false},
	} {
		left := with(func(p *Params) { p.Path, p.Label = tt.path, "species" })
		written := with(func(p *Params) { p.Path, p.Label, p.Format = tt.path, "species", tt.format })
		a, err := pipeline.ParamsJSON(left)
		if err != nil {
			t.Fatal(err)
		}
		b, err := pipeline.ParamsJSON(written)
		if err != nil {
			t.Fatal(err)
		}
		if (string(a) == string(b)) != tt.same {
			t.Errorf("path %s: format left out gives %s, format %s gives %s; want them equal: %t", tt.path, a, tt.format, b, tt.same)
		}
		if m, err := pipeline.ParamsMap(written); err != nil || fmt.Sprint(m["format"]) != map[bool]string{true: "", false: tt.format}[tt.same] {
			t.Errorf("path %s, format %s: ParamsMap = %v, %v; want the YAML round trip to agree", tt.path, tt.format, m, err)
		}
	}
}
