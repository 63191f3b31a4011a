package main

import (
	"strings"
	"testing"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	leastrequest "github.com/envoyproxy/go-control-plane/envoy/extensions/load_balancing_policies/least_request/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func tlsSocket(t *testing.T, sni string) *core.TransportSocket {
	a, err := anypb.New(&tlsv3.UpstreamTlsContext{Sni: sni, CommonTlsContext: &tlsv3.CommonTlsContext{AlpnProtocols: []string{"istio"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &core.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &core.TransportSocket_TypedConfig{TypedConfig: a}}
}

func lbEndpoint(tlsMode string) *endpoint.LbEndpoint {
	e := &endpoint.LbEndpoint{}
	if tlsMode != "" {
		md, _ := structpb.NewStruct(map[string]any{"tlsMode": tlsMode})
		e.Metadata = &core.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.transport_socket_match": md}}
	}
	return e
}

// Istio's auto mTLS: transport socket matches chosen per endpoint by its tlsMode metadata.
func TestEndpointTLSFollowsTransportSocketMatches(t *testing.T) {
	md, _ := structpb.NewStruct(map[string]any{"tlsMode": "istio"})
	cl := &cluster.Cluster{TransportSocketMatches: []*cluster.Cluster_TransportSocketMatch{
		{Name: "tlsMode-istio", Match: md, TransportSocket: tlsSocket(t, "outbound_.80_._.sn0")},
		{Name: "tlsMode-disabled", Match: &structpb.Struct{}, TransportSocket: &core.TransportSocket{Name: "envoy.transport_sockets.raw_buffer"}},
	}}
	if got := endpointTLS(cl, lbEndpoint("istio")); got != "istio-mtls" {
		t.Errorf("sidecar endpoint: %s", got)
	}
	if got := endpointTLS(cl, lbEndpoint("")); got != "plaintext" {
		t.Errorf("endpoint without tlsMode (a gateway pod): %s", got)
	}
	if got := describeClusterTLS(cl); got.Mode != "auto" || got.SNI != "outbound_.80_._.sn0" || len(got.Matches) != 2 {
		t.Errorf("cluster TLS: %+v", got)
	}
	single := &cluster.Cluster{TransportSocket: tlsSocket(t, "x")}
	if got := endpointTLS(single, lbEndpoint("")); got != "tls" {
		t.Errorf("one TLS socket: %s", got)
	}
	if got := endpointTLS(&cluster.Cluster{}, lbEndpoint("istio")); got != "plaintext" {
		t.Errorf("no socket: %s", got)
	}
}

func TestDescribeLBReportsChoicesLocalityPrioritiesAndSlowStart(t *testing.T) {
	cl := &cluster.Cluster{LbPolicy: cluster.Cluster_LEAST_REQUEST, LbConfig: &cluster.Cluster_LeastRequestLbConfig_{
		LeastRequestLbConfig: &cluster.Cluster_LeastRequestLbConfig{SlowStartConfig: &cluster.Cluster_SlowStartConfig{SlowStartWindow: durationpb.New(30e9)}}}}
	cla := &endpoint.ClusterLoadAssignment{Endpoints: []*endpoint.LocalityLbEndpoints{{Priority: 0}, {Priority: 0}}}
	got := describeLB(cl, cla)
	if got.Policy != "LEAST_REQUEST" || got.ChoiceCount != 2 || got.Locality != "off" || len(got.Priorities) != 1 || string(got.SlowStart) != `{"slowStartWindow":"30s"}` {
		t.Errorf("%+v (slow start %s)", got, got.SlowStart)
	}
	cl.GetLeastRequestLbConfig().ChoiceCount = wrapperspb.UInt32(5)
	cl.CommonLbConfig = &cluster.Cluster_CommonLbConfig{LocalityConfigSpecifier: &cluster.Cluster_CommonLbConfig_LocalityWeightedLbConfig_{
		LocalityWeightedLbConfig: &cluster.Cluster_CommonLbConfig_LocalityWeightedLbConfig{}}}
	cla.Endpoints = append(cla.Endpoints, &endpoint.LocalityLbEndpoints{Priority: 1})
	got = describeLB(cl, cla)
	if got.ChoiceCount != 5 || got.Locality == "off" || len(got.Priorities) != 2 {
		t.Errorf("choices, locality weighting and failover priorities: %+v", got)
	}
	if got := describeLB(&cluster.Cluster{}, nil); got.Policy != "ROUND_ROBIN" || got.ChoiceCount != 0 {
		t.Errorf("defaults: %+v", got)
	}
}

func TestDescribeLBReportsTheLoadBalancingPolicyExtension(t *testing.T) {
	lr, err := anypb.New(&leastrequest.LeastRequest{SelectionMethod: leastrequest.LeastRequest_FULL_SCAN})
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster.Cluster{LbPolicy: cluster.Cluster_LEAST_REQUEST, LoadBalancingPolicy: &cluster.LoadBalancingPolicy{Policies: []*cluster.LoadBalancingPolicy_Policy{
		{TypedExtensionConfig: &core.TypedExtensionConfig{Name: "envoy.load_balancing_policies.least_request", TypedConfig: lr}},
	}}}
	got := describeLB(cl, nil)
	if !strings.Contains(string(got.LoadBalancingPolicy), "FULL_SCAN") || got.Locality != "off" {
		t.Errorf("%+v (policy %s)", got, got.LoadBalancingPolicy)
	}
}
