package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func adminKubeconfig(st *state) string { return st.path("kubeconfig") }

// adminConfig is a client config for the admin (system:masters) with a short per-request timeout,
// for readiness checks.
func adminConfig(st *state) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", adminKubeconfig(st))
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 5 * time.Second
	cfg.UserAgent = "local-cluster"
	return cfg, nil
}

func runUp(stateDir string, args []string) error {
	flags := flag.NewFlagSet("up", flag.ExitOnError)
	nodes := flags.Int("nodes", 3, "number of simulated nodes (only when the cluster is first created)")
	controllerQPS := flags.Int("controller-qps", 0, "the controller manager's client rate limit, requests per second, burst 1.5 times that (only when the cluster is first created; 0: upstream's default of 20, burst 30)")
	var t timings
	flags.DurationVar(&t.LeaseRenewInterval.Duration, "lease-renew-interval", defaultTimings.LeaseRenewInterval.Duration, "how often each simulated node renews its Lease (only when the cluster is first created)")
	flags.DurationVar(&t.NodeMonitorPeriod.Duration, "node-monitor-period", defaultTimings.NodeMonitorPeriod.Duration, "kube-controller-manager --node-monitor-period: how often the node-lifecycle controller checks the nodes (only when the cluster is first created)")
	flags.DurationVar(&t.NodeMonitorGracePeriod.Duration, "node-monitor-grace-period", defaultTimings.NodeMonitorGracePeriod.Duration, "kube-controller-manager --node-monitor-grace-period: a node whose kubelet is silent this long turns Unknown and its pods NotReady (only when the cluster is first created)")
	flags.Int64Var(&t.TolerationSeconds, "toleration-seconds", defaultTimings.TolerationSeconds, "kube-apiserver --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds: how long pods stay on a NotReady or unreachable node before they are evicted (only when the cluster is first created)")
	flags.DurationVar(&t.CrashLoopBackOff.Duration, "crash-loop-backoff", defaultTimings.CrashLoopBackOff.Duration, "the simulated kubelet's first crash-loop back-off, doubled at each crash (only when the cluster is first created; the kubelet's is 10s)")
	flags.DurationVar(&t.CrashLoopBackOffMax.Duration, "crash-loop-backoff-max", defaultTimings.CrashLoopBackOffMax.Duration, "the cap of the crash-loop back-off (only when the cluster is first created; the kubelet's is 5m)")
	timeout := flags.Duration("timeout", 3*time.Minute, "give up when the cluster is not ready after this long")
	_ = flags.Parse(args)
	start := time.Now()
	unlock, err := lockState(stateDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := loadOrCreateState(stateDir, *nodes, *controllerQPS, t)
	if err != nil {
		return err
	}
	if err := ensurePKI(st); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := addIstiodPorts(st); err != nil {
		return err
	}
	if noneRunning(st) {
		if err := repickPortsIfTaken(st); err != nil {
			return err
		}
	}
	if err := copyFile(st.path("pki", "admin.kubeconfig"), adminKubeconfig(st)); err != nil {
		return err
	}
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if allRunning(st) && clusterReady(ctx, st, cfg) == nil {
		printExport(st)
		return nil
	}
	// etcd and the API server must serve before the rest starts (the controller manager gives up
	// if the API server is not healthy within 10 s); the others start together after them.
	for _, name := range []string{"etcd", "apiserver"} {
		if err := ensureStarted(ctx, st, name, start); err != nil {
			return err
		}
	}
	for _, name := range []string{"controller-manager", "scheduler", "kubelet-sim"} {
		if _, ok := runningPid(st, name); !ok {
			if _, err := startComponent(ctx, st, name); err != nil {
				return err
			}
		}
	}
	// While they start.
	if err := installCRDs(ctx, cfg); err != nil {
		return err
	}
	for _, name := range []string{"controller-manager", "scheduler", "kubelet-sim"} {
		if err := waitReady(ctx, st, name, start); err != nil {
			return err
		}
	}
	// istiod last: it needs the API server, and its injection webhook needs the namespaces.
	if err := ensureStarted(ctx, st, "istiod", start); err != nil {
		return err
	}
	if err := waitFor(ctx, "cluster ready", func() error { return clusterReady(ctx, st, cfg) }); err != nil {
		return err
	}
	progress(fmt.Sprintf("cluster ready in %.1fs (logs: %s/*.log)", time.Since(start).Seconds(), st.Dir))
	printExport(st)
	return nil
}

// ensureStarted starts a component unless it runs, and waits until it is ready.
func ensureStarted(ctx context.Context, st *state, name string, start time.Time) error {
	if _, ok := runningPid(st, name); !ok {
		if _, err := startComponent(ctx, st, name); err != nil {
			return err
		}
	}
	return waitReady(ctx, st, name, start)
}

// waitReady waits until a component is ready. It fails early, with the exit status and log of
// the one that died, if that component or one this process started before it exits: a dead etcd
// would otherwise leave the API server waiting out the whole timeout, its cause nowhere in sight.
func waitReady(ctx context.Context, st *state, name string, start time.Time) error {
	c, _ := findComponent(name)
	var dead string
	err := waitFor(ctx, name, func() error {
		if dead = deadComponent(st, name); dead != "" {
			return errExited
		}
		return c.ready(ctx, st)
	})
	if errors.Is(err, errExited) {
		if status := exitStatus(dead); status != "" {
			err = fmt.Errorf("%w (%s)", err, status)
		}
		if dead != name {
			err = fmt.Errorf("%s, while waiting for %s: %w", dead, name, err)
		}
		return fmt.Errorf("%s: %w\n--- last lines of %s:\n%s", name, err, logFile(st, dead), tail(st, dead, 30))
	}
	if err != nil {
		if stack := dumpMainGoroutine(st, name); stack != "" {
			return fmt.Errorf("%s: %w\n--- where it stood (its main goroutine, SIGQUIT; full dump in %s):\n%s", name, err, logFile(st, name), stack)
		}
		return fmt.Errorf("%s: %w\n--- last lines of %s:\n%s", name, err, logFile(st, name), tail(st, name, 30))
	}
	progress(fmt.Sprintf("%-18s ready (%.1fs)", name, time.Since(start).Seconds()))
	return nil
}

// deadComponent returns name if that component does not run, else the first component (in start
// order) that this process started and that no longer runs, else "".
func deadComponent(st *state, name string) string {
	if _, ok := runningPid(st, name); !ok {
		return name
	}
	for _, c := range components {
		if _, mine := started[c.name]; !mine {
			continue
		}
		if _, ok := runningPid(st, c.name); !ok {
			return c.name
		}
	}
	return ""
}

var errExited = errors.New("process exited")

// waitFor polls check until it returns nil, the process it checks exits, or ctx ends.
func waitFor(ctx context.Context, what string, check func() error) error {
	for {
		err := check()
		if err == nil || errors.Is(err, errExited) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s: %w", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func noneRunning(st *state) bool {
	for _, c := range components {
		if _, ok := runningPid(st, c.name); ok {
			return false
		}
	}
	return true
}

func allRunning(st *state) bool {
	for _, c := range components {
		if _, ok := runningPid(st, c.name); !ok {
			return false
		}
	}
	return true
}

// clusterReady checks what tests need beyond each component serving (istiod's injection webhook
// registered with its CA included): the Istio CRDs Established,
// every simulated node Ready, and the default ServiceAccount made (so pods can be created).
func clusterReady(ctx context.Context, st *state, cfg *rest.Config) error {
	for _, c := range components {
		if err := c.ready(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	if err := crdsEstablished(ctx, cfg); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	_, err = client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
	return err
}

func progress(msg string) { fmt.Fprintf(os.Stderr, "local-cluster: %s\n", msg) }

// printExport prints the line that `up` always ends with.
func printExport(st *state) { fmt.Printf("export KUBECONFIG=%s\n", adminKubeconfig(st)) }

func runDown(stateDir string, args []string) error {
	flags := flag.NewFlagSet("down", flag.ExitOnError)
	grace := flags.Duration("grace", 10*time.Second, "time to wait after SIGTERM before SIGKILL")
	_ = flags.Parse(args)
	if _, err := os.Stat(stateDir); errors.Is(err, os.ErrNotExist) {
		progress("no cluster in " + stateDir)
		return nil
	}
	unlock, err := lockState(stateDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := loadState(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		progress("no cluster in " + stateDir)
		return nil
	}
	if err != nil {
		return err
	}
	names := componentNames()
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	if err := stopComponents(st, names, syscall.SIGTERM, *grace); err != nil {
		return err
	}
	waitPortsClosed(st.Ports.all(), 5*time.Second)
	// The binary (bin/) stays so that the next `up` need not rebuild it.
	entries, err := os.ReadDir(st.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "bin" || e.Name() == lockFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(st.Dir, e.Name())); err != nil {
			return err
		}
	}
	progress("down; removed the state in " + st.Dir)
	return nil
}

func runStatus(stateDir string, args []string) error {
	flags := flag.NewFlagSet("status", flag.ExitOnError)
	_ = flags.Parse(args)
	st, err := loadState(stateDir)
	if err != nil {
		return fmt.Errorf("down (no state in %s)", stateDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	up := true
	for _, c := range components {
		pid, ok := runningPid(st, c.name)
		line := "not running"
		if ok {
			line = fmt.Sprintf("pid %d, ready", pid)
			if err := c.ready(ctx, st); err != nil {
				line = fmt.Sprintf("pid %d, not ready: %v", pid, err)
				up = false
			}
		} else {
			up = false
		}
		fmt.Printf("%-18s %s\n", c.name, line)
	}
	if !up {
		return errors.New("not up")
	}
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	if err := clusterReady(ctx, st, cfg); err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	fmt.Printf("up: KUBECONFIG=%s\n", adminKubeconfig(st))
	return nil
}

func runRestart(stateDir string, args []string) error {
	flags := flag.NewFlagSet("restart", flag.ExitOnError)
	timeout := flags.Duration("timeout", 2*time.Minute, "give up when the component is not ready after this long")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage: local-cluster restart [flags] COMPONENT\n\nComponents: %s\n\nFlags:\n",
			strings.Join(componentNames(), ", "))
		flags.PrintDefaults()
	}
	_ = flags.Parse(args)
	if flags.NArg() != 1 {
		flags.Usage()
		return errors.New("name one component")
	}
	name := flags.Arg(0)
	if _, ok := findComponent(name); !ok {
		return fmt.Errorf("unknown component %q (one of %s)", name, strings.Join(componentNames(), ", "))
	}
	unlock, err := lockState(stateDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := loadState(stateDir)
	if err != nil {
		return fmt.Errorf("no cluster in %s: %w", stateDir, err)
	}
	start := time.Now()
	if err := stopComponents(st, []string{name}, syscall.SIGKILL, 10*time.Second); err != nil {
		return err
	}
	progress(fmt.Sprintf("killed %s with SIGKILL", name))
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if _, err := startComponent(ctx, st, name); err != nil {
		return err
	}
	return waitReady(ctx, st, name, start)
}

func runKubeconfig(stateDir string, args []string) error {
	flags := flag.NewFlagSet("kubeconfig", flag.ExitOnError)
	_ = flags.Parse(args)
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	fmt.Println(adminKubeconfig(st))
	return nil
}

// Readiness checks of the components.

func etcdReady(ctx context.Context, st *state) error {
	return httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/health", st.Ports.Etcd), `"health":"true"`)
}

func apiserverReady(ctx context.Context, st *state) error {
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("/readyz: %w", err)
	}
	if string(body) != "ok" {
		return fmt.Errorf("/readyz: %s", body)
	}
	return nil
}

// insecureClient talks to the controller manager's and scheduler's /healthz on 127.0.0.1; they
// serve it with self-signed certificates, and the check trusts only the answer "ok".
var insecureClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health check only
}}

func healthz(ctx context.Context, port int) error {
	return httpOK(ctx, insecureClient, fmt.Sprintf("https://127.0.0.1:%d/healthz", port), "ok")
}

func httpOK(ctx context.Context, client *http.Client, url, want string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// nodesReady returns nil when every simulated node is registered, Ready, and rid of the taints of a
// node that is not (the node-lifecycle controller removes them), so that pods can be scheduled. A
// node whose kubelet was stopped on purpose (node stop) is left out.
func nodesReady(ctx context.Context, st *state) error {
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, name := range st.Nodes {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if isKubeletStopped(node) {
			continue
		}
		ready := false
		for _, c := range node.Status.Conditions {
			ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			return fmt.Errorf("node %s not Ready", name)
		}
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				return fmt.Errorf("node %s still has the taint %s:%s", name, t.Key, t.Effect)
			}
		}
	}
	return nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}
