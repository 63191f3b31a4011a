// Command istio is one binary for the local cluster's Istio (issue 9): istiod (pilot-discovery) and
// istioctl from the pinned istio.io/istio module, and this project's own tools that read what
// istiod sends. One binary links the shared Istio and Kubernetes packages once, which keeps the
// cold build and the disk small.
//
// The stable entry point is hack/local-cluster.sh (istioctl, xds, trace), which builds it.
package main

import (
	"fmt"
	"os"
)

// globalStateDir is the local cluster's state directory, the default of each command's -state-dir.
var globalStateDir = ".local-cluster"

type command struct {
	name    string
	summary string
	run     func(args []string) error
}

var commands = []command{
	{"pilot-discovery", "Istio's pilot-discovery (istiod) as built from the pinned module; args are passed to it", runPilotDiscovery},
	{"istioctl", "Istio's istioctl; args are passed to it", runIstioctl},
	{"istiod", "run istiod for a local cluster's state directory (started by local-cluster up)", runIstiod},
	{"prepare", "apply istiod's chart objects (istio-system, RBAC, mesh config, injector) and write its kubeconfig", runPrepare},
	{"manifest", "print the objects of Istio's charts that the local cluster applies", runManifest},
	{"crds", "print the CRDs of Istio's base chart (manifests/charts/base/files/crd-all.gen.yaml)", runCRDs},
	{"xds", "print the xDS that istiod sends to a pod: {listeners, routes, clusters, endpoints}", runXDS},
	{"trace", "follow one request from a pod to host:port through what istiod sends", runTrace},
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	argv := os.Args[1:]
	// A leading -state-dir DIR (as local-cluster starts its components) applies to every command.
	if len(argv) >= 2 && (argv[0] == "-state-dir" || argv[0] == "--state-dir") {
		globalStateDir, argv = argv[1], argv[2:]
	}
	if len(argv) == 0 {
		usage()
		os.Exit(2)
	}
	name, args := argv[0], argv[1:]
	for _, c := range commands {
		if c.name == name {
			if err := c.run(args); err != nil {
				fmt.Fprintf(os.Stderr, "istio %s: %v\n", name, err)
				os.Exit(1)
			}
			return
		}
	}
	if name != "-h" && name != "-help" && name != "--help" && name != "help" {
		fmt.Fprintf(os.Stderr, "istio: unknown command %q\n\n", name)
	}
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintf(os.Stderr, "Usage: istio [-state-dir DIR] COMMAND [ARGS]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nEach of this project's commands takes -help for its own flags.\n")
}
