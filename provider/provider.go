// Package provider knows the managed registries of seed 001 — ECR, ECR
// Public, Artifact Registry, GCR, ACR, GHCR, GitLab, Quay, JFrog, Docker
// Hub — by their host names, and each one's username conventions and token
// rules, so lint and check can explain failures in the registry's terms.
package provider

import (
	"fmt"
	"regexp"
	"strings"
)

// Name identifies a managed registry.
type Name string

const (
	ECR       Name = "ecr"
	ECRPublic Name = "ecr-public"
	GAR       Name = "artifact-registry"
	GCR       Name = "gcr"
	ACR       Name = "acr"
	GHCR      Name = "ghcr"
	GitLab    Name = "gitlab"
	Quay      Name = "quay"
	JFrog     Name = "jfrog"
	DockerHub Name = "dockerhub"
)

// Info is what a host says about its registry.
type Info struct {
	Provider   Name   `json:"provider"`
	Title      string `json:"title"`
	Account    string `json:"account,omitempty"`   // ECR account id, ACR/JFrog server name
	Region     string `json:"region,omitempty"`    // ECR region, Artifact Registry location, GCR multi-region
	Partition  string `json:"partition,omitempty"` // ECR: aws, aws-cn, aws-us-gov, ...
	FIPS       bool   `json:"fips,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`
}

var (
	// <12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], and the
	// other partitions' domains (sc2s, c2s).
	ecrRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.(amazonaws\.com|amazonaws\.com\.cn|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)
	garRE = regexp.MustCompile(`^([a-z0-9-]+)-docker\.pkg\.dev$`)
	gcrRE = regexp.MustCompile(`^(?:(us|eu|asia|[a-z0-9-]+)\.)?gcr\.io$`)
	acrRE = regexp.MustCompile(`^([a-z0-9]{5,50})\.azurecr\.(io|cn|us)$`)
	jfrRE = regexp.MustCompile(`^([a-z0-9-]+)(?:-docker[a-z0-9-]*)?\.jfrog\.io$`)
)

// Recognize returns what host (lower-case, optionally with a port) is.
// gitlabHosts adds self-hosted GitLab registries from configuration.
func Recognize(host string, gitlabHosts ...string) (Info, bool) {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	if m := ecrRE.FindStringSubmatch(h); m != nil {
		part := map[string]string{"amazonaws.com": "aws", "amazonaws.com.cn": "aws-cn", "sc2s.sgov.gov": "aws-iso-b", "c2s.ic.gov": "aws-iso", "cloud.adc-e.uk": "aws-iso-e", "csp.hci.ic.gov": "aws-iso-f"}[m[4]]
		if strings.HasPrefix(m[3], "us-gov-") {
			part = "aws-us-gov"
		}
		return Info{Provider: ECR, Title: "Amazon ECR", Account: m[1], Region: m[3], Partition: part, FIPS: m[2] != ""}, true
	}
	switch {
	case h == "public.ecr.aws":
		return Info{Provider: ECRPublic, Title: "Amazon ECR Public", Region: "us-east-1"}, true
	case garRE.MatchString(h):
		return Info{Provider: GAR, Title: "Google Artifact Registry", Region: garRE.FindStringSubmatch(h)[1]}, true
	case gcrRE.MatchString(h):
		m := gcrRE.FindStringSubmatch(h)
		return Info{Provider: GCR, Title: "Google Container Registry", Region: m[1],
			Deprecated: "Container Registry is deprecated and shut down; move images to Artifact Registry (LOCATION-docker.pkg.dev); gcr.io names can be served by Artifact Registry's gcr.io repositories"}, true
	case acrRE.MatchString(h):
		return Info{Provider: ACR, Title: "Azure Container Registry", Account: acrRE.FindStringSubmatch(h)[1]}, true
	case h == "ghcr.io":
		return Info{Provider: GHCR, Title: "GitHub Container Registry"}, true
	case h == "registry.gitlab.com":
		return Info{Provider: GitLab, Title: "GitLab Container Registry"}, true
	case h == "quay.io":
		return Info{Provider: Quay, Title: "Quay.io"}, true
	case jfrRE.MatchString(h):
		return Info{Provider: JFrog, Title: "JFrog Artifactory", Account: jfrRE.FindStringSubmatch(h)[1]}, true
	case h == "docker.io" || h == "index.docker.io" || h == "registry-1.docker.io" || h == "registry.hub.docker.com":
		return Info{Provider: DockerHub, Title: "Docker Hub"}, true
	}
	for _, g := range gitlabHosts {
		if strings.EqualFold(g, h) {
			return Info{Provider: GitLab, Title: "GitLab Container Registry (self-hosted)"}, true
		}
	}
	return Info{}, false
}

// ACRRefreshTokenUser is the username ACR expects with an AAD refresh token.
const ACRRefreshTokenUser = "00000000-0000-0000-0000-000000000000"

// CheckUsername returns problems with a username (and, where the rules
// can tell, the secret's shape) for the registry, each a sentence that
// names the fix. The secret is inspected, never returned.
func (i Info) CheckUsername(user, secret string) []string {
	var out []string
	switch i.Provider {
	case ECR, ECRPublic:
		if user != "AWS" {
			out = append(out, fmt.Sprintf("%s expects the username AWS with the password from `aws ecr get-login-password` (valid 12 hours), not %q; regauth login --provider ecr mints and renews it", i.Title, user))
		}
	case GAR, GCR:
		switch user {
		case "_json_key":
			if !strings.HasPrefix(strings.TrimSpace(secret), "{") {
				out = append(out, "_json_key needs the service-account key JSON itself as the password; for a base64-encoded key use _json_key_base64")
			}
		case "_json_key_base64", "oauth2accesstoken", "_dcgcloud_token":
		default:
			out = append(out, fmt.Sprintf("%s accepts the usernames _json_key (key JSON), _json_key_base64 (base64 key JSON) or oauth2accesstoken (an access token, valid 1 hour), not %q", i.Title, user))
		}
	case ACR:
		if strings.EqualFold(user, ACRRefreshTokenUser) {
			break
		}
		if user == "" {
			out = append(out, "ACR needs a username: the admin user (the registry name), a service principal's application id, or 00000000-0000-0000-0000-000000000000 with an AAD refresh token")
		}
	case GHCR:
		if user != strings.ToLower(user) {
			out = append(out, fmt.Sprintf("GHCR wants your GitHub username in lower case: %q", strings.ToLower(user)))
		}
		if secret != "" && !strings.HasPrefix(secret, "ghp_") && !strings.HasPrefix(secret, "github_pat_") && !strings.HasPrefix(secret, "ghs_") && !strings.HasPrefix(secret, "gho_") {
			out = append(out, "the GHCR password is a personal access token (ghp_… classic with read:packages/write:packages, or a fine-grained github_pat_…), not the account password")
		}
	case GitLab:
		if secret != "" && !strings.HasPrefix(secret, "glpat-") && !strings.HasPrefix(secret, "gldt-") && !strings.HasPrefix(secret, "glcbt-") {
			out = append(out, "GitLab wants a personal access token (glpat-…) or deploy token (gldt-…) with read_registry (and write_registry to push); with two-factor authentication the account password fails")
		}
	case Quay:
		if strings.Contains(user, "+") {
			if ns, name, _ := strings.Cut(user, "+"); ns == "" || name == "" {
				out = append(out, "Quay robot names are ORGANISATION+NAME")
			}
		}
	}
	if i.Deprecated != "" {
		out = append(out, i.Deprecated)
	}
	return out
}
