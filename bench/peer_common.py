"""bench/peer_common.py - what the Python peers of the benchmarks share: the
result line the drivers parse and the sanity check. Imported by
core_peer.py and sync_peer.py (a script's own folder is on sys.path)."""
import sys


def result(bench, impl, metric, value):
    """Print "RESULT <bench> <impl> <metric> <value>", the line the drivers keep."""
    print(f"RESULT {bench} {impl} {metric} {value:.2f}", flush=True)


def check(ok, message):
    """End the process when a sanity check fails: the driver drops the figure."""
    if not ok:
        sys.stderr.write(f"sanity check failed: {message}\n")
        sys.exit(1)
