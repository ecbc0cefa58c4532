//go:build !linux

package main

import (
	"bufio"
	"net"
	"net/netip"
	"time"
)

func askOnce(addr netip.AddrPort, line, buf []byte) (int, error) {
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(line); err != nil {
		return 0, err
	}
	ans, err := bufio.NewReader(c).ReadSlice('\n')
	return copy(buf, ans), err
}
