"""Backtests that trade: built-in strategies and target positions through the
deterministic driver, checked against analytic oracles and an independent SMA-cross
written here in plain Python (not against snapshots)."""

from __future__ import annotations

import json
import pickle
import random
from decimal import Decimal

import numpy as np
import pytest

import barter_cy
from barter_cy import (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    MarketDataInMemory,
    SystemConfig,
    run_backtests,
)
from barter_cy.backtest import backtest
from barter_cy.strategy import BollingerReversion, Breakout, BuyAndHold, SmaCross, TargetPositions

T0 = 1_700_000_000_000_000_000  # ns
STEP = 1_000_000_000  # one event a second
INSTRUMENT = "binancespot-btc_usdt"
QUOTE = "binance_spot:usdt"
BASE = "binance_spot:btc"
START_USDT = Decimal("1000000")


def _iso(ns: int) -> str:
    from barter_cy.data import ns_to_rfc3339

    return ns_to_rfc3339(ns)


def _trade_line(i: int, price: float, instrument: int = 0) -> str:
    t = _iso(T0 + i * STEP)
    return json.dumps({"Item": {
        "time_exchange": t, "time_received": t, "exchange": "binance_spot", "instrument": instrument,
        "kind": {"Trade": {"id": str(i), "price": price, "amount": 1.0, "side": "Buy"}},
    }})


def _candle_line(i: int, o: float, c: float) -> str:
    t = _iso(T0 + i * STEP)
    return json.dumps({"Item": {
        "time_exchange": t, "time_received": t, "exchange": "binance_spot", "instrument": 0,
        "kind": {"Candle": {"close_time": t, "open": o, "high": max(o, c) + 1, "low": min(o, c) - 1,
                            "close": c, "volume": 10.0, "trade_count": 5}},
    }})


def trades(prices) -> MarketDataInMemory:
    return MarketDataInMemory.from_json_str("\n".join(_trade_line(i, p) for i, p in enumerate(prices)))


def candles(opens, closes) -> MarketDataInMemory:
    return MarketDataInMemory.from_json_str(
        "\n".join(_candle_line(i, o, c) for i, (o, c) in enumerate(zip(opens, closes))))


def config(fees: str = "0") -> SystemConfig:
    return SystemConfig.from_dict({
        "instruments": [{
            "exchange": "binance_spot", "name_exchange": "BTCUSDT",
            "underlying": {"base": "btc", "quote": "usdt"}, "quote": "underlying_quote", "kind": "spot",
        }],
        "executions": [{
            "mocked_exchange": "binance_spot", "latency_ms": 0, "fees_percent": float(fees),
            "initial_state": {"exchange": "binance_spot", "balances": [
                {"asset": "usdt", "balance": {"total": int(START_USDT), "free": int(START_USDT)},
                 "time_exchange": "2023-01-01T00:00:00Z"},
                {"asset": "btc", "balance": {"total": 0, "free": 0}, "time_exchange": "2023-01-01T00:00:00Z"},
            ], "instruments": []},
        }],
    })


def args_for(md: MarketDataInMemory, fees: str = "0", usdt: Decimal = START_USDT) -> BacktestArgsConstant:
    balances = [{"exchange": "binance_spot", "asset": "usdt", "total": usdt, "free": usdt}]
    return BacktestArgsConstant(config(fees), md, "daily", initial_balances=balances)


def random_walk(n: int, seed: int = 7, start: float = 100.0) -> list[float]:
    rng = random.Random(seed)
    prices, p = [], start
    for _ in range(n):
        p = max(1.0, p + rng.choice((-1, 1)) * rng.choice((0.25, 0.5, 1.0)))
        prices.append(p)
    return prices


def round_trip_pnl(q: Decimal, entry: Decimal, exit_: Decimal, fee: Decimal) -> Decimal:
    """q(P1 − P0) − f·q(P0 + P1)"""
    return q * (exit_ - entry) - fee * q * (entry + exit_)


def sma_cross_oracle(prices: list[float], fast: int, slow: int) -> list[tuple[int, int]]:
    """Entry and exit indices (fill at the signal's price) of a long-only SMA cross:
    enter when SMA(fast) goes from <= SMA(slow) to >, exit when it goes from >= to <.
    The first comparison needs `slow` prices, so the first signal can come at index
    `slow` (comparing with index slow - 1). An open position closes at the last index."""
    d = [Decimal(repr(p)) for p in prices]

    def diff(i: int) -> Decimal:
        return sum(d[i - fast + 1:i + 1]) / fast - sum(d[i - slow + 1:i + 1]) / slow

    out, entry = [], None
    for i in range(slow, len(d)):
        before, now = diff(i - 1), diff(i)
        if entry is None and before <= 0 < now:
            entry = i
        elif entry is not None and before >= 0 > now:
            out.append((entry, i))
            entry = None
    if entry is not None:
        out.append((entry, len(d) - 1))
    return out


# ---------------------------------------------------------------------------
# round trips with the analytic oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fees", ["0", "0.001", "0.05"])
@pytest.mark.parametrize("fill", ["signal", "next"])
def test_buy_and_hold_round_trip_pnl(fees, fill):
    prices = [100.0, 101.5, 99.25, 104.0, 103.5]
    q = Decimal("2")
    summary = backtest(args_for(trades(prices), fees), BacktestArgsDynamic("bh", 0, strategy=BuyAndHold(q), fill=fill))
    entry = Decimal(repr(prices[0] if fill == "signal" else prices[1]))
    exit_ = Decimal(repr(prices[-1]))
    expected = round_trip_pnl(q, entry, exit_, Decimal(fees))
    (position,) = summary.positions
    assert position.instrument == INSTRUMENT
    assert position.side == "buy"
    assert position.quantity == q
    assert position.price_entry == entry
    assert position.price_exit == exit_
    assert position.pnl == expected
    assert position.fees == Decimal(fees) * q * (entry + exit_)
    assert position.time_enter_ns == T0 + (0 if fill == "signal" else 1) * STEP
    assert position.time_exit_ns == T0 + (len(prices) - 1) * STEP
    assert summary.trading_summary.instruments[INSTRUMENT].pnl == expected
    assert summary.pnl == expected
    # Balances at the end: start + realised PnL in the quote; no base left.
    assets = summary.trading_summary.assets
    assert assets[QUOTE].balance_end.total == START_USDT + expected
    assert assets[BASE].balance_end.total == 0
    assert summary.rejected_orders == 0
    assert summary.strategy.name == "buy_and_hold"
    assert summary.fill == fill


def test_time_engine_start_and_end_are_the_events_times():
    prices = random_walk(50)
    summary = backtest(args_for(trades(prices)), BacktestArgsDynamic("t", 0, strategy=BuyAndHold(1)))
    assert summary.trading_summary.time_engine_start_ns == T0
    assert summary.trading_summary.time_engine_end_ns == T0 + 49 * STEP


def test_close_at_end_false_leaves_the_position_open():
    prices = [100.0, 110.0, 120.0]
    summary = backtest(args_for(trades(prices)),
                       BacktestArgsDynamic("open", 0, strategy=BuyAndHold(1), fill="signal", close_at_end=False))
    assert summary.positions == ()
    assert summary.trading_summary.instruments[INSTRUMENT].pnl == 0
    assert summary.trading_summary.assets[BASE].balance_end.total == 1
    assert summary.trading_summary.assets[QUOTE].balance_end.total == START_USDT - 100


@pytest.mark.parametrize("fees", ["0", "0.002"])
def test_target_positions_round_trips_match_the_oracle(fees):
    prices = random_walk(200, seed=11)
    rng = random.Random(3)
    targets = np.zeros(len(prices))
    level = 0.0
    for i in range(len(prices)):
        if rng.random() < 0.08:
            level = 0.0 if level else 1.5
        targets[i] = level
    targets[-1] = 0.0
    summary = backtest(args_for(trades(prices), fees),
                       BacktestArgsDynamic("tp", 0, strategy=TargetPositions(targets), fill="signal"))
    expected_positions = []
    entry = None
    for i, target in enumerate(targets):
        if entry is None and target > 0:
            entry = i
        elif entry is not None and target == 0:
            expected_positions.append((entry, i))
            entry = None
    assert len(summary.positions) == len(expected_positions) > 3
    q, f = Decimal("1.5"), Decimal(fees)
    total = Decimal(0)
    for position, (i, j) in zip(summary.positions, expected_positions):
        p0, p1 = Decimal(repr(prices[i])), Decimal(repr(prices[j]))
        assert (position.price_entry, position.price_exit) == (p0, p1)
        assert (position.time_enter_ns, position.time_exit_ns) == (T0 + i * STEP, T0 + j * STEP)
        assert position.pnl == round_trip_pnl(q, p0, p1, f)
        total += position.pnl
    assert summary.pnl == total
    assert summary.trading_summary.assets[QUOTE].balance_end.total == START_USDT + total


def test_fill_next_fills_at_the_next_events_price():
    prices = random_walk(300, seed=5)
    md = trades(prices)
    signal = backtest(args_for(md), BacktestArgsDynamic("s", 0, strategy=SmaCross(3, 8, 1), fill="signal"))
    nxt = backtest(args_for(md), BacktestArgsDynamic("n", 0, strategy=SmaCross(3, 8, 1), fill="next"))
    assert len(signal.positions) > 3
    by_time = {T0 + i * STEP: i for i in range(len(prices))}
    for position in signal.positions:
        assert position.price_entry == Decimal(repr(prices[by_time[position.time_enter_ns]]))
    for position in nxt.positions:
        i = by_time[position.time_enter_ns]
        assert i >= 1
        assert position.price_entry == Decimal(repr(prices[i]))


# ---------------------------------------------------------------------------
# SmaCross against an independent implementation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fast, slow", [(2, 5), (3, 8), (5, 20), (10, 30)])
def test_sma_cross_matches_plain_python_on_trades(fast, slow):
    prices = random_walk(600, seed=fast * 100 + slow)
    summary = backtest(args_for(trades(prices)),
                       BacktestArgsDynamic("sma", 0, strategy=SmaCross(fast, slow, 1), fill="signal"))
    expected = sma_cross_oracle(prices, fast, slow)
    assert len(expected) > 2
    got = [((p.time_enter_ns - T0) // STEP, (p.time_exit_ns - T0) // STEP) for p in summary.positions]
    assert got == expected
    for position, (i, j) in zip(summary.positions, expected):
        assert position.price_entry == Decimal(repr(prices[i]))
        assert position.price_exit == Decimal(repr(prices[j]))


@pytest.mark.parametrize("fast, slow", [(2, 5), (4, 12)])
def test_sma_cross_on_candles_uses_closes_and_fills_next_at_the_open(fast, slow):
    closes = random_walk(400, seed=slow)
    opens = [c + 0.125 for c in closes]
    md = candles(opens, closes)
    expected = sma_cross_oracle(closes, fast, slow)
    signal = backtest(args_for(md), BacktestArgsDynamic("c", 0, strategy=SmaCross(fast, slow, 1), fill="signal"))
    got = [((p.time_enter_ns - T0) // STEP, (p.time_exit_ns - T0) // STEP) for p in signal.positions]
    assert got == expected
    assert [p.price_entry for p in signal.positions] == [Decimal(repr(closes[i])) for i, _ in expected]
    nxt = backtest(args_for(md), BacktestArgsDynamic("c", 0, strategy=SmaCross(fast, slow, 1), fill="next"))
    for position in nxt.positions:
        i = (position.time_enter_ns - T0) // STEP
        assert position.price_entry == Decimal(repr(opens[i]))


def test_every_trade_counts_also_at_one_timestamp():
    # Three trades share a timestamp: the last one's price is the one that counts.
    t = _iso(T0)
    lines = [json.dumps({"Item": {"time_exchange": t, "time_received": t, "exchange": "binance_spot",
                                  "instrument": 0, "kind": {"Trade": {"id": str(i), "price": p, "amount": 1.0,
                                                                      "side": "Buy"}}}})
             for i, p in enumerate([100.0, 105.0, 107.0])]
    lines.append(_trade_line(1, 110.0))
    summary = backtest(args_for(MarketDataInMemory.from_json_str("\n".join(lines))),
                       BacktestArgsDynamic("burst", 0, strategy=BuyAndHold(1), fill="next"))
    (position,) = summary.positions
    assert position.price_entry == Decimal("105")  # the next trade after the first
    assert position.price_exit == Decimal("110")


# ---------------------------------------------------------------------------
# rejections, other strategies, determinism
# ---------------------------------------------------------------------------


def test_orders_the_balance_cannot_pay_for_are_rejected_and_counted():
    prices = [100.0, 101.0, 102.0, 103.0]
    summary = backtest(args_for(trades(prices), usdt=Decimal("50")),
                       BacktestArgsDynamic("poor", 0, strategy=BuyAndHold(1), fill="signal"))
    assert summary.positions == ()
    assert summary.rejected_orders >= 1
    assert summary.trading_summary.assets[QUOTE].balance_end.total == Decimal("50")


def test_breakout_and_bollinger_trade_and_are_deterministic():
    prices = random_walk(2_000, seed=21)
    md = trades(prices)
    args = args_for(md, "0.001")
    variants = [
        BacktestArgsDynamic("breakout", 0, strategy=Breakout(20, "0.5")),
        BacktestArgsDynamic("bollinger", 0, strategy=BollingerReversion(20, "1.5", "0.5")),
        BacktestArgsDynamic("sma", 0, strategy=SmaCross(5, 30, "0.5")),
        BacktestArgsDynamic("hold", 0, strategy=BuyAndHold("0.5")),
        BacktestArgsDynamic("none", 0),
    ]
    runs = [run_backtests(args, variants, max_concurrent=k) for k in (1, 2, 1, 2, 2)]
    first = [s.to_json() for s in runs[0]]
    for run in runs[1:]:
        assert [s.to_json() for s in run] == first
    singles = [backtest(args, v).to_json() for v in variants]
    assert singles == first
    by_id = {s.id: s for s in runs[0]}
    assert len(by_id["breakout"].positions) > 0
    assert len(by_id["bollinger"].positions) > 0
    assert by_id["none"].positions == ()
    assert by_id["none"].pnl == 0
    assert by_id["none"].strategy.name == "default"


def test_win_rate_is_wins_over_closed_positions_and_flat_ratios_are_undefined():
    prices = random_walk(1_500, seed=9)
    summary = backtest(args_for(trades(prices)),
                       BacktestArgsDynamic("w", 0, strategy=SmaCross(3, 15, 1), fill="signal"))
    wins = sum(1 for p in summary.positions if p.pnl > 0)
    sheet = summary.trading_summary.instruments[INSTRUMENT]
    assert sheet.win_rate.value == Decimal(wins) / Decimal(len(summary.positions))
    none = backtest(args_for(trades(prices)), BacktestArgsDynamic("n", 0))
    assert none.trading_summary.instruments[INSTRUMENT].sharpe_ratio.value is None
    assert "N/A" in str(none)


def test_equity_curve_is_bounded_and_ends_at_the_final_value():
    prices = random_walk(10_000, seed=2)
    summary = backtest(args_for(trades(prices)),
                       BacktestArgsDynamic("eq", 0, strategy=SmaCross(5, 40, 1), fill="signal"))
    equity = summary.equity
    assert equity.time_ns.dtype == np.int64 and equity.value.dtype == np.float64
    assert 2 * len(summary.positions) <= len(equity) <= 2_000 + 2 * len(summary.positions) + 2
    assert np.all(np.diff(equity.time_ns) >= 0)
    assert equity.value[0] == pytest.approx(float(START_USDT))
    assert equity.value[-1] == pytest.approx(float(START_USDT + summary.pnl))


def test_summary_json_round_trip_with_positions():
    prices = random_walk(500, seed=4)
    summary = backtest(args_for(trades(prices), "0.001"),
                       BacktestArgsDynamic("rt", 0, strategy=SmaCross(4, 16, "0.25")))
    again = barter_cy.BacktestSummary.from_json(summary.to_json())
    assert again == summary
    assert again.to_json() == summary.to_json()
    assert summary.strategy.params == {"fast": 4, "slow": 16, "quantity": "0.25"}


# ---------------------------------------------------------------------------
# parameters and arguments
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda: SmaCross(30, 10, 1), "fast"),
    (lambda: SmaCross(10, 10, 1), "fast"),
    (lambda: SmaCross(0, 10, 1), "fast"),
    (lambda: SmaCross(5, 10, 0), "quantity"),
    (lambda: SmaCross(5, 10, "-1"), "quantity"),
    (lambda: Breakout(1, 1), "window"),
    (lambda: BollingerReversion(1, 2, 1), "window"),
    (lambda: BollingerReversion(20, 0, 1), "k"),
    (lambda: BollingerReversion(20, "-0.5", 1), "k"),
    (lambda: BuyAndHold(0), "quantity"),
    (lambda: BuyAndHold("abc"), "quantity"),
    (lambda: TargetPositions([1.0, float("nan")]), r"targets\[1\]"),
    (lambda: TargetPositions([0.0, 1.0, -2.0]), r"targets\[2\]"),
    (lambda: TargetPositions([float("inf")]), r"targets\[0\]"),
])
def test_invalid_parameters_raise_value_error_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="fast"):
        SmaCross(5.5, 10, 1)
    with pytest.raises(TypeError, match="unknown parameter"):
        SmaCross(5, 10, 1, speed=3)
    with pytest.raises(TypeError, match="missing"):
        SmaCross(5, 10)
    with pytest.raises(TypeError, match="strategy must be"):
        BacktestArgsDynamic("x", 0, strategy="sma_cross")
    with pytest.raises(ValueError, match="fill must be one of next, signal"):
        BacktestArgsDynamic("x", 0, fill="close")
    with pytest.raises(TypeError, match="close_at_end"):
        BacktestArgsDynamic("x", 0, close_at_end=1)


def test_target_positions_of_the_wrong_length_is_rejected_at_run_time():
    md = trades([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="targets: 2 values but the market data has 3 items"):
        backtest(args_for(md), BacktestArgsDynamic("x", 0, strategy=TargetPositions([0.0, 1.0])))


def test_strategies_are_values_that_pickle():
    a, b = SmaCross(5, 20, "0.01"), SmaCross(fast=5, slow=20, quantity=Decimal("0.01"))
    assert a == b and hash(a) == hash(b)
    assert a != SmaCross(5, 21, "0.01")
    assert repr(a) == "SmaCross(fast=5, slow=20, quantity=Decimal('0.01'))"
    assert a.params == {"fast": 5, "slow": 20, "quantity": Decimal("0.01")}
    assert SmaCross(5, 20, 0.1).params["quantity"] == Decimal("0.1")
    for strategy in (a, BuyAndHold(1), Breakout(10, 2), BollingerReversion(20, 2, 1),
                     TargetPositions(np.arange(5.0))):
        again = pickle.loads(pickle.dumps(strategy))
        assert again == strategy and type(again) is type(strategy)
    with pytest.raises(AttributeError):
        a.fast = 3
    dynamic = BacktestArgsDynamic("p", "0.01", strategy=a, fill="signal", close_at_end=False)
    assert pickle.loads(pickle.dumps(dynamic)) == dynamic


def test_run_backtests_checks_its_arguments():
    args = args_for(trades([1.0, 2.0]))
    with pytest.raises(ValueError, match="max_concurrent"):
        run_backtests(args, [], max_concurrent=0)
    with pytest.raises(ValueError, match="max_concurrent"):
        run_backtests(args, [], max_concurrent=2**64)
    with pytest.raises(ValueError, match="duplicate backtest ids: a"):
        run_backtests(args, [BacktestArgsDynamic("a", 0), BacktestArgsDynamic("a", 1)])
    assert run_backtests(args, []).num_backtests == 0


def test_ctrl_c_stops_run_backtests_within_a_second():
    import os
    import signal
    import threading
    import time

    args = args_for(trades(random_walk(50_000, seed=3)))
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=SmaCross(2 + i % 7, 20 + i, 1)) for i in range(300)]
    sent = []

    def interrupt():
        time.sleep(0.5)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_backtests(args, variants)
    raised = time.perf_counter()
    thread.join()
    assert raised - sent[0] < 1.0
    assert raised - started < 5.0
    # The process and the arguments go on working.
    assert run_backtests(args, variants[:2]).ids == ["v0", "v1"]


@pytest.mark.parametrize("handler", ["default", "custom"])
def test_ctrl_c_stops_backtest_with_either_sigint_handler_and_restores_it(handler):
    """With Python's default SIGINT handler the call runs on this thread under a C handler
    that trips its token; with a handler of the user's the call runs on a helper thread.
    Either way the interrupt stops it within a second and the handler in place before is
    in place after (a second SIGINT reaches it)."""
    import os
    import signal
    import threading
    import time

    args = args_for(trades(random_walk(50_000, seed=4)))
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=SmaCross(2 + i % 7, 20 + i, 1)) for i in range(300)]
    seen = []

    def custom(signum, frame):
        seen.append(signum)
        raise KeyboardInterrupt("custom handler")

    previous = signal.signal(signal.SIGINT, custom) if handler == "custom" else None
    try:
        sent = []
        thread = threading.Thread(target=lambda: (time.sleep(0.5), sent.append(time.perf_counter()),
                                                  os.kill(os.getpid(), signal.SIGINT)))
        thread.start()
        with pytest.raises(KeyboardInterrupt) as caught:
            run_backtests(args, variants)
        raised = time.perf_counter()
        thread.join()
        assert raised - sent[0] < 1.0
        if handler == "custom":
            assert seen == [signal.SIGINT] and str(caught.value) == "custom handler"
        # The handler from before is back: a plain SIGINT now goes straight to it.
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1.0)
        assert signal.getsignal(signal.SIGINT) is (custom if handler == "custom" else signal.default_int_handler)
        assert seen == ([signal.SIGINT] * 2 if handler == "custom" else [])
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
