package main

import (
	"net/netip"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func socket(ip string, port uint32) *core.Address {
	return &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
		Address: ip, PortSpecifier: &core.SocketAddress_PortValue{PortValue: port}}}}
}

func TestOutboundListenerPrefersTheExactAddress(t *testing.T) {
	ls := map[string]*listener.Listener{
		"0.0.0.0_80":     {Name: "0.0.0.0_80", Address: socket("0.0.0.0", 80)},
		"10.96.0.9_80":   {Name: "10.96.0.9_80", Address: socket("10.96.0.9", 80)},
		"0.0.0.0_8080":   {Name: "0.0.0.0_8080", Address: socket("0.0.0.0", 8080)},
		"virtualInbound": {Name: "virtualInbound", Address: socket("0.0.0.0", 15006)},
	}
	if l := outboundListener(ls, "10.96.0.9", 80); l.Name != "10.96.0.9_80" {
		t.Errorf("exact address: got %s", l.Name)
	}
	if l := outboundListener(ls, "10.96.0.7", 80); l.Name != "0.0.0.0_80" {
		t.Errorf("wildcard: got %s", l.Name)
	}
	if l := outboundListener(ls, "10.96.0.7", 81); l != nil {
		t.Errorf("no listener on 81: got %s", l.Name)
	}
}

func TestChainForPicksTheMostSpecificMatchingChain(t *testing.T) {
	l := &listener.Listener{
		FilterChains: []*listener.FilterChain{
			{Name: "tls", FilterChainMatch: &listener.FilterChainMatch{DestinationPort: wrapperspb.UInt32(8080), TransportProtocol: "tls", ApplicationProtocols: []string{"istio"}}},
			{Name: "plain", FilterChainMatch: &listener.FilterChainMatch{DestinationPort: wrapperspb.UInt32(8080), TransportProtocol: "raw_buffer"}},
			{Name: "other-port", FilterChainMatch: &listener.FilterChainMatch{DestinationPort: wrapperspb.UInt32(9090)}},
			{Name: "tcp-10.96.0.5", FilterChainMatch: &listener.FilterChainMatch{PrefixRanges: []*core.CidrRange{{AddressPrefix: "10.96.0.5", PrefixLen: wrapperspb.UInt32(32)}}}},
		},
		DefaultFilterChain: &listener.FilterChain{Name: "passthrough"},
	}
	ip := netip.MustParseAddr("10.244.0.3")
	cases := []struct {
		conn connection
		want string
	}{
		{connection{destIP: ip, destPort: 8080, alpn: []string{"http/1.1"}}, "plain"},
		{connection{destIP: ip, destPort: 8080, tls: true, alpn: []string{"istio-peer-exchange", "istio"}}, "tls"},
		{connection{destIP: ip, destPort: 8080, tls: true, alpn: []string{"h2"}}, "passthrough"},
		{connection{destIP: netip.MustParseAddr("10.96.0.5"), destPort: 80}, "tcp-10.96.0.5"},
		{connection{destIP: ip, destPort: 7000}, "passthrough"},
	}
	for _, c := range cases {
		if got := chainFor(l, c.conn); got.Name != c.want {
			t.Errorf("%+v: got %s, want %s", c.conn, got.Name, c.want)
		}
	}
}

func TestVirtualHostForFollowsEnvoysDomainOrder(t *testing.T) {
	rc := &route.RouteConfiguration{VirtualHosts: []*route.VirtualHost{
		{Name: "any", Domains: []string{"*"}},
		{Name: "suffix", Domains: []string{"*.svc.cluster.local"}},
		{Name: "exact", Domains: []string{"sn0.shop.svc.cluster.local", "sn0", "sn0:80"}},
		{Name: "prefix", Domains: []string{"sn1.*"}},
	}}
	for host, want := range map[string]string{
		"sn0": "exact", "SN0:80": "exact", "sn9.shop.svc.cluster.local": "suffix", "sn1.shop": "prefix", "example.com": "any",
	} {
		if got := virtualHostFor(rc, host); got.Name != want {
			t.Errorf("%s: got %s, want %s", host, got.Name, want)
		}
	}
	if got := virtualHostFor(&route.RouteConfiguration{}, "sn0"); got != nil {
		t.Errorf("no virtual hosts: got %s", got.Name)
	}
}

func TestRouteForSkipsHeaderMatchesAndMatchesPrefixes(t *testing.T) {
	vh := &route.VirtualHost{Routes: []*route.Route{
		{Name: "canary", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"},
			Headers: []*route.HeaderMatcher{{Name: "x-canary"}}}},
		{Name: "api", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/api"}}},
		{Name: "default", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}}},
	}}
	if got := routeFor(vh, "/"); got.Name != "default" {
		t.Errorf("/: got %s", got.Name)
	}
	if got := routeFor(vh, "/api/v1"); got.Name != "api" {
		t.Errorf("/api/v1: got %s", got.Name)
	}
}
