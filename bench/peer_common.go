// bench/peer_common.go - what every Go peer of the benchmarks shares: the
// result line the drivers parse, the sanity check, and the process's CPU
// time. Built together with each peer:
//
//	GOCACHE=/tmp/gocache go build -o NAME_peer_go NAME_peer.go peer_common.go
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// result prints "RESULT <bench> go <metric> <value>", the line the drivers keep.
func result(bench, metric string, value float64) {
	fmt.Printf("RESULT %s go %s %.2f\n", bench, metric, value)
}

// check ends the process with a message when a sanity check fails: the
// driver then drops the figure and says so.
func check(ok bool, format string, args ...interface{}) {
	if !ok {
		fmt.Fprintf(os.Stderr, "sanity check failed: "+format+"\n", args...)
		os.Exit(1)
	}
}

// cpuTime is the process's CPU time (user + system, every thread: the
// runtime's helpers count too), as CLOCK_PROCESS_CPUTIME_ID on the C side.
func cpuTime() time.Duration {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
