#!/usr/bin/env python3
"""A sweep on Dask against the same sweep on one thread, side by side.

    python bench/bench_distributed.py                 # 200 SmaCross variants on 1,000,000 trades, 2 rounds
    python bench/bench_distributed.py --quick         # 20 variants on 100,000 trades, 1 round (smoke run)
    python bench/bench_distributed.py --no-details    # both sides with details=False (no positions, equity)

Rounds alternate (local first in even rounds, Dask first in odd ones) on one seeded random
walk (``bench/gen_market_data.py``, via bench_sweep's ``ensure_data``):

- local: ``barter_cy.run_backtests(args, variants, max_concurrent=1)``, one Rust thread;
- Dask: ``barter_cy.distributed.run_backtests(client, args, variants)`` on a LocalCluster
  of 2 worker processes with 1 thread each (started once, outside the timings; the
  scatter of the arguments is inside them).

For each run: wall time, the CPU seconds of the calling process and (Dask) of the
workers, so "cores used" shows whether two cores were free at all on a shared machine.
Then a breakdown of the serial, client-side share: Rust alone (``_run_many``), turning
Rust's JSON into summaries (``json.loads`` + models, what the local run does on its one
thread), and the size and unpickling time of the summaries a Dask client receives.

Loading the market data and starting the cluster are excluded and reported apart."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time

import _common as c
import bench_sweep

GOAL = 1.8


def make_inputs(prices: int, seed: int, fees: str):
    from barter_cy import BacktestArgsConstant, MarketDataInMemory, SystemConfig

    data = bench_sweep.ensure_data(prices, seed)
    config = SystemConfig.from_json(bench_sweep.write_config(fees))
    load_s, _, md = c.time_call(lambda: MarketDataInMemory.from_json_file(data))
    cash = bench_sweep.INIT_CASH
    args = BacktestArgsConstant(config, md, "daily", initial_balances=[
        {"exchange": bench_sweep.EXCHANGE, "asset": "usdt", "total": cash, "free": cash}])
    return args, load_s


def make_variants(count: int):
    from barter_cy import BacktestArgsDynamic
    from barter_cy.strategy import SmaCross

    fasts = range(5, 5 + 5 * 10, 5)  # 5, 10, .., 50
    slows = range(60, 10_000, 10)  # 60, 70, ..
    grid = [(f, s) for s in slows for f in fasts][:count]
    return [BacktestArgsDynamic(f"sma-{f}-{s}", "0", strategy=SmaCross(f, s, bench_sweep.QUANTITY), fill="signal")
            for f, s in grid]


def _worker_cpu() -> float:
    return time.process_time()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prices", type=int, default=1_000_000)
    ap.add_argument("--variants", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fees", default="0.001")
    ap.add_argument("--batch-size", type=int, default=None, help="variants per Dask task (default: barter_cy's)")
    ap.add_argument("--quick", action="store_true", help="20 variants, 100,000 trades, 1 round")
    ap.add_argument("--no-details", action="store_true",
                    help="run both sides with details=False: summaries without positions and equity curves")
    ap.add_argument("--dask-defaults", action="store_true",
                    help="keep Dask's own settings (by default the bench applies "
                         "barter_cy.distributed.LEAN_DASK_CONFIG: no profiler, slower ticks)")
    opts = ap.parse_args(argv)
    if opts.quick:
        opts.prices, opts.variants, opts.rounds = 100_000, 20, 1

    from distributed import Client, LocalCluster

    import barter_cy
    from barter_cy import distributed as bd
    from barter_cy.summary import MultiBacktestSummary

    args, load_s = make_inputs(opts.prices, opts.seed, opts.fees)
    variants = make_variants(opts.variants)
    c.log(f"{len(variants)} variants on {args.market_data!r} (loaded in {load_s:.2f} s)")

    import dask

    if not opts.dask_defaults:
        dask.config.set(bd.LEAN_DASK_CONFIG)
    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", worker_dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(2, timeout=60)
    cluster_s = time.perf_counter() - started

    details = not opts.no_details

    def local():
        return barter_cy.run_backtests(args, variants, max_concurrent=1, details=details)

    def on_dask():
        return bd.run_backtests(client, args, variants, batch_size=opts.batch_size, details=details)

    rows = {"local": [], "dask": []}
    reference = None
    for round_ in range(opts.rounds):
        order = (("local", local), ("dask", on_dask)) if round_ % 2 == 0 else (("dask", on_dask), ("local", local))
        for name, fn in order:
            c.settle()
            workers_before = client.run(_worker_cpu)
            wall, cpu, multi = c.time_call(fn)
            workers_after = client.run(_worker_cpu)
            worker_cpu = sum(workers_after[w] - workers_before[w] for w in workers_after)
            rows[name].append({"wall": wall, "cpu": cpu, "workers_cpu": worker_cpu if name == "dask" else 0.0})
            if reference is None:
                reference = multi.summaries
            elif multi.summaries != reference:
                raise SystemExit(f"{name}: summaries differ from the first run's")
            c.log(f"round {round_} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU here, {worker_cpu:.2f} s CPU in workers")
            del multi

    # Where the serial time goes (one pass each, outside the rounds).
    c.settle()
    # CPU seconds (time.process_time): on a busy shared machine wall times here say
    # more about the neighbours than about the work.
    _, rust_cpu, raw = c.time_call(lambda: args._run_many(variants, 1))
    _, parse_s, parsed = c.time_call(lambda: MultiBacktestSummary._from_wire(raw))
    _, pickle_s, pickled = c.time_call(lambda: pickle.dumps(parsed, protocol=5))
    _, unpickle_s, _ = c.time_call(lambda: pickle.loads(pickled))
    lean_bytes = len(pickle.dumps(parsed.without_details(), protocol=5))
    positions = sum(len(s.positions) for s in parsed)
    _, md_dumps_s, md_pickled = c.time_call(lambda: pickle.dumps(args.market_data, protocol=5))
    _, md_loads_s, md_back = c.time_call(lambda: pickle.loads(md_pickled))
    if md_back != args.market_data:
        raise SystemExit("market data changed through pickle")
    md_pickle = len(md_pickled)
    del md_back, md_pickled
    del raw, parsed
    client.close()
    cluster.close()

    local_wall = statistics.median(r["wall"] for r in rows["local"])
    dask_wall = statistics.median(r["wall"] for r in rows["dask"])
    ratios = [loc["wall"] / dsk["wall"] for loc, dsk in zip(rows["local"], rows["dask"])]
    table = []
    for name in ("local", "dask"):
        for i, r in enumerate(rows[name]):
            used = (r["cpu"] + r["workers_cpu"]) / r["wall"]
            table.append([f"{name} round {i}", c.fmt_s(r["wall"]), f"{r['cpu']:.2f} s", f"{r['workers_cpu']:.2f} s",
                          f"{used:.2f}"])
    print(c.environment_note())
    print(f"\n{len(variants)} SmaCross variants on {opts.prices:,} trades, details={details}; market data loaded in {load_s:.2f} s "
          f"(excluded), cluster started in {cluster_s:.2f} s (excluded)\n")
    print(c.markdown_table(["run", "wall", "CPU, this process", "CPU, workers", "cores used"], table))
    local_cpu = statistics.median(r["cpu"] for r in rows["local"])
    dask_cpu = statistics.median(r["cpu"] + r["workers_cpu"] for r in rows["dask"])
    print(f"\nCPU seconds: local {local_cpu:.2f} s, Dask {dask_cpu:.2f} s (client + workers, "
          f"{dask_cpu / local_cpu - 1:+.0%}); with two idle cores the ratio could at best be "
          f"local CPU ÷ (Dask CPU / 2) = {2 * local_cpu / dask_cpu:.2f}× (an estimate, not a measurement)")
    print(f"\nlocal 1 thread ÷ Dask 2×1: median {local_wall / dask_wall:.2f}× "
          f"(per round: {', '.join(f'{r:.2f}×' for r in ratios)}); goal ≥ {GOAL}×: "
          f"{'met' if statistics.median(ratios) >= GOAL else 'NOT met'}\n")
    breakdown = [
        ["Rust alone, 1 thread (`_run_many`)", c.fmt_s(rust_cpu), f"{rust_cpu / len(variants) * 1e3:.1f} ms per variant"],
        ["Rust's summaries → Python models (`_from_wire`: head JSON, position columns)", c.fmt_s(parse_s),
         f"{positions:,} positions"],
        ["summaries pickled by the workers (`pickle.dumps`)", c.fmt_s(pickle_s), c.fmt_bytes(len(pickled))],
        ["summaries unpickled by a Dask client (`pickle.loads`)", c.fmt_s(unpickle_s),
         f"{len(pickled) / max(positions, 1):.0f} bytes per position"],
        ["summaries without details (`details=False`), pickled", "", f"{c.fmt_bytes(lean_bytes)}, "
         f"{lean_bytes / len(variants):,.0f} bytes per variant"],
        ["market data: `pickle.dumps` (once per sweep)", c.fmt_s(md_dumps_s), f"{c.fmt_bytes(md_pickle)}, "
         f"{md_pickle / len(args.market_data):.1f} bytes per trade"],
        ["market data: `pickle.loads` (once per worker)", c.fmt_s(md_loads_s), ""],
    ]
    print(c.markdown_table(["where the time goes (one pass)", "CPU", "note"], breakdown))
    print(json.dumps({"local_s": local_wall, "dask_s": dask_wall, "ratios": ratios,
                      "local_cpu_s": local_cpu, "dask_cpu_s": dask_cpu, "rust_cpu_s": rust_cpu, "parse_s": parse_s, "pickle_s": pickle_s,
                      "unpickle_s": unpickle_s, "summary_bytes": len(pickled), "lean_summary_bytes": lean_bytes,
                      "details": details,
                      "positions": positions, "md_pickle_bytes": md_pickle,
                      "md_dumps_s": md_dumps_s, "md_loads_s": md_loads_s, "variants": len(variants),
                      "prices": opts.prices, "loadavg": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
