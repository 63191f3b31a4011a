package main

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

func testPod(annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "uid-1", Annotations: annotations},
		Spec: corev1.PodSpec{
			NodeName:   "local-node-1",
			Containers: []corev1.Container{{Name: "c", Image: "img:1"}},
		},
	}
}

func TestReadiness(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		annotations map[string]string
		now         time.Time
		ready       bool
		readyIn     time.Duration
	}{
		{"no annotation", nil, start, true, 0},
		{"unready", map[string]string{unreadyAnnotation: "true"}, start.Add(time.Hour), false, 0},
		{"unready false", map[string]string{unreadyAnnotation: "false"}, start, true, 0},
		{"before the delay", map[string]string{readyAfterAnnotation: "5"}, start.Add(2 * time.Second), false, 3 * time.Second},
		{"after the delay", map[string]string{readyAfterAnnotation: "5"}, start.Add(5 * time.Second), true, 0},
		{"not a number", map[string]string{readyAfterAnnotation: "soon"}, start, true, 0},
	}
	for _, c := range cases {
		ready, readyIn := readiness(testPod(c.annotations), start, c.now)
		if ready != c.ready || readyIn != c.readyIn {
			t.Errorf("%s: got ready=%v in %v, want ready=%v in %v", c.name, ready, readyIn, c.ready, c.readyIn)
		}
	}
}

// testNode is a simulated node whose crash-loop back-off runs on a fake clock at now.
func testNode(now time.Time) (*simNode, *clocktesting.FakeClock) {
	c := clocktesting.NewFakeClock(now)
	return &simNode{name: "local-node-1", ip: "172.31.0.2", ips: newIPAllocator(),
		backOff: newCrashLoopBackOff(10*time.Second, 5*time.Minute, c), clock: c}, c
}

func TestDesiredStatusIsStable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(now)
	pod := testPod(map[string]string{readyAfterAnnotation: "10"})

	status, wakeAt := n.desiredStatus(pod, now, nil)
	if status.Phase != corev1.PodRunning || status.PodIP == "" || !wakeAt.Equal(now.Add(10*time.Second)) {
		t.Fatalf("first status: phase %s, IP %q, look again at %v", status.Phase, status.PodIP, wakeAt)
	}
	if c := findPodCondition(status, corev1.PodReady); c == nil || c.Status != corev1.ConditionFalse {
		t.Fatalf("Ready before the delay: %+v", c)
	}
	if !statusDiffers(&pod.Status, status) {
		t.Fatal("a pending pod's status must be written")
	}

	// Written and read back: the same moment asks for no write, a later one flips Ready only.
	pod.Status = *status
	again, _ := n.desiredStatus(pod, now, nil)
	if statusDiffers(&pod.Status, again) {
		t.Fatal("the same status must not be written twice")
	}
	later, wakeAt := n.desiredStatus(pod, now.Add(10*time.Second), nil)
	if !wakeAt.IsZero() || !statusDiffers(&pod.Status, later) || later.PodIP != status.PodIP {
		t.Fatalf("after the delay: look again at %v, IP %q (was %q)", wakeAt, later.PodIP, status.PodIP)
	}
	if c := findPodCondition(later, corev1.PodReady); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(now.Add(10*time.Second)) {
		t.Fatalf("Ready after the delay: %+v", c)
	}
}

// syncOnce is one pass of the kubelet over pod at now, its status written back as the API server would.
func syncOnce(t *testing.T, n *simNode, pod *corev1.Pod, now time.Time, term *termination) time.Time {
	t.Helper()
	status, wakeAt := n.desiredStatus(pod, now, term)
	pod.Status = *status
	return wakeAt
}

func isPodReady(pod *corev1.Pod) bool {
	c := findPodCondition(&pod.Status, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

func TestUnreadyFlipsARunningPod(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(now)
	pod := testPod(nil)
	syncOnce(t, n, pod, now, nil)
	if !isPodReady(pod) {
		t.Fatal("a pod without annotations is Ready")
	}
	pod.Annotations = map[string]string{unreadyAnnotation: "true"}
	status, _ := n.desiredStatus(pod, now.Add(time.Minute), nil)
	if !statusDiffers(&pod.Status, status) {
		t.Fatal("the flip to not ready must be written")
	}
	pod.Status = *status
	if isPodReady(pod) || pod.Status.ContainerStatuses[0].Ready || pod.Status.ContainerStatuses[0].State.Running == nil {
		t.Fatalf("annotated unready: want Running and not Ready, got %+v", pod.Status)
	}
	if c := findPodCondition(&pod.Status, corev1.PodReady); !c.LastTransitionTime.Time.Equal(now.Add(time.Minute)) {
		t.Fatalf("Ready moved at %v", c.LastTransitionTime)
	}
	delete(pod.Annotations, unreadyAnnotation)
	syncOnce(t, n, pod, now.Add(2*time.Minute), nil)
	if !isPodReady(pod) || pod.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Fatalf("annotation removed: want Ready with no restart, got %+v", pod.Status)
	}
}

func TestIPAllocator(t *testing.T) {
	a := newIPAllocator()
	seen := map[string]bool{}
	for i := range 600 {
		ip := a.assign(fmt.Sprintf("ns/p%d", i), "")
		if seen[ip] {
			t.Fatalf("IP %s handed out twice", ip)
		}
		seen[ip] = true
	}
	if a.assign("ns/p1", "") != a.assign("ns/p1", "10.244.9.9") {
		t.Fatal("a pod keeps its IP")
	}
	if got := a.assign("ns/restarted", "10.244.200.7"); got != "10.244.200.7" {
		t.Fatalf("a free IP the pod reports is kept, got %s", got)
	}
	taken := a.assign("ns/p0", "")
	if got := a.assign("ns/other", taken); got == taken {
		t.Fatal("an IP held by another pod is never reused")
	}
	a.release("ns/p0")
	if got := a.assign("ns/new", taken); got != taken {
		t.Fatalf("a released IP can be claimed again, got %s", got)
	}
}

func TestIstioCRDDocuments(t *testing.T) {
	docs, err := istioCRDDocuments()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range docs {
		names[d.name] = true
	}
	if len(docs) < 10 || !names["destinationrules.networking.istio.io"] || !names["virtualservices.networking.istio.io"] {
		t.Fatalf("unexpected CRDs: %v", names)
	}
}
