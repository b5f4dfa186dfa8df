package server

import "net"

// FirstServiceIP is the first usable address of a service cluster IP range: the kubernetes
// service's cluster IP (10.96.0.1 for 10.96.0.0/12). It is nil for a nil or single-address range.
func FirstServiceIP(n *net.IPNet) net.IP {
	if n == nil {
		return nil
	}
	ip := append(net.IP(nil), n.IP...)
	for i := len(ip) - 1; i >= 0; i-- {
		ip[i]++
		if ip[i] != 0 {
			break
		}
	}
	if !n.Contains(ip) {
		return nil
	}
	return ip
}
