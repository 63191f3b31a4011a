package main

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// readiness says whether a running container that started at `started` is Ready at now by the pod's
// annotations, and if not yet, in how long.
func readiness(pod *corev1.Pod, started, now time.Time) (bool, time.Duration) {
	if pod.Annotations[unreadyAnnotation] == "true" {
		return false, 0
	}
	if v, ok := pod.Annotations[readyAfterAnnotation]; ok {
		seconds, err := strconv.ParseFloat(v, 64)
		if err == nil && seconds > 0 {
			readyAt := started.Add(time.Duration(seconds * float64(time.Second)))
			if now.Before(readyAt) {
				return false, readyAt.Sub(now)
			}
		}
	}
	return true, 0
}

// desiredStatus is the status a kubelet would report for the pod at now; term is set for a deleted
// pod whose containers are still stopping. It also returns when the status changes next without any
// change of the pod (a readiness delay, a back-off, the end of a drain); zero for never.
func (n *simNode) desiredStatus(pod *corev1.Pod, now time.Time, term *termination) (*corev1.PodStatus, time.Time) {
	s := pod.Status.DeepCopy()
	s.Phase = corev1.PodRunning
	s.HostIP, s.HostIPs = n.ip, []corev1.HostIP{{IP: n.ip}}
	ip := n.ip
	if !pod.Spec.HostNetwork {
		ip = n.ips.assign(podKey(pod), pod.Status.PodIP)
	}
	s.PodIP, s.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if s.StartTime == nil {
		s.StartTime = ptr.To(metav1.NewTime(now).Rfc3339Copy())
	}
	var wakeAt time.Time
	wake := func(at time.Time) {
		if !at.IsZero() && (wakeAt.IsZero() || at.Before(wakeAt)) {
			wakeAt = at
		}
	}

	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *s.StartTime}}
	fresh := func(c corev1.Container, state corev1.ContainerState) corev1.ContainerStatus {
		return corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "simulated://" + c.Image,
			ContainerID: containerID(pod, c.Name, 0), State: state,
		}
	}
	s.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			cs := fresh(c, running) // a sidecar
			cs.Ready, cs.Started = true, ptr.To(true)
			s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
			continue
		}
		cs := fresh(c, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed", StartedAt: *s.StartTime, FinishedAt: *s.StartTime}})
		cs.Started = ptr.To(false)
		s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
	}

	old := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.ContainerStatuses {
		old[cs.Name] = cs
	}
	containersReady, allExited := true, true
	s.ContainerStatuses = nil
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs, ok := old[c.Name]
		if !ok {
			cs = fresh(*c, running)
		}
		cs.Image, cs.ImageID = c.Image, "simulated://"+c.Image
		if term == nil { // the kubelet restarts no container of a terminating pod
			var at time.Time
			cs, at = advanceContainer(n.backOff, pod, c, cs, now)
			wake(at)
		}
		cs.Ready = false
		if cs.State.Running != nil {
			ready, readyIn := readiness(pod, cs.State.Running.StartedAt.Time, now)
			if readyIn > 0 {
				wake(now.Add(readyIn))
			}
			cs.Ready = ready
		}
		if term != nil && !term.unreadyAt.IsZero() && c.Name == istioProxyContainer {
			if now.Before(term.unreadyAt) {
				wake(term.unreadyAt)
			} else {
				cs.Ready = false
			}
		}
		cs.Started = ptr.To(cs.State.Running != nil)
		containersReady = containersReady && cs.Ready
		allExited = allExited && cs.State.Terminated != nil
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
	}
	if term != nil {
		wake(term.exitAt)
	}
	if allExited && len(s.ContainerStatuses) > 0 {
		s.Phase = corev1.PodFailed // only restartPolicy Never leaves them exited, and they crashed
	}

	ready := containersReady
	for _, gate := range pod.Spec.ReadinessGates {
		if c := findPodCondition(s, gate.ConditionType); c == nil || c.Status != corev1.ConditionTrue {
			ready = false
		}
	}
	t := metav1.NewTime(now).Rfc3339Copy()
	setPodCondition(s, corev1.PodReadyToStartContainers, true, t)
	setPodCondition(s, corev1.PodInitialized, true, t)
	setPodCondition(s, corev1.PodScheduled, true, t)
	setPodCondition(s, corev1.ContainersReady, containersReady, t)
	setPodCondition(s, corev1.PodReady, ready, t)
	return s, wakeAt
}

// statusDiffers compares only what the simulated kubelet decides, so that fields the API server
// fills in or normalises never make it write the same status again and again.
func statusDiffers(old, desired *corev1.PodStatus) bool {
	if old.Phase != desired.Phase || old.PodIP != desired.PodIP || old.HostIP != desired.HostIP ||
		old.StartTime == nil || len(old.ContainerStatuses) != len(desired.ContainerStatuses) ||
		len(old.InitContainerStatuses) != len(desired.InitContainerStatuses) {
		return true
	}
	for _, c := range desired.Conditions {
		if o := findPodCondition(old, c.Type); o == nil || o.Status != c.Status {
			return true
		}
	}
	for i, c := range desired.ContainerStatuses {
		o := old.ContainerStatuses[i]
		if o.Name != c.Name || o.Ready != c.Ready || o.RestartCount != c.RestartCount ||
			stateOf(o.State) != stateOf(c.State) || stateOf(o.LastTerminationState) != stateOf(c.LastTerminationState) {
			return true
		}
	}
	return false
}

// stateOf sums up a container state for statusDiffers: its kind and, when waiting, the reason and message.
func stateOf(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated %d %s", s.Terminated.ExitCode, s.Terminated.FinishedAt.UTC())
	case s.Waiting != nil:
		return "waiting " + s.Waiting.Reason + " " + s.Waiting.Message
	}
	return ""
}

func findPodCondition(s *corev1.PodStatus, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setPodCondition sets a condition's status, moving lastTransitionTime only when the status flips.
func setPodCondition(s *corev1.PodStatus, t corev1.PodConditionType, value bool, now metav1.Time) {
	status := corev1.ConditionFalse
	if value {
		status = corev1.ConditionTrue
	}
	if c := findPodCondition(s, t); c != nil {
		if c.Status != status {
			c.Status, c.LastTransitionTime = status, now
		}
		return
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: t, Status: status, LastTransitionTime: now})
}
