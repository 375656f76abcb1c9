# cython: language_level=3
"""A downstream Cython extension written as a user of barter_cy would write one: it
cimports barter_cy's extension types and calls their C-level methods without the GIL.
Built by tests/test_embedding.py against barter_cy.get_include()."""

from libc.stdint cimport int64_t
from barter_cy.native cimport (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    BacktestRun,
    MarketDataInMemory,
    backtest_run_free,
    backtest_run_summary,
)


def trade_totals(MarketDataInMemory md not None):
    """(records, first event ns, trades, sum of price * amount, buys, sells), read
    record by record without the GIL."""
    cdef size_t index, records, trades = 0, buys = 0, sells = 0
    cdef int64_t first, time_ns
    cdef double price, amount, notional = 0.0
    cdef int side
    with nogil:
        records = md.record_count()
        first = md.first_event_time_ns()
        for index in range(records):
            if md.trade_at(index, &time_ns, &price, &amount, &side) == 0:
                trades += 1
                notional += price * amount
                if side > 0:
                    buys += 1
                else:
                    sells += 1
    return records, first, trades, notional, buys, sells


def trade(MarketDataInMemory md not None, size_t index):
    """The status of trade_at and the trade's C values."""
    cdef int64_t time_ns = 0
    cdef double price = 0.0, amount = 0.0
    cdef int side = 0
    cdef int status
    with nogil:
        status = md.trade_at(index, &time_ns, &price, &amount, &side)
    return status, time_ns, price, amount, side


def backtest(BacktestArgsConstant constant not None, BacktestArgsDynamic dynamic not None):
    """One backtest run without the GIL, then turned into a BacktestSummary."""
    cdef BacktestRun run
    with nogil:
        constant.run_nogil(dynamic, &run)
    return backtest_run_summary(&run)


def backtest_discarded(BacktestArgsConstant constant not None, BacktestArgsDynamic dynamic not None):
    """Runs and frees the result without looking at it; returns whether it succeeded."""
    cdef BacktestRun run
    with nogil:
        constant.run_nogil(dynamic, &run)
        backtest_run_free(&run)
    return run.status == 0 and run.summaries == NULL
