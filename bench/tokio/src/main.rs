// bench/tokio/src/main.rs - the Tokio peer of the core benchmarks. Each
// benchmark does what its C program (bench/core_<name>.c) does and prints:
//
//     RESULT <benchmark> tokio <metric> <value>
//
// Usage: core_peer_tokio yield [yields-per-task] | spawn [tasks] [batch] |
//        sleepers [tasks] | cross [round-trips] (multi-thread runtime, 2 workers)
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

fn result(bench: &str, metric: &str, value: f64) {
    println!("RESULT {} tokio {} {:.2}", bench, metric, value);
}

fn check(ok: bool, message: String) {
    if !ok {
        eprintln!("sanity check failed: {}", message);
        std::process::exit(1);
    }
}

// Process CPU time (every thread), as CLOCK_PROCESS_CPUTIME_ID on the C side.
fn cpu_ns() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

fn status_kib(field: &str) -> i64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        if parts.next() == Some(&format!("{}:", field)[..]) {
            return parts.next().and_then(|v| v.parse().ok()).unwrap_or(-1);
        }
    }
    -1
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime")
}

// ---- yield: two tasks, tokio::task::yield_now --------------------------------------

async fn play(turn: Rc<Cell<u8>>, switches: Rc<Cell<u64>>, out_of_turn: Rc<Cell<u64>>, me: u8, n: u64) {
    for _ in 0..n {
        if turn.get() != me {
            out_of_turn.set(out_of_turn.get() + 1);
        }
        turn.set(1 - me);
        switches.set(switches.get() + 1);
        tokio::task::yield_now().await;
    }
}

fn game(n: u64) -> (u64, u64, Duration, f64) {
    let rt = runtime();
    let local = tokio::task::LocalSet::new();
    let (turn, switches, out) = (Rc::new(Cell::new(0u8)), Rc::new(Cell::new(0u64)), Rc::new(Cell::new(0u64)));
    let cpu0 = cpu_ns();
    let start = Instant::now();
    local.block_on(&rt, async {
        let a = tokio::task::spawn_local(play(turn.clone(), switches.clone(), out.clone(), 0, n));
        let b = tokio::task::spawn_local(play(turn.clone(), switches.clone(), out.clone(), 1, n));
        a.await.unwrap();
        b.await.unwrap();
    });
    (switches.get(), out.get(), start.elapsed(), cpu_ns() - cpu0)
}

fn bench_yield(n: u64) {
    game(n / 10 + 1);
    let (switches, out_of_turn, elapsed, cpu) = game(n);
    check(switches == 2 * n, format!("expected {} yields, counted {}", 2 * n, switches));
    println!("core_yield tokio: {} yields, {} out of turn, {:.3} s", switches, out_of_turn, elapsed.as_secs_f64());
    result("yield", "ns_per_switch", elapsed.as_nanos() as f64 / switches as f64);
    result("yield", "cpu_ns_per_switch", cpu / switches as f64);
}

// ---- spawn: spawn + await the JoinHandle, in batches ----------------------------------

async fn run_all(total: u64, batch: u64) -> u64 {
    let mut sum = 0u64;
    let mut handles = Vec::with_capacity(batch as usize);
    let mut first = 0u64;
    while first < total {
        let n = batch.min(total - first);
        for i in 0..n {
            let value = first + i;
            handles.push(tokio::task::spawn_local(async move { value + 1 }));
        }
        for handle in handles.drain(..) {
            sum += handle.await.unwrap();
        }
        first += n;
    }
    sum
}

fn bench_spawn(total: u64, batch: u64) {
    let rt = runtime();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run_all(batch * 10, batch));
    let cpu0 = cpu_ns();
    let start = Instant::now();
    let sum = local.block_on(&rt, run_all(total, batch));
    let elapsed = start.elapsed();
    let cpu = cpu_ns() - cpu0;
    check(sum == total * (total + 1) / 2, format!("sum of results {}", sum));
    println!("core_spawn tokio: {} tasks in batches of {}, each ran once, {:.3} s", total, batch, elapsed.as_secs_f64());
    result("spawn", "ns_per_task", elapsed.as_nanos() as f64 / total as f64);
    result("spawn", "cpu_ns_per_task", cpu / total as f64);
}

// ---- sleepers: N tasks in tokio::time::sleep ------------------------------------------

fn bench_sleepers(count: u64) {
    let rt = runtime();
    let local = tokio::task::LocalSet::new();
    let parked = Rc::new(Cell::new(0u64));
    let rss0 = status_kib("VmRSS");
    let start = Instant::now();
    local.block_on(&rt, async {
        for _ in 0..count {
            let parked = parked.clone();
            tokio::task::spawn_local(async move {
                parked.set(parked.get() + 1);
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
        // Let every task run up to its sleep (LocalSet runs spawned tasks
        // in batches between polls of this future).
        while parked.get() < count {
            tokio::task::yield_now().await;
        }
    });
    let elapsed = start.elapsed();
    check(parked.get() == count, format!("{} of {} sleepers parked", parked.get(), count));
    let rss = status_kib("VmRSS");
    println!("core_sleepers tokio: {} tasks parked in {:.3} s; RSS +{} KiB, VmHWM {} KiB", count,
             elapsed.as_secs_f64(), rss - rss0, status_kib("VmHWM"));
    let name = format!("sleepers_{}", count);
    result(&name, "rss_bytes_per_task", (rss - rss0) as f64 * 1024.0 / count as f64);
    result(&name, "ns_per_spawn_to_park", elapsed.as_nanos() as f64 / count as f64);
    std::process::exit(0); // the sleepers are not waited for
}

// ---- cross: two tasks on a two-worker runtime ping-pong over mpsc channels ----------

fn bench_cross(n: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("runtime");
    let cpu0 = cpu_ns();
    let start = Instant::now();
    let completed = rt.block_on(async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let echo = tokio::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let driver = tokio::spawn(async move {
            let mut completed = 0u64;
            for i in 1..=n {
                if ping_tx.send(i).await.is_err() || pong_rx.recv().await != Some(i) {
                    break;
                }
                completed += 1;
            }
            completed
        });
        let completed = driver.await.unwrap();
        echo.await.unwrap();
        completed
    });
    let elapsed = start.elapsed();
    let cpu = cpu_ns() - cpu0;
    check(completed == n, format!("{} of {} round trips", completed, n));
    println!("cross_channel tokio: {} round trips between two tasks on 2 workers, {:.3} s", completed, elapsed.as_secs_f64());
    result("cross_channel", "ns_per_roundtrip", elapsed.as_nanos() as f64 / n as f64);
    result("cross_channel", "cpu_ns_per_roundtrip", cpu / n as f64);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, fallback: u64| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(fallback);
    match args.get(1).map(String::as_str) {
        Some("yield") => bench_yield(arg(2, 1_000_000)),
        Some("spawn") => bench_spawn(arg(2, 1_000_000), arg(3, 1000)),
        Some("sleepers") => bench_sleepers(arg(2, 100_000)),
        Some("cross") => bench_cross(arg(2, 200_000)),
        _ => {
            eprintln!("usage: core_peer_tokio yield|spawn|sleepers|cross [count] [batch]");
            std::process::exit(2);
        }
    }
}
