"""Immutable Python models of barter's backtest / trading summaries.

The Rust side serialises ``MultiBacktestSummary`` / ``BacktestSummary`` /
``TradingSummary`` to JSON ("wire" format) where

* every ``rust_decimal::Decimal`` is a string in its ``Display`` form
  (``"0.05"``, ``"-12.3400"``, ``"79228162514264337593543950335"``), and
* every timestamp is an integer number of nanoseconds since the Unix epoch (UTC).

Each model has a ``_from_wire(d)`` classmethod that builds it from that
(already ``json.loads``-ed) dict, raising :class:`ValueError` naming the
offending field path when the data is malformed.

Decimals are stored as :class:`RustDecimal`, a :class:`decimal.Decimal`
subclass that is numerically identical to ``Decimal(s)`` but whose ``str()``
never uses exponent notation, so ``str(value)`` reproduces rust_decimal's
Display string digit for digit (plain ``Decimal`` would render
``"0.0000000000000000000000000001"`` as ``"1E-28"``).  No value ever passes
through ``float``.

Every model also offers:

* ``to_dict()`` - plain Python values (``Decimal``, tz-aware UTC ``datetime``,
  ``timedelta``, ``int``, ``str``, ``None``, nested ``dict``/``list``);
* ``to_json(indent=None)`` / ``from_json(s)`` - a lossless JSON form:
  decimals as strings, datetimes as RFC 3339 with 9 fraction digits and
  ``Z``, durations as integer nanoseconds under keys ending in ``_ns``.
  ``Cls.from_json(x.to_json()) == x`` always holds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, TypeVar

from barter_cy.data import datetime_to_ns as _datetime_to_ns
from barter_cy.data import ns_to_datetime as _ns_to_datetime
from barter_cy.data import ns_to_rfc3339 as _ns_to_rfc3339
from barter_cy.data import rfc3339_to_ns as _rfc3339_to_ns

__all__ = [
    "RustDecimal",
    "Metric",
    "Drawdown",
    "MeanDrawdown",
    "Balance",
    "TearSheet",
    "TearSheetAsset",
    "TradingSummary",
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
        if not out.is_finite():
            raise ValueError(f"{name}: decimal must be finite, got {value!r}")
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
# Wire / JSON field readers (all raise ValueError naming the field path)
# --------------------------------------------------------------------------


def _obj(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise ValueError(f"{path}: expected object, got {type(v).__name__}")
    return v


def _get(d: Mapping[str, Any], key: str, path: str) -> Any:
    try:
        return d[key]
    except KeyError:
        raise ValueError(f"{path}.{key}: missing field") from None


def _dec(v: Any, path: str) -> RustDecimal:
    if isinstance(v, str):
        try:
            out = RustDecimal(v)
        except InvalidOperation:
            raise ValueError(f"{path}: invalid decimal string {v!r}") from None
    elif isinstance(v, int) and not isinstance(v, bool):
        out = RustDecimal(v)
    else:
        raise ValueError(f"{path}: expected decimal string, got {type(v).__name__}")
    if not out.is_finite():
        raise ValueError(f"{path}: decimal must be finite, got {v!r}")
    return out


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


def _opt_str(v: Any, path: str) -> str | None:
    return None if v is None else _str(v, path)


def _time(v: Any, path: str) -> int:
    if not isinstance(v, str):
        raise ValueError(f"{path}: expected RFC 3339 timestamp string, got {type(v).__name__}")
    try:
        ns = _rfc3339_to_ns(v)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    return _int(ns, path)


def _field(d: Mapping[str, Any], key: str, path: str, reader: Callable[[Any, str], _T]) -> _T:
    return reader(_get(d, key, path), f"{path}.{key}")


def _opt_field(
    d: Mapping[str, Any], key: str, path: str, reader: Callable[[Any, str], _T]
) -> _T | None:
    """An Option<T> field: missing key or JSON null both mean None."""
    v = d.get(key)
    return None if v is None else reader(v, f"{path}.{key}")


def _loads(s: str | bytes | bytearray, cls_name: str) -> Mapping[str, Any]:
    try:
        data = json.loads(s)
    except json.JSONDecodeError as e:
        raise ValueError(f"{cls_name}: invalid JSON: {e}") from None
    return _obj(data, cls_name)


def _dumps(obj: Any, indent: int | None) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False)


def _opt_to_dict(x: Any) -> Any:
    return None if x is None else x.to_dict()


def _opt_json(x: Any) -> Any:
    return None if x is None else x._json_obj()


# --------------------------------------------------------------------------
# Leaf models
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """A statistic value; ``interval`` is e.g. ``"Daily"`` / ``"Annual(252)"``,
    or ``None`` for interval-less metrics (win rate, profit factor)."""

    value: Decimal
    interval: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _to_rust_decimal(self.value, "Metric.value"))
        if self.interval is not None and not isinstance(self.interval, str):
            raise TypeError("Metric.interval: expected str or None")

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> Metric:
        path = _path or cls.__name__
        d = _obj(d, path)
        return cls(
            value=_field(d, "value", path, _dec),
            interval=_opt_field(d, "interval", path, _str),
        )

    _from_json_obj = _from_wire  # identical layout

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "interval": self.interval}

    def _json_obj(self) -> dict[str, Any]:
        return {"value": str(self.value), "interval": self.interval}

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> Metric:
        return cls._from_json_obj(_loads(s, cls.__name__))


@dataclass(frozen=True, slots=True)
class Drawdown:
    """A drawdown (``value`` is a fraction, e.g. ``0.05`` == 5%) over a period.

    Times are stored exactly as nanoseconds since the epoch
    (``time_start_ns`` / ``time_end_ns``); ``time_start`` / ``time_end`` are
    derived tz-aware UTC datetimes (microsecond resolution).  The constructor
    also accepts tz-aware datetimes for the two times.
    """

    value: Decimal
    time_start_ns: int
    time_end_ns: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _to_rust_decimal(self.value, "Drawdown.value"))
        object.__setattr__(
            self, "time_start_ns", _coerce_time_ns(self.time_start_ns, "Drawdown.time_start")
        )
        object.__setattr__(
            self, "time_end_ns", _coerce_time_ns(self.time_end_ns, "Drawdown.time_end")
        )

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

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> Drawdown:
        path = _path or cls.__name__
        d = _obj(d, path)
        return cls(
            value=_field(d, "value", path, _dec),
            time_start_ns=_field(d, "time_start_ns", path, _int),
            time_end_ns=_field(d, "time_end_ns", path, _int),
        )

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> Drawdown:
        path = _path or cls.__name__
        d = _obj(d, path)
        return cls(
            value=_field(d, "value", path, _dec),
            time_start_ns=_field(d, "time_start", path, _time),
            time_end_ns=_field(d, "time_end", path, _time),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "time_start": self.time_start,
            "time_end": self.time_end,
            "duration": self.duration,
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "value": str(self.value),
            "time_start": _ns_to_rfc3339(self.time_start_ns),
            "time_end": _ns_to_rfc3339(self.time_end_ns),
            "duration_ns": self.duration_ns,
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> Drawdown:
        return cls._from_json_obj(_loads(s, cls.__name__))


@dataclass(frozen=True, slots=True)
class MeanDrawdown:
    """Mean drawdown (fraction) and mean drawdown duration in milliseconds."""

    mean_drawdown: Decimal
    mean_drawdown_ms: int

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mean_drawdown", _to_rust_decimal(self.mean_drawdown, "MeanDrawdown.mean_drawdown")
        )
        object.__setattr__(
            self,
            "mean_drawdown_ms",
            _coerce_int(self.mean_drawdown_ms, "MeanDrawdown.mean_drawdown_ms"),
        )

    @property
    def duration(self) -> timedelta:
        return timedelta(milliseconds=self.mean_drawdown_ms)

    @property
    def duration_ns(self) -> int:
        return self.mean_drawdown_ms * _NS_PER_MS

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> MeanDrawdown:
        path = _path or cls.__name__
        d = _obj(d, path)
        return cls(
            mean_drawdown=_field(d, "mean_drawdown", path, _dec),
            mean_drawdown_ms=_field(d, "mean_drawdown_ms", path, _int),
        )

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> MeanDrawdown:
        path = _path or cls.__name__
        d = _obj(d, path)
        ns = _field(d, "duration_ns", path, _int)
        ms, rem = divmod(ns, _NS_PER_MS)
        if rem:
            raise ValueError(f"{path}.duration_ns: must be a whole number of milliseconds")
        return cls(mean_drawdown=_field(d, "mean_drawdown", path, _dec), mean_drawdown_ms=ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean_drawdown": self.mean_drawdown,
            "mean_drawdown_ms": self.mean_drawdown_ms,
            "duration": self.duration,
        }

    def _json_obj(self) -> dict[str, Any]:
        return {"mean_drawdown": str(self.mean_drawdown), "duration_ns": self.duration_ns}

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> MeanDrawdown:
        return cls._from_json_obj(_loads(s, cls.__name__))


@dataclass(frozen=True, slots=True)
class Balance:
    """An asset balance: ``total`` and ``free`` (available)."""

    total: Decimal
    free: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", _to_rust_decimal(self.total, "Balance.total"))
        object.__setattr__(self, "free", _to_rust_decimal(self.free, "Balance.free"))

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> Balance:
        path = _path or cls.__name__
        d = _obj(d, path)
        return cls(total=_field(d, "total", path, _dec), free=_field(d, "free", path, _dec))

    _from_json_obj = _from_wire

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "free": self.free}

    def _json_obj(self) -> dict[str, Any]:
        return {"total": str(self.total), "free": str(self.free)}

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> Balance:
        return cls._from_json_obj(_loads(s, cls.__name__))


# --------------------------------------------------------------------------
# TearSheets
# --------------------------------------------------------------------------


def _metric_reader(mode: str) -> Callable[[Any, str], Metric]:
    if mode == "wire":
        return lambda v, p: Metric._from_wire(v, p)
    return lambda v, p: Metric._from_json_obj(v, p)


@dataclass(frozen=True, slots=True)
class TearSheet:
    """Per-instrument statistics."""

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "pnl", _to_rust_decimal(self.pnl, "TearSheet.pnl"))

    @classmethod
    def _build(cls, d: Mapping[str, Any], path: str, mode: str) -> TearSheet:
        d = _obj(d, path)
        metric = _metric_reader(mode)
        if mode == "wire":
            dd: Callable[[Any, str], Drawdown] = lambda v, p: Drawdown._from_wire(v, p)
            mdd: Callable[[Any, str], MeanDrawdown] = lambda v, p: MeanDrawdown._from_wire(v, p)
        else:
            dd = lambda v, p: Drawdown._from_json_obj(v, p)  # noqa: E731
            mdd = lambda v, p: MeanDrawdown._from_json_obj(v, p)  # noqa: E731
        return cls(
            pnl=_field(d, "pnl", path, _dec),
            pnl_return=_field(d, "pnl_return", path, metric),
            sharpe_ratio=_field(d, "sharpe_ratio", path, metric),
            sortino_ratio=_field(d, "sortino_ratio", path, metric),
            calmar_ratio=_field(d, "calmar_ratio", path, metric),
            pnl_drawdown=_opt_field(d, "pnl_drawdown", path, dd),
            pnl_drawdown_mean=_opt_field(d, "pnl_drawdown_mean", path, mdd),
            pnl_drawdown_max=_opt_field(d, "pnl_drawdown_max", path, dd),
            win_rate=_opt_field(d, "win_rate", path, metric),
            profit_factor=_opt_field(d, "profit_factor", path, metric),
        )

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> TearSheet:
        return cls._build(d, _path or cls.__name__, "wire")

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> TearSheet:
        return cls._build(d, _path or cls.__name__, "json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "pnl": self.pnl,
            "pnl_return": self.pnl_return.to_dict(),
            "sharpe_ratio": self.sharpe_ratio.to_dict(),
            "sortino_ratio": self.sortino_ratio.to_dict(),
            "calmar_ratio": self.calmar_ratio.to_dict(),
            "pnl_drawdown": _opt_to_dict(self.pnl_drawdown),
            "pnl_drawdown_mean": _opt_to_dict(self.pnl_drawdown_mean),
            "pnl_drawdown_max": _opt_to_dict(self.pnl_drawdown_max),
            "win_rate": _opt_to_dict(self.win_rate),
            "profit_factor": _opt_to_dict(self.profit_factor),
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "pnl": str(self.pnl),
            "pnl_return": self.pnl_return._json_obj(),
            "sharpe_ratio": self.sharpe_ratio._json_obj(),
            "sortino_ratio": self.sortino_ratio._json_obj(),
            "calmar_ratio": self.calmar_ratio._json_obj(),
            "pnl_drawdown": _opt_json(self.pnl_drawdown),
            "pnl_drawdown_mean": _opt_json(self.pnl_drawdown_mean),
            "pnl_drawdown_max": _opt_json(self.pnl_drawdown_max),
            "win_rate": _opt_json(self.win_rate),
            "profit_factor": _opt_json(self.profit_factor),
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> TearSheet:
        return cls._from_json_obj(_loads(s, cls.__name__))


@dataclass(frozen=True, slots=True)
class TearSheetAsset:
    """Per-asset statistics (balance at the end and balance drawdowns)."""

    balance_end: Balance | None = None
    drawdown: Drawdown | None = None
    drawdown_mean: MeanDrawdown | None = None
    drawdown_max: Drawdown | None = None

    @classmethod
    def _build(cls, d: Mapping[str, Any], path: str, mode: str) -> TearSheetAsset:
        d = _obj(d, path)
        if mode == "wire":
            dd: Callable[[Any, str], Drawdown] = lambda v, p: Drawdown._from_wire(v, p)
            mdd: Callable[[Any, str], MeanDrawdown] = lambda v, p: MeanDrawdown._from_wire(v, p)
        else:
            dd = lambda v, p: Drawdown._from_json_obj(v, p)  # noqa: E731
            mdd = lambda v, p: MeanDrawdown._from_json_obj(v, p)  # noqa: E731
        return cls(
            balance_end=_opt_field(d, "balance_end", path, lambda v, p: Balance._from_wire(v, p)),
            drawdown=_opt_field(d, "drawdown", path, dd),
            drawdown_mean=_opt_field(d, "drawdown_mean", path, mdd),
            drawdown_max=_opt_field(d, "drawdown_max", path, dd),
        )

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> TearSheetAsset:
        return cls._build(d, _path or cls.__name__, "wire")

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> TearSheetAsset:
        return cls._build(d, _path or cls.__name__, "json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "balance_end": _opt_to_dict(self.balance_end),
            "drawdown": _opt_to_dict(self.drawdown),
            "drawdown_mean": _opt_to_dict(self.drawdown_mean),
            "drawdown_max": _opt_to_dict(self.drawdown_max),
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "balance_end": _opt_json(self.balance_end),
            "drawdown": _opt_json(self.drawdown),
            "drawdown_mean": _opt_json(self.drawdown_mean),
            "drawdown_max": _opt_json(self.drawdown_max),
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> TearSheetAsset:
        return cls._from_json_obj(_loads(s, cls.__name__))


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
class TradingSummary:
    """Engine-level summary: one :class:`TearSheet` per instrument and one
    :class:`TearSheetAsset` per ``"exchange:asset"`` key (insertion ordered)."""

    time_engine_start_ns: int
    time_engine_end_ns: int
    instruments: dict[str, TearSheet]
    assets: dict[str, TearSheetAsset]

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "time_engine_start_ns",
            _coerce_time_ns(self.time_engine_start_ns, "TradingSummary.time_engine_start"),
        )
        object.__setattr__(
            self,
            "time_engine_end_ns",
            _coerce_time_ns(self.time_engine_end_ns, "TradingSummary.time_engine_end"),
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

    @classmethod
    def _build(cls, d: Mapping[str, Any], path: str, mode: str) -> TradingSummary:
        d = _obj(d, path)
        if mode == "wire":
            start = _field(d, "time_engine_start_ns", path, _int)
            end = _field(d, "time_engine_end_ns", path, _int)
            ts_from, asset_from = TearSheet._from_wire, TearSheetAsset._from_wire
        else:
            start = _field(d, "time_engine_start", path, _time)
            end = _field(d, "time_engine_end", path, _time)
            ts_from, asset_from = TearSheet._from_json_obj, TearSheetAsset._from_json_obj
        instruments_raw = _obj(_get(d, "instruments", path), f"{path}.instruments")
        assets_raw = _obj(_get(d, "assets", path), f"{path}.assets")
        instruments = {
            _str(k, f"{path}.instruments"): ts_from(v, f"{path}.instruments[{k!r}]")
            for k, v in instruments_raw.items()
        }
        assets = {
            _str(k, f"{path}.assets"): asset_from(v, f"{path}.assets[{k!r}]")
            for k, v in assets_raw.items()
        }
        return cls(
            time_engine_start_ns=start,
            time_engine_end_ns=end,
            instruments=instruments,
            assets=assets,
        )

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> TradingSummary:
        return cls._build(d, _path or cls.__name__, "wire")

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> TradingSummary:
        return cls._build(d, _path or cls.__name__, "json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_engine_start": self.time_engine_start,
            "time_engine_end": self.time_engine_end,
            "trading_duration": self.trading_duration,
            "instruments": {k: v.to_dict() for k, v in self.instruments.items()},
            "assets": {k: v.to_dict() for k, v in self.assets.items()},
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "time_engine_start": _ns_to_rfc3339(self.time_engine_start_ns),
            "time_engine_end": _ns_to_rfc3339(self.time_engine_end_ns),
            "trading_duration_ns": self.trading_duration_ns,
            "instruments": {k: v._json_obj() for k, v in self.instruments.items()},
            "assets": {k: v._json_obj() for k, v in self.assets.items()},
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> TradingSummary:
        return cls._from_json_obj(_loads(s, cls.__name__))

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


@dataclass(frozen=True, slots=True, repr=False)
class BacktestSummary:
    """The result of one backtest: its ``id``, risk-free return and trading summary."""

    id: str
    risk_free_return: Decimal
    trading_summary: TradingSummary

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError("BacktestSummary.id: expected str")
        object.__setattr__(
            self,
            "risk_free_return",
            _to_rust_decimal(self.risk_free_return, "BacktestSummary.risk_free_return"),
        )

    @classmethod
    def _build(cls, d: Mapping[str, Any], path: str, mode: str) -> BacktestSummary:
        d = _obj(d, path)
        ts_from = TradingSummary._from_wire if mode == "wire" else TradingSummary._from_json_obj
        return cls(
            id=_field(d, "id", path, _str),
            risk_free_return=_field(d, "risk_free_return", path, _dec),
            trading_summary=ts_from(
                _get(d, "trading_summary", path), f"{path}.trading_summary"
            ),
        )

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> BacktestSummary:
        return cls._build(d, _path or cls.__name__, "wire")

    @classmethod
    def _from_json_obj(cls, d: Mapping[str, Any], _path: str | None = None) -> BacktestSummary:
        return cls._build(d, _path or cls.__name__, "json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "risk_free_return": self.risk_free_return,
            "trading_summary": self.trading_summary.to_dict(),
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "risk_free_return": str(self.risk_free_return),
            "trading_summary": self.trading_summary._json_obj(),
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> BacktestSummary:
        return cls._from_json_obj(_loads(s, cls.__name__))

    def render(self) -> str:
        return (
            f"BACKTEST {self.id} (Risk Free Return: {self.risk_free_return})\n"
            f"{self.trading_summary.render()}"
        )

    def print_summary(self, file: Any = None) -> None:
        print(self.render(), file=file)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return (
            f"BacktestSummary(id={self.id!r}, risk_free_return={self.risk_free_return!r}, "
            f"trading_summary={self.trading_summary!r})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class MultiBacktestSummary:
    """Results of a batch of backtests run concurrently.

    Sequence-like over its :class:`BacktestSummary` items; use :meth:`by_id`
    to look one up by its id.
    """

    num_backtests: int
    duration_ns: int
    summaries: list[BacktestSummary]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "num_backtests", _coerce_int(self.num_backtests, "MultiBacktestSummary.num_backtests")
        )
        duration = self.duration_ns
        if isinstance(duration, timedelta):
            duration = (duration.days * 86_400 + duration.seconds) * _NS_PER_S + (
                duration.microseconds * 1000
            )
        object.__setattr__(
            self, "duration_ns", _coerce_int(duration, "MultiBacktestSummary.duration_ns")
        )
        object.__setattr__(self, "summaries", list(self.summaries))

    @property
    def duration(self) -> timedelta:
        return _ns_to_timedelta(self.duration_ns)

    @property
    def duration_ms(self) -> int:
        return self.duration_ns // _NS_PER_MS

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

    @classmethod
    def _build(cls, d: Mapping[str, Any], path: str, mode: str) -> MultiBacktestSummary:
        d = _obj(d, path)
        bs_from = BacktestSummary._from_wire if mode == "wire" else BacktestSummary._from_json_obj
        raw = _get(d, "summaries", path)
        if not isinstance(raw, list):
            raise ValueError(f"{path}.summaries: expected array, got {type(raw).__name__}")
        return cls(
            num_backtests=_field(d, "num_backtests", path, _int),
            duration_ns=_field(d, "duration_ns", path, _int),
            summaries=[bs_from(v, f"{path}.summaries[{i}]") for i, v in enumerate(raw)],
        )

    @classmethod
    def _from_wire(cls, d: Mapping[str, Any], _path: str | None = None) -> MultiBacktestSummary:
        return cls._build(d, _path or cls.__name__, "wire")

    @classmethod
    def _from_json_obj(
        cls, d: Mapping[str, Any], _path: str | None = None
    ) -> MultiBacktestSummary:
        return cls._build(d, _path or cls.__name__, "json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "num_backtests": self.num_backtests,
            "duration": self.duration,
            "duration_ms": self.duration_ms,
            "summaries": [s.to_dict() for s in self.summaries],
        }

    def _json_obj(self) -> dict[str, Any]:
        return {
            "num_backtests": self.num_backtests,
            "duration_ns": self.duration_ns,
            "summaries": [s._json_obj() for s in self.summaries],
        }

    def to_json(self, indent: int | None = None) -> str:
        return _dumps(self._json_obj(), indent)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray) -> MultiBacktestSummary:
        return cls._from_json_obj(_loads(s, cls.__name__))

    def render(self) -> str:
        buf = io.StringIO()
        buf.write(
            f"MULTI BACKTEST SUMMARY: {self.num_backtests} backtests in "
            f"{self.duration_ms} ms\n"
        )
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
