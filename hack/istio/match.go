package main

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// What the trace models of Envoy's matching, enough for one plain HTTP/1.1 request with a Host
// header and path "/": the listener for a destination, the filter chain for a connection, the
// virtual host for a Host header, and the route for a path. Pure functions of the resources.

// connection is what a filter chain match sees of a downstream connection.
type connection struct {
	destIP   netip.Addr
	destPort uint32
	tls      bool     // the client originates TLS (then sni and alpn are what it offers)
	sni      string   // server name the client sends
	alpn     []string // application protocols: offered in TLS, or what the HTTP inspector detects
}

// outboundListener is the sidecar listener a connection to ip:port lands on after the iptables
// redirect: the one bound to exactly that address, else the wildcard one for the port.
func outboundListener(ls map[string]*listener.Listener, ip string, port uint32) *listener.Listener {
	var wildcard *listener.Listener
	for _, l := range ls {
		sa := l.GetAddress().GetSocketAddress()
		if sa.GetPortValue() != port {
			continue
		}
		switch sa.GetAddress() {
		case ip:
			return l
		case "0.0.0.0", "::":
			wildcard = l
		}
	}
	return wildcard
}

// listenerOnPort is a listener bound to port (a gateway's, which has no redirect), or nil.
func listenerOnPort(ls map[string]*listener.Listener, port uint32) *listener.Listener {
	for _, name := range sortedKeys(ls) {
		l := ls[name]
		if l.GetAddress().GetSocketAddress().GetPortValue() == port && (l.GetBindToPort() == nil || l.GetBindToPort().GetValue()) {
			return l
		}
	}
	for _, name := range sortedKeys(ls) {
		if ls[name].GetAddress().GetSocketAddress().GetPortValue() == port {
			return ls[name]
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := keys(m)
	sort.Strings(out)
	return out
}

// chainFor picks the filter chain Envoy would use for the connection: every set criterion must
// match, and among the matches the most specific wins in Envoy's order (destination port, prefix
// length, server names, transport protocol, application protocols); else the default chain.
func chainFor(l *listener.Listener, c connection) *listener.FilterChain {
	var best *listener.FilterChain
	var bestScore [5]int
	for _, fc := range l.FilterChains {
		score, ok := chainScore(fc.GetFilterChainMatch(), c)
		if ok && (best == nil || less(bestScore, score)) {
			best, bestScore = fc, score
		}
	}
	if best == nil {
		return l.DefaultFilterChain
	}
	return best
}

func less(a, b [5]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func chainScore(m *listener.FilterChainMatch, c connection) ([5]int, bool) {
	var s [5]int
	if m == nil {
		return s, true
	}
	if p := m.GetDestinationPort(); p != nil {
		if p.GetValue() != c.destPort {
			return s, false
		}
		s[0] = 1
	}
	if len(m.PrefixRanges) > 0 {
		longest := -1
		for _, r := range m.PrefixRanges {
			prefix, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", r.AddressPrefix, r.GetPrefixLen().GetValue()))
			if err == nil && prefix.Contains(c.destIP) && prefix.Bits() > longest {
				longest = prefix.Bits()
			}
		}
		if longest < 0 {
			return s, false
		}
		s[1] = longest + 1
	}
	if len(m.ServerNames) > 0 {
		if !c.tls || !serverNameMatches(m.ServerNames, c.sni) {
			return s, false
		}
		s[2] = 1
	}
	if m.TransportProtocol != "" {
		want := "raw_buffer"
		if c.tls {
			want = "tls"
		}
		if m.TransportProtocol != want {
			return s, false
		}
		s[3] = 1
	}
	if len(m.ApplicationProtocols) > 0 {
		if !intersects(m.ApplicationProtocols, c.alpn) {
			return s, false
		}
		s[4] = 1
	}
	return s, true
}

func serverNameMatches(names []string, sni string) bool {
	for _, n := range names {
		if n == sni || (strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:])) {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

// virtualHostFor is Envoy's domain match: exact, then the longest suffix wildcard, then the
// longest prefix wildcard, then "*".
func virtualHostFor(rc *route.RouteConfiguration, host string) *route.VirtualHost {
	host = strings.ToLower(host)
	var suffix, prefix, any *route.VirtualHost
	suffixLen, prefixLen := -1, -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			d = strings.ToLower(d)
			switch {
			case d == host:
				return vh
			case d == "*":
				any = vh
			case strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(d) > suffixLen:
				suffix, suffixLen = vh, len(d)
			case strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(d) > prefixLen:
				prefix, prefixLen = vh, len(d)
			}
		}
	}
	if suffix != nil {
		return suffix
	}
	if prefix != nil {
		return prefix
	}
	return any
}

// routeFor is the first route of the virtual host that matches path with no header conditions.
func routeFor(vh *route.VirtualHost, path string) *route.Route {
	for _, r := range vh.GetRoutes() {
		m := r.GetMatch()
		if len(m.GetHeaders()) > 0 || len(m.GetQueryParameters()) > 0 {
			continue
		}
		switch {
		case m.GetPrefix() != "":
			if strings.HasPrefix(path, m.GetPrefix()) {
				return r
			}
		case m.GetPath() != "":
			if path == m.GetPath() {
				return r
			}
		case m.GetPathSeparatedPrefix() != "":
			p := m.GetPathSeparatedPrefix()
			if path == p || strings.HasPrefix(path, p+"/") {
				return r
			}
		default:
			// A regex or an empty prefix: Istio's catch-all forms.
			return r
		}
	}
	return nil
}
