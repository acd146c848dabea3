package bus

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to the same bytes and
// reads back identically through ReadFrame.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir(f), "*.bin"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus .bin files: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if filepath.Base(p) == "stream-1.bin" {
			f.Add(b[:2568]) // first message; the whole stream is seeded too
		}
		f.Add(b)
	}
	f.Add([]byte("RCmb"))
	f.Add([]byte("RCmb\x00\x00\x08\xd0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		out := Encode(m)
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encode differs at byte %d", firstDiff(out, b))
		}
		frame, err := ReadFrame(bytes.NewReader(b), len(b))
		if err != nil || !bytes.Equal(frame, b) {
			t.Fatalf("ReadFrame on an accepted message: %v", err)
		}
	})
}
