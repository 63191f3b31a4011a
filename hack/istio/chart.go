package main

import (
	"fmt"
	"io/fs"
	"os"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"istio.io/istio/manifests"
	"istio.io/istio/operator/pkg/component"
	"istio.io/istio/operator/pkg/render"
)

// chartSettings are the install settings of the local istiod: the default profile's istiod
// (Istio's own charts, rendered by Istio's own renderer), nothing else.
var chartSettings = []string{
	"profile=default",
	"values.global.istioNamespace=" + istioNamespace,
	"components.ingressGateways[0].enabled=false",
}

// appliedKinds are the chart's objects that a local istiod needs: its identity and RBAC, its mesh
// config and injection templates (ConfigMaps it watches), and the injector webhook. The
// Deployment, Service, autoscaler and disruption budget describe a pod, which the local process
// replaces; the validating webhook is left out so that a restarting istiod never blocks the
// other tests' Istio objects.
var appliedKinds = map[string]bool{
	"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true,
	"RoleBinding": true, "ConfigMap": true, "MutatingWebhookConfiguration": true,
}

// istiodChart is the rendered istiod (Pilot) component of the chart.
func istiodChart() ([]*unstructured.Unstructured, error) {
	sets, _, err := render.GenerateManifest(nil, chartSettings, false, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("render Istio's charts: %w", err)
	}
	var out []*unstructured.Unstructured
	for _, set := range sets {
		if set.Component != component.PilotComponentName {
			continue
		}
		for _, m := range set.Manifests {
			out = append(out, m.Unstructured)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the chart rendered no istiod objects")
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder(out[i]) < kindOrder(out[j]) })
	return out, nil
}

func kindOrder(u *unstructured.Unstructured) int {
	order := []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap"}
	for i, k := range order {
		if u.GetKind() == k {
			return i
		}
	}
	return len(order)
}

// localObjects are the chart's objects as the local cluster applies them: the kinds above, the
// injector webhook calling istiod on loopback instead of through its Service.
func localObjects(webhookPort int) ([]*unstructured.Unstructured, error) {
	all, err := istiodChart()
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, u := range all {
		if !appliedKinds[u.GetKind()] {
			continue
		}
		if u.GetKind() == "MutatingWebhookConfiguration" {
			if err := webhookOnLoopback(u, webhookPort); err != nil {
				return nil, err
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// webhookOnLoopback points every webhook of the configuration at istiod's webhook port on
// loopback, keeping the chart's path. caBundle is left to istiod, which patches it with its CA
// as it does in a cluster.
func webhookOnLoopback(u *unstructured.Unstructured, port int) error {
	hooks, _, err := unstructured.NestedSlice(u.Object, "webhooks")
	if err != nil {
		return err
	}
	for i, h := range hooks {
		hook, ok := h.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: webhook %d is not an object", u.GetName(), i)
		}
		path, _, _ := unstructured.NestedString(hook, "clientConfig", "service", "path")
		if path == "" {
			path = "/inject"
		}
		hook["clientConfig"] = map[string]any{"url": fmt.Sprintf("https://%s:%d%s", webhookHost, port, path)}
		hooks[i] = hook
	}
	return unstructured.SetNestedSlice(u.Object, hooks, "webhooks")
}

// istiodContainer is the chart Deployment's discovery container: its args and env are how the
// chart runs istiod.
func istiodContainer(all []*unstructured.Unstructured) (map[string]any, error) {
	for _, u := range all {
		if u.GetKind() != "Deployment" || u.GetName() != istiodName {
			continue
		}
		containers, _, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		if err != nil {
			return nil, err
		}
		for _, c := range containers {
			if m, ok := c.(map[string]any); ok && m["name"] == "discovery" {
				return m, nil
			}
		}
	}
	return nil, fmt.Errorf("the chart has no Deployment %s with a container discovery", istiodName)
}

func runManifest(args []string) error {
	objs, err := localObjects(15017)
	if err != nil {
		return err
	}
	for _, u := range objs {
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return err
		}
		fmt.Printf("---\n%s", b)
	}
	return nil
}

// crdFile is where the base chart keeps every Istio CRD.
const crdFile = "charts/base/files/crd-all.gen.yaml"

func istioCRDs() ([]byte, error) { return fs.ReadFile(manifests.FS, crdFile) }

func runCRDs(args []string) error {
	b, err := istioCRDs()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}
