package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// runXDS prints what istiod sends to a pod, or with -watch-eds one JSON line per EDS update of a
// cluster until -duration ends or standard input closes.
func runXDS(args []string) error {
	flags := flag.NewFlagSet("xds", flag.ExitOnError)
	stateDir := stateDirFlag(flags)
	timeout := flags.Duration("timeout", 30*time.Second, "give up when istiod has not sent every type after this long")
	watch := flags.String("watch-eds", "", "watch this cluster's endpoints: one JSON line per EDS update ({time, cluster, endpoints})")
	duration := flags.Duration("duration", 10*time.Minute, "with -watch-eds: stop after this long (or when standard input closes)")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage: istio xds [flags] NAMESPACE/POD\n\nPrints {listeners, routes, clusters, endpoints} as istiod sends them to that pod's proxy (protojson).\n\nFlags:\n")
		flags.PrintDefaults()
	}
	_ = flags.Parse(args)
	if flags.NArg() != 1 {
		flags.Usage()
		os.Exit(2)
	}
	st, err := loadClusterState(*stateDir)
	if err != nil {
		return err
	}
	client, err := st.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	pod, err := getPod(ctx, client, flags.Arg(0))
	if err != nil {
		return err
	}
	node, _, err := podNode(pod)
	if err != nil {
		return err
	}
	if *watch != "" {
		return watchEndpoints(st.xdsAddr(), node, *watch, *duration)
	}
	snap, err := fetchSnapshot(ctx, st.xdsAddr(), node)
	if err != nil {
		return err
	}
	out, err := snapshotJSON(snap)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

// snapshotJSON is {listeners, routes, clusters, endpoints}: each a list sorted by name of the
// resources in protojson, the form of Envoy's config dump.
func snapshotJSON(s *snapshot) ([]byte, error) {
	out := map[string][]json.RawMessage{}
	add := func(key string, names []string, get func(string) proto.Message) error {
		sort.Strings(names)
		out[key] = []json.RawMessage{}
		for _, n := range names {
			b, err := protojson.Marshal(get(n))
			if err != nil {
				return err
			}
			out[key] = append(out[key], b)
		}
		return nil
	}
	if err := add("listeners", keys(s.Listeners), func(n string) proto.Message { return s.Listeners[n] }); err != nil {
		return nil, err
	}
	if err := add("routes", keys(s.Routes), func(n string) proto.Message { return s.Routes[n] }); err != nil {
		return nil, err
	}
	if err := add("clusters", keys(s.Clusters), func(n string) proto.Message { return s.Clusters[n] }); err != nil {
		return nil, err
	}
	if err := add("endpoints", keys(s.Endpoints), func(n string) proto.Message { return s.Endpoints[n] }); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// watchLine is one EDS update of the watched cluster.
type watchLine struct {
	Time      string          `json:"time"`
	Cluster   string          `json:"cluster"`
	Endpoints []endpointState `json:"endpoints"`
}

type endpointState struct {
	Address string `json:"address"`
	Health  string `json:"health"`
}

func endpointStates(cla *endpoint.ClusterLoadAssignment) []endpointState {
	out := []endpointState{}
	for _, l := range cla.Endpoints {
		for _, e := range l.LbEndpoints {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			out = append(out, endpointState{
				Address: fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()),
				Health:  e.HealthStatus.String(),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

func watchEndpoints(addr string, node *core.Node, clusterName string, duration time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	go func() {
		// The caller ends a watch by closing our standard input.
		buf := make([]byte, 512)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				cancel()
				return
			}
		}
	}()
	a, err := dialADS(ctx, addr, node)
	if err != nil {
		return err
	}
	defer a.Close()
	enc := json.NewEncoder(os.Stdout)
	a.onEndpoints = func(t time.Time, clas []*endpoint.ClusterLoadAssignment) {
		for _, cla := range clas {
			if cla.ClusterName == clusterName {
				_ = enc.Encode(watchLine{t.UTC().Format(time.RFC3339Nano), clusterName, endpointStates(cla)})
			}
		}
	}
	for {
		if err := a.recv(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
