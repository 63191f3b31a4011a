package main

import (
	"fmt"
	"os"

	_ "github.com/KimMachineGun/automemlimit"   // as in pilot-discovery's main
	_ "k8s.io/client-go/plugin/pkg/client/auth" // as in istioctl's main

	istioctlcmd "istio.io/istio/istioctl/cmd"
	discoveryapp "istio.io/istio/pilot/cmd/pilot-discovery/app"
	"istio.io/istio/pkg/log"
)

// runPilotDiscovery is pilot-discovery's main.
func runPilotDiscovery(args []string) error {
	os.Args = append([]string{"pilot-discovery"}, args...)
	log.EnableKlogWithCobra()
	root := discoveryapp.NewRootCommand()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		log.Error(err)
		os.Exit(-1)
	}
	return nil
}

// runIstioctl is istioctl's main.
func runIstioctl(args []string) error {
	os.Args = append([]string{"istioctl"}, args...)
	if err := istioctlcmd.ConfigAndEnvProcessing(); err != nil {
		fmt.Fprintf(os.Stderr, "Could not initialize: %v\n", err)
		os.Exit(istioctlcmd.GetExitCode(err))
	}
	root := istioctlcmd.GetRootCmd(args)
	log.EnableKlogWithCobra()
	if err := root.Execute(); err != nil {
		os.Exit(istioctlcmd.GetExitCode(err))
	}
	return nil
}
