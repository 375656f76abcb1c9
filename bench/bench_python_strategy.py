#!/usr/bin/env python3
"""Strategies written in Python: the per-event cost of a ``barter_cy.strategy.Strategy``
called from the Rust engine, against the built-in Rust ``SmaCross`` and against
**backtesting.py** (PyPI ``backtesting``) running its documented SmaCross example on the
same closes, measured in the same run (issue 8, "Benchmark").

Data: one seeded random walk of ``--prices`` prices (default 100,000): start 10,000,
steps of ±0.25 / 0.5 / 1.0, one trade a second of one instrument (binance_spot btc_usdt,
instrument 0), built in memory (``MarketDataInMemory.from_json_str``; nothing is written).
The prices are multiples of 0.25, so they and the running sums of a float SMA are exact
in binary: a float SMA cross then decides exactly as the built-in one (exact decimals),
and the "must be equal" cross-check tests the engine, not rounding. With prices such as
cents, float SMAs may fall either way where the two SMAs are exactly equal.

Runs (each a whole backtest; per-event cost = wall ÷ prices):

1. ``SmaCross(10, 30, 1)``, the built-in Rust strategy;
2. a Python ``Strategy`` whose ``on_event`` does nothing;
3. ``PySmaCross(10, 30, 1)``, the same rule in Python on float running sums (as a quant
   would write it): enter when SMA(10) − SMA(30) goes from ≤ 0 to > 0, exit when it goes
   from ≥ 0 to < 0, no signal before 30 prices were seen;
4. backtesting.py's documented SmaCross (``self.I(SMA, ...)`` in ``init``,
   ``crossover`` in ``next``, ``self.buy()`` / ``self.position.close()``): one OHLC bar
   per price (Open = High = Low = Close), a DatetimeIndex of one bar a second,
   ``commission`` = the same fee fraction, ``trade_on_close=True`` (fills at the signal
   bar's close, like ``fill="signal"``), ``exclusive_orders=True``, cash 10,000,000.
   Timed: ``Backtest(...).run()`` (indicators, the bar loop and its statistics), with
   its tqdm progress bar switched off;

and two references: ``BuyAndHold(1)`` (the built-in path with no per-event strategy
work: one order, then nothing) and ``PySmaCross.on_event`` called in a plain Python loop
with a stand-in ``ctx`` (the strategy's own Python, without the engine). All barter_cy
runs use ``fill="signal"``, the fee ``--fees`` on both sides, 10,000,000 USDT and
``close_at_end=True``.

Each round runs every side once, the order alternating between rounds; the table has
medians, and the ratios are "paired" (median over rounds of the ratio, or difference,
within a round), which is what to quote on a shared machine. Untimed: building the data,
a warm-up of every barter_cy run and of backtesting.py (on 2,000 prices), and the
cross-check (trades and total PnL of every side, and backtesting.py again with
``self.buy(size=1)`` so its PnL is comparable to barter_cy's fixed quantity of 1).

backtesting.py is NOT a dependency of barter_cy and is needed only for its half::

    python -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install backtesting

then ``--backtesting-python /tmp/venv-bench/bin/python`` runs that half in a worker
process of that interpreter (timings are taken inside the worker), or run this script
with an interpreter that has both barter_cy and backtesting.

Usage::

    python bench/bench_python_strategy.py [--prices 100000] [--rounds 7] [--fees 0.001]
                                          [--seed 7] [--quick] [--backtesting-python PATH]

Progress on stderr, results (Markdown) on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path

import _common as c

FAST, SLOW = 10, 30
QUANTITY = 1  # base units per entry (backtesting.py reads an int ≥ 1 as units)
INIT_CASH = 10_000_000
START_PRICE = 10_000.0
TICKS = (0.25, 0.5, 1.0)
T0_NS = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
STEP_NS = 1_000_000_000  # one trade a second
EXCHANGE = "binance_spot"
WARMUP_PRICES = 2_000
GOAL_CALLBACK_NS = 1_000.0
GOAL_VS_BACKTESTING = 10.0

MISSING_BACKTESTING = (
    "backtesting.py is not importable with {python}: {reason}\n"
    "Install it in a venv of its own (it is not a barter_cy dependency):\n"
    "    python -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install backtesting\n"
    "and pass --backtesting-python /tmp/venv-bench/bin/python."
)


# -- inputs ----------------------------------------------------------------------------


def random_walk(n: int, seed: int) -> list[float]:
    """Seeded walk on a 0.25 grid (exact in binary), floored at 1.0."""
    rng = random.Random(seed)
    prices, p = [], START_PRICE
    for _ in range(n):
        p = max(1.0, p + rng.choice((-1, 1)) * rng.choice(TICKS))
        prices.append(p)
    return prices


# -- barter_cy -------------------------------------------------------------------------

try:
    from barter_cy.strategy import Strategy as _StrategyBase
except Exception as exc:  # noqa: BLE001 - the worker process needs no barter_cy
    _StrategyBase = object
    _BARTER_IMPORT_ERROR: Exception | None = exc
else:
    _BARTER_IMPORT_ERROR = None


class EmptyStrategy(_StrategyBase):  # type: ignore[misc, valid-type]
    """A Python strategy that does nothing: the cost of the callback itself."""

    def on_event(self, ctx):
        pass


class PySmaCross(_StrategyBase):  # type: ignore[misc, valid-type]
    """The built-in SmaCross rule in Python, on float running sums."""

    def __init__(self, fast, slow, quantity):
        self.fast, self.slow, self.quantity = fast, slow, quantity
        self.prices = []
        self.fast_sum = 0.0
        self.slow_sum = 0.0
        self.before = None

    def on_event(self, ctx):
        price = ctx.price
        prices = self.prices
        prices.append(price)
        n = len(prices)
        self.fast_sum += price
        self.slow_sum += price
        if n > self.fast:
            self.fast_sum -= prices[n - 1 - self.fast]
        if n > self.slow:
            self.slow_sum -= prices[n - 1 - self.slow]
        elif n < self.slow:
            return
        now = self.fast_sum / self.fast - self.slow_sum / self.slow
        before, self.before = self.before, now
        if before is None or ctx.order_in_flight:
            return
        position = ctx.position
        if position == 0 and before <= 0 < now:
            ctx.buy(self.quantity)
        elif position > 0 and before >= 0 > now:
            ctx.sell(position)


class StandInContext:
    """What ``PySmaCross`` reads and calls on ``ctx``, without an engine (fills at once)."""

    __slots__ = ("price", "position", "order_in_flight")

    def __init__(self) -> None:
        self.price, self.position, self.order_in_flight = 0.0, 0.0, False

    def buy(self, quantity) -> None:
        self.position += quantity

    def sell(self, quantity) -> None:
        self.position -= quantity


class BarterSide:
    def __init__(self) -> None:
        if _BARTER_IMPORT_ERROR is not None:
            raise SystemExit(f"barter_cy is not importable with {sys.executable}: {_BARTER_IMPORT_ERROR}")
        import barter_cy
        from barter_cy.backtest import backtest
        from barter_cy.data import ns_to_rfc3339
        from barter_cy.strategy import BuyAndHold, SmaCross

        self.barter_cy, self.backtest, self.ns_to_rfc3339 = barter_cy, backtest, ns_to_rfc3339
        self.strategies = {
            "builtin": SmaCross(FAST, SLOW, QUANTITY),
            "bh": BuyAndHold(QUANTITY),
            "empty": EmptyStrategy(),
            "pysma": PySmaCross(FAST, SLOW, QUANTITY),
        }

    def setup(self, prices: list[float], fees: str) -> dict:
        bc = self.barter_cy
        start = time.perf_counter()
        lines = []
        for i, p in enumerate(prices):
            t = self.ns_to_rfc3339(T0_NS + i * STEP_NS)
            lines.append(
                f'{{"Item":{{"time_exchange":"{t}","time_received":"{t}","exchange":"{EXCHANGE}","instrument":0,'
                f'"kind":{{"Trade":{{"id":"{i}","price":{p!r},"amount":1.0,"side":"Buy"}}}}}}}}'
            )
        md = bc.MarketDataInMemory.from_json_str("\n".join(lines))
        load_s = time.perf_counter() - start
        config = bc.SystemConfig.from_dict({
            "instruments": [{
                "exchange": EXCHANGE, "name_exchange": "BTCUSDT",
                "underlying": {"base": "btc", "quote": "usdt"}, "quote": "underlying_quote", "kind": "spot",
            }],
            "executions": [{
                "mocked_exchange": EXCHANGE, "latency_ms": 0, "fees_percent": float(fees),
                "initial_state": {"exchange": EXCHANGE, "balances": [
                    {"asset": "usdt", "balance": {"total": INIT_CASH, "free": INIT_CASH},
                     "time_exchange": "2023-01-01T00:00:00Z"},
                    {"asset": "btc", "balance": {"total": 0, "free": 0}, "time_exchange": "2023-01-01T00:00:00Z"},
                ], "instruments": []},
            }],
        })
        balances = [{"exchange": EXCHANGE, "asset": "usdt", "total": INIT_CASH, "free": INIT_CASH}]
        self.args = bc.BacktestArgsConstant(config, md, "daily", initial_balances=balances)
        self.prices = prices
        if md.item_count != len(prices):
            raise SystemExit(f"loaded {md.item_count} items, expected {len(prices)}")
        return {"load_s": load_s}

    def run(self, key: str) -> dict:
        dynamic = self.barter_cy.BacktestArgsDynamic(key, 0, strategy=self.strategies[key], fill="signal")
        c.settle()
        wall, cpu, summary = c.time_call(lambda: self.backtest(self.args, dynamic))
        self.last = getattr(self, "last", {})
        self.last[key] = summary
        return {"wall_s": wall, "cpu_s": cpu}

    def plain_loop(self) -> dict:
        """``PySmaCross.on_event`` in a Python loop over the prices (no engine)."""
        strategy = PySmaCross(FAST, SLOW, QUANTITY)
        ctx = StandInContext()
        on_event = strategy.on_event
        prices = self.prices

        def loop():
            for p in prices:
                ctx.price = p
                on_event(ctx)

        c.settle()
        wall, cpu, _ = c.time_call(loop)
        return {"wall_s": wall, "cpu_s": cpu}

    def crosscheck(self) -> dict:
        out = {}
        for key in ("builtin", "pysma"):
            s = self.last[key]
            out[key] = {
                "positions": len(s.positions), "pnl": s.pnl, "rejected": s.rejected_orders,
                "bars": [((p.time_enter_ns - T0_NS) // STEP_NS, (p.time_exit_ns - T0_NS) // STEP_NS)
                         for p in s.positions],
                "fees": sum((p.fees for p in s.positions), Decimal(0)),
            }
        b, p = self.last["builtin"], self.last["pysma"]
        out["equal"] = b.positions == p.positions and b.pnl == p.pnl and _same_but_strategy(b, p)
        return out


def _same_but_strategy(a, b) -> bool:
    """Summaries equal apart from the id and the strategy they name."""
    da, db = json.loads(a.to_json()), json.loads(b.to_json())
    for d in (da, db):
        d.pop("id", None)
        d.pop("strategy", None)
    return da == db


# -- backtesting.py --------------------------------------------------------------------


class BacktestingSide:
    """The backtesting.py half. Everything backtesting/numpy/pandas is imported here;
    methods take and return JSON-able values, so the same object can serve a worker
    process (``--backtesting-python``)."""

    def __init__(self) -> None:
        try:
            import numpy as np
            import pandas as pd
            import backtesting
            import backtesting.backtesting as bt_module
            from backtesting import Backtest, Strategy
            from backtesting.lib import crossover
            from backtesting.test import SMA
        except Exception as exc:  # noqa: BLE001 - reported with install hints
            raise SystemExit(MISSING_BACKTESTING.format(python=sys.executable, reason=f"{type(exc).__name__}: {exc}"))
        # The progress bar (tqdm, when installed) is display only: off.
        bt_module._tqdm = lambda seq, **_: seq
        self.np, self.pd, self.backtesting, self.Backtest = np, pd, backtesting, Backtest

        class SmaCross(Strategy):
            """backtesting.py's documented SmaCross, long only."""

            n1 = FAST
            n2 = SLOW

            def init(self):
                close = self.data.Close
                self.sma1 = self.I(SMA, close, self.n1)
                self.sma2 = self.I(SMA, close, self.n2)

            def next(self):
                if crossover(self.sma1, self.sma2):
                    self.buy()
                elif crossover(self.sma2, self.sma1):
                    self.position.close()

        class SmaCrossFixedSize(SmaCross):
            """The same with barter_cy's fixed quantity (cross-check only, untimed)."""

            def next(self):
                if crossover(self.sma1, self.sma2):
                    self.buy(size=QUANTITY)
                elif crossover(self.sma2, self.sma1):
                    self.position.close()

        self.strategies = {"documented": SmaCross, "fixed": SmaCrossFixedSize}

    def versions(self) -> dict:
        return {"backtesting": self.backtesting.__version__, "numpy": self.np.__version__,
                "pandas": self.pd.__version__, "python": sys.version.split()[0], "executable": sys.executable}

    def setup(self, prices: list[float], fees: str) -> dict:
        np, pd = self.np, self.pd
        close = np.asarray(prices, dtype=np.float64)
        index = pd.date_range(pd.Timestamp(T0_NS, unit="ns"), periods=len(close), freq="s")
        self.df = pd.DataFrame({"Open": close, "High": close, "Low": close, "Close": close}, index=index)
        self.fees = float(fees)
        return {"bars": len(self.df)}

    def _run(self, df, kind: str):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Some trades remain open at the end of backtest"
            return self.Backtest(df, self.strategies[kind], cash=INIT_CASH, commission=self.fees,
                                 trade_on_close=True, exclusive_orders=True).run()

    def warmup(self, prices: int) -> dict:
        start = time.perf_counter()
        self._run(self.df.iloc[:prices], "documented")
        return {"wall_s": time.perf_counter() - start, "prices": prices}

    def run(self) -> dict:
        c.settle()
        wall, cpu, stats = c.time_call(lambda: self._run(self.df, "documented"))
        self.last = stats
        return {"wall_s": wall, "cpu_s": cpu}

    def _describe(self, stats) -> dict:
        """Round trips and the total PnL as barter_cy defines it: an open position sold
        at the last close, paying the exit fee."""
        trades = stats["_trades"]
        still_open = list(stats["_strategy"].trades)
        last = float(self.df["Close"].iloc[-1])
        open_size = sum(abs(t.size) for t in still_open)
        pnl = float(stats["Equity Final [$]"]) - INIT_CASH - self.fees * open_size * last
        bars = [[int(a), int(b)] for a, b in zip(trades["EntryBar"], trades["ExitBar"])]
        bars += [[int(t.entry_bar), len(self.df) - 1] for t in still_open]
        sizes = [float(s) for s in trades["Size"]] + [float(t.size) for t in still_open]
        return {"closed": len(trades), "open": len(still_open), "pnl": pnl, "bars": bars,
                "mean_size": sum(sizes) / len(sizes) if sizes else 0.0,
                "first_entry": bars[0][0] if bars else None}

    def crosscheck(self) -> dict:
        return {"documented": self._describe(self.last), "fixed": self._describe(self._run(self.df, "fixed"))}


def remote_backtesting(python: str) -> c.RemoteSide:
    """``BacktestingSide`` in a worker process of another interpreter."""
    return c.RemoteSide([python, str(Path(__file__).resolve()), "--backtesting-worker"], "backtesting.py")


def worker_main() -> int:
    return c.serve_side(BacktestingSide)


# -- exact rules (cross-check) ---------------------------------------------------------


def exact_rules(prices: list[float], fees: float) -> dict:
    """SMA(FAST) − SMA(SLOW) in exact integer ticks, and two rules on it, each filling at
    the signal bar's price and selling an open position at the last price:

    * barter_cy's: enter on ≤ 0 → > 0, exit on ≥ 0 → < 0;
    * backtesting.py's ``crossover`` (strict on both bars): enter on < 0 → > 0, exit on
      > 0 → < 0; an entry signal while long closes and reopens (exclusive_orders); an
      order placed on the last bar is never filled.

    Both need the previous bar's comparison, so the first signal can come at bar SLOW."""
    ticks = [round(p * 4) for p in prices]
    if any(t / 4 != p for t, p in zip(ticks, prices)):
        return {}
    n = len(ticks)
    csum = [0]
    for t in ticks:
        csum.append(csum[-1] + t)
    d = [None] * n
    for i in range(SLOW - 1, n):
        x = (csum[i + 1] - csum[i + 1 - FAST]) * SLOW - (csum[i + 1] - csum[i + 1 - SLOW]) * FAST
        d[i] = (x > 0) - (x < 0)

    def simulate(strict: bool) -> list[tuple[int, int]]:
        out, entry = [], None
        for i in range(SLOW, n):
            a, b = d[i - 1], d[i]
            up = (a < 0 if strict else a <= 0) and b > 0
            down = (a > 0 if strict else a >= 0) and b < 0
            if strict and i == n - 1:
                break  # backtesting.py fills an order on the next bar's iteration
            if up and (entry is None or strict):
                if entry is not None:
                    out.append((entry, i))
                entry = i
            elif down and entry is not None:
                out.append((entry, i))
                entry = None
        if entry is not None:
            out.append((entry, n - 1))
        return out

    def pnl(pairs):
        return sum(QUANTITY * (prices[b] - prices[a]) - fees * QUANTITY * (prices[a] + prices[b]) for a, b in pairs)

    barter, strict = simulate(False), simulate(True)
    return {"barter": barter, "strict": strict, "pnl_barter": pnl(barter), "pnl_strict": pnl(strict),
            "ties": sum(1 for x in d[SLOW - 1:] if x == 0)}


def same_prefix(a: list, b: list) -> tuple[int, int | None]:
    for i, (x, y) in enumerate(zip(a, b)):
        if tuple(x) != tuple(y):
            return i, i
    k = min(len(a), len(b))
    return k, (None if len(a) == len(b) else k)


# -- report ----------------------------------------------------------------------------


def paired(fn, *series: list[float]) -> float:
    return c.median([fn(*xs) for xs in zip(*series)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prices", type=int, help="prices (trades / bars) in the random walk (default 100,000)")
    ap.add_argument("--rounds", type=int, help="alternating rounds (default 7)")
    ap.add_argument("--fees", default="0.001", help="fee fraction, both sides (default 0.001)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="20,000 prices and 2 rounds unless given")
    ap.add_argument("--backtesting-python", help="run the backtesting.py half in a worker of this interpreter")
    ap.add_argument("--backtesting-worker", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.backtesting_worker:
        return worker_main()
    prices_n = opts.prices if opts.prices is not None else (20_000 if opts.quick else 100_000)
    rounds = opts.rounds if opts.rounds is not None else (2 if opts.quick else 7)
    if prices_n < max(WARMUP_PRICES, 2 * SLOW) or rounds < 1:
        ap.error(f"--prices must be >= {WARMUP_PRICES} and --rounds >= 1")
    try:
        fees = Decimal(opts.fees)
    except InvalidOperation:
        ap.error(f"--fees must be a decimal fraction, got {opts.fees!r}")
    if not (fees.is_finite() and 0 <= fees < 1):
        ap.error("--fees must be in [0, 1)")

    # Fail early if a half cannot run.
    barter = BarterSide()
    bt = remote_backtesting(opts.backtesting_python) if opts.backtesting_python else BacktestingSide()
    versions = bt.versions()
    c.log(f"backtesting.py side: {json.dumps(versions)}")

    c.log(f"random walk: {prices_n:,} prices, seed {opts.seed}")
    prices = random_walk(prices_n, opts.seed)
    setup = barter.setup(prices, opts.fees)
    bt.setup(prices=prices, fees=opts.fees)
    c.log("untimed warm-up")
    for key in barter.strategies:
        barter.run(key)
    barter.plain_loop()
    warm = bt.warmup(prices=WARMUP_PRICES)

    steps = [(key, (lambda k=key: barter.run(k))) for key in ("builtin", "bh", "empty", "pysma")]
    steps += [("loop", barter.plain_loop), ("bt", lambda: bt.run())]
    samples = {key: [] for key, _ in steps}
    cpu = {key: [] for key, _ in steps}
    for index in range(rounds):
        order = steps if index % 2 == 0 else steps[::-1]
        for key, step in order:
            result = step()
            samples[key].append(result["wall_s"])
            cpu[key].append(result["cpu_s"])
            c.log(f"round {index + 1}/{rounds}: {key:8s} {c.fmt_s(result['wall_s'])} wall, "
                  f"{c.fmt_s(result['cpu_s'])} CPU")

    # -- tables --
    n = prices_n
    print(f"## Python strategies: per-event cost on {n:,} trades (SMA cross {FAST}/{SLOW})\n")
    print(c.environment_note())
    print(f"backtesting.py {versions['backtesting']}, numpy {versions['numpy']}, pandas {versions['pandas']}, "
          f"Python {versions['python']} ({'worker process' if opts.backtesting_python else 'in process'}). "
          f"Random walk seed {opts.seed} (0.25 grid), fees {opts.fees} both sides, quantity {QUANTITY}, "
          f"fill=\"signal\" / trade_on_close=True; {rounds} rounds alternating; the machine is shared, so quote "
          f"the paired numbers.\n")
    labels = {
        "builtin": f"(1) barter_cy built-in SmaCross({FAST}, {SLOW})",
        "empty": "(2) barter_cy Python Strategy, empty on_event",
        "pysma": f"(3) barter_cy Python SMA cross ({FAST}, {SLOW}), float running sums",
        "bt": "(4) backtesting.py documented SmaCross, Backtest(...).run()",
        "bh": "(ref) barter_cy built-in BuyAndHold (no per-event strategy work)",
        "loop": "(ref) (3)'s on_event in a plain Python loop, no engine",
    }
    rows = []
    for key in ("builtin", "empty", "pysma", "bt", "bh", "loop"):
        s = samples[key]
        wall = c.median(s)
        rows.append([labels[key], c.fmt_s(wall), c.fmt_s(min(s)), c.fmt_s(max(s)), c.fmt_s(c.median(cpu[key])),
                     f"{wall / n * 1e9:,.0f}", f"{n / wall / 1e6:,.3f} M"])
    print(c.markdown_table(["Run", "Median wall", "Min", "Max", "CPU (median)", "ns/event", "Events/s"], rows))

    print()
    over_builtin = paired(lambda e, b: (e - b) / n * 1e9, samples["empty"], samples["builtin"])
    over_bh = paired(lambda e, b: (e - b) / n * 1e9, samples["empty"], samples["bh"])
    vs_bt = paired(lambda a, b: a / b, samples["bt"], samples["pysma"])
    py_vs_rust = paired(lambda a, b: a / b, samples["pysma"], samples["builtin"])
    bt_vs_loop = paired(lambda a, b: a / b, samples["bt"], samples["loop"])

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(c.markdown_table(["Paired (median over rounds)", "Value", "Goal", ""], [
        ["empty on_event − built-in SmaCross, per event", f"{over_builtin:,.0f} ns", "≤ 1,000 ns",
         verdict(over_builtin <= GOAL_CALLBACK_NS)],
        ["empty on_event − built-in BuyAndHold, per event (the callback alone)", f"{over_bh:,.0f} ns", "≤ 1,000 ns",
         verdict(over_bh <= GOAL_CALLBACK_NS)],
        ["backtesting.py ÷ Python SMA cross, per event", f"{vs_bt:.2f}x", f"≥ {GOAL_VS_BACKTESTING:g}x",
         verdict(vs_bt >= GOAL_VS_BACKTESTING)],
        ["Python SMA cross ÷ built-in SmaCross", f"{py_vs_rust:.2f}x", "–", "–"],
        ["backtesting.py ÷ (3)'s on_event in a plain loop (no engine at all)", f"{bt_vs_loop:.2f}x", "–", "–"],
    ]))

    print()
    print(c.markdown_table(["Untimed, once", "Wall"], [
        [f"building the market data ({n:,} JSON lines → MarketDataInMemory)", c.fmt_s(setup["load_s"])],
        [f"backtesting.py warm-up run on {warm['prices']:,} bars", c.fmt_s(warm["wall_s"])],
    ]))

    # -- cross-check --
    bc = barter.crosscheck()
    vc = bt.crosscheck()
    ex = exact_rules(prices, float(fees))
    print(f"\n### Cross-check (untimed): round trips and total PnL\n")
    rows = [
        [f"(1) built-in SmaCross", bc["builtin"]["positions"], f"{float(bc['builtin']['pnl']):,.4f}",
         f"{bc['builtin']['rejected']} rejected orders, fees {float(bc['builtin']['fees']):,.4f}"],
        [f"(3) Python SMA cross", bc["pysma"]["positions"], f"{float(bc['pysma']['pnl']):,.4f}",
         "summary equal to (1) apart from id and strategy: " + ("yes" if bc["equal"] else "NO")],
    ]
    d, f = vc["documented"], vc["fixed"]
    rows.append(["(4) backtesting.py documented (self.buy(): ~all cash, whole units)", d["closed"] + d["open"],
                 f"{d['pnl']:,.4f}", f"{d['open']} open at the end, mean size {d['mean_size']:,.1f} units"])
    rows.append([f"(4') backtesting.py with self.buy(size={QUANTITY}), untimed", f["closed"] + f["open"],
                 f"{f['pnl']:,.4f}", f"{f['open']} open at the end"])
    if ex:
        rows.append(["exact ticks, barter_cy's rule (≤ → >, ≥ → <)", len(ex["barter"]), f"{ex['pnl_barter']:,.4f}", "–"])
        rows.append(["exact ticks, crossover's rule (< → >, > → <, exclusive_orders)", len(ex["strict"]),
                     f"{ex['pnl_strict']:,.4f}", "–"])
    print(c.markdown_table(["Side", "Round trips", f"Total PnL (open sold at the last price, fee paid)", "Notes"], rows))
    print()
    same, first = same_prefix(bc["builtin"]["bars"], bc["pysma"]["bars"])
    print(f"- (3) vs (1): (entry, exit) bars equal for {same} of {bc['builtin']['positions']} positions; "
          f"PnL difference {float(bc['pysma']['pnl'] - bc['builtin']['pnl']):.6f}.")
    if ex:
        s1, f1 = same_prefix(bc["builtin"]["bars"], ex["barter"])
        s2, f2 = same_prefix(f["bars"], ex["strict"])
        print(f"- (1) vs barter_cy's rule in exact ticks: same bars for {s1} of {len(ex['barter'])}"
              + ("" if f1 is None else f", first difference at round trip {f1}") + ".")
        print(f"- (4') vs crossover's rule in exact ticks: same bars for {s2} of {len(ex['strict'])}"
              + ("" if f2 is None else f", first difference at round trip {f2}") + ".")
        s3, f3 = same_prefix(bc["builtin"]["bars"], f["bars"])
        print(f"- (1) vs (4'): bars first differ at round trip {s3} (0-based); SMA({FAST}) = SMA({SLOW}) exactly on "
              f"{ex['ties']:,} bars, where the rules differ: barter_cy enters/exits on a cross out of a tie, "
              f"crossover needs the previous bar strictly on the other side (and an entry signal while long "
              f"closes and reopens); PnL (1) − (4'): {float(bc['builtin']['pnl']) - f['pnl']:,.4f}.")
    print(f"- Definitions: both first trade at bar {SLOW} at the earliest (backtesting.py starts next() once "
          f"its SMAs exist, at bar {SLOW}, and crossover compares bars {SLOW - 1} and {SLOW}; first entries "
          f"here: (1) bar {bc['builtin']['bars'][0][0] if bc['builtin']['bars'] else '–'}, (4) bar "
          f"{d['first_entry']}). Sizing: barter_cy buys a fixed {QUANTITY} unit (fractional quantities allowed); "
          f"the documented self.buy() spends ~all equity in whole units, so (4)'s PnL is not comparable and "
          f"(4') re-runs it with size={QUANTITY}. backtesting.py leaves a trade open at the end "
          f"(finalize_trades=False): its PnL here is Equity Final − cash − the exit fee of that trade at the "
          f"last close, barter_cy's close_at_end definition. Commission = fee fraction × value on entry and "
          f"exit on both. backtesting.py's per-event figure divides by all {n:,} bars, though next() runs on "
          f"{n - SLOW:,}.")
    if isinstance(bt, c.RemoteSide):
        bt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
