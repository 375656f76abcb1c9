# The C-level interface of barter_cy._native: the public classes as Cython extension
# types, for the module itself and for other Cython extensions, which write
#
#     from barter_cy.native cimport MarketDataInMemory, BacktestArgsConstant, ...
#
# (barter_cy/native.pxd re-exports these names). The `cdef` methods below are called
# through each type's C vtable, so a downstream extension calls Rust through _native's
# copy of the library: it links nothing from Rust and needs only the header
# (barter_cy.get_include()) to compile. Methods marked `nogil` can be called without
# the GIL, from `with nogil:` blocks or prange loops.

from libc.stdint cimport int64_t, uint8_t
from barter_cy._ffi cimport (
    BarterBacktestArgsConstant,
    BarterBacktestArgsDynamic,
    BarterError,
    BarterMarketData,
    BarterRecordView,
    BarterStatus,
    BarterSummaries,
    BarterSystemConfig,
)


cdef struct BacktestRun:
    # The outcome of BacktestArgsConstant.run_nogil. Give it to backtest_run_summary
    # (which takes ownership) or backtest_run_free; never both.
    BarterStatus status
    BarterSummaries *summaries
    BarterError *error
    # A message of ours when status is not OK and `error` is NULL (static storage).
    const char *message


cdef class MarketDataInMemory:
    cdef BarterMarketData *ptr
    cdef size_t _records
    cdef size_t _items
    cdef size_t _reconnects
    cdef size_t _skipped_errors
    cdef size_t _max_instrument
    cdef int64_t _first_ns
    cdef object _first_event
    cdef object __weakref__

    cdef int _adopt(self, BarterMarketData *ptr) except -1
    cdef BarterMarketData *get(self) except NULL

    # Records (items and reconnect markers).
    cdef size_t record_count(self) noexcept nogil
    # time_exchange of the first item, ns since the epoch (UTC).
    cdef int64_t first_event_time_ns(self) noexcept nogil
    # The record at `index` as borrowed C values (valid while this object lives):
    # 0 on success, -1 when `index` is out of range.
    cdef int record_at(self, size_t index, BarterRecordView *out) noexcept nogil
    # The trade at `index`: 0 on success, 1 when the record is not a trade (its kind is
    # another market event or a reconnect marker), -1 when `index` is out of range.
    # `side` is 1 for a buy, -1 for a sell.
    cdef int trade_at(self, size_t index, int64_t *time_ns, double *price, double *amount,
                      int *side) noexcept nogil


cdef class SystemConfig:
    cdef BarterSystemConfig *ptr
    cdef size_t _instruments
    cdef size_t _executions
    cdef object _exported
    cdef object __weakref__

    cdef BarterSystemConfig *get(self) except NULL


cdef class BacktestArgsDynamic


cdef class BacktestArgsConstant:
    cdef BarterBacktestArgsConstant *ptr
    cdef SystemConfig _system_config
    cdef MarketDataInMemory _market_data
    cdef str _interval
    cdef object _balances
    cdef size_t _instruments
    cdef size_t _executions
    cdef object __weakref__

    cdef BarterBacktestArgsConstant *get(self) except NULL
    # One backtest without the GIL (built-in strategies and DefaultStrategy; a Python
    # strategy needs the GIL and is refused with BARTER_STATUS_INVALID_INPUT). Always
    # fills `out`.
    cdef void run_nogil(self, BacktestArgsDynamic dynamic, BacktestRun *out) noexcept nogil


cdef class BacktestArgsDynamic:
    cdef BarterBacktestArgsDynamic *ptr
    cdef str _id
    cdef object _risk_free_return
    cdef bytes _risk_free_text
    cdef object _strategy
    cdef str _fill
    cdef bint _close_at_end
    # The StrategyHandle the Rust arguments point to, kept alive with them.
    cdef object _strategy_handle
    # A Strategy written in Python: `ptr` runs DefaultStrategy; runs make their own.
    cdef bint _python_strategy
    cdef object __weakref__

    cdef BarterBacktestArgsDynamic *get(self) except NULL
    cdef int _set_handle(self, object strategy_handle) except -1


# The BacktestSummary of a run (taking ownership of its buffers); raises the run's error
# as the Python exception the rest of barter_cy raises for it.
cdef object backtest_run_summary(BacktestRun *run)
# Frees what a run holds, without looking at it.
cdef void backtest_run_free(BacktestRun *run) noexcept nogil
