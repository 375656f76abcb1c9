#!/usr/bin/env python3
"""Where the time of a sweep goes: the native batch (Rust threads, GIL released) and the
summaries' decoding after it (one Python thread, GIL held: the serial part).

The 10×10 SmaCross grid of ``bench/bench_sweep.py`` on its random walk, through
``BacktestArgsConstant._run_many`` (the call ``run_backtests`` makes) and then
``MultiBacktestSummary._from_wire`` (with ``json.loads`` first when the build hands back
JSON bytes, as builds before summary columns did), so the same script measures either
build: run it with ``PYTHONPATH`` pointing at each and compare. Each round times both
steps at ``--threads`` 1 and 2; medians over ``--rounds``.

Usage::

    python bench/bench_summaries.py [--prices 1000000] [--rounds 3] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import _common as c
import bench_sweep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prices", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2", help="max_concurrent values, comma-separated (default 1,2)")
    ap.add_argument("--fees", default="0.001")
    ap.add_argument("--seed", type=int, default=7)
    opts = ap.parse_args()
    threads = [int(x) for x in opts.threads.split(",")]

    import barter_cy
    from barter_cy import BacktestArgsConstant, BacktestArgsDynamic, MarketDataInMemory, SystemConfig
    from barter_cy.strategy import SmaCross
    from barter_cy.summary import MultiBacktestSummary

    data = bench_sweep.ensure_data(opts.prices, opts.seed)
    config = SystemConfig.from_json(str(bench_sweep.write_config(opts.fees)))
    md = MarketDataInMemory.from_json_file(str(data))
    args = BacktestArgsConstant(config, md, "daily")
    variants = [BacktestArgsDynamic(bench_sweep.variant_id(f, s), "0", strategy=SmaCross(f, s, bench_sweep.QUANTITY),
                                    fill="signal") for f in bench_sweep.FASTS for s in bench_sweep.SLOWS]
    samples: dict[int, list[tuple[float, float, int, int]]] = {n: [] for n in threads}
    for round_ in range(opts.rounds):
        for n in threads if round_ % 2 == 0 else threads[::-1]:
            c.settle()
            started = time.perf_counter()
            raw = args._run_many(variants, n)
            native = time.perf_counter()
            size = len(raw) if isinstance(raw, bytes) else 0
            multi = MultiBacktestSummary._from_wire(json.loads(raw) if isinstance(raw, bytes) else raw)
            decoded = time.perf_counter()
            positions = sum(len(s.positions) for s in multi)
            samples[n].append((native - started, decoded - native, positions, size))
            c.log(f"round {round_ + 1}: {n} thread(s): native {native - started:.3f} s, "
                  f"decode {decoded - native:.3f} s, {positions:,} positions")
            del raw, multi
    print(f"## Summaries of a {len(variants)}-variant SmaCross sweep on {opts.prices:,} trades\n")
    print(c.environment_note())
    print(f"barter_cy from {barter_cy.__file__}\n")
    rows = []
    for n, runs in samples.items():
        native = c.median([r[0] for r in runs])
        decode = c.median([r[1] for r in runs])
        rows.append([n, c.fmt_s(native), c.fmt_s(decode), c.fmt_s(native + decode),
                     f"{100 * decode / (native + decode):.1f} %", f"{runs[0][2]:,}",
                     c.fmt_bytes(runs[0][3]) if runs[0][3] else "(columns)"])
    print(c.markdown_table(["threads", "native batch", "decode (serial)", "total", "decode share", "positions",
                            "JSON from Rust"], rows))
    if len(samples) >= 2 and 1 in samples and 2 in samples:
        ratios = [(a[0] + a[1]) / (b[0] + b[1]) for a, b in zip(samples[1], samples[2])]
        print(f"\n2 threads ÷ 1 thread (paired median of call + decode): {c.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
