// Command local-cluster runs a real local Kubernetes control plane for the tests and the demo of
// proxy-service-operator: embedded etcd, kube-apiserver, kube-controller-manager and kube-scheduler
// from the official Kubernetes modules, plus a simulated kubelet, each in its own process.
//
// The stable entry point is hack/local-cluster.sh, which builds this binary and calls it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// command is one subcommand: either a component that runs in the foreground (started by `up`)
// or an orchestration command that manages those components.
type command struct {
	name    string
	summary string
	run     func(stateDir string, args []string) error
}

var commands = []command{
	{"up", "start every component in the background and wait until the cluster is ready", runUp},
	{"down", "stop every component by its recorded pid and remove the state (not the binary)", runDown},
	{"status", "print each component's state; exit 0 only when the cluster is up and ready", runStatus},
	{"restart", "kill -9 one component (" + strings.Join(componentNames(), ", ") + ") and start it again on the same state", runRestart},
	{"kubeconfig", "print the path of the admin kubeconfig", runKubeconfig},
	{"node", "node stop|start NODE: stop or start one simulated node's kubelet (a node failure)", runNode},
	{"etcd", "component: embedded etcd (run by up)", runEtcd},
	{"apiserver", "component: kube-apiserver; extra args are passed to it (run by up)", runAPIServer},
	{"controller-manager", "component: kube-controller-manager; extra args are passed to it (run by up)", runControllerManager},
	{"scheduler", "component: kube-scheduler; extra args are passed to it (run by up)", runScheduler},
	{"kubelet-sim", "component: the simulated kubelet for the simulated nodes (run by up)", runKubeletSim},
	{"kubectl", "kubectl of the same Kubernetes release; args are passed to it", runKubectl},
}

func main() {
	flags := flag.NewFlagSet("local-cluster", flag.ExitOnError)
	stateDir := flags.String("state-dir", ".local-cluster", "directory for the cluster's state: certificates, etcd data, pids, logs and the kubeconfig")
	flags.Usage = func() { usage(flags) }
	_ = flags.Parse(os.Args[1:])
	if flags.NArg() == 0 {
		usage(flags)
		os.Exit(2)
	}
	name, args := flags.Arg(0), flags.Args()[1:]
	for _, c := range commands {
		if c.name == name {
			if err := c.run(*stateDir, args); err != nil {
				fmt.Fprintf(os.Stderr, "local-cluster %s: %v\n", name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "local-cluster: unknown command %q\n\n", name)
	usage(flags)
	os.Exit(2)
}

func usage(flags *flag.FlagSet) {
	out := flags.Output()
	fmt.Fprintf(out, "Usage: local-cluster [-state-dir DIR] COMMAND [ARGS]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(out, "  %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(out, "\nFlags:\n")
	flags.PrintDefaults()
	fmt.Fprintf(out, "\nEach command takes -help for its own flags.\n")
}
