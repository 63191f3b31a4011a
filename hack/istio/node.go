package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/bootstrap"
	"istio.io/istio/pkg/util/protomarshal"
)

// proxyContainer is the pod's istio-proxy container: a regular container, or an init container
// with restartPolicy Always when Istio injects native sidecars.
func proxyContainer(pod *corev1.Pod) (*corev1.Container, error) {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == "istio-proxy" {
				return &list[i], nil
			}
		}
	}
	return nil, fmt.Errorf("pod %s/%s has no istio-proxy container (not injected?)", pod.Namespace, pod.Name)
}

// nodeType is what pilot-agent's first arguments say: `proxy sidecar` or `proxy router`.
func nodeType(c *corev1.Container) string {
	for i, a := range c.Args {
		if a == "proxy" && i+1 < len(c.Args) {
			return c.Args[i+1]
		}
	}
	return "sidecar"
}

// nodeID is pilot-agent's node id: TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN.
func nodeID(typ string, pod *corev1.Pod) string {
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", typ, pod.Status.PodIP, pod.Name, pod.Namespace, pod.Namespace)
}

// fieldValue resolves a downward-API field reference as the kubelet would for this pod.
func fieldValue(pod *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case "spec.nodeName":
		return pod.Spec.NodeName
	case "status.podIP":
		return pod.Status.PodIP
	case "status.hostIP":
		return pod.Status.HostIP
	}
	if k, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return pod.Labels[strings.TrimSuffix(k, "']")]
	}
	if k, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return pod.Annotations[strings.TrimSuffix(k, "']")]
	}
	return ""
}

// containerEnv is the environment the kubelet would give the container, as K=V (literal values
// and field references; $(VAR) expansion of earlier variables, as the kubelet does).
func containerEnv(pod *corev1.Pod, c *corev1.Container) []string {
	vals := map[string]string{}
	var out []string
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			v = fieldValue(pod, e.ValueFrom.FieldRef.FieldPath)
		} else if e.ValueFrom != nil {
			continue // resource limits and secrets do not shape what istiod sends
		}
		for k, kv := range vals {
			v = strings.ReplaceAll(v, "$("+k+")", kv)
		}
		vals[e.Name] = v
		out = append(out, e.Name+"="+v)
	}
	return out
}

// podNode is the Envoy node that pilot-agent in this pod would present to istiod: its id, and
// metadata built by Istio's own bootstrap.GetNodeMetaData from the container's environment, with
// the pod's labels and annotations (which pilot-agent reads from downward-API files).
func podNode(pod *corev1.Pod) (*core.Node, string, error) {
	if pod.Status.PodIP == "" {
		return nil, "", fmt.Errorf("pod %s/%s has no IP yet", pod.Namespace, pod.Name)
	}
	c, err := proxyContainer(pod)
	if err != nil {
		return nil, "", err
	}
	env := containerEnv(pod, c)
	proxyConfig := &meshconfig.ProxyConfig{}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PROXY_CONFIG="); ok && v != "" {
			if err := protomarshal.ApplyJSON(v, proxyConfig); err != nil {
				return nil, "", fmt.Errorf("PROXY_CONFIG of %s/%s: %w", pod.Namespace, pod.Name, err)
			}
		}
	}
	typ := nodeType(c)
	id := nodeID(typ, pod)
	node, err := bootstrap.GetNodeMetaData(bootstrap.MetadataOptions{
		Envs:                env,
		InstanceIPs:         []string{pod.Status.PodIP},
		ID:                  id,
		ProxyConfig:         proxyConfig,
		EnvoyStatusPort:     15021,
		EnvoyPrometheusPort: 15090,
	})
	if err != nil {
		return nil, "", err
	}
	node.Metadata.Labels = map[string]string{}
	for k, v := range pod.Labels {
		if k != bootstrap.DefaultDeploymentUniqueLabelKey {
			node.Metadata.Labels[k] = v
		}
	}
	node.Metadata.Annotations = pod.Annotations
	meta, err := metadataStruct(node.Metadata, node.RawMetadata)
	if err != nil {
		return nil, "", err
	}
	return &core.Node{Id: id, Metadata: meta, Locality: node.Locality}, typ, nil
}

// metadataStruct merges typed and raw metadata as pilot-agent's bootstrap does (typed fields win).
func metadataStruct(typed any, raw map[string]any) (*structpb.Struct, error) {
	b, err := json.Marshal(typed)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	for k, v := range raw {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty node metadata")
	}
	return structpb.NewStruct(out)
}
