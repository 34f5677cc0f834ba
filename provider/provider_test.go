package provider

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecognize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want Info
		ok   bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", Info{Provider: ECR, Title: "Amazon ECR", Account: "123456789012", Region: "us-east-1", Partition: "aws"}, true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Info{Provider: ECR, Title: "Amazon ECR", Account: "123456789012", Region: "us-gov-west-1", Partition: "aws-us-gov", FIPS: true}, true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Info{Provider: ECR, Title: "Amazon ECR", Account: "123456789012", Region: "cn-north-1", Partition: "aws-cn"}, true},
		{"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", Info{Provider: ECR, Title: "Amazon ECR", Account: "123456789012", Region: "us-isob-east-1", Partition: "aws-iso-b"}, true},
		{"12345.dkr.ecr.us-east-1.amazonaws.com", Info{}, false},
		{"public.ecr.aws", Info{Provider: ECRPublic, Title: "Amazon ECR Public", Region: "us-east-1"}, true},
		{"asia-northeast1-docker.pkg.dev", Info{Provider: GAR, Title: "Google Artifact Registry", Region: "asia-northeast1"}, true},
		{"myreg.azurecr.io", Info{Provider: ACR, Title: "Azure Container Registry", Account: "myreg"}, true},
		{"myreg.azurecr.cn:443", Info{Provider: ACR, Title: "Azure Container Registry", Account: "myreg"}, true},
		{"ghcr.io", Info{Provider: GHCR, Title: "GitHub Container Registry"}, true},
		{"registry.gitlab.com", Info{Provider: GitLab, Title: "GitLab Container Registry"}, true},
		{"quay.io", Info{Provider: Quay, Title: "Quay.io"}, true},
		{"acme.jfrog.io", Info{Provider: JFrog, Title: "JFrog Artifactory", Account: "acme"}, true},
		{"docker.io", Info{Provider: DockerHub, Title: "Docker Hub"}, true},
		{"registry.example.com", Info{}, false},
	}
	for _, tt := range tests {
		got, ok := Recognize(tt.host)
		if ok != tt.ok || diffInfo(tt.want, got) != "" {
			t.Errorf("Recognize(%q) = %+v, %v; want %+v, %v", tt.host, got, ok, tt.want, tt.ok)
		}
	}
	for _, h := range []string{"gcr.io", "asia.gcr.io", "eu.gcr.io"} {
		if got, ok := Recognize(h); !ok || got.Provider != GCR || got.Deprecated == "" {
			t.Errorf("Recognize(%q) = %+v: want GCR, marked deprecated", h, got)
		}
	}
	if got, ok := Recognize("gitlab.example.com:5050", "gitlab.example.com"); !ok || got.Provider != GitLab {
		t.Errorf("self-hosted GitLab not recognised: %+v", got)
	}
}

func diffInfo(a, b Info) string { return cmp.Diff(a, b) }

func TestCheckUsername(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host, user, secret string
		want               string // substring of the first problem; "" for none
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", "eyJ...", ""},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "admin", "x", "username AWS"},
		{"public.ecr.aws", "aws", "x", "username AWS"},
		{"europe-west1-docker.pkg.dev", "_json_key", `{"type": "service_account"}`, ""},
		{"europe-west1-docker.pkg.dev", "_json_key", "ZXlK", "_json_key_base64"},
		{"europe-west1-docker.pkg.dev", "oauth2accesstoken", "ya29.x", ""},
		{"europe-west1-docker.pkg.dev", "me@example.com", "x", "_json_key"},
		{"myreg.azurecr.io", ACRRefreshTokenUser, "x", ""},
		{"myreg.azurecr.io", "", "x", "00000000-0000-0000-0000-000000000000"},
		{"ghcr.io", "Octocat", "ghp_x", `"octocat"`},
		{"ghcr.io", "octocat", "hunter2", "personal access token"},
		{"ghcr.io", "octocat", "github_pat_x", ""},
		{"registry.gitlab.com", "me", "glpat-x", ""},
		{"registry.gitlab.com", "me", "hunter2x", "read_registry"},
		{"quay.io", "org+robot", "x", ""},
		{"quay.io", "+robot", "x", "ORGANISATION+NAME"},
		{"gcr.io", "_json_key", "{}", "deprecated"},
	}
	for _, tt := range tests {
		info, ok := Recognize(tt.host)
		if !ok {
			t.Fatalf("%s not recognised", tt.host)
		}
		got := info.CheckUsername(tt.user, tt.secret)
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s %q: unexpected %q", tt.host, tt.user, got)
		case tt.want != "" && (len(got) == 0 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s %q: got %q, want a problem mentioning %q", tt.host, tt.user, got, tt.want)
		}
		for _, p := range got {
			if tt.secret != "" && len(tt.secret) > 4 && strings.Contains(p, tt.secret) {
				t.Errorf("problem quotes the secret: %s", p)
			}
		}
	}
}
