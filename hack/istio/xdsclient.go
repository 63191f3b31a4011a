package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

const (
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
)

// snapshot is what istiod sent to one proxy, keyed by resource name.
type snapshot struct {
	Listeners map[string]*listener.Listener
	Routes    map[string]*route.RouteConfiguration
	Clusters  map[string]*cluster.Cluster
	Endpoints map[string]*endpoint.ClusterLoadAssignment
}

// adsStream is a state-of-the-world ADS stream to istiod, driven as Envoy drives it: CDS and LDS
// as wildcards, then EDS for the EDS clusters that CDS named and RDS for the route names that the
// listeners' HTTP connection managers name (a gateway's are `http.<port>`, a sidecar's the port),
// each response ACKed with its version and nonce.
type adsStream struct {
	node   *core.Node
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	conn   *grpc.ClientConn
	snap   snapshot
	// names requested for the non-wildcard types, and whether a response for them came.
	edsNames, rdsNames []string
	got                map[string]bool
	// onEndpoints, if set, is called for every EDS response (a watch).
	onEndpoints func(time.Time, []*endpoint.ClusterLoadAssignment)
}

func dialADS(ctx context.Context, addr string, node *core.Node) (*adsStream, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, err
	}
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ADS stream to %s: %w", addr, err)
	}
	a := &adsStream{node: node, stream: stream, conn: conn, got: map[string]bool{}, snap: snapshot{
		Listeners: map[string]*listener.Listener{}, Routes: map[string]*route.RouteConfiguration{},
		Clusters: map[string]*cluster.Cluster{}, Endpoints: map[string]*endpoint.ClusterLoadAssignment{},
	}}
	// The node goes on the first request only, as Envoy sends it.
	if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typeCluster}); err != nil {
		return nil, err
	}
	if err := stream.Send(&discovery.DiscoveryRequest{TypeUrl: typeListener}); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *adsStream) Close() { a.conn.Close() }

// synced reports whether every type has had a response covering what was last requested.
func (a *adsStream) synced() bool {
	return a.got[typeCluster] && a.got[typeListener] &&
		(len(a.edsNames) == 0 || a.got[typeEndpoint]) && (len(a.rdsNames) == 0 || a.got[typeRoute])
}

// recv handles one response: store, ACK, and request what it names.
func (a *adsStream) recv() error {
	resp, err := a.stream.Recv()
	if err != nil {
		return err
	}
	now := time.Now()
	var names []string
	switch resp.TypeUrl {
	case typeCluster:
		a.snap.Clusters = map[string]*cluster.Cluster{}
		for _, r := range resp.Resources {
			c := &cluster.Cluster{}
			if err := r.UnmarshalTo(c); err != nil {
				return err
			}
			a.snap.Clusters[c.Name] = c
			if c.GetType() == cluster.Cluster_EDS {
				names = append(names, c.Name)
			}
		}
	case typeListener:
		a.snap.Listeners = map[string]*listener.Listener{}
		for _, r := range resp.Resources {
			l := &listener.Listener{}
			if err := r.UnmarshalTo(l); err != nil {
				return err
			}
			a.snap.Listeners[l.Name] = l
			names = append(names, routeNames(l)...)
		}
	case typeEndpoint:
		var clas []*endpoint.ClusterLoadAssignment
		for _, r := range resp.Resources {
			cla := &endpoint.ClusterLoadAssignment{}
			if err := r.UnmarshalTo(cla); err != nil {
				return err
			}
			a.snap.Endpoints[cla.ClusterName] = cla
			clas = append(clas, cla)
		}
		if a.onEndpoints != nil {
			a.onEndpoints(now, clas)
		}
	case typeRoute:
		for _, r := range resp.Resources {
			rc := &route.RouteConfiguration{}
			if err := r.UnmarshalTo(rc); err != nil {
				return err
			}
			a.snap.Routes[rc.Name] = rc
		}
	}
	a.got[resp.TypeUrl] = true
	if err := a.stream.Send(&discovery.DiscoveryRequest{
		TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce,
		ResourceNames: a.requested(resp.TypeUrl),
	}); err != nil {
		return err
	}
	switch resp.TypeUrl {
	case typeCluster:
		return a.request(typeEndpoint, &a.edsNames, names)
	case typeListener:
		return a.request(typeRoute, &a.rdsNames, names)
	}
	return nil
}

func (a *adsStream) requested(typeURL string) []string {
	switch typeURL {
	case typeEndpoint:
		return a.edsNames
	case typeRoute:
		return a.rdsNames
	}
	return nil
}

// request subscribes to exactly names (sorted, deduplicated) when they differ from the last request.
func (a *adsStream) request(typeURL string, current *[]string, names []string) error {
	names = uniqueSorted(names)
	if equalStrings(names, *current) {
		return nil
	}
	*current = names
	a.got[typeURL] = false
	if typeURL == typeRoute {
		for name := range a.snap.Routes {
			if !contains(names, name) {
				delete(a.snap.Routes, name)
			}
		}
	} else {
		for name := range a.snap.Endpoints {
			if !contains(names, name) {
				delete(a.snap.Endpoints, name)
			}
		}
	}
	return a.stream.Send(&discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names})
}

// routeNames are the RDS names the listener's HTTP connection managers ask for.
func routeNames(l *listener.Listener) []string {
	var out []string
	for _, fc := range allFilterChains(l) {
		for _, f := range fc.Filters {
			if m := httpConnectionManager(f.GetTypedConfig()); m != nil && m.GetRds() != nil {
				out = append(out, m.GetRds().RouteConfigName)
			}
		}
	}
	return out
}

func allFilterChains(l *listener.Listener) []*listener.FilterChain {
	if l.DefaultFilterChain != nil {
		return append(append([]*listener.FilterChain{}, l.FilterChains...), l.DefaultFilterChain)
	}
	return l.FilterChains
}

func httpConnectionManager(a *anypb.Any) *hcm.HttpConnectionManager {
	m := &hcm.HttpConnectionManager{}
	if a == nil || !a.MessageIs(m) || a.UnmarshalTo(m) != nil {
		return nil
	}
	return m
}

// fetchSnapshot connects as node, waits until every type is synced, and returns what came.
func fetchSnapshot(ctx context.Context, addr string, node *core.Node) (*snapshot, error) {
	a, err := dialADS(ctx, addr, node)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	for !a.synced() {
		if err := a.recv(); err != nil {
			return nil, fmt.Errorf("xDS from %s for %s: %w", addr, node.Id, err)
		}
	}
	return &a.snap, nil
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = proto.Clone
