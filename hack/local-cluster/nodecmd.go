package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// runNode stops or starts one simulated node's kubelet by the Node's kubelet-stopped annotation,
// which kubelet-sim watches (a node failure; docs/local-cluster.md, "Node failure and its timings").
func runNode(stateDir string, args []string) error {
	flags := flag.NewFlagSet("node", flag.ExitOnError)
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage: local-cluster node stop|start NODE\n\n"+
			"stop: the node's simulated kubelet stops (no Lease renewal, no status, no pod sync); its Node turns\n"+
			"Unknown after the node-monitor grace period and its pods are evicted after the toleration seconds.\n"+
			"start: it runs again, reports Ready and finishes the deletions that are due.\n"+
			"Both set the Node's annotation %s and return at once.\n", kubeletStoppedAnnotation)
	}
	_ = flags.Parse(args)
	if flags.NArg() != 2 || (flags.Arg(0) != "stop" && flags.Arg(0) != "start") {
		flags.Usage()
		return errors.New("give stop or start and a node name")
	}
	action, name := flags.Arg(0), flags.Arg(1)
	st, err := loadState(stateDir)
	if err != nil {
		return fmt.Errorf("no cluster in %s (run up first): %w", stateDir, err)
	}
	if !slices.Contains(st.Nodes, name) {
		return fmt.Errorf("no simulated node %q; the nodes are %s", name, strings.Join(st.Nodes, ", "))
	}
	cfg, err := adminConfig(st)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var value any // null removes the annotation in a merge patch
	if action == "stop" {
		value = "true"
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{kubeletStoppedAnnotation: value}}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotate node %s: %w", name, err)
	}
	progress(fmt.Sprintf("node %s: kubelet %s (annotation %s)", name, map[string]string{"stop": "stopped", "start": "started"}[action], kubeletStoppedAnnotation))
	return nil
}
