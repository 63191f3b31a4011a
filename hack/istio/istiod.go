package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// istiodTokenLifetime: the token in istiod's kubeconfig is renewed at every up and restart.
const istiodTokenLifetime = 7 * 24 * time.Hour

// istiodEnvMarker says the istiod command runs with its environment set.
const istiodEnvMarker = "LOCAL_CLUSTER_ISTIOD_ENV"

// launch is how the chart runs istiod, saved by prepare for the istiod process.
type launch struct {
	Args []string          `json:"args"`
	Env  map[string]string `json:"env"`
}

func stateDirFlag(flags *flag.FlagSet) *string {
	return flags.String("state-dir", globalStateDir, "the local cluster's state directory")
}

// runPrepare applies the chart's istiod objects as the admin and writes istiod's own kubeconfig
// (a token of its ServiceAccount) and launch settings. Idempotent.
func runPrepare(args []string) error {
	flags := flag.NewFlagSet("prepare", flag.ExitOnError)
	stateDir := stateDirFlag(flags)
	_ = flags.Parse(args)
	st, err := loadClusterState(*stateDir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := st.adminConfig()
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: istioNamespace}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	all, err := istiodChart()
	if err != nil {
		return err
	}
	objs, err := localObjects(st.Ports.IstiodWebhook)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	for _, u := range objs {
		if err := apply(ctx, dyn, mapper, u); err != nil {
			return err
		}
	}
	if err := writeIstiodKubeconfig(ctx, st, client); err != nil {
		return err
	}
	container, err := istiodContainer(all)
	if err != nil {
		return err
	}
	l := launchFrom(container)
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(st.path("istiod", "launch.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	// local-cluster starts istiod with this environment (one K=V a line).
	return os.WriteFile(st.path("istiod", "environ"), []byte(strings.Join(istiodEnv(l), "\n")+"\n"), 0o644)
}

func apply(ctx context.Context, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if u.GetNamespace() != "" {
		ri = dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	force := true
	_, err = ri.Patch(ctx, u.GetName(), "application/apply-patch+yaml", data,
		metav1.PatchOptions{FieldManager: "local-cluster-istio", Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return nil
}

// writeIstiodKubeconfig writes <state>/istiod/kubeconfig: a TokenRequest token of the istiod
// ServiceAccount, so istiod has exactly the chart's RBAC, as in its pod.
func writeIstiodKubeconfig(ctx context.Context, st *clusterState, client kubernetes.Interface) error {
	seconds := int64(istiodTokenLifetime.Seconds())
	tr, err := client.CoreV1().ServiceAccounts(istioNamespace).CreateToken(ctx, istiodName,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &seconds}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("token for ServiceAccount %s/%s: %w", istioNamespace, istiodName, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{
		Server:               fmt.Sprintf("https://127.0.0.1:%d", st.Ports.APIServer),
		CertificateAuthority: st.path("pki", "ca.crt"),
	}
	cfg.AuthInfos[istiodName] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: istiodName, Namespace: istioNamespace}
	cfg.CurrentContext = "local"
	if err := os.MkdirAll(st.path("istiod"), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*cfg, st.path("istiod", "kubeconfig"))
}

// launchFrom takes the chart container's args and literal env; the downward-API env is what
// istiod's pod would get, set in runIstiod.
func launchFrom(c map[string]any) launch {
	l := launch{Env: map[string]string{}}
	if args, ok := c["args"].([]any); ok {
		for _, a := range args {
			if s, ok := a.(string); ok {
				l.Args = append(l.Args, s)
			}
		}
	}
	if env, ok := c["env"].([]any); ok {
		for _, e := range env {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			if v, ok := m["value"].(string); ok && name != "" {
				l.Env[name] = v
			}
		}
	}
	return l
}

// istiodEnv is istiod's environment as its pod would have it: the chart's literal env and what
// the downward API gives, plus the host its webhook certificate must name.
func istiodEnv(l launch) []string {
	var env []string
	for k, v := range l.Env {
		if k != "KUBECONFIG" { // the chart's remote-cluster path; --kubeconfig names ours
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return append(env,
		"POD_NAME=istiod-local", "POD_NAMESPACE="+istioNamespace, "SERVICE_ACCOUNT="+istiodName,
		// The webhook's serving certificate (signed by istiod's CA) names the host the API server calls.
		"ISTIOD_CUSTOM_HOST="+webhookHost,
		istiodEnvMarker+"=1")
}

// runIstiod is the istiod component of the local cluster: pilot-discovery as the chart runs it,
// in istio-system, under its ServiceAccount's kubeconfig, with its self-signed CA (kept in the
// istio-ca-secret Secret, so a restart keeps the root), listening on the recorded loopback ports.
func runIstiod(args []string) error {
	flags := flag.NewFlagSet("istiod", flag.ExitOnError)
	stateDir := stateDirFlag(flags)
	_ = flags.Parse(args)
	st, err := loadClusterState(*stateDir)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(st.path("istiod", "launch.json"))
	if err != nil {
		return fmt.Errorf("run prepare first: %w", err)
	}
	var l launch
	if err := json.Unmarshal(data, &l); err != nil {
		return err
	}
	// Istio reads most of its settings from the environment in package initialisers, so the
	// environment must be in place when the process starts. local-cluster starts this command
	// with it (from istiod/environ, written by prepare); run by hand, it sets it and execs itself.
	if os.Getenv(istiodEnvMarker) == "" {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "KUBECONFIG=") { // istiod's identity is its --kubeconfig only
				env = append(env, kv)
			}
		}
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		return syscall.Exec(exe, os.Args, append(env, istiodEnv(l)...))
	}
	// istiod's relative default paths (./etc/cacerts, ./var/lib/istio/inject, ...) resolve here;
	// none exists, so it reads its mesh config and templates from the chart's ConfigMaps.
	if err := os.Chdir(st.path("istiod")); err != nil {
		return err
	}
	if len(l.Args) == 0 || l.Args[0] != "discovery" {
		return errors.New("the chart's istiod args do not start with discovery: " + strings.Join(l.Args, " "))
	}
	local := []string{
		"--kubeconfig=" + st.path("istiod", "kubeconfig"),
		fmt.Sprintf("--grpcAddr=127.0.0.1:%d", st.Ports.IstiodGRPC),
		"--secureGRPCAddr=",
		fmt.Sprintf("--httpAddr=127.0.0.1:%d", st.Ports.IstiodHTTP),
		fmt.Sprintf("--httpsAddr=127.0.0.1:%d", st.Ports.IstiodWebhook),
		fmt.Sprintf("--monitoringAddr=127.0.0.1:%d", st.Ports.IstiodMonitoring),
		// ControlZ's fixed port (9876) would clash between clusters of several work trees.
		"--ctrlz_port=0",
	}
	all := append(append([]string{}, l.Args...), local...)
	fmt.Fprintf(os.Stderr, "istiod: pilot-discovery %s\n", strings.Join(all, " "))
	return runPilotDiscovery(all)
}
