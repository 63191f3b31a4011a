package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

const (
	serviceCIDR    = "10.96.0.0/16"
	firstServiceIP = "10.96.0.1"
	podCIDR        = "10.244.0.0/16"
	// serviceAccountIssuer is the `iss` of every service-account token, as on a kubeadm cluster.
	serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
	stateFile            = "cluster.json"
	lockFile             = ".lock"
)

// ports are picked free at the first `up` and recorded, so that several work trees can each run a
// cluster on one machine and a restarted component comes back on the same port.
type ports struct {
	Etcd              int `json:"etcd"`
	EtcdPeer          int `json:"etcdPeer"`
	APIServer         int `json:"apiserver"`
	ControllerManager int `json:"controllerManager"`
	Scheduler         int `json:"scheduler"`
}

// state is what <state-dir>/cluster.json records about one cluster.
type state struct {
	Dir   string   `json:"-"` // absolute
	Ports ports    `json:"ports"`
	Nodes []string `json:"nodes"`
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
	return st, nil
}

// loadOrCreateState returns the recorded state, or records a new one with free ports and
// `nodes` simulated nodes.
func loadOrCreateState(dir string, nodes int) (*state, error) {
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
	free, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	st = &state{Dir: abs, Ports: ports{free[0], free[1], free[2], free[3], free[4]}}
	for i := 1; i <= nodes; i++ {
		st.Nodes = append(st.Nodes, fmt.Sprintf("local-node-%d", i))
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	return st, os.WriteFile(st.path(stateFile), append(data, '\n'), 0o644)
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1, holding all of them open
// until every one is known so that none is handed out twice.
func freePorts(n int) ([]int, error) {
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
