"""Tests for barter_cy.MarketDataInMemory: loading both file shapes, errors, round
trips of every DataKind through Rust, sharing, threads, panics, memory and a larger
generated file."""

from __future__ import annotations

import asyncio
import calendar
import concurrent.futures
import copy
import gc
import importlib.util
import json
import os
import pathlib
import re
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import barter_cy
from barter_cy import BarterError, BarterPanic, MarketDataInMemory
from barter_cy import _native
from barter_cy import market_data as market_data_module
from barter_cy.data import (
    Candle,
    Level,
    Liquidation,
    MarketEvent,
    OrderBookEvent,
    OrderBookL1,
    PublicTrade,
    Reconnecting,
    Side,
    from_barter,
)

UTC = timezone.utc

# 2024-12-20T19:05:18Z in seconds, computed independently of barter_cy.
_T0_S = calendar.timegm((2024, 12, 20, 19, 5, 18, 0, 0, 0))
FIRST_EVENT_NS = _T0_S * 1_000_000_000 + 175_000_000  # "2024-12-20T19:05:18.175Z"
FIRST_RECEIVED_NS = _T0_S * 1_000_000_000 + 319_581_890  # "...18.319581890Z"
T = FIRST_RECEIVED_NS  # a base time with non-zero sub-microsecond digits

EXAMPLE_RECORDS = 24
EXAMPLE_ITEMS = 21
EXAMPLE_RECONNECTS = 3
EXAMPLE_REPR = (
    "MarketDataInMemory(records=24, items=21, reconnects=3, skipped_errors=0, "
    "time_first_event=2024-12-20T19:05:18.175000+00:00)"
)

_GEN_PATH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "gen_market_data.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("_gen_market_data_for_tests", _GEN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rfc3339_ns(text: str) -> int:
    """Independent RFC 3339 'Z' parser (nanoseconds), for cross-checking."""
    assert text.endswith("Z"), text
    main, _, frac = text[:-1].partition(".")
    secs = calendar.timegm(datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").timetuple())
    return secs * 1_000_000_000 + int((frac or "0").ljust(9, "0"))


def _example_items(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [r["Item"]["Ok"] for r in json.load(f) if "Item" in r]


def _load(shape: str, array_path: str, jsonl_path: str) -> MarketDataInMemory:
    return MarketDataInMemory.from_json_file(array_path if shape == "array" else jsonl_path)


@pytest.fixture(params=["array", "jsonl"])
def shape(request):
    return request.param


@pytest.fixture
def example_md(shape, example_market_data_path, example_market_data_jsonl_path):
    return _load(shape, example_market_data_path, example_market_data_jsonl_path)


@pytest.fixture
def example_bytes(example_market_data_path) -> bytes:
    return pathlib.Path(example_market_data_path).read_bytes()


# =========================================================================== #
# The example file, both shapes
# =========================================================================== #
def test_conftest_jsonl_conversion(example_market_data_path, example_market_data_jsonl_path):
    lines = pathlib.Path(example_market_data_jsonl_path).read_text().splitlines()
    with open(example_market_data_path) as f:
        records = json.load(f)
    assert len(lines) == len(records) == EXAMPLE_RECORDS
    for line, record in zip(lines, records):
        parsed = json.loads(line)
        if "Reconnecting" in record:
            assert parsed == record == {"Reconnecting": "binance_spot"}
        else:
            assert parsed == {"Item": record["Item"]["Ok"]}


def test_example_counts(example_md):
    md = example_md
    assert len(md) == EXAMPLE_RECORDS
    assert md.item_count == EXAMPLE_ITEMS
    assert md.reconnect_count == EXAMPLE_RECONNECTS
    assert md.skipped_error_count == 0
    assert md.max_instrument_index == 2
    assert len(md.events()) == EXAMPLE_ITEMS


def test_example_time_first_event(example_md):
    md = example_md
    assert md.time_first_event_ns == FIRST_EVENT_NS == 1734721518175000000
    assert type(md.time_first_event_ns) is int
    first = md.time_first_event
    assert first == datetime(2024, 12, 20, 19, 5, 18, 175000, tzinfo=UTC)
    assert first.tzinfo is not None
    assert first.utcoffset().total_seconds() == 0


def test_example_first_event_fields(example_md):
    ev = example_md.events()[0]
    assert isinstance(ev, MarketEvent)
    assert ev.exchange == "binance_spot"
    assert ev.instrument == 0
    assert ev.time_exchange_ns == FIRST_EVENT_NS
    assert ev.time_exchange == datetime(2024, 12, 20, 19, 5, 18, 175000, tzinfo=UTC)
    assert ev.time_received_ns == FIRST_RECEIVED_NS == 1734721518319581890
    assert ev.time_received == datetime(2024, 12, 20, 19, 5, 18, 319581, tzinfo=UTC)
    assert ev.kind.kind_name == "public_trade"
    trade = ev.kind.value
    assert isinstance(trade, PublicTrade)
    assert trade.id == "4314349047"
    assert trade.price == 96962.51
    assert trade.amount == 6e-05
    assert trade.side is Side.BUY


def test_example_events_in_file_order(example_md, example_market_data_path):
    expected = _example_items(example_market_data_path)
    events = example_md.events()
    assert len(events) == len(expected) == EXAMPLE_ITEMS
    for ev, raw in zip(events, expected):
        trade = raw["kind"]["Trade"]
        assert ev.time_exchange_ns == _rfc3339_ns(raw["time_exchange"])
        assert ev.time_received_ns == _rfc3339_ns(raw["time_received"])
        assert ev.exchange == raw["exchange"]
        assert ev.instrument == raw["instrument"]
        assert ev.kind.kind_name == "public_trade"
        assert ev.kind.value.id == trade["id"]
        assert ev.kind.value.price == trade["price"]
        assert ev.kind.value.amount == trade["amount"]
        assert ev.kind.value.side.value == trade["side"]
    # And the same via the validated pure-Python parser.
    assert events == [from_barter({"Item": raw}) for raw in expected]


def test_example_both_shapes_equal(example_market_data_path, example_market_data_jsonl_path):
    a = MarketDataInMemory.from_json_file(example_market_data_path)
    b = MarketDataInMemory.from_json_file(example_market_data_jsonl_path)
    assert a.events() == b.events()
    assert (len(a), a.item_count, a.reconnect_count, a.time_first_event_ns) == (
        len(b), b.item_count, b.reconnect_count, b.time_first_event_ns)


def test_from_json_file_str_and_path(shape, example_market_data_path,
                                     example_market_data_jsonl_path):
    path = example_market_data_path if shape == "array" else example_market_data_jsonl_path
    reference = MarketDataInMemory.from_json_file(example_market_data_path).events()
    by_str = MarketDataInMemory.from_json_file(str(path))
    by_path = MarketDataInMemory.from_json_file(pathlib.Path(path))
    assert by_str.events() == by_path.events() == reference
    assert len(by_path) == EXAMPLE_RECORDS


def test_from_json_str_and_bytes_like(shape, example_market_data_path,
                                      example_market_data_jsonl_path):
    path = example_market_data_path if shape == "array" else example_market_data_jsonl_path
    data = pathlib.Path(path).read_bytes()
    reference = MarketDataInMemory.from_json_file(example_market_data_path).events()
    loaded = [
        MarketDataInMemory.from_json_str(data.decode("utf-8")),
        MarketDataInMemory.from_json_bytes(data),
        MarketDataInMemory.from_json_bytes(bytearray(data)),
        MarketDataInMemory.from_json_bytes(memoryview(data)),
        MarketDataInMemory.from_json_bytes(memoryview(bytearray(data))[:]),
    ]
    for md in loaded:
        assert len(md) == EXAMPLE_RECORDS
        assert md.item_count == EXAMPLE_ITEMS
        assert md.reconnect_count == EXAMPLE_RECONNECTS
        assert md.time_first_event_ns == FIRST_EVENT_NS
        assert md.events() == reference


def test_utf8_bom_and_crlf_are_accepted(example_bytes, example_market_data_jsonl_path):
    reference = MarketDataInMemory.from_json_bytes(example_bytes).events()
    assert MarketDataInMemory.from_json_bytes(b"\xef\xbb\xbf" + example_bytes).events() == reference
    jsonl = pathlib.Path(example_market_data_jsonl_path).read_bytes()
    crlf = jsonl.replace(b"\n", b"\r\n")
    assert MarketDataInMemory.from_json_bytes(crlf).events() == reference


# =========================================================================== #
# Errors
# =========================================================================== #
def test_missing_file_raises_file_not_found(tmp_path):
    missing = tmp_path / "does_not_exist.json"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        MarketDataInMemory.from_json_file(missing)
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        MarketDataInMemory.from_json_file(str(missing))


def test_directory_raises_oserror(tmp_path):
    with pytest.raises(OSError, match=re.escape(str(tmp_path))) as info:
        MarketDataInMemory.from_json_file(tmp_path)
    assert not isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\r\n  ", "[]", "[ \n ]"])
def test_empty_input(text, tmp_path):
    with pytest.raises(ValueError, match="no market data records.*empty"):
        MarketDataInMemory.from_json_str(text)
    with pytest.raises(ValueError, match="empty"):
        MarketDataInMemory.from_json_bytes(text.encode())
    path = tmp_path / "empty.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*empty"):
        MarketDataInMemory.from_json_file(path)


def test_only_reconnects(shape):
    if shape == "array":
        text = '[{"Reconnecting":"binance_spot"},{"Reconnecting":"okx"}]'
    else:
        text = '{"Reconnecting":"binance_spot"}\n{"Reconnecting":"okx"}\n'
    with pytest.raises(ValueError, match="no market events: 2 records"):
        MarketDataInMemory.from_json_str(text)


def test_malformed_json_array_names_line_and_column(tmp_path):
    text = '[\n{"Reconnecting":"binance_spot"},\n{"Item": {"Ok": ]\n]'
    with pytest.raises(ValueError, match=r"<json>: line 3 column 17: expected value"):
        MarketDataInMemory.from_json_str(text)
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(f"{path}: line 3 column 17")):
        MarketDataInMemory.from_json_file(path)


def test_malformed_json_lines_names_file_line_and_column(tmp_path, example_market_data_jsonl_path):
    # Line 2 is blank: the number is the line in the file, not the record index.
    text = '{"Reconnecting":"binance_spot"}\n\n{"Item": {,}}\n'
    with pytest.raises(ValueError, match=r"<json>: line 3 column 11: key must be a string"):
        MarketDataInMemory.from_json_str(text)
    # A broken line deep in a real file.
    lines = pathlib.Path(example_market_data_jsonl_path).read_text().splitlines()
    lines[9] = lines[9][:40]  # truncate the 10th line
    path = tmp_path / "truncated.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}: line 10 column ")):
        MarketDataInMemory.from_json_file(path)


def _trade_record(**overrides) -> dict:
    ev = {
        "time_exchange": "2024-12-20T19:05:18.175Z",
        "time_received": "2024-12-20T19:05:18.319581890Z",
        "exchange": "binance_spot",
        "instrument": 0,
        "kind": {"Trade": {"id": "1", "price": 1.5, "amount": 2.0, "side": "Buy"}},
    }
    ev.update(overrides)
    return ev


def _as_shape(shape: str, events: list) -> str:
    """events: list of item dicts or ("Reconnecting", exchange) / ("Err", value)."""
    out = []
    for e in events:
        if isinstance(e, tuple) and e[0] == "Reconnecting":
            out.append({"Reconnecting": e[1]})
        elif isinstance(e, tuple) and e[0] == "Err":
            out.append({"Item": {"Err": e[1]}})
        else:
            out.append({"Item": {"Ok": e}} if shape == "array" else {"Item": e})
    if shape == "array":
        return json.dumps(out, indent=1)
    return "\n".join(json.dumps(r) for r in out) + "\n"


def test_unknown_exchange_is_named(shape):
    text = _as_shape(shape, [_trade_record(), _trade_record(exchange="nope_exchange")])
    with pytest.raises(ValueError, match=r"unknown exchange `nope_exchange`") as info:
        MarketDataInMemory.from_json_str(text)
    # The message is short: serde's list of every known exchange is not included.
    assert "binance_spot" not in str(info.value)
    assert len(str(info.value)) < 200
    text = _as_shape(shape, [_trade_record(), ("Reconnecting", "nope_exchange")])
    with pytest.raises(ValueError, match=r"unknown exchange `nope_exchange`"):
        MarketDataInMemory.from_json_str(text)


def test_unknown_data_kind_is_named(shape):
    text = _as_shape(shape, [_trade_record(kind={"Nope": {"x": 1}})])
    with pytest.raises(ValueError, match=r"unknown DataKind `Nope`") as info:
        MarketDataInMemory.from_json_str(text)
    assert "OrderBookL1" not in str(info.value)


def test_json_lines_error_line_is_file_line():
    text = _as_shape("jsonl", [_trade_record(), ("Reconnecting", "okx"),
                               _trade_record(exchange="nope_exchange")])
    with pytest.raises(ValueError, match=r"<json>: line 3 column \d+: unknown exchange `nope_exchange`"):
        MarketDataInMemory.from_json_str(text)


ERR_RECORDS = [
    _trade_record(),
    ("Reconnecting", "binance_spot"),
    ("Err", "socket closed"),
    _trade_record(time_exchange="2024-12-20T19:05:19Z"),
    ("Err", {"Socket": "reset by peer"}),
]


def test_error_item_names_record_index():
    text = _as_shape("array", ERR_RECORDS)
    with pytest.raises(ValueError, match=r"record 2 is an error item: \"socket closed\".*skip_errors=True"):
        MarketDataInMemory.from_json_str(text)
    with pytest.raises(ValueError, match=r"record 2 is an error item"):
        MarketDataInMemory.from_json_str(text, skip_errors=False)


def test_error_items_skipped_and_counted(tmp_path):
    text = _as_shape("array", ERR_RECORDS)
    path = tmp_path / "with_errors.json"
    path.write_text(text)
    for md in (MarketDataInMemory.from_json_str(text, skip_errors=True),
               MarketDataInMemory.from_json_bytes(text.encode(), skip_errors=True),
               MarketDataInMemory.from_json_file(path, skip_errors=True)):
        assert md.skipped_error_count == 2
        assert len(md) == 3
        assert md.item_count == 2
        assert md.reconnect_count == 1
        events = md.events()
        assert [e.time_exchange_ns for e in events] == [FIRST_EVENT_NS, (_T0_S + 1) * 10**9]
        assert "skipped_errors=2" in repr(md)


def test_only_error_items_with_skip_errors_raise():
    text = _as_shape("array", [("Err", "x"), ("Err", "y")])
    # Nothing is left after dropping the errors; the exact wording is not pinned here.
    with pytest.raises(ValueError, match=r"<json>: no market"):
        MarketDataInMemory.from_json_str(text, skip_errors=True)


def test_wrong_argument_types():
    with pytest.raises(TypeError, match="path must be str or os.PathLike, got int"):
        MarketDataInMemory.from_json_file(3)
    with pytest.raises(TypeError, match="path must be str or os.PathLike, got NoneType"):
        MarketDataInMemory.from_json_file(None)
    with pytest.raises(TypeError, match="text must be str, got bytes"):
        MarketDataInMemory.from_json_str(b"[]")
    with pytest.raises(TypeError, match="data must be bytes-like, got str"):
        MarketDataInMemory.from_json_bytes("[]")
    with pytest.raises(TypeError, match="data must be bytes-like, got list"):
        MarketDataInMemory.from_json_bytes([1, 2])
    with pytest.raises(TypeError, match="from_json_file / from_json_str / from_json_bytes"):
        MarketDataInMemory("[]")
    with pytest.raises(TypeError, match="from_json_file"):
        MarketDataInMemory(b"[]")
    with pytest.raises(TypeError, match="from_json_file"):
        MarketDataInMemory(pathlib.Path("x.json"))
    with pytest.raises(TypeError, match=r"record 1: expected MarketEvent or Reconnecting, got int"):
        MarketDataInMemory([Reconnecting("binance_spot"), 5])
    with pytest.raises(TypeError):
        MarketDataInMemory(None)


def test_path_with_nul_raises_value_error():
    with pytest.raises(ValueError, match="path contains a NUL character"):
        MarketDataInMemory.from_json_file("market\0data.json")
    with pytest.raises(ValueError, match="NUL"):
        MarketDataInMemory.from_json_file(pathlib.Path("market\0data.json"))


# =========================================================================== #
# Round trips of every DataKind variant through Rust
# =========================================================================== #
def _ev(kind, *, t_ex=T, t_rx=T + 1, exchange="binance_spot", instrument=0) -> MarketEvent:
    return MarketEvent(t_ex, t_rx, exchange, instrument, kind)


MANY_DIGITS = Decimal("96962.123456789012345678")  # 23 significant digits

TRADES = [
    _ev(PublicTrade("4314349047", 96962.51, 6e-05, Side.BUY)),
    _ev(PublicTrade("", 0.1 + 0.2, 1e-300, Side.SELL), t_ex=T + 3, instrument=7),
]
L1_WITH_LEVELS = [
    _ev(OrderBookL1(T + 7, Level(MANY_DIGITS, Decimal("0.000000000000000001")),
                    Level("96962.52", "1.25")), instrument=1),
]
L1_WITHOUT_LEVELS = [
    _ev(OrderBookL1(T + 9), instrument=1),
    _ev(OrderBookL1(T + 11, None, Level("0.001", "1000")), instrument=1),
    _ev(OrderBookL1(T + 13, Level("1", "2"), None), instrument=1),
]
BOOK_SNAPSHOTS = [
    _ev(OrderBookEvent.snapshot(
        42, None,
        [Level(MANY_DIGITS, "0.5"), Level("96962.1", "1.25"), Level("96961", "3")],
        [Level("96963.000000001", "0.1"), Level("96964", "2.5"), Level("96970.5", "10")],
    ), instrument=2),
    _ev(OrderBookEvent.snapshot(43, T + 99, [Level("1.5", "2")], []), instrument=2),
]
BOOK_UPDATES = [
    _ev(OrderBookEvent.update(
        44, T + 101,
        [Level("96962.1", "0"), Level("96960.25", "4.000001")],
        [Level("96964", "0"), Level("96965.123456789", "0.000000001")],
    ), instrument=2),
    _ev(OrderBookEvent.update(2**64 - 1, None, [], []), instrument=2),
]
CANDLES = [
    _ev(Candle(T + 17, 96962.51, 96990.0, 96900.25, 96950.0, 12.345678, 321), instrument=1),
]
LIQUIDATIONS = [
    _ev(Liquidation(Side.SELL, 3500.25, 0.75, T + 19), exchange="bybit_perpetuals_usd",
        instrument=3),
    _ev(Liquidation("buy", 200.5, 1e-9, T + 21), exchange="okx", instrument=4),
]

ROUND_TRIP_CASES = [
    pytest.param(TRADES, id="trade"),
    pytest.param(L1_WITH_LEVELS, id="l1-with-levels"),
    pytest.param(L1_WITHOUT_LEVELS, id="l1-without-levels"),
    pytest.param(BOOK_SNAPSHOTS, id="book-snapshot"),
    pytest.param(BOOK_UPDATES, id="book-update"),
    pytest.param(CANDLES, id="candle"),
    pytest.param(LIQUIDATIONS, id="liquidation"),
]


@pytest.mark.parametrize("items", ROUND_TRIP_CASES)
def test_round_trip_each_kind(items):
    records = [Reconnecting("binance_spot")] + list(items) + [Reconnecting("okx")]
    md = MarketDataInMemory(records)
    assert len(md) == len(items) + 2
    assert md.item_count == len(items)
    assert md.reconnect_count == 2
    events = md.events()
    assert events == list(items)
    assert md.time_first_event_ns == items[0].time_exchange_ns
    assert md.max_instrument_index == max(e.instrument for e in items)


def _mixed(include_books: bool) -> list:
    records = [TRADES[0], Reconnecting("binance_spot"), L1_WITH_LEVELS[0], *L1_WITHOUT_LEVELS]
    if include_books:
        records += [BOOK_SNAPSHOTS[0], Reconnecting("okx"), BOOK_UPDATES[0], BOOK_SNAPSHOTS[1]]
    records += [CANDLES[0], *LIQUIDATIONS, Reconnecting("okx"), TRADES[1]]
    return records


def test_round_trip_mixed_kinds_keeps_order():
    records = _mixed(include_books=False)
    items = [r for r in records if isinstance(r, MarketEvent)]
    md = MarketDataInMemory(records)
    assert len(md) == len(records)
    assert md.item_count == len(items)
    assert md.reconnect_count == len(records) - len(items)
    assert md.events() == items
    assert [e.kind.kind_name for e in md.events()] == [e.kind.kind_name for e in items]
    # A generator is accepted as well.
    assert MarketDataInMemory(r for r in records).events() == items


def test_round_trip_every_kind_including_order_books():
    records = _mixed(include_books=True)
    items = [r for r in records if isinstance(r, MarketEvent)]
    md = MarketDataInMemory(records)
    assert len(md) == len(records)
    assert md.events() == items
    kinds = {e.kind.kind_name for e in md.events()}
    assert kinds == {"public_trade", "l1", "l2", "candle", "liquidation"}


def test_order_book_json_as_barter_serialises_it():
    # barter serialises an OrderBook side as {"levels":[...]} (its `side` field is
    # skip_serializing, yet barter's Deserialize requires it); data recorded by barter
    # must load all the same.
    item = _trade_record(kind={"OrderBook": {"Snapshot": {
        "sequence": 7, "time_engine": None,
        "bids": {"levels": [{"price": "96962.5", "amount": "1.5"}]},
        "asks": {"levels": [{"price": "96963", "amount": "0.25"}]},
    }}})
    md = MarketDataInMemory.from_json_str(json.dumps({"Item": item}))
    book = md.events()[0].kind.value
    assert book.bids == [Level("96962.5", "1.5")] and book.asks == [Level("96963", "0.25")]


def test_order_book_levels_and_decimals_from_rust_output():
    # Order book rows with an explicit `"side": null` (what barter's own Deserialize
    # demands) load too, and come back with every level, in order, and every digit.
    def side(levels):
        return {"side": None, "levels": [{"price": p, "amount": a} for p, a in levels]}

    bids = [("96962.123456789012345678", "0.5"), ("96962.1", "1.25"), ("96961", "3.000")]
    asks = [("96963.000000001", "0.1"), ("96964", "2.5")]
    item = _trade_record(kind={"OrderBook": {"Update": {
        "sequence": 18446744073709551615, "time_engine": "2024-12-20T19:05:18.000000001Z",
        "bids": side(bids), "asks": side(asks),
    }}})
    md = MarketDataInMemory.from_json_str(json.dumps({"Item": item}))
    book = md.events()[0].kind.value
    assert book.kind == "update"
    assert book.sequence == 2**64 - 1
    assert book.time_engine_ns == _T0_S * 10**9 + 1
    assert [(str(l.price), str(l.amount)) for l in book.bids] == bids
    assert [(str(l.price), str(l.amount)) for l in book.asks] == asks


def test_nanosecond_timestamps_survive():
    odd = T + 123  # ...18.319582013Z: digits below the microsecond
    records = [
        MarketEvent(odd, odd + 1, "binance_spot", 0, PublicTrade("1", 1.0, 2.0, Side.BUY)),
        MarketEvent(odd + 2, odd + 3, "binance_spot", 0, OrderBookL1(odd + 4)),
        MarketEvent(odd + 5, odd + 6, "binance_spot", 0,
                    Candle(odd + 7, 1.0, 1.0, 1.0, 1.0, 1.0, 1)),
        MarketEvent(odd + 8, odd + 9, "binance_spot", 0, Liquidation(Side.BUY, 1.0, 1.0, odd + 10)),
        MarketEvent(-1, 0, "binance_spot", 0, PublicTrade("2", 1.0, 2.0, Side.SELL)),
        MarketEvent(1, 2**62, "binance_spot", 0, PublicTrade("3", 1.0, 2.0, Side.SELL)),
    ]
    md = MarketDataInMemory(records)
    assert md.time_first_event_ns == odd
    assert md.time_first_event == datetime(2024, 12, 20, 19, 5, 18, 319582, tzinfo=UTC)
    ev = md.events()
    assert ev == records
    assert [e.time_exchange_ns for e in ev] == [odd, odd + 2, odd + 5, odd + 8, -1, 1]
    assert [e.time_received_ns for e in ev] == [odd + 1, odd + 3, odd + 6, odd + 9, 0, 2**62]
    assert ev[1].kind.value.last_update_time_ns == odd + 4
    assert ev[2].kind.value.close_time_ns == odd + 7
    assert ev[3].kind.value.time_ns == odd + 10


def test_nanosecond_timestamp_in_file():
    item = _trade_record(time_exchange="2024-12-20T19:05:18.000000001Z",
                         time_received="2024-12-20T21:05:18.999999999+02:00")
    md = MarketDataInMemory.from_json_str(json.dumps({"Item": item}))
    assert md.time_first_event_ns == _T0_S * 10**9 + 1
    assert md.events()[0].time_received_ns == _T0_S * 10**9 + 999_999_999


def test_constructor_rejects_empty_and_markers_only():
    with pytest.raises(ValueError, match=r"<events>: no market data records \(input is empty\)"):
        MarketDataInMemory([])
    with pytest.raises(ValueError, match=r"<events>: no market events: 1 records"):
        MarketDataInMemory([Reconnecting("binance_spot")])


# =========================================================================== #
# copy, iteration, stream, repr
# =========================================================================== #
def test_copy_shares_data(example_md):
    reference = example_md.events()
    for c in (example_md.copy(), copy.copy(example_md), copy.deepcopy(example_md)):
        assert type(c) is MarketDataInMemory
        assert c is not example_md
        assert len(c) == len(example_md)
        assert c.item_count == example_md.item_count
        assert c.time_first_event_ns == example_md.time_first_event_ns
        assert c.events() == reference
    # The copy stays valid after the original is gone.
    c = example_md.copy()
    md2 = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    c2 = md2.copy()
    del md2
    gc.collect()
    assert c2.events() == reference
    assert c.events() == reference


def test_events_returns_new_list(example_md):
    a = example_md.events()
    b = example_md.events()
    assert a == b
    assert a is not b
    a.clear()
    assert example_md.events() == b


def test_iter_and_list_equal_events(example_md):
    events = example_md.events()
    assert list(example_md) == events
    assert list(iter(example_md)) == events
    assert [e for e in example_md] == events
    # Iterating twice gives the same again.
    assert list(example_md) == events


@pytest.mark.parametrize("chunk", [1, 2, 5, 6, 7, 23, 24, 25])
def test_iteration_across_chunk_boundaries(example_md, monkeypatch, chunk):
    events = example_md.events()
    monkeypatch.setattr(market_data_module, "CHUNK_RECORDS", chunk)
    assert list(example_md) == events

    async def collect():
        return [e async for e in example_md.stream()]

    assert asyncio.run(collect()) == events


def test_stream_async_iterator(example_md):
    async def collect():
        out = []
        async for ev in example_md.stream():
            out.append(ev)
        return out

    assert asyncio.run(collect()) == example_md.events()


def test_stream_yields_to_event_loop(example_md, monkeypatch):
    monkeypatch.setattr(market_data_module, "CHUNK_RECORDS", 4)
    ticks = []

    async def ticker():
        for _ in range(100):
            ticks.append(1)
            await asyncio.sleep(0)

    async def main():
        task = asyncio.create_task(ticker())
        seen = 0
        async for _ in example_md.stream():
            seen += 1
        during = len(ticks)
        await task
        return seen, during

    seen, during = asyncio.run(main())
    assert seen == EXAMPLE_ITEMS
    assert during > 0


def test_repr(example_md):
    assert repr(example_md) == EXAMPLE_REPR
    assert repr(example_md.copy()) == EXAMPLE_REPR


# =========================================================================== #
# Threads
# =========================================================================== #
N_THREADS = 8


def _run_together(fn, n=N_THREADS):
    barrier = threading.Barrier(n)

    def task(i):
        barrier.wait(timeout=30)
        return fn(i)

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(task, range(n)))


def test_one_object_read_by_many_threads(example_md):
    reference = example_md.events()
    results = _run_together(lambda i: example_md.events())
    assert len(results) == N_THREADS
    for r in results:
        assert r == reference
    # Mixed readers: events(), iteration, copies, counts.
    def mixed(i):
        if i % 4 == 0:
            return example_md.events()
        if i % 4 == 1:
            return list(example_md)
        if i % 4 == 2:
            return example_md.copy().events()
        assert (len(example_md), example_md.item_count) == (EXAMPLE_RECORDS, EXAMPLE_ITEMS)
        return example_md.events()

    for r in _run_together(mixed):
        assert r == reference


def test_loading_in_threads(example_market_data_path, example_market_data_jsonl_path, example_bytes):
    reference = MarketDataInMemory.from_json_file(example_market_data_path).events()

    def load(i):
        if i % 3 == 0:
            md = MarketDataInMemory.from_json_file(example_market_data_path)
        elif i % 3 == 1:
            md = MarketDataInMemory.from_json_file(example_market_data_jsonl_path)
        else:
            md = MarketDataInMemory.from_json_bytes(example_bytes)
        return len(md), md.item_count, md.events()

    for n, items, events in _run_together(load):
        assert (n, items) == (EXAMPLE_RECORDS, EXAMPLE_ITEMS)
        assert events == reference


def test_errors_in_threads(tmp_path):
    # Errors raised concurrently each carry their own message.
    def bad(i):
        text = _as_shape("jsonl", [_trade_record()] * i + [_trade_record(exchange=f"nope_{i}")])
        with pytest.raises(ValueError) as info:
            MarketDataInMemory.from_json_str(text)
        return str(info.value)

    for i, message in enumerate(_run_together(bad)):
        assert f"line {i + 1} column" in message
        assert f"unknown exchange `nope_{i}`" in message


# =========================================================================== #
# Panics and closed handles
# =========================================================================== #
def test_panic_raises_barter_panic(example_market_data_path):
    with pytest.raises(BarterPanic, match="boom") as info:
        _native.trigger_panic("boom")
    assert isinstance(info.value, BarterError)
    assert isinstance(info.value, RuntimeError)
    assert issubclass(BarterPanic, BarterError)
    assert issubclass(BarterPanic, RuntimeError)
    assert barter_cy.BarterPanic is BarterPanic
    # The process goes on; Rust still works, repeatedly.
    md = MarketDataInMemory.from_json_file(example_market_data_path)
    assert md.item_count == EXAMPLE_ITEMS
    with pytest.raises(BarterPanic, match="second panic: ünïcode"):
        _native.trigger_panic("second panic: ünïcode")
    assert MarketDataInMemory.from_json_file(example_market_data_path).events() == md.events()


def test_panic_message_with_nul_is_rejected_before_rust():
    with pytest.raises(ValueError, match="NUL"):
        _native.trigger_panic("a\0b")


def test_null_handle_raises_never_crashes():
    # An object made without a constructor owns no Rust data: every call that would
    # reach Rust raises, none crashes.
    empty = MarketDataInMemory.__new__(MarketDataInMemory)
    assert len(empty) == 0
    for call in (empty.to_bytes, empty.events, empty.copy, lambda: empty.save("x.bin")):
        with pytest.raises(ValueError, match="market data handle is closed or was never opened"):
            call()
    config = barter_cy.SystemConfig.__new__(barter_cy.SystemConfig)
    with pytest.raises(ValueError, match="system config handle is closed or was never opened"):
        config.to_dict()
    with pytest.raises(ValueError, match="market data handle is closed or was never opened"):
        barter_cy.BacktestArgsConstant(barter_cy.SystemConfig.from_json(barter_cy.example_path("system_config")), empty)
    del empty, config
    gc.collect()


# =========================================================================== #
# Memory
# =========================================================================== #
def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_create_and_free_does_not_leak(example_bytes):
    def cycle(n):
        for _ in range(n):
            md = MarketDataInMemory.from_json_bytes(example_bytes)
            c = md.copy()
            assert c.item_count == EXAMPLE_ITEMS
            del md, c

    cycle(1_000)
    gc.collect()
    before = _rss_bytes()
    cycle(10_000)
    gc.collect()
    growth = _rss_bytes() - before
    assert growth < 20 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MiB"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_events_and_errors_do_not_leak(example_bytes):
    md = MarketDataInMemory.from_json_bytes(example_bytes)
    bad = b'[{"Reconnecting":"nope_exchange"}]'

    def cycle(n):
        for _ in range(n):
            md.events()
            try:
                MarketDataInMemory.from_json_bytes(bad)
            except ValueError:
                pass

    cycle(500)
    gc.collect()
    before = _rss_bytes()
    cycle(5_000)
    gc.collect()
    growth = _rss_bytes() - before
    assert growth < 20 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MiB"


# =========================================================================== #
# A larger generated file
# =========================================================================== #
N_GENERATED = 20_000


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, generator):
    """{shape: (path, counts)} for ~20,000 generated events."""
    out = {}
    for shape_name in ("jsonl", "array"):
        path = tmp_path_factory.mktemp("gen") / f"market_data.{shape_name}"
        counts = generator.generate(
            path, N_GENERATED, n_instruments=3, seed=0,
            candle_every=50, reconnect_every=1_000, shape=shape_name,
        )
        out[shape_name] = (str(path), counts)
    return out


def test_generated_counts(generated, shape):
    path, counts = generated[shape]
    assert counts["items"] == N_GENERATED
    assert counts["trades"] + counts["candles"] == N_GENERATED
    assert counts["candles"] > 0 and counts["reconnects"] > 0
    md = MarketDataInMemory.from_json_file(path)
    assert len(md) == counts["records"]
    assert md.item_count == counts["items"]
    assert md.reconnect_count == counts["reconnects"]
    assert md.skipped_error_count == 0
    assert md.max_instrument_index == 2
    events = md.events()
    assert len(events) == counts["items"]
    kinds = [e.kind.kind_name for e in events]
    assert kinds.count("public_trade") == counts["trades"]
    assert kinds.count("candle") == counts["candles"]
    assert md.time_first_event_ns == events[0].time_exchange_ns


def test_generated_shapes_equal_and_match_file(generated, monkeypatch):
    jsonl_path, _ = generated["jsonl"]
    array_path, _ = generated["array"]
    from_jsonl = MarketDataInMemory.from_json_file(jsonl_path).events()
    from_array = MarketDataInMemory.from_json_file(array_path).events()
    assert from_jsonl == from_array
    # Independently parsed by the validated pure-Python parser, in file order.
    with open(jsonl_path, encoding="utf-8") as f:
        expected = [r for r in (from_barter(json.loads(line)) for line in f if line.strip())
                    if isinstance(r, MarketEvent)]
    assert from_jsonl == expected


def test_generated_iteration_equals_events(generated, shape, monkeypatch):
    path, counts = generated[shape]
    md = MarketDataInMemory.from_json_file(path)
    events = md.events()
    assert list(md) == events
    monkeypatch.setattr(market_data_module, "CHUNK_RECORDS", 4_096)
    assert list(md) == events

    async def collect():
        return [e async for e in md.stream()]

    assert asyncio.run(collect()) == events


def test_generated_shared_across_threads(generated):
    path, _ = generated["array"]
    md = MarketDataInMemory.from_json_file(path)
    reference = md.events()
    results = _run_together(lambda i: md.events() if i % 2 else list(md.copy()))
    for r in results:
        assert r == reference


def test_gil_released_while_loading(tmp_path, generator):
    # A Python thread must keep running *while* Rust reads and parses a file: progress
    # stamps taken well inside the call window (margins far above the 5 ms GIL switch
    # interval) prove the GIL was released, not just handed over around the call.
    path = tmp_path / "big.jsonl"
    counts = generator.generate(str(path), 150_000, n_instruments=3, seed=7)
    stamps: list[float] = []
    stop = threading.Event()

    def spin():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 256 == 0:
                stamps.append(time.perf_counter())

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        while not stamps:
            time.sleep(0.001)
        start = time.perf_counter()
        md = MarketDataInMemory.from_json_file(path)
        end = time.perf_counter()
    finally:
        stop.set()
        thread.join(10)
    assert md.item_count == counts["items"] == 150_000
    margin = max((end - start) / 8, 0.010)
    inside = [s for s in stamps if start + margin <= s <= end - margin]
    assert inside, f"no progress of the Python thread inside the {end - start:.3f}s load"
