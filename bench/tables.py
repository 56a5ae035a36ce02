"""bench/tables.py - the tables of the single-thread benchmark drivers
(core.sh, sync.sh): each driver collects lines "round bench impl metric
value" (bench/lib.sh's bench_run) and prints, per (bench, metric), every
implementation's median and its ratio to cio's figure of the same round
(median and min-max of the per-round ratios, so a noisy round moves both
sides together)."""
import statistics


def load(path):
    """{(bench, metric, impl, round): value} from a results file."""
    value = {}
    for line in open(path):
        rnd, bench, impl, metric, figure = line.split()
        value[(bench, metric, impl, int(rnd))] = float(figure)
    return value


def table(value, bench, metric, title, unit, order, note):
    """Print one table; return {impl: median ratio to cio}, or None when no
    implementation has a figure for (bench, metric)."""
    impls = sorted({k[2] for k in value if k[:2] == (bench, metric)},
                   key=lambda i: order.index(i) if i in order else 99)
    if not impls:
        return None
    print(f"\n{title} ({unit})")
    print(f"| implementation | {unit} (median) | x = peer / cio, median (min-max) |")
    print("|---|---|---|")
    medians = {}
    for impl in impls:
        rounds = sorted(r for (b, m, i, r) in value if (b, m, i) == (bench, metric, impl))
        figures = [value[(bench, metric, impl, r)] for r in rounds]
        ratios = [value[(bench, metric, impl, r)] / value[(bench, metric, "cio", r)]
                  for r in rounds if value.get((bench, metric, "cio", r))]
        text = (f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                if ratios else "n/a (no cio figure)")
        median = statistics.median(figures)
        shown = f"{median:,.2f}" if median < 100 else f"{median:,.0f}"
        print(f"| {impl} | {shown} | {text} |")
        if ratios:
            medians[impl] = statistics.median(ratios)
    print(f"({len(rounds)} round(s); {note})")
    return medians


def verdict(text, ok, detail=""):
    print(f"target: {text}: {'met' if ok else 'MISSED'}{detail}")
