"""Exceptions raised by barter_cy."""

__all__ = ["DOCUMENTED_EXCEPTIONS", "BacktestsFailed", "BarterError", "BarterPanic"]


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


#: Every exception type a public barter_cy call can raise (README, "Errors"), besides
#: whatever a Python strategy's own code raises (re-raised as it was). ValueError and TypeError name the field, parameter, record or file
#: position; ImportError names a missing optional extra (pandas, tqdm); IndexError,
#: KeyError and AttributeError are the protocols' own (summary indexing, ``by_id``, the
#: immutable objects); NotImplementedError is ``risk=`` other than None.
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
)
