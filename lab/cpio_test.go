package lab

import (
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readNewc lists an archive's entries as "name mode size".
func readNewc(t *testing.T, data []byte) []string {
	t.Helper()
	var got []string
	for off := 0; off < len(data); {
		h := string(data[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("offset %d: magic %q", off, h[:6])
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("offset %d field %d: %v", off, i, err)
			}
			return int(v)
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(data[off+110 : off+110+namesize-1])
		off = (off + 110 + namesize + 3) &^ 3
		body := string(data[off : off+size])
		off = (off + size + 3) &^ 3
		got = append(got, name+" "+strconv.FormatInt(int64(mode), 8)+" "+body)
		if name == "TRAILER!!!" {
			break
		}
	}
	return got
}

func TestInitramfs(t *testing.T) {
	r := NewInitramfs()
	r.AddFile("/bin/init", 0o755, []byte("#!/bin/sh\n"))
	r.AddSymlink("sbin/sh", "/bin/busybox")
	r.AddDir("proc")
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bin 40755 ",
		"bin/init 100755 #!/bin/sh\n",
		"proc 40755 ",
		"sbin 40755 ",
		"sbin/sh 120777 /bin/busybox",
		"TRAILER!!! 0 ",
	}
	if diff := cmp.Diff(want, readNewc(t, data)); diff != "" {
		t.Errorf("archive entries (-want +got):\n%s", diff)
	}
}
