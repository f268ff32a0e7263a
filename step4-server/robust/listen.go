package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// listenOn opens a listening socket on addr, "host:port", at once, not in
// tcpServer as in the lesson, so that a bad address is reported before the
// scheduler starts. It returns the socket, and the line that says where it
// listens and how to connect.
func listenOn(addr string) (int, string, error) {
	sa, err := parseAddr(addr)
	if err != nil {
		return -1, "", err
	}
	lfd, err := listen(sa)
	if err != nil {
		return -1, "", listenError(addr, sa, err)
	}
	if real, err := unix.Getsockname(lfd); err == nil { // the real port, if addr asked for port 0
		sa = real
	}
	ap := addrPort(sa)
	return lfd, fmt.Sprintf("Listening on %s; try: nc %s %d", ap, reachable(ap.Addr()), ap.Port()), nil
}

// listen creates a non-blocking TCP socket listening on sa.
func listen(sa unix.Sockaddr) (int, error) {
	family := unix.AF_INET
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	// SO_REUSEADDR lets a restarted server bind while old connections
	// linger in TIME_WAIT. SOMAXCONN: the lesson's listen(5) makes a burst
	// of clients wait seconds for the kernel to retry their SYNs.
	err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if err == nil {
		err = unix.Listen(fd, unix.SOMAXCONN)
	}
	if err == nil {
		err = unix.SetNonblock(fd, true) // an accept must never block the one thread
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// parseAddr turns "host:port" into a socket address. The host is an IPv4
// or IPv6 address, "localhost", or empty for every IPv4 interface.
func parseAddr(addr string) (unix.Sockaddr, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid -addr %q: %s; use host:port, e.g. 127.0.0.1:25000 or [::1]:25000", addr, why)
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, bad("not host:port")
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, bad("the port must be a number from 0 to 65535")
	}
	switch host {
	case "":
		host = "0.0.0.0"
	case "localhost":
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return nil, bad("the host must be an IP address")
	}
	if ip.Is4() || ip.Is4In6() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.Unmap().As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, nil
}

// listenError explains why listening failed, and what to try instead.
func listenError(addr string, sa unix.Sockaddr, err error) error {
	ap := addrPort(sa)
	switch err {
	case unix.EADDRINUSE:
		next := netip.AddrPortFrom(ap.Addr(), ap.Port()%65535+1)
		return fmt.Errorf("listen %s: %v; is another server running? Try -addr %s", addr, err, next)
	case unix.EACCES:
		return fmt.Errorf("listen %s: %v; ports below 1024 need privileges. Try -addr %s", addr, err, netip.AddrPortFrom(ap.Addr(), 25000))
	case unix.EADDRNOTAVAIL:
		return fmt.Errorf("listen %s: %v; %s is not an address of this machine. Try -addr 127.0.0.1:%d", addr, err, ap.Addr(), ap.Port())
	}
	return fmt.Errorf("listen %s: %v", addr, err)
}

// addrPort returns the IP address and port of a TCP socket address; its
// String is "127.0.0.1:25000", or "[::1]:25000" for IPv6.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// reachable returns an address that a client on this machine can connect
// to: ip itself, or loopback where ip stands for every interface (0.0.0.0,
// ::), which is no address to connect to.
func reachable(ip netip.Addr) netip.Addr {
	switch {
	case ip.Is4() && ip.IsUnspecified():
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case ip.IsUnspecified():
		return netip.IPv6Loopback()
	}
	return ip
}
