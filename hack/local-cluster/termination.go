package main

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Graceful termination (docs/local-cluster.md, "Graceful termination"): a deleted pod's containers
// got SIGTERM at the deletion and exit after their stop time, bounded by the grace period; until
// then the pod stays Terminating, Running, and serves while it is Ready.

const (
	// stopSecondsAnnotation is how long the application's containers take to exit after SIGTERM.
	stopSecondsAnnotation = "local-cluster.msvcbench.io/stop-seconds"
	istioProxyContainer   = "istio-proxy"
	// proxyConfigAnnotation is Istio's per-pod ProxyConfig override (annotation.ProxyConfig in istio.io/api).
	proxyConfigAnnotation = "proxy.istio.io/config"
	// defaultTerminationDrain is ProxyConfig.terminationDrainDuration's default: DefaultProxyConfig in
	// istio.io/istio pkg/config/mesh/mesh.go (the module pinned in hack/istio/go.mod).
	defaultTerminationDrain = 5 * time.Second
	// The kubelet's defaults of a readiness probe's periodSeconds and failureThreshold.
	defaultProbePeriod           = 10 * time.Second
	defaultProbeFailureThreshold = 3
)

// termination is where a deleted pod's containers stand.
type termination struct {
	// sigterm is when the containers were told to stop: the deletion.
	sigterm time.Time
	// exitAt is when the last of them has exited, and the kubelet confirms the deletion.
	exitAt time.Time
	// unreadyAt is when the pod stops being Ready while it drains (zero: it stays Ready until it exits).
	unreadyAt time.Time
}

// terminationOf derives a deleted pod's termination from its own fields, so that a restarted
// kubelet-sim keeps honouring one under way: deletionTimestamp is the deletion plus
// deletionGracePeriodSeconds. It keeps whole seconds only, so the deletion it gives can be up to a
// second early; `seen`, when this kubelet-sim saw the deletion (zero if it did not), corrects that,
// as a kubelet counts the grace period from when it sends SIGTERM.
func terminationOf(pod *corev1.Pod, seen time.Time) termination {
	grace := time.Duration(0)
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	sigterm := pod.DeletionTimestamp.Add(-grace)
	if seen.After(sigterm) {
		sigterm = seen
	}
	t := termination{sigterm: sigterm, exitAt: sigterm.Add(min(grace, stopTime(pod)))}
	for _, c := range pod.Spec.Containers {
		if c.Name == istioProxyContainer && c.ReadinessProbe != nil {
			// pilot-agent closes its status port at SIGTERM (pilot/cmd/pilot-agent/status/server.go,
			// Run), so its readiness probe fails from then on; the kubelet keeps probing the readiness of
			// a terminating pod (pkg/kubelet/prober/worker.go) and marks it not ready after
			// failureThreshold failures.
			t.unreadyAt = sigterm.Add(probePeriod(c.ReadinessProbe) * time.Duration(probeFailureThreshold(c.ReadinessProbe)))
		}
	}
	return t
}

// stopTime is how long the pod's containers take to exit after SIGTERM: the longest of the
// application's (the stop-seconds annotation) and, for a pod whose main container is an Istio proxy
// (a gateway), pilot-agent's drain. A native-sidecar istio-proxy (an init container) adds nothing: it
// drains from preStop and exits at once when it gets SIGTERM after the application stopped.
func stopTime(pod *corev1.Pod) time.Duration {
	stop := time.Duration(0)
	if s, err := strconv.ParseFloat(pod.Annotations[stopSecondsAnnotation], 64); err == nil && s > 0 {
		stop = time.Duration(s * float64(time.Second))
	}
	for i := range pod.Spec.Containers {
		if c := &pod.Spec.Containers[i]; c.Name == istioProxyContainer {
			stop = max(stop, istioDrainDuration(pod, c))
		}
	}
	return stop
}

// istioDrainDuration is the terminationDrainDuration pilot-agent waits after SIGTERM before it stops
// Envoy (pkg/envoy/agent.go, terminate). pilot-agent merges its ProxyConfig as getMeshConfig in
// pilot/cmd/pilot-agent/config/config.go does: the default, then the PROXY_CONFIG env (where the
// injector writes the merged ProxyConfig, leaving out fields equal to the default), then the pod's
// proxy.istio.io/config annotation. (This Istio writes no TERMINATION_DRAIN_DURATION_SECONDS env.)
func istioDrainDuration(pod *corev1.Pod, proxy *corev1.Container) time.Duration {
	drain := defaultTerminationDrain
	for _, e := range proxy.Env {
		if e.Name == "PROXY_CONFIG" {
			if d, ok := parseTerminationDrain(e.Value); ok {
				drain = d
			}
		}
	}
	if d, ok := parseTerminationDrain(pod.Annotations[proxyConfigAnnotation]); ok {
		drain = d
	}
	return drain
}

// parseTerminationDrain reads terminationDrainDuration from a ProxyConfig in JSON or YAML (a
// protobuf Duration: "5s", "0.5s").
func parseTerminationDrain(config string) (time.Duration, bool) {
	if config == "" {
		return 0, false
	}
	var pc struct {
		TerminationDrainDuration *string `json:"terminationDrainDuration"`
	}
	if err := yaml.Unmarshal([]byte(config), &pc); err != nil || pc.TerminationDrainDuration == nil {
		return 0, false
	}
	d, err := time.ParseDuration(*pc.TerminationDrainDuration)
	return d, err == nil && d >= 0
}

func probePeriod(p *corev1.Probe) time.Duration {
	if p.PeriodSeconds > 0 {
		return time.Duration(p.PeriodSeconds) * time.Second
	}
	return defaultProbePeriod
}

func probeFailureThreshold(p *corev1.Probe) int32 {
	if p.FailureThreshold > 0 {
		return p.FailureThreshold
	}
	return defaultProbeFailureThreshold
}

// hasRunningContainer says whether any container of the pod runs: one that never started, or
// waits in a crash loop, has nothing to stop.
func hasRunningContainer(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running != nil {
			return true
		}
	}
	return false
}
