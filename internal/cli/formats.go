package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/regauth/regauth/format"
)

// formatFlags are the per-format options of export, convert and create.
type formatFlags struct {
	keepHelpers bool // dockerconfig, podman

	secretName, namespace string // kubesecret
	labels, annotations   []string
	secretType            string
	json                  bool
	snippet               string

	dockerAuth bool // rkt

	uri, secret, image       string // marathon
	legacyURIs, pull, podDef bool

	inline bool // dcos-config

	path, user, group, sourceURL string // butane
	rktFiles                     bool

	root, caName, pkiDir string // hoststoml, pki
	underscore           bool

	caFile, clientCert, clientKey string // TLS settings for hoststoml, certsd, pki
	skipVerify, plainHTTP         bool
}

// codecs maps a --format name to its codec built from the flags. Adding a
// format is one entry here plus its flags.
var codecs = map[string]func(f *formatFlags) (format.Codec, error){
	"dockerconfig": func(f *formatFlags) (format.Codec, error) {
		return format.DockerConfig{KeepHelpers: f.keepHelpers}, nil
	},
	"podman": func(f *formatFlags) (format.Codec, error) {
		return format.DockerConfig{Podman: true, KeepHelpers: f.keepHelpers}, nil
	},
	"dockercfg":  func(*formatFlags) (format.Codec, error) { return format.Dockercfg{}, nil },
	"kubesecret": (*formatFlags).kubeSecret,
	"rkt":        func(f *formatFlags) (format.Codec, error) { return format.Rkt{DockerAuth: f.dockerAuth}, nil },
	"mesos":      func(*formatFlags) (format.Codec, error) { return format.Mesos{}, nil },
	"marathon": func(f *formatFlags) (format.Codec, error) {
		return format.Marathon{URI: f.uri, Legacy: f.legacyURIs, PullConfig: f.pull, Pod: f.podDef, Secret: f.secret, Image: f.image}, nil
	},
	"dcos-credentials": func(*formatFlags) (format.Codec, error) { return format.DCOSCredentials{}, nil },
	"dcos-config":      func(f *formatFlags) (format.Codec, error) { return format.DCOSConfig{Inline: f.inline}, nil },
	"butane": func(f *formatFlags) (format.Codec, error) {
		return format.Butane{Path: f.path, User: f.user, Group: f.group, SourceURL: f.sourceURL, RktFiles: f.rktFiles}, nil
	},
	"hoststoml": func(f *formatFlags) (format.Codec, error) {
		return format.HostsTOML{Root: f.root, Underscore: f.underscore}, nil
	},
	"certsd": func(*formatFlags) (format.Codec, error) { return format.CertsD{}, nil },
	"pki":    func(f *formatFlags) (format.Codec, error) { return format.PKI{CAFile: f.caName, Dir: f.pkiDir}, nil },
}

// tlsFormats carry host TLS settings, never credentials.
var tlsFormats = map[string]bool{"hoststoml": true, "certsd": true, "pki": true}

// detectOrder tries the most specific formats first: several embed a docker
// config, which the generic ones would also accept.
var detectOrder = []string{"kubesecret", "butane", "marathon", "dcos-config", "mesos", "rkt", "hoststoml", "pki", "certsd", "dcos-credentials", "dockerconfig", "dockercfg"}

// formatAliases accept the names people use.
var formatAliases = map[string]string{
	"docker": "dockerconfig", "config.json": "dockerconfig", "auth.json": "podman", ".dockercfg": "dockercfg",
	"secret": "kubesecret", "kubernetes": "kubesecret", "k8s": "kubesecret", "dcos": "dcos-credentials",
	"hosts.toml": "hoststoml", "containerd": "hoststoml", "certs.d": "certsd", "flatcar": "butane",
}

func formatNames() []string {
	names := make([]string, 0, len(codecs))
	for n := range codecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func canonicalFormat(name string) string {
	name = strings.ToLower(name)
	if a, ok := formatAliases[name]; ok {
		return a
	}
	return name
}

func (f *formatFlags) codec(name string) (format.Codec, error) {
	mk, ok := codecs[canonicalFormat(name)]
	if !ok {
		return nil, usagef("formats: "+strings.Join(formatNames(), ", "), "unknown format %q", name)
	}
	c, err := mk(f)
	if err != nil {
		return nil, &usageError{err: err, hint: "check the " + name + " flags in --help"}
	}
	return c, nil
}

func (f *formatFlags) kubeSecret() (format.Codec, error) {
	k := format.KubeSecret{SecretName: f.secretName, Namespace: f.namespace, Snippet: f.snippet}
	switch strings.TrimPrefix(f.secretType, "kubernetes.io/") {
	case "", "dockerconfigjson":
		k.Type = corev1.SecretTypeDockerConfigJson
	case "dockercfg":
		k.Type = corev1.SecretTypeDockercfg
	default:
		return nil, fmt.Errorf("unknown --type %q: use dockerconfigjson or dockercfg", f.secretType)
	}
	if f.json {
		k.Output = "json"
	}
	var err error
	if k.Labels, err = keyValues("--label", f.labels); err != nil {
		return nil, err
	}
	if k.Annotations, err = keyValues("--annotation", f.annotations); err != nil {
		return nil, err
	}
	return k, nil
}

func keyValues(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

func (f *formatFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.BoolVar(&f.keepHelpers, "keep-helpers", false, "dockerconfig, podman: keep credHelpers references instead of resolving them")
	fl.StringVar(&f.secretName, "name", "regcred", "kubesecret: metadata.name")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "kubesecret: metadata.namespace")
	fl.StringArrayVar(&f.labels, "label", nil, "kubesecret: KEY=VALUE label (repeatable)")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "kubesecret: KEY=VALUE annotation (repeatable)")
	fl.StringVar(&f.secretType, "type", "dockerconfigjson", "kubesecret: dockerconfigjson or dockercfg")
	fl.BoolVar(&f.json, "json", false, "kubesecret: JSON instead of YAML")
	fl.StringVar(&f.snippet, "snippet", "", "kubesecret: print only the imagePullSecrets stanza for a pod or serviceaccount")
	fl.BoolVar(&f.dockerAuth, "docker-auth", false, "rkt: rktKind dockerAuth instead of auth")
	fl.StringVar(&f.uri, "uri", "", "marathon: where the docker.tar.gz will be (default file:///etc/docker.tar.gz)")
	fl.BoolVar(&f.legacyURIs, "legacy-uris", false, `marathon: "uris" instead of "fetch"`)
	fl.BoolVar(&f.pull, "pull-config", false, "marathon: the UCR pullConfig + secrets stanza instead of fetch")
	fl.BoolVar(&f.podDef, "pod", false, "marathon: the pod form of the pullConfig stanza")
	fl.StringVar(&f.secret, "secret", "", "marathon: DC/OS secret path for pullConfig (default /mesos-docker/pullConfig)")
	fl.StringVar(&f.image, "image", "", "marathon: image to put in the stanza")
	fl.BoolVar(&f.inline, "inline", false, "dcos-config: put the credentials inline in config.yaml (exposes them)")
	fl.StringVar(&f.path, "path", "", "butane: where the node gets config.json (default /home/core/.docker/config.json)")
	fl.StringVar(&f.user, "user", "", "butane: owner of the file (default: the home's user)")
	fl.StringVar(&f.group, "group", "", "butane: group of the file")
	fl.StringVar(&f.sourceURL, "source-url", "", "butane: download config.json from this URL, verified by sha512, instead of inline")
	fl.BoolVar(&f.rktFiles, "rkt", false, "butane: also write rkt auth.d files")
	fl.StringVar(&f.root, "root", "", "hoststoml: write absolute paths under this certs.d root (default: paths relative to each hosts.toml)")
	fl.BoolVar(&f.underscore, "underscore", false, "hoststoml: name directories host_port_ (needed on Windows)")
	fl.StringVar(&f.caName, "ca-name", "", "pki: file name for the CA (default docker-registry-ca.crt)")
	fl.StringVar(&f.pkiDir, "pki-dir", "", "pki: the agents' certificate directory (default /var/lib/dcos/pki/tls/certs)")
}

// addTLSFormatFlags are the host settings the TLS formats render.
func (f *formatFlags) addTLSFormatFlags(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.caFile, "ca-file", "", "hoststoml, certsd, pki: PEM file of the registry's CA")
	fl.StringVar(&f.clientCert, "client-cert", "", "hoststoml, certsd: client certificate PEM")
	fl.StringVar(&f.clientKey, "client-key", "", "hoststoml, certsd: client key PEM")
	fl.BoolVar(&f.skipVerify, "skip-verify", false, "hoststoml: do not verify the registry's certificate")
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "hoststoml: the registry speaks plain HTTP")
}

// hosts builds TLS host settings for each registry from the flags.
func (f *formatFlags) hosts(registries []string) ([]format.Host, error) {
	if len(registries) == 0 {
		return nil, usagef("name each registry with -r HOST[:PORT]", "these formats describe registries' TLS settings: --registry is required")
	}
	read := func(flag, name string) ([]byte, error) {
		if name == "" {
			return nil, nil
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return b, nil
	}
	ca, err := read("--ca-file", f.caFile)
	if err != nil {
		return nil, err
	}
	cert, err := read("--client-cert", f.clientCert)
	if err != nil {
		return nil, err
	}
	key, err := read("--client-key", f.clientKey)
	if err != nil {
		return nil, err
	}
	if ca == nil && cert == nil && !f.skipVerify && !f.plainHTTP {
		return nil, usagef("give --ca-file, --client-cert/--client-key, --skip-verify or --plain-http", "nothing to configure for %s", strings.Join(registries, ", "))
	}
	var out []format.Host
	for _, r := range registries {
		out = append(out, format.Host{Host: r, CA: ca, ClientCert: cert, ClientKey: key, SkipVerify: f.skipVerify, PlainHTTP: f.plainHTTP})
	}
	return out, nil
}

// detect picks the codec whose Sniff accepts the input.
func detect(f *formatFlags, files []format.File) (format.Codec, error) {
	for _, name := range detectOrder {
		c, err := f.codec(name)
		if err != nil {
			continue
		}
		s, ok := c.(format.Sniffer)
		if !ok {
			continue
		}
		for _, file := range files {
			if s.Sniff(file) {
				return c, nil
			}
		}
	}
	return nil, usagef("pass --format with one of: "+strings.Join(formatNames(), ", "), "cannot tell the format of %s", describe(files))
}

func describe(files []format.File) string {
	if len(files) == 1 {
		return files[0].Path
	}
	return fmt.Sprintf("%d files", len(files))
}
