package dockerconfig

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// DecodeAuth splits an "auth" value into username and password with exactly
// docker's semantics (configfile.decodeAuth): "" is no credential; the value
// must be standard, padded base64 (line breaks are ignored, as by
// encoding/base64); the decoded text must contain ':' with a non-empty user
// before the first one; NUL bytes are trimmed from both ends of the password.
//
// Docker decodes into a buffer of DecodedLen bytes and never cuts it to the
// decoded length, so padding leaves NULs at the end of the password; the trim
// exists to remove them and has to be kept for files that rely on it.
func DecodeAuth(s string) (user, pass string, err error) {
	if s == "" {
		return "", "", nil
	}
	decoded, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// The base64 error names a byte offset only, never input.
		return "", "", fmt.Errorf("%w: %w", ErrInvalidAuth, err)
	}
	user, pass, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", fmt.Errorf("%w: no ':' between username and password", ErrInvalidAuth)
	}
	if user == "" {
		return "", "", fmt.Errorf("%w: empty username", ErrInvalidAuth)
	}
	return user, strings.Trim(pass, "\x00"), nil
}

// EncodeAuth is docker's encodeAuth: base64("user:pass"), or "" when both are
// empty so that an entry holding only a token gets no auth field.
func EncodeAuth(user, pass string) string {
	if user == "" && pass == "" {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
