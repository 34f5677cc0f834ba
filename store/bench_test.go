package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/config/configfile"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/dockerconfig"
)

// bigConfig writes a config.json with n entries, as a large CI fleet's or a
// generated file might have.
func bigConfig(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("{\n\t\"auths\": {\n")
	for i := range n {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "\t\t\"reg%05d.example.com\": {\n\t\t\t\"auth\": %q\n\t\t}%s\n", i, dockerconfig.EncodeAuth(fmt.Sprintf("user%d", i), fmt.Sprintf("pass%d", i)), sep)
	}
	b.WriteString("\t}\n}")
	path := filepath.Join(tb.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkGet10k is `regauth get` / helper `get` minus process start: load a
// 10,000-entry config and resolve one reference.
func BenchmarkGet10k(b *testing.B) {
	path := bigConfig(b, 10000)
	s := New(Options{ConfigFlag: path})
	t := credential.MustTarget("reg09999.example.com/team/app")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := s.Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		res, err := l.Resolve(ctx, t)
		if err != nil || res.Entry.Credential.Username != "user9999" {
			b.Fatal(err, res.Entry.Credential)
		}
	}
}

func BenchmarkParse10k(b *testing.B) {
	data, err := os.ReadFile(bigConfig(b, 10000))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dockerconfig.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup10k is the matching alone on a loaded Set.
func BenchmarkLookup10k(b *testing.B) {
	l, err := New(Options{ConfigFlag: bigConfig(b, 10000)}).Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	t := credential.MustTarget("reg09999.example.com/team/app")
	l.Set.Lookup(t) // build the index
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.Set.Lookup(t); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkDockerCLILoad10k is the same file through docker's own loader,
// for comparison in docs/benchmarks.md.
func BenchmarkDockerCLILoad10k(b *testing.B) {
	data, err := os.ReadFile(bigConfig(b, 10000))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cf := configfile.New("")
		if err := cf.LoadFromReader(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
