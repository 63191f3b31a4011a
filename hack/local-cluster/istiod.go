package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// istiod is built from the istio.io/istio module by hack/istio (its own Go module, so Istio's
// dependency versions never meet this module's Kubernetes pins) into the binary `istio` next to
// this one. It runs as `istio -state-dir DIR istiod`: pilot-discovery in istio-system under its
// ServiceAccount's token, on the recorded loopback ports (docs/local-cluster.md).

const (
	istioBinaryName = "istio"
	injectorWebhook = "istio-sidecar-injector"
)

// istioBinary is the path of hack/istio's binary, beside this executable.
func istioBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(exe), istioBinaryName)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("istiod's binary %s is missing (hack/local-cluster.sh builds it): %w", path, err)
	}
	return path, nil
}

// prepareIstiod applies the chart's istiod objects and renews istiod's token, as the admin,
// before each start of istiod, within ctx (the up's or restart's own time limit).
func prepareIstiod(ctx context.Context, st *state) error {
	bin, err := istioBinary()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "-state-dir", st.Dir, "prepare")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("istio prepare: %w\n%s", err, out)
	}
	return nil
}

// istiodEnviron is the environment istiod starts with: ours without KUBECONFIG (its identity is
// its own kubeconfig), plus <state>/istiod/environ from prepare. Istio reads its settings from the
// environment when the process starts, so they cannot be set later.
func istiodEnviron(st *state) ([]string, error) {
	data, err := os.ReadFile(st.path("istiod", "environ"))
	if err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBECONFIG=") {
			env = append(env, kv)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line != "" {
			env = append(env, line)
		}
	}
	return env, nil
}

// istiodReady: /ready answers 200 (its caches synced), and istiod has put its CA into the
// injection webhook, so the API server can call it.
func istiodReady(ctx context.Context, st *state) error {
	if err := httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/ready", st.Ports.IstiodHTTP), ""); err != nil {
		return err
	}
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	hooks, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, injectorWebhook, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, h := range hooks.Webhooks {
		if len(h.ClientConfig.CABundle) == 0 {
			return errors.New("istiod has not patched its CA into the injection webhook " + h.Name + " yet")
		}
	}
	return nil
}
