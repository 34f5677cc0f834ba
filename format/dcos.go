package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// DC/OS keeps cluster-wide docker credentials in two places, so there are
// two codecs:
//
//   - DCOSCredentials is /etc/mesosphere/docker_credentials on every agent:
//     a docker config.json the agent reads at start. An empty or invalid
//     file stops the agent (dcos-mesos-slave) from starting, so Lint reports
//     it as an error.
//   - DCOSConfig is the cluster_docker_credentials* block of the installer's
//     genconf/config.yaml. By default it renders the block the DC/OS
//     documentation recommends: DC/OS creates the credentials file with a
//     blank "{}" and the operator installs the real file (DCOSCredentials)
//     outside the DC/OS configuration. With Inline the credentials are
//     written into the block itself, which exposes them to everything that
//     reads the DC/OS configuration.

// DCOSCredentials is the /etc/mesosphere/docker_credentials file.
type DCOSCredentials struct{}

// DCOSConfig is the config.yaml block.
type DCOSConfig struct {
	// Inline writes the credentials into cluster_docker_credentials.
	Inline bool
}

var (
	_ Codec   = DCOSCredentials{}
	_ Sniffer = DCOSCredentials{}
	_ Linter  = DCOSCredentials{}
	_ Codec   = DCOSConfig{}
	_ Sniffer = DCOSConfig{}
	_ Linter  = DCOSConfig{}
)

// DCOSCredentialsPath is where DC/OS agents read the credentials.
const DCOSCredentialsPath = "/etc/mesosphere/docker_credentials"

const dcosInstallerRejects = "the DC/OS installer accepts only a docker config JSON object here (\"{}\" for none)"

const dcosAgentStops = "an empty or invalid credentials file prevents the DC/OS agent (dcos-mesos-slave) from starting"

// Name implements Codec.
func (DCOSCredentials) Name() string { return "dcos-credentials" }

// Name implements Codec.
func (DCOSConfig) Name() string { return "dcos-config" }

// Encode implements Encoder: the docker config, 0600.
func (DCOSCredentials) Encode(d *Document) ([]File, error) {
	cfg, err := mesosDockerConfig(d, "dcos-credentials")
	if err != nil {
		return nil, err
	}
	return []File{{Path: "", Mode: 0o600, Data: cfg}}, nil
}

// Decode implements Decoder.
func (DCOSCredentials) Decode(files []File) (*Document, error) {
	if len(files) != 1 {
		return nil, fmt.Errorf("dcos-credentials: want one file, got %d", len(files))
	}
	f := files[0]
	if len(bytes.TrimSpace(f.Data)) == 0 {
		return nil, errorf(f.Path, "", "is empty: %s", dcosAgentStops)
	}
	return mesosReadDockerConfig("dcos-credentials", f.Path, "", f.Data)
}

// Sniff implements Sniffer: the content is an ordinary docker config, so
// only the file name tells.
func (DCOSCredentials) Sniff(f File) bool { return path.Base(f.Path) == "docker_credentials" }

// Lint implements Linter. Rules: dcos-credentials-empty,
// dcos-credentials-invalid, dcos-helper, plus LintDockerConfigJSON's rules.
// "{}" is valid: it is the blank configuration DC/OS itself writes.
func (DCOSCredentials) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		out = append(out, dcosLintJSON("dcos-credentials", f.Path, "", f.Data, dcosAgentStops)...)
	}
	return out
}

// dcosLintJSON checks a docker config DC/OS will load, at field of file.
func dcosLintJSON(prefix, file, field string, data []byte, why string) []Finding {
	if len(bytes.TrimSpace(data)) == 0 {
		return []Finding{{Severity: SevError, Rule: prefix + "-empty", File: file, Field: field,
			Message: "is empty: " + why,
			Hint:    "write at least {} (no credentials), or `regauth export --format dcos-credentials`, then `sudo systemctl restart dcos-mesos-slave`"}}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return []Finding{{Severity: SevError, Rule: prefix + "-invalid", File: file, Field: field,
			Message: "is not a JSON object (" + jsonProblem(err) + "): " + why,
			Hint:    "fix the JSON or regenerate it with `regauth export --format dcos-credentials`"}}
	}
	if len(top) == 0 {
		return nil
	}
	out := LintDockerConfigJSON(file, field, data, false)
	return append(out, mesosHelperFindings("dcos-helper", file, field, data)...)
}

// dcosConfigKeys are the booleans of the block, written as the strings
// DC/OS's validator wants.
var dcosConfigKeys = []struct{ key, value string }{
	{"cluster_docker_credentials_enabled", "true"},
	{"cluster_docker_credentials_write_to_etc", "true"},
	{"cluster_docker_credentials_dcos_owned", "false"},
}

const dcosCredentialsKey = "cluster_docker_credentials"

// Encode implements Encoder: a block to merge into genconf/config.yaml.
func (c DCOSConfig) Encode(d *Document) ([]File, error) {
	cfg, err := mesosDockerConfig(d, "dcos-config")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	value, mode := `"{}"`, fs.FileMode(0o644)
	if c.Inline {
		var compact bytes.Buffer
		if err := json.Compact(&compact, cfg); err != nil {
			return nil, fmt.Errorf("dcos-config: %w", err)
		}
		value, mode = "'"+strings.ReplaceAll(compact.String(), "'", "''")+"'", 0o600
		b.WriteString("# WARNING: cluster_docker_credentials holds registry secrets in plain text; they become\n" +
			"# part of the DC/OS configuration, readable wherever config.yaml and the installer are.\n" +
			"# Prefer the default block and install " + DCOSCredentialsPath + " on each agent\n" +
			"# (regauth export --format dcos-credentials).\n")
	} else {
		b.WriteString("# DC/OS creates " + DCOSCredentialsPath + " with a blank configuration;\n" +
			"# install the real one there (regauth export --format dcos-credentials), then\n" +
			"# restart the agent: sudo systemctl restart dcos-mesos-slave\n")
	}
	fmt.Fprintf(&b, "%s: %s\n", dcosCredentialsKey, value)
	for _, kv := range dcosConfigKeys {
		fmt.Fprintf(&b, "%s: '%s'\n", kv.key, kv.value)
	}
	return []File{{Path: "", Mode: mode, Data: []byte(b.String())}}, nil
}

// dcosParseConfig reads config.yaml and returns its top-level map.
func dcosParseConfig(f File) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal(f.Data, &m); err != nil {
		return nil, errorf(f.Path, "", "not a DC/OS config.yaml: %s", dcosYAMLProblem(err))
	}
	return m, nil
}

// dcosYAMLProblem keeps the location of a YAML error and drops anything
// that could quote the input.
var dcosYAMLLine = regexp.MustCompile(`line \d+`)

func dcosYAMLProblem(err error) string {
	if loc := dcosYAMLLine.FindString(err.Error()); loc != "" {
		return "invalid YAML at " + loc
	}
	return "invalid YAML, or not a mapping at the top level"
}

// dcosCredentialsJSON returns cluster_docker_credentials as JSON: DC/OS
// accepts a JSON string (as documented) or a YAML mapping it serialises.
func dcosCredentialsJSON(m map[string]any) ([]byte, bool) {
	v, ok := m[dcosCredentialsKey]
	if !ok || v == nil {
		return nil, false
	}
	if s, isString := v.(string); isString {
		return []byte(s), true
	}
	data, err := json.Marshal(v)
	return data, err == nil
}

// Decode implements Decoder: the inline credentials, if any.
func (DCOSConfig) Decode(files []File) (*Document, error) {
	if len(files) != 1 {
		return nil, fmt.Errorf("dcos-config: want one file, got %d", len(files))
	}
	f := files[0]
	m, err := dcosParseConfig(f)
	if err != nil {
		return nil, err
	}
	data, ok := dcosCredentialsJSON(m)
	if !ok || len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "{}" {
		return nil, errorf(f.Path, dcosCredentialsKey, "%w inline: the credentials live in %s on each agent", ErrNoCredentials, DCOSCredentialsPath)
	}
	return mesosReadDockerConfig("dcos-config", f.Path, dcosCredentialsKey, data)
}

// Sniff implements Sniffer.
func (DCOSConfig) Sniff(f File) bool {
	return dcosSniffRE.Match(f.Data)
}

var dcosSniffRE = regexp.MustCompile(`(?m)^cluster_docker_credentials(_enabled|_write_to_etc|_dcos_owned|_path)?\s*:`)

// Lint implements Linter. Rules: dcos-config-invalid, dcos-config-value,
// dcos-config-credentials-empty, dcos-config-credentials-invalid,
// dcos-inline-credentials, dcos-config-disabled, dcos-helper, plus
// LintDockerConfigJSON's rules on inline credentials.
func (DCOSConfig) Lint(files []File) []Finding {
	var out []Finding
	for _, f := range files {
		m, err := dcosParseConfig(f)
		if err != nil {
			out = append(out, Finding{Severity: SevError, Rule: "dcos-config-invalid", File: f.Path, Message: err.(*Error).Err.Error(), Hint: "config.yaml is a YAML mapping of option: value"})
			continue
		}
		for _, kv := range dcosConfigKeys {
			v, ok := m[kv.key]
			if !ok {
				continue
			}
			if s := fmt.Sprint(v); s != "true" && s != "false" {
				out = append(out, Finding{Severity: SevError, Rule: "dcos-config-value", File: f.Path, Field: kv.key,
					Message: "must be 'true' or 'false'; DC/OS's installer rejects other values", Hint: fmt.Sprintf("write %s: '%s'", kv.key, kv.value)})
			}
		}
		data, ok := dcosCredentialsJSON(m)
		if !ok {
			continue
		}
		out = append(out, dcosLintJSON("dcos-config-credentials", f.Path, dcosCredentialsKey, data, dcosInstallerRejects)...)
		if fmt.Sprint(m["cluster_docker_credentials_enabled"]) != "true" {
			out = append(out, Finding{Severity: SevWarning, Rule: "dcos-config-disabled", File: f.Path, Field: "cluster_docker_credentials_enabled",
				Message: "is not 'true', so DC/OS ignores cluster_docker_credentials", Hint: "add cluster_docker_credentials_enabled: 'true'"})
		}
		var probe struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if json.Unmarshal(data, &probe) == nil && len(probe.Auths) > 0 {
			out = append(out, Finding{Severity: SevWarning, Rule: "dcos-inline-credentials", File: f.Path, Field: dcosCredentialsKey,
				Message: "holds registry credentials inline, which exposes them in the DC/OS configuration",
				Hint:    "set it to \"{}\" and install " + DCOSCredentialsPath + " on each agent: `regauth export --format dcos-credentials`"})
		}
	}
	return out
}
