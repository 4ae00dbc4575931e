// Package onnx writes a trained model as an ONNX model: a graph any ONNX runtime runs that maps
// the user's raw feature rows to the class probabilities and the predicted class, the fitted
// preprocessing included.
//
// The graph, at opset 13 (IR version 7), with a dynamic batch dimension N:
//
//	features [N, D] ─ Sub(mean) ─ Div(std) ─ … (one pair per standardize step, in order)
//	  ─ Gemm(W1ᵀ, b1) ─ Sigmoid ─ Gemm(W2ᵀ, b2) ─ Softmax(axis 1) ─→ probabilities [N, K]
//	                                          probabilities ─ ArgMax(axis 1) ─→ class [N] (int64)
//
// The standardization stays as its own nodes rather than folded into the first Gemm: the
// same subtraction and division nnpipe makes, so a runtime computing in float64 gives
// nnpipe's probabilities to within the rounding of the sums' order. The model's metadata
// (metadata_props) holds the feature names, the class names, the label column, the source run
// and the digest of the model.json it was made from.
//
// The few ONNX messages needed are encoded field by field with protowire, with the field
// numbers of onnx/onnx.proto: no generated code and no cgo.
package onnx

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/model"
	"google.golang.org/protobuf/encoding/protowire"
)

// The element types this package writes (TensorProto.DataType).
const (
	typeFloat  = 1
	typeInt64  = 7
	typeDouble = 11
)

// Float64 and Float32 are the element types a model can be exported with.
const (
	Float64 = "float64"
	Float32 = "float32"
)

// The graph's input and output names.
const (
	Input         = "features"
	Probabilities = "probabilities"
	Class         = "class"
)

// irVersion and opset are the ONNX IR version and the opset of the default domain the model
// targets: opset 13 came with IR version 7, and every op used here has a float64 kernel in
// onnxruntime at that opset.
const (
	irVersion = 7
	opset     = 13
)

// Format is the one format Options.Format may name.
const Format = "onnx"

// Options say how to export a model.
type Options struct {
	Format      string // Format, or "" for it
	DType       string // Float64 (the default) or Float32
	ModelSHA256 string // the digest of the model file, for the metadata
	Version     string // nnpipe's, the producer version
	// CheckOut, when set, refuses the path WriteFile is to write before anything is read (the
	// CLI's rules of where not to write, such as inside a run directory).
	CheckOut func(out string) error
}

// Export returns the ONNX model of m.
func Export(m *model.Model, opt Options) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var elem int32
	switch opt.DType {
	case "", Float64:
		elem = typeDouble
	case Float32:
		elem = typeFloat
	default:
		return nil, fmt.Errorf("export: unknown dtype %q; want float64 or float32", opt.DType)
	}
	if elem == typeFloat {
		if err := fitsFloat32(m); err != nil {
			return nil, pipeline.Invalid(fmt.Errorf("export: %w; export it with --dtype float64", err))
		}
	}
	g := graph{elem: elem}
	x := Input
	for i, st := range m.Preprocess {
		mean, std := fmt.Sprintf("mean_%d", i), fmt.Sprintf("std_%d", i)
		g.tensor(mean, []int64{int64(m.D)}, st.Mean)
		g.tensor(std, []int64{int64(m.D)}, st.Std)
		centered, scaled := fmt.Sprintf("centered_%d", i), fmt.Sprintf("standardized_%d", i)
		g.node("Sub", []string{x, mean}, centered)
		g.node("Div", []string{centered, std}, scaled)
		x = scaled
	}
	d, hid, k := m.D, m.M, m.K
	nw := hid * (d + 1)
	w1, b1 := make([]float64, 0, hid*d), make([]float64, 0, hid)
	for j := range hid {
		row := m.Weights[j*(d+1) : (j+1)*(d+1)]
		w1, b1 = append(w1, row[:d]...), append(b1, row[d])
	}
	w2, b2 := make([]float64, 0, k*hid), make([]float64, 0, k)
	for c := range k {
		row := m.Weights[nw+c*(hid+1) : nw+(c+1)*(hid+1)]
		w2, b2 = append(w2, row[:hid]...), append(b2, row[hid])
	}
	g.tensor("W1", []int64{int64(hid), int64(d)}, w1)
	g.tensor("b1", []int64{int64(hid)}, b1)
	g.tensor("W2", []int64{int64(k), int64(hid)}, w2)
	g.tensor("b2", []int64{int64(k)}, b2)
	g.node("Gemm", []string{x, "W1", "b1"}, "hidden_in", intAttr("transB", 1))
	g.node("Sigmoid", []string{"hidden_in"}, "hidden")
	g.node("Gemm", []string{"hidden", "W2", "b2"}, "logits", intAttr("transB", 1))
	g.node("Softmax", []string{"logits"}, Probabilities, intAttr("axis", 1))
	g.node("ArgMax", []string{Probabilities}, Class, intAttr("axis", 1), intAttr("keepdims", 0))

	var gb []byte
	for _, n := range g.nodes {
		gb = protowire.AppendTag(gb, 1, protowire.BytesType) // GraphProto.node
		gb = protowire.AppendBytes(gb, n)
	}
	gb = appendString(gb, 2, "nnpipe") // GraphProto.name
	for _, t := range g.init {
		gb = protowire.AppendTag(gb, 5, protowire.BytesType) // GraphProto.initializer
		gb = protowire.AppendBytes(gb, t)
	}
	gb = appendString(gb, 10, "the network of nnpipe: standardization, sigmoid hidden layer, softmax output") // doc_string
	gb = appendMessage(gb, 11, valueInfo(Input, elem, "N", int64(d)))                                         // input
	gb = appendMessage(gb, 12, valueInfo(Probabilities, elem, "N", int64(k)))                                 // output
	gb = appendMessage(gb, 12, valueInfo(Class, typeInt64, "N"))

	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType) // ModelProto.ir_version
	b = protowire.AppendVarint(b, irVersion)
	b = appendString(b, 2, "nnpipe")     // producer_name
	b = appendString(b, 3, opt.Version)  // producer_version
	b = appendString(b, 6, docString(m)) // doc_string
	b = appendMessage(b, 7, gb)          // graph
	var os []byte
	os = protowire.AppendTag(os, 2, protowire.VarintType) // OperatorSetIdProto.version; domain "" is the default
	os = protowire.AppendVarint(os, opset)
	b = appendMessage(b, 8, os) // opset_import
	meta, err := metadata(m, opt)
	if err != nil {
		return nil, err
	}
	for _, kv := range meta {
		var e []byte
		e = appendString(e, 1, kv[0]) // StringStringEntryProto.key
		e = appendString(e, 2, kv[1]) // value
		b = appendMessage(b, 14, e)   // metadata_props
	}
	return b, nil
}

// docString describes the model for a person reading it in a model viewer.
func docString(m *model.Model) string {
	return fmt.Sprintf("nnpipe model: %d features → %d sigmoid hidden units → softmax over %d classes; input %q [N, %d], outputs %q [N, %d] and %q [N] (the index of the largest probability, int64)",
		m.D, m.M, m.K, Input, m.D, Probabilities, m.K, Class)
}

// metadata returns the model's metadata_props, in a fixed order.
func metadata(m *model.Model, opt Options) ([][2]string, error) {
	features, err := json.Marshal(m.Features)
	if err != nil {
		return nil, err
	}
	classes, err := json.Marshal(m.Classes)
	if err != nil {
		return nil, err
	}
	meta := [][2]string{
		{"nnpipe.features", string(features)},
		{"nnpipe.classes", string(classes)},
		{"nnpipe.label", m.Label},
		{"nnpipe.input", Input},
		{"nnpipe.outputs", Probabilities + "," + Class},
		{"nnpipe.model_sha256", opt.ModelSHA256},
		{"nnpipe.version", opt.Version},
	}
	if src := m.Source; src != nil {
		meta = append(meta, [2]string{"nnpipe.source_name", src.Name}, [2]string{"nnpipe.source_config_sha256", src.ConfigSHA256})
	}
	return meta, nil
}

// graph collects the nodes and initializers of a GraphProto, each encoded.
type graph struct {
	elem  int32 // the element type of the values
	nodes [][]byte
	init  [][]byte
}

// node adds a NodeProto of op with inputs and one output, named after the output.
func (g *graph) node(op string, inputs []string, output string, attrs ...[]byte) {
	var b []byte
	for _, in := range inputs {
		b = appendString(b, 1, in) // NodeProto.input
	}
	b = appendString(b, 2, output) // output
	b = appendString(b, 3, output) // name
	b = appendString(b, 4, op)     // op_type
	for _, a := range attrs {
		b = appendMessage(b, 5, a) // attribute
	}
	g.nodes = append(g.nodes, b)
}

// fitsFloat32 reports a weight or a preprocessing value of m that single precision cannot
// hold: one that would become infinite, or a deviation that would become 0 (a division by 0);
// or a feature whose values single precision cannot tell apart at the scale of its deviation
// (see float32Drift), such as a Unix time standardized over a few hundred seconds.
func fitsFloat32(m *model.Model) error {
	for p, w := range m.Weights {
		if math.IsInf(float64(float32(w)), 0) {
			return fmt.Errorf("weight %s is %v, beyond single precision", m.Shape().ParamName(p), w)
		}
	}
	for i, st := range m.Preprocess {
		for j := range st.Mean {
			if math.IsInf(float64(float32(st.Mean[j])), 0) || float32(st.Std[j]) == 0 || math.IsInf(float64(float32(st.Std[j])), 0) {
				return fmt.Errorf("preprocess step %d, feature %q: mean %v or deviation %v beyond single precision", i+1, m.Features[j], st.Mean[j], st.Std[j])
			}
		}
	}
	if drift, j := float32Drift(m); !(drift <= maxFloat32Drift) {
		st := m.Preprocess[0]
		move := fmt.Sprintf("by up to %.2g (more than %g)", drift, maxFloat32Drift)
		if !(drift < 1) {
			// A bound of 1 or more says nothing of a probability, which lies between 0
			// and 1: single precision may move it anywhere.
			move = "by any amount"
		}
		return fmt.Errorf("feature %q: single precision rounds values near its training mean (%.6g, deviation %.6g) by up to %.3g deviations, which can move a probability %s",
			m.Features[j], st.Mean[j], st.Std[j], spacing32(st.Mean[j])/st.Std[j], move)
	}
	return nil
}

// maxFloat32Drift is how far the rounding of single precision may move a probability of a row
// near the training rows' means (by float32Drift's bound) before a float32 export is refused.
// Iris and the digits bound it by 6e-6 and 8e-6 (and onnxruntime's probabilities differ from
// nnpipe's by 4.9e-7 and 3.2e-7); a feature such as a Unix time (1.7e9, give or take a few
// hundred seconds), whose float32 values are 128 apart, bounds it by about 1.
const maxFloat32Drift = 1e-3

// float32Drift bounds how far single precision's rounding of the input and of the means can
// move a probability of a row near the means of m's preprocessing, and returns the feature
// that weighs most in it. A float32 value and the float32 mean it is taken from are each
// rounded by half the spacing of float32 numbers there, so the standardized value by up to one
// spacing over the deviation; a hidden unit's input moves by the weighted sum of those, its
// output by at most a quarter of that (the sigmoid's slope), a logit by the weighted sum of
// the hidden units' moves, and a probability by at most the largest move of a logit.
func float32Drift(m *model.Model) (float64, int) {
	d, hid := m.D, m.M
	e := make([]float64, d) // the rounding of each standardized feature, in its deviations
	for _, st := range m.Preprocess {
		for j := range e {
			e[j] = (e[j] + spacing32(st.Mean[j])) / st.Std[j]
		}
	}
	h := make([]float64, hid) // the move of each hidden unit's output
	weight := make([]float64, d)
	for k := range hid {
		for j := range d {
			// Each product rounded (float64(…)), so that no architecture fuses
			// it into the sum: the bound, and the refusal, are the same bits
			// everywhere.
			c := float64(math.Abs(m.Weights[k*(d+1)+j]) * e[j])
			h[k] += float64(c / 4)
			weight[j] += c
		}
	}
	nw := hid * (d + 1)
	drift := 0.0
	for c := range m.K {
		logit := 0.0
		for k := range hid {
			logit += float64(math.Abs(m.Weights[nw+c*(hid+1)+k]) * h[k])
		}
		drift = max(drift, logit)
	}
	worst := 0
	for j := range weight {
		if weight[j] > weight[worst] {
			worst = j
		}
	}
	return drift, worst
}

// spacing32 is the gap between the float32 nearest to |x| and the next float32 above it, or,
// at the largest float32, the one below it.
func spacing32(x float64) float64 {
	f := float32(math.Abs(x))
	if up := math.Nextafter32(f, float32(math.Inf(1))); !math.IsInf(float64(up), 0) {
		return float64(up) - float64(f)
	}
	return float64(f) - float64(math.Nextafter32(f, 0))
}

// tensor adds an initializer TensorProto of the graph's element type, its values stored
// little-endian in raw_data.
func (g *graph) tensor(name string, dims []int64, values []float64) {
	var b []byte
	for _, d := range dims {
		b = protowire.AppendTag(b, 1, protowire.VarintType) // TensorProto.dims
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType) // data_type
	b = protowire.AppendVarint(b, uint64(g.elem))
	b = appendString(b, 8, name) // name
	var raw []byte
	for _, v := range values {
		if g.elem == typeFloat {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
		} else {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
		}
	}
	b = protowire.AppendTag(b, 9, protowire.BytesType) // raw_data
	b = protowire.AppendBytes(b, raw)
	g.init = append(g.init, b)
}

// intAttr is an AttributeProto of type INT.
func intAttr(name string, v int64) []byte {
	var b []byte
	b = appendString(b, 1, name)                         // AttributeProto.name
	b = protowire.AppendTag(b, 20, protowire.VarintType) // type
	b = protowire.AppendVarint(b, 2)                     // INT
	b = protowire.AppendTag(b, 3, protowire.VarintType)  // i
	return protowire.AppendVarint(b, uint64(v))
}

// valueInfo is a ValueInfoProto of a tensor of element type elem whose first dimension is the
// symbolic batch and whose others are dims.
func valueInfo(name string, elem int32, batch string, dims ...int64) []byte {
	var shape []byte
	var dim []byte
	dim = appendString(dim, 2, batch) // Dimension.dim_param
	shape = appendMessage(shape, 1, dim)
	for _, d := range dims {
		dim = protowire.AppendTag(dim[:0], 1, protowire.VarintType) // Dimension.dim_value
		dim = protowire.AppendVarint(dim, uint64(d))
		shape = appendMessage(shape, 1, dim) // TensorShapeProto.dim
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, 1, protowire.VarintType) // TypeProto.Tensor.elem_type
	tensor = protowire.AppendVarint(tensor, uint64(elem))
	tensor = appendMessage(tensor, 2, shape) // shape
	var typ []byte
	typ = appendMessage(typ, 1, tensor) // TypeProto.tensor_type
	var b []byte
	b = appendString(b, 1, name) // ValueInfoProto.name
	return appendMessage(b, 2, typ)
}

// appendString appends field num as a length-delimited string, unless s is empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendMessage appends field num holding the encoded message m.
func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// WriteFile exports the model at path — a run directory or a model file, see model.Open — to
// the file out, written whole or not at all (pipeline.OutFile). opt.ModelSHA256 is set from
// the model file. It returns the bytes written. A missing or unusable model (a diverged run),
// an out that cannot be a file, and an unknown format or dtype are pipeline.Invalid errors;
// the last two name the flag of `nnpipe export` that sets them.
func WriteFile(path, out string, opt Options) (int, error) {
	if opt.Format != "" && opt.Format != Format {
		return 0, pipeline.Invalid(fmt.Errorf("--format: unknown format %q; the one format is onnx", opt.Format))
	}
	if opt.DType != "" && opt.DType != Float64 && opt.DType != Float32 {
		return 0, pipeline.Invalid(fmt.Errorf("--dtype: unknown dtype %q; want float64 or float32", opt.DType))
	}
	if err := pipeline.CheckOutFile(out); err != nil {
		return 0, err
	}
	if err := pipeline.CheckNotInput(out, "the model file", model.FileOf(path)); err != nil {
		return 0, err
	}
	if opt.CheckOut != nil {
		if err := opt.CheckOut(out); err != nil {
			return 0, err
		}
	}
	m, sum, err := model.Open(path)
	if err != nil {
		return 0, err
	}
	opt.ModelSHA256 = sum
	b, err := Export(m, opt)
	if err != nil {
		return 0, err
	}
	f, err := pipeline.CreateOut(out)
	if err != nil {
		return 0, err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return 0, fmt.Errorf("write %s: %w", out, err)
	}
	return len(b), f.Commit()
}
