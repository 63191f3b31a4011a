package main

import (
	"context"
	"fmt"
	"os"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// kubeletStoppedAnnotation on a Node stops its simulated kubelet: no Lease renewal, no Node
// status, no pod sync, as when a kubelet dies or its node is cut off. Removing it starts the kubelet again.
const kubeletStoppedAnnotation = "local-cluster.msvcbench.io/kubelet-stopped"

func isKubeletStopped(node *corev1.Node) bool {
	return node != nil && node.Annotations[kubeletStoppedAnnotation] == "true"
}

// maintainNode registers the Node, then renews its Lease and re-reports its status until ctx ends,
// except while the kubelet is stopped. Failures (an API server being restarted) are logged and
// retried on the next tick.
func (n *simNode) maintainNode(ctx context.Context, renew, heartbeat time.Duration) {
	registered := false
	lastStatus := time.Time{}
	ticker := time.NewTicker(renew)
	defer ticker.Stop()
	for {
		if !n.stopped.Load() {
			switch {
			case !registered:
				if err := n.register(ctx); err != nil {
					fmt.Fprintf(os.Stderr, "kubelet-sim %s: register: %v\n", n.name, err)
				} else {
					registered, lastStatus = true, time.Now()
				}
			case needsStatusReport(n.ownNode(), lastStatus, time.Now(), heartbeat):
				if err := n.reportStatus(ctx); err != nil {
					fmt.Fprintf(os.Stderr, "kubelet-sim %s: status: %v\n", n.name, err)
				} else {
					lastStatus = time.Now()
				}
			}
			if registered {
				if err := n.renewLease(ctx); err != nil {
					fmt.Fprintf(os.Stderr, "kubelet-sim %s: lease: %v\n", n.name, err)
				}
			}
			n.backOff.GC()
		}
		wait := ticker.C
		if !registered && !n.stopped.Load() {
			wait = time.After(time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-n.resumed:
			lastStatus = time.Time{} // a kubelet that starts reports its status at once
		case <-wait:
		}
	}
}

func (n *simNode) ownNode() *corev1.Node {
	node, err := n.nodes.Get(n.name)
	if err != nil {
		return nil
	}
	return node
}

// needsStatusReport says whether the node must report its status now: when the interval is up, and
// at once when its Ready condition is not True, as after the node-lifecycle controller marked it
// Unknown while the kubelet was silent (a kubelet reports as soon as its status differs).
func needsStatusReport(node *corev1.Node, last, now time.Time, interval time.Duration) bool {
	if now.Sub(last) >= interval || node == nil {
		return true
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status != corev1.ConditionTrue
		}
	}
	return true
}

func (n *simNode) register(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: n.name,
			Labels: map[string]string{
				"kubernetes.io/hostname":               n.name,
				"kubernetes.io/os":                     "linux",
				"kubernetes.io/arch":                   "amd64",
				"topology.kubernetes.io/zone":          n.zone,
				"local-cluster.msvcbench.io/simulated": "true",
			},
		},
	}
	_, err := n.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return n.reportStatus(ctx)
}

func (n *simNode) reportStatus(ctx context.Context) error {
	node, err := n.client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if isKubeletStopped(node) {
		return nil // stopped between the check and now: a stopped kubelet writes nothing
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("16"),
		corev1.ResourceMemory:           resource.MustParse("64Gi"),
		corev1.ResourcePods:             resource.MustParse("250"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	condition := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, message string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: message,
			LastHeartbeatTime: now, LastTransitionTime: now}
		for _, old := range node.Status.Conditions {
			if old.Type == t && old.Status == s {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		return c
	}
	node.Status.Capacity, node.Status.Allocatable = capacity, capacity
	node.Status.Phase = corev1.NodeRunning
	node.Status.Conditions = []corev1.NodeCondition{
		condition(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "simulated kubelet has sufficient memory available"),
		condition(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "simulated kubelet has no disk pressure"),
		condition(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "simulated kubelet has sufficient PID available"),
		condition(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "simulated kubelet is posting ready status"),
	}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: n.ip},
		{Type: corev1.NodeHostName, Address: n.name},
	}
	node.Status.NodeInfo = corev1.NodeSystemInfo{
		KubeletVersion:          kubernetesVersion(),
		OperatingSystem:         "linux",
		Architecture:            "amd64",
		ContainerRuntimeVersion: "simulated://1",
		OSImage:                 "local-cluster simulated node",
		KernelVersion:           "simulated",
	}
	_, err = n.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

func (n *simNode) renewLease(ctx context.Context) error {
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, n.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err := n.client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:            n.name,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(n.name),
				LeaseDurationSeconds: ptr.To(int32(leaseDuration / time.Second)),
				RenewTime:            &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
