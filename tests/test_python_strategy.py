"""Strategies written in Python, called from the Rust engine through the C callback:
same results as the built-ins, exceptions with their tracebacks, rejections, threads
and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from collections import deque
from decimal import Decimal

import numpy as np
import pytest

from barter_cy import BacktestArgsDynamic, BacktestsFailed, run_backtests
from barter_cy.backtest import backtest
from barter_cy.strategy import BuyAndHold, SmaCross, Strategy, TargetPositions
from test_strategies import START_USDT, T0, STEP, args_for, candles, random_walk, trades


class PySmaCross(Strategy):
    """The built-in SmaCross rule, in Python, on exact decimal sums."""

    def __init__(self, fast, slow, quantity):
        self.fast, self.slow, self.quantity = fast, slow, quantity
        self.prices = deque(maxlen=slow)
        self.before = None

    def on_event(self, ctx):
        self.prices.append(Decimal(repr(ctx.price)))
        if len(self.prices) < self.slow:
            return
        prices = list(self.prices)
        now = sum(prices[-self.fast:]) / self.fast - sum(prices) / self.slow
        before, self.before = self.before, now
        if before is None or ctx.order_in_flight:
            return
        if ctx.position == 0 and before <= 0 < now:
            ctx.buy(self.quantity)
        elif ctx.position > 0 and before >= 0 > now:
            ctx.sell(ctx.position)


def _without_strategy(summary) -> str:
    data = summary._wire()
    del data["strategy"], data["id"]
    return repr(data)


@pytest.mark.parametrize("fill", ["signal", "next"])
@pytest.mark.parametrize("fast, slow", [(2, 5), (5, 20)])
def test_python_sma_cross_equals_the_builtin_on_trades(fast, slow, fill):
    args = args_for(trades(random_walk(800, seed=fast + slow)), "0.001")
    builtin = backtest(args, BacktestArgsDynamic("b", 0, strategy=SmaCross(fast, slow, 1), fill=fill))
    python = backtest(args, BacktestArgsDynamic("p", 0, strategy=PySmaCross(fast, slow, 1), fill=fill))
    assert len(python.positions) > 3
    assert python.positions == builtin.positions
    assert _without_strategy(python) == _without_strategy(builtin)
    assert python.strategy.name == "PySmaCross"
    assert python.strategy.params == {"fast": fast, "slow": slow, "quantity": 1}


def test_python_sma_cross_equals_the_builtin_on_candles():
    closes = random_walk(500, seed=99)
    args = args_for(candles([c + 0.5 for c in closes], closes))
    for fill in ("signal", "next"):
        builtin = backtest(args, BacktestArgsDynamic("b", 0, strategy=SmaCross(3, 9, 1), fill=fill))
        python = backtest(args, BacktestArgsDynamic("p", 0, strategy=PySmaCross(3, 9, 1), fill=fill))
        assert len(builtin.positions) > 3
        assert _without_strategy(python) == _without_strategy(builtin)


class FollowTargets(Strategy):
    def __init__(self, targets):
        self.targets = targets

    def on_event(self, ctx):
        ctx.target(self.targets[ctx.item])


def test_ctx_target_equals_target_positions():
    prices = random_walk(300, seed=12)
    targets = np.where((np.arange(300) // 17) % 2 == 1, 0.5, 0.0)
    args = args_for(trades(prices), "0.002")
    for fill in ("signal", "next"):
        builtin = backtest(args, BacktestArgsDynamic("b", 0, strategy=TargetPositions(targets), fill=fill))
        python = backtest(args, BacktestArgsDynamic("p", 0, strategy=FollowTargets(list(targets)), fill=fill))
        assert len(builtin.positions) > 3
        assert _without_strategy(python) == _without_strategy(builtin)


class Recorder(Strategy):
    seen: list = []

    def on_start(self, ctx):
        Recorder.seen.append(("start", ctx.time_ns))

    def on_event(self, ctx):
        event = ctx.event
        Recorder.seen.append((ctx.item, ctx.time_ns, ctx.price, ctx.instrument, event.kind.value.price,
                              ctx.balance("quote"), ctx.balance("btc")))

    def on_finish(self, ctx):
        Recorder.seen.append(("finish",))


def test_context_shows_each_event_and_runs_use_fresh_copies():
    prices = [100.0, 101.0, 102.5]
    strategy = Recorder()
    Recorder.seen = []
    backtest(args_for(trades(prices)), BacktestArgsDynamic("r", 0, strategy=strategy))
    assert Recorder.seen[0] == ("start", T0)
    assert Recorder.seen[-1] == ("finish",)
    events = Recorder.seen[1:-1]
    assert [e[:5] for e in events] == [
        (i, T0 + i * STEP, p, "binancespot-btc_usdt", p) for i, p in enumerate(prices)
    ]
    assert all(e[5] == float(START_USDT) and e[6] == 0.0 for e in events)


def test_each_run_gets_a_fresh_copy_of_the_strategy():
    class Counter(Strategy):
        def __init__(self):
            self.count = 0

        def on_event(self, ctx):
            self.count += 1
            if self.count == 2:
                ctx.buy(1)

    strategy = Counter()
    args = args_for(trades([1.0, 2.0, 3.0, 4.0]))
    first = backtest(args, BacktestArgsDynamic("a", 0, strategy=strategy, fill="signal"))
    second = backtest(args, BacktestArgsDynamic("a", 0, strategy=strategy, fill="signal"))
    assert strategy.count == 0
    assert first.to_json() == second.to_json()
    assert first.positions[0].price_entry == Decimal("2")


class Raises(Strategy):
    def __init__(self, where, at=0):
        self.where, self.at = where, at

    def on_start(self, ctx):
        if self.where == "start":
            raise KeyError("in on_start")

    def on_event(self, ctx):
        if self.where == "event" and ctx.item == self.at:
            raise ZeroDivisionError(f"in on_event at {ctx.item}")

    def on_finish(self, ctx):
        if self.where == "finish":
            raise RuntimeError("in on_finish")


@pytest.mark.parametrize("where, kind, text", [
    ("start", KeyError, "in on_start"),
    ("event", ZeroDivisionError, "in on_event at 7"),
    ("finish", RuntimeError, "in on_finish"),
])
def test_exceptions_propagate_with_type_and_traceback(where, kind, text):
    args = args_for(trades(random_walk(20)))
    with pytest.raises(kind, match=text) as info:
        backtest(args, BacktestArgsDynamic("x", 0, strategy=Raises(where, 7)))
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert {"start": "on_start", "event": "on_event", "finish": "on_finish"}[where] in frames
    # The process and the arguments go on working.
    assert backtest(args, BacktestArgsDynamic("y", 0, strategy=BuyAndHold(1))).positions


def test_run_backtests_with_failures_and_fail_fast():
    args = args_for(trades(random_walk(50)))
    variants = [
        BacktestArgsDynamic("ok-py", 0, strategy=PySmaCross(2, 5, 1)),
        BacktestArgsDynamic("bad", 0, strategy=Raises("event", 3)),
        BacktestArgsDynamic("ok-rust", 0, strategy=SmaCross(2, 5, 1)),
    ]
    with pytest.raises(BacktestsFailed) as info:
        run_backtests(args, variants)
    assert info.value.summary.ids == ["ok-py", "ok-rust"]
    assert isinstance(info.value.errors["bad"], ZeroDivisionError)
    assert info.value.__cause__ is info.value.errors["bad"]
    assert _without_strategy(info.value.summary[0]) == _without_strategy(info.value.summary[1])
    with pytest.raises(ZeroDivisionError):
        run_backtests(args, variants, fail_fast=True)
    good = run_backtests(args, [variants[0], variants[2]])
    assert good.ids == ["ok-py", "ok-rust"]
    with pytest.raises(ValueError, match="duplicate backtest ids: ok-py"):
        run_backtests(args, [variants[0], variants[0], variants[2]])


def test_orders_beyond_the_balance_are_rejected_like_the_builtins():
    class BuyTooMuch(Strategy):
        def on_event(self, ctx):
            if ctx.position == 0:
                ctx.buy(1)

    args = args_for(trades([100.0, 101.0, 102.0]), usdt=Decimal("50"))
    python = backtest(args, BacktestArgsDynamic("p", 0, strategy=BuyTooMuch(), fill="signal"))
    builtin = backtest(args, BacktestArgsDynamic("b", 0, strategy=BuyAndHold(1), fill="signal"))
    assert python.positions == () and python.rejected_orders == 3
    assert builtin.rejected_orders >= 1


def test_bad_orders_raise_value_errors_in_the_strategy():
    class Negative(Strategy):
        def on_event(self, ctx):
            ctx.target(-1)

    with pytest.raises(ValueError, match="long only"):
        backtest(args_for(trades([1.0, 2.0])), BacktestArgsDynamic("n", 0, strategy=Negative()))


def test_params_must_be_json_and_strategies_must_be_strategies():
    class Odd(Strategy):
        def __init__(self, thing):
            self.thing = thing

    with pytest.raises(ValueError, match="Odd.params must be JSON-serialisable"):
        BacktestArgsDynamic("x", 0, strategy=Odd(object()))
    assert Odd(Decimal("0.5")).params == {"thing": Decimal("0.5")}


def test_another_thread_runs_while_a_python_strategy_runs():
    """The run holds the GIL but lets other threads in: while the strategy keeps the run
    going (Python work on one event until the other thread has ticked 10 times, or 30 s
    at most), the other thread ticks. No timing bound: a loaded machine only makes it
    slower."""
    ticks = []
    stop = threading.Event()

    class WaitsForTicks(Strategy):
        def on_event(self, ctx):
            if ctx.item == 100:
                deadline = time.perf_counter() + 30.0
                while len([t for t in ticks if t > started]) < 10 and time.perf_counter() < deadline:
                    sum(range(500))

    def counter():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    args = args_for(trades(random_walk(1_000)))
    thread = threading.Thread(target=counter)
    thread.start()
    try:
        started = time.perf_counter()
        backtest(args, BacktestArgsDynamic("busy", 0, strategy=WaitsForTicks()))
        finished = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    assert len([t for t in ticks if started < t < finished]) >= 10


def test_ctrl_c_stops_a_python_strategy_within_a_second():
    running = threading.Event()

    class Slow(Strategy):
        def on_event(self, ctx):
            running.set()
            time.sleep(0.0005)

    args = args_for(trades(random_walk(20_000)))
    sent = []

    def interrupt():
        running.wait(30)
        time.sleep(0.2)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    with pytest.raises(KeyboardInterrupt):
        backtest(args, BacktestArgsDynamic("slow", 0, strategy=Slow()))
    raised = time.perf_counter()
    thread.join()
    assert raised - sent[0] < 1.0
    # The process goes on: the same arguments run again.
    assert backtest(args, BacktestArgsDynamic("after", 0, strategy=BuyAndHold(1))).positions


def test_processes_run_python_strategies_in_parallel_with_the_same_results():
    import pickle

    args = args_for(trades(random_walk(3_000, seed=8)), "0.001")
    assert pickle.loads(pickle.dumps(args)).market_data.events() == args.market_data.events()
    variants = [BacktestArgsDynamic(f"py-{f}", 0, strategy=PySmaCross(f, 12, 1)) for f in (2, 3, 4, 5)]
    variants.append(BacktestArgsDynamic("rust", 0, strategy=SmaCross(2, 12, 1)))
    local = run_backtests(args, variants)
    parallel = run_backtests(args, variants, processes=2)
    assert parallel.ids == local.ids
    assert [s.to_json() for s in parallel] == [s.to_json() for s in local]
    failing = [variants[0], BacktestArgsDynamic("bad", 0, strategy=Raises("event", 3)), variants[4]]
    with pytest.raises(BacktestsFailed) as info:
        run_backtests(args, failing, processes=2)
    assert info.value.summary.ids == ["py-2", "rust"]
    assert isinstance(info.value.errors["bad"], ZeroDivisionError)
    with pytest.raises(ValueError, match="processes must be between 1 and 1024"):
        run_backtests(args, variants, processes=0)
