// netserver is the baseline the load driver measures step 4 against: the
// same echo protocol (up to 1000 bytes read, written back after "GOT:"),
// written the way Go is usually written, with Go's net package and one
// goroutine per connection. Underneath, the runtime parks each goroutine on
// epoll (kqueue on the BSDs) instead of select.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:25000", "host:port to listen on")
	flag.Bool("quiet", true, "accepted for the driver; this server prints no line per connection")
	flag.Parse()
	log.SetFlags(0)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Listening on %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			continue
		}
		go echo(conn)
	}
}

// echo serves one client until it closes.
func echo(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, len("GOT:")+1000)
	copy(buf, "GOT:")
	for {
		n, err := conn.Read(buf[len("GOT:"):])
		if err != nil {
			if err != io.EOF {
				log.Printf("%s: %v", conn.RemoteAddr(), err)
			}
			return
		}
		if _, err := conn.Write(buf[:len("GOT:")+n]); err != nil {
			log.Printf("%s: %v", conn.RemoteAddr(), err)
			return
		}
	}
}
