"""``MarketDataInMemory``: barter's market data, parsed and held in Rust.

The records live once, in Rust, behind an immutable ``Arc``; this object only owns a
handle to them. Loading runs with the GIL released. Events become Python objects only
when asked for (``events()``, iteration, ``stream()``), a chunk at a time when iterating.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import AsyncIterator, Iterable, Iterator, Union

from barter_cy import _native
from barter_cy.data import MarketEvent, Reconnecting, events_to_jsonl, ns_to_datetime
from barter_cy import columnar
import typing as _typing

if _typing.TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["MarketDataInMemory"]

PathLike = Union[str, "os.PathLike[str]"]

#: Records converted per call into Rust when iterating lazily.
CHUNK_RECORDS = 65_536


def _threads(threads: int | None) -> int:
    """``threads`` for the native calls: 0 means one per core."""
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int or None, got {type(threads).__name__}")
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be between 1 and {MAX_THREADS}, got {threads}")
    return threads


#: Upper bound of the ``threads`` arguments.
MAX_THREADS = 1024


def _from_pickle(data: bytes) -> "MarketDataInMemory":
    return MarketDataInMemory.from_bytes(data)


class MarketDataInMemory:
    """In-memory market data for backtests (barter's ``MarketDataInMemory<DataKind>``).

    Build it with :meth:`from_json_file`, :meth:`from_json_str`, :meth:`from_json_bytes`,
    or from a list of :class:`~barter_cy.data.MarketEvent` (and
    :class:`~barter_cy.data.Reconnecting` markers).
    Two input shapes are accepted: a JSON array of stream results
    (``{"Item":{"Ok":{...}}}`` / ``{"Reconnecting":"binance_spot"}``, as barter records
    them) and JSON Lines of ``{"Item":{...}}`` / ``{"Reconnecting":...}`` records.
    """

    __slots__ = ("_handle", "_info", "__weakref__")

    def __init__(self, events: Iterable[MarketEvent | Reconnecting]) -> None:
        if isinstance(events, (str, bytes, bytearray, os.PathLike)):
            raise TypeError(
                "MarketDataInMemory(events) takes a list of MarketEvent/Reconnecting; "
                "use from_json_file / from_json_str / from_json_bytes for JSON"
            )
        payload = events_to_jsonl(events)
        self._set(_native.MarketDataHandle.from_bytes(payload, "<events>", False))

    def _set(self, handle: "_native.MarketDataHandle") -> None:
        self._handle = handle
        self._info = handle.info()

    @classmethod
    def _from_handle(cls, handle: "_native.MarketDataHandle") -> "MarketDataInMemory":
        self = cls.__new__(cls)
        self._set(handle)
        return self

    @classmethod
    def from_json_file(cls, path: PathLike, *, skip_errors: bool = False,
                       threads: int | None = None) -> "MarketDataInMemory":
        """Load a market data file (either shape), plain or compressed with gzip or zstd
        (recognised by their magic bytes, whatever the file name; decompressed while
        parsing, never to disk). The file is read and parsed in Rust with the GIL
        released; JSON Lines are parsed on ``threads`` threads (default: one per core),
        a JSON array on one.

        ``FileNotFoundError`` if it does not exist, ``OSError`` naming the path if it is
        not a regular file (directory, FIFO, device), ``ValueError`` (naming the file,
        line and column of the first bad record, or the record index) if it is malformed,
        including times outside what i64 nanoseconds hold (years before 1677 or after
        2262). ``skip_errors=True`` drops ``{"Item":{"Err":...}}`` records and counts them
        (``skipped_error_count``) instead of raising."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be str or os.PathLike, got {type(path).__name__}")
        return cls._from_handle(_native.MarketDataHandle.from_file(path, bool(skip_errors), _threads(threads)))

    @classmethod
    def from_json_str(cls, text: str, *, skip_errors: bool = False) -> "MarketDataInMemory":
        """Parse market data from a JSON string (either shape)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return cls.from_json_bytes(text.encode("utf-8"), skip_errors=skip_errors)

    @classmethod
    def from_json_bytes(cls, data: bytes | bytearray | memoryview, *, skip_errors: bool = False) -> "MarketDataInMemory":
        """Parse market data from UTF-8 JSON bytes (either shape); no copy is made."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, got {type(data).__name__}")
        view = memoryview(data).cast("B") if isinstance(data, memoryview) else data
        return cls._from_handle(_native.MarketDataHandle.from_bytes(view, "<json>", bool(skip_errors)))

    # -- binary form: bytes, files, pickling --------------------------------------
    def to_bytes(self) -> bytes:
        """The loaded records in barter_cy's compact binary form: a versioned header with
        checksums, then every record exactly (times to the nanosecond, floats bit for
        bit, decimals with their scale, exchanges, reconnect markers, skipped-error
        count). About 32 bytes per trade. Read back with :meth:`from_bytes`; the same
        form is what :meth:`save` writes and what pickling carries."""
        return self._handle.to_binary()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, *,
                   threads: int | None = None) -> "MarketDataInMemory":
        """Market data from :meth:`to_bytes` output, decoded in Rust with the GIL
        released (on ``threads`` threads, default one per core). ``ValueError`` for
        truncated or corrupted data (checksums) or another format version."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, got {type(data).__name__}")
        view = memoryview(data).cast("B") if isinstance(data, memoryview) else data
        return cls._from_handle(_native.MarketDataHandle.from_binary(view, "<bytes>", _threads(threads)))

    def save(self, path: PathLike) -> None:
        """Write the binary form (:meth:`to_bytes`) to ``path``, through a temporary
        file renamed into place. Reload it with :meth:`load`, much faster than JSON."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be str or os.PathLike, got {type(path).__name__}")
        self._handle.save(path)

    @classmethod
    def load(cls, path: PathLike, *, threads: int | None = None) -> "MarketDataInMemory":
        """Read a file written by :meth:`save`, with the GIL released.
        ``FileNotFoundError`` if it does not exist, ``OSError`` if it is not a regular
        file, ``ValueError`` naming the path if it is truncated, corrupted (checksums),
        not such a file or from another format version."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be str or os.PathLike, got {type(path).__name__}")
        return cls._from_handle(_native.MarketDataHandle.load(path, _threads(threads)))

    def __reduce__(self):
        # Pickles as the compact binary form made in Rust (not JSON, not Python objects).
        return (_from_pickle, (self.to_bytes(),))

    # -- counts ------------------------------------------------------------------
    def __len__(self) -> int:
        """All records, reconnect markers included."""
        return self._info[0]

    @property
    def item_count(self) -> int:
        """Market events (items)."""
        return self._info[1]

    @property
    def reconnect_count(self) -> int:
        """``Reconnecting`` markers (they stay in the stream the engine sees)."""
        return self._info[2]

    @property
    def skipped_error_count(self) -> int:
        """``{"Item":{"Err":...}}`` records dropped by ``skip_errors=True``."""
        return self._info[3]

    @property
    def time_first_event_ns(self) -> int:
        """``time_exchange`` of the first item, in nanoseconds since the epoch (UTC)."""
        return self._info[4]

    @property
    def time_first_event(self) -> datetime:
        """``time_exchange`` of the first item, a tz-aware UTC datetime (µs precision;
        see ``time_first_event_ns`` for nanoseconds)."""
        return ns_to_datetime(self._info[4])

    @property
    def max_instrument_index(self) -> int:
        """Highest instrument index referenced by an item."""
        return self._info[5]

    # -- events ------------------------------------------------------------------
    def events(self) -> list[MarketEvent]:
        """All items as :class:`MarketEvent` objects, in file order (reconnect markers
        are skipped). A new list on each call."""
        return self._handle.build_events(0, len(self))

    def _chunks(self) -> Iterator[list[MarketEvent]]:
        total = len(self)
        for start in range(0, total, CHUNK_RECORDS):
            yield self._handle.build_events(start, start + CHUNK_RECORDS)

    def __iter__(self) -> Iterator[MarketEvent]:
        """Iterates the items lazily, converting a chunk at a time."""
        for chunk in self._chunks():
            yield from chunk

    async def stream(self) -> AsyncIterator[MarketEvent]:
        """Async iterator over the items, yielding control to the event loop between
        chunks."""
        for chunk in self._chunks():
            for event in chunk:
                yield event
            await asyncio.sleep(0)

    # -- columnar data: numpy arrays and pandas DataFrames (barter_cy.columnar) ---
    @classmethod
    def from_trades(cls, time, price, amount, side=None, instrument=0, exchange: str = "simulated",
                    time_received=None, *, sort: bool = False) -> "MarketDataInMemory":
        """Trades from 1-D arrays (numpy, pandas or anything ``np.asarray`` reads), checked
        and built in Rust in one pass with the GIL released. ``time``: int64 ns since the
        epoch or ``datetime64`` (tz-naive = UTC; tz-aware pandas times are converted);
        ``price`` / ``amount``: float64; ``side``: bool (True buy), int8 (1 buy, -1 sell)
        or ``"buy"`` / ``"sell"`` strings, None for all buys; ``instrument``: an index or
        an array of indices; ``exchange``: barter's exchange id (``"binance_spot"``);
        ``time_received``: defaults to ``time``. Times must be sorted unless
        ``sort=True`` (a stable sort). ``ValueError`` names the column and the first bad
        row (lengths, NaT, order, NaN / inf, price <= 0, amount < 0, side, exchange),
        ``TypeError`` a column of a dtype that cannot be converted. Trade ids are empty."""
        return cls._from_handle(columnar.trades_from_arrays(time, price, amount, side, instrument, exchange, time_received, sort))

    @classmethod
    def from_candles(cls, time, open, high, low, close, volume, trade_count=None, instrument=0,
                     exchange: str = "simulated", *, sort: bool = False) -> "MarketDataInMemory":
        """Candles from 1-D arrays, as :meth:`from_trades` (``time``: each candle's close
        time; prices finite and > 0, volume >= 0; ``trade_count`` defaults to 0).
        Built-in strategies see a candle's close, orders fill at the next open (or this
        close with ``fill="signal"``)."""
        return cls._from_handle(columnar.candles_from_arrays(time, open, high, low, close, volume, trade_count, instrument, exchange, sort))

    @classmethod
    def from_frame(cls, df, kind: str = "candle", *, instrument=0, exchange: str = "simulated",
                   sort: bool = False) -> "MarketDataInMemory":
        """Candles (``kind="candle"``: columns Open, High, Low, Close, Volume, optional
        trade_count) or trades (``kind="trade"``: price, amount, optional side,
        time_received) from a pandas DataFrame, column names in any case, times from a
        DatetimeIndex or a time / timestamp / datetime / date column (so
        ``pd.read_csv(path, index_col=0, parse_dates=True)`` of a backtesting.py or
        yfinance file works). Instruments: an ``instrument`` column, the ``instrument``
        argument, or a dict ``{instrument_index: DataFrame}`` (merged in time order)."""
        return cls._from_handle(columnar.from_frame(df, kind, instrument, exchange, sort))

    def to_numpy(self, kind: str = "trade") -> "dict[str, np.ndarray]":
        """The trades (``kind="trade"``: time_ns, time_received_ns, instrument, price,
        amount, side as int8 1 / -1) or candles (``"candle"``: time_ns, instrument, open,
        high, low, close, volume, trade_count) as a dict of new 1-D arrays written by Rust
        straight into numpy buffers, in record order. Other kinds of event, reconnect
        markers and exchange ids are not included."""
        return columnar.to_numpy(self._handle, kind)

    def to_frame(self, kind: str = "trade") -> "pd.DataFrame":
        """:meth:`to_numpy` as a pandas DataFrame with a UTC DatetimeIndex named ``time``
        (needs the ``pandas`` extra: ``pip install barter_cy[pandas]``)."""
        return columnar.to_frame(self._handle, kind)

    def copy(self) -> "MarketDataInMemory":
        """Another object sharing the same Rust data (no parsing, no copy)."""
        return type(self)._from_handle(self._handle.clone())

    __copy__ = copy

    def __deepcopy__(self, memo) -> "MarketDataInMemory":
        # The data is immutable, so sharing it is a faithful deep copy.
        return self.copy()

    def __repr__(self) -> str:
        return (
            f"MarketDataInMemory(records={len(self)}, items={self.item_count}, "
            f"reconnects={self.reconnect_count}, skipped_errors={self.skipped_error_count}, "
            f"time_first_event={self.time_first_event.isoformat()})"
        )
