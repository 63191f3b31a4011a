package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
)

// The simulated kubelet: one process for all simulated nodes, each node with its own client
// identity (system:node:<name>), so the Node authorizer and NodeRestriction treat it as a kubelet.
// It registers the Node, keeps its Lease renewed, and drives the pods bound to it: Running at
// once with a unique pod IP, Ready unless an annotation says otherwise, and deleted with grace
// period 0 once they carry a deletionTimestamp. No container runs.

const (
	// readyAfterAnnotation delays a pod's readiness: Running at once, Ready N seconds after it started.
	readyAfterAnnotation = "local-cluster.msvcbench.io/ready-after-seconds"
	// unreadyAnnotation keeps a pod Running but never Ready.
	unreadyAnnotation = "local-cluster.msvcbench.io/unready"
	leaseDuration     = 40 * time.Second
)

func runKubeletSim(stateDir string, args []string) error {
	flags := flag.NewFlagSet("kubelet-sim", flag.ExitOnError)
	renew := flags.Duration("lease-renew-interval", 10*time.Second, "how often each node renews its Lease in kube-node-lease")
	heartbeat := flags.Duration("status-interval", time.Minute, "how often each node re-reports its status (conditions, capacity)")
	workers := flags.Int("workers", 2, "pod workers per node")
	_ = flags.Parse(args)
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ips := newIPAllocator()
	var nodes []*simNode
	for i, name := range st.Nodes {
		n, err := newSimNode(st, name, i, ips)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.informers.Start(ctx.Done())
	}
	for _, n := range nodes {
		n.informers.WaitForCacheSync(ctx.Done())
	}
	// Claim the IPs that pods already have before any new pod gets one, so a restarted simulated
	// kubelet never hands out an IP twice.
	for _, n := range nodes {
		pods, _ := n.pods.List(labels.Everything())
		for _, p := range pods {
			if p.Status.PodIP != "" && !p.Spec.HostNetwork {
				ips.assign(podKey(p), p.Status.PodIP)
			}
		}
	}
	for _, n := range nodes {
		go n.maintainNode(ctx, *renew, *heartbeat)
		for range *workers {
			go n.work(ctx)
		}
	}
	fmt.Fprintf(os.Stderr, "kubelet-sim: running nodes %v\n", st.Nodes)
	<-ctx.Done()
	for _, n := range nodes {
		n.queue.ShutDown()
	}
	return nil
}

type simNode struct {
	name      string
	ip        string
	zone      string
	client    kubernetes.Interface
	informers informers.SharedInformerFactory
	pods      corelisters.PodLister
	queue     workqueue.TypedRateLimitingInterface[string]
	ips       *ipAllocator
}

func newSimNode(st *state, name string, index int, ips *ipAllocator) (*simNode, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", st.path("pki", "node-"+name+".kubeconfig"))
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "kubelet-sim/" + name
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	// Like a kubelet, each node watches only the pods bound to it.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "spec.nodeName=" + name }))
	podInformer := factory.Core().V1().Pods()
	n := &simNode{
		name:      name,
		ip:        fmt.Sprintf("172.31.0.%d", index+2),
		zone:      fmt.Sprintf("local-zone-%d", index%3+1),
		client:    client,
		informers: factory,
		pods:      podInformer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "kubelet-sim-" + name}),
		ips: ips,
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			n.queue.Add(key)
		}
	}
	_, err = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	return n, err
}

// maintainNode registers the Node, then renews its Lease and re-reports its status until ctx ends.
// Failures (an API server being restarted) are logged and retried on the next tick.
func (n *simNode) maintainNode(ctx context.Context, renew, heartbeat time.Duration) {
	lastStatus := time.Time{}
	for {
		if err := n.register(ctx); err == nil {
			break
		} else {
			fmt.Fprintf(os.Stderr, "kubelet-sim %s: register: %v\n", n.name, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	ticker := time.NewTicker(renew)
	defer ticker.Stop()
	for {
		if time.Since(lastStatus) >= heartbeat {
			if err := n.reportStatus(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "kubelet-sim %s: status: %v\n", n.name, err)
			} else {
				lastStatus = time.Now()
			}
		}
		if err := n.renewLease(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "kubelet-sim %s: lease: %v\n", n.name, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
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

func (n *simNode) work(ctx context.Context) {
	for {
		key, quit := n.queue.Get()
		if quit {
			return
		}
		if err := n.syncPod(ctx, key); err != nil {
			fmt.Fprintf(os.Stderr, "kubelet-sim %s: pod %s: %v\n", n.name, key, err)
			n.queue.AddRateLimited(key)
		} else {
			n.queue.Forget(key)
		}
		n.queue.Done(key)
	}
}

// syncPod brings one pod to what a kubelet would report for it now. It is level-based: it reads
// the pod from the cache and writes only when the status it controls differs.
func (n *simNode) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := n.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		n.ips.release(key)
		return nil
	}
	if err != nil {
		return err
	}
	if pod.DeletionTimestamp != nil {
		// Containers stop at once, so the kubelet confirms the deletion with grace period 0.
		err := n.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	status, readyIn := n.desiredStatus(pod, time.Now())
	if readyIn > 0 {
		n.queue.AddAfter(key, readyIn)
	}
	if !statusDiffers(&pod.Status, status) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = *status
	_, err = n.client.CoreV1().Pods(ns).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // a newer version is on its way through the informer
	}
	return err
}

// readiness says whether a Running pod is Ready at now by its annotations, and if not yet, in how long.
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

func (n *simNode) desiredStatus(pod *corev1.Pod, now time.Time) (*corev1.PodStatus, time.Duration) {
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
	containersReady, readyIn := readiness(pod, s.StartTime.Time, now)
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

	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *s.StartTime}}
	status := func(c corev1.Container, ready bool, state corev1.ContainerState) corev1.ContainerStatus {
		return corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "simulated://" + c.Image,
			ContainerID: fmt.Sprintf("simulated://%s/%s", pod.UID, c.Name),
			Ready:       ready, Started: ptr.To(state.Running != nil), State: state,
		}
	}
	s.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			s.InitContainerStatuses = append(s.InitContainerStatuses, status(c, true, running)) // a sidecar
			continue
		}
		done := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 0, Reason: "Completed", StartedAt: *s.StartTime, FinishedAt: *s.StartTime}}
		s.InitContainerStatuses = append(s.InitContainerStatuses, status(c, false, done))
	}
	s.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, status(c, containersReady, running))
	}
	return s, readyIn
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
		if o.Name != c.Name || o.Ready != c.Ready || o.State.Running == nil {
			return true
		}
	}
	return false
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

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// kubernetesVersion is the version of the k8s.io/kubernetes module this binary was built from.
func kubernetesVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "k8s.io/kubernetes" {
				return m.Version
			}
		}
	}
	return "unknown"
}
