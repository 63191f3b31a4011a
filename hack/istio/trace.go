package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/load_balancing_policies/least_request/v3" // for protojson of an EnvoyFilter's load_balancing_policy (an Any)
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// A trace of one plain HTTP/1.1 request (GET /, the Host header curl would send) from a pod's
// sidecar to host:port, through what istiod sends: the caller's outbound listener, filter chain,
// route and cluster; every endpoint; and, for an endpoint that is a gateway-mode pod (a
// ProxyService proxy), the same again from that proxy's listener on the endpoint's port.

type traceResult struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Host  string   `json:"host"`
	Hops  []*hop   `json:"hops"`
	Final []string `json:"final"` // ip:port of every endpoint that is not a proxy, sorted
	Error string   `json:"error,omitempty"`
}

// hop is one proxy handling the request.
type hop struct {
	Proxy       string          `json:"proxy"` // namespace/pod
	NodeType    string          `json:"nodeType"`
	Listener    string          `json:"listener"`
	FilterChain *chainInfo      `json:"filterChain"` // the chain that accepts the connection
	Route       string          `json:"route,omitempty"`
	VirtualHost string          `json:"virtualHost,omitempty"`
	Cluster     string          `json:"cluster"`
	LB          lbInfo          `json:"lb"`
	TLS         clusterTLS      `json:"tls"`
	Endpoints   []endpointInfo  `json:"endpoints"`
	Raw         json.RawMessage `json:"clusterRaw,omitempty"`
}

type chainInfo struct {
	Name              string   `json:"name"`
	TransportProtocol string   `json:"transportProtocol,omitempty"`
	TLS               bool     `json:"tls"` // the chain terminates TLS
	RequireClientCert bool     `json:"requireClientCertificate"`
	ALPN              []string `json:"applicationProtocols,omitempty"`
}

type lbInfo struct {
	Policy      string          `json:"policy"`
	ChoiceCount uint32          `json:"choiceCount,omitempty"` // LEAST_REQUEST: Envoy's default is 2
	Locality    string          `json:"locality"`              // "off", or the locality config in protojson
	Priorities  []uint32        `json:"priorities"`            // distinct EDS priorities (failover uses more than 0)
	SlowStart   json.RawMessage `json:"slowStart,omitempty"`
	// The cluster's load_balancing_policy (Envoy uses it instead of lb_policy when set), in protojson.
	LoadBalancingPolicy json.RawMessage `json:"loadBalancingPolicy,omitempty"`
}

type clusterTLS struct {
	// Mode: "plaintext", "tls" (one transport socket), or "auto" (transport socket matches,
	// chosen per endpoint by its tlsMode metadata: Istio's auto mTLS).
	Mode    string   `json:"mode"`
	SNI     string   `json:"sni,omitempty"`
	ALPN    []string `json:"alpn,omitempty"`
	Matches []string `json:"matches,omitempty"`
}

type endpointInfo struct {
	Address  string `json:"address"`
	Health   string `json:"health"`
	Priority uint32 `json:"priority"`
	Pod      string `json:"pod,omitempty"`
	// TLS is what the caller uses to this endpoint: "plaintext" or "istio-mtls"/"tls".
	TLS string `json:"tls"`
	// Next is the index in hops of the proxy this endpoint is (a gateway-mode pod), or -1.
	Next int `json:"next"`
	// Accept is the endpoint's own inbound filter chain when it is a sidecar pod.
	Accept *chainInfo `json:"accept,omitempty"`
}

func runTrace(args []string) error {
	flags := flag.NewFlagSet("trace", flag.ExitOnError)
	stateDir := stateDirFlag(flags)
	from := flags.String("from", "", "the calling pod, NAMESPACE/POD (sidecar-injected)")
	to := flags.String("to", "", "HOST:PORT the caller requests, e.g. sn0:80 (a Service name, NAME.NAMESPACE, its FQDN, or an IP)")
	hostHeader := flags.String("host", "", "the Host header (default: as curl sends it, HOST for port 80, else HOST:PORT)")
	timeout := flags.Duration("timeout", 60*time.Second, "give up after this long")
	_ = flags.Parse(args)
	if *from == "" || *to == "" {
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
	t := &tracer{ctx: ctx, client: client, addr: st.xdsAddr(), snaps: map[string]*snapshot{}}
	res, err := t.trace(*from, *to, *hostHeader)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

type tracer struct {
	ctx    context.Context
	client kubernetes.Interface
	addr   string
	snaps  map[string]*snapshot // by namespace/pod
	pods   map[string]*corev1.Pod
}

func (t *tracer) trace(from, to, hostHeader string) (*traceResult, error) {
	host, portStr, err := net.SplitHostPort(to)
	if err != nil {
		return nil, fmt.Errorf("-to %q: %w", to, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("-to %q: %w", to, err)
	}
	if hostHeader == "" {
		hostHeader = host
		if port != 80 {
			hostHeader = to
		}
	}
	caller, err := getPod(t.ctx, t.client, from)
	if err != nil {
		return nil, err
	}
	if err := t.indexPods(); err != nil {
		return nil, err
	}
	ip, err := t.resolve(host, caller.Namespace)
	if err != nil {
		return nil, err
	}
	res := &traceResult{From: from, To: to, Host: hostHeader, Final: []string{}}
	first, err := t.hop(caller, true, ip, uint32(port), connection{}, hostHeader)
	res.Hops = append(res.Hops, first)
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	final := map[string]bool{}
	// Breadth first: each proxy pod once.
	seen := map[string]int{}
	for i := 0; i < len(res.Hops); i++ {
		h := res.Hops[i]
		for j := range h.Endpoints {
			e := &h.Endpoints[j]
			pod := t.pods[strings.Split(e.Address, ":")[0]]
			if pod == nil || !isRouter(pod) || e.Pod == h.Proxy {
				final[e.Address] = true
				if pod != nil {
					e.Accept = t.inboundAccept(pod, e, h)
				}
				continue
			}
			key := pod.Namespace + "/" + pod.Name
			if k, ok := seen[key]; ok {
				e.Next = k
				continue
			}
			ipStr, p, _ := net.SplitHostPort(e.Address)
			pp, _ := strconv.Atoi(p)
			conn := connection{destIP: netip.MustParseAddr(ipStr), destPort: uint32(pp), tls: e.TLS != "plaintext", sni: h.TLS.SNI, alpn: h.TLS.ALPN}
			next, err := t.hop(pod, false, ipStr, uint32(pp), conn, hostHeader)
			seen[key] = len(res.Hops)
			e.Next = len(res.Hops)
			res.Hops = append(res.Hops, next)
			if err != nil {
				res.Error = err.Error()
				return res, nil
			}
		}
	}
	res.Final = sortedKeys(final)
	return res, nil
}

func (t *tracer) indexPods() error {
	list, err := t.client.CoreV1().Pods("").List(t.ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	t.pods = map[string]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		if p.Status.PodIP != "" && !p.Spec.HostNetwork && p.DeletionTimestamp == nil {
			t.pods[p.Status.PodIP] = p
		}
	}
	return nil
}

// resolve is what DNS would answer the caller for host: a Service's ClusterIP.
func (t *tracer) resolve(host, ns string) (string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	parts := strings.Split(strings.TrimSuffix(host, ".cluster.local"), ".")
	name := parts[0]
	if len(parts) > 1 {
		ns = parts[1]
	}
	svc, err := t.client.CoreV1().Services(ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", host, err)
	}
	return svc.Spec.ClusterIP, nil
}

func isRouter(pod *corev1.Pod) bool {
	c, err := proxyContainer(pod)
	return err == nil && nodeType(c) == "router"
}

func (t *tracer) snapshot(pod *corev1.Pod) (*snapshot, *core.Node, error) {
	node, _, err := podNode(pod)
	if err != nil {
		return nil, nil, err
	}
	key := pod.Namespace + "/" + pod.Name
	if s, ok := t.snaps[key]; ok {
		return s, node, nil
	}
	s, err := fetchSnapshot(t.ctx, t.addr, node)
	if err != nil {
		return nil, nil, err
	}
	t.snaps[key] = s
	return s, node, nil
}

// hop follows the request in one proxy: outbound (a sidecar, to ip:port after the redirect) or
// a gateway receiving conn on its own port.
func (t *tracer) hop(pod *corev1.Pod, outbound bool, ip string, port uint32, conn connection, hostHeader string) (*hop, error) {
	c, _ := proxyContainer(pod)
	h := &hop{Proxy: pod.Namespace + "/" + pod.Name, Endpoints: []endpointInfo{}}
	if c != nil {
		h.NodeType = nodeType(c)
	}
	snap, _, err := t.snapshot(pod)
	if err != nil {
		return h, err
	}
	var l *listener.Listener
	if outbound {
		l = outboundListener(snap.Listeners, ip, port)
		conn = connection{destIP: netip.MustParseAddr(ip), destPort: port, alpn: []string{"http/1.1"}}
	} else {
		l = listenerOnPort(snap.Listeners, port)
		if !conn.tls {
			conn.alpn = []string{"http/1.1"}
		}
	}
	if l == nil {
		return h, fmt.Errorf("%s: no listener for %s:%d", h.Proxy, ip, port)
	}
	h.Listener = l.Name
	fc := chainFor(l, conn)
	if fc == nil {
		return h, fmt.Errorf("%s: no filter chain of listener %s accepts the connection (tls=%v, sni=%q)", h.Proxy, l.Name, conn.tls, conn.sni)
	}
	h.FilterChain = describeChain(fc)
	clusterName, err := t.terminal(h, snap, fc, hostHeader)
	if err != nil {
		return h, err
	}
	h.Cluster = clusterName
	cl := snap.Clusters[clusterName]
	if cl.GetType() == cluster.Cluster_ORIGINAL_DST {
		return h, fmt.Errorf("%s: the request leaves through %s (original destination, outside the mesh's endpoints): nothing istiod knows of serves it", h.Proxy, clusterName)
	}
	if cl == nil {
		return h, fmt.Errorf("%s: route names cluster %s, which istiod did not send", h.Proxy, clusterName)
	}
	raw, _ := protojson.Marshal(cl)
	h.Raw = raw
	h.TLS = describeClusterTLS(cl)
	cla := snap.Endpoints[clusterName]
	h.LB = describeLB(cl, cla)
	for _, loc := range cla.GetEndpoints() {
		for _, e := range loc.LbEndpoints {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			addr := fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue())
			info := endpointInfo{Address: addr, Health: e.HealthStatus.String(), Priority: loc.Priority, Next: -1,
				TLS: endpointTLS(cl, e)}
			if p := t.pods[sa.GetAddress()]; p != nil {
				info.Pod = p.Namespace + "/" + p.Name
			}
			h.Endpoints = append(h.Endpoints, info)
		}
	}
	sort.Slice(h.Endpoints, func(i, j int) bool { return h.Endpoints[i].Address < h.Endpoints[j].Address })
	return h, nil
}

// terminal follows the chain's last filter: an HTTP connection manager's route, or a TCP proxy.
func (t *tracer) terminal(h *hop, snap *snapshot, fc *listener.FilterChain, hostHeader string) (string, error) {
	if len(fc.Filters) == 0 {
		return "", fmt.Errorf("%s: filter chain %s has no filters", h.Proxy, fc.Name)
	}
	f := fc.Filters[len(fc.Filters)-1]
	if m := httpConnectionManager(f.GetTypedConfig()); m != nil {
		rc := m.GetRouteConfig()
		if rds := m.GetRds(); rds != nil {
			h.Route = rds.RouteConfigName
			rc = snap.Routes[rds.RouteConfigName]
		}
		if rc == nil {
			return "", fmt.Errorf("%s: route %s was not sent", h.Proxy, h.Route)
		}
		// Istio's route configurations ignore the Host header's port (ignore_port_in_host_matching);
		// a connection manager can strip it too.
		host := hostHeader
		if rc.GetIgnorePortInHostMatching() || m.GetStripAnyHostPort() || m.GetStripMatchingHostPort() {
			if hh, _, err := net.SplitHostPort(host); err == nil {
				host = hh
			}
		}
		vh := virtualHostFor(rc, host)
		if vh == nil {
			return "", fmt.Errorf("%s: no virtual host of route %s matches Host %q (Envoy answers 404)", h.Proxy, rc.Name, hostHeader)
		}
		h.VirtualHost = vh.Name
		r := routeFor(vh, "/")
		if r == nil {
			return "", fmt.Errorf("%s: no route of virtual host %s matches /", h.Proxy, vh.Name)
		}
		if a := r.GetRoute(); a != nil {
			if a.GetCluster() != "" {
				return a.GetCluster(), nil
			}
			if w := a.GetWeightedClusters(); w != nil && len(w.Clusters) > 0 {
				return heaviest(w.Clusters), nil
			}
		}
		return "", fmt.Errorf("%s: route %s of virtual host %s does not forward to a cluster (%s)", h.Proxy, r.Name, vh.Name, r.String())
	}
	tp := &tcpproxy.TcpProxy{}
	if f.GetTypedConfig().MessageIs(tp) && f.GetTypedConfig().UnmarshalTo(tp) == nil {
		if tp.GetCluster() != "" {
			return tp.GetCluster(), nil
		}
		if w := tp.GetWeightedClusters(); w != nil && len(w.Clusters) > 0 {
			return w.Clusters[0].Name, nil
		}
	}
	return "", fmt.Errorf("%s: filter chain %s ends in %s, which the trace does not follow", h.Proxy, fc.Name, f.Name)
}

// heaviest is the weighted cluster with the largest weight (Istio's single-destination routes
// have one).
func heaviest(cs []*route.WeightedCluster_ClusterWeight) string {
	best := cs[0]
	for _, c := range cs[1:] {
		if c.GetWeight().GetValue() > best.GetWeight().GetValue() {
			best = c
		}
	}
	return best.Name
}

func describeChain(fc *listener.FilterChain) *chainInfo {
	ci := &chainInfo{Name: fc.Name, TransportProtocol: fc.GetFilterChainMatch().GetTransportProtocol(),
		ALPN: fc.GetFilterChainMatch().GetApplicationProtocols()}
	if ts := fc.GetTransportSocket(); ts != nil {
		d := &tlsv3.DownstreamTlsContext{}
		if ts.GetTypedConfig().MessageIs(d) && ts.GetTypedConfig().UnmarshalTo(d) == nil {
			ci.TLS = true
			ci.RequireClientCert = d.GetRequireClientCertificate().GetValue()
		}
	}
	return ci
}

func describeClusterTLS(cl *cluster.Cluster) clusterTLS {
	if len(cl.TransportSocketMatches) > 0 {
		out := clusterTLS{Mode: "auto"}
		for _, m := range cl.TransportSocketMatches {
			out.Matches = append(out.Matches, m.Name)
			if u := upstreamTLS(m.GetTransportSocket()); u != nil && out.SNI == "" {
				out.SNI, out.ALPN = u.Sni, u.GetCommonTlsContext().GetAlpnProtocols()
			}
		}
		return out
	}
	if u := upstreamTLS(cl.GetTransportSocket()); u != nil {
		return clusterTLS{Mode: "tls", SNI: u.Sni, ALPN: u.GetCommonTlsContext().GetAlpnProtocols()}
	}
	return clusterTLS{Mode: "plaintext"}
}

func upstreamTLS(ts *core.TransportSocket) *tlsv3.UpstreamTlsContext {
	if ts == nil {
		return nil
	}
	u := &tlsv3.UpstreamTlsContext{}
	if ts.GetTypedConfig().MessageIs(u) && ts.GetTypedConfig().UnmarshalTo(u) == nil {
		return u
	}
	return nil
}

// endpointTLS is the transport socket Envoy picks for the endpoint: the first transport socket
// match whose labels all equal the endpoint's envoy.transport_socket_match metadata.
func endpointTLS(cl *cluster.Cluster, e *endpoint.LbEndpoint) string {
	if len(cl.TransportSocketMatches) == 0 {
		if upstreamTLS(cl.GetTransportSocket()) != nil {
			return "tls"
		}
		return "plaintext"
	}
	md := e.GetMetadata().GetFilterMetadata()["envoy.transport_socket_match"].GetFields()
	for _, m := range cl.TransportSocketMatches {
		ok := true
		for k, v := range m.GetMatch().GetFields() {
			if md[k].GetStringValue() != v.GetStringValue() {
				ok = false
			}
		}
		if ok {
			if upstreamTLS(m.GetTransportSocket()) != nil {
				return "istio-mtls"
			}
			return "plaintext"
		}
	}
	if upstreamTLS(cl.GetTransportSocket()) != nil {
		return "tls"
	}
	return "plaintext"
}

func describeLB(cl *cluster.Cluster, cla *endpoint.ClusterLoadAssignment) lbInfo {
	out := lbInfo{Policy: cl.LbPolicy.String(), Locality: "off", Priorities: []uint32{}}
	if cl.LbPolicy == cluster.Cluster_LEAST_REQUEST {
		out.ChoiceCount = 2
		if c := cl.GetLeastRequestLbConfig().GetChoiceCount(); c != nil {
			out.ChoiceCount = c.GetValue()
		}
	}
	var slow proto.Message
	if s := cl.GetLeastRequestLbConfig().GetSlowStartConfig(); s != nil {
		slow = s
	} else if s := cl.GetRoundRobinLbConfig().GetSlowStartConfig(); s != nil {
		slow = s
	}
	if slow != nil {
		out.SlowStart, _ = protojson.Marshal(slow)
	}
	if cfg := cl.GetCommonLbConfig(); cfg.GetLocalityWeightedLbConfig() != nil || cfg.GetZoneAwareLbConfig() != nil {
		b, _ := protojson.Marshal(cfg)
		out.Locality = string(b)
	}
	if p := cl.GetLoadBalancingPolicy(); p != nil {
		b, err := protojson.Marshal(p)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": err.Error()})
		}
		out.LoadBalancingPolicy = b
	}
	seen := map[uint32]bool{}
	for _, l := range cla.GetEndpoints() {
		if !seen[l.Priority] {
			seen[l.Priority] = true
			out.Priorities = append(out.Priorities, l.Priority)
		}
	}
	sort.Slice(out.Priorities, func(i, j int) bool { return out.Priorities[i] < out.Priorities[j] })
	return out
}

// inboundAccept is the filter chain of a sidecar pod's inbound listener (virtualInbound, after
// the redirect) that accepts what the previous hop sends to it, or nil for a pod without sidecar.
func (t *tracer) inboundAccept(pod *corev1.Pod, e *endpointInfo, from *hop) *chainInfo {
	if _, err := proxyContainer(pod); err != nil || isRouter(pod) {
		return nil
	}
	snap, _, err := t.snapshot(pod)
	if err != nil {
		return &chainInfo{Name: "error: " + err.Error()}
	}
	l := snap.Listeners["virtualInbound"]
	if l == nil {
		return &chainInfo{Name: "error: no virtualInbound listener"}
	}
	ipStr, p, _ := net.SplitHostPort(e.Address)
	pp, _ := strconv.Atoi(p)
	conn := connection{destIP: netip.MustParseAddr(ipStr), destPort: uint32(pp), alpn: []string{"http/1.1"}}
	if e.TLS != "plaintext" {
		conn.tls, conn.sni, conn.alpn = true, from.TLS.SNI, from.TLS.ALPN
	}
	fc := chainFor(l, conn)
	if fc == nil {
		return &chainInfo{Name: "error: no inbound filter chain accepts the connection"}
	}
	return describeChain(fc)
}
