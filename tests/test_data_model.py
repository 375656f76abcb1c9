"""Tests for the pure-Python barter-data mirrors in barter_cy.data."""

import copy
import json
import math
import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from barter_cy.data import (
    Candle,
    DataKind,
    Level,
    Liquidation,
    MarketEvent,
    OrderBookEvent,
    OrderBookL1,
    PublicTrade,
    Reconnecting,
    Side,
    datetime_to_ns,
    events_from_wire,
    events_to_jsonl,
    from_barter,
    ns_to_datetime,
    ns_to_rfc3339,
    rfc3339_to_ns,
    to_barter,
)

UTC = timezone.utc
T_STR = "2024-12-20T19:05:18.319581890Z"
# calendar.timegm((2024, 12, 20, 19, 5, 18, 0, 0, 0)) == 1734721518
T_NS = 1734721518319581890


# --------------------------------------------------------------------------- #
# Fixtures / builders
# --------------------------------------------------------------------------- #
def trade():
    return PublicTrade("4314349047", 96962.51, 6e-05, Side.BUY)


def l1():
    return OrderBookL1(T_NS, Level("96962.51", "0.5"), Level("96962.52", "1.25"))


def book(kind="snapshot", time_engine=T_NS + 7):
    return OrderBookEvent(
        kind,
        42,
        time_engine,
        [Level("100.5", "1"), Level("100.4", "2.000")],
        [Level("100.6", "3"), Level(Decimal("1E+3"), "0.0000001")],
    )


def candle():
    return Candle(T_NS, 1.0, 2.5, 0.5, 2.0, 1234.5678, 17)


def liquidation():
    return Liquidation("sell", 123.25, 4.0, T_NS + 123)


ALL_KINDS = [
    DataKind.trade(trade()),
    DataKind.order_book_l1(l1()),
    DataKind.order_book_l1(OrderBookL1(T_NS, None, None)),
    DataKind.order_book(book()),
    DataKind.order_book(book("update", None)),
    DataKind.order_book(OrderBookEvent.snapshot(0)),
    DataKind.candle(candle()),
    DataKind.liquidation(liquidation()),
]


def event(kind=None, **kw):
    args = dict(
        time_exchange=T_NS,
        time_received=T_NS + 1_000,
        exchange="binance_spot",
        instrument=0,
        kind=kind if kind is not None else DataKind.trade(trade()),
    )
    args.update(kw)
    return MarketEvent(**args)


def to_wire_row(ev):
    """Turn a `_to_barter` Item into the Rust wire row form."""
    item = json.loads(json.dumps(ev._to_barter()))["Item"]
    return [
        rfc3339_to_ns(item["time_exchange"]),
        rfc3339_to_ns(item["time_received"]),
        item["exchange"],
        item["instrument"],
        item["kind"],
    ]


# --------------------------------------------------------------------------- #
# Time helpers
# --------------------------------------------------------------------------- #
def test_rfc3339_reference_value():
    assert rfc3339_to_ns(T_STR) == T_NS
    assert ns_to_rfc3339(T_NS) == T_STR


@pytest.mark.parametrize("digits", range(10))
def test_rfc3339_fraction_lengths(digits):
    frac = "319581890"[:digits]
    s = "2024-12-20T19:05:18" + (f".{frac}" if digits else "") + "Z"
    expected = 1734721518 * 10**9 + (int(frac.ljust(9, "0")) if digits else 0)
    ns = rfc3339_to_ns(s)
    assert ns == expected
    # canonical form always has 9 digits and parses back exactly
    out = ns_to_rfc3339(ns)
    assert out == "2024-12-20T19:05:18." + frac.ljust(9, "0") + "Z"
    assert rfc3339_to_ns(out) == ns


@pytest.mark.parametrize(
    "s",
    [
        "2024-12-20T19:05:18.319581890+00:00",
        "2024-12-20T20:05:18.319581890+01:00",
        "2024-12-21T00:35:18.319581890+05:30",
        "2024-12-20T14:05:18.319581890-05:00",
        "2024-12-20T19:05:18.319581890-00:00",
        "2024-12-20t19:05:18.319581890z",
    ],
)
def test_rfc3339_offsets(s):
    assert rfc3339_to_ns(s) == T_NS


@pytest.mark.parametrize(
    "ns",
    [0, 1, 999_999_999, 1_000_000_000, T_NS, -1, -1_000_000_001, 951_782_400 * 10**9,
     2**63 - 1, -(2**63)],
)
def test_ns_rfc3339_round_trip(ns):
    s = ns_to_rfc3339(ns)
    assert s.endswith("Z") and len(s.split(".")[1]) == 10
    assert rfc3339_to_ns(s) == ns


def test_pre_epoch_formatting():
    assert ns_to_rfc3339(-1) == "1969-12-31T23:59:59.999999999Z"
    assert ns_to_rfc3339(0) == "1970-01-01T00:00:00.000000000Z"
    assert ns_to_rfc3339(951_782_400 * 10**9) == "2000-02-29T00:00:00.000000000Z"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2024-12-20",
        "2024-12-20T19:05:18",  # no offset
        "2024-12-20T19:05:18.Z",  # empty fraction
        "2024-12-20T19:05:18.1234567890Z",  # 10 digits
        "2024-13-20T19:05:18Z",
        "2023-02-29T19:05:18Z",
        "2024-12-20T24:05:18Z",
        "2024-12-20T19:05:18+25:00",
        "2024-12-20T19:05:18Zjunk",
        " 2024-12-20T19:05:18Z",
    ],
)
def test_rfc3339_malformed(bad):
    with pytest.raises(ValueError, match="RFC 3339") as exc:
        rfc3339_to_ns(bad)
    assert repr(bad) in str(exc.value)


def test_datetime_ns_helpers():
    dt = datetime(2024, 12, 20, 19, 5, 18, 319581, tzinfo=UTC)
    assert datetime_to_ns(dt) == T_NS - 890
    assert ns_to_datetime(T_NS) == dt
    assert ns_to_datetime(T_NS).tzinfo is not None
    other = dt.astimezone(timezone(timedelta(hours=-3)))
    assert datetime_to_ns(other) == T_NS - 890
    # floor for negatives
    assert ns_to_datetime(-1) == datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        datetime_to_ns(datetime(2024, 1, 1))


def test_naive_datetime_rejected_in_constructors():
    naive = datetime(2024, 12, 20, 19, 5, 18)
    with pytest.raises(ValueError, match="time_exchange.*timezone-aware"):
        event(time_exchange=naive)
    with pytest.raises(ValueError, match="last_update_time.*timezone-aware"):
        OrderBookL1(naive)
    with pytest.raises(ValueError, match="close_time.*timezone-aware"):
        Candle(naive, 1, 1, 1, 1, 1, 1)


def test_time_properties():
    dt = datetime(2024, 12, 20, 19, 5, 18, 319581, tzinfo=UTC)
    ev = event()
    assert ev.time_exchange_ns == T_NS
    assert ev.time_exchange == dt
    assert ev.time_received_ns == T_NS + 1000
    ev2 = event(time_exchange=dt, time_received=dt)
    assert ev2.time_exchange_ns == T_NS - 890
    assert l1().last_update_time_ns == T_NS and l1().last_update_time == dt
    assert candle().close_time_ns == T_NS and candle().close_time == dt
    assert liquidation().time_ns == T_NS + 123
    assert liquidation().time == dt + timedelta(microseconds=1)
    assert book().time_engine_ns == T_NS + 7 and book().time_engine == dt
    b = book(time_engine=None)
    assert b.time_engine is None and b.time_engine_ns is None


# --------------------------------------------------------------------------- #
# Side
# --------------------------------------------------------------------------- #
def test_side():
    assert Side.BUY.value == "Buy" and Side.SELL.value == "Sell"
    for s in ("buy", "Buy", "BUY", " buy "):
        assert Side.parse(s) is Side.BUY
    assert Side.parse("sElL") is Side.SELL
    assert Side.parse(Side.SELL) is Side.SELL
    assert Side("buy") is Side.BUY
    with pytest.raises(ValueError, match="'hold'"):
        Side.parse("hold")
    assert repr(Side.BUY) == "Side.BUY"


# --------------------------------------------------------------------------- #
# Wire round trips
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.kind_name)
def test_to_barter_wire_round_trip(kind):
    ev = event(kind)
    row = to_wire_row(ev)
    (back,) = events_from_wire(json.loads(json.dumps([row])))
    assert back == ev
    assert hash(back) == hash(ev)
    # (reprs may differ only in Decimal spelling, e.g. 1E+3 vs 1000)
    assert back._to_barter() == ev._to_barter()
    # also through the validated inverse
    assert from_barter(json.loads(json.dumps(ev._to_barter()))) == ev


def test_to_barter_exact_shape_trade():
    ev = MarketEvent(
        T_NS, T_NS + 1, "binance_spot", 3,
        DataKind.trade(PublicTrade("1", 1.5, 2, "buy")),
    )
    assert to_barter(ev) == {
        "Item": {
            "time_exchange": T_STR,
            "time_received": "2024-12-20T19:05:18.319581891Z",
            "exchange": "binance_spot",
            "instrument": 3,
            "kind": {"Trade": {"id": "1", "price": 1.5, "amount": 2.0, "side": "Buy"}},
        }
    }
    assert isinstance(ev.kind.value.amount, float)


def test_to_barter_shapes_other_kinds():
    k = DataKind.order_book(book())._to_barter()
    assert list(k) == ["OrderBook"]
    snap = k["OrderBook"]["Snapshot"]
    assert snap["sequence"] == 42
    assert snap["time_engine"] == "2024-12-20T19:05:18.319581897Z"
    assert snap["bids"] == {"levels": [{"price": "100.5", "amount": "1"},
                                       {"price": "100.4", "amount": "2.000"}]}
    # no scientific notation for rust_decimal
    assert snap["asks"]["levels"][1] == {"price": "1000", "amount": "0.0000001"}
    assert "Update" in DataKind.order_book(book("update"))._to_barter()["OrderBook"]
    assert DataKind.order_book_l1(OrderBookL1(0))._to_barter() == {
        "OrderBookL1": {"last_update_time": "1970-01-01T00:00:00.000000000Z",
                        "best_bid": None, "best_ask": None}}
    assert DataKind.candle(candle())._to_barter() == {"Candle": {
        "close_time": T_STR, "open": 1.0, "high": 2.5, "low": 0.5, "close": 2.0,
        "volume": 1234.5678, "trade_count": 17}}
    assert DataKind.liquidation(liquidation())._to_barter() == {"Liquidation": {
        "side": "Sell", "price": 123.25, "quantity": 4.0,
        "time": "2024-12-20T19:05:18.319582013Z"}}
    assert Reconnecting("binance_spot")._to_barter() == {"Reconnecting": "binance_spot"}
    assert to_barter(Reconnecting("okx")) == {"Reconnecting": "okx"}
    with pytest.raises(TypeError):
        to_barter("nope")


def test_events_from_wire_many_and_variants():
    rows = [to_wire_row(event(k, instrument=i)) for i, k in enumerate(ALL_KINDS)]
    # wire numbers may come as ints and times with short fractions
    rows.append([5, 6, "okx", 9, {"Trade": {"id": "x", "price": 2, "amount": 3, "side": "Sell"}}])
    rows.append([5, 6, "okx", 9, {"Candle": {
        "close_time": "2024-12-20T19:05:18.3Z", "open": 1, "high": 2, "low": 0.5,
        "close": 1.5, "volume": 10, "trade_count": 2}}])
    out = events_from_wire(rows)
    assert len(out) == len(rows)
    for i, k in enumerate(ALL_KINDS):
        assert out[i] == event(k, instrument=i)
    t = out[-2].kind.value
    assert t == PublicTrade("x", 2.0, 3.0, Side.SELL)
    assert type(t.price) is float and type(t.amount) is float
    c = out[-1].kind.value
    assert c.close_time_ns == 1734721518300000000
    assert type(c.open) is float
    assert events_from_wire([]) == []


def test_events_from_wire_malformed_names_row():
    good = to_wire_row(event())
    with pytest.raises(ValueError, match="row 1"):
        events_from_wire([good, [1, 2, "x", 0, {"Bogus": {}}]])
    with pytest.raises(ValueError, match="row 2"):
        events_from_wire([good, good, [1, 2, "x"]])
    with pytest.raises(ValueError, match="row 0"):
        events_from_wire([[1, 2, "x", 0, {"Trade": {"id": "1"}}]])


def test_events_from_wire_null_float_is_nan():
    (ev,) = events_from_wire(
        [[1, 2, "x", 0, {"Trade": {"id": "1", "price": None, "amount": 1.0, "side": "Buy"}}]]
    )
    assert math.isnan(ev.kind.value.price)


# --------------------------------------------------------------------------- #
# events_to_jsonl
# --------------------------------------------------------------------------- #
def test_events_to_jsonl():
    recs = [event(k) for k in ALL_KINDS] + [Reconnecting("binance_spot")]
    data = events_to_jsonl(recs)
    assert isinstance(data, bytes)
    lines = data.decode("utf-8").split("\n")
    assert len(lines) == len(recs)
    for line, rec in zip(lines, recs):
        assert " " not in line.replace("binance spot", "")
        assert json.loads(line) == rec._to_barter()
        assert from_barter(json.loads(line)) == rec
    assert lines[-1] == '{"Reconnecting":"binance_spot"}'
    assert events_to_jsonl([]) == b""
    assert events_to_jsonl(iter([Reconnecting("a")])) == b'{"Reconnecting":"a"}'


def test_events_to_jsonl_rejects_nan_with_index():
    (bad,) = events_from_wire(
        [[1, 2, "x", 0, {"Trade": {"id": "1", "price": 1.0, "amount": float("nan"), "side": "Buy"}}]]
    )
    with pytest.raises(ValueError, match=r"record 2\b.*amount"):
        events_to_jsonl([event(), Reconnecting("x"), bad])


def test_events_to_jsonl_rejects_wrong_type():
    with pytest.raises(TypeError, match=r"record 1\b.*dict"):
        events_to_jsonl([event(), {"Item": {}}])
    with pytest.raises(TypeError, match=r"record 0\b.*PublicTrade"):
        events_to_jsonl([trade()])


# --------------------------------------------------------------------------- #
# Equality, hashing, repr, immutability
# --------------------------------------------------------------------------- #
def test_equality_and_inequality():
    assert event() == event()
    assert hash(event()) == hash(event())
    assert event() != event(instrument=1)
    assert event() != event(exchange="okx")
    assert event() != event(time_exchange=T_NS + 1)
    assert event() != event(DataKind.candle(candle()))
    assert event() != Reconnecting("binance_spot")
    assert Reconnecting("a") == Reconnecting("a") != Reconnecting("b")
    assert Level("1.0", 2) == Level(1, "2.00")
    assert hash(Level("1.0", 2)) == hash(Level(1, "2.00"))
    assert Level(1, 2) != Level(1, 3)
    assert trade() != PublicTrade("4314349047", 96962.51, 6e-05, Side.SELL)
    assert book() == book() and book() != book("update")
    assert book() != book(time_engine=None)
    assert OrderBookEvent.snapshot(1) != OrderBookEvent.update(1)
    assert candle() == candle() != Candle(T_NS, 1, 2.5, 0.5, 2, 1234.5678, 18)
    assert liquidation() == Liquidation(Side.SELL, 123.25, 4, T_NS + 123)
    assert DataKind.trade(trade()) == DataKind.trade(trade())
    assert event() != "event"
    assert len({event(), event(), event(instrument=2)}) == 2
    assert len({k for k in ALL_KINDS}) == len(ALL_KINDS)


def test_reprs():
    r = repr(event())
    assert r.startswith("MarketEvent(time_exchange=2024-12-20T19:05:18.319581890Z")
    assert "exchange='binance_spot'" in r
    assert "instrument=0" in r
    assert ("kind=DataKind.trade(PublicTrade(id='4314349047', price=96962.51, "
            "amount=6e-05, side=Side.BUY))") in r
    assert "Level(price=Decimal('96962.51')" in repr(l1())
    assert "OrderBookL1(last_update_time=2024-12-20T19:05:18.319581890Z" in repr(l1())
    rb = repr(DataKind.order_book(book()))
    assert rb.startswith("DataKind.order_book(OrderBookEvent.snapshot(sequence=42")
    assert "bids=[Level(" in rb
    assert "time_engine=None" in repr(book(time_engine=None))
    assert "trade_count=17" in repr(candle())
    assert "side=Side.SELL" in repr(liquidation())
    assert "DataKind.order_book_l1(" in repr(ALL_KINDS[1])
    assert "DataKind.candle(" in repr(ALL_KINDS[6])
    assert "DataKind.liquidation(" in repr(ALL_KINDS[7])
    assert repr(Reconnecting("okx")) == "Reconnecting(exchange='okx')"


def test_read_only_and_slots():
    ev = event()
    with pytest.raises(AttributeError):
        ev.exchange = "okx"
    with pytest.raises(AttributeError):
        ev.whatever = 1
    t = trade()
    with pytest.raises(AttributeError):
        t.price = 1.0
    b = book()
    b.bids.append(Level(1, 1))  # returned list is a copy
    assert len(b.bids) == 2
    assert all(not hasattr(o, "__dict__") for o in
               [ev, t, b, l1(), candle(), liquidation(), Level(1, 1), Reconnecting("x"),
                ev.kind])


def test_pickle_and_copy():
    for k in ALL_KINDS:
        ev = event(k)
        assert pickle.loads(pickle.dumps(ev)) == ev
        assert copy.deepcopy(ev) == ev


def test_kind_accessors():
    k = DataKind.trade(trade())
    assert k.kind_name == "public_trade" and k.value == trade()
    assert [k.kind_name for k in ALL_KINDS] == [
        "public_trade", "l1", "l1", "l2", "l2", "l2", "candle", "liquidation"]
    assert DataKind.of(candle()) == DataKind.candle(candle())
    # bare payload accepted by MarketEvent
    assert event(kind=trade()) == event()
    assert book().is_snapshot and not book("update").is_snapshot
    assert book().kind == "snapshot"
    assert book().sequence == 42


def test_to_dict():
    d = event().to_dict()
    assert d["time_exchange"] == datetime(2024, 12, 20, 19, 5, 18, 319581, tzinfo=UTC)
    assert d["exchange"] == "binance_spot" and d["instrument"] == 0
    assert d["kind"] == {
        "kind_name": "public_trade",
        "value": {"id": "4314349047", "price": 96962.51, "amount": 6e-05, "side": "Buy"},
    }
    bd = book().to_dict()
    assert bd["bids"][0] == {"price": Decimal("100.5"), "amount": Decimal("1")}
    assert l1().to_dict()["best_bid"]["price"] == Decimal("96962.51")


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #
def test_level_inputs():
    assert Level(0.1, 2).price == Decimal("0.1")  # float via repr
    assert Level(Decimal("1.5"), "2").amount == Decimal("2")
    assert isinstance(Level(1, 2).price, Decimal)
    with pytest.raises(ValueError, match="price"):
        Level(Decimal("NaN"), 1)
    with pytest.raises(ValueError, match="amount"):
        Level(1, "abc")
    with pytest.raises(ValueError, match="price"):
        Level(float("inf"), 1)
    with pytest.raises(ValueError, match="amount"):
        Level(1, "Infinity")
    with pytest.raises(TypeError, match="price"):
        Level(None, 1)
    with pytest.raises(TypeError, match="amount"):
        Level(1, True)


def test_trade_validation():
    with pytest.raises(TypeError, match="id"):
        PublicTrade(1, 1.0, 1.0, "buy")
    with pytest.raises(ValueError, match="price"):
        PublicTrade("1", float("nan"), 1.0, "buy")
    with pytest.raises(ValueError, match="amount"):
        PublicTrade("1", 1.0, float("-inf"), "buy")
    with pytest.raises(TypeError, match="price"):
        PublicTrade("1", "1.0", 1.0, "buy")
    with pytest.raises(TypeError, match="price"):
        PublicTrade("1", Decimal("1.0"), 1.0, "buy")
    with pytest.raises(ValueError, match="side"):
        PublicTrade("1", 1.0, 1.0, "hold")
    with pytest.raises(TypeError, match="side"):
        PublicTrade("1", 1.0, 1.0, 1)
    t = PublicTrade("1", 3, 4, "SELL")
    assert type(t.price) is float and t.price == 3.0 and t.side is Side.SELL


def test_event_validation():
    with pytest.raises(ValueError, match="instrument"):
        event(instrument=-1)
    with pytest.raises(TypeError, match="instrument"):
        event(instrument="0")
    with pytest.raises(TypeError, match="instrument"):
        event(instrument=True)
    with pytest.raises(ValueError, match="exchange"):
        event(exchange="")
    with pytest.raises(TypeError, match="exchange"):
        event(exchange=None)
    with pytest.raises(TypeError, match="time_received"):
        event(time_received=1.5)
    with pytest.raises(TypeError, match="time_exchange"):
        event(time_exchange="2024-12-20T19:05:18Z")
    with pytest.raises(ValueError, match="time_exchange"):
        event(time_exchange=2**63)
    with pytest.raises(TypeError, match="kind"):
        event(kind="Trade")
    with pytest.raises(ValueError, match="exchange"):
        Reconnecting("")


def test_payload_validation():
    with pytest.raises(ValueError, match="trade_count"):
        Candle(T_NS, 1, 1, 1, 1, 1, -1)
    with pytest.raises(TypeError, match="trade_count"):
        Candle(T_NS, 1, 1, 1, 1, 1, 1.0)
    with pytest.raises(ValueError, match="volume"):
        Candle(T_NS, 1, 1, 1, 1, float("nan"), 1)
    with pytest.raises(ValueError, match="high"):
        Candle(T_NS, 1, float("inf"), 1, 1, 1, 1)
    with pytest.raises(ValueError, match="quantity"):
        Liquidation("buy", 1, float("nan"), T_NS)
    with pytest.raises(TypeError, match="time"):
        Liquidation("buy", 1, 1, None)
    with pytest.raises(ValueError, match="sequence"):
        OrderBookEvent.snapshot(-1)
    with pytest.raises(ValueError, match="kind"):
        OrderBookEvent("delta", 1)
    with pytest.raises(TypeError, match="bids"):
        OrderBookEvent.update(1, None, [object()])
    with pytest.raises(TypeError, match="asks"):
        OrderBookEvent.update(1, None, [], "1,2")
    with pytest.raises(TypeError, match="best_bid"):
        OrderBookL1(T_NS, "1")
    assert OrderBookEvent.update(1, None, [(1, 2)]).bids == [Level(1, 2)]


def test_datakind_type_checks():
    with pytest.raises(TypeError, match="PublicTrade"):
        DataKind.trade(candle())
    with pytest.raises(TypeError, match="OrderBookL1"):
        DataKind.order_book_l1(book())
    with pytest.raises(TypeError, match="OrderBookEvent"):
        DataKind.order_book(l1())
    with pytest.raises(TypeError, match="Candle"):
        DataKind.candle(trade())
    with pytest.raises(TypeError, match="Liquidation"):
        DataKind.liquidation(None)
    with pytest.raises(ValueError, match="kind_name"):
        DataKind("l3", trade())
    with pytest.raises(TypeError):
        DataKind.of(1)


def test_from_barter_validates():
    item = event()._to_barter()
    item["Item"]["kind"]["Trade"]["price"] = None  # serde_json's NaN
    with pytest.raises(ValueError, match="price"):
        from_barter(item)
    with pytest.raises(ValueError):
        from_barter({"Nope": 1})


@pytest.mark.parametrize(
    "tid,price,amount,exchange,instrument",
    [
        ("4314349047", 96962.51, 6e-05, "binance_spot", 0),
        ("", 1e16, 5e-324, "okx", 2**40),
        ('q"uo\\te\n', -0.0, 123456789012345678.0, "ex\u00e9\u4e2d", 7),
        ("\U0001f600", 1e300, 2.0, "bybit_perpetuals_usd", 1),
    ],
)
def test_events_to_jsonl_trade_fast_path_matches_json(tid, price, amount, exchange, instrument):
    ev = MarketEvent(T_NS, -5, exchange, instrument,
                     DataKind.trade(PublicTrade(tid, price, amount, "sell")))
    line = events_to_jsonl([ev])
    assert line == json.dumps(ev._to_barter(), separators=(",", ":")).encode("utf-8")
    assert from_barter(json.loads(line)) == ev
