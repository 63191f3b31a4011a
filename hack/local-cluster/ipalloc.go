package main

import (
	"fmt"
	"sync"
)

// ipAllocator hands out pod IPs from 10.244.0.0/16 (podCIDR), one per pod key (namespace/name),
// never the same IP to two live pods. Addresses ending in .0 or .255 are skipped.
type ipAllocator struct {
	mu    sync.Mutex
	byKey map[string]string
	owner map[string]string // ip -> key
	next  int
}

func newIPAllocator() *ipAllocator {
	return &ipAllocator{byKey: map[string]string{}, owner: map[string]string{}, next: 1}
}

// assign returns the pod's IP: the one it already holds, else want if free (an IP the pod reports
// from before a restart), else the next free one.
func (a *ipAllocator) assign(key, want string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.byKey[key]; ok {
		return ip
	}
	if want != "" {
		if _, taken := a.owner[want]; !taken {
			a.byKey[key], a.owner[want] = want, key
			return want
		}
	}
	for range 1 << 16 {
		n := a.next
		a.next = a.next%(1<<16-1) + 1
		if n%256 == 0 || n%256 == 255 {
			continue
		}
		ip := fmt.Sprintf("10.244.%d.%d", n/256, n%256)
		if _, taken := a.owner[ip]; !taken {
			a.byKey[key], a.owner[ip] = ip, key
			return ip
		}
	}
	panic("pod CIDR " + podCIDR + " exhausted")
}

// release frees the IP of a pod that is gone.
func (a *ipAllocator) release(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.byKey[key]; ok {
		delete(a.byKey, key)
		delete(a.owner, ip)
	}
}
