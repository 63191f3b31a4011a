package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Istio's namespace and the names the chart gives istiod's objects.
const (
	istioNamespace = "istio-system"
	istiodName     = "istiod"
	// The webhook is called as https://localhost:PORT: istiod's own serving certificate names
	// "localhost" (ISTIOD_CUSTOM_HOST), and the API server resolves it to loopback.
	webhookHost = "localhost"
)

// clusterState is the part of hack/local-cluster's <state>/cluster.json that this binary reads.
type clusterState struct {
	Dir   string `json:"-"`
	Ports struct {
		APIServer        int `json:"apiserver"`
		IstiodGRPC       int `json:"istiodGrpc"`
		IstiodHTTP       int `json:"istiodHttp"`
		IstiodWebhook    int `json:"istiodWebhook"`
		IstiodMonitoring int `json:"istiodMonitoring"`
	} `json:"ports"`
}

func loadClusterState(dir string) (*clusterState, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(abs, "cluster.json"))
	if err != nil {
		return nil, fmt.Errorf("no local cluster in %s (hack/local-cluster.sh up): %w", abs, err)
	}
	st := &clusterState{Dir: abs}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, err
	}
	if st.Ports.IstiodGRPC == 0 {
		return nil, fmt.Errorf("%s/cluster.json records no istiod ports (run hack/local-cluster.sh up)", abs)
	}
	return st, nil
}

func (st *clusterState) path(elem ...string) string {
	return filepath.Join(append([]string{st.Dir}, elem...)...)
}

func (st *clusterState) xdsAddr() string { return fmt.Sprintf("127.0.0.1:%d", st.Ports.IstiodGRPC) }

// adminClient is a client as the cluster's admin (reads pods and Services for the tools; applies
// istiod's chart objects in prepare).
func (st *clusterState) adminConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", st.path("kubeconfig"))
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "local-cluster-istio"
	return cfg, nil
}

func (st *clusterState) adminClient() (kubernetes.Interface, error) {
	cfg, err := st.adminConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// getPod reads NAMESPACE/POD.
func getPod(ctx context.Context, client kubernetes.Interface, ref string) (*corev1.Pod, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("want NAMESPACE/POD, got %q", ref)
	}
	return client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
}
