package main

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// deleted marks pod as deleted at `at` with a grace period, as the API server does.
func deleted(pod *corev1.Pod, at time.Time, grace int64) *corev1.Pod {
	pod.DeletionTimestamp = ptr.To(metav1.NewTime(at.Add(time.Duration(grace) * time.Second)))
	pod.DeletionGracePeriodSeconds = ptr.To(grace)
	return pod
}

// gatewayPod is a pod as the injector's gateway template makes it: istio-proxy as its main
// container, with the chart's readiness probe (15 s apart, 4 failures) and PROXY_CONFIG env.
func gatewayPod(proxyConfigEnv string, annotations map[string]string) *corev1.Pod {
	pod := testPod(annotations)
	pod.Spec.Containers = []corev1.Container{{
		Name:  istioProxyContainer,
		Image: "istio/proxyv2",
		Env:   []corev1.EnvVar{{Name: "PROXY_CONFIG", Value: proxyConfigEnv}},
		ReadinessProbe: &corev1.Probe{PeriodSeconds: 15, FailureThreshold: 4,
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready"}}},
	}}
	return pod
}

func TestTerminationOf(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	nativeSidecar := testPod(map[string]string{stopSecondsAnnotation: "3"})
	nativeSidecar.Spec.InitContainers = []corev1.Container{{Name: istioProxyContainer,
		RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
	cases := []struct {
		name      string
		pod       *corev1.Pod
		grace     int64
		exitIn    time.Duration
		unreadyIn time.Duration // 0: Ready until it exits
	}{
		{"no annotation: at once", testPod(nil), 30, 0, 0},
		{"stop-seconds", testPod(map[string]string{stopSecondsAnnotation: "7"}), 30, 7 * time.Second, 0},
		{"stop-seconds beyond the grace period", testPod(map[string]string{stopSecondsAnnotation: "70"}), 30, 30 * time.Second, 0},
		{"deleted with grace 0", testPod(map[string]string{stopSecondsAnnotation: "7"}), 0, 0, 0},
		{"stop-seconds not a number", testPod(map[string]string{stopSecondsAnnotation: "soon"}), 30, 0, 0},
		{"gateway: default drain", gatewayPod(`{}`, nil), 30, 5 * time.Second, 60 * time.Second},
		{"gateway: PROXY_CONFIG", gatewayPod(`{"terminationDrainDuration":"12s","discoveryAddress":"istiod.istio-system.svc:15012"}`, nil), 30, 12 * time.Second, 60 * time.Second},
		{"gateway: the annotation wins", gatewayPod(`{"terminationDrainDuration":"12s"}`,
			map[string]string{proxyConfigAnnotation: "terminationDrainDuration: 2.5s\n"}), 30, 2500 * time.Millisecond, 60 * time.Second},
		{"gateway: the longer of drain and stop-seconds", gatewayPod(`{}`, map[string]string{stopSecondsAnnotation: "8"}), 30, 8 * time.Second, 60 * time.Second},
		{"gateway: grace period shorter than the drain", gatewayPod(`{}`, nil), 2, 2 * time.Second, 60 * time.Second},
		{"native sidecar adds nothing", nativeSidecar, 30, 3 * time.Second, 0},
	}
	for _, c := range cases {
		term := terminationOf(deleted(c.pod, at, c.grace), time.Time{})
		if !term.sigterm.Equal(at) || !term.exitAt.Equal(at.Add(c.exitIn)) {
			t.Errorf("%s: SIGTERM at %v, exit %v after; want %v after", c.name, term.sigterm, term.exitAt.Sub(at), c.exitIn)
		}
		if (c.unreadyIn == 0) != term.unreadyAt.IsZero() || (c.unreadyIn != 0 && !term.unreadyAt.Equal(at.Add(c.unreadyIn))) {
			t.Errorf("%s: unready at %v, want %v after SIGTERM", c.name, term.unreadyAt, c.unreadyIn)
		}
	}
}

func TestTerminationCountsFromWhenTheDeletionWasSeen(t *testing.T) {
	// deletionTimestamp keeps whole seconds: a deletion at 0.6 s reads as one at 0 s.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pod := deleted(testPod(map[string]string{stopSecondsAnnotation: "4"}), at, 30)
	if term := terminationOf(pod, at.Add(600*time.Millisecond)); !term.exitAt.Equal(at.Add(4600 * time.Millisecond)) {
		t.Errorf("seen at 0.6 s: exit at %v", term.exitAt.Sub(at))
	}
	// A kubelet-sim that did not see it (restarted since) goes by the pod's fields.
	if term := terminationOf(pod, time.Time{}); !term.exitAt.Equal(at.Add(4 * time.Second)) {
		t.Errorf("not seen: exit at %v", term.exitAt.Sub(at))
	}
}

func TestParseTerminationDrain(t *testing.T) {
	cases := []struct {
		config string
		want   time.Duration
		ok     bool
	}{
		{`{"terminationDrainDuration":"10s"}`, 10 * time.Second, true},
		{"terminationDrainDuration: 1m\nholdApplicationUntilProxyStarts: true\n", time.Minute, true},
		{`{"drainDuration":"45s"}`, 0, false},
		{`{"terminationDrainDuration":5}`, 0, false},
		{"", 0, false},
		{"{not yaml", 0, false},
	}
	for _, c := range cases {
		if got, ok := parseTerminationDrain(c.config); got != c.want || ok != c.ok {
			t.Errorf("%q: got %v %v, want %v %v", c.config, got, ok, c.want, c.ok)
		}
	}
}

func TestTerminatingGatewayServesUntilItExits(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(start)
	pod := gatewayPod(`{}`, nil)
	syncOnce(t, n, pod, start, nil)
	deleted(pod, start.Add(time.Minute), 30)
	term := terminationOf(pod, time.Time{})
	status, wakeAt := n.desiredStatus(pod, start.Add(time.Minute+time.Second), &term)
	if status.Phase != corev1.PodRunning || !status.ContainerStatuses[0].Ready || findPodCondition(status, corev1.PodReady).Status != corev1.ConditionTrue {
		t.Fatalf("draining gateway: want Running and Ready, got %+v", status)
	}
	if !wakeAt.Equal(term.exitAt) || !hasRunningContainer(pod) {
		t.Fatalf("look again at %v, want the exit at %v", wakeAt, term.exitAt)
	}
	// With a readiness probe that gives up before the drain ends, it turns not ready first.
	pod.Spec.Containers[0].ReadinessProbe = &corev1.Probe{PeriodSeconds: 1, FailureThreshold: 2}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PROXY_CONFIG", Value: `{"terminationDrainDuration":"20s"}`}}
	term = terminationOf(pod, time.Time{})
	if _, wakeAt := n.desiredStatus(pod, start.Add(time.Minute+time.Second), &term); !wakeAt.Equal(start.Add(time.Minute + 2*time.Second)) {
		t.Fatalf("look again at %v, want when the probe gives up", wakeAt)
	}
	status, _ = n.desiredStatus(pod, start.Add(time.Minute+3*time.Second), &term)
	if status.ContainerStatuses[0].Ready || status.ContainerStatuses[0].State.Running == nil {
		t.Fatalf("probe failed twice: want running and not ready, got %+v", status.ContainerStatuses[0])
	}
}

func TestTerminatingPodRestartsNothing(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(start)
	pod := testPod(map[string]string{stopSecondsAnnotation: "10"})
	syncOnce(t, n, pod, start, nil)
	pod.Annotations[crashLoopAnnotation] = "true"
	deleted(pod, start.Add(time.Second), 30)
	term := terminationOf(pod, time.Time{})
	status, _ := n.desiredStatus(pod, start.Add(2*time.Second), &term)
	if cs := status.ContainerStatuses[0]; cs.State.Running == nil || cs.RestartCount != 0 {
		t.Fatalf("a terminating pod's container neither crashes nor restarts: %+v", cs)
	}
}
