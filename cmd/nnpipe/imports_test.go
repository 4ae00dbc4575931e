package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/nnpipe/nnpipe"

// pkg is a package's imports and all its dependencies, as go list gives them.
type pkg struct{ imports, deps []string }

// TestImportRules checks the package boundaries with go list: the engine
// never depends on the stage kinds, the math and the codecs never depend
// on the engine, the heavy libraries stay in one package each, the S3
// client is linked only where the S3 cache and the CLI are, and only tests
// use the golden-file helper (it registers the -update flag).
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := map[string]pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		pkgs[parts[0]] = pkg{strings.Fields(parts[1]), strings.Fields(parts[2])}
	}
	has := func(list []string, prefix string) string { // the first of list that is prefix or under it
		for _, p := range list {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				return p
			}
		}
		return ""
	}
	onlyIn := map[string]string{ // library -> the one package that may import it
		"github.com/apache/arrow-go":        module + "/stages/dataset",
		"github.com/olekukonko/tablewriter": module + "/stages/report",
		"gonum.org/v1/plot":                 module + "/stages/report",
		"github.com/klauspost/compress":     module + "/stages/report",
		"google.golang.org/protobuf":        module + "/stages/onnx",
		"github.com/minio/minio-go":         module + "/pipeline/cache/s3store",
	}
	for path, p := range pkgs {
		rel := strings.TrimPrefix(path, module+"/")
		if strings.HasPrefix(rel, "pipeline") {
			if d := has(p.deps, module+"/stages"); d != "" {
				t.Errorf("%s depends on %s; pipeline/ must never import stages/", path, d)
			}
		}
		if d := has(p.deps, "github.com/minio/minio-go"); d != "" && rel != "pipeline/cache/s3store" && rel != "cmd/nnpipe" {
			t.Errorf("%s depends on %s; only the S3 cache and the CLI may link the S3 client", path, d)
		}
		for _, testOnly := range []string{module + "/pipeline/golden", module + "/pipeline/polltest"} {
			if d := has(p.deps, testOnly); d != "" {
				t.Errorf("%s depends on %s, which is for tests only", path, d)
			}
		}
		if rel == "stages/nn" || rel == "stages/dataset" {
			if d := has(p.deps, module+"/pipeline"); d != "" {
				t.Errorf("%s depends on %s; the math and the codecs must not know the engine", path, d)
			}
		}
		if rel == "stages/nn" {
			for _, imp := range p.imports {
				if strings.Contains(strings.Split(imp, "/")[0], ".") && !strings.HasPrefix(imp, "gonum.org/v1/gonum") {
					t.Errorf("stages/nn imports %s; it may import only the standard library and gonum", imp)
				}
			}
		}
		for lib, owner := range onlyIn {
			if imp := has(p.imports, lib); imp != "" && path != owner && !strings.HasPrefix(path, owner+"/") {
				t.Errorf("%s imports %s; only %s may", path, imp, owner)
			}
		}
	}
	checkKindsStayInTheirPackages(t, pkgs, has)
	for path, p := range pkgs {
		if d := has(p.deps, "github.com/chromedp"); d != "" {
			t.Errorf("%s depends on %s, which only the browser tests may use", path, d)
		}
	}
	for _, rel := range []string{"pipeline", "stages/nn", "stages/dataset", "stages/report", "stages/results", "stages/comparison", "stages/htmlreport", "stages/onnx", "pipeline/cache/s3store"} {
		if _, ok := pkgs[module+"/"+rel]; !ok {
			t.Errorf("go list did not list %s", rel)
		}
	}
}

// TestNoCgo checks that no package of the binary but the standard
// library's has C code when cgo is on. The standard library's (runtime/cgo,
// and net and os/user, which call the C library for name and user lookups
// when a C compiler is present) all have Go fallbacks, so the binary built
// with CGO_ENABLED=0 is the same program, statically linked: one file
// that runs on any Linux of its architecture, with or without a C library.
func TestNoCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if and .CgoFiles (not .Standard)}}{{.ImportPath}}: {{join .CgoFiles \" \"}}{{end}}", module+"/cmd/nnpipe")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if cgo := strings.TrimSpace(string(out)); cgo != "" {
		t.Errorf("packages of the binary with C code; a CGO_ENABLED=0 build would leave them out or fail:\n%s", cgo)
	}
}

// checkKindsStayInTheirPackages checks that what a stage kind knows stays
// in its package: the kinds are the packages the registry (stages)
// imports. The CLI imports none of them, only the registry, the results,
// the tables, the HTML report, predict (whose scoring `nnpipe predict`
// is) and the ONNX exporter; stages/results and stages/comparison import
// none but evaluate, whose metrics.json the run directory holds; the HTML
// report none at all; no kind imports the results; and
// stages/comparison, which knows no files, imports neither the results nor
// the cache. Only tests use chromedp.
func checkKindsStayInTheirPackages(t *testing.T, pkgs map[string]pkg, has func([]string, string) string) {
	t.Helper()
	kinds := map[string]bool{}
	for _, imp := range pkgs[module+"/stages"].imports {
		if strings.HasPrefix(imp, module+"/stages/") {
			kinds[imp] = true
		}
	}
	if len(kinds) == 0 {
		t.Fatal("the registry, stages, imports no stage kind")
	}
	allowed := map[string][]string{ // package -> the packages of stages/ it may import
		module + "/cmd/nnpipe": {module + "/stages", module + "/stages/results", module + "/stages/comparison", module + "/stages/report", module + "/stages/htmlreport",
			module + "/stages/predict", module + "/stages/onnx"}, // nnpipe predict shares the predict kind's scoring
		module + "/stages/htmlreport": {module + "/stages/results", module + "/stages/comparison", module + "/stages/dataset", module + "/stages/report"},
		module + "/stages/results":    {module + "/stages/comparison", module + "/stages/dataset", module + "/stages/report", module + "/stages/evaluate", module + "/stages/model"},
		module + "/stages/comparison": {module + "/stages/dataset", module + "/stages/report"},
	}
	for path, ok := range allowed {
		for _, imp := range pkgs[path].imports {
			if strings.HasPrefix(imp, module+"/stages") && !slices.Contains(ok, imp) {
				t.Errorf("%s imports %s; it may import only %v of stages/", path, imp, ok)
			}
		}
	}
	if d := has(pkgs[module+"/stages/comparison"].imports, module+"/pipeline/cache"); d != "" {
		t.Errorf("stages/comparison imports %s; it knows no files", d)
	}
	for kind := range kinds {
		for _, lib := range []string{module + "/stages/results", module + "/stages/comparison"} {
			if d := has(pkgs[kind].deps, lib); d != "" {
				t.Errorf("the stage kind %s depends on %s; a kind knows nothing of run directories", kind, d)
			}
		}
	}
}
