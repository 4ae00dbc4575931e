package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// withExtra returns d with extra columns: a 0/1 column and a column of distinct ids.
func withExtra(d *Dataset) *Dataset {
	train := make([]string, d.Rows())
	ids := make([]string, d.Rows())
	for i := range train {
		train[i] = strconv.Itoa(i % 2)
		ids[i] = "id-" + strconv.Itoa(i)
	}
	d.Extra = []Column{{Name: "train", Values: train}, {Name: "id", Values: ids}}
	return d
}

func TestWriteFileReadFileKeepsExtraColumns(t *testing.T) {
	tests := []struct {
		name      string
		d         *Dataset
		groupRows int
	}{
		{"one row", withExtra(testDataset(1, 1, 2)), RowGroupRows},
		{"many row groups with a partial last one", withExtra(testDataset(1000, 3, 4)), 64},
		{"more distinct values than the string reader shares", withExtra(testDataset(2*maxKnown+7, 1, 2)), RowGroupRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.parquet")
			classes, _ := json.Marshal(tt.d.Classes)
			if err := writeDataset(context.Background(), path, tt.d, datasetFields(tt.d), map[string]string{classesKey: string(classes)}, tt.groupRows); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Extra, tt.d.Extra) {
				t.Errorf("ReadFile(WriteFile(d)).Extra differs from d.Extra (%d columns, want %d)", len(got.Extra), len(tt.d.Extra))
			}
			if !slices.Equal(got.Features, tt.d.Features) || !sameBits(got.X, tt.d.X) || !slices.Equal(got.Labels, tt.d.Labels) {
				t.Errorf("ReadFile(WriteFile(d)) changed the features or labels")
			}
		})
	}
}

func TestWriteFileLayoutWithExtraColumns(t *testing.T) {
	d := withExtra(testDataset(10, 2, 3))
	path := filepath.Join(t.TempDir(), "d.parquet")
	if err := WriteFile(path, d, nil); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{"x0", Float64}, {"x1", Float64}, {"label", Int32}, {"label_name", String}, {"train", String}, {"id", String}}
	if !slices.Equal(tab.Fields, want) {
		t.Errorf("ReadTable(WriteFile(d with extras)).Fields = %v, want %v", tab.Fields, want)
	}
}

func TestExtraColumnsAreValidated(t *testing.T) {
	tests := []struct {
		name  string
		extra []Column
	}{
		{"an extra column named like a feature", []Column{{Name: "x0", Values: []string{"a", "b"}}}},
		{"two extra columns of one name", []Column{{Name: "t", Values: []string{"a", "b"}}, {Name: "t", Values: []string{"a", "b"}}}},
		{"an unnamed extra column", []Column{{Name: "", Values: []string{"a", "b"}}}},
		{"an extra column with a value missing", []Column{{Name: "t", Values: []string{"a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDataset(2, 1, 2)
			d.Extra = tt.extra
			if err := d.Validate(); err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", tt.extra)
			}
		})
	}
	for _, reserved := range []string{"label", "label_name"} {
		d := testDataset(2, 1, 2)
		d.Extra = []Column{{Name: reserved, Values: []string{"a", "b"}}}
		if err := WriteFile(filepath.Join(t.TempDir(), "d.parquet"), d, nil); err == nil {
			t.Errorf("WriteFile(extra column %q) = nil, want an error", reserved)
		}
	}
}

func TestExtraColumn(t *testing.T) {
	d := withExtra(testDataset(3, 1, 2))
	if v, ok := d.ExtraColumn("train"); !ok || !slices.Equal(v, []string{"0", "1", "0"}) {
		t.Errorf("ExtraColumn(train) = %v, %v, want [0 1 0], true", v, ok)
	}
	if _, ok := d.ExtraColumn("x0"); ok {
		t.Errorf("ExtraColumn(x0) found a feature, want only extra columns")
	}
}

func TestLoadKeep(t *testing.T) {
	tests := []struct {
		name string
		text string
		opt  LoadOptions
		want *Dataset
	}{
		{
			name: "a kept numeric column is left out of the default features",
			text: "x0,x1,label,train\n1,2,a,1\n3,4,b, 0 \n",
			opt:  LoadOptions{Label: "label", Keep: []string{"train"}},
			want: &Dataset{Features: []string{"x0", "x1"}, X: []float64{1, 2, 3, 4}, Labels: []int32{0, 1}, Classes: []string{"a", "b"},
				Extra: []Column{{Name: "train", Values: []string{"1", "0"}}}},
		},
		{
			name: "kept columns keep their order and their text",
			text: "id,x,label,part\nr1,1,a,Train\nr2,2,b,test\n",
			opt:  LoadOptions{Label: "label", Keep: []string{"part", "id"}},
			want: &Dataset{Features: []string{"x"}, X: []float64{1, 2}, Labels: []int32{0, 1}, Classes: []string{"a", "b"},
				Extra: []Column{{Name: "part", Values: []string{"Train", "test"}}, {Name: "id", Values: []string{"r1", "r2"}}}},
		},
		{
			name: "no header names the columns c0, c1, …",
			text: "5.1,3.5,setosa\n4.9,3.0,versicolor\n",
			opt:  LoadOptions{Label: "c2", NoHeader: true},
			want: &Dataset{Features: []string{"c0", "c1"}, X: []float64{5.1, 3.5, 4.9, 3.0}, Labels: []int32{0, 1}, Classes: []string{"setosa", "versicolor"}},
		},
		{
			name: "no header with a byte order mark, explicit features and a kept column",
			text: "\uFEFF1,2,0,x\n3,4,1,y\n",
			opt:  LoadOptions{Label: "c3", Features: []string{"c1"}, Keep: []string{"c2"}, NoHeader: true},
			want: &Dataset{Features: []string{"c1"}, X: []float64{2, 4}, Labels: []int32{0, 1}, Classes: []string{"x", "y"},
				Extra: []Column{{Name: "c2", Values: []string{"0", "1"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.csv")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load(%q, %+v) = %+v, want %+v", tt.text, tt.opt, got, tt.want)
			}
		})
	}
}

func TestLoadKeepParquet(t *testing.T) {
	tests := []struct {
		name string
		keep string
		want []string
	}{
		{"a string column is trimmed", "species", []string{"b", "a", "b", "c"}},
		{"an integer column is written in decimal", "cls", []string{"2", "10", "2", "-1"}},
		{"an unsigned column is written in decimal", "u", []string{"200", "1", "2", "3"}},
		{"a double column is written in its shortest form", "x", []string{"0.5", "-1.25", "2", "3.5"}},
		{"a float column is written in its shortest form", "f", []string{"1.5", "2.5", "-0.5", "0.25"}},
		{"a boolean column is true or false", "flag", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label := "i"
			d, err := Load("testdata/duckdb.parquet", LoadOptions{Label: label, Features: []string{"b"}, Keep: []string{tt.keep}})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := d.ExtraColumn(tt.keep)
			if !ok {
				t.Fatalf("Load(keep %s) has no extra column %q", tt.keep, tt.keep)
			}
			if tt.want == nil {
				for _, v := range got {
					if v != "true" && v != "false" {
						t.Errorf("Load(keep %s) value %q, want true or false", tt.keep, v)
					}
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Load(keep %s) = %q, want %q", tt.keep, got, tt.want)
			}
		})
	}
}

func TestLoadKeepErrors(t *testing.T) {
	const data = "testdata/load/data.csv" // x0,x1,label
	tests := []struct {
		name   string
		path   string
		opt    LoadOptions
		column string
	}{
		{"a kept column not in the file", data, LoadOptions{Label: "label", Keep: []string{"train"}}, "train"},
		{"the label kept", data, LoadOptions{Label: "label", Keep: []string{"label"}}, "label"},
		{"a feature kept", data, LoadOptions{Label: "label", Features: []string{"x0"}, Keep: []string{"x0"}}, "x0"},
		{"a column kept twice", data, LoadOptions{Label: "label", Keep: []string{"x0", "x0"}}, "x0"},
		{"a Parquet date kept", "testdata/duckdb.parquet", LoadOptions{Label: "species", Keep: []string{"day"}}, "day"},
		{"a Parquet kept column with a null", "testdata/duckdb.parquet", LoadOptions{Label: "species", Features: []string{"x"}, Keep: []string{"gap"}}, "gap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, tt.opt)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load(%s, %+v) = %v, want a *LoadError", tt.path, tt.opt, err)
			}
			if le.Column != tt.column {
				t.Errorf("Load(%s, %+v) error names column %q, want %q: %v", tt.path, tt.opt, le.Column, tt.column, err)
			}
		})
	}
}

func TestDigestRefusesADirectory(t *testing.T) {
	if _, err := Digest(t.TempDir()); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Digest(directory) = %v, want ErrNotRegular", err)
	}
	if _, err := Digest(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Digest(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestValidateRefusesWhatNoLaterReaderCouldRead: names and values that are not UTF-8 text
// (Parquet strings must be) and more classes than evaluation handles.
func TestValidateRefusesWhatNoLaterReaderCouldRead(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Dataset)
	}{
		{"a class name that is not UTF-8", func(d *Dataset) { d.Classes[1] = "b\xff" }},
		{"a feature name that is not UTF-8", func(d *Dataset) { d.Features[0] = "\xc3" }},
		{"an extra column name that is not UTF-8", func(d *Dataset) { d.Extra = []Column{{Name: "t\xfe", Values: []string{"a", "b"}}} }},
		{"an extra value that is not UTF-8", func(d *Dataset) { d.Extra = []Column{{Name: "t", Values: []string{"a", "\xff"}}} }},
		{"more classes than MaxClasses", func(d *Dataset) {
			d.Classes = d.Classes[:0]
			for i := range MaxClasses + 1 {
				d.Classes = append(d.Classes, strconv.Itoa(i))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDataset(2, 1, 2)
			tt.change(d)
			if err := d.Validate(); err == nil {
				t.Errorf("Validate = nil, want an error")
			}
			if err := WriteFile(filepath.Join(t.TempDir(), "d.parquet"), d, nil); err == nil {
				t.Errorf("WriteFile = nil, want an error")
			}
		})
	}
	d := testDataset(2, 1, 2)
	d.Classes = make([]string, MaxClasses)
	for i := range d.Classes {
		d.Classes[i] = strconv.Itoa(i)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate of %d classes = %v, want nil", MaxClasses, err)
	}
}
