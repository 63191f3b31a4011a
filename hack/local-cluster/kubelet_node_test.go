package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNeedsStatusReport(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	node := func(ready corev1.ConditionStatus) *corev1.Node {
		return &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
	}
	cases := []struct {
		name string
		node *corev1.Node
		last time.Time
		want bool
	}{
		{"Ready, reported recently", node(corev1.ConditionTrue), now.Add(-10 * time.Second), false},
		{"Ready, interval up", node(corev1.ConditionTrue), now.Add(-time.Minute), true},
		{"marked Unknown by the node-lifecycle controller", node(corev1.ConditionUnknown), now.Add(-time.Second), true},
		{"no Ready condition", &corev1.Node{}, now, true},
		{"not in the cache yet", nil, now, true},
	}
	for _, c := range cases {
		if got := needsStatusReport(c.node, c.last, now, time.Minute); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

func TestIsKubeletStopped(t *testing.T) {
	stopped := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{kubeletStoppedAnnotation: "true"}}}
	if !isKubeletStopped(stopped) || isKubeletStopped(&corev1.Node{}) || isKubeletStopped(nil) {
		t.Fatal("only the annotation set to true stops a kubelet")
	}
}

func TestStateRecordedBeforeTheTimingsGetsTheDefaults(t *testing.T) {
	dir := t.TempDir()
	old := `{"ports": {"etcd": 20001}, "nodes": ["local-node-1"], "controllerQPS": 200}`
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.timings != defaultTimings || st.ControllerQPS != 200 {
		t.Fatalf("got %+v", st.timings)
	}
	// A new cluster records what up was given, and reads it back.
	created, err := loadOrCreateState(t.TempDir(), 3, 0, timings{CrashLoopBackOff: metav1.Duration{Duration: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(created.path(stateFile))
	var recorded map[string]any
	if err := json.Unmarshal(data, &recorded); err != nil || recorded["crashLoopBackOff"] != "1s" || recorded["nodeMonitorGracePeriod"] != "20s" {
		t.Fatalf("recorded %s", data)
	}
	again, err := loadState(created.Dir)
	if err != nil || again.CrashLoopBackOff.Duration != time.Second || again.TolerationSeconds != 5 {
		t.Fatalf("read back %+v, %v", again.timings, err)
	}
}

func TestNodeFailureFlags(t *testing.T) {
	st := &state{Dir: "/state", timings: defaultTimings}
	cm := controllerManagerArgs(st)
	for _, want := range []string{"--controllers=*", "--node-monitor-period=1s", "--node-monitor-grace-period=20s"} {
		if !slices.Contains(cm, want) {
			t.Errorf("controller manager: missing %s in %v", want, cm)
		}
	}
	api := apiserverArgs(st)
	for _, want := range []string{"--default-not-ready-toleration-seconds=5", "--default-unreachable-toleration-seconds=5"} {
		if !slices.Contains(api, want) {
			t.Errorf("API server: missing %s in %v", want, api)
		}
	}
	for _, a := range api {
		if a == "--disable-admission-plugins=TaintNodesByCondition" {
			t.Error("TaintNodesByCondition must be on, with the node-lifecycle controller that removes its taints")
		}
	}
}
