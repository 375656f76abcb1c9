"""Exceptions raised by barter_cy."""

__all__ = ["BarterError", "BarterPanic"]


class BarterError(RuntimeError):
    """barter reported an error while running (the message is barter's)."""


class BarterPanic(BarterError):
    """A Rust panic was caught at the C boundary; the process goes on.

    A subclass of :class:`BarterError` (and so of ``RuntimeError``).
    """
