# cython: language_level=3
"""The public classes over the Rust handles, as Cython extension types:
``MarketDataInMemory``, ``SystemConfig``, ``BacktestArgsConstant``,
``BacktestArgsDynamic`` (re-exported by barter_cy's modules), plus the strategy handles
and the Python-strategy callback. A trivial call (``len(md)``, a count, a cached time) is
one C-level hop. Every call into Rust that does work releases the GIL; every error comes
back as a status plus an owned message and is raised here as a Python exception. The
objects are immutable and thread-safe on the Rust side, so they can be shared across
threads; each frees its handle exactly once, in ``__dealloc__``. Their C-level interface
for other Cython extensions is declared in ``_native.pxd``."""

cimport cython
from libc.stdint cimport uint8_t, int64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from libc.math cimport isnan
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_WRITABLE
from cpython.exc cimport PyErr_CheckSignals
from cpython.ref cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeUTF8, PyUnicode_DecodeASCII
from barter_cy._ffi cimport *

import copy
import json
import os
from decimal import Decimal

# The one range check for decimals: defined before barter_cy.data is imported, which
# re-exports it (barter_cy.data may be the module importing this one).
#: rust_decimal's ``Decimal::MAX`` (2**96 - 1): larger magnitudes cannot cross into barter.
RUST_DECIMAL_MAX = Decimal(2**96 - 1)
#: rust_decimal keeps at most 28 digits after the point: its smallest step is 1e-28.
RUST_DECIMAL_MAX_SCALE = 28
_RUST_MANTISSA_MAX = 2**96 - 1


cdef str _shown(object d):
    text = str(d)
    return text if len(text) <= 48 else f"{text[:40]}... ({len(text)} characters)"


cpdef str decimal_text(object d, str field):
    """The one range check for every decimal that goes to barter (risk-free return,
    balances, strategy parameters, order book levels, config values): ``d`` must be
    finite and exactly representable by rust_decimal (``|d| <= 2**96 - 1`` and no
    nonzero digit finer than its smallest step 1e-28). Returns the plain-notation text
    rust_decimal parses ("1E+3" is "1000"). Cost stays bounded whatever the exponent
    ("1e-999999999" is refused without writing its digits). Raises ``ValueError``
    ``"<field>: <value> is not a decimal barter can represent (<why>)"``."""
    cdef str text = str(d)
    # Fast path: a plain text of at most 28 characters has fewer than 28 digits after
    # the point and a magnitude below 1e28.
    if len(text) <= 28 and "E" not in text and d.is_finite():
        return text
    if not d.is_finite():
        why = "not finite"
    elif not d:
        return "0"
    else:
        adjusted = d.adjusted()  # the exponent of the leading digit, without the digits
        if adjusted > 28:
            why = f"magnitude above {RUST_DECIMAL_MAX}"
        elif adjusted < -RUST_DECIMAL_MAX_SCALE:
            why = "nonzero but below the smallest step 1e-28"
        else:
            sign, digits, exponent = d.as_tuple()
            if exponent < -RUST_DECIMAL_MAX_SCALE:
                finer = -RUST_DECIMAL_MAX_SCALE - exponent  # < len(digits): adjusted >= -28
                if any(digits[len(digits) - finer:]):
                    why = "digits finer than the smallest step 1e-28"
                    raise ValueError(f"{field}: {_shown(d)} is not a decimal barter can represent ({why})")
                digits = digits[: len(digits) - finer]
                exponent = -RUST_DECIMAL_MAX_SCALE
            # At most 57 digits remain (leading digit at 1e28 or below, last at 1e-28 or above).
            mantissa = int("".join(map(str, digits)))
            while exponent < 0 and mantissa > _RUST_MANTISSA_MAX and mantissa % 10 == 0:
                mantissa //= 10
                exponent += 1
            if exponent > 0:
                mantissa *= 10**exponent
                exponent = 0
            if mantissa <= _RUST_MANTISSA_MAX:
                body = str(mantissa)
                if exponent < 0:
                    body = body.rjust(1 - exponent, "0")
                    body = f"{body[:exponent]}.{body[exponent:]}"
                return f"-{body}" if sign else body
            why = (
                f"magnitude above {RUST_DECIMAL_MAX}"
                if exponent == 0
                else "more significant digits than its 96-bit mantissa holds"
            )
    raise ValueError(f"{field}: {_shown(d)} is not a decimal barter can represent ({why})")


from barter_cy import data as _data
from barter_cy import errors as _errors


cdef object _exception_for(BarterStatus status, str message):
    if status == BARTER_STATUS_CANCELLED:
        return KeyboardInterrupt(message)
    if status == BARTER_STATUS_CALLBACK:
        return _errors.BarterError(message)
    if status == BARTER_STATUS_INVALID_INPUT:
        return ValueError(message)
    if status == BARTER_STATUS_NOT_FOUND:
        return FileNotFoundError(message)
    if status == BARTER_STATUS_IO:
        return OSError(message)
    if status == BARTER_STATUS_PANIC:
        # Rust appends the backtrace (when RUST_BACKTRACE enables it) after this marker.
        message, _, backtrace = message.partition("\nbacktrace:\n")
        panic = _errors.BarterPanic(message)
        panic.backtrace = backtrace or None
        return panic
    if status == BARTER_STATUS_NULL_POINTER:
        return ValueError(message)
    return _errors.BarterError(message)


cdef int _check(BarterStatus status, BarterError *err) except -1:
    """Raises the Python exception for a failed call and frees the error object."""
    cdef const char *text
    if status == BARTER_STATUS_OK:
        return 0
    message = "unknown error (no details)"
    if err != NULL:
        text = barter_error_message(err)
        if text != NULL:
            message = (<bytes>text).decode("utf-8", "replace")
        barter_error_free(err)
    _log_after_error()
    raise _exception_for(status, message)


cdef bytes _take_bytes(uint8_t *ptr, size_t length):
    """Copies a Rust-owned buffer into Python bytes and frees it."""
    try:
        return (<char *>ptr)[:length] if length else b""
    finally:
        barter_bytes_free(ptr, length)


cdef bytes _path_bytes(object path):
    value = os.fspath(path)
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    if "\0" in value:
        raise ValueError(f"path contains a NUL character: {value!r}")
    return value.encode("utf-8")


cdef bytes _cstr(str value, str what):
    if "\0" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value.encode("utf-8")


def version():
    """Version of the Rust library."""
    return (<bytes>barter_ffi_version()).decode()


def trigger_panic(str message):
    """Make Rust panic inside the boundary wrapper (for tests): raises BarterPanic."""
    cdef bytes raw = _cstr(message, "message")
    cdef const char *c_raw = raw
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_testing_panic(c_raw, &err)
    _check(status, err)

# ---------------------------------------------------------------------------
# The hot event classes: PublicTrade, DataKind, MarketEvent (re-exported by barter_cy.data)
# ---------------------------------------------------------------------------
# Value objects: they hold strings, floats, enums and each other (DataKind's payload is
# one of barter_cy.data's value classes, checked by type), never a container of their
# own, so they cannot form reference cycles: no cyclic-GC header (`no_gc`), which
# matters because events() makes three of them per trade. Final: a subclass could add a
# cycle. (Cython keeps free lists only for classes without a cdef base, so none here.) Validation helpers and the payload table live in barter_cy.data.


cdef class _EventValue:
    """Value semantics of the event classes from one tuple of fields: equal when of the
    same type with equal fields, hashed and pickled from them (the constructor takes
    them in that order)."""

    cdef tuple _fields(self):
        raise NotImplementedError

    def _key(self):
        return self._fields()

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == (<_EventValue>other)._fields()

    def __hash__(self):
        return hash((type(self),) + self._fields())

    def __reduce__(self):
        return (type(self), self._fields())


@cython.final
@cython.no_gc
cdef class PublicTrade(_EventValue):
    """barter ``PublicTrade { id: String, price: f64, amount: f64, side: Side }``.

    ``price`` and ``amount`` are Python floats, i.e. exactly the same binary64 values
    as barter's ``f64`` (no decimal conversion is applied)."""
    cdef public str _id
    cdef public double _price
    cdef public double _amount
    cdef public object _side

    def __init__(self, id, price, amount, side):
        self._id = _data._str_field(id, "PublicTrade.id", allow_empty=True)
        self._price = _data._f64(price, "PublicTrade.price")
        self._amount = _data._f64(amount, "PublicTrade.amount")
        self._side = _data._side(side, "PublicTrade.side")

    @property
    def id(self):
        """Exchange trade id (str)."""
        return self._id

    @property
    def price(self):
        """Trade price (float / f64)."""
        return self._price

    @property
    def amount(self):
        """Trade amount (float / f64)."""
        return self._amount

    @property
    def side(self):
        """Aggressor side (:class:`barter_cy.data.Side`)."""
        return self._side

    cdef tuple _fields(self):
        return (self._id, self._price, self._amount, self._side)

    def __repr__(self):
        return (f"PublicTrade(id={self._id!r}, price={self._price!r}, "
                f"amount={self._amount!r}, side={self._side!r})")

    def to_dict(self):
        return {"id": self._id, "price": self._price, "amount": self._amount, "side": self._side._value_}

    def _to_barter(self):
        return self.to_dict()


@cython.final
@cython.no_gc
cdef class DataKind(_EventValue):
    """barter ``DataKind``: exactly one market data payload.

    ``kind_name`` is barter's kind name (``"public_trade"``, ``"l1"``, ``"l2"``,
    ``"candle"``, ``"liquidation"``) and ``value`` the payload object."""
    cdef public str _kind_name
    cdef public object _value

    def __init__(self, kind_name, value):
        info = _data._KIND_INFO.get(kind_name) if isinstance(kind_name, str) else None
        if info is None:
            raise ValueError(f"DataKind.kind_name must be one of {sorted(_data._KIND_INFO)}, got {kind_name!r}")
        if type(value) is not info[0]:
            raise TypeError(f"DataKind.value for {kind_name!r} must be {info[0].__name__}, got {type(value).__name__}")
        self._kind_name = kind_name
        self._value = value

    @property
    def kind_name(self):
        """barter kind name."""
        return self._kind_name

    @property
    def value(self):
        """The payload object."""
        return self._value

    @staticmethod
    def _make(str kind_name, value):
        """Unvalidated constructor (internal)."""
        cdef DataKind kind = DataKind.__new__(DataKind)
        kind._kind_name = kind_name
        kind._value = value
        return kind

    @classmethod
    def trade(cls, trade):
        return cls("public_trade", trade)

    @classmethod
    def order_book_l1(cls, book):
        return cls("l1", book)

    @classmethod
    def order_book(cls, event):
        return cls("l2", event)

    @classmethod
    def candle(cls, candle):
        return cls("candle", candle)

    @classmethod
    def liquidation(cls, liquidation):
        return cls("liquidation", liquidation)

    @classmethod
    def of(cls, payload):
        """Wrap any payload object, choosing the variant from its type."""
        name = _data._KIND_BY_TYPE.get(type(payload))
        if name is None:
            raise TypeError(f"DataKind payload must be one of "
                            f"{[t.__name__ for t in _data._KIND_BY_TYPE]}, got {type(payload).__name__}")
        return DataKind._make(name, payload)

    cdef tuple _fields(self):
        return (self._kind_name, self._value)

    def __repr__(self):
        return f"DataKind.{_data._KIND_INFO[self._kind_name][2]}({self._value!r})"

    def to_dict(self):
        return {"kind_name": self._kind_name, "value": self._value.to_dict()}

    def _to_barter(self):
        if type(self._value) is PublicTrade:
            return {"Trade": (<PublicTrade>self._value).to_dict()}
        return {_data._KIND_INFO[self._kind_name][1]: self._value._to_barter()}


@cython.final
@cython.no_gc
cdef class MarketEvent(_EventValue):
    """barter ``MarketEvent<InstrumentIndex, DataKind>``.

    Times are kept as i64 nanoseconds and turned into ``datetime`` only when read
    (``time_exchange``; ``time_exchange_ns`` is exact). ``kind`` may be given as a
    :class:`DataKind` or a bare payload (wrapped with :meth:`DataKind.of`)."""
    cdef public int64_t _time_exchange
    cdef public int64_t _time_received
    cdef public str _exchange
    cdef public size_t _instrument
    cdef public DataKind _kind

    def __init__(self, time_exchange, time_received, exchange, instrument, kind):
        self._time_exchange = _data._time_ns(time_exchange, "MarketEvent.time_exchange")
        self._time_received = _data._time_ns(time_received, "MarketEvent.time_received")
        self._exchange = _data._str_field(exchange, "MarketEvent.exchange")
        self._instrument = _data._uint(instrument, "MarketEvent.instrument")
        if type(kind) is not DataKind:
            if type(kind) not in _data._KIND_BY_TYPE:
                raise TypeError(f"MarketEvent.kind must be DataKind, got {type(kind).__name__}")
            kind = DataKind.of(kind)
        self._kind = kind

    @staticmethod
    def _make(int64_t time_exchange, int64_t time_received, str exchange, size_t instrument, DataKind kind):
        """Unvalidated constructor (internal)."""
        cdef MarketEvent event = MarketEvent.__new__(MarketEvent)
        event._time_exchange = time_exchange
        event._time_received = time_received
        event._exchange = exchange
        event._instrument = instrument
        event._kind = kind
        return event

    @property
    def time_exchange(self):
        """Exchange time (tz-aware UTC ``datetime``, truncated to microseconds)."""
        return _data.ns_to_datetime(self._time_exchange)

    @property
    def time_received(self):
        """Receive time (tz-aware UTC ``datetime``, truncated to microseconds)."""
        return _data.ns_to_datetime(self._time_received)

    @property
    def time_exchange_ns(self):
        return self._time_exchange

    @property
    def time_received_ns(self):
        return self._time_received

    @property
    def exchange(self):
        """barter ExchangeId string."""
        return self._exchange

    @property
    def instrument(self):
        """InstrumentIndex."""
        return self._instrument

    @property
    def kind(self):
        """DataKind payload wrapper."""
        return self._kind

    cdef tuple _fields(self):
        return (self._time_exchange, self._time_received, self._exchange, self._instrument, self._kind)

    def __repr__(self):
        return (f"MarketEvent(time_exchange={_data._fmt_time(self._time_exchange)}, "
                f"time_received={_data._fmt_time(self._time_received)}, "
                f"exchange={self._exchange!r}, instrument={self._instrument}, kind={self._kind!r})")

    def to_dict(self):
        return {"time_exchange": self.time_exchange, "time_received": self.time_received,
                "exchange": self._exchange, "instrument": self._instrument, "kind": self._kind.to_dict()}

    def _to_barter(self):
        return {"Item": {"time_exchange": _data.ns_to_rfc3339(self._time_exchange),
                         "time_received": _data.ns_to_rfc3339(self._time_received),
                         "exchange": self._exchange, "instrument": self._instrument,
                         "kind": self._kind._to_barter()}}


# ---------------------------------------------------------------------------
# MarketDataInMemory
# ---------------------------------------------------------------------------

#: Records converted per call into Rust when iterating lazily.
CHUNK_RECORDS = 65_536

cdef enum:
    # Record views fetched from Rust per call while building events.
    VIEWS_PER_CALL = 256

#: Upper bound of the ``threads`` arguments.
MAX_THREADS = 1024


_PyBool = type(True)


cdef size_t _threads(object threads) except? 0:
    """``threads`` for the native calls: 0 means one per core."""
    if threads is None:
        return 0
    if isinstance(threads, _PyBool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int or None, got {type(threads).__name__}")
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be between 1 and {MAX_THREADS}, got {threads}")
    return threads


cdef object _check_path(object path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be str or os.PathLike, got {type(path).__name__}")
    return path


cdef object _byte_view(object data):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes-like, got {type(data).__name__}")
    return memoryview(data).cast("B") if isinstance(data, memoryview) else data


cdef MarketDataInMemory _market_data(type cls, BarterMarketData *ptr):
    """A new object of ``cls`` owning ``ptr`` (freed if anything fails)."""
    cdef MarketDataInMemory md
    try:
        md = cls.__new__(cls)
    except BaseException:
        barter_market_data_free(ptr)
        raise
    md._adopt(ptr)
    return md


#: Inputs smaller than this load directly; larger ones so that Ctrl-C can stop them
#: (barter_cy._control.interruptible).
INTERRUPTIBLE_BYTES = 4 << 20


cdef const BarterCancel *_cancel_ptr(CancelToken cancel):
    return NULL if cancel is None else cancel.ptr


cdef object _load(object loader, Py_ssize_t size, tuple args):
    """Runs ``loader(*args, cancel=...)`` so that Ctrl-C stops it when the input is large
    (:func:`barter_cy._control.interruptible`), directly otherwise."""
    if size >= INTERRUPTIBLE_BYTES:
        from barter_cy._control import interruptible
        return interruptible(loader, *args)
    return loader(*args)


cdef Py_ssize_t _file_size(bytes path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # Rust reports it, with the path


def _load_json_file(type cls, bytes path, bint skip_errors, size_t threads, CancelToken cancel=None):
    cdef const char *c_path = path
    cdef BarterLoadOptions options
    options.skip_errors = skip_errors
    options.threads = threads
    cdef const BarterCancel *c_cancel = _cancel_ptr(cancel)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_from_json_file_cancellable(c_path, &options, c_cancel, &out, &err)
    _check(status, err)
    return _market_data(cls, out)


def _load_json_bytes(type cls, const uint8_t[::1] data, bytes source, bint skip_errors, size_t threads,
                     CancelToken cancel=None):
    cdef const char *c_source = source
    cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
    cdef size_t length = data.shape[0]
    cdef BarterLoadOptions options
    options.skip_errors = skip_errors
    options.threads = threads
    cdef const BarterCancel *c_cancel = _cancel_ptr(cancel)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_from_json_bytes_cancellable(ptr, length, c_source, &options, c_cancel, &out, &err)
    _check(status, err)
    return _market_data(cls, out)


def _load_binary(type cls, const uint8_t[::1] data, size_t threads, CancelToken cancel=None):
    cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
    cdef size_t length = data.shape[0]
    cdef const BarterCancel *c_cancel = _cancel_ptr(cancel)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_from_bytes_cancellable(ptr, length, b"<bytes>", threads, c_cancel, &out, &err)
    _check(status, err)
    return _market_data(cls, out)


def _load_binary_file(type cls, bytes path, size_t threads, CancelToken cancel=None):
    cdef const char *c_path = path
    cdef const BarterCancel *c_cancel = _cancel_ptr(cancel)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_load_cancellable(c_path, threads, c_cancel, &out, &err)
    _check(status, err)
    return _market_data(cls, out)


cdef class MarketDataInMemory:
    """In-memory market data for backtests (barter's ``MarketDataInMemory<DataKind>``).

    Build it with :meth:`from_json_file`, :meth:`from_json_str`, :meth:`from_json_bytes`,
    :meth:`load` / :meth:`from_bytes` (the binary form), or from a list of
    :class:`~barter_cy.data.MarketEvent` (and :class:`~barter_cy.data.Reconnecting`
    markers). Two JSON shapes are accepted: a JSON array of stream results
    (``{"Item":{"Ok":{...}}}`` / ``{"Reconnecting":"binance_spot"}``, as barter records
    them) and JSON Lines of ``{"Item":{...}}`` / ``{"Reconnecting":...}`` records.

    The records live once, in Rust, behind an immutable ``Arc``: this object owns a
    handle to them, so it is safe to share between threads. Loading runs with the GIL
    released. Events become Python objects only when asked for (``events()``,
    iteration, ``stream()``), a chunk at a time when iterating. From Cython, ``cimport``
    it (``barter_cy.native``) for GIL-free access to the records."""

    def __init__(self, events):
        if isinstance(events, (str, bytes, bytearray, os.PathLike)):
            raise TypeError(
                "MarketDataInMemory(events) takes a list of MarketEvent/Reconnecting; "
                "use from_json_file / from_json_str / from_json_bytes for JSON"
            )
        if self.ptr != NULL:
            raise TypeError("MarketDataInMemory is immutable; __init__ runs once")
        cdef MarketDataInMemory parsed = _load_json_bytes(MarketDataInMemory, _data.events_to_jsonl(events),
                                                          b"<events>", False, 0)
        # Take over its handle (the records stay where Rust put them).
        self._adopt(parsed.ptr)
        parsed.ptr = NULL

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_market_data_free(self.ptr)
            self.ptr = NULL

    cdef int _adopt(self, BarterMarketData *ptr) except -1:
        cdef BarterMarketDataInfo info
        cdef BarterError *err = NULL
        self.ptr = ptr
        _check(barter_market_data_info(ptr, &info, &err), err)
        self._records = info.records
        self._items = info.items
        self._reconnects = info.reconnects
        self._skipped_errors = info.skipped_errors
        self._first_ns = info.time_first_event_ns
        self._max_instrument = info.max_instrument
        return 0

    cdef BarterMarketData *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("market data handle is closed or was never opened")
        return self.ptr

    # -- the C-level interface (see _native.pxd) ---------------------------------
    cdef size_t record_count(self) noexcept nogil:
        return self._records

    cdef int64_t first_event_time_ns(self) noexcept nogil:
        return self._first_ns

    cdef int record_at(self, size_t index, BarterRecordView *out) noexcept nogil:
        cdef BarterError *err = NULL
        if self.ptr == NULL or index >= self._records:
            return -1
        if barter_market_data_record_view(self.ptr, index, out, &err) != BARTER_STATUS_OK:
            barter_error_free(err)
            return -1
        return 0

    cdef int trade_at(self, size_t index, int64_t *time_ns, double *price, double *amount,
                      int *side) noexcept nogil:
        cdef BarterRecordView view
        if self.record_at(index, &view) != 0:
            return -1
        if view.kind != BARTER_RECORD_KIND_TRADE:
            return 1
        time_ns[0] = view.time_exchange_ns
        price[0] = view.trade_price
        amount[0] = view.trade_amount
        side[0] = 1 if view.trade_side == 0 else -1
        return 0

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def from_json_file(cls, path, *, skip_errors=False, threads=None):
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
        cdef bytes raw = _path_bytes(_check_path(path))
        return _load(_load_json_file, _file_size(raw), (cls, raw, True if skip_errors else False, _threads(threads)))

    @classmethod
    def from_json_str(cls, text, *, skip_errors=False):
        """Parse market data from a JSON string (either shape)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return cls.from_json_bytes(text.encode("utf-8"), skip_errors=skip_errors)

    @classmethod
    def from_json_bytes(cls, data, *, skip_errors=False):
        """Parse market data from UTF-8 JSON bytes (either shape); no copy is made."""
        view = _byte_view(data)
        return _load(_load_json_bytes, len(view), (cls, view, b"<json>", True if skip_errors else False, 0))

    # -- binary form: bytes, files, pickling -----------------------------------------
    def to_bytes(self):
        """The loaded records in barter_cy's compact binary form: a versioned header with
        checksums, then every record exactly (times to the nanosecond, floats bit for
        bit, decimals with their scale, exchanges, reconnect markers, skipped-error
        count). About 32 bytes per trade. Read back with :meth:`from_bytes`; the same
        form is what :meth:`save` writes and what pickling carries."""
        cdef BarterMarketData *src = self.get()
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_to_bytes(src, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)

    @classmethod
    def from_bytes(cls, data, *, threads=None):
        """Market data from :meth:`to_bytes` output, decoded in Rust with the GIL
        released (on ``threads`` threads, default one per core). ``ValueError`` for
        truncated or corrupted data (checksums) or another format version."""
        view = _byte_view(data)
        return _load(_load_binary, len(view), (cls, view, _threads(threads)))

    def save(self, path):
        """Write the binary form (:meth:`to_bytes`) to ``path``, through a temporary
        file renamed into place. Reload it with :meth:`load`, much faster than JSON."""
        cdef BarterMarketData *src = self.get()
        cdef bytes raw = _path_bytes(_check_path(path))
        cdef const char *c_path = raw
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_save(src, c_path, &err)
        _check(status, err)

    @classmethod
    def load(cls, path, *, threads=None):
        """Read a file written by :meth:`save`, with the GIL released.
        ``FileNotFoundError`` if it does not exist, ``OSError`` if it is not a regular
        file, ``ValueError`` naming the path if it is truncated, corrupted (checksums),
        not such a file or from another format version."""
        cdef bytes raw = _path_bytes(_check_path(path))
        return _load(_load_binary_file, _file_size(raw), (cls, raw, _threads(threads)))

    def __reduce__(self):
        # Pickles as the compact binary form made in Rust (not JSON, not Python objects).
        return (_market_data_from_pickle, (type(self), self.to_bytes()))

    def __eq__(self, other):
        """Value equality: the same records, bit for bit (compared as their binary form,
        :meth:`to_bytes`, after the counts), whatever way each object was made."""
        if not isinstance(other, MarketDataInMemory):
            return NotImplemented
        cdef MarketDataInMemory that = <MarketDataInMemory>other
        if self is that:
            return True
        if (self._records != that._records or self._items != that._items
                or self._reconnects != that._reconnects or self._skipped_errors != that._skipped_errors
                or self._first_ns != that._first_ns):
            return False
        return self.to_bytes() == that.to_bytes()

    __hash__ = None

    # -- counts ------------------------------------------------------------------------
    def __len__(self):
        """All records, reconnect markers included."""
        return self._records

    @property
    def item_count(self):
        """Market events (items)."""
        return self._items

    @property
    def reconnect_count(self):
        """``Reconnecting`` markers (they stay in the stream the engine sees)."""
        return self._reconnects

    @property
    def skipped_error_count(self):
        """``{"Item":{"Err":...}}`` records dropped by ``skip_errors=True``."""
        return self._skipped_errors

    @property
    def time_first_event_ns(self):
        """``time_exchange`` of the first item, in nanoseconds since the epoch (UTC)."""
        return self._first_ns

    @property
    def time_first_event(self):
        """``time_exchange`` of the first item, a tz-aware UTC datetime (µs precision;
        see ``time_first_event_ns`` for nanoseconds). Made once, on first read."""
        if self._first_event is None:
            self._first_event = _data.ns_to_datetime(self._first_ns)
        return self._first_event

    @property
    def max_instrument_index(self):
        """Highest instrument index referenced by an item."""
        return self._max_instrument

    # -- events ------------------------------------------------------------------------
    def events(self):
        """All items as :class:`MarketEvent` objects, in file order (reconnect markers
        are skipped). A new list on each call."""
        return self._build_events(0, self._records)

    def __iter__(self):
        """Iterates the items lazily, converting a chunk at a time."""
        cdef size_t start
        for start in range(0, self._records, CHUNK_RECORDS):
            yield from self._build_events(start, start + CHUNK_RECORDS)

    def stream(self):
        """Async iterator over the items, yielding control to the event loop between
        chunks."""
        from barter_cy.market_data import _stream
        return _stream(self._build_events, self._records, CHUNK_RECORDS)

    def _build_events(self, size_t start, size_t stop):
        """MarketEvent objects for the items among records start..stop (clamped).

        Trades (the bulk of market data) are read straight from Rust's memory through
        ``barter_market_data_record_view`` (no JSON, no intermediate copy) and built here;
        the other kinds go through their JSON rows."""
        cdef BarterMarketData *src = self.get()
        cdef BarterRecordView view
        cdef BarterError *err = NULL
        cdef size_t index
        if stop > self._records:
            stop = self._records
        cdef PublicTrade trade
        cdef DataKind kind
        cdef MarketEvent event
        buy, sell = _data.Side.BUY, _data.Side.SELL
        cdef dict exchanges = {}
        cdef const uint8_t *last_exchange = NULL
        exchange = None
        cdef list out = []
        cdef BarterRecordView views[VIEWS_PER_CALL]
        cdef size_t base = start, count = 0, offset
        with _data._gc_paused():
            while base < stop:
                _check(barter_market_data_record_views(src, base, views, min(<size_t>VIEWS_PER_CALL, stop - base), &count, &err), err)
                if count == 0:
                    break
                for offset in range(count):
                    view = views[offset]
                    index = base + offset
                    if view.kind == BARTER_RECORD_KIND_RECONNECTING:
                        continue
                    if view.kind != BARTER_RECORD_KIND_TRADE:
                        out.extend(_data.events_from_wire_json(self._events_json(index, index + 1)))
                        continue
                    # One str per exchange (the names are static in Rust): the last one is
                    # reused without a lookup, the others come from the dict.
                    if view.exchange != last_exchange:
                        exchange = exchanges.get(<size_t>view.exchange)
                        if exchange is None:
                            exchange = PyUnicode_DecodeUTF8(<const char *>view.exchange, view.exchange_len, NULL)
                            exchanges[<size_t>view.exchange] = exchange
                        last_exchange = view.exchange
                    trade = PublicTrade.__new__(PublicTrade)
                    trade._id = PyUnicode_DecodeUTF8(<const char *>view.trade_id, view.trade_id_len, NULL)
                    trade._price = view.trade_price
                    trade._amount = view.trade_amount
                    trade._side = buy if view.trade_side == 0 else sell
                    kind = DataKind.__new__(DataKind)
                    kind._kind_name = "public_trade"
                    kind._value = trade
                    event = MarketEvent.__new__(MarketEvent)
                    event._time_exchange = view.time_exchange_ns
                    event._time_received = view.time_received_ns
                    event._exchange = exchange
                    event._instrument = view.instrument
                    event._kind = kind
                    out.append(event)
                base += count
        return out

    def _events_json(self, size_t start, size_t stop):
        """JSON rows of the items among records start..stop."""
        cdef BarterMarketData *src = self.get()
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_events_json(src, start, stop, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)

    # -- columnar data: numpy arrays and pandas DataFrames (barter_cy.columnar) -----
    @classmethod
    def from_trades(cls, time, price, amount, side=None, instrument=0, exchange="simulated",
                    time_received=None, *, sort=False):
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
        from barter_cy import columnar
        return columnar.trades_from_arrays(time, price, amount, side, instrument, exchange, time_received, sort)

    @classmethod
    def from_candles(cls, time, open, high, low, close, volume, trade_count=None, instrument=0,
                     exchange="simulated", *, sort=False):
        """Candles from 1-D arrays, as :meth:`from_trades` (``time``: each candle's close
        time; prices finite and > 0, volume >= 0; ``trade_count`` defaults to 0).
        Built-in strategies see a candle's close, orders fill at the next open (or this
        close with ``fill="signal"``)."""
        from barter_cy import columnar
        return columnar.candles_from_arrays(time, open, high, low, close, volume, trade_count, instrument, exchange,
                                            sort)

    @classmethod
    def from_frame(cls, df, kind="candle", *, instrument=0, exchange="simulated", sort=False):
        """Candles (``kind="candle"``: columns Open, High, Low, Close, Volume, optional
        trade_count) or trades (``kind="trade"``: price, amount, optional side,
        time_received) from a pandas DataFrame, column names in any case, times from a
        DatetimeIndex or a time / timestamp / datetime / date column (so
        ``pd.read_csv(path, index_col=0, parse_dates=True)`` of a backtesting.py or
        yfinance file works). Instruments: an ``instrument`` column, the ``instrument``
        argument, or a dict ``{instrument_index: DataFrame}`` (merged in time order)."""
        from barter_cy import columnar
        return columnar.from_frame(df, kind, instrument, exchange, sort)

    def to_numpy(self, kind="trade"):
        """The trades (``kind="trade"``: time_ns, time_received_ns, instrument, price,
        amount, side as int8 1 / -1) or candles (``"candle"``: time_ns, instrument, open,
        high, low, close, volume, trade_count) as a dict of read-only 1-D arrays, in
        record order: trades held as columns (loaded from JSON Lines of trades, from
        ``from_trades`` or the binary form) are borrowed in place, without a copy; other
        data is written by Rust straight into new numpy buffers. ``.copy()`` an array to
        modify it. Other kinds of event, reconnect markers and exchange ids are not
        included."""
        from barter_cy import columnar
        return columnar.to_numpy(self, kind)

    def to_frame(self, kind="trade"):
        """:meth:`to_numpy` as a pandas DataFrame with a UTC DatetimeIndex named ``time``
        (needs the ``pandas`` extra: ``pip install barter_cy[pandas]``)."""
        from barter_cy import columnar
        return columnar.to_frame(self, kind)

    # -- copies and repr ---------------------------------------------------------------
    def copy(self):
        """Another object sharing the same Rust data (no parsing, no copy)."""
        cdef BarterMarketData *src = self.get()
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        _check(barter_market_data_clone(src, &out, &err), err)
        return _market_data(type(self), out)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        # The data is immutable, so sharing it is a faithful deep copy.
        return self.copy()

    def __repr__(self):
        return (
            f"MarketDataInMemory(records={self._records}, items={self._items}, "
            f"reconnects={self._reconnects}, skipped_errors={self._skipped_errors}, "
            f"time_first_event={self.time_first_event.isoformat()})"
        )


# How many times this process rebuilt market data from a pickle: a cheap diagnostic that
# shows whether a process pool or a cluster shipped the market data more than once
# (tests read it in Dask workers). Monkeypatching _market_data_from_pickle instead breaks
# re-pickling in that process (pickle finds another object under the name), which Dask's
# worker-to-worker replication retries forever.
cdef Py_ssize_t _unpickled_market_data = 0


def _market_data_from_pickle(cls, data):
    global _unpickled_market_data
    _unpickled_market_data += 1
    return cls.from_bytes(data)


def unpickled_market_data_count():
    """Market data objects this process rebuilt from a pickle so far."""
    return _unpickled_market_data


# ---------------------------------------------------------------------------
# SystemConfig
# ---------------------------------------------------------------------------

cdef SystemConfig _system_config(type cls, const uint8_t[::1] data, bytes source):
    cdef const char *c_source = source
    cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
    cdef size_t length = data.shape[0]
    cdef BarterSystemConfig *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_system_config_from_json_bytes(ptr, length, c_source, &out, &err)
    _check(status, err)
    return _adopt_config(cls, out)


cdef SystemConfig _adopt_config(type cls, BarterSystemConfig *ptr):
    cdef SystemConfig config
    cdef BarterSystemConfigInfo info
    cdef BarterError *err = NULL
    try:
        config = cls.__new__(cls)
    except BaseException:
        barter_system_config_free(ptr)
        raise
    config.ptr = ptr
    _check(barter_system_config_info(ptr, &info, &err), err)
    config._instruments = info.instruments
    config._executions = info.executions
    return config


cdef class SystemConfig:
    """barter's ``SystemConfig``. Accepts the plain shape
    (``{"instruments": [...], "executions": [...]}``) and the shape under a ``"system"``
    key, as in barter's backtest example (whose ``risk_free_return`` is kept in
    :attr:`risk_free_return`). Invalid input raises ``ValueError`` with serde's line and
    column. Immutable, parsed by barter's own serde types in Rust."""

    def __init__(self, *args, **kwargs):
        raise TypeError("use SystemConfig.from_json(path), from_json_str(text) or from_dict(dict)")

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_system_config_free(self.ptr)
            self.ptr = NULL

    cdef BarterSystemConfig *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("system config handle is closed or was never opened")
        return self.ptr

    def _export(self):
        # The config is immutable: export it from Rust once, on first use.
        cdef BarterSystemConfig *src
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        if self._exported is None:
            src = self.get()
            with nogil:
                status = barter_system_config_to_json(src, &ptr, &length, &err)
            _check(status, err)
            self._exported = json.loads(_take_bytes(ptr, length))
        return self._exported

    @classmethod
    def from_json(cls, path):
        """Read a config file (with the GIL released)."""
        cdef bytes raw = _path_bytes(_check_path(path))
        cdef const char *c_path = raw
        cdef BarterSystemConfig *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_system_config_from_json_file(c_path, &out, &err)
        _check(status, err)
        return _adopt_config(cls, out)

    @classmethod
    def from_json_file(cls, path):
        """Same as :meth:`from_json`."""
        return cls.from_json(path)

    @classmethod
    def from_json_str(cls, text):
        """Parse a config from a JSON string."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return _system_config(cls, text.encode("utf-8"), b"<json>")

    @classmethod
    def from_dict(cls, data):
        """Build a config from a dict of either shape (Decimals may be given as
        ``Decimal``, str, int or float)."""
        from barter_cy.config import config_dict_json
        return _system_config(cls, config_dict_json(data).encode("utf-8"), b"<dict>")

    def to_dict(self):
        """The config in the plain shape as barter serialises it (decimals as strings,
        times as RFC 3339 strings); ``SystemConfig.from_dict(c.to_dict())`` gives back an
        equal config."""
        return copy.deepcopy(self._export()["system"])

    def to_json(self, indent=None):
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    @property
    def instrument_count(self):
        return self._instruments

    @property
    def execution_count(self):
        return self._executions

    @property
    def instrument_names(self):
        """barter's internal instrument names in index order (the order the
        ``instrument`` field of market data refers to)."""
        return list(self._export()["instrument_names"])

    @property
    def risk_free_return(self):
        """``risk_free_return`` given next to ``"system"``, if any."""
        value = self._export()["risk_free_return"]
        return None if value is None else Decimal(value)

    def _instrument_assets(self):
        """(instrument names, [(base, quote) per instrument]) in index order."""
        exported = self._export()
        return list(exported["instrument_names"]), [tuple(pair) for pair in exported["instrument_assets"]]

    def __reduce__(self):
        exported = self._export()
        return (_config_from_pickle, (type(self), exported["system"], exported["risk_free_return"]))

    def __eq__(self, other):
        if not isinstance(other, SystemConfig):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None

    def __repr__(self):
        return (
            f"SystemConfig(instruments={self._instruments}, executions={self._executions}, "
            f"names={self.instrument_names})"
        )


def _config_from_pickle(cls, system, risk_free_return):
    """Unpickling: the exported plain shape, under "system" when it had a risk-free return."""
    if risk_free_return is None:
        return cls.from_dict(system)
    return cls.from_dict({"system": system, "risk_free_return": risk_free_return})


cdef extern from *:
    """
    #include <signal.h>
    #include <string.h>
    #include "barter_ffi.h"

    /* Ctrl-C without a helper thread: while a native call runs on the main thread, a
     * SIGINT handler trips that call's cancel token (an atomic store: async-signal-safe)
     * and then runs the handler it replaced (Python's, which flags KeyboardInterrupt). */
    static BarterCancel *volatile barter_cy_sigint_token = NULL;
    static struct sigaction barter_cy_sigint_replaced;

    static void barter_cy_on_sigint(int signum, siginfo_t *info, void *context) {
        barter_cancel_trip(barter_cy_sigint_token);
        if (barter_cy_sigint_replaced.sa_flags & SA_SIGINFO) {
            barter_cy_sigint_replaced.sa_sigaction(signum, info, context);
        } else if (barter_cy_sigint_replaced.sa_handler != SIG_DFL
                   && barter_cy_sigint_replaced.sa_handler != SIG_IGN) {
            barter_cy_sigint_replaced.sa_handler(signum);
        }
    }

    /* Points SIGINT at `token` (main thread only). Nested calls just swap the token;
     * `*outer` receives the previous one for barter_cy_sigint_leave. 0: not installed. */
    static int barter_cy_sigint_enter(BarterCancel *token, BarterCancel **outer) {
        struct sigaction current, ours;
        *outer = barter_cy_sigint_token;
        if (*outer != NULL) {
            barter_cy_sigint_token = token;
            return 1;
        }
        if (sigaction(SIGINT, NULL, &current) != 0) return 0;
        memset(&ours, 0, sizeof ours);
        ours.sa_sigaction = barter_cy_on_sigint;
        ours.sa_flags = SA_SIGINFO | (current.sa_flags & SA_ONSTACK);
        sigemptyset(&ours.sa_mask);
        barter_cy_sigint_replaced = current;
        barter_cy_sigint_token = token;
        if (sigaction(SIGINT, &ours, NULL) != 0) {
            barter_cy_sigint_token = NULL;
            return 0;
        }
        return 1;
    }

    static void barter_cy_sigint_leave(BarterCancel *outer) {
        if (outer == NULL) sigaction(SIGINT, &barter_cy_sigint_replaced, NULL);
        barter_cy_sigint_token = outer;
    }
    """
    int barter_cy_sigint_enter(BarterCancel *token, BarterCancel **outer)
    void barter_cy_sigint_leave(BarterCancel *outer)


def call_on_sigint(CancelToken token not None, call, tuple args, dict kwargs):
    """``call(*args, **kwargs)`` on this thread (the main thread, whose SIGINT handler is
    Python's default) with SIGINT also tripping ``token``: a native call that releases
    the GIL stops within milliseconds and the KeyboardInterrupt Python flagged is raised."""
    cdef BarterCancel *outer = NULL
    cdef bint interrupted = False
    cdef int installed = barter_cy_sigint_enter(token.ptr, &outer)
    try:
        return call(*args, **kwargs)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if installed:
            barter_cy_sigint_leave(outer)
    if interrupted:
        PyErr_CheckSignals()  # raises the KeyboardInterrupt Python's handler flagged
        raise KeyboardInterrupt


cdef class CancelToken:
    """Owns a ``BarterCancel*``: trip it (from any thread) to stop the calls using it."""
    cdef BarterCancel *ptr

    def __cinit__(self):
        cdef BarterError *err = NULL
        _check(barter_cancel_new(&self.ptr, &err), err)

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_cancel_free(self.ptr)
            self.ptr = NULL

    def cancel(self):
        barter_cancel_trip(self.ptr)


cdef class StrategyHandle:
    """Owns a ``BarterStrategy*`` (immutable; validated by Rust when made)."""
    cdef BarterStrategy *ptr
    cdef object owner  # a callback strategy's run: alive as long as the handle

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_strategy_free(self.ptr)
            self.ptr = NULL

    cdef BarterStrategy *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("strategy handle is closed or was never opened")
        return self.ptr

    @staticmethod
    def new(str name, str params_json):
        cdef bytes raw_name = _cstr(name, "strategy name")
        cdef bytes raw_params = _cstr(params_json, "strategy params")
        cdef const char *c_name = raw_name
        cdef const char *c_params = raw_params
        cdef BarterStrategy *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_strategy_new(c_name, c_params, &out, &err)
        _check(status, err)
        cdef StrategyHandle handle = StrategyHandle.__new__(StrategyHandle)
        handle.ptr = out
        return handle

    @staticmethod
    def target_positions(const double[::1] targets):
        cdef const double *data = &targets[0] if targets.shape[0] else NULL
        cdef size_t length = targets.shape[0]
        cdef BarterStrategy *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_strategy_target_positions(data, length, &out, &err)
        _check(status, err)
        cdef StrategyHandle handle = StrategyHandle.__new__(StrategyHandle)
        handle.ptr = out
        return handle

    def describe(self):
        """JSON bytes ``{"name": ..., "params": {...}}`` as the summary reports it."""
        cdef BarterStrategy *src = self.get()
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_strategy_describe(src, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)


# ---------------------------------------------------------------------------
# BacktestArgsConstant, BacktestArgsDynamic, runs
# ---------------------------------------------------------------------------

#: Valid ``summary_interval`` values, in the order of the Rust enum.
SUMMARY_INTERVALS = ("daily", "annual_252", "annual_365")

#: Fill rules: at the next event of the instrument, or at the signal's own price.
FILLS = ("next", "signal")

cdef class BacktestArgsConstant:
    """The inputs shared by every backtest of a batch: instruments and executions from
    the config, the market data, the summary interval (``daily``, ``annual_252`` or
    ``annual_365``) and the initial engine state (trading enabled, starting at the first
    event, balances from the executions' initial state with ``initial_balances``
    overriding matching entries in both: a list of ``{"exchange", "asset", "total",
    "free"}`` dicts).

    Every ``instrument`` index in the market data must exist in the config (barter sorts
    instruments by exchange, then internal name); this is checked here."""

    def __init__(self, system_config, market_data, summary_interval="daily", initial_balances=None):
        if not isinstance(system_config, SystemConfig):
            raise TypeError(f"system_config must be SystemConfig, got {type(system_config).__name__}")
        if not isinstance(market_data, MarketDataInMemory):
            raise TypeError(f"market_data must be MarketDataInMemory, got {type(market_data).__name__}")
        if not isinstance(summary_interval, str):
            raise TypeError(f"summary_interval must be str, got {type(summary_interval).__name__}")
        if self.ptr != NULL:
            raise TypeError("BacktestArgsConstant is immutable; __init__ runs once")
        cdef object balances_json = None
        if initial_balances is not None:
            from barter_cy.backtest import _balances_json
            balances_json = _balances_json(initial_balances)
        cdef BarterSystemConfig *c_config = (<SystemConfig>system_config).get()
        cdef BarterMarketData *c_market = (<MarketDataInMemory>market_data).get()
        cdef bytes raw_interval = _cstr(summary_interval, "summary_interval")
        cdef const char *c_interval = raw_interval
        cdef bytes raw_balances = None
        cdef const char *c_balances = NULL
        if balances_json is not None:
            raw_balances = _cstr(balances_json, "initial_balances")
            c_balances = raw_balances
        cdef BarterBacktestArgsConstant *out = NULL
        cdef BarterBacktestArgsConstantInfo info
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_args_constant_new(c_config, c_market, c_interval, c_balances, &out, &err)
        _check(status, err)
        self.ptr = out
        _check(barter_backtest_args_constant_info(out, &info, &err), err)
        self._instruments = info.instruments
        self._executions = info.executions
        self._interval = SUMMARY_INTERVALS[info.summary_interval]
        self._balances = None if balances_json is None else json.loads(balances_json)
        self._system_config = system_config
        self._market_data = market_data

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_backtest_args_constant_free(self.ptr)
            self.ptr = NULL

    cdef BarterBacktestArgsConstant *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("backtest arguments handle is closed or was never opened")
        return self.ptr

    @property
    def instrument_count(self):
        return self._instruments

    @property
    def execution_count(self):
        return self._executions

    @property
    def summary_interval(self):
        """``daily``, ``annual_252`` or ``annual_365``."""
        return self._interval

    @property
    def market_data(self):
        return self._market_data

    @property
    def system_config(self):
        return self._system_config

    def __reduce__(self):
        return (type(self), (self._system_config, self._market_data, self._interval, self._balances))

    def __eq__(self, other):
        """Value equality: equal config, equal market data, same interval and balances."""
        if not isinstance(other, BacktestArgsConstant):
            return NotImplemented
        cdef BacktestArgsConstant that = <BacktestArgsConstant>other
        return self is that or (
            self._interval == that._interval and self._balances == that._balances
            and self._system_config == that._system_config and self._market_data == that._market_data
        )

    __hash__ = None

    def __repr__(self):
        return (
            f"BacktestArgsConstant(instruments={self._instruments}, executions={self._executions}, "
            f"summary_interval={self._interval!r}, market_data={self._market_data!r})"
        )

    # -- runs (barter_cy.backtest calls these; they return the wire: dicts and columns) --
    def _run(self, BacktestArgsDynamic dynamic not None, CancelToken cancel=None):
        """One backtest; returns its BacktestSummary wire (see ``_summaries_wire``).

        Built-in strategies run with the GIL released. The per-run arguments of a Python
        strategy (``_python_run``) run with the GIL held instead: their callback needs it
        at every event, and taking and dropping it per event would cost more than the
        engine's own work; the callback lets other threads run every few milliseconds
        (see ``PythonStrategyRun.call``)."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef BarterBacktestArgsDynamic *c_dynamic = dynamic.get()
        cdef const BarterCancel *c_cancel = NULL if cancel is None else cancel.ptr
        cdef BarterSummaries *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        if dynamic._python_strategy:
            status = barter_backtest_run(src, c_dynamic, c_cancel, &out, &err)
        else:
            with nogil:
                status = barter_backtest_run(src, c_dynamic, c_cancel, &out, &err)
        _check(status, err)
        return _summaries_wire(out)["summaries"][0]

    def _run_many(self, list dynamics, size_t max_concurrent=0, CancelToken cancel=None,
                  ProgressCounter progress=None):
        """Backtests on Rust threads (0: one per core); returns the MultiBacktestSummary
        wire (see ``_summaries_wire``). ``progress`` counts the finished backtests."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef size_t count = len(dynamics)
        cdef const BarterBacktestArgsDynamic **array = NULL
        cdef const BarterCancel *c_cancel = NULL if cancel is None else cancel.ptr
        cdef const BarterProgress *c_progress = NULL if progress is None else progress.ptr
        cdef size_t index
        cdef BarterSummaries *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        if count:
            array = <const BarterBacktestArgsDynamic **>malloc(count * sizeof(void *))
            if array == NULL:
                raise MemoryError()
        try:
            for index in range(count):
                array[index] = (<BacktestArgsDynamic?>dynamics[index]).get()
            with nogil:
                status = barter_backtest_run_many(src, array, count, max_concurrent, c_cancel, c_progress,
                                                  &out, &err)
        finally:
            free(array)
        _check(status, err)
        return _summaries_wire(out)

    # -- the C-level interface (see _native.pxd) ---------------------------------
    cdef void run_nogil(self, BacktestArgsDynamic dynamic, BacktestRun *out) noexcept nogil:
        out.summaries = NULL
        out.error = NULL
        out.message = NULL
        if self.ptr == NULL or dynamic is None or dynamic.ptr == NULL:
            out.status = BARTER_STATUS_NULL_POINTER
            out.message = b"run_nogil: a handle is NULL (closed, never opened, or None)"
            return
        if dynamic._python_strategy:
            out.status = BARTER_STATUS_INVALID_INPUT
            out.message = b"run_nogil: a Strategy written in Python needs the GIL; use barter_cy.backtest.backtest"
            return
        out.status = barter_backtest_run(self.ptr, dynamic.ptr, NULL, &out.summaries, &out.error)


# ---------------------------------------------------------------------------
# Summaries: the head of each as JSON, its columns copied from the Rust handle
# ---------------------------------------------------------------------------
# The wire a summary decoder (barter_cy.summary) reads is the JSON object to_json writes;
# here its columns are numpy arrays and str instead of JSON lists, copied from the views
# (flat copies, no parsing): a batch of summaries with ~10^6 positions costs copies of
# ~10^8 bytes under the GIL, not parsing ~4·10^8 bytes of JSON.

cdef object _copied(const void *ptr, size_t count, object dtype):
    """A new 1-D numpy array of ``count`` values of ``dtype`` copied from ``ptr``."""
    import numpy as np
    out = np.empty(count, dtype)
    cdef uint8_t[::1] raw
    if count:
        raw = out.view(np.uint8)
        memcpy(&raw[0], ptr, raw.shape[0])
    return out


cdef str _ascii(BarterText text):
    if text.len == 0:
        return ""
    return PyUnicode_DecodeASCII(<const char *>text.ptr, text.len, NULL)


cdef dict _summary_wire(const BarterSummaryView *view):
    import numpy as np
    head = json.loads((<const char *>view.head_json.ptr)[:view.head_json.len])
    positions = head["positions"]
    positions["instrument"] = _copied(view.instrument.ptr, view.instrument.len, np.int64)
    positions["side"] = _copied(view.side.ptr, view.side.len, np.int8)
    positions["quantity"] = _ascii(view.quantity)
    positions["price_entry"] = _ascii(view.price_entry)
    positions["price_exit"] = _ascii(view.price_exit)
    positions["fees"] = _ascii(view.fees)
    positions["pnl"] = _ascii(view.pnl)
    positions["time_enter_ns"] = _copied(view.time_enter_ns.ptr, view.time_enter_ns.len, np.int64)
    positions["time_exit_ns"] = _copied(view.time_exit_ns.ptr, view.time_exit_ns.len, np.int64)
    head["equity"] = {"time_ns": _copied(view.equity_time_ns.ptr, view.equity_time_ns.len, np.int64),
                      "value": _copied(view.equity_value.ptr, view.equity_value.len, np.float64)}
    return head


cdef dict _summaries_wire(BarterSummaries *handle):
    """The MultiBacktestSummary wire of a summaries handle, which it frees:
    ``{"num_backtests", "duration_ns", "summaries": [...]}``."""
    cdef BarterSummariesInfo info
    cdef BarterSummaryView view
    cdef BarterError *err = NULL
    cdef size_t index
    try:
        _check(barter_summaries_info(handle, &info, &err), err)
        summaries = []
        for index in range(info.count):
            _check(barter_summaries_get(handle, index, &view, &err), err)
            summaries.append(_summary_wire(&view))
        return {"num_backtests": info.count, "duration_ns": info.duration_ns, "summaries": summaries}
    finally:
        barter_summaries_free(handle)


cdef object backtest_run_summary(BacktestRun *run):
    cdef BarterStatus status = run.status
    cdef BarterError *err = run.error
    cdef const char *message = run.message
    cdef BarterSummaries *summaries = run.summaries
    run.error = NULL
    run.summaries = NULL
    if status != BARTER_STATUS_OK:
        barter_summaries_free(summaries)
        if err == NULL and message != NULL:
            raise _exception_for(status, (<bytes>message).decode("utf-8", "replace"))
        _check(status, err)
    from barter_cy.summary import BacktestSummary
    return BacktestSummary._from_wire(_summaries_wire(summaries)["summaries"][0])


cdef void backtest_run_free(BacktestRun *run) noexcept nogil:
    if run.summaries != NULL:
        barter_summaries_free(run.summaries)
        run.summaries = NULL
    if run.error != NULL:
        barter_error_free(run.error)
        run.error = NULL


cdef object _BuiltinStrategy = None
cdef object _PythonStrategy = None


cdef _load_strategy_types():
    global _BuiltinStrategy, _PythonStrategy
    from barter_cy.strategy import BuiltinStrategy, Strategy
    _BuiltinStrategy, _PythonStrategy = BuiltinStrategy, Strategy


cdef bytes _risk_free_text(object d):
    """``risk_free_return`` (a Decimal) through the shared range check, as the
    plain-notation text rust_decimal parses."""
    return decimal_text(d, "risk_free_return").encode("ascii")


cdef class BacktestArgsDynamic:
    """The inputs of one backtest of a batch.

    - ``id``: unique within a batch;
    - ``risk_free_return``: Decimal, int, str (scientific notation too) or float (taken
      through its repr, so ``0.05`` is ``Decimal("0.05")``);
    - ``strategy``: a built-in strategy from :mod:`barter_cy.strategy`, a
      :class:`~barter_cy.strategy.Strategy` written in Python, or None for barter's
      ``DefaultStrategy`` (which sends no orders);
    - ``fill``: ``"next"`` (default) fills a Market order at the next event of that
      instrument (the next trade's price, or the next candle's open); ``"signal"`` at
      the price of the event that produced it (the trade price, or the candle's close);
    - ``close_at_end``: close open positions at the last price when the data ends.

    ``risk`` must be None: barter's default risk manager is used."""

    def __init__(self, id, risk_free_return, strategy=None, risk=None, fill="next", close_at_end=True):
        if risk is not None:
            raise NotImplementedError("custom risk managers are not supported; pass risk=None")
        if self.ptr != NULL:
            raise TypeError("BacktestArgsDynamic is immutable; __init__ runs once")
        if _BuiltinStrategy is None:
            _load_strategy_types()
        cdef object handle = None
        cdef bint python_strategy = False
        if strategy is not None:
            if isinstance(strategy, _BuiltinStrategy):
                handle = strategy._handle
            elif isinstance(strategy, _PythonStrategy):
                strategy._describe()  # name and params are checked now, not at run time
                python_strategy = True
            else:
                raise TypeError(
                    "strategy must be a barter_cy.strategy strategy (BuyAndHold, SmaCross, "
                    "BollingerReversion, Breakout, TargetPositions, or a Strategy subclass) or None, "
                    f"got {type(strategy).__name__}"
                )
        if type(id) is not str:
            if not isinstance(id, str):
                raise TypeError(f"id must be str, got {type(id).__name__}")
            id = str(id)
        if type(fill) is not str:
            raise TypeError(f"fill must be str, got {type(fill).__name__}")
        if fill != "next" and fill != "signal":
            raise ValueError(f"fill must be one of {', '.join(FILLS)}, got {fill!r}")
        if type(close_at_end) is not _PyBool:
            raise TypeError(f"close_at_end must be bool, got {type(close_at_end).__name__}")
        cdef str trimmed = id.strip()
        if not trimmed:
            raise ValueError("id must not be empty")
        value = risk_free_return if type(risk_free_return) is Decimal else _data._decimal(risk_free_return, "risk_free_return")
        self._risk_free_text = _risk_free_text(value)
        self._id = trimmed
        self._risk_free_return = value
        self._strategy = strategy
        self._fill = fill
        self._close_at_end = close_at_end
        self._python_strategy = python_strategy
        # A Python strategy gets its handle per run (see _python_run); the arguments are
        # checked by Rust now either way.
        self._set_handle(handle)

    cdef int _set_handle(self, object strategy_handle) except -1:
        cdef StrategyHandle strategy = strategy_handle
        cdef bytes raw_id = _cstr(self._id, "id")
        cdef const char *c_id = raw_id
        cdef const char *c_rfr = self._risk_free_text
        cdef const BarterStrategy *c_strategy = NULL if strategy is None else strategy.get()
        cdef BarterFill fill = BARTER_FILL_SIGNAL if self._fill == "signal" else BARTER_FILL_NEXT
        cdef bint close_at_end = self._close_at_end
        cdef BarterError *err = NULL
        cdef BarterStatus status
        status = barter_backtest_args_dynamic_new(c_id, c_rfr, c_strategy, fill, close_at_end, &self.ptr, &err)
        _check(status, err)
        self._strategy_handle = strategy
        return 0

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_backtest_args_dynamic_free(self.ptr)
            self.ptr = NULL

    cdef BarterBacktestArgsDynamic *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("backtest dynamic arguments handle is closed or was never opened")
        return self.ptr

    def _python_run(self, BacktestArgsConstant args_constant not None):
        """For a Python strategy: a fresh run (its own copy of the strategy) and the
        dynamic arguments calling back into it. Keep the run alive while they are used."""
        name, params = self._strategy._describe()
        run = PythonStrategyRun(
            self._strategy._fresh(), args_constant._market_data, *args_constant._system_config._instrument_assets()
        )
        cdef BacktestArgsDynamic per_run = BacktestArgsDynamic.__new__(BacktestArgsDynamic)
        per_run._id = self._id
        per_run._risk_free_return = self._risk_free_return
        per_run._risk_free_text = self._risk_free_text
        per_run._strategy = self._strategy
        per_run._fill = self._fill
        per_run._close_at_end = self._close_at_end
        per_run._python_strategy = True
        per_run._set_handle(run.handle(name, params))
        return run, per_run

    @property
    def id(self):
        return self._id

    @property
    def risk_free_return(self):
        return self._risk_free_return

    @property
    def strategy(self):
        return self._strategy

    @property
    def risk(self):
        return None

    @property
    def fill(self):
        return self._fill

    @property
    def close_at_end(self):
        return self._close_at_end

    def _key(self):
        return (self._id, self._risk_free_return, self._strategy, self._fill, self._close_at_end)

    def __eq__(self, other):
        if not isinstance(other, BacktestArgsDynamic):
            return NotImplemented
        return self._key() == (<BacktestArgsDynamic>other)._key()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        return (type(self), (self._id, self._risk_free_return, self._strategy, None, self._fill, self._close_at_end))

    def __repr__(self):
        extra = ""
        if self._strategy is not None:
            extra += f", strategy={self._strategy!r}"
        if self._fill != "next":
            extra += f", fill={self._fill!r}"
        if not self._close_at_end:
            extra += ", close_at_end=False"
        return f"BacktestArgsDynamic(id={self._id!r}, risk_free_return={self._risk_free_return!r}{extra})"


# ---------------------------------------------------------------------------
# Strategies written in Python: the C callback and the per-event context
# ---------------------------------------------------------------------------

cdef class StrategyContext:
    """What a Python strategy sees on each call (one object per run, reused for every
    event: keep no reference to it across calls). Prices, positions and balances are
    floats; quantities given to ``buy`` / ``sell`` / ``target`` are base units."""
    cdef readonly size_t item
    cdef readonly size_t record
    cdef readonly size_t instrument_index
    cdef readonly long long time_ns
    cdef double _price
    cdef readonly double position
    cdef double _quote_free
    cdef double _base_free
    cdef readonly bint order_in_flight
    cdef bint _has_target
    cdef double _target
    cdef object _names
    cdef object _assets
    cdef MarketDataInMemory _market_data
    cdef object _event

    @property
    def instrument(self):
        """The instrument's internal name (``binancespot-btc_usdt``)."""
        return self._names[self.instrument_index]

    @property
    def price(self):
        """The instrument's last price (float), None before its first price."""
        return None if isnan(self._price) else self._price

    @property
    def time(self):
        """The event time, a tz-aware UTC datetime."""
        from barter_cy.data import ns_to_datetime
        return ns_to_datetime(self.time_ns)

    @property
    def event(self):
        """The :class:`~barter_cy.data.MarketEvent` just processed (built when read)."""
        if self._event is None:
            events = self._market_data._build_events(self.record, self.record + 1)
            self._event = events[0] if events else None
        return self._event

    def balance(self, str asset="quote"):
        """Free balance (float) of the instrument's quote or base asset: ``"quote"``,
        ``"base"``, or the asset's name (``"usdt"``, ``"btc"``)."""
        base, quote = self._assets[self.instrument_index]
        if asset == "quote" or asset == quote:
            return self._quote_free
        if asset == "base" or asset == base:
            return self._base_free
        # barter keys assets lowercased ("USDT" is "usdt"); the names here are barter's.
        if asset.lower() == quote:
            return self._quote_free
        if asset.lower() == base:
            return self._base_free
        raise ValueError(f"asset: {asset!r} is neither the base ({base!r}) nor the quote ({quote!r}) of {self.instrument}")

    cdef double _current(self):
        return self._target if self._has_target else self.position

    def target(self, quantity):
        """Order towards a position of ``quantity`` base units (>= 0: long only)."""
        cdef double value = float(quantity)
        if not value >= 0.0 or value == float("inf"):
            raise ValueError(f"target: a position must be finite and >= 0 (long only), got {quantity!r}")
        self._target = value
        self._has_target = True

    def buy(self, quantity):
        """Buy ``quantity`` base units (Market order)."""
        cdef double value = float(quantity)
        if not value > 0.0 or value == float("inf"):
            raise ValueError(f"buy: quantity must be finite and > 0, got {quantity!r}")
        self.target(self._current() + value)

    def sell(self, quantity):
        """Sell ``quantity`` base units, at most the position (long only)."""
        cdef double value = float(quantity)
        if not value > 0.0 or value == float("inf"):
            raise ValueError(f"sell: quantity must be finite and > 0, got {quantity!r}")
        self.target(max(0.0, self._current() - value))


cdef class PythonStrategyRun:
    """One backtest of a Python strategy: the instance it runs (a fresh copy), the
    context, and the exception that stopped it, if any."""
    cdef object strategy
    cdef StrategyContext ctx
    cdef object on_event
    cdef public object error
    cdef unsigned int calls

    def __init__(self, strategy, MarketDataInMemory market_data not None, list names, list assets):
        self.strategy = strategy
        self.on_event = strategy.on_event
        self.ctx = StrategyContext.__new__(StrategyContext)
        self.ctx._names = names
        self.ctx._assets = assets
        self.ctx._market_data = market_data
        self.error = None
        self.calls = 0

    def handle(self, str name, str params_json):
        """A strategy handle calling back into this run (which must outlive it)."""
        cdef bytes raw_name = _cstr(name, "strategy name")
        cdef bytes raw_params = _cstr(params_json, "strategy params")
        cdef BarterStrategy *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status = barter_strategy_callback(
            raw_name, raw_params, _python_strategy_callback, <void *>self, &out, &err)
        _check(status, err)
        cdef StrategyHandle handle = StrategyHandle.__new__(StrategyHandle)
        handle.ptr = out
        handle.owner = self
        return handle

    cdef int32_t call(self, BarterStrategyEvent *event) except -1:
        cdef StrategyContext ctx = self.ctx
        ctx.item = event.item
        ctx.record = event.record
        ctx.instrument_index = event.instrument
        ctx.time_ns = event.time_ns
        ctx._price = event.price
        ctx.position = event.position
        ctx._quote_free = event.quote_free
        ctx._base_free = event.base_free
        ctx.order_in_flight = event.order_in_flight
        ctx._has_target = False
        ctx._event = None
        if event.phase == BARTER_STRATEGY_PHASE_EVENT:
            self.calls += 1
            if self.calls & 511 == 0:
                # The run holds the GIL (see BacktestArgsConstant._run): every 512 events
                # (about a millisecond), let other threads run, and look at Ctrl-C
                # (raises KeyboardInterrupt here on the main thread).
                with nogil:
                    pass
                PyErr_CheckSignals()
            self.on_event(ctx)
            if ctx._has_target:
                event.has_target = True
                event.target = ctx._target
        elif event.phase == BARTER_STRATEGY_PHASE_START:
            self.strategy.on_start(ctx)
        elif event.phase == BARTER_STRATEGY_PHASE_FINISH:
            self.strategy.on_finish(ctx)
        return 0


cdef int32_t _python_strategy_callback(void *user, BarterStrategyEvent *event) noexcept nogil:
    with gil:
        return _python_strategy_call(<PythonStrategyRun>user, event)


cdef int32_t _python_strategy_call(PythonStrategyRun run, BarterStrategyEvent *event) noexcept:
    if event.phase == BARTER_STRATEGY_PHASE_END:
        return 0
    try:
        return run.call(event)
    except BaseException as error:
        run.error = error
        return 1


# =========================================================================== #
# Progress counters, cancellable loaders, the log queue (barter_cy/_control.py)
# =========================================================================== #

cdef class ProgressCounter:
    """Owns a ``BarterProgress*``: a long call advances it as units of work finish (one
    per finished backtest of ``run_many``); ``done()`` reads it from any thread while
    the call runs, without waiting for it."""
    cdef BarterProgress *ptr

    def __cinit__(self):
        cdef BarterError *err = NULL
        _check(barter_progress_new(&self.ptr, &err), err)

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_progress_free(self.ptr)
            self.ptr = NULL

    def done(self):
        """Units finished so far."""
        return barter_progress_done(self.ptr)


def log_set_level(unsigned int level):
    """Rust-side log filter: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace."""
    barter_log_set_level(level)


def log_level():
    """The Rust-side log filter (0 off ... 5 trace)."""
    return barter_log_level()


def log_drain():
    """Takes the queued Rust log records: JSON bytes
    ``{"dropped": n, "records": [{"level", "target", "message"}, ...]}``."""
    cdef uint8_t *ptr = NULL
    cdef size_t length = 0
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_log_drain(&ptr, &length, &err)
    if status != BARTER_STATUS_OK:
        # Not through _check: it drains the log after an error.
        if err != NULL:
            barter_error_free(err)
        raise _errors.BarterError("draining the Rust log failed")
    return _take_bytes(ptr, length)


def testing_log(unsigned int level, str message):
    """Emit a ``tracing`` event at ``level`` (1 error ... 5 trace) from Rust (for tests)."""
    cdef bytes raw = _cstr(message, "message")
    cdef const char *c_raw = raw
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_testing_log(level, c_raw, &err)
    _check(status, err)


cdef void _log_after_error():
    """Emits the Rust log records queued so far (a panic's, for one) before an error is
    raised. Never raises."""
    try:
        from barter_cy import _control
        _control.drain_logs()
    except Exception:
        pass


# ---------------------------------------------------------------------------
# Columnar market data: trades and candles from / to 1-D columns
# ---------------------------------------------------------------------------
# Module-level functions over MarketDataInMemory: the columns cross the C ABI as pointers
# and lengths (typed memoryviews, C-contiguous, no copy) and Rust validates and builds
# the records (or fills the output columns) with the GIL released. The Python API with
# the argument normalisation is barter_cy.columnar.

cdef BarterColumnOptions _column_options(bytes exchange, size_t instrument):
    cdef BarterColumnOptions options
    options.exchange = exchange
    options.instrument = instrument
    return options


cdef BarterI64Column _i64_column(const int64_t[::1] values):
    cdef BarterI64Column column
    column.ptr = NULL
    column.len = 0
    if values is not None:
        column.len = values.shape[0]
        if column.len:
            column.ptr = &values[0]
    return column


cdef BarterU64Column _u64_column(const uint64_t[::1] values):
    cdef BarterU64Column column
    column.ptr = NULL
    column.len = 0
    if values is not None:
        column.len = values.shape[0]
        if column.len:
            column.ptr = &values[0]
    return column


cdef BarterF64Column _f64_column(const double[::1] values):
    cdef BarterF64Column column
    column.ptr = NULL
    column.len = values.shape[0]
    if column.len:
        column.ptr = &values[0]
    return column


cdef BarterI8Column _i8_column(const int8_t[::1] values):
    cdef BarterI8Column column
    column.ptr = NULL
    column.len = values.shape[0]
    if column.len:
        column.ptr = &values[0]
    return column


def market_data_from_trade_columns(const int64_t[::1] time_exchange_ns not None,
                                   const int64_t[::1] time_received_ns,
                                   const double[::1] price not None, const double[::1] amount not None,
                                   const int8_t[::1] side not None, const int64_t[::1] instrument,
                                   str exchange not None, size_t instrument_scalar=0):
    """A MarketDataInMemory of trades from C-contiguous columns (no copy). ``time_received_ns``
    / ``instrument`` None: the exchange time / ``instrument_scalar`` for every row. Rust
    validates everything (lengths included) in one pass, with the GIL released."""
    cdef bytes raw_exchange = _cstr(exchange, "exchange")
    cdef BarterColumnOptions options = _column_options(raw_exchange, instrument_scalar)
    cdef BarterTradeColumns columns
    columns.time_exchange_ns = _i64_column(time_exchange_ns)
    columns.time_received_ns = _i64_column(time_received_ns)
    columns.price = _f64_column(price)
    columns.amount = _f64_column(amount)
    columns.side = _i8_column(side)
    columns.instrument = _i64_column(instrument)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_from_trade_columns(&columns, &options, &out, &err)
    _check(status, err)
    return _market_data(MarketDataInMemory, out)


def market_data_from_candle_columns(const int64_t[::1] time_ns not None, const double[::1] open not None,
                                    const double[::1] high not None, const double[::1] low not None,
                                    const double[::1] close not None, const double[::1] volume not None,
                                    const uint64_t[::1] trade_count, const int64_t[::1] instrument,
                                    str exchange not None, size_t instrument_scalar=0):
    """A MarketDataInMemory of candles from C-contiguous columns (``time_ns``: close times).
    ``trade_count`` / ``instrument`` None: 0 / ``instrument_scalar`` for every row."""
    cdef bytes raw_exchange = _cstr(exchange, "exchange")
    cdef BarterColumnOptions options = _column_options(raw_exchange, instrument_scalar)
    cdef BarterCandleColumns columns
    columns.time_ns = _i64_column(time_ns)
    columns.open = _f64_column(open)
    columns.high = _f64_column(high)
    columns.low = _f64_column(low)
    columns.close = _f64_column(close)
    columns.volume = _f64_column(volume)
    columns.trade_count = _u64_column(trade_count)
    columns.instrument = _i64_column(instrument)
    cdef BarterMarketData *out = NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_from_candle_columns(&columns, &options, &out, &err)
    _check(status, err)
    return _market_data(MarketDataInMemory, out)


cdef dict _read_only(dict arrays):
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


cdef dict _cut(dict arrays, size_t written, size_t rows):
    """The arrays cut to their first ``written`` rows (copies, so the spare rows are
    freed) when fewer than ``rows`` were written."""
    if written == rows:
        return arrays
    return {name: array[:written].copy() for name, array in arrays.items()}


cdef class _BorrowedColumn:
    """A read-only buffer over one column of a market data handle's column store. It
    holds the ``MarketDataInMemory`` (whose records never change and live as long as it
    does), so a numpy array made from it stays valid whatever happens to the caller's
    references."""
    cdef object owner
    cdef const void *ptr
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]
    cdef bytes format

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        if flags & PyBUF_WRITABLE:
            raise BufferError("market data columns are read-only")
        buffer.buf = <void *>self.ptr
        buffer.obj = self
        buffer.len = self.shape[0] * self.strides[0]
        buffer.readonly = 1
        buffer.itemsize = self.strides[0]
        buffer.format = <char *>self.format if flags & PyBUF_FORMAT else NULL
        buffer.ndim = 1
        buffer.shape = self.shape
        buffer.strides = self.strides
        buffer.suboffsets = NULL
        buffer.internal = NULL

    def __releasebuffer__(self, Py_buffer *buffer):
        pass


cdef object _borrowed(object np, object dtype, MarketDataInMemory owner, const void *ptr, size_t rows, bytes fmt,
                      Py_ssize_t itemsize):
    """A read-only numpy array over ``rows`` values at ``ptr`` inside ``owner``'s store."""
    cdef _BorrowedColumn column = _BorrowedColumn.__new__(_BorrowedColumn)
    column.owner = owner
    column.ptr = ptr
    column.shape[0] = rows
    column.strides[0] = itemsize
    column.format = fmt
    return np.frombuffer(column, dtype=dtype)


cdef dict _trade_column_views(object np, MarketDataInMemory handle):
    """The trades' columns borrowed from the column store, nothing copied (a single
    instrument is a broadcast view), or None when the handle holds barter's records."""
    cdef BarterTradeColumnViews views
    cdef bool found = False
    cdef BarterError *err = NULL
    _check(barter_market_data_trade_column_views(handle.get(), &views, &found, &err), err)
    if not found:
        return None
    cdef size_t rows = views.len
    time_ns = _borrowed(np, np.int64, handle, views.time_exchange_ns, rows, b"q", 8)
    received = time_ns if views.time_received_ns == NULL else _borrowed(
        np, np.int64, handle, views.time_received_ns, rows, b"q", 8)
    if views.instrument == NULL:
        # One instrument for every trade: a broadcast view (stride 0), no memory per row.
        instrument = np.broadcast_to(np.int64(views.instrument_all), (rows,))
    else:
        instrument = _borrowed(np, np.int64, handle, views.instrument, rows, b"q", 8)
    return {"time_ns": time_ns, "time_received_ns": received, "instrument": instrument,
            "price": _borrowed(np, np.float64, handle, views.price, rows, b"d", 8),
            "amount": _borrowed(np, np.float64, handle, views.amount, rows, b"d", 8),
            "side": _borrowed(np, np.int8, handle, views.side, rows, b"b", 1)}


def market_data_trade_columns(MarketDataInMemory handle not None):
    """The handle's trades as a dict of read-only 1-D numpy arrays (time_ns,
    time_received_ns, instrument, price, amount, side). Trades held as columns are
    borrowed in place (no copy); otherwise Rust fills
    new arrays in one pass with the GIL released (allocated for every item, then cut to
    the trades when there are fewer)."""
    import numpy as np
    views = _trade_column_views(np, handle)
    if views is not None:
        return views
    cdef BarterMarketData *src = handle.get()
    cdef size_t rows = handle._items
    cdef size_t written = 0
    arrays = {
        "time_ns": np.empty(rows, np.int64),
        "time_received_ns": np.empty(rows, np.int64),
        "instrument": np.empty(rows, np.int64),
        "price": np.empty(rows, np.float64),
        "amount": np.empty(rows, np.float64),
        "side": np.empty(rows, np.int8),
    }
    cdef int64_t[::1] time_ns = arrays["time_ns"]
    cdef int64_t[::1] received = arrays["time_received_ns"]
    cdef int64_t[::1] instrument = arrays["instrument"]
    cdef double[::1] price = arrays["price"]
    cdef double[::1] amount = arrays["amount"]
    cdef int8_t[::1] side = arrays["side"]
    cdef BarterTradeColumnsOut out
    out.len = rows
    out.time_exchange_ns = &time_ns[0] if rows else NULL
    out.time_received_ns = &received[0] if rows else NULL
    out.instrument = &instrument[0] if rows else NULL
    out.price = &price[0] if rows else NULL
    out.amount = &amount[0] if rows else NULL
    out.side = &side[0] if rows else NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_trade_columns(src, &out, &written, &err)
    _check(status, err)
    return _read_only(_cut(arrays, written, rows))


def market_data_candle_columns(MarketDataInMemory handle not None):
    """The handle's candles as a dict of new read-only numpy arrays (time_ns, instrument, open,
    high, low, close, volume, trade_count), filled by Rust in one pass with the GIL
    released. Allocated for every item, then cut to the candles when there are fewer."""
    import numpy as np
    cdef BarterMarketData *src = handle.get()
    cdef size_t rows = handle._items
    cdef size_t written = 0
    arrays = {
        "time_ns": np.empty(rows, np.int64),
        "instrument": np.empty(rows, np.int64),
        "open": np.empty(rows, np.float64),
        "high": np.empty(rows, np.float64),
        "low": np.empty(rows, np.float64),
        "close": np.empty(rows, np.float64),
        "volume": np.empty(rows, np.float64),
        "trade_count": np.empty(rows, np.uint64),
    }
    cdef int64_t[::1] time_ns = arrays["time_ns"]
    cdef int64_t[::1] instrument = arrays["instrument"]
    cdef double[::1] open_ = arrays["open"]
    cdef double[::1] high = arrays["high"]
    cdef double[::1] low = arrays["low"]
    cdef double[::1] close = arrays["close"]
    cdef double[::1] volume = arrays["volume"]
    cdef uint64_t[::1] trade_count = arrays["trade_count"]
    cdef BarterCandleColumnsOut out
    out.len = rows
    out.time_ns = &time_ns[0] if rows else NULL
    out.instrument = &instrument[0] if rows else NULL
    out.open = &open_[0] if rows else NULL
    out.high = &high[0] if rows else NULL
    out.low = &low[0] if rows else NULL
    out.close = &close[0] if rows else NULL
    out.volume = &volume[0] if rows else NULL
    out.trade_count = &trade_count[0] if rows else NULL
    cdef BarterError *err = NULL
    cdef BarterStatus status
    with nogil:
        status = barter_market_data_candle_columns(src, &out, &written, &err)
    _check(status, err)
    return _read_only(_cut(arrays, written, rows))
