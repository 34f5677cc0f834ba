package format

import (
	"strings"
	"testing"
)

// One case per docker-config rule: where it is reported and what it says.
func TestLintDockerConfigRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		legacy     bool
		rule       string
		sev        Severity
		field      string
		hint       string // substring of the fix
	}{
		{"empty", "  ", false, "empty", SevError, "", "auths"},
		{"not json", `{"auths":`, false, "not-docker-config", SevError, "", "config.json"},
		{"no auths", `{"quay.io":{"auth":"YTpi"}}`, false, "not-docker-config", SevError, "", ".dockercfg"},
		{"config.json as dockercfg", `{"auths":{}}`, true, "not-docker-config", SevError, "", "dockerconfigjson"},
		{"auths not object", `{"auths":[]}`, false, "not-docker-config", SevError, "", "objects of strings"},
		{"invalid base64", `{"auths":{"q.io":{"auth":"%%%"}}}`, false, "invalid-base64", SevError, `auths["q.io"].auth`, "printf"},
		{"unpadded base64", `{"auths":{"q.io":{"auth":"dXNlcjpwYXNzMQ"}}}`, false, "invalid-base64", SevError, `auths["q.io"].auth`, "padding"},
		{"url-safe base64", `{"auths":{"q.io":{"auth":"dXNlcjpw-_8="}}}`, false, "invalid-base64", SevError, `auths["q.io"].auth`, "URL-safe"},
		{"trailing newline (echo without -n)", `{"auths":{"q.io":{"auth":"dXNlcjpwYXNzCg=="}}}`, false, "auth-trailing-newline", SevError, `auths["q.io"].auth`, "echo -n"},
		{"no colon", `{"auths":{"q.io":{"auth":"cGFzcw=="}}}`, false, "auth-not-user-password", SevError, `auths["q.io"].auth`, "user:password"},
		{"empty username", `{"auths":{"q.io":{"auth":"OnB3"}}}`, false, "empty-username", SevError, `auths["q.io"].auth`, "username"},
		{"docker hub alias", `{"auths":{"docker.io":{"auth":"YTpi"}}}`, false, "dockerhub-key", SevWarning, `auths["docker.io"]`, "https://index.docker.io/v1/"},
		{"docker hub alias legacy", `{"index.docker.io":{"auth":"YTpi"}}`, true, "dockerhub-key", SevWarning, `["index.docker.io"]`, "https://index.docker.io/v1/"},
		{"path in key", `{"auths":{"https://registry.example.io/v0/":{"auth":"YTpi"}}}`, false, "key-path", SevWarning, `auths["https://registry.example.io/v0/"]`, "bare host"},
		{"http scheme", `{"auths":{"http://r.example.com":{"auth":"YTpi"}}}`, false, "key-scheme", SevWarning, `auths["http://r.example.com"]`, "insecure"},
		{"invalid key", `{"auths":{"bad key":{"auth":"YTpi"}}}`, false, "invalid-key", SevError, `auths["bad key"]`, "host[:port]"},
		{"plaintext beside helper", `{"auths":{"q.io":{"auth":"YTpi"}},"credsStore":"osxkeychain"}`, false, "plaintext-with-helper", SevWarning, "auths", "--store helper"},
		{"empty entry", `{"auths":{"q.io":{}}}`, false, "empty-entry", SevWarning, `auths["q.io"]`, "anonymous"},
		{"ecr username", `{"auths":{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{"auth":"YWRtaW46cHc="}}}`, false, "provider-credential", SevWarning, `auths["123456789012.dkr.ecr.us-east-1.amazonaws.com"]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := LintDockerConfigJSON("f.json", "", []byte(tt.data), tt.legacy)
			for _, f := range got {
				if f.Rule != tt.rule {
					continue
				}
				if f.Severity != tt.sev || f.Field != tt.field || f.File != "f.json" || !strings.Contains(f.Hint, tt.hint) {
					t.Fatalf("finding %+v; want severity %s field %q hint containing %q", f, tt.sev, tt.field, tt.hint)
				}
				return
			}
			t.Fatalf("no %s finding in %+v", tt.rule, got)
		})
	}
}

func TestLintCleanConfig(t *testing.T) {
	t.Parallel()
	clean := `{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"quay.io":{"auth":"dXNlcjpwYXNz","email":"a@b.c"}},"credHelpers":{}}`
	if got := LintDockerConfigJSON("f", "", []byte(clean), false); len(got) != 0 {
		t.Fatalf("findings on a clean config: %+v", got)
	}
}

func TestLintFieldPrefix(t *testing.T) {
	t.Parallel()
	got := LintDockerConfigJSON("s.yaml", `data[".dockerconfigjson"]`, []byte(`{"auths":{"q.io":{"auth":"%"}}}`), false)
	if len(got) != 1 || got[0].Field != `data[".dockerconfigjson"].auths["q.io"].auth` {
		t.Fatalf("got %+v", got)
	}
}
