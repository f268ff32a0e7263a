// Step 4: the lesson's echo server, on step 3's scheduler.
//
// tcpServer is a task that waits on Recv of a listening socket and starts
// an echoHandler task for each client it accepts. echoHandler waits on
// Recv, reads, waits on Send, and writes the data back after "GOT:". One
// thread serves every client: while one task waits, the others run. That
// is the whole server: scheduler.go, select.go and deque.go are step 3's,
// unchanged (`diff step3-io-wait/scheduler.go step4-server/scheduler.go`).
//
// Read this file beside the lesson's server.py. Like it, this server shows
// the idea and is not meant to survive real clients: each "Fault:" comment
// names what it leaves, and `make fault SERVER=lesson` shows each happen.
// robust/ holds the same server, made to survive them, file for file:
// `diff step4-server/main.go step4-server/robust/main.go`.
//
// Run it: go run ./step4-server   (add -trace to watch the scheduler)
// The step is the whole folder: `go run main.go` alone fails with
// "undefined: reason". Then, in another terminal: nc 127.0.0.1 25000
package main

import (
	"flag"
	"fmt"
	"iter"
	"log"
	"net/netip"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// tcpServer listens on addr and starts handler(client, address) as a new
// task for each client that connects.
func tcpServer(addr netip.AddrPort, handler func(int, string) iter.Seq2[reason, int]) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		sock, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err == nil {
			err = unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		}
		if err == nil {
			err = unix.Bind(sock, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()})
		}
		if err == nil {
			// Fault: a backlog of 5, as in the lesson. A burst of clients
			// overflows it, and the kernel has the rest retry a second later.
			err = unix.Listen(sock, 5)
		}
		if err != nil {
			log.Fatalf("listen on %v: %v", addr, err)
		}
		defer unix.Close(sock)
		fmt.Printf("Listening on %v; try: nc %v %d\n", addr, reachable(addr.Addr()), addr.Port())
		for {
			if !yield(Recv, sock) { // wait for a client to connect
				return
			}
			client, sa, err := unix.Accept(sock)
			if err != nil {
				// Fault: out of descriptors (EMFILE), the client stays queued,
				// so select wakes this task again at once: it spins, and logs
				// a line each time, until a descriptor is freed.
				log.Printf("accept: %v", err)
				continue
			}
			unix.SetNonblock(client, true) // a read or write must never block the one thread
			sa4 := sa.(*unix.SockaddrInet4)
			address := netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(sa4.Port)).String()
			newTask("echoHandler("+address+")", handler(client, address))
		}
	}
}

// echoHandler echoes what client sends, after "GOT:", until it closes.
func echoHandler(client int, address string) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		fmt.Println("Connection from", address)
		data := make([]byte, 1000)
		for {
			if !yield(Recv, client) { // wait until the client sends data
				break
			}
			n, err := unix.Read(client, data)
			if err != nil {
				// The lesson's run() dies of a reset (ConnectionResetError).
				// In Go the error is a value: it ends this client only.
				log.Printf("%s: %v", address, err)
				break
			}
			if n == 0 { // the client closed the connection
				break
			}
			if !yield(Send, client) { // wait until the client can receive
				break
			}
			// Fault: write may take only part of the reply, and the rest is
			// lost. (Over loopback it never does: robust/'s test makes it.)
			unix.Write(client, append([]byte("GOT:"), data[:n]...))
		}
		fmt.Println("Connection closed", address)
		unix.Close(client)
	}
}

// reachable is an address that a client on this machine can connect to:
// ip itself, or loopback for 0.0.0.0, which means every interface.
func reachable(ip netip.Addr) netip.Addr {
	if ip.IsUnspecified() {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return ip
}

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "IPv4 `host:port` to listen on; 0.0.0.0:25000 for every interface")
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.Parse()
	log.SetFlags(0)
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil || !ap.Addr().Is4() || flag.NArg() > 0 {
		log.Fatalf("invalid -addr %q or argument: use -addr with an IPv4 address and a port, e.g. 127.0.0.1:25000", *addr)
	}
	// Ctrl-C or SIGTERM ends the program at once, with status 0: the
	// kernel closes every connection. (The lesson's ends in a traceback.)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-stop
		fmt.Println("Shutting down")
		os.Exit(0)
	}()
	newTask("tcpServer", tcpServer(ap, echoHandler))
	run()
}
