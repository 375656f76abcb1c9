# cython: language_level=3
"""Thin owners of the Rust handles. Every call into Rust releases the GIL; every error
comes back as a status plus an owned message and is raised here as a Python exception.
Handles are immutable and thread-safe on the Rust side, so these objects can be shared
across threads; each frees its handle exactly once, in ``__dealloc__``."""

from libc.stdint cimport uint8_t, int64_t
from libc.stdlib cimport malloc, free
from libc.math cimport isnan
from cpython.exc cimport PyErr_CheckSignals
from cpython.ref cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeUTF8
from barter_cy._ffi cimport *

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
        return _errors.BarterPanic(message)
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
    raise _exception_for(status, message)


cdef bytes _take_bytes(uint8_t *ptr, size_t length):
    """Copies a Rust-owned buffer into Python bytes and frees it."""
    try:
        return (<char *>ptr)[:length] if length else b""
    finally:
        barter_bytes_free(ptr, length)


cdef bytes _path_bytes(object path):
    import os
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


cdef class MarketDataHandle:
    """Owns a ``BarterMarketData*``."""
    cdef BarterMarketData *ptr

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_market_data_free(self.ptr)
            self.ptr = NULL

    cdef BarterMarketData *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("market data handle is closed or was never opened")
        return self.ptr

    @staticmethod
    cdef MarketDataHandle wrap(BarterMarketData *ptr):
        cdef MarketDataHandle handle = MarketDataHandle.__new__(MarketDataHandle)
        handle.ptr = ptr
        return handle

    @staticmethod
    def from_file(path, bint skip_errors=False, size_t threads=0):
        """JSON market data from a plain, gzip or zstd file; ``threads`` parser threads
        for JSON Lines (0: one per core)."""
        cdef bytes raw = _path_bytes(path)
        cdef const char *c_path = raw
        cdef BarterLoadOptions options
        options.skip_errors = skip_errors
        options.threads = threads
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_from_json_file_with(c_path, &options, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    @staticmethod
    def from_binary(const uint8_t[::1] data, str source, size_t threads=0):
        """Market data from its binary form (``to_binary``)."""
        cdef bytes raw_source = _cstr(source, "source")
        cdef const char *c_source = raw_source
        cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
        cdef size_t length = data.shape[0]
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_from_bytes(ptr, length, c_source, threads, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    def to_binary(self):
        """The binary form (versioned header, checksum, every record exact) as bytes."""
        cdef BarterMarketData *src = self.get()
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_to_bytes(src, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)

    def save(self, path):
        """Writes the binary form to ``path``."""
        cdef BarterMarketData *src = self.get()
        cdef bytes raw = _path_bytes(path)
        cdef const char *c_path = raw
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_save(src, c_path, &err)
        _check(status, err)

    @staticmethod
    def load(path, size_t threads=0):
        """Reads a file written by ``save``."""
        cdef bytes raw = _path_bytes(path)
        cdef const char *c_path = raw
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_load(c_path, threads, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    @staticmethod
    def from_bytes(const uint8_t[::1] data, str source, bint skip_errors=False):
        cdef bytes raw_source = _cstr(source, "source")
        cdef const char *c_source = raw_source
        cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
        cdef size_t length = data.shape[0]
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_from_json_bytes(ptr, length, c_source, skip_errors, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    def clone(self):
        cdef BarterMarketData *src = self.get()
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_clone(src, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    def info(self):
        """(records, items, reconnects, skipped_errors, time_first_event_ns, max_instrument)"""
        cdef BarterMarketData *src = self.get()
        cdef BarterMarketDataInfo info
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_market_data_info(src, &info, &err)
        _check(status, err)
        return (info.records, info.items, info.reconnects, info.skipped_errors,
                info.time_first_event_ns, info.max_instrument)

    def build_events(self, size_t start, size_t stop):
        """MarketEvent objects for the items among records start..stop (clamped).

        Trades (the bulk of market data) are read straight from Rust's memory through
        ``barter_market_data_record_view`` (no JSON, no intermediate copy) and built here;
        the other kinds go through their JSON rows."""
        from barter_cy import data
        cdef BarterMarketData *src = self.get()
        cdef BarterMarketDataInfo info
        cdef BarterRecordView view
        cdef BarterError *err = NULL
        cdef BarterStatus status
        cdef size_t index
        status = barter_market_data_info(src, &info, &err)
        _check(status, err)
        if stop > info.records:
            stop = info.records
        new = object.__new__
        MarketEvent, DataKind, PublicTrade = data.MarketEvent, data.DataKind, data.PublicTrade
        buy, sell = data.Side.BUY, data.Side.SELL
        exchanges = {}
        out = []
        with data._gc_paused():
            for index in range(start, stop):
                status = barter_market_data_record_view(src, index, &view, &err)
                _check(status, err)
                if view.kind == BARTER_RECORD_KIND_RECONNECTING:
                    continue
                if view.kind != BARTER_RECORD_KIND_TRADE:
                    out.extend(data.events_from_wire_json(self.events_json(index, index + 1)))
                    continue
                exchange = exchanges.get(<size_t>view.exchange)
                if exchange is None:
                    exchange = PyUnicode_DecodeUTF8(<const char *>view.exchange, view.exchange_len, NULL)
                    exchanges[<size_t>view.exchange] = exchange
                trade = new(PublicTrade)
                trade._id = PyUnicode_DecodeUTF8(<const char *>view.trade_id, view.trade_id_len, NULL)
                trade._price = view.trade_price
                trade._amount = view.trade_amount
                trade._side = buy if view.trade_side == 0 else sell
                kind = new(DataKind)
                kind._kind_name = "public_trade"
                kind._value = trade
                event = new(MarketEvent)
                event._time_exchange = view.time_exchange_ns
                event._time_received = view.time_received_ns
                event._exchange = exchange
                event._instrument = view.instrument
                event._kind = kind
                out.append(event)
        return out

    def events_json(self, size_t start, size_t stop):
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


cdef class SystemConfigHandle:
    """Owns a ``BarterSystemConfig*``."""
    cdef BarterSystemConfig *ptr

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_system_config_free(self.ptr)
            self.ptr = NULL

    cdef BarterSystemConfig *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("system config handle is closed or was never opened")
        return self.ptr

    @staticmethod
    cdef SystemConfigHandle wrap(BarterSystemConfig *ptr):
        cdef SystemConfigHandle handle = SystemConfigHandle.__new__(SystemConfigHandle)
        handle.ptr = ptr
        return handle

    @staticmethod
    def from_file(path):
        cdef bytes raw = _path_bytes(path)
        cdef const char *c_path = raw
        cdef BarterSystemConfig *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_system_config_from_json_file(c_path, &out, &err)
        _check(status, err)
        return SystemConfigHandle.wrap(out)

    @staticmethod
    def from_bytes(const uint8_t[::1] data, str source):
        cdef bytes raw_source = _cstr(source, "source")
        cdef const char *c_source = raw_source
        cdef const uint8_t *ptr = &data[0] if data.shape[0] else NULL
        cdef size_t length = data.shape[0]
        cdef BarterSystemConfig *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_system_config_from_json_bytes(ptr, length, c_source, &out, &err)
        _check(status, err)
        return SystemConfigHandle.wrap(out)

    def info(self):
        """(instruments, executions, exchanges, assets, has_risk_free_return)"""
        cdef BarterSystemConfig *src = self.get()
        cdef BarterSystemConfigInfo info
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_system_config_info(src, &info, &err)
        _check(status, err)
        return (info.instruments, info.executions, info.exchanges, info.assets,
                True if info.has_risk_free_return else False)

    def to_json(self):
        cdef BarterSystemConfig *src = self.get()
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_system_config_to_json(src, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)


cdef class ArgsConstantHandle:
    """Owns a ``BarterBacktestArgsConstant*``."""
    cdef BarterBacktestArgsConstant *ptr

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_backtest_args_constant_free(self.ptr)
            self.ptr = NULL

    cdef BarterBacktestArgsConstant *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("backtest arguments handle is closed or was never opened")
        return self.ptr

    @staticmethod
    def new(SystemConfigHandle config not None, MarketDataHandle market_data not None,
            str summary_interval, initial_balances_json):
        cdef BarterSystemConfig *c_config = config.get()
        cdef BarterMarketData *c_market = market_data.get()
        cdef bytes raw_interval = _cstr(summary_interval, "summary_interval")
        cdef const char *c_interval = raw_interval
        cdef bytes raw_balances = None
        cdef const char *c_balances = NULL
        if initial_balances_json is not None:
            raw_balances = _cstr(initial_balances_json, "initial_balances")
            c_balances = raw_balances
        cdef BarterBacktestArgsConstant *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_args_constant_new(c_config, c_market, c_interval, c_balances, &out, &err)
        _check(status, err)
        cdef ArgsConstantHandle handle = ArgsConstantHandle.__new__(ArgsConstantHandle)
        handle.ptr = out
        return handle

    def info(self):
        """(instruments, executions, summary_interval index)"""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef BarterBacktestArgsConstantInfo info
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_args_constant_info(src, &info, &err)
        _check(status, err)
        return (info.instruments, info.executions, info.summary_interval)

    def market_data(self):
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef BarterMarketData *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_args_constant_market_data(src, &out, &err)
        _check(status, err)
        return MarketDataHandle.wrap(out)

    def run(self, ArgsDynamicHandle dynamic not None, CancelToken cancel=None):
        """One backtest; returns the BacktestSummary JSON bytes."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef BarterBacktestArgsDynamic *c_dynamic = dynamic.get()
        cdef const BarterCancel *c_cancel = NULL if cancel is None else cancel.ptr
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_run(src, c_dynamic, c_cancel, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)

    def run_many(self, list dynamics, size_t max_concurrent=0, CancelToken cancel=None):
        """Backtests on Rust threads (0: one per core); returns the
        MultiBacktestSummary JSON bytes."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef size_t count = len(dynamics)
        cdef const BarterBacktestArgsDynamic **array = NULL
        cdef const BarterCancel *c_cancel = NULL if cancel is None else cancel.ptr
        cdef size_t index
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        if count:
            array = <const BarterBacktestArgsDynamic **>malloc(count * sizeof(void *))
            if array == NULL:
                raise MemoryError()
        try:
            for index in range(count):
                array[index] = (<ArgsDynamicHandle?>dynamics[index]).get()
            with nogil:
                status = barter_backtest_run_many(src, array, count, max_concurrent, c_cancel, &ptr, &length, &err)
        finally:
            free(array)
        _check(status, err)
        return _take_bytes(ptr, length)


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


cdef class ArgsDynamicHandle:
    """Owns a ``BarterBacktestArgsDynamic*``."""
    cdef BarterBacktestArgsDynamic *ptr
    cdef object strategy  # the StrategyHandle, kept alive with the arguments that use it

    def __dealloc__(self):
        if self.ptr != NULL:
            barter_backtest_args_dynamic_free(self.ptr)
            self.ptr = NULL

    cdef BarterBacktestArgsDynamic *get(self) except NULL:
        if self.ptr == NULL:
            raise ValueError("backtest dynamic arguments handle is closed or was never opened")
        return self.ptr

    @staticmethod
    def new(str id, str risk_free_return, StrategyHandle strategy, bint fill_signal, bint close_at_end):
        cdef bytes raw_id = _cstr(id, "id")
        cdef bytes raw_rfr = _cstr(risk_free_return, "risk_free_return")
        cdef const char *c_id = raw_id
        cdef const char *c_rfr = raw_rfr
        cdef const BarterStrategy *c_strategy = NULL if strategy is None else strategy.get()
        cdef BarterFill fill = BARTER_FILL_SIGNAL if fill_signal else BARTER_FILL_NEXT
        cdef BarterBacktestArgsDynamic *out = NULL
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_args_dynamic_new(c_id, c_rfr, c_strategy, fill, close_at_end, &out, &err)
        _check(status, err)
        cdef ArgsDynamicHandle handle = ArgsDynamicHandle.__new__(ArgsDynamicHandle)
        handle.ptr = out
        handle.strategy = strategy
        return handle


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
    cdef MarketDataHandle _market_data
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
            events = self._market_data.build_events(self.record, self.record + 1)
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

    def __init__(self, strategy, MarketDataHandle market_data not None, list names, list assets):
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
            if self.calls & 1023 == 0:
                PyErr_CheckSignals()  # Ctrl-C: raises KeyboardInterrupt here (main thread)
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


# ---------------------------------------------------------------------------
# Columnar market data: trades and candles from / to 1-D columns
# ---------------------------------------------------------------------------
# Module-level functions over MarketDataHandle: the columns cross the C ABI as pointers
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
    """A MarketDataHandle of trades from C-contiguous columns (no copy). ``time_received_ns``
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
    return MarketDataHandle.wrap(out)


def market_data_from_candle_columns(const int64_t[::1] time_ns not None, const double[::1] open not None,
                                    const double[::1] high not None, const double[::1] low not None,
                                    const double[::1] close not None, const double[::1] volume not None,
                                    const uint64_t[::1] trade_count, const int64_t[::1] instrument,
                                    str exchange not None, size_t instrument_scalar=0):
    """A MarketDataHandle of candles from C-contiguous columns (``time_ns``: close times).
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
    return MarketDataHandle.wrap(out)


cdef dict _cut(dict arrays, size_t written, size_t rows):
    """The arrays cut to their first ``written`` rows (copies, so the spare rows are
    freed) when fewer than ``rows`` were written."""
    if written == rows:
        return arrays
    return {name: array[:written].copy() for name, array in arrays.items()}


def market_data_trade_columns(MarketDataHandle handle not None):
    """The handle's trades as a dict of new numpy arrays (time_ns, time_received_ns,
    instrument, price, amount, side), filled by Rust in one pass with the GIL released.
    Allocated for every item, then cut to the trades when there are fewer."""
    import numpy as np
    cdef BarterMarketData *src = handle.get()
    cdef size_t rows = handle.info()[1]
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
    return _cut(arrays, written, rows)


def market_data_candle_columns(MarketDataHandle handle not None):
    """The handle's candles as a dict of new numpy arrays (time_ns, instrument, open,
    high, low, close, volume, trade_count), filled by Rust in one pass with the GIL
    released. Allocated for every item, then cut to the candles when there are fewer."""
    import numpy as np
    cdef BarterMarketData *src = handle.get()
    cdef size_t rows = handle.info()[1]
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
    return _cut(arrays, written, rows)
