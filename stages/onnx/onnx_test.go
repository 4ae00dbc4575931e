package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/golden"
	"github.com/nnpipe/nnpipe/stages/model"
	"google.golang.org/protobuf/encoding/protowire"
)

func testModel() *model.Model {
	m := &model.Model{Format: model.Format, D: 3, M: 2, K: 4, Features: []string{"a", "b", "c"}, Label: "y",
		Classes: []string{"k0", "k1", "k2", "k3"}, Source: &model.Source{Name: "n", ConfigSHA256: "h"},
		Preprocess: []model.Step{
			{Op: model.Standardize, Mean: []float64{1, 2, 3}, Std: []float64{4, 5, 6}},
			{Op: model.Standardize, Mean: []float64{0.1, 0.2, 0.3}, Std: []float64{1, 1, 2}},
		}}
	m.Weights = make([]float64, m.Shape().NumParams())
	for i := range m.Weights {
		m.Weights[i] = float64(i) + 0.5
	}
	return m
}

// fields decodes one message's fields: number → the raw values (varints as uint64, bytes).
func fields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			out[num], b = append(out[num], v), b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal(protowire.ParseError(n))
			}
			out[num], b = append(out[num], v), b[n:]
		default:
			t.Fatalf("field %d has wire type %v, which this package never writes", num, typ)
		}
	}
	return out
}

func str(v any) string { return string(v.([]byte)) }

// TestExportEncodesTheGraph decodes the exported bytes with protowire alone and checks the
// ONNX messages field by field: the opset, the node chain with its attributes, the
// initializers (the weights split into W and b, transposed as Gemm's transB expects), the
// inputs and outputs with a symbolic batch dimension, and the metadata.
func TestExportEncodesTheGraph(t *testing.T) {
	m := testModel()
	b, err := Export(m, Options{ModelSHA256: "sum", Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	model := fields(t, b)
	if model[1][0].(uint64) != irVersion || str(model[2][0]) != "nnpipe" || str(model[3][0]) != "1.2.3" {
		t.Errorf("ir_version %v, producer %q %q", model[1], str(model[2][0]), str(model[3][0]))
	}
	if ops := fields(t, model[8][0].([]byte)); ops[2][0].(uint64) != opset || len(ops[1]) != 0 {
		t.Errorf("opset_import = %v, want the default domain at %d", ops, opset)
	}
	meta := map[string]string{}
	for _, e := range model[14] {
		kv := fields(t, e.([]byte))
		meta[str(kv[1][0])] = str(kv[2][0])
	}
	for k, want := range map[string]string{"nnpipe.features": `["a","b","c"]`, "nnpipe.classes": `["k0","k1","k2","k3"]`,
		"nnpipe.label": "y", "nnpipe.model_sha256": "sum", "nnpipe.source_config_sha256": "h", "nnpipe.input": Input} {
		if meta[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], want)
		}
	}
	g := fields(t, model[7][0].([]byte))
	var ops []string
	attrs := map[string]uint64{}
	for _, n := range g[1] {
		node := fields(t, n.([]byte))
		op := str(node[4][0])
		ops = append(ops, op)
		for _, a := range node[5] {
			af := fields(t, a.([]byte))
			if af[20][0].(uint64) != 2 {
				t.Errorf("%s attribute %s has type %v, want INT (2)", op, str(af[1][0]), af[20][0])
			}
			attrs[op+"."+str(af[1][0])] = af[3][0].(uint64)
		}
	}
	if want := "Sub Div Sub Div Gemm Sigmoid Gemm Softmax ArgMax"; strings.Join(ops, " ") != want {
		t.Errorf("nodes %s, want %s", strings.Join(ops, " "), want)
	}
	if attrs["Gemm.transB"] != 1 || attrs["Softmax.axis"] != 1 || attrs["ArgMax.axis"] != 1 || attrs["ArgMax.keepdims"] != 0 {
		t.Errorf("attributes %v", attrs)
	}
	tensors := map[string][]float64{}
	dims := map[string][]uint64{}
	for _, ti := range g[5] {
		tf := fields(t, ti.([]byte))
		if tf[2][0].(uint64) != typeDouble {
			t.Errorf("initializer of type %v, want DOUBLE", tf[2][0])
		}
		name, raw := str(tf[8][0]), tf[9][0].([]byte)
		for i := 0; i < len(raw); i += 8 {
			tensors[name] = append(tensors[name], math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
		}
		for _, d := range tf[1] {
			dims[name] = append(dims[name], d.(uint64))
		}
	}
	// wv = w (2×4: three weights and a bias per hidden unit), then v (4×3).
	want := map[string][]float64{"W1": {0.5, 1.5, 2.5, 4.5, 5.5, 6.5}, "b1": {3.5, 7.5},
		"W2": {8.5, 9.5, 11.5, 12.5, 14.5, 15.5, 17.5, 18.5}, "b2": {10.5, 13.5, 16.5, 19.5},
		"mean_0": {1, 2, 3}, "std_1": {1, 1, 2}}
	for name, w := range want {
		if !slices.Equal(tensors[name], w) {
			t.Errorf("initializer %s = %v, want %v", name, tensors[name], w)
		}
	}
	if !slices.Equal(dims["W1"], []uint64{2, 3}) || !slices.Equal(dims["W2"], []uint64{4, 2}) {
		t.Errorf("dims W1 %v W2 %v, want [2 3] and [4 2]", dims["W1"], dims["W2"])
	}
	in := fields(t, g[11][0].([]byte))
	shape := fields(t, fields(t, fields(t, in[2][0].([]byte))[1][0].([]byte))[2][0].([]byte))
	if str(in[1][0]) != Input || len(shape[1]) != 2 || str(fields(t, shape[1][0].([]byte))[2][0]) != "N" ||
		fields(t, shape[1][1].([]byte))[1][0].(uint64) != 3 {
		t.Errorf("input %q of shape %v, want features [N, 3]", str(in[1][0]), shape)
	}
	var outs []string
	for _, o := range g[12] {
		outs = append(outs, str(fields(t, o.([]byte))[1][0]))
	}
	if !slices.Equal(outs, []string{Probabilities, Class}) {
		t.Errorf("outputs %v", outs)
	}
	again, _ := Export(m, Options{ModelSHA256: "sum", Version: "1.2.3"})
	if !bytes.Equal(again, b) {
		t.Error("two exports of one model differ")
	}
}

func TestExportFloat32StoresFourBytesAValue(t *testing.T) {
	b, err := Export(testModel(), Options{DType: Float32})
	if err != nil {
		t.Fatal(err)
	}
	g := fields(t, fields(t, b)[7][0].([]byte))
	for _, ti := range g[5] {
		tf := fields(t, ti.([]byte))
		if tf[2][0].(uint64) != typeFloat || len(tf[9][0].([]byte))%4 != 0 {
			t.Errorf("initializer %s: type %v, %d bytes", str(tf[8][0]), tf[2][0], len(tf[9][0].([]byte)))
		}
	}
	if _, err := Export(testModel(), Options{DType: "int8"}); err == nil {
		t.Error("Export with dtype int8 = nil error")
	}
	// Values single precision cannot hold are refused, not rounded to an infinity or to a
	// deviation of 0; float64 takes them.
	for name, change := range map[string]func(m *model.Model){
		"a huge weight":    func(m *model.Model) { m.Weights[1] = 1e39 },
		"a huge mean":      func(m *model.Model) { m.Preprocess[0].Mean[0] = -1e300 },
		"a tiny deviation": func(m *model.Model) { m.Preprocess[0].Std[1] = 1e-46 },
		"a huge deviation": func(m *model.Model) { m.Preprocess[0].Std[0] = 1e40 },
		// A Unix time: float32 values near 1.7e9 are 128 apart, 0.4 deviations.
		"a mean far from 0 for its deviation": func(m *model.Model) { m.Preprocess[0].Mean[0], m.Preprocess[0].Std[0] = 1.7e9, 300 },
		// The largest float32, whose next value up is infinite.
		"the largest mean single precision holds": func(m *model.Model) { m.Preprocess[0].Mean[0] = math.MaxFloat32 },
	} {
		m := testModel()
		change(m)
		if _, err := Export(m, Options{DType: Float32}); !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "single precision") {
			t.Errorf("float32 export of %s: %v, want an invalid-input error", name, err)
		}
		if _, err := Export(m, Options{DType: Float64}); err != nil {
			t.Errorf("float64 export of %s: %v", name, err)
		}
	}
	// A temperature in kelvin: float32 keeps 1e-5 of its deviation, which moves no probability
	// by more than 1e-3.
	m := testModel()
	m.Preprocess[0].Mean[0], m.Preprocess[0].Std[0] = 300, 3
	if _, err := Export(m, Options{DType: Float32}); err != nil {
		t.Errorf("float32 export of a mean of 300 with a deviation of 3: %v", err)
	}
}

// TestExportFloat32SaysHowFarAProbabilityCanMove: a float32 export refused for a feature
// single precision cannot tell apart says how far that can move a probability
// (testdata/float32_errors.golden): the bound, when it is below 1, and otherwise that the
// move can be any, never a bound on a probability above 1.
func TestExportFloat32SaysHowFarAProbabilityCanMove(t *testing.T) {
	var got strings.Builder
	for _, c := range []struct {
		name      string
		mean, std float64
	}{
		// float32 values near 1e5 are 1/128 apart; the bound is about 0.18.
		{"a count of about 100,000 that varies by 1", 1e5, 1},
		// float32 values near 1.7e9 are 128 apart, 0.4 deviations; the bound is about 10.
		{"a Unix time over a few minutes", 1.7e9, 300},
	} {
		m := testModel()
		m.Preprocess[0].Mean[0], m.Preprocess[0].Std[0] = c.mean, c.std
		_, err := Export(m, Options{DType: Float32})
		if !pipeline.IsInvalid(err) {
			t.Errorf("float32 export of %s: %v, want an invalid-input error", c.name, err)
			continue
		}
		fmt.Fprintf(&got, "%s\n\t%v\n", c.name, err)
	}
	golden.CheckString(t, filepath.Join("testdata", "float32_errors.golden"), got.String())
}

// TestWriteFileRefusesWhatCannotBeExported: a run without a model, an unknown format or dtype,
// an output that is a folder — invalid input, and nothing written.
func TestWriteFileRefusesWhatCannotBeExported(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "model.json")
	if err := testModel().Write(good); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "manifest.json"), []byte(`{"status": "diverged", "error": "diverged at step 1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.onnx")
	folder := t.TempDir() // a plain folder holding a model.json
	if err := testModel().Write(filepath.Join(folder, model.File)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, out string
		opt             Options
		want            string
	}{
		{"a diverged run", run, out, Options{}, "the run diverged (diverged at step 1) and has no model"},
		{"a missing run", filepath.Join(dir, "nope"), out, Options{}, "no such file or directory"},
		{"another format", good, out, Options{Format: "tflite"}, `--format: unknown format "tflite"`},
		{"another dtype", good, out, Options{DType: "bf16"}, `--dtype: unknown dtype "bf16"`},
		{"a folder to write to", good, dir, Options{}, "is a directory"},
		{"the model file itself", good, good, Options{}, good + " is the model file; give another file to write"},
		{"the model file of a folder", folder, filepath.Join(folder, model.File), Options{}, filepath.Join(folder, model.File) + " is the model file; give another file to write"},
	} {
		_, err := WriteFile(tt.path, tt.out, tt.opt)
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: WriteFile = %v, want invalid input containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export wrote %s", out)
	}
	for _, path := range []string{good, filepath.Join(folder, model.File)} {
		if _, err := model.Read(path); err != nil {
			t.Errorf("a refused export changed the model file: %v", err)
		}
	}
	n, err := WriteFile(good, out, Options{})
	if err != nil || n == 0 {
		t.Fatalf("WriteFile of a model = %d, %v", n, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("the folder holds %d entries, want the model, the run and the export", len(entries))
	}
}
