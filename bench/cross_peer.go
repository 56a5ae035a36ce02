// bench/cross_peer.go - the Go side of bench/cross.sh: two goroutines
// ping-pong a value over two unbuffered channels with GOMAXPROCS=2, so they
// may run on two threads as cio's two loops do. Prints
//
//	RESULT cross_channel go ns_per_roundtrip|cpu_ns_per_roundtrip <value>
//
// Usage: cross_peer channel [n]
// Build: GOCACHE=/tmp/gocache go build -o cross_peer_go cross_peer.go peer_common.go
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func benchChannel(n int64) {
	ping, pong := make(chan int64), make(chan int64)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	var completed int64
	cpu0 := cpuTime()
	start := time.Now()
	for i := int64(1); i <= n; i++ {
		ping <- i
		if <-pong != i {
			break
		}
		completed++
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	close(ping)
	check(completed == n, "%d of %d round trips", completed, n)
	fmt.Printf("cross_channel go: %d round trips between two goroutines, %.3f s\n", completed, elapsed.Seconds())
	resultAs("cross_channel", "ns_per_roundtrip", float64(elapsed.Nanoseconds())/float64(n))
	resultAs("cross_channel", "cpu_ns_per_roundtrip", float64(cpu.Nanoseconds())/float64(n))
}

func resultAs(bench, metric string, value float64) {
	fmt.Printf("RESULT %s go %s %.2f\n", bench, metric, value)
}

func main() {
	n := int64(200000)
	if len(os.Args) > 2 {
		if v, err := strconv.ParseInt(os.Args[2], 10, 64); err == nil {
			n = v
		}
	}
	if len(os.Args) > 1 && os.Args[1] == "channel" {
		benchChannel(n)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: cross_peer channel [n]")
	os.Exit(2)
}
