"""Immutable Python models of the backtest summaries.

The Rust side writes summaries as JSON (the "wire" format) where every
``rust_decimal::Decimal`` is a string in its ``Display`` form (``"0.05"``,
``"-12.3400"``) and every timestamp an integer number of nanoseconds since the
Unix epoch (UTC) under a key ending in ``_ns``. That is the only JSON format:
``to_json()`` writes it and ``from_json()`` reads it, so
``Cls.from_json(x.to_json()) == x`` always holds and a summary saved from Python
reads the same as one straight from Rust. Malformed input raises
:class:`ValueError` naming the field path.

Closed positions and the equity curve are columns: ``"positions"`` is an object of
``instruments`` (names), ``instrument`` (indices into them), ``side`` (1 buy, -1 sell),
``quantity`` / ``price_entry`` / ``price_exit`` / ``fees`` / ``pnl`` each ONE string of
exact decimals separated by single spaces, and ``time_enter_ns`` / ``time_exit_ns``;
``"equity"`` is ``time_ns`` and ``value``. From Rust the same object arrives with numpy
arrays for the integer columns (``_native`` copies them from the summaries handle), so
no positions are parsed until one is read.

Each model declares its fields once (``_FIELDS``: name -> reader); reading,
writing and ``to_dict()`` are derived from that table by :class:`_Model`.

Decimals are :class:`RustDecimal`, a :class:`decimal.Decimal` whose ``str()`` never
uses exponent notation, so ``str(value)`` is rust_decimal's string digit for digit.
No decimal passes through ``float``. ``to_dict()`` gives plain Python values:
``Decimal``, tz-aware UTC ``datetime`` (for ``*_ns`` times), ``timedelta``, numbers,
strings, ``None`` and nested dicts/lists.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, TypeVar

import numpy as np

from barter_cy.data import datetime_to_ns as _datetime_to_ns
from barter_cy.data import decimal_text
from barter_cy.data import ns_to_datetime as _ns_to_datetime
from barter_cy.data import ns_to_rfc3339 as _ns_to_rfc3339

__all__ = [
    "RustDecimal",
    "Metric",
    "Drawdown",
    "MeanDrawdown",
    "Balance",
    "TearSheet",
    "TearSheetAsset",
    "TradingSummary",
    "Position",
    "Positions",
    "DECIMAL_COLUMNS",
    "POSITION_COLUMNS",
    "StrategyInfo",
    "Equity",
    "BacktestSummary",
    "MultiBacktestSummary",
    "format_duration",
]

_T = TypeVar("_T")

_NS_PER_S = 1_000_000_000
_NS_PER_MS = 1_000_000
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


# --------------------------------------------------------------------------
# Decimal
# --------------------------------------------------------------------------


class RustDecimal(Decimal):
    """A :class:`~decimal.Decimal` whose ``str()`` is fixed-point, like rust_decimal.

    ``RustDecimal("0.0000000000000000000000000001")`` equals
    ``Decimal("0.0000000000000000000000000001")`` and hashes the same, but its
    ``str()`` is ``"0.0000000000000000000000000001"`` rather than ``"1E-28"``.
    Trailing zeros (``"1.500"``) are preserved.  Arithmetic results are plain
    ``Decimal`` objects.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return format(self, "f")

    def __format__(self, spec: str) -> str:
        # f"{d}" / f"{d:>20}" must agree with str(d) rather than fall back to
        # "1E-28"; specs with an explicit type or precision behave as Decimal's.
        if not spec or (spec[-1] not in "eEfFgGn%" and "." not in spec):
            spec += "f"
        return Decimal.__format__(self, spec)

    def __repr__(self) -> str:
        return f"Decimal('{format(self, 'f')}')"


def _to_rust_decimal(value: Any, name: str) -> RustDecimal:
    """Coerce a user-supplied value (constructor argument) to RustDecimal."""
    if type(value) is RustDecimal:
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{name}: expected Decimal, str or int, got {type(value).__name__}")
    if isinstance(value, (Decimal, str, int)):
        try:
            out = RustDecimal(value)
        except (InvalidOperation, ValueError):
            raise ValueError(f"{name}: invalid decimal {value!r}") from None
        decimal_text(out, name)  # the shared range check (barter's Decimal holds it)
        return out
    raise TypeError(f"{name}: expected Decimal, str or int, got {type(value).__name__}")



# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------


def _ns_to_timedelta(ns: int) -> timedelta:
    return timedelta(microseconds=ns // 1000)


def _coerce_time_ns(value: Any, name: str) -> int:
    """Constructor helper: accept int nanoseconds or tz-aware datetime."""
    if isinstance(value, datetime):
        return _datetime_to_ns(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name}: expected int nanoseconds or datetime, got {type(value).__name__}")


def _coerce_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name}: expected int, got {type(value).__name__}")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def format_duration(duration: timedelta) -> str:
    """Word a duration the way barter's ``print_summary`` does.

    * < 60 minutes: ``"N Minutes"``
    * < 24 hours:   ``"H Hours & M Minutes"``
    * <= 7 days:    ``"D Days & H Hours"``
    * <= 28 days:   ``"W Weeks & D Days"``
    * otherwise:    ``"~D Days"``

    Units are singular when the count is exactly 1 (``"1 Hour & 1 Minute"``).
    """
    total_minutes = int(duration.total_seconds() // 60)
    if total_minutes < 60:
        return _plural(total_minutes, "Minute")
    if total_minutes < 24 * 60:
        hours, minutes = divmod(total_minutes, 60)
        return f"{_plural(hours, 'Hour')} & {_plural(minutes, 'Minute')}"
    total_hours = total_minutes // 60
    days, hours = divmod(total_hours, 24)
    if duration <= timedelta(days=7):
        return f"{_plural(days, 'Day')} & {_plural(hours, 'Hour')}"
    if duration <= timedelta(days=28):
        weeks, days = divmod(days, 7)
        return f"{_plural(weeks, 'Week')} & {_plural(days, 'Day')}"
    return f"~{days} Days"



# --------------------------------------------------------------------------
# Wire readers (all raise ValueError naming the field path)
# --------------------------------------------------------------------------

Reader = Callable[[Any, str], Any]


def _obj(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise ValueError(f"{path}: expected object, got {type(v).__name__}")
    return v


def _dec(v: Any, path: str) -> RustDecimal:
    if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
        return _to_rust_decimal(v, path)
    raise ValueError(f"{path}: expected decimal string, got {type(v).__name__}")


def _int(v: Any, path: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"{path}: expected integer, got {type(v).__name__}")
    if not _I64_MIN <= v <= _I64_MAX:
        raise ValueError(f"{path}: integer {v} out of i64 range")
    return v


def _str(v: Any, path: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{path}: expected string, got {type(v).__name__}")
    return v


def _bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"{path}: expected true or false, got {type(v).__name__}")
    return v


def _any_json(v: Any, path: str) -> Any:
    return v


def _opt(reader: Reader) -> Reader:
    """An optional field: a missing key keeps the default, JSON null is None."""

    def read(v: Any, path: str) -> Any:
        return None if v is None else reader(v, path)

    read.optional = True  # type: ignore[attr-defined]
    return read


def _model(cls: type) -> Reader:
    return lambda v, path: cls._from_wire(v, path)


def _map_of(reader: Reader) -> Reader:
    def read(v: Any, path: str) -> dict[str, Any]:
        return {_str(k, path): reader(item, f"{path}[{k!r}]") for k, item in _obj(v, path).items()}

    return read


def _list_of(reader: Reader) -> Reader:
    def read(v: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(v, list):
            raise ValueError(f"{path}: expected array, got {type(v).__name__}")
        return tuple(reader(item, f"{path}[{i}]") for i, item in enumerate(v))

    return read


def _loads(s: str | bytes | bytearray, cls_name: str) -> Mapping[str, Any]:
    try:
        data = json.loads(s)
    except json.JSONDecodeError as e:
        raise ValueError(f"{cls_name}: invalid JSON: {e}") from None
    return _obj(data, cls_name)


def _to_wire(v: Any) -> Any:
    if isinstance(v, (_Model, Positions)):
        return v._wire()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: _to_wire(item) for k, item in v.items()}
    if isinstance(v, (list, tuple)):
        return [_to_wire(item) for item in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _to_py(name: str, v: Any) -> tuple[str, Any]:
    """A field as ``to_dict()`` shows it: ``*_ns`` times as datetimes."""
    if name.endswith("_ns") and isinstance(v, int):
        base = name[:-3]
        return base, (_ns_to_datetime(v) if base.startswith("time") else _ns_to_timedelta(v))
    if isinstance(v, _Model):
        return name, v.to_dict()
    if isinstance(v, dict):
        return name, {k: (item.to_dict() if isinstance(item, _Model) else item) for k, item in v.items()}
    if isinstance(v, (tuple, Positions)):
        return name, [item.to_dict() if isinstance(item, _Model) else item for item in v]
    return name, v


class _Model:
    """Reading, writing and ``to_dict()`` derived from the class's ``_FIELDS`` table."""

    __slots__ = ()
    _FIELDS: dict[str, Reader] = {}

    @classmethod
    def _from_wire(cls: type[_T], d: Any, _path: str | None = None) -> _T:
        path = _path or cls.__name__  # type: ignore[attr-defined]
        d = _obj(d, path)
        kwargs = {}
        for name, reader in cls._FIELDS.items():  # type: ignore[attr-defined]
            if name in d:
                kwargs[name] = reader(d[name], f"{path}.{name}")
            elif not getattr(reader, "optional", False):
                raise ValueError(f"{path}.{name}: missing field")
        return cls(**kwargs)

    @classmethod
    def from_json(cls: type[_T], s: str | bytes | bytearray) -> _T:
        """Read the JSON :meth:`to_json` writes (the wire format)."""
        return cls._from_wire(_loads(s, cls.__name__))  # type: ignore[attr-defined]

    def _wire(self) -> dict[str, Any]:
        return {name: _to_wire(getattr(self, name)) for name in self._FIELDS}

    def to_json(self, indent: int | None = None) -> str:
        """The wire format: decimals as strings, times as integer ``*_ns``."""
        return json.dumps(self._wire(), indent=indent, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        out = dict(_to_py(name, getattr(self, name)) for name in self._FIELDS)
        out.update(self._dict_extra())
        return out

    def _dict_extra(self) -> dict[str, Any]:
        return {}


# --------------------------------------------------------------------------
# Leaf models
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric(_Model):
    """A statistic. ``interval`` is e.g. ``"Daily"`` / ``"Annual(252)"``, or ``None``
    for interval-less metrics (win rate, profit factor). ``value`` is ``None`` when
    the statistic is undefined (a ratio over a standard deviation of 0, which barter
    reports as ``Decimal::MAX``)."""

    value: Decimal | None
    interval: str | None = None

    _FIELDS = {"value": _opt(_dec), "interval": _opt(_str)}

    def __post_init__(self) -> None:
        if self.value is not None:
            object.__setattr__(self, "value", _to_rust_decimal(self.value, "Metric.value"))
        if self.interval is not None and not isinstance(self.interval, str):
            raise TypeError("Metric.interval: expected str or None")

    @classmethod
    def _from_wire(cls, d: Any, _path: str | None = None) -> Metric:
        path = _path or cls.__name__
        if "value" not in _obj(d, path):
            raise ValueError(f"{path}.value: missing field")
        return super(Metric, cls)._from_wire(d, path)

    def _wire(self) -> dict[str, Any]:
        # As Rust writes it: no "interval" key for interval-less metrics.
        out: dict[str, Any] = {"value": _to_wire(self.value)}
        if self.interval is not None:
            out["interval"] = self.interval
        return out


@dataclass(frozen=True, slots=True)
class Drawdown(_Model):
    """A drawdown (``value`` is a fraction, e.g. ``0.05`` == 5%) over a period.

    Times are nanoseconds since the epoch (``time_start_ns`` / ``time_end_ns``);
    ``time_start`` / ``time_end`` are tz-aware UTC datetimes (microsecond resolution).
    The constructor also accepts tz-aware datetimes for the two times."""

    value: Decimal
    time_start_ns: int
    time_end_ns: int

    _FIELDS = {"value": _dec, "time_start_ns": _int, "time_end_ns": _int}

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _to_rust_decimal(self.value, "Drawdown.value"))
        object.__setattr__(self, "time_start_ns", _coerce_time_ns(self.time_start_ns, "Drawdown.time_start"))
        object.__setattr__(self, "time_end_ns", _coerce_time_ns(self.time_end_ns, "Drawdown.time_end"))

    @property
    def time_start(self) -> datetime:
        return _ns_to_datetime(self.time_start_ns)

    @property
    def time_end(self) -> datetime:
        return _ns_to_datetime(self.time_end_ns)

    @property
    def duration_ns(self) -> int:
        return self.time_end_ns - self.time_start_ns

    @property
    def duration(self) -> timedelta:
        return _ns_to_timedelta(self.duration_ns)

    def _dict_extra(self) -> dict[str, Any]:
        return {"duration": self.duration}


@dataclass(frozen=True, slots=True)
class MeanDrawdown(_Model):
    """Mean drawdown (fraction) and mean drawdown duration in milliseconds."""

    mean_drawdown: Decimal
    mean_drawdown_ms: int

    _FIELDS = {"mean_drawdown": _dec, "mean_drawdown_ms": _int}

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mean_drawdown", _to_rust_decimal(self.mean_drawdown, "MeanDrawdown.mean_drawdown")
        )
        object.__setattr__(
            self, "mean_drawdown_ms", _coerce_int(self.mean_drawdown_ms, "MeanDrawdown.mean_drawdown_ms")
        )

    @property
    def duration(self) -> timedelta:
        return timedelta(milliseconds=self.mean_drawdown_ms)

    @property
    def duration_ns(self) -> int:
        return self.mean_drawdown_ms * _NS_PER_MS

    def _dict_extra(self) -> dict[str, Any]:
        return {"duration": self.duration}


@dataclass(frozen=True, slots=True)
class Balance(_Model):
    """An asset balance: ``total`` and ``free`` (available)."""

    total: Decimal
    free: Decimal

    _FIELDS = {"total": _dec, "free": _dec}

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", _to_rust_decimal(self.total, "Balance.total"))
        object.__setattr__(self, "free", _to_rust_decimal(self.free, "Balance.free"))


# --------------------------------------------------------------------------
# TearSheets
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TearSheet(_Model):
    """Per-instrument statistics. ``win_rate`` is wins ÷ closed positions (barter
    0.14's own value is the loss rate; barter_cy reports the win rate)."""

    pnl: Decimal
    pnl_return: Metric
    sharpe_ratio: Metric
    sortino_ratio: Metric
    calmar_ratio: Metric
    pnl_drawdown: Drawdown | None = None
    pnl_drawdown_mean: MeanDrawdown | None = None
    pnl_drawdown_max: Drawdown | None = None
    win_rate: Metric | None = None
    profit_factor: Metric | None = None

    _FIELDS = {
        "pnl": _dec,
        "pnl_return": _model(Metric),
        "sharpe_ratio": _model(Metric),
        "sortino_ratio": _model(Metric),
        "calmar_ratio": _model(Metric),
        "pnl_drawdown": _opt(_model(Drawdown)),
        "pnl_drawdown_mean": _opt(_model(MeanDrawdown)),
        "pnl_drawdown_max": _opt(_model(Drawdown)),
        "win_rate": _opt(_model(Metric)),
        "profit_factor": _opt(_model(Metric)),
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "pnl", _to_rust_decimal(self.pnl, "TearSheet.pnl"))


@dataclass(frozen=True, slots=True)
class TearSheetAsset(_Model):
    """Per-asset statistics (balance at the end and balance drawdowns)."""

    balance_end: Balance | None = None
    drawdown: Drawdown | None = None
    drawdown_mean: MeanDrawdown | None = None
    drawdown_max: Drawdown | None = None

    _FIELDS = {
        "balance_end": _opt(_model(Balance)),
        "drawdown": _opt(_model(Drawdown)),
        "drawdown_mean": _opt(_model(MeanDrawdown)),
        "drawdown_max": _opt(_model(Drawdown)),
    }


# --------------------------------------------------------------------------
# Text rendering
# --------------------------------------------------------------------------

_NA = "N/A"


def _shift2(d: Decimal) -> Decimal:
    """``d * 100`` computed exactly (no context rounding, even for 28+ digits)."""
    sign, digits, exp = d.as_tuple()
    return Decimal((sign, digits, exp + 2))  # type: ignore[operator]


def _fmt_dec(d: Decimal | None, places: int) -> str:
    return _NA if d is None else f"{d:.{places}f}"


def _fmt_pct(d: Decimal | None) -> str:
    return _NA if d is None else f"{_shift2(d):.2f}%"


def _fmt_metric(m: Metric | None, places: int) -> str:
    return _NA if m is None else _fmt_dec(m.value, places)


def _fmt_metric_pct(m: Metric | None) -> str:
    return _NA if m is None else _fmt_pct(m.value)


def _fmt_dd(dd: Drawdown | None) -> str:
    return _NA if dd is None else _fmt_pct(dd.value)


def _fmt_mdd(mdd: MeanDrawdown | None) -> str:
    return _NA if mdd is None else _fmt_pct(mdd.mean_drawdown)


def _render_table(header: list[str], rows: list[list[str]]) -> str:
    """Simple ASCII box table: first column left-aligned, others right-aligned."""
    ncols = len(header)
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells: list[str], header_row: bool = False) -> str:
        parts = []
        for i in range(ncols):
            cell = cells[i]
            if i == 0:
                parts.append(f" {cell:<{widths[i]}} ")
            elif header_row:
                parts.append(f" {cell:^{widths[i]}} ")
            else:
                parts.append(f" {cell:>{widths[i]}} ")
        return "|" + "|".join(parts) + "|"

    out = [sep, line(header, header_row=True), sep]
    out.extend(line(r) for r in rows)
    out.append(sep)
    return "\n".join(out)


def _interval_label(sheets: list[TearSheet], attr: str) -> str:
    for ts in sheets:
        interval = getattr(ts, attr).interval
        if interval:
            return f" {interval}"
    return ""

# --------------------------------------------------------------------------
# TradingSummary / BacktestSummary / MultiBacktestSummary
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class TradingSummary(_Model):
    """Engine-level summary: one :class:`TearSheet` per instrument and one
    :class:`TearSheetAsset` per ``"exchange:asset"`` key (insertion ordered)."""

    time_engine_start_ns: int
    time_engine_end_ns: int
    instruments: dict[str, TearSheet]
    assets: dict[str, TearSheetAsset]

    _FIELDS = {
        "time_engine_start_ns": _int,
        "time_engine_end_ns": _int,
        "instruments": _map_of(_model(TearSheet)),
        "assets": _map_of(_model(TearSheetAsset)),
    }

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "time_engine_start_ns", _coerce_time_ns(self.time_engine_start_ns, "TradingSummary.time_engine_start")
        )
        object.__setattr__(
            self, "time_engine_end_ns", _coerce_time_ns(self.time_engine_end_ns, "TradingSummary.time_engine_end")
        )
        object.__setattr__(self, "instruments", dict(self.instruments))
        object.__setattr__(self, "assets", dict(self.assets))

    @property
    def time_engine_start(self) -> datetime:
        return _ns_to_datetime(self.time_engine_start_ns)

    @property
    def time_engine_end(self) -> datetime:
        return _ns_to_datetime(self.time_engine_end_ns)

    @property
    def trading_duration_ns(self) -> int:
        return self.time_engine_end_ns - self.time_engine_start_ns

    @property
    def trading_duration(self) -> timedelta:
        return _ns_to_timedelta(self.trading_duration_ns)

    def _dict_extra(self) -> dict[str, Any]:
        return {"trading_duration": self.trading_duration}

    # -- rendering ---------------------------------------------------------

    def render(self) -> str:
        """The plain-text summary printed by :meth:`print_summary`."""
        out = [
            f"TRADING SUMMARY (Trading Duration: {format_duration(self.trading_duration)})",
            f"Engine Start: {_ns_to_rfc3339(self.time_engine_start_ns)}"
            f"  Engine End: {_ns_to_rfc3339(self.time_engine_end_ns)}",
            "",
            "Instrument TearSheets",
        ]
        names = list(self.instruments)
        sheets = list(self.instruments.values())
        if sheets:
            row_specs: list[tuple[str, Callable[[TearSheet], str]]] = [
                ("PnL", lambda t: _fmt_dec(t.pnl, 2)),
                ("Return" + _interval_label(sheets, "pnl_return"),
                 lambda t: _fmt_metric_pct(t.pnl_return)),
                ("Sharpe" + _interval_label(sheets, "sharpe_ratio"),
                 lambda t: _fmt_metric(t.sharpe_ratio, 4)),
                ("Sortino" + _interval_label(sheets, "sortino_ratio"),
                 lambda t: _fmt_metric(t.sortino_ratio, 4)),
                ("Calmar" + _interval_label(sheets, "calmar_ratio"),
                 lambda t: _fmt_metric(t.calmar_ratio, 4)),
                ("PnL Drawdown", lambda t: _fmt_dd(t.pnl_drawdown)),
                ("PnL Drawdown Mean", lambda t: _fmt_mdd(t.pnl_drawdown_mean)),
                ("PnL Drawdown Max", lambda t: _fmt_dd(t.pnl_drawdown_max)),
                ("Win Rate", lambda t: _fmt_metric_pct(t.win_rate)),
                ("Profit Factor", lambda t: _fmt_metric(t.profit_factor, 4)),
            ]
            rows = [[label] + [fn(t) for t in sheets] for label, fn in row_specs]
            out.append(_render_table([""] + names, rows))
        else:
            out.append("(no instruments)")
        out += ["", "Asset TearSheets"]
        if self.assets:
            assets = list(self.assets.values())
            asset_specs: list[tuple[str, Callable[[TearSheetAsset], str]]] = [
                ("Balance", lambda a: _NA if a.balance_end is None else str(a.balance_end.total)),
                ("Available", lambda a: _NA if a.balance_end is None else str(a.balance_end.free)),
                ("Drawdown", lambda a: _fmt_dd(a.drawdown)),
                ("Drawdown Mean", lambda a: _fmt_mdd(a.drawdown_mean)),
                ("Drawdown Max", lambda a: _fmt_dd(a.drawdown_max)),
            ]
            rows = [[label] + [fn(a) for a in assets] for label, fn in asset_specs]
            out.append(_render_table([""] + list(self.assets), rows))
        else:
            out.append("(no assets)")
        return "\n".join(out)

    def print_summary(self, file: Any = None) -> None:
        """Print the summary tables (to ``file``, default ``sys.stdout``)."""
        print(self.render(), file=file)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (
            f"TradingSummary(time_engine_start={_ns_to_rfc3339(self.time_engine_start_ns)}, "
            f"time_engine_end={_ns_to_rfc3339(self.time_engine_end_ns)}, "
            f"trading_duration={format_duration(self.trading_duration)!r}, "
            f"instruments={list(self.instruments)!r}, assets={list(self.assets)!r})"
        )


@dataclass(frozen=True, slots=True)
class Position(_Model):
    """A closed position: ``side`` ``"buy"`` (long) or ``"sell"``, quantity in base
    units, entry and exit prices, fees and realised ``pnl`` in the quote asset."""

    instrument: str
    side: str
    quantity: Decimal
    price_entry: Decimal
    price_exit: Decimal
    fees: Decimal
    pnl: Decimal
    time_enter_ns: int
    time_exit_ns: int

    _FIELDS = {
        "instrument": _str,
        "side": _str,
        "quantity": _dec,
        "price_entry": _dec,
        "price_exit": _dec,
        "fees": _dec,
        "pnl": _dec,
        "time_enter_ns": _int,
        "time_exit_ns": _int,
    }

    def __post_init__(self) -> None:
        for name in ("quantity", "price_entry", "price_exit", "fees", "pnl"):
            object.__setattr__(self, name, _to_rust_decimal(getattr(self, name), f"Position.{name}"))
        object.__setattr__(self, "time_enter_ns", _coerce_time_ns(self.time_enter_ns, "Position.time_enter"))
        object.__setattr__(self, "time_exit_ns", _coerce_time_ns(self.time_exit_ns, "Position.time_exit"))

    @property
    def time_enter(self) -> datetime:
        return _ns_to_datetime(self.time_enter_ns)

    @property
    def time_exit(self) -> datetime:
        return _ns_to_datetime(self.time_exit_ns)


@dataclass(frozen=True, slots=True)
class StrategyInfo(_Model):
    """Which strategy a backtest ran: its ``name`` (``"default"``, ``"sma_cross"``...)
    and ``params`` as given (decimals as strings)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    _FIELDS = {"name": _str, "params": lambda v, path: dict(_obj(v, path))}

    def __hash__(self) -> int:
        return hash((self.name, json.dumps(self.params, sort_keys=True, default=str)))


def _array(dtype: str) -> Reader:
    def read(v: Any, path: str) -> np.ndarray:
        if not isinstance(v, (list, np.ndarray)):
            raise ValueError(f"{path}: expected array, got {type(v).__name__}")
        try:
            out = np.asarray(v, dtype=dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(f"{path}: {e}") from None
        out.setflags(write=False)
        return out

    return read


@dataclass(frozen=True, slots=True, eq=False)
class Equity(_Model):
    """The equity curve: ``time_ns`` (int64 ns since the epoch) and ``value``
    (float64, in the quote asset: quote balance plus positions at the last price),
    sampled at every fill and at most 2,000 evenly spaced points. Read-only arrays."""

    time_ns: np.ndarray
    value: np.ndarray

    _FIELDS = {"time_ns": _array("int64"), "value": _array("float64")}

    def __post_init__(self) -> None:
        time_ns = np.array(self.time_ns, dtype="int64")
        value = np.array(self.value, dtype="float64")
        if time_ns.shape != value.shape or time_ns.ndim != 1:
            raise ValueError(f"Equity: time_ns and value must be 1-D of one length, got {time_ns.shape} and {value.shape}")
        time_ns.setflags(write=False)
        value.setflags(write=False)
        object.__setattr__(self, "time_ns", time_ns)
        object.__setattr__(self, "value", value)

    def __len__(self) -> int:
        return len(self.time_ns)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Equity):
            return NotImplemented
        return bool(np.array_equal(self.time_ns, other.time_ns) and np.array_equal(self.value, other.value))

    __hash__ = None  # type: ignore[assignment]

    def _wire(self) -> dict[str, Any]:
        return {"time_ns": self.time_ns.tolist(), "value": self.value.tolist()}

    def to_dict(self) -> dict[str, Any]:
        return {"time_ns": self.time_ns, "value": self.value}


#: The exact decimal columns of :class:`Positions`, in wire order.
DECIMAL_COLUMNS = ("quantity", "price_entry", "price_exit", "fees", "pnl")
#: Every column of :class:`Positions` (:meth:`Positions.column`), in wire order.
POSITION_COLUMNS = ("instrument", "side") + DECIMAL_COLUMNS + ("time_enter_ns", "time_exit_ns")
_SIDE_CODES = {"buy": 1, "sell": -1}
_DECIMAL_TEXT_BYTES = b"0123456789.- "


def _int_column(v: Any, path: str) -> np.ndarray:
    """An int64 column from a JSON list of integers or an integer numpy array."""
    if not isinstance(v, (list, np.ndarray)):
        raise ValueError(f"{path}: expected array, got {type(v).__name__}")
    try:
        raw = np.asarray(v)
        if raw.size and raw.dtype.kind not in "iu":
            raise ValueError(f"expected integers, got {raw.dtype}")
        out = raw.astype(np.int64, copy=False)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"{path}: {e}") from None
    if out.ndim != 1:
        raise ValueError(f"{path}: expected a 1-D array, got shape {out.shape}")
    return out


def _decimal_text(v: Any, rows: int, path: str) -> str:
    """A decimal column: ``rows`` decimals separated by single spaces. Counted and
    checked for stray characters here; each is parsed when a Position is read."""
    if not isinstance(v, str):
        raise ValueError(f"{path}: expected a string of decimals separated by spaces, got {type(v).__name__}")
    if rows == 0:
        if v:
            raise ValueError(f"{path}: expected no decimals, got {v[:40]!r}")
        return v
    try:
        raw = v.encode("ascii")
    except UnicodeEncodeError:
        raw = b"\x80"
    if raw.translate(None, _DECIMAL_TEXT_BYTES) or b"  " in raw or raw[:1] == b" " or raw[-1:] == b" ":
        for index, item in enumerate(v.split(" ")):
            if not item or item.strip("0123456789.-"):
                raise ValueError(f"{path}[{index}]: invalid decimal {item!r}")
    found = raw.count(b" ") + 1
    if found != rows:
        raise ValueError(f"{path}: expected {rows} decimals, got {found}")
    return v


def _checked_counts(counts: Any, path: str) -> dict[str, int]:
    """Position counts per instrument name: str keys, int values > 0."""
    if not isinstance(counts, Mapping):
        raise TypeError(f"{path}: expected a mapping of instrument name to count, got {type(counts).__name__}")
    out = {}
    for name, n in counts.items():
        if not isinstance(name, str):
            raise TypeError(f"{path}: instrument names must be str, got {type(name).__name__}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{path}[{name!r}]: expected a count >= 0, got {n!r}")
        if n:
            out[name] = n
    return out


class Positions(Sequence):
    """The closed positions of a backtest: a read-only sequence of :class:`Position`.

    A summary can hold hundreds of thousands, so they are kept as columns (as they come
    from Rust) and become ``Position`` objects the first time one is read.
    :meth:`column` gives a column as a numpy array without making any; the exact decimals
    stay text until a ``Position`` is read. ``instruments`` are the names the
    ``instrument`` column indexes."""

    __slots__ = ("_instruments", "_columns", "_text", "_floats", "_items", "_path")

    def __init__(self, positions: Iterable[Position] = ()) -> None:
        items = tuple(positions)
        codes: dict[str, int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, Position):
                raise TypeError(f"positions[{index}]: expected Position, got {type(item).__name__}")
            if item.side not in _SIDE_CODES:
                raise ValueError(f"positions[{index}].side: expected 'buy' or 'sell', got {item.side!r}")
            codes.setdefault(item.instrument, len(codes))
        self._set(
            tuple(codes),
            {
                "instrument": np.array([codes[p.instrument] for p in items], dtype=np.int64),
                "side": np.array([_SIDE_CODES[p.side] for p in items], dtype=np.int8),
                "time_enter_ns": np.array([p.time_enter_ns for p in items], dtype=np.int64),
                "time_exit_ns": np.array([p.time_exit_ns for p in items], dtype=np.int64),
            },
            {name: " ".join(str(getattr(p, name)) for p in items) for name in DECIMAL_COLUMNS},
            "positions",
        )
        self._items = items

    def _set(self, instruments: tuple[str, ...], columns: dict[str, np.ndarray], text: dict[str, str],
             path: str) -> None:
        for array in columns.values():
            array.setflags(write=False)
        self._instruments, self._columns, self._text, self._path = instruments, columns, text, path
        self._floats: dict[str, np.ndarray] = {}
        self._items: tuple[Position, ...] | None = None

    @classmethod
    def _from_wire(cls, v: Any, path: str) -> "Positions":
        """The wire's ``positions`` object: ``instruments`` (names), ``instrument``
        (indices into them), ``side`` (1 buy, -1 sell), the decimal columns as strings of
        decimals separated by single spaces, ``time_enter_ns`` and ``time_exit_ns``.
        Integer columns may be JSON lists or numpy arrays (as ``_native`` hands them)."""
        obj = _obj(v, path)
        for name in ("instruments",) + POSITION_COLUMNS:
            if name not in obj:
                raise ValueError(f"{path}.{name}: missing field")
        instruments = _list_of(_str)(obj["instruments"], f"{path}.instruments")
        columns = {name: _int_column(obj[name], f"{path}.{name}")
                   for name in ("instrument", "side", "time_enter_ns", "time_exit_ns")}
        rows = len(columns["side"])
        for name, column in columns.items():
            if len(column) != rows:
                raise ValueError(f"{path}.{name}: expected {rows} rows (as side), got {len(column)}")
        if rows:
            code = columns["instrument"]
            bad = np.flatnonzero((code < 0) | (code >= len(instruments)))
            if bad.size:
                raise ValueError(f"{path}.instrument[{bad[0]}]: {code[bad[0]]} is not an index into "
                                 f"{len(instruments)} instruments")
            side = columns["side"]
            bad = np.flatnonzero((side != 1) & (side != -1))
            if bad.size:
                raise ValueError(f"{path}.side[{bad[0]}]: expected 1 (buy) or -1 (sell), got {side[bad[0]]}")
        columns["side"] = columns["side"].astype(np.int8)
        text = {name: _decimal_text(obj[name], rows, f"{path}.{name}") for name in DECIMAL_COLUMNS}
        self = cls.__new__(cls)
        self._set(instruments, columns, text, path)
        return self

    @property
    def instruments(self) -> tuple[str, ...]:
        """The instrument names the ``instrument`` column indexes, in order of first
        appearance."""
        return self._instruments

    def counts(self) -> dict[str, int]:
        """Positions per instrument name (names without any left out)."""
        per_code = np.bincount(self._columns["instrument"], minlength=len(self._instruments))
        return {name: int(n) for name, n in zip(self._instruments, per_code.tolist()) if n}

    def column(self, name: str) -> np.ndarray:
        """One column as a read-only numpy array, one row per position:
        ``instrument`` (the names, object), ``side`` (int8: 1 buy, -1 sell),
        ``quantity`` / ``price_entry`` / ``price_exit`` / ``fees`` / ``pnl`` (float64,
        the nearest float to each exact decimal), ``time_enter_ns`` / ``time_exit_ns``
        (int64 ns since the epoch)."""
        if name == "instrument":
            names = np.empty(len(self._instruments), dtype=object)
            names[:] = self._instruments
            out = names[self._columns["instrument"]]
            out.setflags(write=False)
            return out
        if name in self._columns:
            return self._columns[name]
        if name not in self._text:
            raise KeyError(f"no position column {name!r}; columns: {', '.join(POSITION_COLUMNS)}")
        floats = self._floats.get(name)
        if floats is None:
            text = self._text[name]
            try:
                floats = np.array(text.split(" ") if text else [], dtype=np.float64)
            except ValueError as e:
                raise ValueError(f"{self._path}.{name}: {e}") from None
            floats.setflags(write=False)
            self._floats[name] = floats
        return floats

    def _all(self) -> tuple[Position, ...]:
        if self._items is None:
            path = self._path
            names = [self._instruments[code] for code in self._columns["instrument"].tolist()]
            sides = ["buy" if side == 1 else "sell" for side in self._columns["side"].tolist()]
            enter = self._columns["time_enter_ns"].tolist()
            exit_ = self._columns["time_exit_ns"].tolist()
            decimals = [self._text[name].split(" ") if names else [] for name in DECIMAL_COLUMNS]
            items = []
            for i, row in enumerate(zip(*decimals)):
                values = [_dec(text, f"{path}.{name}[{i}]") for name, text in zip(DECIMAL_COLUMNS, row)]
                items.append(Position(names[i], sides[i], *values, enter[i], exit_[i]))
            self._items = tuple(items)
        return self._items

    def __len__(self) -> int:
        return len(self._columns["side"])

    def __getitem__(self, index):  # type: ignore[override]
        return self._all()[index]

    def __iter__(self) -> Iterator[Position]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Positions):
            if len(self) != len(other):
                return False
            for name in ("side", "time_enter_ns", "time_exit_ns"):
                if not np.array_equal(self._columns[name], other._columns[name]):
                    return False
            if not (self._instruments == other._instruments
                    and np.array_equal(self._columns["instrument"], other._columns["instrument"])):
                if not np.array_equal(self.column("instrument"), other.column("instrument")):
                    return False
            for name in DECIMAL_COLUMNS:
                mine, theirs = self._text[name], other._text[name]
                # Equal text is equal; "1.50" and "1.5" are equal decimals too.
                if mine != theirs and [Decimal(x) for x in mine.split(" ")] != [Decimal(x) for x in theirs.split(" ")]:
                    return False
            return True
        if isinstance(other, (tuple, list)):
            return self._all() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def _wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"instruments": list(self._instruments)}
        out["instrument"] = self._columns["instrument"].tolist()
        out["side"] = self._columns["side"].tolist()
        out.update(self._text)
        out["time_enter_ns"] = self._columns["time_enter_ns"].tolist()
        out["time_exit_ns"] = self._columns["time_exit_ns"].tolist()
        return out

    def __reduce__(self):
        return _positions_from_state, (self._instruments, self._columns, self._text, self._path)

    def __repr__(self) -> str:
        return f"Positions(len={len(self)})"


def _positions_from_state(instruments: tuple[str, ...], columns: dict[str, np.ndarray], text: dict[str, str],
                          path: str) -> Positions:
    """Unpickles :class:`Positions` (its columns as they were, no re-validation)."""
    self = Positions.__new__(Positions)
    self._set(instruments, dict(columns), text, path)
    return self


_DEFAULT_STRATEGY = StrategyInfo("default", {})
_EMPTY_EQUITY = Equity(np.zeros(0, "int64"), np.zeros(0, "float64"))


@dataclass(frozen=True, slots=True, repr=False)
class BacktestSummary(_Model):
    """The result of one backtest: its ``id``, risk-free return, barter's trading
    summary, the strategy it ran, the fill rule, closed ``positions``, orders rejected
    for lack of funds, the ``equity`` curve and ``position_counts`` (closed positions
    per instrument name, instruments without any left out).

    A summary without details (``run_backtests(..., details=False)`` or
    :meth:`without_details`) has ``positions`` and ``equity`` ``None``: its statistics
    and ``position_counts`` are those of the full summary, at a few hundred bytes
    instead of ~100 bytes per closed position."""

    id: str
    risk_free_return: Decimal
    trading_summary: TradingSummary
    strategy: StrategyInfo = _DEFAULT_STRATEGY
    fill: str = "next"
    close_at_end: bool = True
    rejected_orders: int = 0
    positions: Positions | None = field(default_factory=Positions)
    equity: Equity | None = field(default_factory=lambda: _EMPTY_EQUITY)
    position_counts: Mapping[str, int] | None = None

    _FIELDS = {
        "id": _str,
        "risk_free_return": _dec,
        "trading_summary": _model(TradingSummary),
        "strategy": _opt(_model(StrategyInfo)),
        "fill": _opt(_str),
        "close_at_end": _opt(_bool),
        "rejected_orders": _opt(_int),
        "positions": _opt(lambda v, path: Positions._from_wire(v, path)),
        "equity": _opt(_model(Equity)),
        "position_counts": _opt(_map_of(_int)),
    }

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError("BacktestSummary.id: expected str")
        object.__setattr__(
            self, "risk_free_return", _to_rust_decimal(self.risk_free_return, "BacktestSummary.risk_free_return")
        )
        if self.positions is not None and not isinstance(self.positions, Positions):
            object.__setattr__(self, "positions", Positions(self.positions))
        if self.equity is not None and not isinstance(self.equity, Equity):
            raise TypeError(f"BacktestSummary.equity: expected Equity or None, got {type(self.equity).__name__}")
        counts = self.position_counts
        if counts is not None:
            counts = _checked_counts(counts, "BacktestSummary.position_counts")
        if self.positions is not None:
            held = self.positions.counts()
            if counts is not None and counts != held:
                raise ValueError(f"BacktestSummary.position_counts: {counts} do not match the positions ({held})")
            counts = held
        elif counts is None:
            raise ValueError("BacktestSummary.position_counts: required when positions is None "
                             "(a summary without details)")
        object.__setattr__(self, "position_counts", counts)

    @property
    def has_details(self) -> bool:
        """Whether the closed positions and the equity curve were kept."""
        return self.positions is not None and self.equity is not None

    @property
    def position_count(self) -> int:
        """Closed positions over all instruments."""
        return sum(self.position_counts.values())  # type: ignore[union-attr]

    def without_details(self) -> "BacktestSummary":
        """This summary without its closed positions and equity curve (``None``):
        statistics, strategy and ``position_counts`` unchanged."""
        if self.positions is None and self.equity is None:
            return self
        return replace(self, positions=None, equity=None)

    def _require_details(self, what: str) -> None:
        if not self.has_details:
            raise ValueError(f"{what}: backtest {self.id!r} has no positions or equity curve "
                             "(run with details=False); run it with details=True")

    @property
    def pnl(self) -> Decimal:
        """Total realised PnL over all instruments (quote asset)."""
        return sum((t.pnl for t in self.trading_summary.instruments.values()), Decimal(0))

    def render(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.strategy.params.items())
        return (
            f"BACKTEST {self.id} (Risk Free Return: {self.risk_free_return})\n"
            f"Strategy: {self.strategy.name}({params})  Fill: {self.fill}  "
            f"Positions: {self.position_count}  Rejected Orders: {self.rejected_orders}\n"
            f"{self.trading_summary.render()}"
        )

    def positions_frame(self) -> Any:
        """The closed positions as a pandas DataFrame (floats; times UTC); see
        :func:`barter_cy.frames.positions_frame`. Needs ``pip install barter_cy[pandas]``."""
        from barter_cy import frames; return frames.positions_frame(self)  # noqa: E702

    def equity_frame(self) -> Any:
        """The equity curve as a pandas DataFrame (column ``equity``, UTC DatetimeIndex);
        see :func:`barter_cy.frames.equity_frame`. Needs ``pip install barter_cy[pandas]``."""
        from barter_cy import frames; return frames.equity_frame(self)  # noqa: E702

    def plot(self, path: Any = None) -> Any:
        """The equity curve with entries/exits marked and the drawdown below, as a
        matplotlib Figure (saved as PNG when ``path`` is given); see
        :func:`barter_cy.plot.plot_summary`. Needs ``pip install 'barter_cy[plot]'``."""
        from barter_cy import plot; return plot.plot_summary(self, path)  # noqa: E702

    def print_summary(self, file: Any = None) -> None:
        print(self.render(), file=file)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (
            f"BacktestSummary(id={self.id!r}, risk_free_return={self.risk_free_return!r}, "
            f"strategy={self.strategy.name!r}, positions={self.position_count}, pnl={self.pnl})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class MultiBacktestSummary(_Model):
    """Results of a batch of backtests, in input order.

    Sequence-like over its :class:`BacktestSummary` items; use :meth:`by_id`
    to look one up by its id.
    """

    num_backtests: int
    duration_ns: int
    summaries: tuple[BacktestSummary, ...]

    _FIELDS = {
        "num_backtests": _int,
        "duration_ns": _int,
        "summaries": _list_of(_model(BacktestSummary)),
    }

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "num_backtests", _coerce_int(self.num_backtests, "MultiBacktestSummary.num_backtests")
        )
        duration = self.duration_ns
        if isinstance(duration, timedelta):
            duration = (duration.days * 86_400 + duration.seconds) * _NS_PER_S + duration.microseconds * 1000
        object.__setattr__(self, "duration_ns", _coerce_int(duration, "MultiBacktestSummary.duration_ns"))
        object.__setattr__(self, "summaries", tuple(self.summaries))

    @property
    def duration(self) -> timedelta:
        return _ns_to_timedelta(self.duration_ns)

    @property
    def duration_ms(self) -> int:
        return self.duration_ns // _NS_PER_MS

    def _dict_extra(self) -> dict[str, Any]:
        return {"duration_ms": self.duration_ms}

    def __len__(self) -> int:
        return len(self.summaries)

    def __iter__(self) -> Iterator[BacktestSummary]:
        return iter(self.summaries)

    def __getitem__(self, index: int) -> BacktestSummary:
        return self.summaries[index]

    def by_id(self, id: str) -> BacktestSummary:  # noqa: A002 - mirrors barter's field name
        for s in self.summaries:
            if s.id == id:
                return s
        raise KeyError(f"no backtest with id {id!r}")

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.summaries]

    def without_details(self) -> "MultiBacktestSummary":
        """The same summaries without closed positions and equity curves (see
        :meth:`BacktestSummary.without_details`)."""
        return replace(self, summaries=tuple(s.without_details() for s in self.summaries))

    def to_frame(self) -> Any:
        """One row per backtest as a pandas DataFrame: id, strategy, its parameters, and
        per instrument pnl, pnl_return, sharpe, sortino, calmar, win_rate, profit_factor,
        max_drawdown and positions as floats; see :func:`barter_cy.frames.summaries_frame`.
        Needs ``pip install barter_cy[pandas]``."""
        from barter_cy import frames; return frames.summaries_frame(self)  # noqa: E702

    def plot_heatmap(self, x: str = "fast", y: str = "slow", metric: str = "pnl", path: Any = None) -> Any:
        """``metric`` over a two-parameter sweep as a heatmap (matplotlib Figure, PNG
        when ``path`` is given); see :func:`barter_cy.plot.plot_heatmap`."""
        from barter_cy import plot; return plot.plot_heatmap(self, x, y, metric, path)  # noqa: E702

    def plot_metric(self, param: str, metric: str = "pnl", path: Any = None) -> Any:
        """``metric`` against one strategy parameter (matplotlib Figure, PNG when
        ``path`` is given); see :func:`barter_cy.plot.plot_metric`."""
        from barter_cy import plot; return plot.plot_metric(self, param, metric, path)  # noqa: E702

    def render(self) -> str:
        buf = io.StringIO()
        buf.write(f"MULTI BACKTEST SUMMARY: {self.num_backtests} backtests in {self.duration_ms} ms\n")
        for s in self.summaries:
            buf.write("\n")
            buf.write(s.render())
            buf.write("\n")
        return buf.getvalue().rstrip("\n")

    def print_summary(self, file: Any = None) -> None:
        print(self.render(), file=file)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (
            f"MultiBacktestSummary(num_backtests={self.num_backtests}, "
            f"duration_ms={self.duration_ms}, ids={self.ids!r})"
        )
