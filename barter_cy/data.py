"""Pure-Python mirrors of barter-data 0.13 market events.

The classes here mirror the Rust types of ``barter-data`` (``MarketEvent``,
``DataKind`` and its payloads) closely enough that they can be serialised to,
and rebuilt from, barter's own serde JSON form:

* ``to_barter`` / ``_to_barter`` produce barter's serde JSON value
  (``{"Item": {...}}`` / ``{"Reconnecting": "binance_spot"}``);
* ``events_to_jsonl`` turns an iterable of records into JSON Lines bytes for the
  Rust side;
* ``events_from_wire`` rebuilds :class:`MarketEvent` objects from the compact
  row form the Rust side hands back.

Numeric types follow barter:

* ``Level.price`` / ``Level.amount`` are ``rust_decimal::Decimal`` in barter and
  :class:`decimal.Decimal` here (serialised as JSON strings, e.g. ``"96962.51"``).
* ``PublicTrade``, ``Candle`` and ``Liquidation`` numbers are ``f64`` in barter
  and ``float`` here.  Python floats are IEEE-754 binary64 values exactly like
  Rust's ``f64``, so values survive a round trip unchanged (no rounding is
  introduced by this module).

Time precision: barter timestamps (``chrono::DateTime<Utc>``) carry nanoseconds,
Python's :class:`datetime.datetime` only microseconds.  Every timestamp is
therefore stored as an ``int`` of nanoseconds since the Unix epoch (UTC).  For a
time field ``x`` the property ``x`` returns a tz-aware UTC ``datetime``
(truncated to microseconds) and ``x_ns`` returns the exact integer.  Public
constructors accept either a tz-aware ``datetime`` or an ``int`` of nanoseconds.

All classes use ``__slots__``, expose their fields as read-only properties,
compare by value and are hashable consistently with equality.
"""

from __future__ import annotations

import enum
import contextlib
import gc
import json
import math
import operator
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

# The three hot event classes and the decimal range check are in barter_cy/_native.pyx.
from barter_cy._native import RUST_DECIMAL_MAX, RUST_DECIMAL_MAX_SCALE, DataKind, MarketEvent, PublicTrade, decimal_text


__all__ = [
    "Side",
    "Level",
    "PublicTrade",
    "OrderBookL1",
    "OrderBookEvent",
    "Candle",
    "Liquidation",
    "DataKind",
    "MarketEvent",
    "Reconnecting",
    "ns_to_rfc3339",
    "rfc3339_to_ns",
    "datetime_to_ns",
    "ns_to_datetime",
    "to_barter",
    "from_barter",
    "events_to_jsonl",
    "events_from_wire",
    "events_from_wire_json",
]

_new = object.__new__

_NS_PER_S = 1_000_000_000
_S_PER_DAY = 86_400
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1
_U64_MAX = 2**64 - 1
_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # 719163


# --------------------------------------------------------------------------- #
# Time helpers
# --------------------------------------------------------------------------- #
def datetime_to_ns(dt: datetime) -> int:
    """Convert a tz-aware ``datetime`` to integer nanoseconds since the epoch.

    Raises ``ValueError`` for naive datetimes and ``TypeError`` for non-datetimes.
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime {dt!r} must be timezone-aware")
    delta = dt - _EPOCH
    return (
        (delta.days * _S_PER_DAY + delta.seconds) * _NS_PER_S
        + delta.microseconds * 1000
    )


def ns_to_datetime(ns: int) -> datetime:
    """Convert integer nanoseconds since the epoch to a tz-aware UTC datetime.

    Sub-microsecond digits are truncated (floor, also for pre-1970 values).
    """
    ns = operator.index(ns)
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _secs_prefix(secs: int) -> str:
    days, rem = divmod(secs, _S_PER_DAY)
    d = date.fromordinal(days + _EPOCH_ORDINAL)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day, hh, mm, ss)


# (seconds, "YYYY-MM-DDTHH:MM:SS") of the last conversion; consecutive events
# almost always share the second.  Replaced atomically -> thread safe.
_rfc_cache: tuple = (None, "")


def ns_to_rfc3339(ns: int) -> str:
    """Format integer nanoseconds since the epoch as RFC 3339 UTC.

    Always 9 fraction digits and a ``Z`` suffix, e.g.
    ``"2024-12-20T19:05:18.319581890Z"`` (the format chrono emits for barter is
    equivalent and parses back to the same instant).
    """
    global _rfc_cache
    if type(ns) is not int:
        ns = operator.index(ns)
    secs, frac = divmod(ns, _NS_PER_S)
    cache = _rfc_cache
    if cache[0] == secs:
        prefix = cache[1]
    else:
        prefix = _secs_prefix(secs)
        _rfc_cache = (secs, prefix)
    return f"{prefix}.{frac:09d}Z"


_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_FRAC_SCALE = [10 ** (9 - i) for i in range(10)]


def rfc3339_to_ns(s: str) -> int:
    """Parse an RFC 3339 timestamp into integer nanoseconds since the epoch.

    Accepts a ``Z`` suffix or a numeric offset (``+00:00``, ``-05:30``...) and
    0 to 9 fraction digits; the result is exact to the nanosecond.  Raises
    ``ValueError`` naming the string when it is malformed.
    """
    if type(s) is not str:
        raise TypeError(f"expected str timestamp, got {type(s).__name__}")
    m = _RFC3339_RE.fullmatch(s)
    if m is None:
        raise ValueError(f"malformed RFC 3339 timestamp: {s!r}")
    y, mo, d, hh, mi, ss, frac, _z, sign, oh, om = m.groups()
    hh = int(hh)
    mi = int(mi)
    ss = int(ss)
    if hh > 23 or mi > 59 or ss > 60:  # 60: leap second, as chrono accepts
        raise ValueError(f"malformed RFC 3339 timestamp (time out of range): {s!r}")
    try:
        days = date(int(y), int(mo), int(d)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(
            f"malformed RFC 3339 timestamp (invalid date): {s!r}"
        ) from None
    secs = days * _S_PER_DAY + hh * 3600 + mi * 60 + ss
    if sign is not None:
        oh = int(oh)
        om = int(om)
        if oh > 23 or om > 59:
            raise ValueError(
                f"malformed RFC 3339 timestamp (offset out of range): {s!r}"
            )
        off = oh * 3600 + om * 60
        secs = secs - off if sign == "+" else secs + off
    ns = secs * _NS_PER_S
    if frac:
        ns += int(frac) * _FRAC_SCALE[len(frac)]
    return ns


def _time_ns(value: Any, field: str) -> int:
    """Validate a public time argument (tz-aware datetime or int ns)."""
    if type(value) is int:
        ns = value
    elif isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{field} must be timezone-aware, got naive {value!r}")
        ns = datetime_to_ns(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        ns = int(value)
    else:
        raise TypeError(
            f"{field} must be a timezone-aware datetime or int nanoseconds, "
            f"got {type(value).__name__}"
        )
    if not _I64_MIN <= ns <= _I64_MAX:
        raise ValueError(f"{field} is out of range for i64 nanoseconds: {ns}")
    return ns


def _opt_time_ns(value: Any, field: str) -> int | None:
    return None if value is None else _time_ns(value, field)


# --------------------------------------------------------------------------- #
# Value validation helpers
# --------------------------------------------------------------------------- #
def _f64(value: Any, field: str) -> float:
    if type(value) is float:
        f = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            f = float(value)
        except OverflowError:
            raise ValueError(f"{field} is too large for f64: {value!r}") from None
    else:
        raise TypeError(f"{field} must be int or float, got {type(value).__name__}")
    if not math.isfinite(f):
        raise ValueError(f"{field} must be finite, got {f!r}")
    return f


def _decimal(value: Any, field: str) -> Decimal:
    """``value`` (Decimal, int, str or float through its repr) as a Decimal that passed
    :func:`decimal_text`."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        raise TypeError(f"{field} must be Decimal, int, str or float, got bool")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{field}: {value!r} is not a decimal barter can represent (not finite)")
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            raise ValueError(f"{field} is not a valid decimal: {value[:48]!r}") from None
    else:
        raise TypeError(
            f"{field} must be Decimal, int, str or float, got {type(value).__name__}"
        )
    decimal_text(d, field)
    return d


def _str_field(value: Any, field: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be str, got {type(value).__name__}")
    if not allow_empty and not value:
        raise ValueError(f"{field} must not be empty")
    return str(value)


def _uint(value: Any, field: str, maximum: int = _U64_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be int, got {type(value).__name__}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{field} must be >= 0, got {value}")
    if value > maximum:
        raise ValueError(f"{field} is too large: {value}")
    return value


def _dec_str(d: Decimal, field: str = "decimal") -> str:
    """The plain-notation text rust_decimal parses (:func:`decimal_text`)."""
    return decimal_text(d, field)


def _fmt_time(ns: int | None) -> str:
    return "None" if ns is None else ns_to_rfc3339(ns)


class _Value:
    """Base of the value classes: equal when of the same type with equal ``_key()``,
    hashed consistently."""

    __slots__ = ()

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self),) + self._key())


# --------------------------------------------------------------------------- #
# Side
# --------------------------------------------------------------------------- #
class Side(enum.Enum):
    """Trade / liquidation side; barter serialises it as ``"Buy"``/``"Sell"``."""

    BUY = "Buy"
    SELL = "Sell"

    @classmethod
    def parse(cls, s: Any) -> "Side":
        """Case-insensitive parse of ``"buy"``/``"sell"`` (or a Side)."""
        if isinstance(s, cls):
            return s
        if isinstance(s, str):
            member = _SIDE_LOOKUP.get(s.strip().lower())
            if member is not None:
                return member
        raise ValueError(f"invalid side {s!r}: expected 'Buy' or 'Sell'")

    @classmethod
    def _missing_(cls, value: Any) -> "Side | None":
        if isinstance(value, str):
            return _SIDE_LOOKUP.get(value.strip().lower())
        return None

    def __repr__(self) -> str:
        return f"Side.{self.name}"


_SIDE_LOOKUP = {"buy": Side.BUY, "sell": Side.SELL}
_SIDE_WIRE = {"Buy": Side.BUY, "Sell": Side.SELL}


def _side(value: Any, field: str) -> Side:
    if isinstance(value, Side):
        return value
    if isinstance(value, str):
        try:
            return Side.parse(value)
        except ValueError as exc:
            raise ValueError(f"{field}: {exc}") from None
    raise TypeError(f"{field} must be Side or str, got {type(value).__name__}")


def _wire_side(s: Any) -> Side:
    side = _SIDE_WIRE.get(s)
    return side if side is not None else Side.parse(s)


# --------------------------------------------------------------------------- #
# Payloads
# --------------------------------------------------------------------------- #
class Level:
    """An order book level; barter ``Level { price: Decimal, amount: Decimal }``."""

    __slots__ = ("_price", "_amount")

    def __init__(self, price: Any, amount: Any) -> None:
        self._price = _decimal(price, "Level.price")
        self._amount = _decimal(amount, "Level.amount")

    @property
    def price(self) -> Decimal:
        return self._price

    @property
    def amount(self) -> Decimal:
        return self._amount

    def _key(self) -> tuple:
        return (self._price, self._amount)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Level:
            return NotImplemented
        return self._price == other._price and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((Level, self._price, self._amount))

    def __repr__(self) -> str:
        return f"Level(price={self._price!r}, amount={self._amount!r})"

    def to_dict(self) -> dict:
        return {"price": self._price, "amount": self._amount}

    def _to_barter(self) -> dict:
        return {"price": _dec_str(self._price), "amount": _dec_str(self._amount)}


def _level_arg(value: Any, field: str) -> Level:
    if isinstance(value, Level):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Level(value[0], value[1])
    raise TypeError(
        f"{field} entries must be Level or (price, amount), got {type(value).__name__}"
    )


def _opt_level(value: Any, field: str) -> Level | None:
    return None if value is None else _level_arg(value, field)


class OrderBookL1(_Value):
    """barter ``OrderBookL1 { last_update_time, best_bid: Option<Level>, best_ask }``."""

    __slots__ = ("_last_update_time", "_best_bid", "_best_ask")

    def __init__(
        self,
        last_update_time: datetime | int,
        best_bid: Level | None = None,
        best_ask: Level | None = None,
    ) -> None:
        self._last_update_time = _time_ns(
            last_update_time, "OrderBookL1.last_update_time"
        )
        self._best_bid = _opt_level(best_bid, "OrderBookL1.best_bid")
        self._best_ask = _opt_level(best_ask, "OrderBookL1.best_ask")

    @property
    def last_update_time(self) -> datetime:
        return ns_to_datetime(self._last_update_time)

    @property
    def last_update_time_ns(self) -> int:
        return self._last_update_time

    best_bid = property(lambda self: self._best_bid, doc="Best bid Level or None.")
    best_ask = property(lambda self: self._best_ask, doc="Best ask Level or None.")

    def _key(self) -> tuple:
        return (self._last_update_time, self._best_bid, self._best_ask)

    def __repr__(self) -> str:
        return (
            f"OrderBookL1(last_update_time={_fmt_time(self._last_update_time)}, "
            f"best_bid={self._best_bid!r}, best_ask={self._best_ask!r})"
        )

    def to_dict(self) -> dict:
        return {
            "last_update_time": self.last_update_time,
            "best_bid": None if self._best_bid is None else self._best_bid.to_dict(),
            "best_ask": None if self._best_ask is None else self._best_ask.to_dict(),
        }

    def _to_barter(self) -> dict:
        bid = self._best_bid
        ask = self._best_ask
        return {
            "last_update_time": ns_to_rfc3339(self._last_update_time),
            "best_bid": None if bid is None else bid._to_barter(),
            "best_ask": None if ask is None else ask._to_barter(),
        }


_BOOK_KINDS = ("snapshot", "update")
_BOOK_TAGS = {"snapshot": "Snapshot", "update": "Update"}


class OrderBookEvent(_Value):
    """barter ``OrderBookEvent::{Snapshot, Update}(OrderBook)``.

    ``kind`` is ``"snapshot"`` or ``"update"``.  ``bids``/``asks`` are stored
    immutably; the properties return fresh lists of :class:`Level`.
    """

    __slots__ = ("_kind", "_sequence", "_time_engine", "_bids", "_asks")

    def __init__(
        self,
        kind: str,
        sequence: int,
        time_engine: datetime | int | None = None,
        bids: Iterable[Level] = (),
        asks: Iterable[Level] = (),
    ) -> None:
        if not isinstance(kind, str):
            raise TypeError(f"OrderBookEvent.kind must be str, got {type(kind).__name__}")
        k = kind.lower()
        if k not in _BOOK_KINDS:
            raise ValueError(
                f"OrderBookEvent.kind must be 'snapshot' or 'update', got {kind!r}"
            )
        self._kind = k
        self._sequence = _uint(sequence, "OrderBookEvent.sequence")
        self._time_engine = _opt_time_ns(time_engine, "OrderBookEvent.time_engine")
        self._bids = self._levels(bids, "OrderBookEvent.bids")
        self._asks = self._levels(asks, "OrderBookEvent.asks")

    @staticmethod
    def _levels(values: Any, field: str) -> tuple:
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{field} must be an iterable of Level")
        return tuple(_level_arg(v, field) for v in values)

    @classmethod
    def snapshot(
        cls,
        sequence: int,
        time_engine: datetime | int | None = None,
        bids: Iterable[Level] = (),
        asks: Iterable[Level] = (),
    ) -> "OrderBookEvent":
        return cls("snapshot", sequence, time_engine, bids, asks)

    @classmethod
    def update(
        cls,
        sequence: int,
        time_engine: datetime | int | None = None,
        bids: Iterable[Level] = (),
        asks: Iterable[Level] = (),
    ) -> "OrderBookEvent":
        return cls("update", sequence, time_engine, bids, asks)

    kind = property(lambda self: self._kind, doc="'snapshot' or 'update'.")
    sequence = property(lambda self: self._sequence, doc="Book sequence (u64).")

    @property
    def is_snapshot(self) -> bool:
        return self._kind == "snapshot"

    @property
    def time_engine(self) -> datetime | None:
        t = self._time_engine
        return None if t is None else ns_to_datetime(t)

    @property
    def time_engine_ns(self) -> int | None:
        return self._time_engine

    @property
    def bids(self) -> list[Level]:
        return list(self._bids)

    @property
    def asks(self) -> list[Level]:
        return list(self._asks)

    def _key(self) -> tuple:
        return (self._kind, self._sequence, self._time_engine, self._bids, self._asks)

    def __repr__(self) -> str:
        return (
            f"OrderBookEvent.{self._kind}(sequence={self._sequence}, "
            f"time_engine={_fmt_time(self._time_engine)}, "
            f"bids={list(self._bids)!r}, asks={list(self._asks)!r})"
        )

    def to_dict(self) -> dict:
        return {
            "kind": self._kind,
            "sequence": self._sequence,
            "time_engine": self.time_engine,
            "bids": [lv.to_dict() for lv in self._bids],
            "asks": [lv.to_dict() for lv in self._asks],
        }

    def _to_barter(self) -> dict:
        t = self._time_engine
        return {
            _BOOK_TAGS[self._kind]: {
                "sequence": self._sequence,
                "time_engine": None if t is None else ns_to_rfc3339(t),
                "bids": {"levels": [lv._to_barter() for lv in self._bids]},
                "asks": {"levels": [lv._to_barter() for lv in self._asks]},
            }
        }


class Candle(_Value):
    """barter ``Candle { close_time, open, high, low, close, volume: f64, trade_count: u64 }``."""

    __slots__ = (
        "_close_time",
        "_open",
        "_high",
        "_low",
        "_close",
        "_volume",
        "_trade_count",
    )

    def __init__(
        self,
        close_time: datetime | int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        trade_count: int,
    ) -> None:
        self._close_time = _time_ns(close_time, "Candle.close_time")
        self._open = _f64(open, "Candle.open")
        self._high = _f64(high, "Candle.high")
        self._low = _f64(low, "Candle.low")
        self._close = _f64(close, "Candle.close")
        self._volume = _f64(volume, "Candle.volume")
        self._trade_count = _uint(trade_count, "Candle.trade_count")

    @property
    def close_time(self) -> datetime:
        return ns_to_datetime(self._close_time)

    @property
    def close_time_ns(self) -> int:
        return self._close_time

    open = property(lambda self: self._open)
    high = property(lambda self: self._high)
    low = property(lambda self: self._low)
    close = property(lambda self: self._close)
    volume = property(lambda self: self._volume)
    trade_count = property(lambda self: self._trade_count)

    def _key(self) -> tuple:
        return (
            self._close_time,
            self._open,
            self._high,
            self._low,
            self._close,
            self._volume,
            self._trade_count,
        )

    def __repr__(self) -> str:
        return (
            f"Candle(close_time={_fmt_time(self._close_time)}, open={self._open!r}, "
            f"high={self._high!r}, low={self._low!r}, close={self._close!r}, "
            f"volume={self._volume!r}, trade_count={self._trade_count})"
        )

    def to_dict(self) -> dict:
        return {
            "close_time": self.close_time,
            "open": self._open,
            "high": self._high,
            "low": self._low,
            "close": self._close,
            "volume": self._volume,
            "trade_count": self._trade_count,
        }

    def _to_barter(self) -> dict:
        return {
            "close_time": ns_to_rfc3339(self._close_time),
            "open": self._open,
            "high": self._high,
            "low": self._low,
            "close": self._close,
            "volume": self._volume,
            "trade_count": self._trade_count,
        }


class Liquidation(_Value):
    """barter ``Liquidation { side: Side, price: f64, quantity: f64, time }``."""

    __slots__ = ("_side", "_price", "_quantity", "_time")

    def __init__(
        self,
        side: Side | str,
        price: float,
        quantity: float,
        time: datetime | int,
    ) -> None:
        self._side = _side(side, "Liquidation.side")
        self._price = _f64(price, "Liquidation.price")
        self._quantity = _f64(quantity, "Liquidation.quantity")
        self._time = _time_ns(time, "Liquidation.time")

    side = property(lambda self: self._side)
    price = property(lambda self: self._price)
    quantity = property(lambda self: self._quantity)

    @property
    def time(self) -> datetime:
        return ns_to_datetime(self._time)

    @property
    def time_ns(self) -> int:
        return self._time

    def _key(self) -> tuple:
        return (self._side, self._price, self._quantity, self._time)

    def __repr__(self) -> str:
        return (
            f"Liquidation(side={self._side!r}, price={self._price!r}, "
            f"quantity={self._quantity!r}, time={_fmt_time(self._time)})"
        )

    def to_dict(self) -> dict:
        return {
            "side": self._side._value_,
            "price": self._price,
            "quantity": self._quantity,
            "time": self.time,
        }

    def _to_barter(self) -> dict:
        return {
            "side": self._side._value_,
            "price": self._price,
            "quantity": self._quantity,
            "time": ns_to_rfc3339(self._time),
        }


# --------------------------------------------------------------------------- #
# DataKind
# --------------------------------------------------------------------------- #
# kind_name -> (payload type, barter serde tag, constructor name)
_KIND_INFO = {
    "public_trade": (PublicTrade, "Trade", "trade"),
    "l1": (OrderBookL1, "OrderBookL1", "order_book_l1"),
    "l2": (OrderBookEvent, "OrderBook", "order_book"),
    "candle": (Candle, "Candle", "candle"),
    "liquidation": (Liquidation, "Liquidation", "liquidation"),
}
_KIND_BY_TYPE = {info[0]: name for name, info in _KIND_INFO.items()}


# --------------------------------------------------------------------------- #
# MarketEvent / Reconnecting
# --------------------------------------------------------------------------- #
class Reconnecting:
    """Reconnect marker; barter ``Event::Reconnecting(ExchangeId)``."""

    __slots__ = ("_exchange",)

    def __init__(self, exchange: str) -> None:
        self._exchange = _str_field(exchange, "Reconnecting.exchange")

    exchange = property(lambda self: self._exchange)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Reconnecting:
            return NotImplemented
        return self._exchange == other._exchange

    def __hash__(self) -> int:
        return hash((Reconnecting, self._exchange))

    def __repr__(self) -> str:
        return f"Reconnecting(exchange={self._exchange!r})"

    def to_dict(self) -> dict:
        return {"reconnecting": self._exchange}

    def _to_barter(self) -> dict:
        return {"Reconnecting": self._exchange}


# --------------------------------------------------------------------------- #
# Conversions
# --------------------------------------------------------------------------- #
def to_barter(obj: MarketEvent | Reconnecting) -> dict:
    """barter's serde JSON value for a MarketEvent or Reconnecting marker."""
    if isinstance(obj, (MarketEvent, Reconnecting)):
        return obj._to_barter()
    raise TypeError(
        f"expected MarketEvent or Reconnecting, got {type(obj).__name__}"
    )


_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_ESCAPE_STR = json.encoder.encode_basestring_ascii  # same as the encoder's


def _find_nonfinite(obj: Any, path: str) -> str | None:
    if type(obj) is float:
        return None if math.isfinite(obj) else path
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _find_nonfinite(v, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found = _find_nonfinite(v, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def events_to_jsonl(records: Iterable[MarketEvent | Reconnecting]) -> bytes:
    """Serialise records to barter serde JSON Lines (UTF-8, ``\\n``-joined).

    Raises ``ValueError`` naming the record index and field for non-finite
    floats, and ``TypeError`` naming the index and type for foreign objects.
    """
    encode = _ENCODE
    esc = _ESCAPE_STR
    rfc = ns_to_rfc3339
    lines = []
    append = lines.append
    for i, rec in enumerate(records):
        cls = type(rec)
        if cls is MarketEvent:
            kind = rec._kind
            if kind._kind_name == "public_trade":
                # Hand-formatted fast path; byte-identical to the json encoder
                # output (see tests).  x - x == 0.0 is False for nan/inf.
                t = kind._value
                p = t._price
                a = t._amount
                if p - p == 0.0 and a - a == 0.0:
                    append(
                        f'{{"Item":{{"time_exchange":"{rfc(rec._time_exchange)}",'
                        f'"time_received":"{rfc(rec._time_received)}",'
                        f'"exchange":{esc(rec._exchange)},'
                        f'"instrument":{rec._instrument:d},'
                        f'"kind":{{"Trade":{{"id":{esc(t._id)},'
                        f'"price":{p!r},"amount":{a!r},'
                        f'"side":"{t._side._value_}"}}}}}}}}'
                    )
                    continue
            obj = rec._to_barter()
        elif cls is Reconnecting or isinstance(
            rec, (MarketEvent, Reconnecting)
        ):
            obj = rec._to_barter()
        else:
            raise TypeError(
                f"record {i}: expected MarketEvent or Reconnecting, "
                f"got {cls.__name__}"
            )
        try:
            append(encode(obj))
        except ValueError:
            field = _find_nonfinite(obj, "") or "<unknown>"
            raise ValueError(
                f"record {i}: non-finite float in field {field!r} "
                "(NaN/inf cannot be encoded)"
            ) from None
    return "\n".join(lines).encode("utf-8")


# ---- wire decoding (unvalidated fast paths) ------------------------------- #
def _wire_float(x: Any) -> float:
    # serde_json writes non-finite f64 as null.
    return math.nan if x is None else float(x)


def _wire_dec(x: Any) -> Decimal:
    if type(x) is str:
        return Decimal(x)
    if type(x) is float:
        return Decimal(repr(x))
    return Decimal(x)


def _wire_level(d: dict) -> Level:
    lv = _new(Level)
    p = d["price"]
    a = d["amount"]
    lv._price = Decimal(p) if type(p) is str else _wire_dec(p)
    lv._amount = Decimal(a) if type(a) is str else _wire_dec(a)
    return lv


def _wire_opt_level(d: Any) -> Level | None:
    return None if d is None else _wire_level(d)


def _wire_trade(d: dict) -> DataKind:
    t = PublicTrade.__new__(PublicTrade)
    p = d["price"]
    a = d["amount"]
    t._id = d["id"]
    t._price = p if type(p) is float else _wire_float(p)
    t._amount = a if type(a) is float else _wire_float(a)
    t._side = _wire_side(d["side"])
    dk = DataKind.__new__(DataKind)
    dk._kind_name = "public_trade"
    dk._value = t
    return dk


def _wire_l1(d: dict) -> DataKind:
    b = _new(OrderBookL1)
    b._last_update_time = rfc3339_to_ns(d["last_update_time"])
    b._best_bid = _wire_opt_level(d.get("best_bid"))
    b._best_ask = _wire_opt_level(d.get("best_ask"))
    return DataKind._make("l1", b)


def _wire_book(d: dict) -> DataKind:
    ((tag, body),) = d.items()
    if tag == "Snapshot":
        kind = "snapshot"
    elif tag == "Update":
        kind = "update"
    else:
        raise ValueError(f"unknown OrderBookEvent variant {tag!r}")
    e = _new(OrderBookEvent)
    e._kind = kind
    e._sequence = body["sequence"]
    t = body.get("time_engine")
    e._time_engine = None if t is None else rfc3339_to_ns(t)
    wl = _wire_level
    e._bids = tuple([wl(lv) for lv in body["bids"]["levels"]])
    e._asks = tuple([wl(lv) for lv in body["asks"]["levels"]])
    return DataKind._make("l2", e)


def _wire_candle(d: dict) -> DataKind:
    c = _new(Candle)
    f = _wire_float
    c._close_time = rfc3339_to_ns(d["close_time"])
    c._open = f(d["open"])
    c._high = f(d["high"])
    c._low = f(d["low"])
    c._close = f(d["close"])
    c._volume = f(d["volume"])
    c._trade_count = d["trade_count"]
    return DataKind._make("candle", c)


def _wire_liquidation(d: dict) -> DataKind:
    liq = _new(Liquidation)
    liq._side = _wire_side(d["side"])
    liq._price = _wire_float(d["price"])
    liq._quantity = _wire_float(d["quantity"])
    liq._time = rfc3339_to_ns(d["time"])
    return DataKind._make("liquidation", liq)


_WIRE_KIND = {
    "Trade": _wire_trade,
    "OrderBookL1": _wire_l1,
    "OrderBook": _wire_book,
    "Candle": _wire_candle,
    "Liquidation": _wire_liquidation,
}


def _wire_kind(kind: dict) -> DataKind:
    ((tag, payload),) = kind.items()
    fn = _WIRE_KIND.get(tag)
    if fn is None:
        raise ValueError(f"unknown DataKind variant {tag!r}")
    return fn(payload)


def events_from_wire(rows: list) -> list[MarketEvent]:
    """Build MarketEvents from Rust wire rows (already ``json.loads``-ed).

    Each row is ``[time_exchange_ns, time_received_ns, exchange, instrument,
    kind]`` where ``kind`` is barter's serde ``DataKind`` JSON.  No per-object
    validation is performed (the Rust side is trusted); a structurally
    malformed row raises ``ValueError`` naming its index.
    """
    out: list[MarketEvent] = []
    with _gc_paused():
        _build_events(rows, out)
    return out


@contextlib.contextmanager
def _gc_paused():
    """Pauses the cyclic GC while many acyclic objects are allocated: otherwise it
    rescans the growing heap again and again (several times slower)."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def events_from_wire_json(raw: bytes | str) -> list[MarketEvent]:
    """``events_from_wire(json.loads(raw))`` with the cyclic GC paused for both steps."""
    out: list[MarketEvent] = []
    with _gc_paused():
        _build_events(json.loads(raw), out)
    return out


def _build_events(rows: list, out: list) -> None:
    new_event, ME = MarketEvent.__new__, MarketEvent
    new_kind, DK = DataKind.__new__, DataKind
    new_trade, PT = PublicTrade.__new__, PublicTrade
    wire_kind = _WIRE_KIND
    sides = _SIDE_WIRE
    append = out.append
    try:
        for te, tr, ex, inst, kind in rows:
            ev = new_event(ME)
            ev._time_exchange = te
            ev._time_received = tr
            ev._exchange = ex
            ev._instrument = inst
            d = kind.get("Trade")
            if d is not None:
                # Inlined trade fast path.
                t = new_trade(PT)
                p = d["price"]
                a = d["amount"]
                t._id = d["id"]
                t._price = p if p.__class__ is float else _wire_float(p)
                t._amount = a if a.__class__ is float else _wire_float(a)
                s = sides.get(d["side"])
                t._side = s if s is not None else Side.parse(d["side"])
                dk = new_kind(DK)
                dk._kind_name = "public_trade"
                dk._value = t
                ev._kind = dk
            else:
                ((tag, payload),) = kind.items()
                fn = wire_kind.get(tag)
                if fn is None:
                    raise ValueError(f"unknown DataKind variant {tag!r}")
                ev._kind = fn(payload)
            append(ev)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise ValueError(
            f"events_from_wire: malformed row {len(out)}: {type(exc).__name__}: {exc}"
        ) from exc


def from_barter(value: dict) -> MarketEvent | Reconnecting:
    """Inverse of :func:`to_barter`: parse barter's serde JSON value.

    Accepts ``{"Item": {...}}`` or ``{"Reconnecting": "<exchange>"}``.  Unlike
    :func:`events_from_wire` the result is validated via the public
    constructors.
    """
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"expected a single-key barter event object, got {value!r}")
    ((tag, body),) = value.items()
    if tag == "Reconnecting":
        return Reconnecting(body)
    if tag != "Item":
        raise ValueError(f"unknown barter event variant {tag!r}")
    try:
        kind = _wire_kind(body["kind"])
        ev = MarketEvent(
            rfc3339_to_ns(body["time_exchange"]),
            rfc3339_to_ns(body["time_received"]),
            body["exchange"],
            body["instrument"],
            DataKind(kind._kind_name, kind._value),
        )
    except (KeyError, AttributeError, IndexError, ArithmeticError) as exc:
        # ArithmeticError: decimal.InvalidOperation from a level's text that is no number.
        raise ValueError(f"malformed barter event: {type(exc).__name__}: {exc}") from exc
    _revalidate(kind._value)
    return ev


def _revalidate(payload: Any) -> None:
    """Run the public constructor checks on a payload built by a wire parser."""
    t = type(payload)
    if t is PublicTrade:
        PublicTrade(payload._id, payload._price, payload._amount, payload._side)
    elif t is OrderBookL1:
        OrderBookL1(
            payload._last_update_time,
            *[None if lv is None else Level(lv._price, lv._amount)
              for lv in (payload._best_bid, payload._best_ask)],
        )
    elif t is OrderBookEvent:
        OrderBookEvent(
            payload._kind, payload._sequence, payload._time_engine,
            [Level(lv._price, lv._amount) for lv in payload._bids],
            [Level(lv._price, lv._amount) for lv in payload._asks],
        )
    elif t is Candle:
        Candle(
            payload._close_time, payload._open, payload._high, payload._low,
            payload._close, payload._volume, payload._trade_count,
        )
    elif t is Liquidation:
        Liquidation(payload._side, payload._price, payload._quantity, payload._time)
