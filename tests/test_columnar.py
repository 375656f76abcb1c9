"""Columnar market data (numpy / pandas in and out) and summaries as tables.

The oracle for "built from columns behaves exactly like JSON" is JSON Lines written
here, field by field, from the same values, loaded through the JSON loader."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
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
from barter_cy.data import ns_to_rfc3339
from barter_cy.frames import TEAR_SHEET_COLUMNS
from barter_cy.strategy import SmaCross

T0 = 1_700_000_000_000_000_000


# -- oracle: the same events as barter JSON Lines ---------------------------------
def _trade_jsonl(time, price, amount, side, instrument, exchange="binance_spot", received=None) -> str:
    lines = []
    for i in range(len(time)):
        t = ns_to_rfc3339(int(time[i]))
        r = t if received is None else ns_to_rfc3339(int(received[i]))
        lines.append(json.dumps({"Item": {
            "time_exchange": t, "time_received": r, "exchange": exchange, "instrument": int(instrument[i]),
            "kind": {"Trade": {"id": "", "price": float(price[i]), "amount": float(amount[i]),
                               "side": "Buy" if side[i] == 1 else "Sell"}},
        }}))
    return "\n".join(lines)


def _candle_jsonl(time, o, h, low, c, v, n, instrument=0, exchange="binance_spot") -> str:
    lines = []
    for i in range(len(time)):
        t = ns_to_rfc3339(int(time[i]))
        lines.append(json.dumps({"Item": {
            "time_exchange": t, "time_received": t, "exchange": exchange, "instrument": instrument,
            "kind": {"Candle": {"close_time": t, "open": float(o[i]), "high": float(h[i]), "low": float(low[i]),
                                "close": float(c[i]), "volume": float(v[i]), "trade_count": int(n[i])}},
        }}))
    return "\n".join(lines)


def _random_trades(n=3000, instruments=3, seed=11):
    rng = np.random.default_rng(seed)
    time = T0 + np.cumsum(rng.integers(0, 2_000_000_000, n))  # ties included
    price = np.round(100 + np.cumsum(rng.choice([-0.5, 0.25, 0.5, -0.25], n)), 2)
    price = np.maximum(price, 1.0)
    amount = np.round(rng.uniform(0, 3, n), 5)
    side = rng.choice(np.array([1, -1], np.int8), n)
    instrument = rng.integers(0, instruments, n)
    return time, price, amount, side, instrument


def _ohlcv(n=400, seed=3):
    rng = np.random.default_rng(seed)
    close = np.round(100 + 10 * np.sin(np.arange(n) / 15) + rng.normal(0, 0.5, n), 2)
    open_ = np.round(np.concatenate([[100.0], close[:-1]]), 2)
    high = np.round(np.maximum(open_, close) + rng.uniform(0, 1, n), 2)
    low = np.round(np.minimum(open_, close) - rng.uniform(0, 1, n), 2)
    volume = np.round(rng.uniform(1000, 5000, n))
    return open_, high, low, close, volume


def _one_instrument_config() -> SystemConfig:
    return SystemConfig.from_dict({
        "instruments": [{
            "exchange": "binance_spot", "name_exchange": "BTCUSDT",
            "underlying": {"base": "btc", "quote": "usdt"}, "quote": "underlying_quote", "kind": "spot",
        }],
        "executions": [{
            "mocked_exchange": "binance_spot", "latency_ms": 0, "fees_percent": 0.001,
            "initial_state": {"exchange": "binance_spot", "balances": [
                {"asset": "usdt", "balance": {"total": 100000, "free": 100000}, "time_exchange": "2023-01-01T00:00:00Z"},
                {"asset": "btc", "balance": {"total": 0, "free": 0}, "time_exchange": "2023-01-01T00:00:00Z"},
            ], "instruments": []},
        }],
    })


def _example_args(md: MarketDataInMemory) -> BacktestArgsConstant:
    config = SystemConfig.from_json_file(barter_cy.example_path("system_config"))
    return BacktestArgsConstant(config, md, "daily")


# -- equivalence with JSON ------------------------------------------------------------
def test_example_to_numpy_matches_events_and_rebuilds_them():
    md = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    events = md.events()
    cols = md.to_numpy()
    assert set(cols) == {"time_ns", "time_received_ns", "instrument", "price", "amount", "side"}
    assert [c.dtype for c in cols.values()] == [np.int64, np.int64, np.int64, np.float64, np.float64, np.int8]
    assert cols["time_ns"].tolist() == [e.time_exchange_ns for e in events]
    assert cols["time_received_ns"].tolist() == [e.time_received_ns for e in events]
    assert cols["instrument"].tolist() == [e.instrument for e in events]
    assert cols["price"].tolist() == [e.kind.value.price for e in events]
    assert cols["amount"].tolist() == [e.kind.value.amount for e in events]
    assert cols["side"].tolist() == [1 if e.kind.value.side.name == "BUY" else -1 for e in events]

    back = MarketDataInMemory.from_trades(
        cols["time_ns"], cols["price"], cols["amount"], cols["side"], cols["instrument"],
        exchange="binance_spot", time_received=cols["time_received_ns"])
    assert back.item_count == 21 and back.reconnect_count == 0  # the columns carry no reconnect markers
    rebuilt = back.events()
    # Everything but the trade id (the columns carry none) is the same.
    assert [e.kind.value.id for e in rebuilt] == [""] * 21
    strip = lambda e: (e.time_exchange_ns, e.time_received_ns, e.exchange, e.instrument,  # noqa: E731
                       e.kind.value.price, e.kind.value.amount, e.kind.value.side)
    assert [strip(e) for e in rebuilt] == [strip(e) for e in events]
    oracle = MarketDataInMemory.from_json_str(_trade_jsonl(
        cols["time_ns"], cols["price"], cols["amount"], cols["side"], cols["instrument"],
        received=cols["time_received_ns"]))
    assert rebuilt == oracle.events()
    for numpy_md in (back, oracle):
        assert {k: v.tolist() for k, v in numpy_md.to_numpy().items()} == {k: v.tolist() for k, v in cols.items()}


def test_to_numpy_borrows_the_column_store_read_only_and_outlives_the_market_data():
    time, price, amount, side, instrument = _random_trades(n=500, instruments=3)
    columns_md = MarketDataInMemory.from_trades(time, price, amount, side, instrument, exchange="binance_spot")
    # The same trades with a candle in the middle are held as barter's records instead.
    candle = _candle_jsonl([time[250]], [1.0], [2.0], [0.5], [1.5], [10.0], [3])
    records_md = MarketDataInMemory.from_json_str(
        _trade_jsonl(time[:250], price[:250], amount[:250], side[:250], instrument[:250]) + "\n" + candle + "\n"
        + _trade_jsonl(time[250:], price[250:], amount[250:], side[250:], instrument[250:]))
    borrowed, copied = columns_md.to_numpy(), records_md.to_numpy()
    assert {k: v.tolist() for k, v in borrowed.items()} == {k: v.tolist() for k, v in copied.items()}
    assert borrowed["price"].tolist() == price.tolist() and borrowed["side"].tolist() == side.tolist()
    for cols in (borrowed, copied):
        for name, array in cols.items():
            assert not array.flags.writeable, name
            with pytest.raises(ValueError, match="read-only"):
                array[0] = 1
    # Borrowed: every array points into Rust's store (no copy), which it keeps alive; a
    # second call lends the same memory, while the records path fills new arrays.
    again = columns_md.to_numpy()
    for name, array in borrowed.items():
        assert not array.flags.owndata and np.shares_memory(array, again[name]), name
        assert array.dtype == copied[name].dtype, name
    assert not np.shares_memory(copied["price"], records_md.to_numpy()["price"])
    del again
    expected = {k: v.tolist() for k, v in borrowed.items()}
    del columns_md
    import gc
    gc.collect()
    assert {k: v.tolist() for k, v in borrowed.items()} == expected
    assert borrowed["price"].copy().flags.writeable


def test_to_numpy_of_one_instrument_is_a_broadcast_column_that_round_trips():
    time, price, amount, side, _ = _random_trades(n=300, instruments=1)
    md = MarketDataInMemory.from_trades(time, price, amount, side, instrument=2)
    cols = md.to_numpy()
    assert cols["instrument"].strides == (0,) and cols["instrument"].tolist() == [2] * 300
    assert cols["time_received_ns"] is cols["time_ns"]  # no receive times stored: the same column
    again = MarketDataInMemory.from_trades(cols["time_ns"], cols["price"], cols["amount"], cols["side"],
                                           cols["instrument"], time_received=cols["time_received_ns"])
    assert again == md
    assert md.to_frame()["instrument"].tolist() == [2] * 300


def test_trades_from_arrays_equal_json_events_and_backtests():
    time, price, amount, side, instrument = _random_trades()
    md = MarketDataInMemory.from_trades(time, price, amount, side, instrument, exchange="binance_spot")
    oracle = MarketDataInMemory.from_json_str(_trade_jsonl(time, price, amount, side, instrument))
    assert md.events() == oracle.events()
    assert (md.item_count, md.time_first_event_ns, md.max_instrument_index) == (
        oracle.item_count, oracle.time_first_event_ns, oracle.max_instrument_index)
    grid = [BacktestArgsDynamic(f"sma-{f}-{fill}", 0, strategy=SmaCross(f, 12, "0.001"), fill=fill)
            for f in (3, 5) for fill in ("next", "signal")]
    ours = run_backtests(_example_args(md), grid)
    theirs = run_backtests(_example_args(oracle), grid)
    assert sum(len(s.positions) for s in ours) > 10
    for a, b in zip(ours, theirs):
        assert a.to_json() == b.to_json()


def test_candles_from_arrays_equal_json_events_and_backtests():
    o, h, low, c, v = _ohlcv()
    time = T0 + np.arange(len(c)) * 60_000_000_000
    n = np.arange(len(c), dtype=np.uint64) % 7
    md = MarketDataInMemory.from_candles(time, o, h, low, c, v, trade_count=n, exchange="binance_spot")
    oracle = MarketDataInMemory.from_json_str(_candle_jsonl(time, o, h, low, c, v, n))
    assert md.events() == oracle.events()
    cols = md.to_numpy("candle")
    assert cols["time_ns"].tolist() == time.tolist()
    assert cols["close"].tolist() == c.tolist() and cols["trade_count"].tolist() == n.tolist()
    assert md.to_numpy("trade")["price"].size == 0
    args = [BacktestArgsConstant(_one_instrument_config(), x, "daily") for x in (md, oracle)]
    dyn = BacktestArgsDynamic("sma", 0, strategy=SmaCross(5, 20, "1"))
    a, b = backtest(args[0], dyn), backtest(args[1], dyn)
    assert len(a.positions) > 2
    assert a.to_json() == b.to_json()


def test_candle_csv_like_backtesting_py_runs_sma_cross(tmp_path):
    """A GOOG.csv-shaped file (date index, Open/High/Low/Close/Volume) through
    pd.read_csv(index_col=0, parse_dates=True) and from_frame."""
    o, h, low, c, v = _ohlcv(300)
    dates = pd.date_range("2004-08-19", periods=len(c), freq="D")
    pd.DataFrame({"Open": o, "High": h, "Low": low, "Close": c, "Volume": v}, index=dates).to_csv(tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines()[1].startswith("2004-08-19,")
    df = pd.read_csv(tmp_path / "x.csv", index_col=0, parse_dates=True)
    md = MarketDataInMemory.from_frame(df, exchange="binance_spot")
    time = dates.to_numpy().astype("datetime64[ns]").view(np.int64)
    assert md.events() == MarketDataInMemory.from_json_str(
        _candle_jsonl(time, o, h, low, c, v, np.zeros(len(c), int))).events()
    summary = backtest(BacktestArgsConstant(_one_instrument_config(), md, "daily"),
                       BacktestArgsDynamic("sma", 0, strategy=SmaCross(10, 20, "1")))
    assert len(summary.positions) >= 3
    # Entries and exits happen at candle prices (fill="next": the next candle's open).
    opens = set(o.tolist())
    assert all(float(p.price_entry) in opens and float(p.price_exit) in opens for p in summary.positions[:-1])


def test_to_frame_round_trips_through_from_frame():
    time, price, amount, side, instrument = _random_trades(500)
    md = MarketDataInMemory.from_trades(time, price, amount, side, instrument, exchange="binance_spot",
                                        time_received=time + 5)
    df = md.to_frame()
    assert isinstance(df.index, pd.DatetimeIndex) and str(df.index.tz) == "UTC" and df.index.name == "time"
    assert df.index.asi8.tolist() == time.tolist()
    assert list(df.columns) == ["instrument", "price", "amount", "side", "time_received"]
    again = MarketDataInMemory.from_frame(df, kind="trade", exchange="binance_spot")
    assert again.events() == md.events()
    o, h, low, c, v = _ohlcv(50)
    candles = MarketDataInMemory.from_candles(T0 + np.arange(50), o, h, low, c, v, instrument=0)
    cf = candles.to_frame("candle")
    assert list(cf.columns) == ["instrument", "open", "high", "low", "close", "volume", "trade_count"]
    assert MarketDataInMemory.from_frame(cf).events() == candles.events()


def test_frames_of_several_instruments():
    o, h, low, c, v = _ohlcv(20)
    idx_a = pd.date_range("2024-01-01", periods=20, freq="h", tz="UTC")
    idx_b = idx_a + pd.Timedelta(minutes=30)
    a = pd.DataFrame({"open": o, "high": h, "low": low, "close": c, "volume": v}, index=idx_a)
    b = a * 2
    b.index = idx_b
    md = MarketDataInMemory.from_frame({0: a, 2: b})
    cols = md.to_numpy("candle")
    assert cols["instrument"].tolist() == [0, 2] * 20
    assert cols["close"].tolist() == [x for pair in zip(c, c * 2) for x in pair]
    both = pd.concat([a.assign(instrument=0), b.assign(instrument=2)]).sort_index()
    assert MarketDataInMemory.from_frame(both).events() == md.events()
    with pytest.raises(ValueError, match=r"^time: row 1 .* is earlier than row 0 .*sort=True"):
        MarketDataInMemory.from_frame(pd.concat([a.assign(instrument=0), b.assign(instrument=2)]).iloc[[1, 0]])


# -- argument normalisation ------------------------------------------------------------
def test_time_forms_are_the_same_nanoseconds():
    ns = np.array([T0, T0 + 1_000_000_000, T0 + 2_000_000_000])
    ones = np.ones(3)
    expected = MarketDataInMemory.from_trades(ns, ones, ones).to_numpy()["time_ns"].tolist()
    assert expected == ns.tolist()
    forms = [
        ns.tolist(),
        ns.astype("datetime64[ns]"),
        ns.astype("datetime64[ns]").astype("datetime64[s]"),
        pd.DatetimeIndex(ns.astype("datetime64[ns]")),  # tz-naive = UTC
        pd.Series(pd.DatetimeIndex(ns.astype("datetime64[ns]"), tz="UTC").tz_convert("America/New_York")),
        pd.DatetimeIndex(ns.astype("datetime64[ns]"), tz="UTC").tz_convert("Asia/Tokyo").to_pydatetime().tolist(),
    ]
    for form in forms:
        got = MarketDataInMemory.from_trades(form, ones, ones).to_numpy()["time_ns"].tolist()
        assert got == expected, type(form)


def test_sides_and_instruments():
    ns = T0 + np.arange(4)
    ones = np.ones(4)
    sides = lambda s: MarketDataInMemory.from_trades(ns, ones, ones, s).to_numpy()["side"].tolist()  # noqa: E731
    assert sides(None) == [1, 1, 1, 1]
    assert sides([True, False, True, False]) == [1, -1, 1, -1]
    assert sides(np.array([1, -1, -1, 1], np.int64)) == [1, -1, -1, 1]
    assert sides(["buy", "SELL", "Buy", "sell"]) == [1, -1, 1, -1]
    inst = lambda i: MarketDataInMemory.from_trades(ns, ones, ones, instrument=i).to_numpy()["instrument"]  # noqa: E731
    assert inst(2).tolist() == [2] * 4
    assert inst(np.uint8(1)).tolist() == [1] * 4
    assert inst([0, 1, 0, 3]).tolist() == [0, 1, 0, 3]


def test_sort_true_sorts_every_column_stably():
    time = np.array([30, 10, 20, 10]) + T0
    price = np.array([3.0, 1.0, 2.0, 1.5])
    md = MarketDataInMemory.from_trades(time, price, [1, 2, 3, 4], [1, -1, 1, 1], [0, 1, 2, 0], sort=True)
    cols = md.to_numpy()
    assert cols["time_ns"].tolist() == (np.array([10, 10, 20, 30]) + T0).tolist()
    assert cols["price"].tolist() == [1.0, 1.5, 2.0, 3.0]
    assert cols["amount"].tolist() == [2.0, 4.0, 3.0, 1.0]
    assert cols["side"].tolist() == [-1, 1, 1, 1]
    assert cols["instrument"].tolist() == [1, 0, 2, 0]


# -- errors -----------------------------------------------------------------------------
NS3 = [T0, T0 + 1, T0 + 2]


@pytest.mark.parametrize("kwargs, message", [
    (dict(price=[1.0, 2.0]), "price: column has 2 rows but time has 3 (columns must have one length)"),
    (dict(amount=[1.0] * 4), "amount: column has 4 rows but time has 3 (columns must have one length)"),
    (dict(side=[1, -1]), "side: column has 2 rows but time has 3 (columns must have one length)"),
    (dict(instrument=[0, 0]), "instrument: column has 2 rows but time has 3 (columns must have one length)"),
    (dict(time_received=[T0]), "time_received: column has 1 rows but time has 3 (columns must have one length)"),
    (dict(time=[T0, T0 + 5, T0 + 4]),
     f"time: row 2 ({T0 + 4} ns) is earlier than row 1 ({T0 + 5} ns): times must be sorted (pass sort=True to sort them)"),
    (dict(time=np.array([T0, "NaT", T0], dtype="datetime64[ns]")), "time: row 1 is NaT (no time)"),
    (dict(price=[1.0, 2.0, float("nan")]), "price: row 2 is NaN; prices must be finite and > 0"),
    (dict(price=[1.0, float("inf"), 1.0]), "price: row 1 is inf; prices must be finite and > 0"),
    (dict(price=[-1.0, 1.0, 1.0]), "price: row 0 is -1; prices must be finite and > 0"),
    (dict(price=[1.0, 0.0, 1.0]), "price: row 1 is 0; prices must be finite and > 0"),
    (dict(amount=[1.0, 1.0, -0.5]), "amount: row 2 is -0.5; amounts must be finite and >= 0"),
    (dict(amount=[1.0, float("-inf"), 1.0]), "amount: row 1 is -inf; amounts must be finite and >= 0"),
    (dict(side=np.array([1, 2, 1], np.int8)), "side: row 1 is 2; sides are 1 (buy) or -1 (sell)"),
    (dict(side=[1, -1, 257]), "side: row 2 is 257; sides are 1 (buy) or -1 (sell)"),
    (dict(side=["buy", "hold", "sell"]), "side: row 1 is 'hold'; expected 'buy' or 'sell' (any case), 1 / -1 or a bool"),
    (dict(instrument=[0, -1, 0]), "instrument: row 1 is -1; instrument indices must be >= 0"),
    (dict(instrument=-2), "instrument: an instrument index must be >= 0, got -2"),
    (dict(exchange="nyse"),
     'exchange: unknown exchange id "nyse" (barter\'s ExchangeId names, e.g. "simulated", "binance_spot")'),
    (dict(time=[], price=[], amount=[]), "columns: no market data records (input is empty)"),
    (dict(price=np.ones((3, 1))), "price: expected a 1-D array, got shape (3, 1)"),
])
def test_trade_errors_name_column_and_row(kwargs, message):
    args = dict(time=NS3, price=[1.0, 2.0, 3.0], amount=[1.0, 1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        MarketDataInMemory.from_trades(**args)
    assert str(info.value) == message


@pytest.mark.parametrize("kwargs, message", [
    (dict(price=["a", "b", "c"]), "price: expected float64 values, got <U1"),
    (dict(time=[1.5, 2.5, 3.5]), "time: expected int64 nanoseconds since the epoch or datetime64, got float64"),
    (dict(side=[1.0, -1.0, 1.0]), "side: expected bool, int8 (1 buy, -1 sell) or strings, got float64"),
    (dict(instrument=1.0), "instrument: expected an int or an array of ints, got float"),
    (dict(exchange=3), "exchange: expected str (barter's exchange id, e.g. 'simulated'), got int"),
])
def test_trade_type_errors(kwargs, message):
    args = dict(time=NS3, price=[1.0, 2.0, 3.0], amount=[1.0, 1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(TypeError) as info:
        MarketDataInMemory.from_trades(**args)
    assert str(info.value) == message


@pytest.mark.parametrize("column, values, message", [
    ("high", [2.0, float("nan"), 2.0], "high: row 1 is NaN; prices must be finite and > 0"),
    ("low", [0.5, 0.5, 0.0], "low: row 2 is 0; prices must be finite and > 0"),
    ("volume", [1.0, -1.0, 1.0], "volume: row 1 is -1; amounts must be finite and >= 0"),
    ("close", [1.0, 1.0], "close: column has 2 rows but time has 3 (columns must have one length)"),
    ("trade_count", [1, -1, 2], "trade_count: row 1 is -1, outside uint64"),
])
def test_candle_errors(column, values, message):
    args = dict(time=NS3, open=[1.0] * 3, high=[2.0] * 3, low=[0.5] * 3, close=[1.0] * 3, volume=[1.0] * 3)
    args[column] = values
    with pytest.raises(ValueError) as info:
        MarketDataInMemory.from_candles(**args)
    assert str(info.value) == message


def test_frame_errors():
    df = pd.DataFrame({"Open": [1.0], "High": [1.0], "Low": [1.0], "Close": [1.0]},
                      index=pd.DatetimeIndex(["2024-01-01"]))
    with pytest.raises(ValueError, match=r"^from_frame: kind='candle' needs the columns open, high, low, close, volume "
                                         r"\(any case\); missing volume \(columns: Open, High, Low, Close\)$"):
        MarketDataInMemory.from_frame(df)
    with pytest.raises(ValueError, match=r"^from_frame: no times: expected a DatetimeIndex or a column named"):
        MarketDataInMemory.from_frame(df.assign(volume=1.0).reset_index(drop=True))
    with pytest.raises(ValueError, match=r"^kind: expected 'candle' or 'trade', got 'bar'$"):
        MarketDataInMemory.from_frame(df, kind="bar")
    with pytest.raises(TypeError, match=r"^from_frame: expected a pandas DataFrame, got list$"):
        MarketDataInMemory.from_frame([1, 2])
    md = MarketDataInMemory.from_frame(df.assign(volume=1.0).reset_index(names="Date"))
    assert md.to_numpy("candle")["time_ns"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC").value]
    with pytest.raises(ValueError, match=r"^kind: expected 'trade' or 'candle', got 'x'$"):
        md.to_numpy("x")


def test_without_pandas_frames_name_the_extra(monkeypatch):
    md = MarketDataInMemory.from_trades(NS3, [1.0] * 3, [1.0] * 3)
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    for call in (lambda: md.to_frame(), lambda: MarketDataInMemory.from_frame({})):
        with pytest.raises(ImportError, match=r"pip install barter_cy\[pandas\]"):
            call()
    assert md.to_numpy()["price"].tolist() == [1.0] * 3  # numpy paths need no pandas


# -- summaries as tables -------------------------------------------------------------
def test_summary_frames():
    o, h, low, c, v = _ohlcv()
    md = MarketDataInMemory.from_candles(T0 + np.arange(len(c)) * 60_000_000_000, o, h, low, c, v,
                                         exchange="binance_spot")
    args = BacktestArgsConstant(_one_instrument_config(), md, "daily")
    grid = [BacktestArgsDynamic(f"sma-{f}-{s}", Decimal("0.01"), strategy=SmaCross(f, s, "0.5"))
            for f in (3, 5) for s in (20, 30)]
    multi = run_backtests(args, grid)
    df = multi.to_frame()
    name = "binancespot-btc_usdt"
    assert list(df.columns[:7]) == ["id", "strategy", "fast", "slow", "quantity", "pnl", "positions"]
    assert list(df.columns[7:]) == [f"{name}.{c}" for c in TEAR_SHEET_COLUMNS]
    assert df["id"].tolist() == multi.ids
    assert df["fast"].tolist() == [3, 3, 5, 5] and df["slow"].tolist() == [20, 30, 20, 30]
    assert df["quantity"].tolist() == [0.5] * 4
    for row, summary in zip(df.itertuples(index=False), multi):
        sheet = summary.trading_summary.instruments[name]
        cells = row._asdict()
        assert cells["pnl"] == float(summary.pnl) == float(sheet.pnl)
        assert cells["positions"] == len(summary.positions) > 0
        values = df.loc[df["id"] == summary.id].iloc[0]
        assert values[f"{name}.pnl_return"] == float(sheet.pnl_return.value)
        assert values[f"{name}.win_rate"] == float(sheet.win_rate.value)
        dd = sheet.pnl_drawdown_max
        assert (np.isnan(values[f"{name}.max_drawdown"]) if dd is None else values[f"{name}.max_drawdown"] == float(dd.value))
        sharpe = sheet.sharpe_ratio.value
        assert np.isnan(values[f"{name}.sharpe"]) if sharpe is None else values[f"{name}.sharpe"] == float(sharpe)
    summary = multi[0]
    positions = summary.positions_frame()
    assert list(positions.columns) == ["instrument", "side", "quantity", "price_entry", "price_exit", "fees", "pnl",
                                       "time_enter", "time_exit"]
    assert positions["pnl"].tolist() == [float(p.pnl) for p in summary.positions]
    assert positions["price_entry"].tolist() == [float(p.price_entry) for p in summary.positions]
    assert positions["time_exit"].dt.tz is not None
    assert [t.value for t in positions["time_enter"]] == [p.time_enter_ns for p in summary.positions]
    equity = summary.equity_frame()
    assert equity["equity"].tolist() == summary.equity.value.tolist()
    assert equity.index.asi8.tolist() == summary.equity.time_ns.tolist() and str(equity.index.tz) == "UTC"
