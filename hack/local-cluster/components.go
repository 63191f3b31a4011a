package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // as in the upstream mains
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // as in the upstream mains
	_ "k8s.io/component-base/metrics/prometheus/version"  // as in the upstream mains
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanagerapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "time/tzdata" // CronJob time zones, as in the upstream kube-controller-manager
)

// component is one process of the cluster. `up` starts them in this order; `down` stops them in reverse.
type component struct {
	name string
	// ready reports whether the running component serves; nil error means ready.
	ready func(ctx context.Context, st *state) error
}

var components = []component{
	{"etcd", etcdReady},
	{"apiserver", apiserverReady},
	{"controller-manager", func(ctx context.Context, st *state) error {
		return healthz(ctx, st.Ports.ControllerManager)
	}},
	{"scheduler", func(ctx context.Context, st *state) error { return healthz(ctx, st.Ports.Scheduler) }},
	{"kubelet-sim", nodesReady},
	{"istiod", istiodReady},
}

func componentNames() []string {
	var names []string
	for _, c := range components {
		names = append(names, c.name)
	}
	return names
}

func findComponent(name string) (component, bool) {
	for _, c := range components {
		if c.name == name {
			return c, true
		}
	}
	return component{}, false
}

// runEtcd runs an embedded etcd with its data in <state>/etcd until SIGTERM or SIGINT.
func runEtcd(stateDir string, args []string) error {
	flags := flag.NewFlagSet("etcd", flag.ExitOnError)
	_ = flags.Parse(args) // no flags of its own: ports and data directory come from the state
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	cfg := embed.NewConfig()
	cfg.Name = "local-cluster"
	cfg.Dir = st.path("etcd")
	cfg.LogLevel = "warn"
	// NewConfig leaves this at 0, which would log every request as slow; etcd's own flag default is 300 ms.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	// Losing the page cache needs a machine crash, not a killed process, and the cluster is
	// disposable: skipping fsync makes every write of the API server much cheaper.
	cfg.UnsafeNoFsync = true
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", st.Ports.Etcd)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", st.Ports.EtcdPeer)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// bbolt waits for its database's flock without a timeout: a previous etcd still holding it
	// would leave this one listening and never serving, with nothing in its log.
	if err := waitFlockFree(filepath.Join(cfg.Dir, "member", "snap", "db"), 30*time.Second); err != nil {
		return err
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "etcd ready on %s\n", client.String())
	case <-time.After(60 * time.Second):
		return fmt.Errorf("etcd not ready after 60s")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-e.Err():
		return err
	case <-sig:
		return nil
	}
}

// apiserverArgs are the kube-apiserver flags for this cluster.
func apiserverArgs(st *state) []string {
	pki := func(name string) string { return st.path("pki", name) }
	return []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", st.Ports.Etcd),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", st.Ports.APIServer),
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--authorization-mode=Node,RBAC",
		// NodeRestriction limits each simulated kubelet to its own Node and pods, as on a real cluster.
		// TaintNodesByCondition and DefaultTolerationSeconds are on by default.
		"--enable-admission-plugins=NodeRestriction",
		// How long a pod stays bound to a NotReady or unreachable node before it is evicted (the
		// toleration the DefaultTolerationSeconds plugin gives every pod): seconds instead of 5 minutes,
		// so a node failure plays out within a test (docs/local-cluster.md, "Node failure and its timings").
		fmt.Sprintf("--default-not-ready-toleration-seconds=%d", st.TolerationSeconds),
		fmt.Sprintf("--default-unreachable-toleration-seconds=%d", st.TolerationSeconds),
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-cluster-ip-range=" + serviceCIDR,
		// The `kubernetes` Service's endpoint would be 127.0.0.1, which EndpointSlice validation
		// rejects; nothing here routes to it, so the reconciler is off.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + st.path("apiserver-certs"),
		"--profiling=false",
	}
}

// controllerManagerArgs are the kube-controller-manager flags for this cluster.
func controllerManagerArgs(st *state) []string {
	pki := func(name string) string { return st.path("pki", name) }
	var limits []string
	if st.ControllerQPS > 0 {
		// Raised for benchmarks that must show what the operator costs, not what these limits cost.
		limits = []string{fmt.Sprintf("--kube-api-qps=%d", st.ControllerQPS), fmt.Sprintf("--kube-api-burst=%d", st.ControllerQPS*3/2)}
	}
	return append(limits,
		"--kubeconfig="+pki("controller-manager.kubeconfig"),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", st.Ports.ControllerManager),
		"--cert-dir="+st.path("controller-manager-certs"),
		// One instance: no leader election, so a restarted controller manager works at once.
		"--leader-elect=false",
		// Every controller of the default set, node-lifecycle and taint-eviction included: a simulated
		// node whose kubelet stops (node stop) turns Unknown, its pods NotReady, then they are evicted.
		"--controllers=*",
		// The grace period is longer than a restart of the API server takes on a loaded machine, or
		// every node would turn Unknown after one; the simulated kubelet renews its Lease several
		// times within it (see timings).
		"--node-monitor-period="+st.NodeMonitorPeriod.Duration.String(),
		"--node-monitor-grace-period="+st.NodeMonitorGracePeriod.Duration.String(),
		// Each controller runs under its own service account, so RBAC applies to it as on a real cluster.
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+pki("sa.key"),
		"--root-ca-file="+pki("ca.crt"),
		"--cluster-signing-cert-file="+pki("ca.crt"),
		"--cluster-signing-key-file="+pki("ca.key"),
		"--profiling=false",
	)
}

// schedulerArgs are the kube-scheduler flags for this cluster.
func schedulerArgs(st *state) []string {
	return []string{
		"--kubeconfig=" + st.path("pki", "scheduler.kubeconfig"),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", st.Ports.Scheduler),
		"--cert-dir=" + st.path("scheduler-certs"),
		"--leader-elect=false",
		"--profiling=false",
	}
}

func runAPIServer(stateDir string, args []string) error {
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	return runUpstream("kube-apiserver", apiserverapp.NewAPIServerCommand(), append(apiserverArgs(st), args...))
}

func runControllerManager(stateDir string, args []string) error {
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	return runUpstream("kube-controller-manager", controllermanagerapp.NewControllerManagerCommand(),
		append(controllerManagerArgs(st), args...))
}

func runScheduler(stateDir string, args []string) error {
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	return runUpstream("kube-scheduler", schedulerapp.NewSchedulerCommand(), append(schedulerArgs(st), args...))
}

// runUpstream runs an upstream component's command as its own main would, with args.
func runUpstream(name string, cmd *cobra.Command, args []string) error {
	fmt.Fprintf(os.Stderr, "%s %s\n", name, strings.Join(args, " "))
	os.Args = append([]string{name}, args...)
	cmd.SetArgs(args)
	os.Exit(cli.Run(cmd))
	return nil
}

// runKubectl is kubectl of the same release as the cluster. Without --kubeconfig or KUBECONFIG it
// uses the admin kubeconfig of the state directory.
func runKubectl(stateDir string, args []string) error {
	if os.Getenv("KUBECONFIG") == "" && !hasKubeconfigFlag(args) {
		st, err := loadState(stateDir)
		if err != nil {
			return fmt.Errorf("no cluster in %s (run up first): %w", stateDir, err)
		}
		os.Setenv("KUBECONFIG", adminKubeconfig(st))
	}
	os.Args = append([]string{"kubectl"}, args...)
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err)
	}
	return nil
}

func hasKubeconfigFlag(args []string) bool {
	for _, a := range args {
		if a == "--kubeconfig" || strings.HasPrefix(a, "--kubeconfig=") {
			return true
		}
	}
	return false
}
