package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	serviceCIDR    = "10.96.0.0/16"
	firstServiceIP = "10.96.0.1"
	podCIDR        = "10.244.0.0/16"
	// serviceAccountIssuer is the `iss` of every service-account token, as on a kubeadm cluster.
	serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
	stateFile            = "cluster.json"
	lockFile             = ".lock"
	// lockWait bounds the wait for another up, down or restart: longer than up's own default
	// timeout (3 min), shorter than a test hook's (5 min), so a stuck holder is named in time.
	lockWait = 4 * time.Minute
)

// ports are picked free at the first `up` and recorded, so that several work trees can each run a
// cluster on one machine and a restarted component comes back on the same port.
type ports struct {
	Etcd              int `json:"etcd"`
	EtcdPeer          int `json:"etcdPeer"`
	APIServer         int `json:"apiserver"`
	ControllerManager int `json:"controllerManager"`
	Scheduler         int `json:"scheduler"`
	// istiod (hack/istio): plaintext xDS gRPC (15010 in a pod), HTTP with /ready and the debug
	// endpoints (8080), the injection webhook over HTTPS (15017), monitoring (15014).
	IstiodGRPC       int `json:"istiodGrpc"`
	IstiodHTTP       int `json:"istiodHttp"`
	IstiodWebhook    int `json:"istiodWebhook"`
	IstiodMonitoring int `json:"istiodMonitoring"`
}

const portCount = 9

func portsFrom(free []int) ports {
	return ports{free[0], free[1], free[2], free[3], free[4], free[5], free[6], free[7], free[8]}
}

func (p ports) all() []int {
	return []int{p.Etcd, p.EtcdPeer, p.APIServer, p.ControllerManager, p.Scheduler,
		p.IstiodGRPC, p.IstiodHTTP, p.IstiodWebhook, p.IstiodMonitoring}
}

// state is what <state-dir>/cluster.json records about one cluster.
type state struct {
	Dir   string   `json:"-"` // absolute
	Ports ports    `json:"ports"`
	Nodes []string `json:"nodes"`
	// The controller manager's --kube-api-qps (burst 1.5 times), 0 for upstream's default (20, burst 30).
	ControllerQPS int `json:"controllerQPS,omitempty"`
	timings
}

// timings are how fast node failures and crash loops play out (docs/local-cluster.md, "Node failure and
// its timings"). A zero field is unset and reads as its default, so a state recorded before a field
// existed gets the default at its next start.
type timings struct {
	// kubelet-sim: how often each node renews its Lease.
	LeaseRenewInterval metav1.Duration `json:"leaseRenewInterval"`
	// kube-controller-manager --node-monitor-period and --node-monitor-grace-period.
	NodeMonitorPeriod      metav1.Duration `json:"nodeMonitorPeriod"`
	NodeMonitorGracePeriod metav1.Duration `json:"nodeMonitorGracePeriod"`
	// kube-apiserver --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds.
	TolerationSeconds int64 `json:"tolerationSeconds"`
	// kubelet-sim: the crash-loop back-off's first delay and its cap.
	CrashLoopBackOff    metav1.Duration `json:"crashLoopBackOff"`
	CrashLoopBackOffMax metav1.Duration `json:"crashLoopBackOffMax"`
}

// defaultTimings: upstream's own crash-loop back-off, node failure in seconds instead of minutes.
var defaultTimings = timings{
	LeaseRenewInterval:     metav1.Duration{Duration: 2 * time.Second},
	NodeMonitorPeriod:      metav1.Duration{Duration: time.Second},
	NodeMonitorGracePeriod: metav1.Duration{Duration: 20 * time.Second},
	TolerationSeconds:      5,
	CrashLoopBackOff:       metav1.Duration{Duration: 10 * time.Second},
	CrashLoopBackOffMax:    metav1.Duration{Duration: 5 * time.Minute},
}

// withDefaults fills the unset fields with defaultTimings.
func (t timings) withDefaults() timings {
	set := func(d *metav1.Duration, def metav1.Duration) {
		if d.Duration <= 0 {
			*d = def
		}
	}
	set(&t.LeaseRenewInterval, defaultTimings.LeaseRenewInterval)
	set(&t.NodeMonitorPeriod, defaultTimings.NodeMonitorPeriod)
	set(&t.NodeMonitorGracePeriod, defaultTimings.NodeMonitorGracePeriod)
	set(&t.CrashLoopBackOff, defaultTimings.CrashLoopBackOff)
	set(&t.CrashLoopBackOffMax, defaultTimings.CrashLoopBackOffMax)
	if t.TolerationSeconds <= 0 {
		t.TolerationSeconds = defaultTimings.TolerationSeconds
	}
	return t
}

func (st *state) path(elem ...string) string {
	return filepath.Join(append([]string{st.Dir}, elem...)...)
}

// loadState reads the recorded state; it fails if there is none (no cluster was made here).
func loadState(dir string) (*state, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(abs, stateFile))
	if err != nil {
		return nil, err
	}
	st := &state{Dir: abs}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(abs, stateFile), err)
	}
	st.timings = st.timings.withDefaults()
	return st, nil
}

// addIstiodPorts records istiod's ports in a state made before istiod was a component.
func addIstiodPorts(st *state) error {
	if st.Ports.IstiodGRPC != 0 {
		return nil
	}
	free, err := freePorts(4)
	if err != nil {
		return err
	}
	for _, p := range free {
		for _, used := range st.Ports.all() {
			if p == used {
				return addIstiodPorts(st) // a clash with a recorded port: pick again
			}
		}
	}
	st.Ports.IstiodGRPC, st.Ports.IstiodHTTP, st.Ports.IstiodWebhook, st.Ports.IstiodMonitoring = free[0], free[1], free[2], free[3]
	return saveState(st)
}

// loadOrCreateState returns the recorded state, or records a new one with free ports and
// `nodes` simulated nodes, the controller manager's client rate limit and the timings t.
func loadOrCreateState(dir string, nodes, controllerQPS int, t timings) (*state, error) {
	st, err := loadState(dir)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	free, err := freePorts(portCount)
	if err != nil {
		return nil, err
	}
	st = &state{Dir: abs, Ports: portsFrom(free), ControllerQPS: controllerQPS, timings: t.withDefaults()}
	for i := 1; i <= nodes; i++ {
		st.Nodes = append(st.Nodes, fmt.Sprintf("local-node-%d", i))
	}
	return st, saveState(st)
}

// Ports are picked below Linux's default ephemeral range (32768-60999), so that no outgoing
// connection of any process can be holding one when a component restarts and binds it again.
const (
	minPort = 20000
	maxPort = 32000
)

// freePorts returns n distinct ports in [minPort, maxPort) that can be bound on 127.0.0.1 now,
// holding all of them open until every one is known so that none is picked twice.
func freePorts(n int) ([]int, error) {
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no %d free ports in %d-%d on 127.0.0.1", n, minPort, maxPort)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", minPort+rand.IntN(maxPort-minPort)))
		if err != nil {
			continue
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// canBind reports whether a port can be bound on 127.0.0.1 now.
func canBind(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// repickPortsIfTaken is for an `up` on a stopped cluster (say, after a reboot): if another
// process now holds one of the recorded ports, it records new ones and rewrites the kubeconfigs.
// Certificates name no port, so they stay valid.
func repickPortsIfTaken(st *state) error {
	taken := false
	for _, port := range st.Ports.all() {
		taken = taken || !canBind(port)
	}
	if !taken {
		return nil
	}
	free, err := freePorts(portCount)
	if err != nil {
		return err
	}
	st.Ports = portsFrom(free)
	progress(fmt.Sprintf("a recorded port is taken by another process; moving to ports %v", free))
	if err := saveState(st); err != nil {
		return err
	}
	for _, id := range clientIdentities(st.Nodes) {
		if err := writeKubeconfig(st, st.path("pki", id.file+".kubeconfig"), id.file); err != nil {
			return err
		}
	}
	return nil
}

func saveState(st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(st.path(stateFile), append(data, '\n'), 0o644)
}
