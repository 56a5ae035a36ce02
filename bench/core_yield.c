/* bench/core_yield.c - two tasks yielding to each other through the loop.
 *
 * Each task runs `for (i < N) cio_yield()`: every yield puts the task at the
 * back of the ready queue and switches to the scheduler, which resumes the
 * other one. The figure is ns per yield (one task-to-task switch through the
 * loop), the unit of the asyncio `await asyncio.sleep(0)` and Go
 * `runtime.Gosched()` peers in bench/core_peer.py and bench/core_peer.go.
 *
 * Besides wall time, the process's CPU time over the same span is reported:
 * on a shared machine it leaves out the time the process waited for the CPU.
 *
 * Sanity: the two tasks must strictly alternate (a shared turn flag that
 * each flips), and the total count must be 2N.
 *
 * Compact mode (second argument 1): the two are compact tasks
 * (cio_task_options.compact), on two of the loop's shared stacks as the
 * round robin puts them, so a switch copies nothing; reported as
 * "cio-compact". Argument 2: both on one shared stack (the loop given one),
 * the worst case, where every switch saves one task's frames and restores
 * the other's through the swapper context; "cio-compact-1stack".
 *
 * Usage: core_yield [yields-per-task] [compact]   (default 1,000,000 and 0) */
#include <cio.h>

#include "core/compact.h" /* white-box: one shared stack for mode 2 */
#include "core_bench.h"

struct pingpong {
    long yields_per_task;
    int turn;         /* whose turn it is: 0 or 1 */
    long switches;    /* yields done by both tasks */
    long out_of_turn; /* times a task ran when it was not its turn */
};

struct player {
    struct pingpong *game;
    int me;
};

static void *play(void *arg) {
    struct player *player = arg;
    struct pingpong *game = player->game;
    for (long i = 0; i < game->yields_per_task; i++) {
        if (game->turn != player->me) game->out_of_turn++;
        game->turn = !player->me;
        game->switches++;
        int rc = cio_yield();
        if (rc < 0) return cio_fail(rc);
    }
    return NULL;
}

/* Run one game of n yields per task; returns its wall time in ns, and its
 * CPU time in *cpu_ns. */
static long compact; /* 0, 1, or 2: one shared stack */

static int64_t run_game(struct pingpong *game, long n, int64_t *cpu_ns) {
    *game = (struct pingpong){.yields_per_task = n};
    struct player players[2] = {{game, 0}, {game, 1}};
    int64_t cpu0 = bench_cpu_ns();
    int64_t start = bench_now_ns();
    cio_task_options opts = {.compact = compact != 0};
    cio_loop *loop = cio_get_running_loop();
    if (compact == 2) cio__compact_state(loop)->stacks = 1;
    cio_task *a;
    cio_loop_create_task_ex(loop, play, &players[0], &opts, &a);
    cio_task *b;
    cio_loop_create_task_ex(loop, play, &players[1], &opts, &b);
    int rc_a = cio_await(a, NULL);
    int rc_b = cio_await(b, NULL);
    int64_t elapsed = bench_now_ns() - start;
    *cpu_ns = bench_cpu_ns() - cpu0;
    BENCH_CHECK(rc_a == 0 && rc_b == 0, "yield tasks failed: %d %d", rc_a, rc_b);
    return elapsed;
}

static void *bench_main(void *arg) {
    long n = *(long *)arg;
    struct pingpong game;
    int64_t cpu_ns;
    run_game(&game, n / 10 + 1, &cpu_ns); /* warm-up: stacks pooled, caches hot */
    int64_t elapsed = run_game(&game, n, &cpu_ns);
    BENCH_CHECK(game.switches == 2 * n, "expected %ld yields, counted %ld", 2 * n, game.switches);
    BENCH_CHECK(game.out_of_turn == 0, "tasks ran out of turn %ld times", game.out_of_turn);
    printf("core_yield: %ld yields, strictly alternating, %.3f s\n", game.switches, elapsed / 1e9);
    const char *impl = compact == 2 ? "cio-compact-1stack" : compact ? "cio-compact" : "cio";
    bench_result("yield", impl, "ns_per_switch", (double)elapsed / (double)game.switches);
    bench_result("yield", impl, "cpu_ns_per_switch", (double)cpu_ns / (double)game.switches);
    return NULL;
}

int main(int argc, char **argv) {
    long n = bench_arg(argc, argv, 1, 1000000);
    compact = bench_arg(argc, argv, 2, 0);
    BENCH_CHECK(compact >= 0 && compact <= 2, "compact mode is 0, 1 or 2");
    BENCH_CHECK(n > 0, "yields per task must be positive");
    int rc = cio_run(bench_main, &n, NULL);
    BENCH_CHECK(rc == 0, "cio_run: %s", cio_strerror(rc));
    return 0;
}
