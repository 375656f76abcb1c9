#!/usr/bin/env python3
"""Backtest replay and loading speed of two builds of barter_cy side by side: this
tree's and a baseline (``--baseline DIR``: a directory holding another build's ``barter_cy``
package, e.g. a worktree of an older commit after ``python setup.py build_ext
--inplace``).

Each round runs, in fresh subprocesses and alternating which goes first, one timed
``backtest()`` per strategy on the same JSON Lines trades (``bench/gen_market_data.py``,
3 instruments, a reconnect marker every 250,000 events), loaded by each build its own
way (this tree keeps trades as columns, older builds as barter's records). Also timed
per build: ``from_json_file`` of the file and ``load()`` of the cache that build's
``save()`` writes (its own format). Summaries must be identical. Ratios: median over rounds of baseline ÷ this
tree within a round (> 1: this tree replays faster).

Usage::

    python bench/bench_replay.py --baseline /path/to/old/tree [--events 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import _common as c

CHILD = r"""
import json, os, sys, tempfile, time
from decimal import Decimal
import barter_cy
from barter_cy import BacktestArgsConstant, BacktestArgsDynamic, MarketDataInMemory, SystemConfig
from barter_cy.backtest import backtest
from barter_cy.strategy import SmaCross
started = time.perf_counter()
md = MarketDataInMemory.from_json_file(sys.argv[1])
out = {"from_json_file": [time.perf_counter() - started, len(md), md.item_count]}
with tempfile.TemporaryDirectory() as tmp:
    md.save(os.path.join(tmp, "cache"))
    started = time.perf_counter()
    loaded = MarketDataInMemory.load(os.path.join(tmp, "cache"))
    out["load() of its cache"] = [time.perf_counter() - started, len(loaded), loaded.item_count]
    del loaded
config = SystemConfig.from_json(barter_cy.example_path("system_config"))
args = BacktestArgsConstant(config, md, summary_interval="daily",
    initial_balances=[{"exchange": "binance_spot", "asset": "usdt", "total": "1000000000", "free": "1000000000"}])
for name, strategy in (("sma_cross(10, 30)", SmaCross(10, 30, "0.001")), ("default (never orders)", None)):
    dyn = BacktestArgsDynamic(name, Decimal("0.05"), strategy=strategy)
    started = time.perf_counter()
    summary = backtest(args, dyn)
    out[name] = [time.perf_counter() - started, repr(summary.pnl), len(summary.positions)]
out["module"] = barter_cy.__file__
print(json.dumps(out))
"""


def run(pythonpath: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=pythonpath)
    # ``python -c`` puts the working directory first on sys.path: run where no barter_cy is.
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, check=True,
                          capture_output=True, text=True, cwd=path.parent)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    module = Path(out.pop("module")).resolve()
    assert module.is_relative_to(Path(pythonpath).resolve()), f"{module} is not from {pythonpath}"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="directory holding the baseline build's barter_cy package")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"load_{args.events}_r250000_s0.jsonl"
    if not path.exists():
        c.log(f"generating {path}...")
        gen_market_data.generate(path, args.events, n_instruments=3, reconnect_every=250_000, seed=0)
    here = str(c.BENCH.parent)
    samples: dict[str, dict[str, list[float]]] = {}
    for round_ in range(args.rounds):
        order = [("this tree", here), ("baseline", args.baseline)]
        if round_ % 2:
            order.reverse()
        results = {label: run(pythonpath, path) for label, pythonpath in order}
        for strategy in results["this tree"]:
            mine, base = results["this tree"][strategy], results["baseline"][strategy]
            assert mine[1:] == base[1:], f"{strategy}: summaries differ: {mine[1:]} vs {base[1:]}"
            row = samples.setdefault(strategy, {"this tree": [], "baseline": [], "ratio": []})
            row["this tree"].append(mine[0])
            row["baseline"].append(base[0])
            row["ratio"].append(base[0] / mine[0])
        c.log(f"round {round_ + 1}/{args.rounds}: " + ", ".join(
            f"{s}: {r['baseline'][-1]:.3f}s / {r['this tree'][-1]:.3f}s" for s, r in samples.items()))
    print(f"| call ({args.events:,} trades, backtests on 1 thread) | baseline (median) | this tree (median) "
          f"| baseline ÷ this tree (median of rounds) |")
    print("|:--|--:|--:|--:|")
    for strategy, row in samples.items():
        print(f"| {strategy} | {c.median(row['baseline']):.3f} s | {c.median(row['this tree']):.3f} s "
              f"| {c.median(row['ratio']):.3f} |")
    print(f"\nrounds: {args.rounds}; {c.environment_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
