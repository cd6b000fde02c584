#!/usr/bin/env python3
"""Figures for bench/online.sh: reads one run directory per scenario and prints a table.

A run directory holds:
  window          "t_baseline_start t_migration_start t_migration_end t_after_end" (epoch seconds;
                  the writers keep running from t_migration_end to t_after_end)
  pgbench_log.*   pgbench per-transaction logs (-l): client txno latency_us script epoch us [lag]
  pgbench.out     pgbench's own output
  pgbench.err     pgbench's stderr, each line prefixed with its epoch time (aborted clients)
  load            the 1-minute load average when the migration started and when it ended
  samples.txt     bench/sample.sql output, one row per line: kind|sample_time|pid|a|b
  progress.txt    schemac's stderr, each line prefixed with its epoch time (schemac runs only)
  timing.txt      psql \\timing output of naive.sql or hand.sql (those runs only)
  rows            "sessions_rows events_rows"

Usage: report.py RUN_DIR... (the directory name is the scenario's label). Standard library only.
"""

import bisect
import glob
import json
import os
import re
import sys

# Issue 13: no application error during or after the migration, no application lock wait over
# 50 ms, and a backfill at least as fast as the hand recipe's (ONLINE-SAFETY.md recipe A) in the
# same run.
TARGET_WAIT_MS = 50.0
TARGET_HOLD_MS = 50.0


def read_window(run):
    with open(os.path.join(run, "window")) as f:
        times = [float(x) for x in f.read().split()]
    baseline, start, end = times[:3]
    return baseline, start, end, times[3] if len(times) > 3 else end


def read_load(run):
    try:
        with open(os.path.join(run, "load")) as f:
            return tuple(float(x) for x in f.read().split())
    except OSError:
        return ()


def transactions(run):
    """(start, end, latency_ms, failed) for every logged transaction."""
    out = []
    for path in glob.glob(os.path.join(run, "pgbench_log.*")):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                end = int(parts[4]) + int(parts[5]) / 1e6
                if parts[2] in ("failed", "skipped", "serialization", "deadlock"):
                    out.append((end, end, 0.0, True))
                    continue
                latency = int(parts[2]) / 1000.0
                out.append((end - latency / 1000.0, end, latency, False))
    return out


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[index]


def latency_stats(txns, lo, hi):
    inside = [t for t in txns if t[1] >= lo and t[0] <= hi]
    latencies = sorted(t[2] for t in inside if not t[3])
    return {
        "n": len(inside),
        "failed": sum(1 for t in inside if t[3]),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
        "over_200ms": sum(1 for x in latencies if x > 200),
        "over_1s": sum(1 for x in latencies if x > 1000),
        "tps": len(inside) / (hi - lo) if hi > lo else float("nan"),
    }


ABORTED = re.compile(r"^(\d+\.\d+) .*client \d+ (script \d+ )?aborted")


def aborted_clients(run):
    """Epoch times at which pgbench ended a client on an error (pgbench 15 does that at a
    client's first error that is not a serialization failure or a deadlock), and the messages."""
    out = []
    try:
        with open(os.path.join(run, "pgbench.err")) as f:
            for line in f:
                match = ABORTED.match(line)
                if match:
                    out.append((float(match.group(1)), line.split(" ", 1)[1].strip()))
    except OSError:
        pass
    return out


def errors(txns, aborted, lo, hi):
    """Application errors that ended in [lo, hi): failed transactions (pgbench logs them) and
    clients ended by an error."""
    return sum(1 for t in txns if t[3] and lo <= t[1] < hi) + sum(1 for at, _ in aborted if lo <= at < hi)


def samples(run):
    """Lock waits and ACCESS EXCLUSIVE holds from the sampler.

    Each figure is an upper bound: a wait began at its `waitstart` and had ended by the first
    sample that no longer saw it; a hold began after the last sample before the first that saw it
    and ended before the first sample after the last that saw it.
    """
    waits = {}  # (pid, since) -> [last seen, what]
    holds = {}  # (pid, xact_start, relation) -> [first seen, last seen]
    times = []
    with open(os.path.join(run, "samples.txt")) as f:
        for line in f:
            parts = line.rstrip("\n").split("|")
            if len(parts) != 5:
                continue
            kind, at = parts[0], float(parts[1])
            if kind == "S":
                times.append(at)
            elif kind == "W":
                seen = waits.setdefault((parts[2], float(parts[3])), [at, parts[4]])
                seen[0] = max(seen[0], at)
            elif kind == "X":
                span = holds.setdefault((parts[2], parts[3], parts[4]), [at, at])
                span[0], span[1] = min(span[0], at), max(span[1], at)
    times.sort()

    def after(t):
        i = bisect.bisect_right(times, t)
        return times[i] if i < len(times) else t

    def before(t):
        i = bisect.bisect_left(times, t)
        return times[i - 1] if i > 0 else t

    wait_bounds = [((after(last) - since) * 1000.0, what) for (_, since), (last, what) in waits.items()]
    hold_bounds = [
        ((after(last) - before(first)) * 1000.0, rel) for (_, _, rel), (first, last) in holds.items()
    ]
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    longest_wait = max(wait_bounds, default=(0.0, "-"))
    longest_hold = max(hold_bounds, default=(0.0, "-"))
    return {
        "samples": len(times),
        "median_gap_ms": percentile(gaps, 0.5) * 1000.0 if gaps else float("nan"),
        "max_gap_ms": gaps[-1] * 1000.0 if gaps else float("nan"),
        "longest_wait_ms": longest_wait[0],
        "longest_wait_on": longest_wait[1],
        "waits_seen": len(wait_bounds),
        "waits_over_target": sum(1 for w, _ in wait_bounds if w > TARGET_WAIT_MS),
        "longest_hold_ms": longest_hold[0],
        "longest_hold_on": longest_hold[1],
        "holds_seen": len(hold_bounds),
        "holds_over_target": sum(1 for h, _ in hold_bounds if h > TARGET_HOLD_MS),
    }


STEP = re.compile(r"^(\d+\.\d+) \[(\d+)/(\d+)\] (\S+) (\S+)")


def schemac_steps(run):
    """[(time, kind, target)] from schemac's progress lines, and the time of its last line."""
    steps, last = [], None
    path = os.path.join(run, "progress.txt")
    if not os.path.exists(path):
        return None, None
    with open(path) as f:
        for line in f:
            match = STEP.match(line)
            if match:
                steps.append((float(match.group(1)), match.group(4), match.group(5)))
            head = line.split(" ", 1)[0]
            try:
                last = float(head)
            except ValueError:
                pass
    return steps, last


def backfill_rates(run, rows, end):
    steps, last = schemac_steps(run)
    rates = {}
    if steps is not None:
        for i, (at, kind, target) in enumerate(steps):
            if kind != "backfill":
                continue
            finished = steps[i + 1][0] if i + 1 < len(steps) else (last or end)
            table = target.split(".")[1]
            if table in rows and finished > at:
                rates[table] = (rows[table] / (finished - at), finished - at)
        return rates
    timing = os.path.join(run, "timing.txt")
    if os.path.exists(timing):
        with open(timing) as f:
            text = f.read()
        # hand.sql: `\echo == backfill <table>` before the DO block that fills it.
        for table, ms in re.findall(r"^== backfill (\w+)\n(?:.*\n)*?Time: ([\d.]+) ms", text, re.M):
            if table in rows:
                rates[table] = (rows[table] / (float(ms) / 1000.0), float(ms) / 1000.0)
        if rates:
            return rates
        times = [float(m.group(1)) / 1000.0 for m in re.finditer(r"Time: ([\d.]+) ms", text)]
        # naive.sql: BEGIN, ADD, UPDATE sessions, SET NOT NULL, CREATE INDEX, ADD, UPDATE events, ...
        if len(times) >= 7:
            rates["sessions"] = (rows["sessions"] / times[2], times[2])
            rates["events"] = (rows["events"] / times[6], times[6])
    return rates


def main(runs):
    results = []
    for run in runs:
        label = os.path.basename(os.path.normpath(run))
        baseline, start, end, after_end = read_window(run)
        with open(os.path.join(run, "rows")) as f:
            sessions_rows, events_rows = (int(x) for x in f.read().split())
        rows = {"sessions": sessions_rows, "events": events_rows}
        txns = transactions(run)
        last_logged = max((t[1] for t in txns), default=0.0)
        aborted = aborted_clients(run)
        results.append(
            {
                "label": label,
                "wall_s": end - start,
                "baseline": latency_stats(txns, baseline, start),
                "during": latency_stats(txns, start, end),
                "after_s": after_end - end,
                "errors_during": errors(txns, aborted, start, end),
                "errors_after": errors(txns, aborted, end, after_end),
                "errors_first": [message for _, message in aborted[:1]],
                "load": read_load(run),
                "log_covers_window": last_logged >= after_end,
                "locks": samples(run),
                "backfill": backfill_rates(run, rows, end),
            }
        )

    header = (
        f"{'run':<24} {'load':>9} {'wall':>7} {'txns':>6} {'p50':>8} {'p99':>8} {'max':>9} "
        f"{'>200ms':>6} {'errors':>6} {'after':>5} {'lock wait':>10} {'AE hold':>9} {'events rows/s':>13}"
    )
    print(header)
    print("-" * len(header))
    base = results[0]["baseline"] if results else None
    if base:
        print(
            f"{'(writers, no migration)':<24} {'':>9} {'':>7} {base['n']:>6} {base['p50']:>6.1f}ms "
            f"{base['p99']:>6.1f}ms {base['max']:>7.1f}ms {base['over_200ms']:>6} {base['failed']:>6}"
        )
    for r in results:
        d, locks = r["during"], r["locks"]
        rate = r["backfill"].get("events")
        load = "-".join(f"{x:.1f}" for x in r["load"]) or "-"
        print(
            f"{r['label']:<24} {load:>9} {r['wall_s']:>6.1f}s {d['n']:>6} {d['p50']:>6.1f}ms {d['p99']:>6.1f}ms "
            f"{d['max']:>7.1f}ms {d['over_200ms']:>6} {r['errors_during']:>6} {r['errors_after']:>5} "
            f"{locks['longest_wait_ms']:>8.1f}ms {locks['longest_hold_ms']:>7.1f}ms "
            f"{(f'{rate[0]:,.0f}' if rate else '-'):>13}"
        )
    print()
    print("load: 1-minute load average at the migration's start and end; wall: migration wall time;")
    print("txns, p50/p99/max: pgbench transactions overlapping the migration (latency includes schedule")
    print("lag, -R); errors / after: application errors (failed transactions, clients ended by an error)")
    print(f"during the migration / in the {results[0]['after_s'] if results else 0:.0f} s after it;")
    print("lock wait: longest wait of a writer blocked (directly or through other writers) by the")
    print("migration's backend; AE hold: longest ACCESS EXCLUSIVE lock held by that backend. Both are")
    print("upper bounds from the sampler: from waitstart (or the last sample without the lock) to the")
    print("first sample that no longer saw it; a wait or hold no sample saw was shorter than the gap.")
    for r in results:
        locks = r["locks"]
        extra = ", ".join(
            f"{table} {rate:,.0f} rows/s ({secs:.1f} s)" for table, (rate, secs) in sorted(r["backfill"].items())
        )
        print(
            f"  {r['label']}: samples {locks['samples']} (median gap {locks['median_gap_ms']:.1f} ms, "
            f"max {locks['max_gap_ms']:.1f} ms); writer waits seen {locks['waits_seen']}, "
            f"> {TARGET_WAIT_MS:.0f} ms: {locks['waits_over_target']}, longest on {locks['longest_wait_on']}; "
            f"AE holds seen {locks['holds_seen']}, > {TARGET_HOLD_MS:.0f} ms: {locks['holds_over_target']}, "
            f"longest on {locks['longest_hold_on']}; backfill: {extra or '-'}"
            + "".join(f"; first error: {m}" for m in r["errors_first"])
            + ("" if r["log_covers_window"] else "; WARNING: pgbench log ends before the after window did")
        )

    def hand_rate(label):
        """The events rows/s of the hand recipe in the same round (label suffix), else of any."""
        suffix = label.rsplit(".", 1)[1] if "." in label else ""
        hands = [r for r in results if r["label"].startswith("hand") and "events" in r["backfill"]]
        same = [r for r in hands if (r["label"].rsplit(".", 1)[1] if "." in r["label"] else "") == suffix]
        chosen = same or hands
        return chosen[0]["backfill"]["events"][0] if chosen else None

    schemac = [r for r in results if r["label"].startswith("schemac")]
    if schemac:
        print()
        print("targets (issue 13, schemac runs):")
        verdict = lambda ok: "met" if ok else "MISSED"
        for r in schemac:
            locks = r["locks"]
            line = (
                f"  {r['label']}: errors during and after = 0: "
                f"{verdict(r['errors_during'] == 0 and r['errors_after'] == 0)}; "
                f"writer lock wait <= {TARGET_WAIT_MS:.0f} ms: {verdict(locks['longest_wait_ms'] <= TARGET_WAIT_MS)}"
            )
            rate = r["backfill"].get("events", (0.0, 0.0))[0]
            hand = hand_rate(r["label"])
            if hand and not r["label"].startswith("schemac-bigint"):
                line += f"; backfill >= 1.0 x hand ({rate / hand:.2f} x): {verdict(rate >= hand)}"
            print(line)
    with open(os.path.join(os.path.dirname(os.path.normpath(runs[0])), "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
