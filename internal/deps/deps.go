// Package deps pins dependencies while packages that use them are being written.
package deps

import (
	_ "github.com/containerd/containerd/v2/core/remotes/docker/config"
	_ "github.com/coreos/butane/config"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/runtime/serializer/json"
	_ "sigs.k8s.io/yaml"
)
