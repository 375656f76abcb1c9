#!/usr/bin/env python3
"""What progress, Ctrl-C support and the log bridge cost, side by side in one process.

- load: ``MarketDataHandle.from_file`` (the direct call, no cancel token, on the calling
  thread) against ``MarketDataInMemory.from_json_file`` (the cancellable export, run on a
  helper thread by ``_control.interruptible`` with the log queue drained every 50 ms);
- sweep: ``run_backtests`` of SmaCross variants with ``progress=False`` against
  ``progress=callable`` (Rust counter read every 50 ms);
- logging: the same sweep with the "barter" logger at WARNING (default) against DEBUG
  (barter's debug events recorded in Rust and emitted through logging to a NullHandler).

Rounds alternate A and B; prints the median ratio B / A and its range.

    python bench/bench_control.py [--events 1000000] [--rounds 5] [--variants 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import barter_cy
from barter_cy import BacktestArgsDynamic, MarketDataInMemory, _native, run_backtests
from barter_cy.backtest import BacktestArgsConstant, SystemConfig
from barter_cy.strategy import SmaCross

ROOT = Path(__file__).resolve().parent.parent


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def compare(name: str, a, b, rounds: int) -> None:
    a(), b()  # warm up
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(timed(a))
        tb.append(timed(b))
    ratios = [y / x for x, y in zip(ta, tb)]
    print(f"{name}: A median {statistics.median(ta):.3f} s, B median {statistics.median(tb):.3f} s, "
          f"B/A median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--variants", type=int, default=20)
    opts = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location("gen_market_data", ROOT / "bench" / "gen_market_data.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trades.jsonl"
        gen.generate(str(path), opts.events, 1, seed=3)
        print(f"{opts.events} trades, {path.stat().st_size / 1e6:.0f} MB; {opts.rounds} rounds")
        compare(
            "load (A direct, B cancellable + helper thread)",
            lambda: _native.MarketDataHandle.from_file(str(path), False, 0),
            lambda: MarketDataInMemory.from_json_file(path),
            opts.rounds,
        )
        md = MarketDataInMemory.from_json_file(path)
    config = SystemConfig.from_json_file(barter_cy.example_path("system_config"))
    # One instrument (index 0) of the example config.
    args = BacktestArgsConstant(config, md)
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=SmaCross(5 + i % 10, 40 + i, 0.001))
                for i in range(opts.variants)]
    calls = []
    compare(
        f"sweep of {opts.variants} (A progress=False, B progress=callable)",
        lambda: run_backtests(args, variants),
        lambda: run_backtests(args, variants, progress=lambda d, t: calls.append(d)),
        opts.rounds,
    )
    logger = logging.getLogger("barter")

    def at(level):
        def run():
            logger.setLevel(level)
            try:
                run_backtests(args, variants)
            finally:
                logger.setLevel(logging.NOTSET)
        return run

    compare(f"sweep of {opts.variants} (A logger WARNING, B logger DEBUG)", at(logging.WARNING), at(logging.DEBUG),
            opts.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
