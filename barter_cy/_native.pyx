# cython: language_level=3
"""Thin owners of the Rust handles. Every call into Rust releases the GIL; every error
comes back as a status plus an owned message and is raised here as a Python exception.
Handles are immutable and thread-safe on the Rust side, so these objects can be shared
across threads; each frees its handle exactly once, in ``__dealloc__``."""

from libc.stdint cimport uint8_t, int64_t
from cpython.unicode cimport PyUnicode_DecodeUTF8
from barter_cy._ffi cimport *

from barter_cy import errors as _errors


cdef object _exception_for(BarterStatus status, str message):
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

    def run(self, str id, str risk_free_return):
        """One backtest; returns the BacktestSummary JSON bytes."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef bytes raw_id = _cstr(id, "id")
        cdef bytes raw_rfr = _cstr(risk_free_return, "risk_free_return")
        cdef const char *c_id = raw_id
        cdef const char *c_rfr = raw_rfr
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_run(src, c_id, c_rfr, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)

    def run_many(self, const uint8_t[::1] dynamics_json, size_t max_concurrent=0):
        """Concurrent backtests; returns the MultiBacktestSummary JSON bytes."""
        cdef BarterBacktestArgsConstant *src = self.get()
        cdef const uint8_t *data = &dynamics_json[0] if dynamics_json.shape[0] else NULL
        cdef size_t data_len = dynamics_json.shape[0]
        cdef uint8_t *ptr = NULL
        cdef size_t length = 0
        cdef BarterError *err = NULL
        cdef BarterStatus status
        with nogil:
            status = barter_backtest_run_many(src, data, data_len, max_concurrent, &ptr, &length, &err)
        _check(status, err)
        return _take_bytes(ptr, length)
