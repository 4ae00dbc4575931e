package rng

import "testing"

// TestDeriveGoldenValues pins Derive's output. The values were computed
// independently with Python's hashlib:
//
//	int.from_bytes(hashlib.sha256(b"nnpipe seed v1\0" + str(master).encode()
//	    + b"\0" + id.encode() + b"\0" + sub.encode()).digest()[:8], "big")
func TestDeriveGoldenValues(t *testing.T) {
	tests := []struct {
		name   string
		master uint64
		id     string
		sub    string
		want   uint64
	}{
		{"master 1, stage data", 1, "data", "", 5255579682586702530},
		{"master 1, stage train", 1, "train", "", 4005458035796240839},
		{"master 1, stage train, sub-stream init", 1, "train", "init", 12005993303892315620},
		{"master 0, stage data", 0, "data", "", 8272304278209764080},
		{"the largest master, stage split", 1<<64 - 1, "split", "", 1883394433198102075},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Derive(tt.master, tt.id, tt.sub); got != tt.want {
				t.Errorf("Derive(%d, %q, %q) = %d, want %d", tt.master, tt.id, tt.sub, got, tt.want)
			}
		})
	}
}

func TestDeriveSeparatesItsInputs(t *testing.T) {
	type in struct {
		master  uint64
		id, sub string
	}
	ins := []in{
		{1, "data", ""}, {1, "split", ""}, {1, "train", ""}, {1, "train", "init"},
		{2, "data", ""}, {2, "train", "init"}, {12, "", ""}, {1, "2", ""},
		{1, "train_", "init"}, {1, "train", "_init"}, {1, "traininit", ""},
	}
	seen := make(map[uint64]in)
	for _, x := range ins {
		got := Derive(x.master, x.id, x.sub)
		if prev, ok := seen[got]; ok {
			t.Errorf("Derive(%d, %q, %q) = Derive(%d, %q, %q) = %d, want different", x.master, x.id, x.sub, prev.master, prev.id, prev.sub, got)
		}
		seen[got] = x
	}
}
