package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// The simulated kubelet: one process for all simulated nodes, each node with its own client
// identity (system:node:<name>), so the Node authorizer and NodeRestriction treat it as a kubelet.
// It registers the Node, keeps its Lease renewed, and drives the pods bound to it: Running at
// once with a unique pod IP, Ready unless an annotation says otherwise, crash-looping when an
// annotation says so, and deleted once their containers would have stopped. No container runs.
// Faults are annotations (docs/local-cluster.md, "Faults: the interface"), read level-based, so a
// restarted kubelet-sim carries on where the last one was.

const (
	// readyAfterAnnotation delays a pod's readiness: Running at once, Ready N seconds after each container start.
	readyAfterAnnotation = "local-cluster.msvcbench.io/ready-after-seconds"
	// unreadyAnnotation keeps a pod Running but not Ready for as long as it is there.
	unreadyAnnotation = "local-cluster.msvcbench.io/unready"
	leaseDuration     = 40 * time.Second
)

func runKubeletSim(stateDir string, args []string) error {
	flags := flag.NewFlagSet("kubelet-sim", flag.ExitOnError)
	const recorded = " (default: the cluster's, recorded in cluster.json at its first up; for a new cluster %s)"
	renew := flags.Duration("lease-renew-interval", 0, "how often each node renews its Lease in kube-node-lease"+fmt.Sprintf(recorded, defaultTimings.LeaseRenewInterval.Duration))
	heartbeat := flags.Duration("status-interval", time.Minute, "how often each node re-reports its status (conditions, capacity) when nothing changed")
	workers := flags.Int("workers", 2, "pod workers per node")
	backOff := flags.Duration("crash-loop-backoff", 0, "the first back-off of a crash-looping container, doubled at each crash"+fmt.Sprintf(recorded, defaultTimings.CrashLoopBackOff.Duration))
	backOffMax := flags.Duration("crash-loop-backoff-max", 0, "the cap of the crash-loop back-off"+fmt.Sprintf(recorded, defaultTimings.CrashLoopBackOffMax.Duration))
	_ = flags.Parse(args)
	st, err := loadState(stateDir)
	if err != nil {
		return err
	}
	for _, f := range []struct{ flag, recorded *time.Duration }{
		{renew, &st.LeaseRenewInterval.Duration}, {backOff, &st.CrashLoopBackOff.Duration}, {backOffMax, &st.CrashLoopBackOffMax.Duration},
	} {
		if *f.flag <= 0 {
			*f.flag = *f.recorded
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ips := newIPAllocator()
	var nodes []*simNode
	for i, name := range st.Nodes {
		n, err := newSimNode(st, name, i, ips, newCrashLoopBackOff(*backOff, *backOffMax, clock.RealClock{}))
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.informers.Start(ctx.Done())
		n.nodeInformers.Start(ctx.Done())
	}
	for _, n := range nodes {
		n.informers.WaitForCacheSync(ctx.Done())
		n.nodeInformers.WaitForCacheSync(ctx.Done())
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
	fmt.Fprintf(os.Stderr, "kubelet-sim: running nodes %v (lease renewed every %s, crash-loop back-off %s to %s)\n",
		st.Nodes, *renew, *backOff, *backOffMax)
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
	// nodeInformers watch this node's own Node, for the kubelet-stopped annotation and its conditions.
	nodeInformers informers.SharedInformerFactory
	nodes         corelisters.NodeLister
	queue         workqueue.TypedRateLimitingInterface[string]
	ips           *ipAllocator
	// backOff holds each container's crash-loop back-off, in memory as in a kubelet.
	backOff *flowcontrol.Backoff
	clock   clock.Clock
	// stopped is set while the Node carries the kubelet-stopped annotation; resumed wakes maintainNode.
	stopped atomic.Bool
	resumed chan struct{}
	// deletionSeen holds when each deleted pod (by UID) was first seen deleted, for terminationOf.
	deletionSeen sync.Map
}

func newSimNode(st *state, name string, index int, ips *ipAllocator, backOff *flowcontrol.Backoff) (*simNode, error) {
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
	// Like a kubelet, each node watches only the pods bound to it, and its own Node.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "spec.nodeName=" + name }))
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "metadata.name=" + name }))
	podInformer := factory.Core().V1().Pods()
	nodeInformer := nodeFactory.Core().V1().Nodes()
	n := &simNode{
		name:          name,
		ip:            fmt.Sprintf("172.31.0.%d", index+2),
		zone:          fmt.Sprintf("local-zone-%d", index%3+1),
		client:        client,
		informers:     factory,
		pods:          podInformer.Lister(),
		nodeInformers: nodeFactory,
		nodes:         nodeInformer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "kubelet-sim-" + name}),
		ips:     ips,
		backOff: backOff,
		clock:   clock.RealClock{},
		resumed: make(chan struct{}, 1),
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			n.queue.Add(key)
		}
	}
	// Deletions are noted as they arrive, even while the kubelet is stopped (its containers got
	// SIGTERM then, or were killed with the node); not those of the first list, which a restarted
	// kubelet-sim reads from the pods' own fields.
	noteDeletion := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok && pod.DeletionTimestamp != nil {
			n.deletionSeen.LoadOrStore(pod.UID, n.clock.Now())
		}
		enqueue(obj)
	}
	if _, err = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, isInInitialList bool) {
			if isInInitialList {
				enqueue(obj)
				return
			}
			noteDeletion(obj)
		},
		UpdateFunc: func(_, obj any) { noteDeletion(obj) },
		DeleteFunc: func(obj any) {
			if pod, ok := obj.(*corev1.Pod); ok {
				n.deletionSeen.Delete(pod.UID)
			}
			enqueue(obj)
		},
	}); err != nil {
		return nil, err
	}
	onNode := func(obj any) {
		if node, ok := obj.(*corev1.Node); ok {
			n.setStopped(isKubeletStopped(node))
		}
	}
	_, err = nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onNode,
		UpdateFunc: func(_, obj any) { onNode(obj) },
	})
	return n, err
}

// setStopped records whether the node's kubelet is stopped. On a resume it syncs every pod of the
// node again (their status and deletions waited) and wakes maintainNode to report at once.
func (n *simNode) setStopped(stopped bool) {
	if n.stopped.Swap(stopped) == stopped {
		return
	}
	if stopped {
		fmt.Fprintf(os.Stderr, "kubelet-sim %s: kubelet stopped (annotation %s)\n", n.name, kubeletStoppedAnnotation)
		return
	}
	fmt.Fprintf(os.Stderr, "kubelet-sim %s: kubelet started again\n", n.name)
	pods, _ := n.pods.List(labels.Everything())
	for _, p := range pods {
		n.queue.Add(podKey(p))
	}
	select {
	case n.resumed <- struct{}{}:
	default:
	}
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
	if n.stopped.Load() {
		return nil // setStopped enqueues every pod again when the kubelet starts
	}
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
	now := n.clock.Now()
	var term *termination
	if pod.DeletionTimestamp != nil {
		var seen time.Time
		if v, ok := n.deletionSeen.Load(pod.UID); ok {
			seen = v.(time.Time)
		}
		t := terminationOf(pod, seen)
		if !hasRunningContainer(pod) || !now.Before(t.exitAt) {
			// The containers have stopped, so the kubelet confirms the deletion with grace period 0.
			err := n.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
				GracePeriodSeconds: ptr.To[int64](0),
				Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
			})
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				return nil
			}
			return err
		}
		term = &t
	} else if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	status, wakeAt := n.desiredStatus(pod, now, term)
	if !wakeAt.IsZero() {
		n.queue.AddAfter(key, wakeAt.Sub(now))
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
