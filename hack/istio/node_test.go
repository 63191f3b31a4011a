package main

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func injectedPod(mode string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ps-s0-abc", Namespace: "shop",
			Labels: map[string]string{"app": "ps-s0", "pod-template-hash": "abc"}, Annotations: map[string]string{"a": "b"}},
		Spec: corev1.PodSpec{ServiceAccountName: "ps-s0", NodeName: "local-node-1", Containers: []corev1.Container{{
			Name: "istio-proxy", Args: []string{"proxy", mode, "--domain", "$(POD_NAMESPACE).svc.cluster.local"},
			Env: []corev1.EnvVar{
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
				{Name: "SERVICE_ACCOUNT", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.serviceAccountName"}}},
				{Name: "ISTIO_META_CLUSTER_ID", Value: "Kubernetes"},
				{Name: "ISTIO_META_WORKLOAD_NAME", Value: "ps-s0"},
				{Name: "ISTIO_META_OWNER", Value: "kubernetes://apis/apps/v1/namespaces/$(POD_NAMESPACE)/deployments/ps-s0"},
				{Name: "PROXY_CONFIG", Value: `{"concurrency":2}`},
			},
		}}},
		Status: corev1.PodStatus{PodIP: "10.244.0.7"},
	}
}

func TestPodNodeIsWhatPilotAgentSends(t *testing.T) {
	node, typ, err := podNode(injectedPod("router"))
	if err != nil {
		t.Fatal(err)
	}
	if typ != "router" || node.Id != "router~10.244.0.7~ps-s0-abc.shop~shop.svc.cluster.local" {
		t.Fatalf("type %s, id %s", typ, node.Id)
	}
	f := node.Metadata.Fields
	for key, want := range map[string]string{
		"NAME": "ps-s0-abc", "NAMESPACE": "shop", "SERVICE_ACCOUNT": "ps-s0", "CLUSTER_ID": "Kubernetes",
		"WORKLOAD_NAME": "ps-s0", "OWNER": "kubernetes://apis/apps/v1/namespaces/shop/deployments/ps-s0",
	} {
		if got := f[key].GetStringValue(); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
	if got := f["LABELS"].GetStructValue().GetFields(); got["app"].GetStringValue() != "ps-s0" || got["pod-template-hash"] != nil {
		t.Errorf("LABELS: %v", got)
	}
	if got := f["PROXY_CONFIG"].GetStructValue().GetFields()["concurrency"].GetNumberValue(); got != 2 {
		t.Errorf("PROXY_CONFIG concurrency: %v", got)
	}
	if ips := f["INSTANCE_IPS"].GetStringValue(); ips != "10.244.0.7" {
		t.Errorf("INSTANCE_IPS: %q", ips)
	}
}

func TestPodNodeNeedsAnInjectedPodWithAnIP(t *testing.T) {
	sidecar := injectedPod("sidecar")
	if _, typ, err := podNode(sidecar); err != nil || typ != "sidecar" {
		t.Fatalf("sidecar: %s %v", typ, err)
	}
	noIP := injectedPod("sidecar")
	noIP.Status.PodIP = ""
	if _, _, err := podNode(noIP); err == nil {
		t.Error("a pod without an IP: no error")
	}
	plain := injectedPod("sidecar")
	plain.Spec.Containers[0].Name = "app"
	if _, _, err := podNode(plain); err == nil {
		t.Error("a pod without istio-proxy: no error")
	}
}

func TestWebhookOnLoopbackKeepsThePathAndDropsTheService(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"webhooks": []any{
		map[string]any{"name": "namespace.sidecar-injector.istio.io", "clientConfig": map[string]any{
			"service": map[string]any{"name": "istiod", "namespace": "istio-system", "path": "/inject/cluster/x", "port": int64(443)}}},
		map[string]any{"name": "object.sidecar-injector.istio.io", "clientConfig": map[string]any{}},
	}}}
	if err := webhookOnLoopback(u, 21000); err != nil {
		t.Fatal(err)
	}
	hooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
	for i, want := range []string{"https://localhost:21000/inject/cluster/x", "https://localhost:21000/inject"} {
		cc := hooks[i].(map[string]any)["clientConfig"].(map[string]any)
		if cc["url"] != want || cc["service"] != nil {
			t.Errorf("webhook %d: %v", i, cc)
		}
	}
}

func TestTheChartGivesIstiodItsRBACConfigAndInjector(t *testing.T) {
	objs, err := localObjects(21000)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if !appliedKinds[u.GetKind()] {
			t.Errorf("%s %s should not be applied", u.GetKind(), u.GetName())
		}
	}
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "MutatingWebhookConfiguration"} {
		if kinds[k] == 0 {
			t.Errorf("no %s from the chart: %v", k, kinds)
		}
	}
}
