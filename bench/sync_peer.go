// bench/sync_peer.go - the Go side of the sync benchmarks (standard library
// only). Each benchmark does what bench/sync.c does, with the same sanity
// checks, and prints the same result lines (wall and CPU time per operation):
//
//	RESULT sync_lock go ns_per_op|cpu_ns_per_op <value>
//	RESULT sync_queue go ns_per_roundtrip|cpu_ns_per_roundtrip <value>
//
//	lock      sync.Mutex Lock/Unlock, uncontended, n times: a thread-safe
//	          mutex, whose fast path is two atomic read-modify-writes
//	lockchan  the same loop over a channel of capacity 1 used as a lock
//	          (send to acquire, receive to release): Go's other idiom for
//	          a lock between goroutines, through the runtime's channel code
//	queue  two goroutines ping-pong a counter through two unbuffered
//	       channels: the Go idiom for handing a value to another task and
//	       waiting for the answer
//
// GOMAXPROCS is 1: cio runs one loop on one thread, so Go gets one thread
// for goroutines too.
//
// Usage: sync_peer lock|lockchan|queue [n]
// Build: GOCACHE=/tmp/gocache go build -o sync_peer_go sync_peer.go peer_common.go
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func lockRounds(mu *sync.Mutex, n int) int {
	counter := 0
	for i := 0; i < n; i++ {
		mu.Lock()
		counter++
		mu.Unlock()
	}
	return counter
}

func benchLock(n int) {
	var mu sync.Mutex
	lockRounds(&mu, n/10+1) // warm-up
	start, startCPU := time.Now(), cpuTime()
	counter := lockRounds(&mu, n)
	elapsed, cpu := time.Since(start).Nanoseconds(), int64(cpuTime()-startCPU)
	check(counter == n, "expected %d acquisitions, counted %d", n, counter)
	check(mu.TryLock(), "lock left held")
	fmt.Printf("sync lock go: %d uncontended Lock/Unlock pairs, %.3f s\n", n, float64(elapsed)/1e9)
	result("sync_lock", "ns_per_op", float64(elapsed)/float64(n))
	result("sync_lock", "cpu_ns_per_op", float64(cpu)/float64(n))
}

func chanRounds(ch chan struct{}, n int) int {
	counter := 0
	for i := 0; i < n; i++ {
		ch <- struct{}{}
		counter++
		<-ch
	}
	return counter
}

func benchLockChan(n int) {
	ch := make(chan struct{}, 1)
	chanRounds(ch, n/10+1) // warm-up
	start, startCPU := time.Now(), cpuTime()
	counter := chanRounds(ch, n)
	elapsed, cpu := time.Since(start).Nanoseconds(), int64(cpuTime()-startCPU)
	check(counter == n, "expected %d acquisitions, counted %d", n, counter)
	check(len(ch) == 0, "lock left held")
	fmt.Printf("sync lockchan go: %d uncontended send/receive pairs, %.3f s\n", n, float64(elapsed)/1e9)
	result("sync_lock", "ns_per_op", float64(elapsed)/float64(n))
	result("sync_lock", "cpu_ns_per_op", float64(cpu)/float64(n))
}

func play(ping, pong chan int, n int) int {
	bad := 0
	for i := 0; i < n; i++ {
		ping <- i
		if <-pong != i+1 {
			bad++
		}
	}
	return bad
}

func benchQueue(n int) {
	ping, pong := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for value := range ping {
			pong <- value + 1
		}
		close(done)
	}()
	play(ping, pong, n/10+1) // warm-up
	start, startCPU := time.Now(), cpuTime()
	bad := play(ping, pong, n)
	elapsed, cpu := time.Since(start).Nanoseconds(), int64(cpuTime()-startCPU)
	close(ping)
	<-done
	check(bad == 0, "%d wrong answers", bad)
	fmt.Printf("sync queue go: %d round trips, every answer right, %.3f s\n", n, float64(elapsed)/1e9)
	result("sync_queue", "ns_per_roundtrip", float64(elapsed)/float64(n))
	result("sync_queue", "cpu_ns_per_roundtrip", float64(cpu)/float64(n))
}

func main() {
	runtime.GOMAXPROCS(1)
	usage := "usage: sync_peer lock|lockchan|queue [n]"
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	n := 0
	if len(os.Args) > 2 {
		var err error
		n, err = strconv.Atoi(os.Args[2])
		check(err == nil && n > 0, "n must be a positive integer")
	}
	switch os.Args[1] {
	case "lock":
		if n == 0 {
			n = 20000000
		}
		benchLock(n)
	case "lockchan":
		if n == 0 {
			n = 20000000
		}
		benchLockChan(n)
	case "queue":
		if n == 0 {
			n = 1000000
		}
		benchQueue(n)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
}
