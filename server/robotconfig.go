package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/regauth/regauth/credential"
	"github.com/regauth/regauth/format"
)

// RobotConfigFormats are the ready-made credentials a robot can have, as
// Quay offers them.
var RobotConfigFormats = []string{"login", "dockerconfig", "podman", "kubesecret", "rkt", "mesos", "butane"}

// RobotConfigRequest asks for one of them.
type RobotConfigRequest struct {
	Format   string // one of RobotConfigFormats; default "login"
	Registry string // the registry host the robot pulls from
	Robot    string // "ns+name"
	Secret   string
	Name     string // Kubernetes Secret name; default derived from the robot
	Now      time.Time
}

// RenderRobotConfig renders the robot's credential for the registry with
// the format codecs, returning the bytes and a content type.
func RenderRobotConfig(req RobotConfigRequest) ([]byte, string, error) {
	if req.Registry == "" {
		return nil, "", fmt.Errorf("the server does not know its registry's address (set --registry)")
	}
	p, err := credential.ParsePattern(req.Registry)
	if err != nil {
		return nil, "", err
	}
	doc := format.NewDocument(credential.Entry{Pattern: p, Credential: credential.Credential{Username: req.Robot, Password: req.Secret}})
	var codec format.Codec
	ctype := "application/json"
	switch req.Format {
	case "", "login":
		// Quay prints `docker login -u -p`; the password on a command line
		// is what regauth avoids everywhere, so the secret goes on stdin.
		return []byte(fmt.Sprintf("printf '%%s' '%s' | docker login --username '%s' --password-stdin %s\n", req.Secret, req.Robot, p.Key())), "text/plain; charset=utf-8", nil
	case "dockerconfig":
		codec = format.DockerConfig{}
	case "podman":
		codec = format.DockerConfig{Podman: true}
	case "kubesecret":
		name := req.Name
		if name == "" {
			name = strings.NewReplacer("+", "-", "_", "-", ".", "-").Replace(req.Robot) + "-pull-secret"
		}
		codec, ctype = format.KubeSecret{SecretName: name}, "application/yaml"
	case "rkt":
		codec = format.Rkt{}
	case "mesos":
		codec, ctype = format.Mesos{}, "application/gzip"
	case "butane":
		codec, ctype = format.Butane{}, "application/yaml"
	default:
		return nil, "", fmt.Errorf("unknown format %q: use %s", req.Format, strings.Join(RobotConfigFormats, ", "))
	}
	files, err := codec.Encode(doc)
	if err != nil {
		return nil, "", err
	}
	if len(files) != 1 {
		return nil, "", fmt.Errorf("%s renders %d files; use regauth export for it", req.Format, len(files))
	}
	return files[0].Data, ctype, nil
}
