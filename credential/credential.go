// Package credential is regauth's one model of registry authentication: which
// credential opens which registry or repository. Every platform format is a
// codec to and from a Set; this package depends on nothing else of ours.
package credential

import "fmt"

// TokenUsername is the username docker and the credential-helper protocol use
// to mark that the secret is an identity (OAuth2 refresh) token, not a password.
const TokenUsername = "<token>"

// Credential is what a client presents to a registry. At most one of
// Password, IdentityToken and RegistryToken is normally set:
//   - Username + Password: HTTP Basic, or the password grant of a token server.
//   - IdentityToken: an OAuth2 refresh token (docker's "identitytoken").
//   - RegistryToken: a bearer token sent as is (docker's "registrytoken").
type Credential struct {
	Username      string
	Password      string
	IdentityToken string
	RegistryToken string
}

// IsEmpty reports whether c carries nothing at all (anonymous access).
func (c Credential) IsEmpty() bool {
	return c.Username == "" && c.Password == "" && c.IdentityToken == "" && c.RegistryToken == ""
}

// Kind names the credential's type for humans and for JSON output.
func (c Credential) Kind() string {
	switch {
	case c.RegistryToken != "":
		return "registry-token"
	case c.IdentityToken != "":
		return "identity-token"
	case c.Username != "" || c.Password != "":
		return "basic"
	default:
		return "anonymous"
	}
}

// String never reveals a secret, so a Credential is safe in logs and errors.
func (c Credential) String() string {
	if c.IsEmpty() {
		return "anonymous"
	}
	return fmt.Sprintf("%s(user=%q)", c.Kind(), c.Username)
}

// GoString keeps %#v as safe as %v.
func (c Credential) GoString() string { return "credential." + c.String() }

// Format makes every fmt verb go through String, so no verb can print a secret.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}
