"""Python appends: the `spool` module against persist-queue's SQLiteAckQueue, one thread, seed search events.

Run by `scripts/bench append` with the project's venv (scripts/python-env) and SPOOL_LIBRARY set to the release
library. Prints each figure on stderr and, last, one JSON object on stdout, which scripts/bench merges into
spool-bench's JSON line. Usage: python scripts/bench-python-append.py [--count N] [--persist-queue-count N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

import persistqueue
import spool


def seed_search_events(count: int) -> list:
    """The seed's track_search_event rows (bigquery-integration-status.md), ~320 bytes each as JSON."""
    now = datetime.now(timezone.utc).isoformat()
    return [{
        "event_id": str(uuid.uuid4()), "user_id": f"user-{n % 5000}", "session_id": f"session-{n % 20000}",
        "query": "organic oat milk barista edition", "intent": "product_search", "alpha_value": 0.5,
        "results_count": 24, "categories": json.dumps(["dairy_alternatives", "beverages", "breakfast"]),
        "response_time_ms": 42, "timestamp": now,
    } for n in range(count)]


def percentiles(durations_ns: list) -> dict:
    ordered = sorted(durations_ns)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1000

    return {"p50": at(0.50), "p99": at(0.99), "p999": at(0.999), "max": ordered[-1] / 1000}


def timed(events: list, call) -> tuple:
    """Each call's duration (ns) and the seconds the whole loop took."""
    durations = []
    clock = time.perf_counter_ns
    started = clock()
    for event in events:
        before = clock()
        call(event)
        durations.append(clock() - before)
    return durations, (clock() - started) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--persist-queue-count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    arguments = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="spool-python-bench-")
    try:
        events = seed_search_events(arguments.count)
        target = spool.Spool(os.path.join(folder, "spool.db"))
        # As a team would pick it (its own defaults: WAL, and SQLite's synchronous, FULL on Debian), then with
        # synchronous=NORMAL, the durability Spool's default has.
        queues = {}
        for name, synchronous in (("default", ""), ("normal", "NORMAL")):
            queue = persistqueue.SQLiteAckQueue(os.path.join(folder, f"queue-{name}"), auto_commit=True)
            if synchronous:
                queue._putter.execute(f"PRAGMA synchronous={synchronous}")
            mode = queue._putter.execute("PRAGMA synchronous").fetchone()[0]
            journal = queue._putter.execute("PRAGMA journal_mode").fetchone()[0]
            queues[name] = (queue, f"wal={journal}, synchronous={mode}")
        with target:
            timed(events[:2000], lambda event: target.append("user_search_events", event))  # warm-up
            for queue, _ in queues.values():
                timed(events[:200], queue.put)
            # The three alternate in rounds, so that each samples the same moments of the shared disk (an fsync's
            # cost, and an append's tail beside one, swing with whatever else the machine is doing).
            samples = {"spool": ([], 0.0), "default": ([], 0.0), "normal": ([], 0.0)}
            spool_share = arguments.count // arguments.rounds
            queue_share = arguments.persist_queue_count // arguments.rounds
            for round_index in range(arguments.rounds):
                batch = events[round_index * spool_share:(round_index + 1) * spool_share]
                durations, seconds = timed(batch, lambda event: target.append("user_search_events", event))
                samples["spool"] = (samples["spool"][0] + durations, samples["spool"][1] + seconds)
                for name, (queue, _) in queues.items():
                    durations, seconds = timed(batch[:queue_share], queue.put)
                    samples[name] = (samples[name][0] + durations, samples[name][1] + seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    spool_figures = percentiles(samples["spool"][0])
    spool_rate = len(samples["spool"][0]) / samples["spool"][1]
    queue_default = percentiles(samples["default"][0])
    queue_normal = percentiles(samples["normal"][0])
    for name, figures in (("default", queue_default), ("normal", queue_normal)):
        rate = len(samples[name][0]) / samples[name][1]
        print(f"persist-queue SQLiteAckQueue ({queues[name][1]}), {len(samples[name][0])} puts: "
              f"p50 {figures['p50']:.1f} µs, p99 {figures['p99']:.1f} µs, p99.9 {figures['p999']:.1f} µs, "
              f"{rate:,.0f}/s", file=sys.stderr)

    print(f"spool module (CDLL, normal durability), {arguments.count} appends: p50 {spool_figures['p50']:.1f} µs, "
          f"p99 {spool_figures['p99']:.1f} µs, p99.9 {spool_figures['p999']:.1f} µs, max {spool_figures['max']:.0f} µs, "
          f"{spool_rate:,.0f}/s", file=sys.stderr)
    print(f"persist-queue (defaults) / spool module: {queue_default['p50'] / spool_figures['p50']:.1f}× at p50, "
          f"{queue_default['p999'] / spool_figures['p999']:.1f}× at p99.9; at synchronous=NORMAL: "
          f"{queue_normal['p50'] / spool_figures['p50']:.1f}× and {queue_normal['p999'] / spool_figures['p999']:.1f}×",
          file=sys.stderr)
    print(json.dumps({
        "python_append_p50_us": round(spool_figures["p50"], 1),
        "python_append_p99_us": round(spool_figures["p99"], 1),
        "python_append_p999_us": round(spool_figures["p999"], 1),
        "python_appends_per_s": round(spool_rate),
        "persist_queue_put_p50_us": round(queue_default["p50"], 1),
        "persist_queue_put_p99_us": round(queue_default["p99"], 1),
        "persist_queue_put_p999_us": round(queue_default["p999"], 1),
        "persist_queue_normal_put_p50_us": round(queue_normal["p50"], 1),
        "persist_queue_normal_put_p999_us": round(queue_normal["p999"], 1),
    }))


if __name__ == "__main__":
    main()
