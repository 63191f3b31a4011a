package main

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// crashStep is what one sync of a crash-looping pod shows.
type crashStep struct {
	restarts int32
	waiting  bool
	backOff  string // in the waiting message
}

func containerOf(pod *corev1.Pod) corev1.ContainerStatus { return pod.Status.ContainerStatuses[0] }

func TestCrashLoopBackOffDoublesUpToTheCap(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, clock := testNode(start)
	pod := testPod(nil)
	syncOnce(t, n, pod, start, nil)

	pod.Annotations = map[string]string{crashLoopAnnotation: "true"}
	// The first crash is restarted at once and crashes again: then 10 s, 20 s, ... up to 5 min.
	want := []crashStep{
		{1, true, "10s"}, {2, true, "20s"}, {3, true, "40s"}, {4, true, "1m20s"},
		{5, true, "2m40s"}, {6, true, "5m0s"}, {7, true, "5m0s"},
	}
	now := start.Add(500 * time.Millisecond)
	for i, w := range want {
		clock.SetTime(now)
		wakeAt := syncOnce(t, n, pod, now, nil)
		cs := containerOf(pod)
		if cs.RestartCount != w.restarts || cs.State.Waiting == nil || cs.State.Waiting.Reason != crashLoopBackOffReason ||
			!strings.HasPrefix(cs.State.Waiting.Message, "back-off "+w.backOff+" restarting failed container=c pod=p_ns(uid-1)") {
			t.Fatalf("step %d: want %+v, got restarts %d, state %+v", i, w, cs.RestartCount, cs.State)
		}
		last := cs.LastTerminationState.Terminated
		if last == nil || last.ExitCode != 1 || last.Reason != "Error" || cs.Ready || isPodReady(pod) || pod.Status.Phase != corev1.PodRunning {
			t.Fatalf("step %d: want lastState terminated with exit 1, not ready, Running; got %+v", i, pod.Status)
		}
		delay, _ := time.ParseDuration(w.backOff)
		if !wakeAt.Equal(last.FinishedAt.Add(delay)) || wakeAt.Sub(now) < delay {
			t.Fatalf("step %d: restart at %v, crash recorded at %v, now %v, back-off %v", i, wakeAt, last.FinishedAt, now, delay)
		}
		// A sync before the back-off ends changes nothing.
		clock.SetTime(wakeAt.Add(-time.Millisecond))
		early, _ := n.desiredStatus(pod, wakeAt.Add(-time.Millisecond), nil)
		if statusDiffers(&pod.Status, early) {
			t.Fatalf("step %d: restarted before the back-off ended", i)
		}
		now = wakeAt
	}

	// The fault cleared during a back-off: the container runs again at the end of it, and is Ready.
	delete(pod.Annotations, crashLoopAnnotation)
	clock.SetTime(now)
	if wakeAt := syncOnce(t, n, pod, now, nil); !wakeAt.IsZero() {
		t.Fatalf("a running container needs no later look, got %v", wakeAt)
	}
	cs := containerOf(pod)
	if cs.State.Running == nil || cs.RestartCount != 8 || !cs.Ready || !isPodReady(pod) || cs.LastTerminationState.Terminated == nil {
		t.Fatalf("after the fault: want running, ready, 8 restarts, got %+v", cs)
	}
}

func TestCrashesStopAtTheRestartCount(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, clock := testNode(start)
	pod := testPod(map[string]string{crashesAnnotation: "3", readyAfterAnnotation: "2"})
	now := start
	for range 10 {
		clock.SetTime(now)
		wakeAt := syncOnce(t, n, pod, now, nil)
		if wakeAt.IsZero() {
			break
		}
		now = wakeAt
	}
	cs := containerOf(pod)
	if cs.RestartCount != 3 || cs.State.Running == nil || !cs.Ready {
		t.Fatalf("want running and ready after 3 restarts, got %+v", cs)
	}
	// Restarts at once, after 10 s and after 20 s; then Ready 2 s after the last start.
	if started := cs.State.Running.StartedAt.Time; started.Sub(start) < 30*time.Second || started.Sub(start) > 32*time.Second {
		t.Fatalf("last start %v after the first", started.Sub(start))
	}
	if c := findPodCondition(&pod.Status, corev1.PodReady); c.LastTransitionTime.Time.Sub(cs.State.Running.StartedAt.Time) != 2*time.Second {
		t.Fatalf("Ready at %v, started at %v", c.LastTransitionTime, cs.State.Running.StartedAt)
	}
}

func TestRestartedKubeletRestartsAWaitingContainerAtOnce(t *testing.T) {
	// A kubelet keeps back-offs in memory: after its restart it starts a waiting container at once.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(start)
	pod := testPod(map[string]string{crashesAnnotation: "2"})
	syncOnce(t, n, pod, start, nil)
	if cs := containerOf(pod); cs.RestartCount != 1 || cs.State.Waiting == nil {
		t.Fatalf("want waiting after one restart, got %+v", cs)
	}
	restarted, _ := testNode(start.Add(2 * time.Second))
	syncOnce(t, restarted, pod, start.Add(2*time.Second), nil)
	if cs := containerOf(pod); cs.RestartCount != 2 || cs.State.Running == nil {
		t.Fatalf("want running after two restarts, got %+v", cs)
	}
}

func TestBackOffStartsOverAfterTenQuietMinutes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, clock := testNode(start)
	pod := testPod(map[string]string{crashesAnnotation: "2"})
	now := start
	for wakeAt := syncOnce(t, n, pod, now, nil); !wakeAt.IsZero(); wakeAt = syncOnce(t, n, pod, now, nil) {
		now = wakeAt
		clock.SetTime(now)
	}
	// Crashing again within 10 minutes of the last restart continues the back-off (20 s, the last one,
	// as the kubelet's IsInBackOffSince); after 10 quiet minutes it starts over (at once, then 10 s).
	for _, c := range []struct {
		after    time.Duration
		restarts int32
		backOff  string
	}{{5 * time.Minute, 2, "back-off 20s"}, {11 * time.Minute, 3, "back-off 10s"}} {
		p := pod.DeepCopy()
		p.Annotations = map[string]string{crashLoopAnnotation: "true"}
		clock.SetTime(now.Add(c.after))
		status, _ := n.desiredStatus(p, now.Add(c.after), nil)
		cs := status.ContainerStatuses[0]
		if cs.State.Waiting == nil || !strings.HasPrefix(cs.State.Waiting.Message, c.backOff) || cs.RestartCount != c.restarts {
			t.Fatalf("crash %v later: want %s after %d restarts, got %d, %+v", c.after, c.backOff, c.restarts, cs.RestartCount, cs.State)
		}
	}
}

func TestCrashWithRestartPolicyNeverFailsThePod(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, _ := testNode(start)
	pod := testPod(map[string]string{crashLoopAnnotation: "true"})
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	syncOnce(t, n, pod, start, nil)
	cs := containerOf(pod)
	if pod.Status.Phase != corev1.PodFailed || cs.RestartCount != 0 || cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 1 {
		t.Fatalf("want Failed, exited 1, no restart; got phase %s, %+v", pod.Status.Phase, cs)
	}
}
