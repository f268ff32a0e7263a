// Client is a stand-in for nc on a machine without it: it sends what it
// reads from standard input to a server, and prints what comes back until
// the server closes the connection. Type lines and read the replies; end
// with Ctrl-D. Piped input works too, and every reply is waited for:
//
//	echo Hello | go run ./docs/client
//
// It uses Go's net package and a goroutine, not the steps' scheduler: it is
// a tool for trying the server, not part of the lesson.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "the server's `host:port`")
	flag.Parse()
	log.SetFlags(0)
	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		io.Copy(conn, os.Stdin)
		// End of input: close our side for writing only. The server still
		// replies to what it has read, then sees the end and closes the
		// connection, which ends the copy below.
		conn.(*net.TCPConn).CloseWrite()
	}()
	if _, err := io.Copy(os.Stdout, conn); err != nil {
		log.Fatal(err)
	}
}
