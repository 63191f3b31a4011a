package main

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/utils/clock"
)

const (
	// crashLoopAnnotation makes every container of spec.containers exit (code 1) right after each start.
	crashLoopAnnotation = "local-cluster.msvcbench.io/crash-loop"
	// crashesAnnotation makes them exit until their restartCount reaches N.
	crashesAnnotation = "local-cluster.msvcbench.io/crashes"
	// crashLoopBackOffReason is the kubelet's reason for a container waiting out its back-off.
	crashLoopBackOffReason = "CrashLoopBackOff"
)

// newCrashLoopBackOff is the kubelet's container restart back-off (pkg/kubelet/kubelet.go in
// k8s.io/kubernetes: flowcontrol.NewBackOff(10s, 5m), reset when a container has not crashed for
// 10 minutes), with the initial delay and cap given.
func newCrashLoopBackOff(initial, maxDelay time.Duration, c clock.Clock) *flowcontrol.Backoff {
	b := flowcontrol.NewFakeBackOff(initial, maxDelay, c)
	b.HasExpiredFunc = func(eventTime, lastUpdate time.Time, _ time.Duration) bool {
		return eventTime.Sub(lastUpdate) > 10*time.Minute
	}
	return b
}

// isCrashing says whether a container with this restart count exits right after it starts.
func isCrashing(pod *corev1.Pod, restartCount int32) bool {
	if pod.Annotations[crashLoopAnnotation] == "true" {
		return true
	}
	n, err := strconv.ParseInt(pod.Annotations[crashesAnnotation], 10, 32)
	return err == nil && int64(restartCount) < n
}

// advanceContainer moves one container of a running (not terminating) pod to where it stands at now,
// as the kubelet's sync does: a running container that must crash exits with code 1; an exited one
// waits out its back-off in CrashLoopBackOff, then is restarted (restartCount up), and may crash again
// at once. The back-off follows the kubelet's (kuberuntime_manager.go, doBackOff): the first restart
// after a crash is at once, the next after the initial delay, doubling up to the cap. It returns the
// container's status and when it must be looked at again (zero: only on a change of the pod).
func advanceContainer(b *flowcontrol.Backoff, pod *corev1.Pod, c *corev1.Container, cs corev1.ContainerStatus, now time.Time) (corev1.ContainerStatus, time.Time) {
	key := fmt.Sprintf("%s/%s", pod.UID, c.Name)
	at := metav1.NewTime(now).Rfc3339Copy()
	// A status keeps whole seconds, and the back-off counts from the recorded exit: an exit is
	// recorded at the next whole second, so that no back-off is cut short by the rounding.
	exitAt := metav1.NewTime(now.Truncate(time.Second))
	if exitAt.Time.Before(now) {
		exitAt = metav1.NewTime(exitAt.Add(time.Second))
	}
	// Each pass takes one step; a container that crashes at each start takes at most crash,
	// restart, crash, wait.
	for range 5 {
		switch {
		case cs.State.Running != nil:
			if !isCrashing(pod, cs.RestartCount) {
				return cs, time.Time{}
			}
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 1, Reason: "Error", StartedAt: cs.State.Running.StartedAt, FinishedAt: exitAt, ContainerID: cs.ContainerID}}
		case cs.State.Terminated != nil || cs.State.Waiting != nil:
			last := cs.State.Terminated
			if last == nil {
				last = cs.LastTerminationState.Terminated
			}
			if last == nil { // waiting for its first start
				cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}}
				continue
			}
			if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				cs.State = corev1.ContainerState{Terminated: last}
				return cs, time.Time{}
			}
			if b.IsInBackOffSince(key, last.FinishedAt.Time) {
				delay := b.Get(key)
				cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
					Reason: crashLoopBackOffReason,
					// The kubelet's message, so that what a user reads matches a real cluster.
					Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, c.Name, pod.Name, pod.Namespace, pod.UID),
				}}
				cs.LastTerminationState = corev1.ContainerState{Terminated: last}
				return cs, last.FinishedAt.Add(delay)
			}
			b.Next(key, last.FinishedAt.Time)
			cs.LastTerminationState = corev1.ContainerState{Terminated: last}
			cs.RestartCount++
			cs.ContainerID = containerID(pod, c.Name, cs.RestartCount)
			started := at
			if started.Before(&last.FinishedAt) {
				started = last.FinishedAt // restarted at once after an exit recorded at the next second
			}
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}
		default:
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}}
		}
	}
	return cs, now.Add(time.Second) // not settled in 5 steps (cannot happen): look again soon
}

// containerID names one instance of a container: the first keeps the id it always had.
func containerID(pod *corev1.Pod, name string, restartCount int32) string {
	if restartCount == 0 {
		return fmt.Sprintf("simulated://%s/%s", pod.UID, name)
	}
	return fmt.Sprintf("simulated://%s/%s/%d", pod.UID, name, restartCount)
}
