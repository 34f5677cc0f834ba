package dockerconfig

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want ParseError // Err is checked by message substring below
		msg  string
		is   error
	}{
		{"syntax", "{\n\t\"auths\": {,\n}", ParseError{Line: 2, Column: 13}, "invalid JSON", nil},
		{"truncated", "{\"auths\": {", ParseError{Line: 1, Column: 12}, "unexpected end of input", nil},
		{"trailing data", "{}\n{}", ParseError{Line: 2, Column: 1}, "after the top-level value", nil},
		{"top-level array", `[]`, ParseError{}, "top level must be an object, not array", nil},
		{"auths string", `{"auths":"x"}`, ParseError{Field: "auths", Line: 1, Column: 10}, "must be an object, not string", nil},
		{"entry number", `{"auths":{"r.io":5}}`, ParseError{Field: `auths["r.io"]`, Line: 1, Column: 18}, "must be an object, not number", nil},
		{"password number", `{"auths":{"r.io":{"password":1234}}}`, ParseError{Field: `auths["r.io"].password`, Line: 1, Column: 30}, "must be a string, not number", nil},
		{"bad base64", "{\"auths\": {\n  \"quay.io\": {\n    \"auth\": \"%%%\"}}}", ParseError{Field: `auths["quay.io"].auth`, Line: 3, Column: 13}, "illegal base64", ErrInvalidAuth},
		{"no colon", `{"auths":{"q.io":{"auth":"dXNlcg=="}}}`, ParseError{Field: `auths["q.io"].auth`, Line: 1, Column: 26}, "no ':'", ErrInvalidAuth},
		{"helper not string", `{"credHelpers":{"gcr.io":true}}`, ParseError{Field: `credHelpers["gcr.io"]`, Line: 1, Column: 26}, "must be a string, not boolean", nil},
		{"credsStore object", `{"credsStore":{}}`, ParseError{Field: "credsStore", Line: 1, Column: 15}, "must be a string, not object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			pe, ok := errors.AsType[*ParseError](err)
			if !ok {
				t.Fatalf("Parse error = %v, want *ParseError", err)
			}
			got := ParseError{Field: pe.Field, Line: pe.Line, Column: pe.Column}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(ParseError{}, "Err")); diff != "" {
				t.Errorf("location (-want +got):\n%s\nerror: %v", diff, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

// Broken files around a planted password must not echo it back.
func TestErrorsNeverContainSecrets(t *testing.T) {
	t.Parallel()
	const pw = "Planted-Secret-9f8e7d"
	b64 := EncodeAuth("user", pw)
	inputs := []string{
		`{"auths":{"r.io":{"password":"` + pw + `",}}}`,
		`{"auths":{"r.io":{"password":"` + pw + `\q"}}}`,
		`{"auths":{"r.io":{"password":"` + pw + "\n" + `"}}}`,
		`{"auths":{"r.io":{"password":"` + pw,
		`{"auths":{"r.io":{"password":["` + pw + `"]}}}`,
		`{"auths":{"r.io":{"auth":"` + b64 + `!"}}}`,
		`{"auths":{"r.io":{"auth":"` + EncodeAuth("", pw) + `"}}}`,
		`{"auths":{"r.io":{"auth":"` + strings.TrimRight(b64, "=") + `"}}}`,
		`{"auths":{"r.io":{"auth":{"` + pw + `":1}}}}`,
		`{"credsStore":"` + pw + `"} trailing ` + pw,
		`"` + pw + `"`,
		pw,
	}
	for _, in := range inputs {
		_, err := Parse([]byte(in))
		if err == nil {
			t.Errorf("Parse(%q) succeeded", in)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), b64) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
	for _, s := range []string{b64 + "!", EncodeAuth("", pw), base64NoColon(pw), b64 + "x"} {
		_, _, err := DecodeAuth(s)
		if err == nil {
			t.Errorf("DecodeAuth(%q) succeeded", s)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), s) {
			t.Errorf("DecodeAuth error leaks the secret: %v", err)
		}
	}
}

func base64NoColon(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}
