package main

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

func TestDesiredStatusIsStable(t *testing.T) {
	n := &simNode{name: "local-node-1", ip: "172.31.0.2", ips: newIPAllocator()}
	pod := testPod(map[string]string{readyAfterAnnotation: "10"})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	status, readyIn := n.desiredStatus(pod, now)
	if status.Phase != corev1.PodRunning || status.PodIP == "" || readyIn != 10*time.Second {
		t.Fatalf("first status: phase %s, IP %q, ready in %v", status.Phase, status.PodIP, readyIn)
	}
	if c := findPodCondition(status, corev1.PodReady); c == nil || c.Status != corev1.ConditionFalse {
		t.Fatalf("Ready before the delay: %+v", c)
	}
	if !statusDiffers(&pod.Status, status) {
		t.Fatal("a pending pod's status must be written")
	}

	// Written and read back: the same moment asks for no write, a later one flips Ready only.
	pod.Status = *status
	again, _ := n.desiredStatus(pod, now)
	if statusDiffers(&pod.Status, again) {
		t.Fatal("the same status must not be written twice")
	}
	later, readyIn := n.desiredStatus(pod, now.Add(10*time.Second))
	if readyIn != 0 || !statusDiffers(&pod.Status, later) || later.PodIP != status.PodIP {
		t.Fatalf("after the delay: ready in %v, IP %q (was %q)", readyIn, later.PodIP, status.PodIP)
	}
	if c := findPodCondition(later, corev1.PodReady); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(now.Add(10*time.Second)) {
		t.Fatalf("Ready after the delay: %+v", c)
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
