"""Exceptions raised by barter_cy."""

__all__ = ["DOCUMENTED_EXCEPTIONS", "BacktestsFailed", "BarterError", "BarterPanic", "BatchFailed"]


class BarterError(RuntimeError):
    """barter reported an error while running (the message is barter's)."""


class BarterPanic(BarterError):
    """A Rust panic was caught at the C boundary; the process goes on.

    A subclass of :class:`BarterError` (and so of ``RuntimeError``). The message is the
    panic's; ``backtrace`` is Rust's backtrace of it when ``RUST_BACKTRACE`` (or
    ``RUST_LIB_BACKTRACE``) enabled one, else None.
    """

    backtrace: str | None = None


class BacktestsFailed(BarterError):
    """Some backtests of a ``run_backtests`` call raised: ``summary`` holds the
    :class:`~barter_cy.summary.MultiBacktestSummary` of those that finished (input
    order), ``errors`` maps each failed backtest's id to the exception it raised. The
    first of those exceptions is also the ``__cause__``."""

    def __init__(self, summary, errors):
        self.summary = summary
        self.errors = dict(errors)
        first_id, first = next(iter(self.errors.items()))
        super().__init__(
            f"{len(self.errors)} backtest(s) failed ({', '.join(map(repr, self.errors))}); "
            f"first: {first_id!r}: {type(first).__name__}: {first}"
        )
        self.__cause__ = first

    def __reduce__(self):
        # Raised in worker processes (processes=, Dask) and pickled back to the caller.
        return (type(self), (self.summary, self.errors))


class BatchFailed(BarterError):
    """A batch of a distributed sweep (:func:`barter_cy.distributed.run_backtests`)
    failed: ``ids`` are the ids of the variants it held (input order), ``batch`` its
    index among the batches. The exception the worker raised (or Dask's, e.g. a lost
    worker) is the ``__cause__``."""

    def __init__(self, batch, ids, error):
        self.batch = batch
        self.ids = list(ids)
        super().__init__(
            f"batch {batch} (variants {', '.join(map(repr, self.ids))}) failed: {type(error).__name__}: {error}"
        )
        self.__cause__ = error

    def __reduce__(self):
        return (type(self), (self.batch, self.ids, self.__cause__))


#: Every exception type a public barter_cy call can raise (README, "Errors"), besides
#: whatever a Python strategy's own code raises (re-raised as it was). ValueError and
#: TypeError name the field, parameter, record or file position; ImportError names a
#: missing optional extra (pandas, tqdm, dask, matplotlib); IndexError, KeyError and
#: AttributeError are the protocols' own (summary indexing, ``by_id``, the immutable
#: objects); NotImplementedError is ``risk=`` other than None; BatchFailed is
#: a failed batch of ``barter_cy.distributed.run_backtests``.
DOCUMENTED_EXCEPTIONS = (
    FileNotFoundError,
    OSError,
    ValueError,
    TypeError,
    NotImplementedError,
    ImportError,
    IndexError,
    KeyError,
    AttributeError,
    KeyboardInterrupt,
    BarterError,
    BarterPanic,
    BacktestsFailed,
    BatchFailed,
)
