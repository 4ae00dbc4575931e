package htmlreport

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/results"
)

// The page's parts: the charting library as published (see
// echarts/VERSION), and the page's own script, style and markup.
var (
	//go:embed echarts/echarts.min.js
	echartsJS string
	//go:embed echarts/VERSION
	echartsRecord string
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/body.html
	pageHTML string
)

// recorded returns the value of key in the record of the embedded
// ECharts, echarts/VERSION.
func recorded(key string) string {
	for _, line := range strings.Split(echartsRecord, "\n") {
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// echartsVersion is the version of the embedded ECharts.
func echartsVersion() string { return recorded("version") }

// echartsHash is the Content-Security-Policy source of the ECharts script:
// its recorded SHA-256 (a test checks the record against the file), which
// spares hashing a megabyte for every page.
func echartsHash() string {
	sum, err := hex.DecodeString(recorded("sha256"))
	if err != nil || len(sum) != sha256.Size {
		return scriptHash(echartsJS)
	}
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum) + "'"
}

// scriptHash is the Content-Security-Policy source that allows the inline
// script whose text is s.
func scriptHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// HTML returns the page.
func (r *Report) HTML() []byte {
	var b bytes.Buffer
	b.Grow(len(echartsJS) + len(reportJS) + len(reportCSS) + len(pageHTML) + len(r.data) + len(r.runs) + 1024)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	// Only the page's two scripts run; nothing is fetched: no script,
	// style sheet, font, frame or connection from anywhere, images only
	// from data: URIs.
	fmt.Fprintf(&b, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src %s %s; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`+"\n",
		echartsHash(), scriptHash(reportJS))
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<meta name=\"generator\" content=\"nnpipe %s\">\n", html.EscapeString(r.version))
	b.WriteString("<title>" + html.EscapeString(strings.ToValidUTF8(r.title, "\uFFFD")) + "</title>\n<style>\n" + reportCSS + "</style>\n</head>\n<body>\n")
	b.WriteString(pageHTML)
	b.WriteString(`<script type="application/json" id="nnpipe-data">`)
	b.Write(r.data)
	b.WriteString("</script>\n<script type=\"application/json\" id=\"nnpipe-runs\">")
	b.Write(r.runs)
	b.WriteString("</script>\n<script>")
	b.WriteString(echartsJS)
	b.WriteString("</script>\n<script>")
	b.WriteString(reportJS)
	b.WriteString("</script>\n</body>\n</html>\n")
	return b.Bytes()
}

// WriteTo writes the page to w.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.HTML())
	return int64(n), err
}

// WriteFile writes the report of paths, as compare takes them (see
// results.Find), to the file out, replacing it whole: the page is
// written under a temporary name beside it and renamed. A path that is no
// run, sweep or folder of them, an out that is a folder or in no folder,
// and an out that is one of the summaries read, are invalid input, and
// nothing is written.
func WriteFile(ctx context.Context, paths []string, out string, opt Options) (*Report, error) {
	if err := checkOut(out); err != nil {
		return nil, err
	}
	sources := make([]Source, len(paths))
	for i, p := range paths {
		files, err := results.Find(p)
		if err != nil {
			return nil, err
		}
		// A summary kept outside a run directory is not refused by
		// results.OutsideRuns: replacing it would destroy what the
		// page is made of.
		for _, f := range files {
			if err := pipeline.CheckNotInput(out, "a summary the report reads", f); err != nil {
				return nil, fmt.Errorf("-o: %w", err)
			}
		}
		sources[i] = Source{Name: p, Files: files}
	}
	rep, err := Build(ctx, sources, opt)
	if err != nil {
		return nil, err
	}
	return rep, writeAtomic(out, rep.HTML())
}

// writeAtomic writes b to path whole (pipeline.CreateOut): under a temporary
// name beside it, with the umask's mode, then renamed into place.
func writeAtomic(path string, b []byte) error {
	f, err := pipeline.CreateOut(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// checkOut refuses an output file that is empty, a folder, in a folder
// that does not exist, or not a regular file (see pipeline.CheckOutFile).
func checkOut(out string) error {
	if out == "" {
		return pipeline.Invalid(errors.New("-o: must not be empty"))
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return pipeline.Invalid(fmt.Errorf("-o %s: is a folder; give the file to write", out))
	}
	dir := filepath.Dir(out)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return pipeline.Invalid(fmt.Errorf("-o %s: the folder %s does not exist", config.Shown(out), config.Shown(dir)))
	case err != nil:
		return fmt.Errorf("-o %s: %w", out, err)
	case !st.IsDir():
		return pipeline.Invalid(fmt.Errorf("-o %s: %s is not a folder", config.Shown(out), config.Shown(dir)))
	}
	// A named pipe, a device, a link to nothing: not a file to replace.
	if err := pipeline.CheckOutFile(out); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}

// ForDir returns the results.ReportFunc that writes a run or sweep
// directory's report.html, naming nnpipe's version: the page that
// `nnpipe report . -o FILE` of that version writes in the directory once
// it is named name, byte for byte. Its one source is ".", its paths are
// relative to the directory and its title is name.
func ForDir(version string) results.ReportFunc {
	return func(dir, name string, m *results.Manifest) ([]byte, error) {
		dir = filepath.Clean(dir)
		var manifests map[string]*results.Manifest
		if m != nil {
			manifests = map[string]*results.Manifest{dir: m}
		}
		src := []Source{{Name: ".", Files: []string{filepath.Join(dir, results.SummaryFile)}}}
		rep, err := build(context.Background(), src, Options{Version: version, Title: name, Base: dir}, manifests)
		if err != nil {
			return nil, err
		}
		return rep.HTML(), nil
	}
}
