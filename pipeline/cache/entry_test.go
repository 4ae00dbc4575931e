package cache

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// entryJSON is a valid entry.json for the given files section.
func entryJSON(files string) string {
	return fmt.Sprintf(`{"key": %q, "format": 1, "created": "2024-01-02T03:04:05Z", "files": %s, "meta": {"kind": "train"}}`, Key("k"), files)
}

func TestParseEntryAcceptsAValidEntry(t *testing.T) {
	files := fmt.Sprintf(`[{"name": "a", "size": 1, "sha256": %q}, {"name": "sub/b", "size": 0, "sha256": %q}]`, sum("x"), sum(""))
	e, err := ParseEntry([]byte(entryJSON(files)), "/some/dir")
	if err != nil {
		t.Fatalf("ParseEntry = %v", err)
	}
	want := []File{{Name: "a", Size: 1, SHA256: sum("x")}, {Name: "sub/b", Size: 0, SHA256: sum("")}}
	if e.Key != Key("k") || e.Format != 1 || e.Dir != "/some/dir" || !reflect.DeepEqual(e.Files, want) || e.Created.Year() != 2024 {
		t.Errorf("ParseEntry = %+v, want key, format 1, dir /some/dir, files %v", e, want)
	}
	if !sameJSON(e.Meta, []byte(`{"kind":"train"}`)) {
		t.Errorf("ParseEntry meta = %s", e.Meta)
	}
}

func TestParseEntryRefusesBadEntries(t *testing.T) {
	file := func(name string, size int64, digest string) string {
		return fmt.Sprintf(`[{"name": %q, "size": %d, "sha256": %q}]`, name, size, digest)
	}
	good := sum("x")
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"not JSON", "garbage", "not valid"},
		{"empty", "", "not valid"},
		{"a JSON list", "[]", "not valid"},
		{"null, which has no format", "null", "format 0"},
		{"an unknown field", strings.Replace(entryJSON("[]"), `"format"`, `"colour": 1, "format"`, 1), "not valid"},
		{"an unknown field of a file", entryJSON(fmt.Sprintf(`[{"name": "a", "size": 1, "sha256": %q, "mode": 1}]`, good)), "not valid"},
		{"a wrong type", strings.Replace(entryJSON("[]"), `"format": 1`, `"format": "1"`, 1), "not valid"},
		{"another format", strings.Replace(entryJSON("[]"), `"format": 1`, `"format": 2`, 1), "format 2"},
		{"no format", strings.Replace(entryJSON("[]"), `"format": 1, `, "", 1), "format 0"},
		{"trailing data", entryJSON("[]") + " x", "trailing data"},
		{"a second object", entryJSON("[]") + entryJSON("[]"), "trailing data"},
		{"a name that climbs out", entryJSON(file("../x", 1, good)), "invalid file"},
		{"a name inside that climbs out", entryJSON(file("a/../../x", 1, good)), "invalid file"},
		{"an absolute name", entryJSON(file("/etc/passwd", 1, good)), "invalid file"},
		{"a name with an empty element", entryJSON(file("a//b", 1, good)), "invalid file"},
		{"a name with a trailing slash", entryJSON(file("a/", 1, good)), "invalid file"},
		{"the name .", entryJSON(file(".", 1, good)), "invalid file"},
		{"an empty name", entryJSON(file("", 1, good)), "invalid file"},
		{"the name entry.json", entryJSON(file(EntryFile, 1, good)), "invalid file"},
		{"a negative size", entryJSON(file("a", -1, good)), "invalid file"},
		{"a short digest", entryJSON(file("a", 1, good[:63])), "invalid file"},
		{"an upper-case digest", entryJSON(file("a", 1, strings.ToUpper(good))), "invalid file"},
		{"a digest that is not hex", entryJSON(file("a", 1, strings.Repeat("z", 64))), "invalid file"},
		{"files out of order", entryJSON(fmt.Sprintf(`[{"name": "b", "size": 1, "sha256": %q}, {"name": "a", "size": 1, "sha256": %q}]`, good, good)), "out of order"},
		{"a file listed twice", entryJSON(fmt.Sprintf(`[{"name": "a", "size": 1, "sha256": %q}, {"name": "a", "size": 1, "sha256": %q}]`, good, good)), "out of order"},
		{"a file that is also a folder", entryJSON(fmt.Sprintf(`[{"name": "a", "size": 1, "sha256": %q}, {"name": "a-x", "size": 1, "sha256": %q}, {"name": "a/b", "size": 1, "sha256": %q}]`, good, good, good)), "both as a file and as the folder"},
		{"a file that is also a deeper folder", entryJSON(fmt.Sprintf(`[{"name": "p/q", "size": 1, "sha256": %q}, {"name": "p/q/r/s", "size": 1, "sha256": %q}]`, good, good)), "both as a file and as the folder"},
		{"over the size limit", strings.Replace(entryJSON("[]"), `"train"`, `"`+strings.Repeat("x", MaxEntryJSON)+`"`, 1), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEntry([]byte(tt.src), "d")
			if e != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseEntry(%.80q) = %v, %v; want an error about %q", tt.src, e, err, tt.want)
			}
		})
	}
}

func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(entryJSON("[]")))
	f.Fuzz(func(t *testing.T, src []byte) {
		const dir = "/cache/v1/ab/entry"
		e, err := ParseEntry(src, dir)
		if err != nil {
			if e != nil || err.Error() == "" {
				t.Fatalf("ParseEntry = %v, %q; want nil and a message", e, err)
			}
			return
		}
		if e.Format != format || e.Dir != dir {
			t.Errorf("ParseEntry = format %d, dir %q; want %d, %q", e.Format, e.Dir, format, dir)
		}
		for i, file := range e.Files {
			if !fs.ValidPath(file.Name) || file.Name == "." || file.Name == EntryFile || file.Size < 0 || !validKey(file.SHA256) {
				t.Errorf("ParseEntry accepted the file %+v", file)
			}
			if i > 0 && e.Files[i-1].Name >= file.Name {
				t.Errorf("ParseEntry accepted %q after %q", file.Name, e.Files[i-1].Name)
			}
		}
		// What Publish would write back parses to the same entry.
		b, err := json.Marshal(e)
		if err != nil {
			return // a time outside what encoding/json writes; Publish never makes one
		}
		again, err := ParseEntry(b, dir)
		if err != nil {
			t.Fatalf("ParseEntry(json.Marshal(%+v)) = %v", e, err)
		}
		if again.Key != e.Key || !again.Created.Equal(e.Created) || !reflect.DeepEqual(again.Files, e.Files) {
			t.Errorf("round trip = %+v, want %+v", again, e)
		}
	})
}
