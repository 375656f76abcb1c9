"""Fuzz targets shared by ``tests/test_fuzz.py`` (bounded, in the test command) and
``bench/fuzz.py`` (the long run): hypothesis strategies for structured inputs that get
past JSON parsing into events, configs, arguments, columnar imports and backtests, and
one function per entry point that feeds a drawn input to the public API.

A target returns normally or raises; :func:`classify` sorts what it raised: the types in
``barter_cy.errors.DOCUMENTED_EXCEPTIONS`` are the contract, a ``BarterPanic`` (a Rust
panic reached the boundary) and anything else are findings.

Standard library, numpy and hypothesis only (loaded by path from ``bench/fuzz.py``)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal

import numpy as np
from hypothesis import strategies as st

import barter_cy
from barter_cy import (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    BarterPanic,
    MarketDataInMemory,
    SystemConfig,
)
from barter_cy import data as bdata
from barter_cy.backtest import backtest, run_backtests
from barter_cy.errors import DOCUMENTED_EXCEPTIONS
from barter_cy.strategy import BollingerReversion, Breakout, BuyAndHold, SmaCross, TargetPositions

# --------------------------------------------------------------------------- fixtures
CONFIG_DICT = json.loads(open(barter_cy.example_path("system_config"), encoding="utf-8").read())
CONFIG = SystemConfig.from_dict(CONFIG_DICT)
MARKET_DATA = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
MARKET_BYTES = open(barter_cy.example_path("market_data"), "rb").read()
CONFIG_TEXT = json.dumps(CONFIG_DICT, indent=1)
CACHE_BYTES = MARKET_DATA.to_bytes()
ARGS = BacktestArgsConstant(CONFIG, MARKET_DATA)
EXCHANGES = ["binance_spot", "okx", "simulated", "kraken", "BINANCE_SPOT", "bybit_spot", ""]
ASSETS = ["usdt", "USDT", "Usdt", "btc", "BTC", "eth", "sol", "xrp", "ÄBC", "äbc", "", " usdt "]


# ----------------------------------------------------------------------- primitives
def _weighted(common, rare):
    """``common`` three times as often as ``rare``."""
    return st.one_of(common, common, common, rare)


FLOATS = _weighted(
    st.floats(min_value=1e-6, max_value=1e6),
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e300, 7.9e28, 1e-28, 1e16, -1.0]),
    ),
)
INTS = st.one_of(
    st.integers(-3, 5), st.sampled_from([2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1])
)
DECIMAL_TEXT = st.one_of(
    st.sampled_from(["0", "0.05", "-0.01", "1e-28", "1e-29", "1.5e-28", "79228162514264337593543950335",
                     "79228162514264337593543950336", "1e-999999999", "1e999999999", "NaN", "-inf",
                     "0E-999999999", "1.0000000000000000000000000001", "12345678901234567890.123456789",
                     " 1 ", "abc", "", "1_000", "0x10", "٣"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
DECIMALS = st.one_of(
    DECIMAL_TEXT,
    DECIMAL_TEXT.map(lambda t: _maybe_decimal(t)),
    st.integers(-(2**100), 2**100),
    FLOATS,
    st.sampled_from([True, None, [], {}, b"1"]),
)


def _maybe_decimal(text):
    try:
        return Decimal(text)
    except Exception:
        return text


def _time_text(value: datetime, nanos: int, suffix: str) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}" + suffix


def _ns_text(ns: int) -> str:
    return bdata.ns_to_rfc3339(ns)


TIMES = _weighted(
    st.builds(
        _time_text,
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 1, 3)),
        st.integers(0, 999_999_999),
        st.just("Z"),
    ),
    st.one_of(
        st.builds(_time_text, st.datetimes(), st.integers(0, 999_999_999), st.sampled_from(["Z", "+01:00", ""])),
        st.text(max_size=12),
        st.integers(),
    ),
)
VALID_PRICES = st.one_of(
    st.floats(min_value=1e-3, max_value=1e5), st.floats(min_value=1e-3, max_value=1e5),
    st.floats(min_value=1e-12, max_value=1e20), st.sampled_from([1e-12, 1e16, 1e20, 7.9e28, 1e-28]),
)
VALID_TIMES = st.lists(st.integers(0, 10**13), min_size=1, max_size=12).map(
    lambda offsets: [_ns_text(1_704_067_200_000_000_000 + o) for o in sorted(offsets)]
)
EXCHANGE = _weighted(st.sampled_from(EXCHANGES[:3]), st.one_of(st.sampled_from(EXCHANGES), st.text(max_size=6)))
INSTRUMENT = _weighted(st.integers(0, 2), INTS)
SIDE = _weighted(st.sampled_from(["Buy", "Sell"]), st.one_of(st.sampled_from(["buy", "BUY", "x", ""]), st.integers()))


# ------------------------------------------------------------------- market data JSON
def _kind():
    trade = st.fixed_dictionaries(
        {"id": st.one_of(st.text(max_size=4), st.integers(0, 99)), "price": FLOATS, "amount": FLOATS, "side": SIDE}
    ).map(lambda t: {"Trade": t})
    candle = st.fixed_dictionaries(
        {"close_time": TIMES, "open": FLOATS, "high": FLOATS, "low": FLOATS, "close": FLOATS, "volume": FLOATS,
         "trade_count": INTS}
    ).map(lambda c: {"Candle": c})
    level = st.one_of(st.none(), st.fixed_dictionaries({"price": DECIMAL_TEXT, "amount": DECIMAL_TEXT}))
    l1 = st.fixed_dictionaries({"last_update_time": TIMES, "best_bid": level, "best_ask": level}).map(
        lambda b: {"OrderBookL1": b}
    )
    liquidation = st.fixed_dictionaries({"side": SIDE, "price": FLOATS, "quantity": FLOATS, "time": TIMES}).map(
        lambda x: {"Liquidation": x}
    )
    return st.one_of(trade, trade, trade, candle, l1, liquidation, st.just({"Nope": {}}))


ITEM = st.fixed_dictionaries(
    {"time_exchange": TIMES, "time_received": TIMES, "exchange": EXCHANGE, "instrument": INSTRUMENT, "kind": _kind()}
)
RECORD = st.one_of(
    ITEM.map(lambda i: {"Item": {"Ok": i}}),
    ITEM.map(lambda i: {"Item": {"Ok": i}}),
    ITEM.map(lambda i: {"Item": {"Ok": i}}),
    EXCHANGE.map(lambda e: {"Reconnecting": e}),
    st.just({"Item": {"Err": "socket closed"}}),
)


@st.composite
def valid_records(draw):
    """Records barter and the config accept (sorted times, the config's exchange and
    instruments), prices from ordinary to extreme: these reach the backtests."""
    records = []
    for time in draw(VALID_TIMES):
        if draw(st.integers(0, 9)) == 7:
            records.append({"Reconnecting": "binance_spot"})
            continue
        price = draw(VALID_PRICES)
        kind = draw(st.sampled_from(["trade", "trade", "trade", "candle", "l1"]))
        if kind == "trade":
            body = {"Trade": {"id": "1", "price": price, "amount": draw(VALID_PRICES),
                              "side": draw(st.sampled_from(["Buy", "Sell"]))}}
        elif kind == "candle":
            body = {"Candle": {"close_time": time, "open": price, "high": price * 1.1, "low": price * 0.9,
                               "close": draw(VALID_PRICES), "volume": 1.0, "trade_count": 1}}
        else:
            level = {"price": repr(price), "amount": "1"}
            body = {"OrderBookL1": {"last_update_time": time, "best_bid": level, "best_ask": level}}
        records.append({"Item": {"Ok": {"time_exchange": time, "time_received": time, "exchange": "binance_spot",
                                        "instrument": draw(st.integers(0, 2)), "kind": body}}})
    return records


RECORDS = st.one_of(valid_records(), valid_records(), st.lists(RECORD, max_size=12))


def _market_json(records, lines, skip_errors, mutation):
    if lines:
        text = "\n".join(
            json.dumps({"Item": r["Item"]["Ok"]} if "Item" in r and "Ok" in r["Item"] else r) for r in records
        )
    else:
        text = json.dumps(records)
    data = text.encode("utf-8", "surrogatepass")
    return _mutate(data, mutation), skip_errors


def _mutate(data: bytes, mutation):
    """Applies ``(position, kind, byte)`` edits: flip, insert, delete, truncate."""
    for position, kind, byte in mutation:
        if not data:
            break
        at = position % len(data)
        if kind == 0:
            data = data[:at] + bytes([byte]) + data[at + 1:]
        elif kind == 1:
            data = data[:at] + bytes([byte]) + data[at:]
        elif kind == 2:
            data = data[:at] + data[at + 1:]
        else:
            data = data[:at]
    return data


MUTATION = st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 3), st.integers(0, 255)), max_size=3)
SMALL_MUTATION = st.one_of(st.just([]), st.just([]), st.just([]), MUTATION)
MARKET_JSON = st.builds(_market_json, RECORDS, st.booleans(), st.booleans(), SMALL_MUTATION)


# ------------------------------------------------------------------------- strategies
QUANTITY = st.one_of(st.sampled_from(["0.01", "1", "0.0000001", "1000000"]), DECIMALS)
STRATEGY = st.one_of(
    st.none(),
    st.builds(SmaCross, st.integers(1, 4), st.integers(2, 6), QUANTITY),
    st.builds(SmaCross, st.integers(1, 4), st.integers(2, 6), QUANTITY),
    st.builds(BuyAndHold, QUANTITY),
    st.builds(TargetPositions, st.integers(0, 30).flatmap(
        lambda n: st.lists(st.one_of(st.floats(0, 10), FLOATS), min_size=n, max_size=n)).map(np.array)),
    st.builds(BollingerReversion, st.integers(1, 5), DECIMALS, DECIMALS),
    st.builds(Breakout, INTS, DECIMALS),
    st.builds(SmaCross, INTS, INTS, st.just("0.01")),
)


@st.composite
def strategies(draw):
    """A strategy, or the documented exception its constructor raised."""
    try:
        return draw(STRATEGY)
    except DOCUMENTED_EXCEPTIONS as error:  # bad parameters are an outcome, not a finding
        if isinstance(error, BarterPanic):
            raise
        return error


BALANCE = st.fixed_dictionaries(
    {"exchange": _weighted(st.just("binance_spot"), EXCHANGE), "asset": st.sampled_from(ASSETS),
     "total": DECIMALS, "free": DECIMALS}
)
DYNAMIC = st.fixed_dictionaries(
    {"id": st.one_of(st.just("a"), st.text(max_size=6)), "risk_free_return": DECIMALS,
     "fill": st.sampled_from(["next", "signal", "nope"]), "close_at_end": st.sampled_from([True, False, 1])}
)


# -------------------------------------------------------------------------- configs
def _set_path(value, path, new):
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


def _paths(value, prefix=()):
    """Every (path) in a JSON tree, containers included."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, prefix + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, prefix + (index,)))
    return out


CONFIG_PATHS = [path for path in _paths(CONFIG_DICT) if path]
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), INTS, FLOATS, st.text(max_size=8), st.sampled_from(ASSETS + EXCHANGES),
    DECIMAL_TEXT.map(_maybe_decimal),
)
JSON_VALUE = st.recursive(
    JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def config_dicts(draw):
    config = copy.deepcopy(CONFIG_DICT)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(CONFIG_PATHS))
        try:
            _set_path(config, path, draw(JSON_VALUE))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit replaced a parent
    if draw(st.integers(0, 19)) == 13:
        depth = draw(st.sampled_from([63, 64, 65, 200, 5000]))
        nested = {}
        for _ in range(depth):
            nested = {"a": nested}
        config["deep"] = nested
    if draw(st.booleans()):
        config = {"risk_free_return": draw(JSON_LEAF), "system": config}
    return config


# -------------------------------------------------------------------------- columns
@st.composite
def columns(draw):
    if draw(st.booleans()):
        return draw(valid_columns())
    n = draw(st.integers(0, 40))
    start = draw(st.sampled_from([1_704_067_200_000_000_000, 0, -(2**63), 2**63 - 10**12]))
    step = draw(st.sampled_from([1, 1_000_000_000, 86_400_000_000_000, -1]))
    time = start + np.arange(n, dtype=np.int64) * np.int64(step) if n else np.zeros(0, np.int64)
    if draw(st.booleans()) and n:
        time = np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)), np.int64)
    price = np.array(draw(st.lists(FLOATS, min_size=n, max_size=n)), np.float64)
    amount = np.array(draw(st.lists(FLOATS, min_size=n, max_size=n)), np.float64)
    side = draw(st.sampled_from(["bool", "int8", "str"]))
    if side == "bool":
        sides = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    elif side == "int8":
        sides = np.array(draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n)), np.int8)
    else:
        sides = np.array(draw(st.lists(st.sampled_from(["buy", "sell", "Buy", "x"]), min_size=n, max_size=n)))
    instrument = draw(st.one_of(INSTRUMENT, st.just("column")))
    if instrument == "column":
        instrument = np.array(draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n)), np.int64)
    return {
        "time": time, "price": price, "amount": amount, "side": sides, "instrument": instrument,
        "exchange": draw(EXCHANGE), "sort": draw(st.booleans()), "candles": draw(st.booleans()),
    }


@st.composite
def valid_columns(draw):
    """Columns the import accepts (prices from ordinary to extreme): these reach backtests."""
    n = draw(st.integers(1, 60))
    time = 1_704_067_200_000_000_000 + np.cumsum(
        np.array(draw(st.lists(st.integers(0, 10**12), min_size=n, max_size=n)), np.int64))
    return {
        "time": time,
        "price": np.array(draw(st.lists(VALID_PRICES, min_size=n, max_size=n)), np.float64),
        "amount": np.array(draw(st.lists(VALID_PRICES, min_size=n, max_size=n)), np.float64),
        "side": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool),
        "instrument": draw(st.one_of(st.integers(0, 2), st.just(np.zeros(n, np.int64)))),
        "exchange": "binance_spot", "sort": False, "candles": draw(st.booleans()),
    }


# --------------------------------------------------------------------------- targets
def _run_on(market_data, strategy, fill="next", config=CONFIG, balances=None):
    args = BacktestArgsConstant(config, market_data, initial_balances=balances)
    return backtest(args, BacktestArgsDynamic("fuzz", "0.05", strategy=strategy, fill=fill))


def target_market_json(drawn):
    data, skip_errors = drawn
    md = MarketDataInMemory.from_json_bytes(data, skip_errors=skip_errors)
    md.events()
    again = MarketDataInMemory.from_bytes(md.to_bytes())
    assert len(again) == len(md)
    _run_on(md, SmaCross(2, 3, "0.01"), "signal")


def target_config_dict(config):
    parsed = SystemConfig.from_dict(config)
    _run_on(MARKET_DATA, BuyAndHold("0.01"), config=parsed)


def target_config_text(drawn):
    text, mutation = drawn
    SystemConfig.from_json_str(_mutate(text.encode(), mutation).decode("utf-8", "replace"))


def target_arguments(drawn):
    strategy, dynamic, balances, max_concurrent, interval = drawn
    if isinstance(strategy, BaseException):
        return
    args = BacktestArgsConstant(CONFIG, MARKET_DATA, summary_interval=interval, initial_balances=balances)
    variant = BacktestArgsDynamic(strategy=strategy, **dynamic)
    if max_concurrent is None:
        backtest(args, variant)
    else:
        run_backtests(args, [variant], max_concurrent=max_concurrent)


def target_columns(drawn):
    c = drawn
    if c["candles"]:
        with np.errstate(over="ignore", invalid="ignore"):
            high, low = np.maximum(c["price"], c["price"] * 1.5), np.minimum(c["price"], c["price"] * 0.5)
        md = MarketDataInMemory.from_candles(
            c["time"], c["price"], high, low,
            c["price"], c["amount"], instrument=c["instrument"], exchange=c["exchange"],
        )
    else:
        md = MarketDataInMemory.from_trades(
            c["time"], c["price"], c["amount"], c["side"], instrument=c["instrument"], exchange=c["exchange"],
            sort=c["sort"],
        )
    md.to_numpy()
    if c["candles"]:
        _run_on(md, BuyAndHold("1"), "next")
    else:
        _run_on(md, SmaCross(2, 3, "0.01"), "signal")


def target_binary(mutation):
    MarketDataInMemory.from_bytes(_mutate(CACHE_BYTES, mutation))


def target_events(drawn):
    records, strategy = drawn
    events = []
    for record in records:
        if "Reconnecting" in record:
            events.append(bdata.Reconnecting(record["Reconnecting"]))
        elif "Ok" in record["Item"]:
            events.append(bdata.from_barter({"Item": record["Item"]["Ok"]}))
    md = MarketDataInMemory(events)
    if isinstance(strategy, BaseException):
        return
    _run_on(md, strategy)


TARGETS = {
    "market_json": (target_market_json, MARKET_JSON),
    "config_dict": (target_config_dict, config_dicts()),
    "config_text": (target_config_text, st.tuples(st.just(CONFIG_TEXT), MUTATION)),
    "arguments": (
        target_arguments,
        st.tuples(strategies(), DYNAMIC, st.one_of(st.none(), st.lists(BALANCE, max_size=3)),
                  st.one_of(st.none(), INTS), st.sampled_from(["daily", "annual_252", "annual_365", "hourly"])),
    ),
    "columns": (target_columns, columns()),
    "binary": (target_binary, MUTATION),
    "events": (target_events, st.tuples(RECORDS, strategies())),
}


#: Targets whose input is bytes (or edits of bytes): ``VARIANTS[name](drawn, edits)`` is
#: the drawn input with more byte edits (``(position, kind, byte)`` as in ``_mutate``),
#: a new input for the same target; the long run uses them for mutational fuzzing
#: around each structured input.
VARIANTS = {
    "market_json": lambda drawn, edits: (_mutate(drawn[0], edits), drawn[1]),
    "config_text": lambda drawn, edits: (drawn[0], list(drawn[1]) + list(edits)),
    "binary": lambda drawn, edits: list(drawn) + list(edits),
}


def classify(error: BaseException | None) -> str:
    """``"ok"``, ``"documented"`` (a type of the contract), ``"panic"`` (BarterPanic) or
    ``"undocumented"``."""
    if error is None:
        return "ok"
    if isinstance(error, BarterPanic):
        return "panic"
    if isinstance(error, DOCUMENTED_EXCEPTIONS) and not isinstance(error, KeyboardInterrupt):
        return "documented"
    return "undocumented"


def run(name: str, drawn) -> tuple[str, BaseException | None]:
    """Runs one target on one drawn input: (category, the exception or None)."""
    target, _ = TARGETS[name]
    try:
        target(drawn)
    except AssertionError:
        raise
    except Exception as error:  # noqa: BLE001 - classified, not swallowed
        return classify(error), error
    return "ok", None

