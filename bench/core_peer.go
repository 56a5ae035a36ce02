// bench/core_peer.go - the Go side of the core benchmarks (standard library
// only). Each benchmark does what its C program (bench/core_<name>.c) does,
// with the same sanity checks, and prints the same result lines:
//
//	RESULT <benchmark> go <metric> <value>
//
// GOMAXPROCS is set to 1: cio runs one loop on one thread, so Go gets one
// thread for goroutines too (its runtime may still use helper threads, e.g.
// sysmon, as it always does).
//
// Usage: core_peer yield [yields-per-goroutine] | spawn [goroutines] [batch] |
//
//	sleepers [goroutines]
//
// Build: GOCACHE=/tmp/gocache go build -o core_peer_go core_peer.go peer_common.go
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// statusKiB reads a field of /proc/self/status in KiB, as the C side does.
func statusKiB(field string) int64 {
	file, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		parts := strings.Fields(scanner.Text())
		if len(parts) >= 2 && parts[0] == field+":" {
			value, _ := strconv.ParseInt(parts[1], 10, 64)
			return value
		}
	}
	return -1
}

// ---- yield: two goroutines, runtime.Gosched ------------------------------------

type pingPong struct {
	turn, switches, outOfTurn int64
}

func play(game *pingPong, me int64, n int64, wg *sync.WaitGroup) {
	for i := int64(0); i < n; i++ {
		if game.turn != me {
			game.outOfTurn++
		}
		game.turn = 1 - me
		game.switches++
		runtime.Gosched()
	}
	wg.Done()
}

// One game, n yields per goroutine. GOMAXPROCS=1: the goroutines never run
// at once, so the plain counters are safe.
func runGame(n int64) (*pingPong, time.Duration, time.Duration) {
	game := &pingPong{}
	var wg sync.WaitGroup
	wg.Add(2)
	cpu0 := cpuTime()
	start := time.Now()
	go play(game, 0, n, &wg)
	go play(game, 1, n, &wg)
	wg.Wait()
	return game, time.Since(start), cpuTime() - cpu0
}

func benchYield(n int64) {
	runGame(n/10 + 1)
	game, elapsed, cpu := runGame(n)
	check(game.switches == 2*n, "expected %d yields, counted %d", 2*n, game.switches)
	// Gosched puts the goroutine on the global run queue; with one P the other
	// goroutine runs next. Reported, not required: Go promises no order.
	fmt.Printf("core_yield go: %d yields, %d out of turn, %.3f s\n", game.switches, game.outOfTurn,
		elapsed.Seconds())
	result("yield", "ns_per_switch", float64(elapsed.Nanoseconds())/float64(game.switches))
	result("yield", "cpu_ns_per_switch", float64(cpu.Nanoseconds())/float64(game.switches))
}

// ---- spawn: go f() + WaitGroup, in batches --------------------------------------

func runAll(total, batch int64, results []int64) int64 {
	var sum int64
	var wg sync.WaitGroup
	for first := int64(0); first < total; first += batch {
		n := batch
		if total-first < n {
			n = total - first
		}
		wg.Add(int(n))
		for i := int64(0); i < n; i++ {
			go func(slot *int64, value int64) {
				*slot = value + 1
				wg.Done()
			}(&results[i], first+i)
		}
		wg.Wait()
		for i := int64(0); i < n; i++ {
			sum += results[i]
		}
	}
	return sum
}

func benchSpawn(total, batch int64) {
	results := make([]int64, batch)
	runAll(batch*10, batch, results)
	cpu0 := cpuTime()
	start := time.Now()
	sum := runAll(total, batch, results)
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	check(sum == total*(total+1)/2, "sum of results %d", sum)
	fmt.Printf("core_spawn go: %d goroutines in batches of %d, each ran once, %.3f s\n", total, batch,
		elapsed.Seconds())
	result("spawn", "ns_per_task", float64(elapsed.Nanoseconds())/float64(total))
	result("spawn", "cpu_ns_per_task", float64(cpu.Nanoseconds())/float64(total))
}

// ---- sleepers: N goroutines in time.Sleep -----------------------------------------

func benchSleepers(count int64) {
	var parked int64
	var started sync.WaitGroup
	started.Add(int(count))
	rss0 := statusKiB("VmRSS")
	start := time.Now()
	for i := int64(0); i < count; i++ {
		go func() {
			atomic.AddInt64(&parked, 1)
			started.Done()
			time.Sleep(time.Hour)
		}()
	}
	// With one P, Done readies main but the goroutine runs on into Sleep
	// first; the short sleep makes sure the last ones have parked.
	started.Wait()
	elapsed := time.Since(start)
	time.Sleep(10 * time.Millisecond)
	check(atomic.LoadInt64(&parked) == count, "%d of %d sleepers parked", parked, count)
	rss := statusKiB("VmRSS")
	fmt.Printf("core_sleepers go: %d goroutines parked in %.3f s; RSS +%d KiB, VmHWM %d KiB\n", count,
		elapsed.Seconds(), rss-rss0, statusKiB("VmHWM"))
	name := fmt.Sprintf("sleepers_%d", count)
	result(name, "rss_bytes_per_task", float64(rss-rss0)*1024/float64(count))
	result(name, "ns_per_spawn_to_park", float64(elapsed.Nanoseconds())/float64(count))
	os.Exit(0) // the sleepers are not waited for
}

// ---- main ---------------------------------------------------------------------------

func arg(index int, fallback int64) int64 {
	if len(os.Args) > index {
		value, err := strconv.ParseInt(os.Args[index], 10, 64)
		check(err == nil && value > 0, "bad argument %q", os.Args[index])
		return value
	}
	return fallback
}

func main() {
	runtime.GOMAXPROCS(1)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: core_peer yield|spawn|sleepers [count] [batch]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "yield":
		benchYield(arg(2, 1000000))
	case "spawn":
		benchSpawn(arg(2, 1000000), arg(3, 1000))
	case "sleepers":
		benchSleepers(arg(2, 100000))
	default:
		fmt.Fprintln(os.Stderr, "usage: core_peer yield|spawn|sleepers [count] [batch]")
		os.Exit(2)
	}
}
