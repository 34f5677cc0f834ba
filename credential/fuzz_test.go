package credential

import "testing"

// Seeds are keys and references seen in real configs, docs and the seeds.
var fuzzSeeds = [][2]string{
	{DockerHubKey, "ubuntu:22.04"},
	{"quay.io", "quay.io/coreos/etcd:v3.5.0"},
	{"https://registry.example.io/v0/", "registry.example.io/v0/giffee_lover_93/somerepo"},
	{"*.gcr.io", "asia.gcr.io/proj/app@sha256:0123"},
	{"012345678910.dkr.ecr.us-east-1.amazonaws.com", "012345678910.dkr.ecr.us-east-1.amazonaws.com/repo:latest"},
	{"public.ecr.aws", "public.ecr.aws/docker/library/alpine"},
	{"asia-northeast1-docker.pkg.dev", "asia-northeast1-docker.pkg.dev/p/r/hello-world"},
	{"[::1]:5000", "[::1]:5000/foo"},
	{"[fd00::a]:5000", "a:5000/foo"},
	{"192.168.12.34:5000", "192.168.12.34:5000/foo"},
	{"registry.example.com/team/app", "registry.example.com/team/app"},
	{"http://localhost:5000/v2/", "localhost:5000/x"},
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			return
		}
		again, err := ParsePattern(p.Key())
		if err != nil {
			t.Fatalf("ParsePattern(%q).Key() = %q does not parse: %v", s, p.Key(), err)
		}
		if again != p {
			t.Fatalf("round trip of %q: %v != %v", s, again, p)
		}
		_ = DockerNotes(s)
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, ref string) {
		p, err := ParsePattern(key)
		if err != nil {
			return
		}
		tg, err := ParseTarget(ref)
		if err != nil {
			return
		}
		ok, why := Match(p, tg)
		if ok != (why == "") {
			t.Fatalf("Match(%v, %v) = %v with reason %q", p, tg, ok, why)
		}
		s := NewSet(Entry{Pattern: p, Source: Source{Key: key}})
		e, found := s.Lookup(tg)
		if found != ok || found && e.Pattern != p {
			t.Fatalf("Lookup disagrees with Match for %v / %v", p, tg)
		}
		if !p.IsGlob() && p.Path == "" && !ok && p.Host == tg.Host {
			t.Fatalf("host pattern %v should match %v", p, tg)
		}
		if !p.IsGlob() && ok && p.Host != tg.Host {
			t.Fatalf("non-glob pattern %v matched another host %v", p, tg)
		}
		if len(s.Explain(tg).Candidates) != 1 {
			t.Fatal("Explain must list every entry once")
		}
	})
}
