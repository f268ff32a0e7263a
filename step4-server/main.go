// Step 4: the lesson's echo server, on step 3's scheduler unchanged; read it
// beside the lesson's server.py. Like it, it does not survive real clients:
// each "Fault:" names what it leaves, `make fault SERVER=lesson` shows it
// happen, and robust/ fixes it. Run it: go run ./step4-server (`go run main.go`
// fails: "undefined: reason"), then in another terminal: nc 127.0.0.1 25000
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

// tcpServer listens on address and starts handler(client, addr) for each client.
func tcpServer(address netip.AddrPort, handler func(int, string) iter.Seq2[reason, int]) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		sock, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err == nil {
			unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			err = unix.Bind(sock, &unix.SockaddrInet4{Port: int(address.Port()), Addr: address.Addr().As4()})
		}
		if err == nil { // Fault: a backlog of 5, as in the lesson; a burst overflows it
			err = unix.Listen(sock, 5)
		}
		if err != nil {
			log.Fatalf("listen on %v: %v", address, err)
		}
		sa, _ := unix.Getsockname(sock) // the real port, if address asked for port 0
		address = addrPort(sa)
		fmt.Printf("Listening on %v; try: nc %v %d\n", address, address.Addr(), address.Port())
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
			newTask("echoHandler("+addr+")", handler(client, addr)) // Fault: even one select cannot watch (fd >= 1024)
		}
	}
}

// echoHandler echoes what client sends, after "GOT:", until it closes.
func echoHandler(client int, address string) iter.Seq2[reason, int] {
	return func(yield func(reason, int) bool) {
		fmt.Println("Connection from", address) // Fault: if stdout's reader has gone, SIGPIPE kills
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
	flag.BoolFunc("trace", "print a line for each scheduler event", func(string) error { trace = os.Stdout; return nil })
	flag.Parse()
	log.SetFlags(0)
	address, err := netip.ParseAddrPort(*addr)
	if err != nil || !address.Addr().Is4() || flag.NArg() > 0 {
		log.Fatalf("invalid -addr %q or argument: use -addr with an IPv4 address and port, e.g. 127.0.0.1:25000", *addr)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGINT, unix.SIGTERM)
	go func() { <-sig; fmt.Println("Shutting down"); os.Exit(0) }() // Ctrl-C: exit 0, not a traceback
	newTask("tcpServer", tcpServer(address, echoHandler))
	run()
}
