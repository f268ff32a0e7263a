// Step 4: the lesson's echo server. tcpServer is a task that waits on Recv
// of a listening socket and starts an echoHandler task for each client;
// echoHandler waits on Recv, reads, waits on Send and writes the data back
// after "GOT:". One thread serves every client: while one task waits, the
// others run. The scheduler is step 3's, unchanged
// (`diff step3-io-wait/scheduler.go step4-server/scheduler.go`).
//
// Read it beside the lesson's server.py. Like it, it shows the idea and does
// not survive real clients: each "Fault:" names what it leaves, and
// `make fault SERVER=lesson` shows it happen. robust/ is the same server,
// made to survive them: `diff step4-server/main.go step4-server/robust/main.go`.
//
// Run it: go run ./step4-server (`go run main.go` alone fails with
// "undefined: reason"); then, in another terminal: nc 127.0.0.1 25000
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

// tcpServer listens on address and starts handler(client, addr) as a new
// task for each client that connects.
func tcpServer(address netip.AddrPort, handler func(int, string) iter.Seq2[reason, int]) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		must := func(err error) {
			if err != nil {
				log.Fatalf("listen on %v: %v", address, err)
			}
		}
		sock, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		must(err)
		defer unix.Close(sock)
		must(unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1))
		must(unix.Bind(sock, &unix.SockaddrInet4{Port: int(address.Port()), Addr: address.Addr().As4()}))
		// Fault: a backlog of 5, as in the lesson. A burst of clients
		// overflows it, and the kernel has the rest retry a second later.
		must(unix.Listen(sock, 5))
		sa, _ := unix.Getsockname(sock) // the real port, if address asked for port 0
		fmt.Printf("Listening on %v; try: nc %v %d\n", addrPort(sa), addrPort(sa).Addr(), addrPort(sa).Port())
		for {
			if !yield(Recv, sock) { // wait for a client to connect
				return
			}
			client, sa, err := unix.Accept(sock)
			if err != nil {
				// Fault: out of descriptors (EMFILE), the client stays queued,
				// so select wakes this task again at once: it spins, logging.
				log.Printf("accept: %v", err)
				continue
			}
			unix.SetNonblock(client, true) // a read or write must never block the one thread
			addr := addrPort(sa).String()
			newTask("echoHandler("+addr+")", handler(client, addr))
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
			if err != nil { // a reset, say: the lesson's server dies of it; here it ends this client
				log.Printf("%s: %v", address, err)
				break
			}
			if n == 0 { // the client closed the connection
				break
			}
			if !yield(Send, client) { // wait until the client can receive
				break
			}
			// Fault: write may take only part of the reply; the rest is lost.
			unix.Write(client, append([]byte("GOT:"), data[:n]...))
		}
		fmt.Println("Connection closed", address)
		unix.Close(client)
	}
}

// addrPort is the address and port of an IPv4 socket address.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	sa4 := sa.(*unix.SockaddrInet4)
	return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(sa4.Port))
}

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "IPv4 `host:port` to listen on; 0.0.0.0:25000 for every interface")
	flag.BoolVar(&trace, "trace", false, "print a line for each scheduler event")
	flag.Parse()
	log.SetFlags(0)
	address, err := netip.ParseAddrPort(*addr)
	if err != nil || !address.Addr().Is4() || flag.NArg() > 0 {
		log.Fatalf("invalid -addr %q or argument: use -addr with an IPv4 address and port, e.g. 127.0.0.1:25000", *addr)
	}
	stop := make(chan os.Signal, 1) // Ctrl-C or SIGTERM: exit 0, not the lesson's traceback
	signal.Notify(stop, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-stop
		fmt.Println("Shutting down")
		os.Exit(0)
	}()
	newTask("tcpServer", tcpServer(address, echoHandler))
	run()
}
