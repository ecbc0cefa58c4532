package secure_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/enxame/enxame/net/secure"
)

// A private network's peer server and a client, wired as the tracker and
// the peers will be: wrap the listener, admit each connection before
// reading a request, dial with a Dialer.
func Example() {
	ctx := context.Background()
	key, _ := secure.DeriveNetworkKey("ocean blurb tiger rank fiscal")

	// The server.
	serverID, _ := secure.GenerateIdentity()
	guard, _ := secure.NewGuard(secure.GuardConfig{Identity: serverID, Key: key})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ln = guard.Listener(ln)
	defer ln.Close()
	refuse := func(w io.Writer, msg string) error {
		_, err := io.WriteString(w, "ERR forbidden "+msg+"\n")
		return err
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		tc, _, err := guard.Admit(ctx, c, refuse)
		if err != nil {
			return // refused and closed
		}
		defer tc.Close()
		line, _ := bufio.NewReader(tc).ReadString('\n')
		fmt.Fprintf(tc, "OK %d\n", len(strings.TrimSpace(line)))
	}()

	// The client.
	clientID, _ := secure.GenerateIdentity()
	d := &secure.Dialer{Identity: clientID, Key: key, Role: "peer"}
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Fprintf(c, "HAVE %s\n", strings.Repeat("a", 64))
	answer, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(answer)
	<-served
	// Output: OK 69
}
