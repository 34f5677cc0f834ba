package dockerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse: Parse never panics, and whatever it accepts survives
// Marshal and a second Parse unchanged, layout and unknown members included.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		seedConfig,
		dockerShaped,
		podmanShaped,
		``,
		`null`,
		`{}`,
		`{"auths":{}}`,
		`{"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud","public.ecr.aws":"ecr-login"}}`,
		`{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz","identitytoken":"tok"}},"credsStore":"osxkeychain","currentContext":"desktop-linux"}`,
		`{"auths":{"registry.example.io":{"username":"u","password":"p","email":"e@x"}},"HttpHeaders":{"User-Agent":"x"}}`,
		`{"Auths":{"a":{"AUTH":"dTpw"}},"auths":null,"auths":{"b":null}}`,
		`{"x":1,"x":[1,{"y":"\u00e9"}],"credHelpers":null}`,
		"{\"auths\":{\"r\\u00e9g\":{\"auth\":\"dTpw\"}}} \n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := Parse(data)
		if err != nil {
			if !errors.As(err, new(*ParseError)) {
				t.Fatalf("error is not a *ParseError: %v", err)
			}
			return
		}
		// Where docker also accepts the file, it must see the same credentials.
		// (Docker may refuse what we accept: a wrong type in one of its own
		// settings, which we keep as an unknown member.)
		if cf := configfile.New(""); cf.LoadFromReader(bytes.NewReader(data)) == nil {
			if diff := cmp.Diff(dockerView(t, cf), ourView(t, first), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("credentials differ from docker's (-docker +ours):\n%s", diff)
			}
		}
		out, err := first.Marshal()
		if err != nil {
			t.Fatalf("Marshal of parsed input: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("Marshal wrote invalid JSON:\n%s", out)
		}
		second, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(x)): %v\n%s", err, out)
		}
		if diff := cmp.Diff(first, second, cmpFile...); diff != "" {
			t.Fatalf("round trip changed the file (-first +second):\n%s", diff)
		}
		again, err := second.Marshal()
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("Marshal not stable: %v\n%s\n%s", err, out, again)
		}
	})
}

// FuzzDecodeAuth: DecodeAuth never panics, agrees with docker, and what it
// returns encodes back to the same pair.
func FuzzDecodeAuth(f *testing.F) {
	for _, seed := range []string{
		"", "dXNlcjpwYXNz", "dXNlcjpwYQ==", "dXNlcjpw", "dXNlcg==", "OnBhc3M=", "Og==",
		b64("user:\x00pass\x00\x00"), b64("u:a:b:c"), "dXNl\ncjpw", "%%%", "dXNlcjpwYQ", "====",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		user, pass, err := DecodeAuth(s)
		if utf8.ValidString(s) {
			du, dp, derr := dockerDecode(t, s)
			if (err != nil) != (derr != nil) || du != user || dp != pass {
				t.Fatalf("DecodeAuth(%q) = %q, %q, %v; docker: %q, %q, %v", s, user, pass, err, du, dp, derr)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidAuth) {
				t.Fatalf("error is not ErrInvalidAuth: %v", err)
			}
			return
		}
		if s == "" {
			return
		}
		// The password is already NUL-trimmed, so the pair is a fixed point.
		u2, p2, err := DecodeAuth(EncodeAuth(user, pass))
		if err != nil || u2 != user || p2 != pass {
			t.Fatalf("EncodeAuth(%q, %q) decodes to %q, %q, %v", user, pass, u2, p2, err)
		}
	})
}
