"""Long native calls from Python: Ctrl-C, progress and Rust's log records.

- :func:`interruptible` runs a native call (which releases the GIL) so that Ctrl-C
  trips its cancel token, and reads its progress counter while it runs.
- :class:`Progress` turns ``progress=True`` (a tqdm bar) or ``progress=callable``
  (called with ``(done, total)``) into updates on the calling thread, at most every
  ~100 ms and once at the end with ``done == total``.
- :func:`drain_logs` emits the records Rust queued (barter's ``tracing`` events and
  caught panics) through :mod:`logging`, logger ``"barter"``. Rust never calls into
  Python: records wait in a bounded queue (the newest 10,000) until drained, which
  happens while a long call runs, after it, and before an error is raised.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Any, Callable

from barter_cy import _native

__all__ = ["LOGGER", "Progress", "drain_logs", "interruptible", "set_log_level"]

#: The logger Rust's records go to. A library adds no handler but a NullHandler:
#: configure logging (``logging.basicConfig()``) to see them.
LOGGER = logging.getLogger("barter")
LOGGER.addHandler(logging.NullHandler())

# Rust level (1 error ... 5 trace) -> logging level.
_TO_PYTHON = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: logging.DEBUG}

#: Seconds between two progress updates, and between two waits of the polling loop.
PROGRESS_INTERVAL = 0.1
_POLL = 0.05


def _rust_level(python_level: int) -> int:
    """The Rust filter for a logger's effective level: only what would be emitted is
    recorded. ``DEBUG`` records barter's debug events; a level below ``DEBUG`` (e.g. 5)
    its trace events too (both arrive as ``DEBUG``)."""
    if python_level < logging.DEBUG:
        return 5
    if python_level <= logging.DEBUG:
        return 4
    if python_level <= logging.INFO:
        return 3
    if python_level <= logging.WARNING:
        return 2
    if python_level <= logging.ERROR:
        return 1
    return 0


def sync_log_level() -> None:
    """Sets Rust's filter from ``logging.getLogger("barter").getEffectiveLevel()``
    (called before every long native call)."""
    level = _rust_level(LOGGER.getEffectiveLevel())
    if _native.log_level() != level:
        _native.log_set_level(level)


def set_log_level(level: int | str) -> None:
    """Set the level of the ``"barter"`` logger (``logging.DEBUG``, ``"INFO"``, ...) and
    Rust's filter with it. Records below ``WARNING`` are not even recorded by Rust
    unless the logger allows them; this is the same as
    ``logging.getLogger("barter").setLevel(level)``, applied at once."""
    LOGGER.setLevel(level)
    sync_log_level()


def drain_logs() -> None:
    """Emits the queued Rust records on the ``"barter"`` logger, in order: the message
    is ``"<target>: <message> <field>=<value>..."``, the record's ``rust_target`` is
    the Rust module path. Lost records (queue full) are reported as one warning."""
    drained = json.loads(_native.log_drain())
    if drained["dropped"]:
        LOGGER.warning("%d Rust log records were dropped (more than 10,000 queued between two drains)",
                       drained["dropped"])
    for record in drained["records"]:
        target = record["target"]
        LOGGER.log(_TO_PYTHON.get(record["level"], logging.DEBUG), "%s: %s", target, record["message"],
                   extra={"rust_target": target})


class Progress:
    """Progress of ``total`` units for ``progress=`` arguments: ``True`` shows a tqdm
    bar (extra ``progress``), a callable gets ``(done, total)``, ``False``/``None``
    nothing. :meth:`update` is throttled to one call per ~100 ms; :meth:`finish`
    reports ``done == total`` once. Use as a context manager (closes the bar)."""

    def __init__(self, progress: Any, total: int, description: str = "backtests") -> None:
        self.total = total
        self._callback: Callable[[int, int], Any] | None = None
        self._bar = None
        self._last_done = -1
        self._last_time = 0.0
        if progress is None or progress is False:
            return
        if progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError as error:
                raise ImportError(
                    "progress=True needs tqdm: pip install 'barter_cy[progress]' (or pass a callable)"
                ) from error
            self._bar = tqdm(total=total, desc=description, unit="backtest")
        elif callable(progress):
            self._callback = progress
        else:
            raise TypeError(f"progress must be a bool or a callable(done, total), got {type(progress).__name__}")

    @property
    def active(self) -> bool:
        return self._bar is not None or self._callback is not None

    def update(self, done: int, force: bool = False) -> None:
        """Reports ``done`` units if it changed and ~100 ms passed since the last report."""
        if not self.active or done == self._last_done:
            return
        now = time.monotonic()
        if not force and now - self._last_time < PROGRESS_INTERVAL:
            return
        self._last_done, self._last_time = done, now
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
        else:
            self._callback(done, self.total)

    def finish(self) -> None:
        """Reports ``done == total`` (once)."""
        if self._last_done != self.total:
            self.update(self.total, force=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def interruptible(call: Any, *args: Any, on_progress: Callable[[int], Any] | None = None) -> Any:
    """Runs ``call(*args, cancel=token)`` (a native call that releases the GIL) so that
    Ctrl-C works. On the main thread, with Python's default SIGINT handler, the call runs
    right here with a C SIGINT handler that trips the token before Python's runs (no
    helper thread). With another handler installed, or with ``on_progress``, the call
    runs on a helper thread while this one waits in short slices; a KeyboardInterrupt
    trips the token, waits for Rust to stop (within milliseconds) and is re-raised. Off
    the main thread (signals only reach the main thread) the call runs directly, unless
    ``on_progress`` is given.

    With ``on_progress``, the call also gets ``progress=counter`` and
    ``on_progress(counter.done())`` is called from the waiting loop (every ~50 ms) and
    once after the call returns. Rust's log records are emitted while waiting and after
    the call."""
    sync_log_level()
    token = _native.CancelToken()
    kwargs: dict[str, Any] = {"cancel": token}
    counter = None
    if on_progress is not None:
        counter = _native.ProgressCounter()
        kwargs["progress"] = counter
    try:
        if counter is None:
            if threading.current_thread() is not threading.main_thread():
                return call(*args, **kwargs)
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                return _native.call_on_sigint(token, call, args, kwargs)
        value = _wait_for(call, args, kwargs, token, counter, on_progress)
        if counter is not None:
            on_progress(counter.done())
        return value
    finally:
        drain_logs()


def _wait_for(call: Any, args: tuple, kwargs: dict, token: Any, counter: Any, on_progress: Any) -> Any:
    outcome: list = []
    began = threading.Event()
    done = threading.Event()

    def work() -> None:
        began.set()
        try:
            outcome.append((True, call(*args, **kwargs)))
        except BaseException as error:  # handed to the waiting thread
            outcome.append((False, error))
        finally:
            done.set()

    # Waiting on an Event, not Thread.join: an interrupted join() in CPython 3.11 can
    # mark a running thread as finished, and later joins then return at once.
    worker = threading.Thread(target=work, name="barter-cy-call", daemon=True)
    started = False
    try:
        worker.start()
        started = True
        while not done.wait(_POLL):
            drain_logs()
            if counter is not None:
                on_progress(counter.done())
    except BaseException:  # Ctrl-C, or an exception from on_progress / a log handler
        token.cancel()
        # Interrupted inside start(), the thread may or may not have begun: it says so.
        if began.wait(None if started else 1.0):
            done.wait()
        raise
    ok, value = outcome[0]
    if ok:
        return value
    raise value
