package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// dockerDecode runs docker's own decodeAuth, through its loader.
func dockerDecode(t testing.TB, auth string) (user, pass string, err error) {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"auths": map[string]any{"r.io": map[string]string{"auth": auth}}})
	cf := configfile.New("")
	if err := cf.LoadFromReader(bytes.NewReader(doc)); err != nil {
		return "", "", err
	}
	a := cf.AuthConfigs["r.io"]
	return a.Username, a.Password, nil
}

func TestDecodeAuthMatchesDocker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		user, pass string
		wantErr    bool
	}{
		{name: "empty", in: ""},
		{name: "plain", in: b64("user:pass"), user: "user", pass: "pass"},
		{name: "one pad", in: b64("user:pa"), user: "user", pass: "pa"},
		{name: "two pads", in: b64("user:p"), user: "user", pass: "p"},
		{name: "empty password", in: b64("user:"), user: "user"},
		{name: "colon in password", in: b64("user:pa:ss:"), user: "user", pass: "pa:ss:"},
		{name: "NULs trimmed both ends", in: b64("user:\x00\x00pa\x00ss\x00"), user: "user", pass: "pa\x00ss"},
		{name: "NUL in user kept", in: b64("u\x00:p"), user: "u\x00", pass: "p"},
		{name: "token user", in: b64("<token>:"), user: "<token>"},
		{name: "unicode", in: b64("jürgen:pässwörd"), user: "jürgen", pass: "pässwörd"},
		{name: "line breaks ignored", in: "dXNl\ncjpw\r\nYXNz", user: "user", pass: "pass"},
		{name: "no colon", in: b64("userpass"), wantErr: true},
		{name: "empty user", in: b64(":pass"), wantErr: true},
		{name: "only colon", in: b64(":"), wantErr: true},
		{name: "missing padding", in: "dXNlcjpw", user: "user", pass: "p"}, // needs none
		{name: "padding stripped", in: "dXNlcjpwYQ", wantErr: true},
		{name: "url alphabet", in: "dXNlcjp-_w==", wantErr: true},
		{name: "garbage", in: "%%%", wantErr: true},
		{name: "space", in: "dXNl cjpw", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			user, pass, err := DecodeAuth(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeAuth error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidAuth) {
				t.Errorf("error %v is not ErrInvalidAuth", err)
			}
			if diff := cmp.Diff([2]string{tt.user, tt.pass}, [2]string{user, pass}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			du, dp, derr := dockerDecode(t, tt.in)
			if (derr != nil) != (err != nil) {
				t.Fatalf("docker error = %v, ours = %v", derr, err)
			}
			if diff := cmp.Diff([2]string{du, dp}, [2]string{user, pass}); diff != "" {
				t.Errorf("differs from docker (-docker +ours):\n%s", diff)
			}
		})
	}
}

func TestEncodeAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, pass, want string
	}{
		{"both empty", "", "", ""},
		{"basic", "user", "pass", "dXNlcjpwYXNz"},
		{"only password", "", "p", b64(":p")},
		{"only user", "u", "", b64("u:")},
		{"colon in password", "u", "a:b", b64("u:a:b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := EncodeAuth(tt.user, tt.pass); got != tt.want {
				t.Errorf("EncodeAuth(%q, %q) = %q, want %q", tt.user, tt.pass, got, tt.want)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	type creds struct{ User, Pass, Identity, Registry string }
	tests := []struct {
		name    string
		entry   *AuthEntry
		want    creds
		wantErr bool
	}{
		{"nil entry", nil, creds{}, false},
		{"auth", &AuthEntry{Auth: b64("u:p")}, creds{User: "u", Pass: "p"}, false},
		{"auth wins", &AuthEntry{Auth: b64("u:p"), Username: "x", Password: "y"}, creds{User: "u", Pass: "p"}, false},
		{"fields without auth", &AuthEntry{Username: "x", Password: "y"}, creds{User: "x", Pass: "y"}, false},
		{"identity token", &AuthEntry{Auth: b64("u:"), IdentityToken: "it"}, creds{User: "u", Identity: "it"}, false},
		{"registry token", &AuthEntry{RegistryToken: "rt"}, creds{Registry: "rt"}, false},
		{"broken auth", &AuthEntry{Auth: "!!"}, creds{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got creds
			var err error
			got.User, got.Pass, got.Identity, got.Registry, err = tt.entry.Credentials()
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetCredentials(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(`{"auths":{"r.io":{"username":"old","password":"oldpw","email":"me@x","identitytoken":"tok","x-keep":[1]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := f.Auths["r.io"]
	e.SetCredentials("new", "newpw", "", "")
	want := &AuthEntry{Auth: b64("new:newpw"), Email: "me@x"}
	if diff := cmp.Diff(want, e, cmpopts.IgnoreUnexported(AuthEntry{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	out, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"auths":{"r.io":{"auth":"` + b64("new:newpw") + `","email":"me@x","x-keep":[1]}}}`
	if diff := cmp.Diff(asAny(t, []byte(wantJSON)), asAny(t, out)); diff != "" {
		t.Errorf("written entry (-want +got):\n%s", diff)
	}
}
