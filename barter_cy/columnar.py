"""Columnar market data: trades and candles from numpy arrays and pandas DataFrames, and
back out as arrays and frames.

Here the arguments are normalised with numpy (times to int64 nanoseconds since the
epoch, UTC; side strings and bools to int8 1 / -1; a scalar instrument kept scalar;
``sort=True`` applied as one stable sort); the columns then cross the C ABI as pointers
and lengths, and Rust validates them in one pass (lengths, NaT, order, NaN / inf,
prices <= 0, negative amounts, sides, negative instruments, the exchange name) and builds
the same records the JSON loaders build, with the GIL released. A ``ValueError`` names
the column and its first bad row.

Trades built from columns have an empty trade ``id`` (the columns carry none). A
candle's time is its close time (barter's ``Candle.close_time``), which is also the
event's ``time_exchange`` and ``time_received``.

pandas is optional (``pip install barter_cy[pandas]``): only the frame functions need it.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from barter_cy import _native

__all__ = [
    "trades_from_arrays",
    "candles_from_arrays",
    "from_frame",
    "to_numpy",
    "to_frame",
    "require_pandas",
]

_I64_MAX = np.iinfo(np.int64).max
_KINDS = ("trade", "candle")


def require_pandas(what: str):
    """The pandas module, or ImportError naming the extra that installs it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            f"{what} needs pandas, an optional dependency of barter_cy: "
            "install it with `pip install barter_cy[pandas]`"
        ) from None
    return pandas


def _array(values: Any, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name}: expected a 1-D array, got {type(values).__name__}")
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: cannot be read as an array: {e}") from None
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {array.shape}")
    return array


def _first_row(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _time_ns(values: Any, name: str) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC) from int64 ns, datetime64 (tz-naive = UTC)
    or tz-aware pandas times (converted to UTC). NaT stays NaT (Rust rejects it)."""
    if getattr(getattr(values, "dtype", None), "tz", None) is not None:
        pd = require_pandas(f"{name}: tz-aware times")
        values = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None).to_numpy()
    array = _array(values, name)
    if array.dtype == object and array.size:
        pd = require_pandas(f"{name}: times given as Python objects")
        try:
            array = pd.DatetimeIndex(pd.to_datetime(array, utc=True)).tz_localize(None).to_numpy()
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: cannot be read as times: {e}") from None
    kind = array.dtype.kind
    if kind == "M":
        unit = np.datetime_data(array.dtype)[0]
        ns = array.astype("datetime64[ns]")
        if unit not in ("ns", "generic"):
            # Out-of-range values wrap silently in numpy's cast: check the round trip.
            back = ns.astype(array.dtype)
            bad = (back != array) & ~np.isnat(array)
            if bad.any():
                row = _first_row(bad)
                raise ValueError(
                    f"{name}: row {row} ({array[row]}) is outside the range of int64 nanoseconds since the epoch"
                )
        return np.ascontiguousarray(ns.view(np.int64))
    if kind == "i":
        return np.ascontiguousarray(array, dtype=np.int64)
    if kind == "u":
        if array.size and array.max() > _I64_MAX:
            row = _first_row(array > _I64_MAX)
            raise ValueError(f"{name}: row {row} ({array[row]}) does not fit int64 nanoseconds")
        return np.ascontiguousarray(array, dtype=np.int64)
    if array.size == 0 and kind in "fO":
        return np.zeros(0, np.int64)
    raise TypeError(f"{name}: expected int64 nanoseconds since the epoch or datetime64, got {array.dtype}")


def _floats(values: Any, name: str) -> np.ndarray:
    array = _array(values, name)
    if array.dtype.kind not in "fiu" and not (array.size == 0 and array.dtype.kind == "O"):
        raise TypeError(f"{name}: expected float64 values, got {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float64)


def _ints(values: Any, name: str, dtype) -> np.ndarray:
    array = _array(values, name)
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind in "fO"):
        raise TypeError(f"{name}: expected integers, got {array.dtype}")
    info = np.iinfo(dtype)
    if array.size and (array.max() > info.max or array.min() < info.min):
        bad = (array > info.max) | (array < info.min)
        row = _first_row(bad)
        raise ValueError(f"{name}: row {row} is {array[row]}, outside {np.dtype(dtype).name}")
    return np.ascontiguousarray(array, dtype=dtype)


def _sides(values: Any, rows: int) -> np.ndarray:
    """int8 1 (buy) / -1 (sell) from None (all buys), bools (True buy), integers or
    strings ``"buy"`` / ``"sell"`` (any case)."""
    if values is None:
        return np.ones(rows, np.int8)
    array = _array(values, "side")
    kind = array.dtype.kind
    if kind == "b":
        return np.where(array, np.int8(1), np.int8(-1)).astype(np.int8)
    if kind in "iu":
        if array.dtype == np.int8:
            return np.ascontiguousarray(array)
        bad = (array != 1) & (array != -1) if kind == "i" else array != 1
        if bad.any():
            row = _first_row(bad)
            raise ValueError(f"side: row {row} is {array[row]}; sides are 1 (buy) or -1 (sell)")
        return array.astype(np.int8)
    if kind in "USO":
        out = np.zeros(len(array), np.int8)
        try:
            lower = np.char.lower(array.astype(str))
        except (TypeError, ValueError) as e:
            raise TypeError(f"side: cannot be read as strings: {e}") from None
        out[lower == "buy"] = 1
        out[lower == "sell"] = -1
        bad = out == 0
        if bad.any():
            row = _first_row(bad)
            raise ValueError(f"side: row {row} is {str(array[row])!r}; expected 'buy' or 'sell' (any case), 1 / -1 or a bool")
        return out
    raise TypeError(f"side: expected bool, int8 (1 buy, -1 sell) or strings, got {array.dtype}")


def _instrument(instrument: Any) -> tuple[np.ndarray | None, int]:
    """(column or None, scalar) for the native calls."""
    if isinstance(instrument, (int, np.integer)) and not isinstance(instrument, (bool, np.bool_)):
        if instrument < 0:
            raise ValueError(f"instrument: an instrument index must be >= 0, got {instrument}")
        if instrument > _I64_MAX:
            raise ValueError(f"instrument: an instrument index must be at most 2**63 - 1, got {instrument}")
        return None, int(instrument)
    if isinstance(instrument, (bool, np.bool_, float, str)):
        raise TypeError(f"instrument: expected an int or an array of ints, got {type(instrument).__name__}")
    return _ints(instrument, "instrument", np.int64), 0


def _exchange(exchange: Any) -> str:
    if not isinstance(exchange, str):
        raise TypeError(f"exchange: expected str (barter's exchange id, e.g. 'simulated'), got {type(exchange).__name__}")
    return exchange


def _sorted(time: np.ndarray, columns: dict[str, np.ndarray | None]) -> tuple[np.ndarray, dict]:
    """Stable sort by time of every column as long as ``time`` (others are left for Rust
    to report as a length mismatch)."""
    order = np.argsort(time, kind="stable")
    out = {
        name: (column[order] if column is not None and len(column) == len(time) else column)
        for name, column in columns.items()
    }
    return time[order], out


def trades_from_arrays(time, price, amount, side=None, instrument=0, exchange="simulated",
                       time_received=None, sort=False) -> "_native.MarketDataInMemory":
    """MarketDataInMemory of trades from 1-D columns (see the module docs)."""
    time_ns = _time_ns(time, "time")
    columns = {
        "price": _floats(price, "price"),
        "amount": _floats(amount, "amount"),
        "side": _sides(side, len(time_ns)),
        "time_received": None if time_received is None else _time_ns(time_received, "time_received"),
    }
    column, scalar = _instrument(instrument)
    columns["instrument"] = column
    exchange = _exchange(exchange)
    if sort:
        time_ns, columns = _sorted(time_ns, columns)
    return _native.market_data_from_trade_columns(
        time_ns, columns["time_received"], columns["price"], columns["amount"], columns["side"],
        columns["instrument"], exchange, scalar,
    )


def candles_from_arrays(time, open, high, low, close, volume, trade_count=None, instrument=0,
                        exchange="simulated", sort=False) -> "_native.MarketDataInMemory":
    """MarketDataInMemory of candles from 1-D columns; ``time`` is each
    candle's close time (see the module docs)."""
    time_ns = _time_ns(time, "time")
    columns = {
        "open": _floats(open, "open"),
        "high": _floats(high, "high"),
        "low": _floats(low, "low"),
        "close": _floats(close, "close"),
        "volume": _floats(volume, "volume"),
        "trade_count": None if trade_count is None else _ints(trade_count, "trade_count", np.uint64),
    }
    column, scalar = _instrument(instrument)
    columns["instrument"] = column
    exchange = _exchange(exchange)
    if sort:
        time_ns, columns = _sorted(time_ns, columns)
    return _native.market_data_from_candle_columns(
        time_ns, columns["open"], columns["high"], columns["low"], columns["close"], columns["volume"],
        columns["trade_count"], columns["instrument"], exchange, scalar,
    )


_TIME_COLUMNS = ("time", "timestamp", "datetime", "date")
_FRAME_COLUMNS = {
    "candle": (("open", "high", "low", "close", "volume"), ("trade_count",)),
    "trade": (("price", "amount"), ("side", "time_received")),
}


def _frame_columns(df, kind: str, where: str) -> dict[str, Any]:
    """The columns of ``df`` for ``kind`` by lower-cased name, plus ``time`` (a time
    column, else the index) and ``instrument`` if present."""
    pd = require_pandas("from_frame")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    by_name: dict[str, Any] = {}
    for name in df.columns:
        key = str(name).lower()
        if key in by_name:
            raise ValueError(f"{where}: columns {by_name[key].name!r} and {name!r} are the same ignoring case")
        by_name[key] = df[name]
    required, optional = _FRAME_COLUMNS[kind]
    missing = [name for name in required if name not in by_name]
    if missing:
        raise ValueError(
            f"{where}: kind={kind!r} needs the columns {', '.join(required)} (any case); "
            f"missing {', '.join(missing)} (columns: {', '.join(map(str, df.columns))})"
        )
    out = {name: by_name[name].to_numpy() for name in required}
    for name in optional + ("instrument",):
        if name in by_name:
            out[name] = by_name[name].to_numpy() if name != "time_received" else by_name[name]
    time_name = next((name for name in _TIME_COLUMNS if name in by_name), None)
    if time_name is not None:
        out["time"] = by_name[time_name]
    elif isinstance(df.index, pd.DatetimeIndex):
        out["time"] = df.index
    else:
        raise ValueError(
            f"{where}: no times: expected a DatetimeIndex or a column named "
            f"{', '.join(_TIME_COLUMNS)} (any case)"
        )
    return out


def from_frame(df, kind: str = "candle", instrument=0, exchange: str = "simulated",
               sort: bool = False) -> "_native.MarketDataInMemory":
    """MarketDataInMemory from a DataFrame, or from a dict
    ``{instrument_index: DataFrame}`` (merged in time order, ties in dict order)."""
    if kind not in _KINDS:
        raise ValueError(f"kind: expected 'candle' or 'trade', got {kind!r}")
    require_pandas("from_frame")
    if isinstance(df, Mapping):
        if not df:
            raise ValueError("from_frame: the dict of frames is empty")
        parts = []
        for index, frame in df.items():
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
                raise TypeError(f"from_frame: dict keys must be instrument indices (ints >= 0), got {index!r}")
            columns = _frame_columns(frame, kind, f"from_frame[{index}]")
            if "instrument" in columns:
                raise ValueError(f"from_frame[{index}]: has an instrument column and an instrument key; use one")
            columns["time"] = _time_ns(columns["time"], f"time (frame {index})")
            if "time_received" in columns:
                columns["time_received"] = _time_ns(columns["time_received"], f"time_received (frame {index})")
            if kind == "trade":
                columns["side"] = _sides(columns.get("side"), len(columns["time"]))
            columns["instrument"] = np.full(len(columns["time"]), int(index), np.int64)
            parts.append(columns)
        names = set.intersection(*(set(part) for part in parts))
        merged = {name: np.concatenate([np.asarray(part[name]) for part in parts]) for name in names}
        columns, sort = merged, True
    else:
        columns = _frame_columns(df, kind, "from_frame")
        if "instrument" not in columns:
            columns["instrument"] = instrument
    if kind == "candle":
        return candles_from_arrays(
            columns["time"], columns["open"], columns["high"], columns["low"], columns["close"],
            columns["volume"], trade_count=columns.get("trade_count"), instrument=columns["instrument"],
            exchange=exchange, sort=sort,
        )
    return trades_from_arrays(
        columns["time"], columns["price"], columns["amount"], side=columns.get("side"),
        instrument=columns["instrument"], exchange=exchange, time_received=columns.get("time_received"),
        sort=sort,
    )


def to_numpy(md: "_native.MarketDataInMemory", kind: str = "trade") -> dict[str, np.ndarray]:
    """The trades or candles of ``md`` as a dict of read-only 1-D arrays: trades held as
    columns are borrowed in place (no copy), other data is written by Rust straight into
    new buffers. ``.copy()`` an array to modify it."""
    if kind == "trade":
        return _native.market_data_trade_columns(md)
    if kind == "candle":
        return _native.market_data_candle_columns(md)
    raise ValueError(f"kind: expected 'trade' or 'candle', got {kind!r}")


def to_frame(md: "_native.MarketDataInMemory", kind: str = "trade"):
    """:func:`to_numpy` as a DataFrame indexed by a UTC DatetimeIndex named ``time``."""
    pd = require_pandas("to_frame")
    columns = to_numpy(md, kind)
    index = pd.DatetimeIndex(pd.to_datetime(columns.pop("time_ns"), unit="ns", utc=True), name="time")
    if "time_received_ns" in columns:
        columns["time_received"] = pd.to_datetime(columns.pop("time_received_ns"), unit="ns", utc=True)
    return pd.DataFrame(columns, index=index)
