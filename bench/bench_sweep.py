#!/usr/bin/env python3
"""Parameter sweep: a 10×10 ``SmaCross`` grid through ``barter_cy.run_backtests`` against
the same grid in vectorbt, measured in the same run (issue 7, "Benchmark").

Data: one seeded random walk of ``--prices`` trades (default 1,000,000) of one
instrument, binance_spot btc_usdt (instrument 0), written by ``bench/gen_market_data.py``
to ``bench/data/sweep_<N>_s<seed>.jsonl``; next to it a one-instrument system config
``sweep_config_fees<f>.json`` whose execution's ``fees_percent`` is ``--fees`` (a
fraction, charged on both sides).

Grid: fast = 5, 10, .., 50 and slow = 60, 80, .., 240 (100 variants), quantity 0.01 BTC
per entry, 1e9 USDT of cash, long only.

* barter_cy: ``run_backtests(args, variants, max_concurrent=1)`` and ``max_concurrent=2``,
  variants ``BacktestArgsDynamic(id, "0", strategy=SmaCross(fast, slow, q), fill="signal")``
  (fills at the price of the trade that produced the signal); plus one variant alone
  for events/s. Timed: the call plus reading each variant's PnL; the variants are built
  before the clock starts.
* vectorbt: ``vbt.MA.run`` over the windows (``run_unique=True``: 10 distinct windows per
  side), ``ma_crossed_above`` / ``ma_crossed_below``, one ``Portfolio.from_signals`` over
  all 100 columns (price = close of the crossing bar, ``size_type="amount"``, same fee
  fraction, ``direction="longonly"``) and ``total_return()``. numba's first-call JIT
  compile is kept out of the timings: a warm-up of the same pipeline on a small series
  runs first and is reported separately.

Loading (barter_cy: ``MarketDataInMemory.from_json_file``; vectorbt: reading the closes
from the same file) is excluded from both timings and reported separately. Each round
runs every side once, the order alternating between rounds; the table has medians and
the ratios are "paired" (median over rounds of the ratio within a round), which is what
to quote on a shared machine -- single absolute numbers are noisy there.

Cross-check (untimed): for ``--check FAST,SLOW`` the positions and PnL of both sides,
and for every variant barter_cy's PnL against vectorbt's total profit less the exit fee
of a position still open at the end (barter_cy closes it at the last price and pays
that fee, ``close_at_end=True``; vectorbt marks it to market without one).

vectorbt is NOT a dependency of barter_cy and is needed only for the vectorbt half::

    python -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install vectorbt

Either run this script with an interpreter that has both barter_cy and vectorbt, or
keep them apart: ``--vectorbt-python /tmp/venv-bench/bin/python`` runs the vectorbt
half in a worker process of that interpreter (timings are taken inside the worker).

Usage::

    python bench/bench_sweep.py [--prices 1000000] [--rounds 3] [--fees 0.001] [--seed 7]
                                [--only all|barter_cy|vectorbt] [--check 20,100]
                                [--vectorbt-python PATH] [--vectorbt-engine numba|auto|rust]
    /tmp/venv-bench/bin/python bench/bench_sweep.py --only vectorbt

Standard library only outside the two measured halves; progress on stderr, results
(Markdown) on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import _common as c

FASTS = tuple(range(5, 51, 5))  # 5, 10, .., 50
SLOWS = tuple(range(60, 241, 20))  # 60, 80, .., 240
QUANTITY = "0.01"
INIT_CASH = "1000000000"
EXCHANGE = "binance_spot"
#: Prices of the untimed vectorbt warm-up series (more than the largest slow window).
WARMUP_PRICES = 5_000
GOAL_VS_VECTORBT = 2.0
GOAL_SPEEDUP = 1.8

MISSING_BARTER_API = (
    "barter_cy's sweep API (issue 7) is not available in this interpreter: {reason}\n"
    "This benchmark needs barter_cy.strategy.SmaCross, BacktestArgsDynamic(..., strategy=, fill=) "
    "and summaries with .positions. Build/install barter_cy with that API, or run only the "
    "vectorbt half with --only vectorbt."
)
MISSING_VECTORBT = (
    "vectorbt is not importable with {python}: {reason}\n"
    "Install it in a venv of its own (it is not a barter_cy dependency):\n"
    "    python -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install vectorbt\n"
    "then run this script with /tmp/venv-bench/bin/python (with --only vectorbt if barter_cy "
    "is not installed there), or pass --vectorbt-python /tmp/venv-bench/bin/python."
)


# -- inputs ----------------------------------------------------------------------------


def ensure_data(prices: int, seed: int) -> Path:
    """The random-walk trades file (one instrument, index 0), generated if absent."""
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"sweep_{prices}_s{seed}.jsonl"
    if not path.exists():
        c.log(f"generating {path} ({prices:,} trades, seed {seed})...")
        tmp = path.with_suffix(".tmp")
        counts = gen_market_data.generate(tmp, prices, n_instruments=1, seed=seed, exchange=EXCHANGE)
        tmp.replace(path)
        c.log(f"generated {json.dumps(counts)}")
    return path


def write_config(fees: str) -> Path:
    """A system config with binance_spot btc_usdt only (so it is instrument 0) and one
    execution charging ``fees`` (a fraction) in ``fees_percent``."""
    config = {
        "instruments": [
            {
                "exchange": EXCHANGE,
                "name_exchange": "BTCUSDT",
                "underlying": {"base": "btc", "quote": "usdt"},
                "quote": "underlying_quote",
                "kind": "spot",
            }
        ],
        "executions": [
            {
                "mocked_exchange": EXCHANGE,
                "latency_ms": 0,
                "fees_percent": "@FEES@",
                "initial_state": {
                    "exchange": EXCHANGE,
                    "balances": [
                        {"asset": "usdt", "balance": {"total": int(INIT_CASH), "free": int(INIT_CASH)},
                         "time_exchange": "2024-12-20T00:00:00Z"},
                        {"asset": "btc", "balance": {"total": 0, "free": 0},
                         "time_exchange": "2024-12-20T00:00:00Z"},
                    ],
                    "instruments": [{"instrument": "BTCUSDT", "orders": []}],
                },
            }
        ],
    }
    # The fee goes in as the number exactly as given (no float round trip).
    text = json.dumps(config, indent=2).replace('"@FEES@"', fees)
    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"sweep_config_fees{fees}.json"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def read_closes(path: Path) -> list[float]:
    """Trade prices of instrument 0 in file order (reconnect markers skipped)."""
    closes = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            record = json.loads(line)
            item = record.get("Item")
            if item is None:
                continue
            item = item.get("Ok", item)
            trade = item["kind"].get("Trade")
            if trade is None or item["instrument"] != 0:
                raise SystemExit(f"{path}:{number}: expected a trade of instrument 0")
            closes.append(float(trade["price"]))
    return closes


def variant_id(fast: int, slow: int) -> str:
    return f"sma-{fast}-{slow}"


# -- vectorbt --------------------------------------------------------------------------


class VectorbtSide:
    """The vectorbt half. Everything vectorbt/numpy/pandas is imported here, so the rest
    of the script runs without them. Methods take and return JSON-able values, so the
    same object can serve a worker process (``--vectorbt-python``)."""

    def __init__(self, engine: str = "numba") -> None:
        try:
            import numpy as np
            import pandas as pd
            import vectorbt as vbt
        except Exception as exc:  # noqa: BLE001 - reported with install hints
            raise SystemExit(MISSING_VECTORBT.format(python=sys.executable, reason=f"{type(exc).__name__}: {exc}"))
        self.np, self.pd, self.vbt = np, pd, vbt
        if "engine" in vbt.settings:
            vbt.settings["engine"] = engine
        elif engine != "numba":
            raise SystemExit(f"vectorbt {vbt.__version__} has no engine setting (numba only)")
        self.engine = engine
        self.close = None

    def versions(self) -> dict:
        import numba

        rust = "not installed"
        try:
            import vectorbt_rust

            rust = vectorbt_rust.__version__
        except ImportError:
            pass
        return {
            "vectorbt": self.vbt.__version__, "numba": numba.__version__, "numpy": self.np.__version__,
            "pandas": self.pd.__version__, "vectorbt_rust": rust, "engine": self.engine,
            "python": sys.version.split()[0], "executable": sys.executable,
        }

    def setup(self, path: str, fasts: list[int], slows: list[int], fees: str, quantity: str, init_cash: str) -> dict:
        """Loads the closes (timed, reported as load) and keeps the grid."""
        start = time.perf_counter()
        closes = read_closes(Path(path))
        self.close = self.pd.Series(self.np.asarray(closes, dtype=self.np.float64), name="close")
        load_s = time.perf_counter() - start
        self.fasts, self.slows = list(fasts), list(slows)
        # Column k = (fasts[k // len(slows)], slows[k % len(slows)]), the order of the barter_cy variants.
        self.fast_w = [f for f in self.fasts for _ in self.slows]
        self.slow_w = [s for _ in self.fasts for s in self.slows]
        self.fees, self.quantity, self.init_cash = float(fees), float(quantity), float(init_cash)
        return {"load_s": load_s, "prices": len(self.close), "last_close": float(self.close.iloc[-1])}

    def _pipeline(self, close, fast_w, slow_w):
        """The timed work: indicators, signals, portfolio, total return per column."""
        vbt = self.vbt
        fast = vbt.MA.run(close, window=fast_w, short_name="fast", run_unique=True)
        slow = vbt.MA.run(close, window=slow_w, short_name="slow", run_unique=True)
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(
            close, entries, exits, size=self.quantity, size_type="amount", fees=self.fees,
            direction="longonly", init_cash=self.init_cash,
        )
        return pf, pf.total_return()

    def warmup(self, prices: int = WARMUP_PRICES) -> dict:
        """The same pipeline on the first ``prices`` closes, twice: the first call pays
        numba's JIT compile (or its load from numba's on-disk cache), the second is the
        warm cost of that small series."""
        small = self.close.iloc[:prices]
        first = time.perf_counter()
        self._pipeline(small, self.fast_w, self.slow_w)
        second = time.perf_counter()
        self._pipeline(small, self.fast_w, self.slow_w)
        end = time.perf_counter()
        return {"first_s": second - first, "second_s": end - second, "prices": len(small)}

    def run(self) -> dict:
        """One timed run of the whole grid; PnLs comparable to barter_cy's (untimed)."""
        c.settle()
        wall, cpu, (pf, total_return) = c.time_call(lambda: self._pipeline(self.close, self.fast_w, self.slow_w))
        np = self.np
        profit = np.asarray(pf.total_profit(), dtype=np.float64)
        records = pf.trades.values
        open_size = np.zeros(len(profit))
        still_open = records["status"] == 0
        np.add.at(open_size, records["col"][still_open], records["size"][still_open])
        last = float(self.close.iloc[-1])
        # barter_cy closes an open position at the last price and pays the exit fee.
        closed_at_end = profit - self.fees * open_size * last
        result = {
            "wall_s": wall, "cpu_s": cpu,
            "total_return": [float(x) for x in np.asarray(total_return)],
            "pnl_closed_at_end": [float(x) for x in closed_at_end],
            "open_at_end": int(still_open.sum()),
        }
        del pf, total_return, records
        c.settle()
        return result

    def crosscheck(self, fast: int, slow: int) -> dict:
        """Trades of one (fast, slow) pair (untimed)."""
        pf, _ = self._pipeline(self.close, [fast], [slow])
        t = pf.trades.values
        closed = t["status"] == 1
        last = float(self.close.iloc[-1])
        open_fee = float(self.fees * t["size"][~closed].sum() * last)
        exact = self._exact_rule(fast, slow, t["entry_idx"], t["exit_idx"], t["status"])
        return {
            "exact": exact,
            "entries": int(len(t)),
            "closed": int(closed.sum()),
            "open": int((~closed).sum()),
            "pnl_closed": float(t["pnl"][closed].sum()),
            "pnl_open_unrealised": float(t["pnl"][~closed].sum()),
            "total_profit": float(pf.total_profit()),
            "pnl_closed_at_end": float(pf.total_profit()) - open_fee,
            "first_entry_idx": int(t["entry_idx"][0]) if len(t) else None,
            "pairs": [[float(a), float(b) if s == 1 else last] for a, b, s in
                      zip(t["entry_price"], t["exit_price"], t["status"])],
            "entry_idx": [int(i) for i in t["entry_idx"]],
        }


    def _exact_rule(self, fast: int, slow: int, v_entry, v_exit, v_status) -> dict | None:
        """SmaCross by issue 7's rule in exact integer arithmetic (prices in cents, so
        only for prices with at most 2 decimals): enter at bar i >= slow when
        fast_sum*slow vs slow_sum*fast was <= 0 at i-1 and is > 0 at i, exit on >= then
        <; fills at bar i's close, an open position sold at the last close. Tells float
        rounding and exact ties of the two SMAs (where vectorbt's float MAs may fall
        either way) apart from real differences."""
        np = self.np
        close = self.close.to_numpy()
        cents = np.rint(close * 100).astype(np.int64)
        if not np.array_equal(cents / 100, close):
            return None
        csum = np.concatenate([[0], np.cumsum(cents)])
        i = np.arange(slow - 1, len(close))
        d = np.sign((csum[i + 1] - csum[i + 1 - fast]) * slow - (csum[i + 1] - csum[i + 1 - slow]) * fast)
        up = np.flatnonzero((d[:-1] <= 0) & (d[1:] > 0)) + slow  # bar indices
        down = np.flatnonzero((d[:-1] >= 0) & (d[1:] < 0)) + slow
        entries, exits = [], []
        k = 0
        for e in up:
            if exits and e < exits[-1]:
                continue  # still in the position
            entries.append(int(e))
            k = np.searchsorted(down, e, side="right")
            exits.append(int(down[k]) if k < len(down) else len(close) - 1)
        q, f = self.quantity, self.fees
        pe, px = close[entries], close[exits]
        pnl = float(np.sum(q * (px - pe) - f * q * (pe + px)))
        v_exit_bars = np.where(v_status == 1, v_exit, len(close) - 1)
        same = 0
        for a, b, va, vb in zip(entries, exits, v_entry, v_exit_bars):
            if (a, b) != (int(va), int(vb)):
                break
            same += 1
        first = None if (same == len(entries) == len(v_entry)) else same
        return {
            "positions": len(entries), "pnl": pnl, "ties": int((d == 0).sum()),
            "same_prefix": same, "first_diff": first,
            "first_diff_bars": None if first is None else {
                "exact": [entries[first], exits[first]] if first < len(entries) else None,
                "vectorbt": [int(v_entry[first]), int(v_exit_bars[first])] if first < len(v_entry) else None},
            "above_at_first_bar": bool(d[0] > 0),
            "first_entry": entries[0] if entries else None,
        }


def remote_vectorbt(python: str, engine: str) -> c.RemoteSide:
    """``VectorbtSide`` in a worker process of another interpreter."""
    command = [python, str(Path(__file__).resolve()), "--vectorbt-worker", "--vectorbt-engine", engine]
    return c.RemoteSide(command, "vectorbt")


def worker_main(engine: str) -> int:
    return c.serve_side(lambda: VectorbtSide(engine))


# -- barter_cy -------------------------------------------------------------------------


class BarterSide:
    """The barter_cy half, against issue 7's API."""

    def __init__(self) -> None:
        try:
            import barter_cy
            from barter_cy import (BacktestArgsConstant, BacktestArgsDynamic, MarketDataInMemory, SystemConfig,
                                   run_backtests)
            from barter_cy.strategy import SmaCross
        except Exception as exc:  # noqa: BLE001 - reported with a hint
            raise SystemExit(MISSING_BARTER_API.format(reason=f"{type(exc).__name__}: {exc}"))
        try:
            BacktestArgsDynamic("probe", "0", strategy=SmaCross(5, 60, QUANTITY), fill="signal")
        except Exception as exc:  # noqa: BLE001 - e.g. TypeError (no strategy=), a native part not built yet
            raise SystemExit(MISSING_BARTER_API.format(reason=f"{type(exc).__name__}: {exc}"))
        self.barter_cy = barter_cy
        self.Constant, self.Dynamic, self.MarketData = BacktestArgsConstant, BacktestArgsDynamic, MarketDataInMemory
        self.SystemConfig, self.run_backtests, self.SmaCross = SystemConfig, run_backtests, SmaCross

    def setup(self, data: Path, config_path: Path, fasts, slows) -> dict:
        config = self.SystemConfig.from_json(config_path)
        load_s, _, md = c.time_call(lambda: self.MarketData.from_json_file(data))
        args_s, _, args = c.time_call(lambda: self.Constant(
            config, md, summary_interval="daily",
            initial_balances=[{"exchange": EXCHANGE, "asset": "usdt", "total": INIT_CASH, "free": INIT_CASH}],
        ))
        if args.instrument_count != 1:
            raise SystemExit(f"expected one instrument in {config_path}, got {args.instrument_count}")
        self.md, self.args = md, args
        self.grid = [(f, s) for f in fasts for s in slows]
        self.variants = [self.variant(f, s) for f, s in self.grid]
        return {"load_s": load_s, "args_s": args_s, "items": md.item_count, "names": config.instrument_names}

    def variant(self, fast: int, slow: int):
        return self.Dynamic(variant_id(fast, slow), "0", strategy=self.SmaCross(fast, slow, QUANTITY), fill="signal")

    def run(self, variants, max_concurrent: int) -> dict:
        def call():
            multi = self.run_backtests(self.args, variants, max_concurrent=max_concurrent)
            pnls = [sum(sheet.pnl for sheet in s.trading_summary.instruments.values()) for s in multi.summaries]
            return multi, pnls

        c.settle()
        wall, cpu, (multi, pnls) = c.time_call(call)
        ids = [s.id for s in multi.summaries]
        if ids != [v.id for v in variants]:
            raise SystemExit(f"run_backtests returned summaries out of order or missing: {ids[:5]}...")
        del multi
        return {"wall_s": wall, "cpu_s": cpu, "pnl": [float(p) for p in pnls]}

    def crosscheck(self, fast: int, slow: int) -> dict:
        summary = self.run_backtests(self.args, [self.variant(fast, slow)], max_concurrent=1).summaries[0]
        positions = list(summary.positions)
        return {
            "positions": len(positions),
            "pnl_positions": sum((p.pnl for p in positions), Decimal(0)),
            "pnl_summary": sum((t.pnl for t in summary.trading_summary.instruments.values()), Decimal(0)),
            "fees": sum((p.fees for p in positions), Decimal(0)),
            "rejected_orders": getattr(summary, "rejected_orders", None),
            "pairs": [[float(p.price_entry), float(p.price_exit)] for p in positions],
        }


# -- report ----------------------------------------------------------------------------


def stats_row(label: str, samples: list[float], cpu: list[float], variants: int, prices: int, cores: int) -> list:
    wall = c.median(samples)
    events = variants * prices
    return [
        label, variants, cores, c.fmt_s(wall), c.fmt_s(min(samples)), c.fmt_s(max(samples)),
        c.fmt_s(c.median(cpu)) if cpu else "–",
        f"{variants / wall:,.1f}", f"{events / wall / 1e6:,.2f} M", f"{events / wall / cores / 1e6:,.2f} M",
    ]


def paired(num: list[float], den: list[float]) -> float:
    return c.median([a / b for a, b in zip(num, den)])


def compare_pairs(a: list, b: list) -> tuple[int, int | None]:
    """(matching prefix length, index of the first mismatch or None)."""
    for i, (x, y) in enumerate(zip(a, b)):
        if abs(x[0] - y[0]) > 1e-6 * abs(x[0]) or abs(x[1] - y[1]) > 1e-6 * abs(x[1]):
            return i, i
    n = min(len(a), len(b))
    return n, (None if len(a) == len(b) else n)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prices", type=int, default=1_000_000, help="trades in the random walk (default 1,000,000)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--fees", default="0.001", help="fee fraction, both sides (default 0.001)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=("all", "barter_cy", "vectorbt"), default="all")
    ap.add_argument("--check", default="20,100", help="FAST,SLOW pair for the cross-check (default 20,100)")
    ap.add_argument("--vectorbt-python", help="run the vectorbt half in a worker of this interpreter")
    ap.add_argument("--vectorbt-engine", choices=("numba", "auto", "rust"), default="numba",
                    help="vectorbt's settings['engine'] (default numba; 'rust' needs vectorbt-rust)")
    ap.add_argument("--vectorbt-worker", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.vectorbt_worker:
        return worker_main(opts.vectorbt_engine)
    if opts.prices < WARMUP_PRICES or opts.rounds < 1:
        ap.error(f"--prices must be >= {WARMUP_PRICES} and --rounds >= 1")
    try:
        fees = Decimal(opts.fees)
    except InvalidOperation:
        ap.error(f"--fees must be a decimal fraction, got {opts.fees!r}")
    if not (fees.is_finite() and 0 <= fees < 1):
        ap.error("--fees must be in [0, 1)")
    try:
        check = tuple(int(x) for x in opts.check.split(","))
        assert len(check) == 2 and check[0] in FASTS and check[1] in SLOWS
    except (ValueError, AssertionError):
        ap.error(f"--check must be FAST,SLOW from the grid ({FASTS} x {SLOWS})")
    want_barter = opts.only in ("all", "barter_cy")
    want_vbt = opts.only in ("all", "vectorbt")

    # Fail early, before generating anything, if a half cannot run.
    barter = BarterSide() if want_barter else None
    vbt = None
    if want_vbt:
        vbt = remote_vectorbt(opts.vectorbt_python, opts.vectorbt_engine) if opts.vectorbt_python \
            else VectorbtSide(opts.vectorbt_engine)
        versions = vbt.versions()
        c.log(f"vectorbt side: {json.dumps(versions)}")

    data = ensure_data(opts.prices, opts.seed)
    config_path = write_config(opts.fees)
    fasts, slows = list(FASTS), list(SLOWS)
    n_var = len(fasts) * len(slows)
    setup: dict = {}
    if barter is not None:
        c.log("barter_cy: loading market data...")
        setup["barter"] = barter.setup(data, config_path, fasts, slows)
        if setup["barter"]["items"] != opts.prices:
            raise SystemExit(f"barter_cy loaded {setup['barter']['items']} items, expected {opts.prices}")
        c.log("barter_cy: untimed warm-up (one variant)")
        barter.run([barter.variants[0]], 1)
    if vbt is not None:
        c.log("vectorbt: loading closes...")
        setup["vbt"] = vbt.setup(path=str(data), fasts=fasts, slows=slows, fees=opts.fees, quantity=QUANTITY,
                                 init_cash=INIT_CASH)
        if setup["vbt"]["prices"] != opts.prices:
            raise SystemExit(f"read {setup['vbt']['prices']} closes, expected {opts.prices}")
        c.log(f"vectorbt: warm-up on {WARMUP_PRICES:,} prices (numba JIT)")
        setup["warmup"] = vbt.warmup(prices=WARMUP_PRICES)

    samples: dict[str, list] = {k: [] for k in ("b1", "b2", "b1v", "vbt")}
    cpu: dict[str, list] = {k: [] for k in samples}
    results: dict[str, dict] = {}
    steps = []
    if barter is not None:
        single = [barter.variant(*check)]
        steps += [("b1", lambda: barter.run(barter.variants, 1)), ("b2", lambda: barter.run(barter.variants, 2)),
                  ("b1v", lambda: barter.run(single, 1))]
    if vbt is not None:
        steps.append(("vbt", lambda: vbt.run()))
    for index in range(opts.rounds):
        order = steps if index % 2 == 0 else steps[::-1]
        for key, step in order:
            c.log(f"round {index + 1}/{opts.rounds}: {key}")
            result = step()
            samples[key].append(result["wall_s"])
            cpu[key].append(result["cpu_s"])
            results[key] = result
            c.log(f"  {c.fmt_s(result['wall_s'])} wall, {c.fmt_s(result['cpu_s'])} CPU")

    # -- tables --
    print(f"## SmaCross sweep: {n_var} variants (fast {fasts[0]}..{fasts[-1]} x slow {slows[0]}..{slows[-1]}) "
          f"on {opts.prices:,} trades\n")
    print(c.environment_note())
    if vbt is not None:
        print(f"vectorbt {versions['vectorbt']}, numba {versions['numba']}, numpy {versions['numpy']}, "
              f"pandas {versions['pandas']}, engine {versions['engine']} (vectorbt-rust: {versions['vectorbt_rust']}), "
              f"Python {versions['python']}")
    print(f"Data {data.relative_to(c.ROOT)}, config {config_path.relative_to(c.ROOT)}, fees {opts.fees} both sides, "
          f"quantity {QUANTITY}, {opts.rounds} rounds alternating; the machine is shared, so quote the paired ratios.\n")
    header = ["Run", "Variants", "Cores", "Median wall", "Min", "Max", "CPU (median)", "Variants/s",
              "Events/s", "Events/s per core"]
    rows = []
    if barter is not None:
        rows.append(stats_row("barter_cy run_backtests, max_concurrent=1", samples["b1"], cpu["b1"], n_var, opts.prices, 1))
        rows.append(stats_row("barter_cy run_backtests, max_concurrent=2", samples["b2"], cpu["b2"], n_var, opts.prices, 2))
        rows.append(stats_row(f"barter_cy one variant {check}", samples["b1v"], cpu["b1v"], 1, opts.prices, 1))
    if vbt is not None:
        rows.append(stats_row("vectorbt MA.run + crossed + from_signals + total_return", samples["vbt"], cpu["vbt"],
                              n_var, opts.prices, 1))
    print(c.markdown_table(header, rows))

    print()
    once = []
    if barter is not None:
        once.append(["barter_cy load (MarketDataInMemory.from_json_file)", c.fmt_s(setup["barter"]["load_s"])])
        once.append(["barter_cy BacktestArgsConstant", c.fmt_s(setup["barter"]["args_s"])])
    if vbt is not None:
        w = setup["warmup"]
        once.append(["vectorbt load (closes from the same file, json)", c.fmt_s(setup["vbt"]["load_s"])])
        once.append([f"vectorbt warm-up, first call on {w['prices']:,} prices (numba JIT / cache load)",
                     c.fmt_s(w["first_s"])])
        once.append([f"vectorbt same call again, warm ({w['prices']:,} prices)", c.fmt_s(w["second_s"])])
    print(c.markdown_table(["Untimed, once", "Wall"], once))

    if barter is not None and vbt is not None:
        print()
        ratio_rows = []
        for label, num, den, goal in (
            ("barter_cy (2 threads) ÷ vectorbt throughput", samples["vbt"], samples["b2"], GOAL_VS_VECTORBT),
            ("barter_cy (1 thread) ÷ vectorbt throughput", samples["vbt"], samples["b1"], None),
            ("barter_cy 2 threads ÷ 1 thread speedup", samples["b1"], samples["b2"], GOAL_SPEEDUP),
        ):
            p = paired(num, den)
            ratio_rows.append([label, f"{p:.2f}x", c.fmt_ratio(c.median(num), c.median(den)),
                               f"≥ {goal}x" if goal else "–", ("met" if p >= goal else "NOT met") if goal else "–"])
        print(c.markdown_table(["Ratio", "Paired (median of rounds)", "Of medians", "Goal", ""], ratio_rows))
    elif barter is not None:
        print(f"\nbarter_cy 2 threads ÷ 1 thread speedup: {paired(samples['b1'], samples['b2']):.2f}x "
              f"(goal ≥ {GOAL_SPEEDUP}x)")

    # -- cross-check --
    print(f"\n### Cross-check, fast={check[0]} slow={check[1]} (untimed)\n")
    vc = vbt.crosscheck(fast=check[0], slow=check[1]) if vbt is not None else None
    bc = barter.crosscheck(*check) if barter is not None else None
    ex = vc["exact"] if vc is not None else None
    rows = []
    if bc is not None:
        rows.append([f"barter_cy (fill=signal, close_at_end; {bc['rejected_orders']} rejected orders)", bc["positions"], "–", f"{bc['pnl_positions']:.6f}",
                     f"{bc['pnl_summary']:.6f}", f"{bc['fees']:.6f}"])
    if vc is not None:
        rows.append([f"vectorbt (fills at the crossing bar's close; first entry at bar {vc['first_entry_idx']})",
                     vc["entries"], vc["open"], f"{vc['pnl_closed'] + vc['pnl_open_unrealised']:.6f}",
                     f"{vc['total_profit']:.6f}", "–"])
        rows.append(["vectorbt, an open position sold at the last close less its exit fee (barter_cy's definition)",
                     vc["entries"], 0, f"{vc['pnl_closed_at_end']:.6f}", f"{vc['pnl_closed_at_end']:.6f}", "–"])
    if ex is not None:
        rows.append([f"issue 7's rule in exact integer SMA sums (first entry at bar {ex['first_entry']})",
                     ex["positions"], 0, f"{ex['pnl']:.6f}", f"{ex['pnl']:.6f}", "–"])
    print(c.markdown_table(["Side", "Positions", "Open at end", "Σ position PnL", "Total PnL", "Fees"], rows))
    if ex is not None:
        print(f"\nvectorbt vs the exact rule: same (entry, exit) bars for the first {ex['same_prefix']} positions"
              + ("" if ex["first_diff"] is None else
                 f", then {ex['first_diff_bars']['vectorbt']} vs {ex['first_diff_bars']['exact']} (bars, 0-based)")
              + f"; {ex['ties']} bars where the two SMAs are exactly equal (float MAs may put those on either side).")
    if bc is not None and vc is not None:
        same, first = compare_pairs(bc["pairs"], vc["pairs"])
        diff = float(bc["pnl_summary"]) - vc["pnl_closed_at_end"]
        print(f"barter_cy vs vectorbt: (entry, exit) prices equal in order for {same} of {bc['positions']} / "
              f"{vc['entries']} positions"
              + ("" if first is None else f"; first difference at position {first}: barter_cy "
                 f"{bc['pairs'][first] if first < len(bc['pairs']) else None} vs vectorbt "
                 f"{vc['pairs'][first] if first < len(vc['pairs']) else None}")
              + f"; PnL barter_cy − vectorbt (sold at end): {diff:.6f}"
              + ("" if ex is None else f"; barter_cy − exact rule: {float(bc['pnl_summary']) - ex['pnl']:.6f}") + ".")
        pb, pv = results["b2"]["pnl"], results["vbt"]["pnl_closed_at_end"]
        diffs = [abs(a - b) for a, b in zip(pb, pv)]
        off = [(fasts[k // len(slows)], slows[k % len(slows)]) for k, d in enumerate(diffs) if d > 0.01]
        print(f"All {n_var} variants: max |PnL barter_cy − vectorbt (sold at end)| = {max(diffs):.6f}; "
              f"{len(off)} differ by more than 0.01" + (f": {off[:10]}" if off else "")
              + f" ({results['vbt']['open_at_end']} vectorbt variants hold a position at the end).")
    if vc is not None:
        print("\nDefinitions: vectorbt's ma_crossed_above fires when fast > slow now and was not on the previous "
              "bar, but only once fast < slow (strictly) has been seen since both MAs exist (bar slow-1, 0-based); "
              "its MAs are float rolling means. Issue 7's rule is 'was ≤ on the previous price, is > now', no signal "
              "before slow prices were seen. Both agree (up to exact ties) if barter_cy's first possible signal is "
              "at bar slow (it needs a previous comparison); if barter_cy instead enters at bar slow-1 when "
              "fast > slow there, it has one extra first position"
              + ("" if ex is None else f" (for this pair fast {'>' if ex['above_at_first_bar'] else '≤'} slow "
                 f"at bar {check[1] - 1})")
              + ". An open position at the end: vectorbt marks it to market without an exit fee, barter_cy "
              "(close_at_end=True) sells it at the last price and pays the fee.")
    if isinstance(vbt, c.RemoteSide):
        vbt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
