"""Backtests through barter's ``barter::backtest``: the argument classes, ``backtest()``
and ``run_backtests()``. Names follow the PyO3 bindings (``barter_python.backtest``) so
one script can run on either package.

Runs are synchronous, deterministic (same inputs, bit-identical summaries, at any
thread count) and release the GIL for their whole duration.

``barter_cy.backtest`` is a plain module, as in the PyO3 bindings: call
``barter_cy.backtest.backtest(args_constant, args_dynamic)`` (or
``from barter_cy.backtest import backtest``)."""

from __future__ import annotations

import json
import pickle
import threading
import time
from typing import Any, Iterable, Mapping

from barter_cy import _native
from barter_cy._native import FILLS, SUMMARY_INTERVALS, BacktestArgsConstant, BacktestArgsDynamic
from barter_cy.config import SystemConfig
from barter_cy.data import _dec_str, _decimal
from barter_cy.errors import BacktestsFailed, BarterError
from barter_cy.market_data import MarketDataInMemory
from barter_cy.strategy import Strategy
from barter_cy.summary import BacktestSummary, MultiBacktestSummary

__all__ = [
    "FILLS",
    "SUMMARY_INTERVALS",
    "BacktestArgsConstant",
    "BacktestArgsDynamic",
    "BacktestSummary",
    "MarketDataInMemory",
    "MultiBacktestSummary",
    "SystemConfig",
    "backtest",
    "run_backtests",
]

_BALANCE_KEYS = ("exchange", "asset", "total", "free")


def _balances_json(initial_balances: Any) -> str | None:
    if initial_balances is None:
        return None
    if isinstance(initial_balances, (str, bytes, Mapping)) or not isinstance(initial_balances, Iterable):
        raise TypeError(
            "initial_balances must be a list of {'exchange', 'asset', 'total', 'free'} dicts, "
            f"got {type(initial_balances).__name__}"
        )
    entries = []
    for index, entry in enumerate(initial_balances):
        where = f"initial_balances[{index}]"
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
        missing = [key for key in _BALANCE_KEYS if key not in entry]
        if missing:
            raise ValueError(f"{where} is missing {', '.join(missing)}")
        extra = sorted(set(entry) - set(_BALANCE_KEYS))
        if extra:
            raise ValueError(f"{where} has unknown keys {', '.join(map(str, extra))}")
        for key in ("exchange", "asset"):
            if not isinstance(entry[key], str):
                raise TypeError(f"{where}.{key} must be str, got {type(entry[key]).__name__}")
            if not entry[key].strip():
                raise ValueError(f"{where}.{key} must be a non-empty string, got {entry[key]!r}")
        entries.append(
            {
                "exchange": entry["exchange"],
                "asset": entry["asset"],
                "total": _dec_str(_decimal(entry["total"], f"{where}.total")),
                "free": _dec_str(_decimal(entry["free"], f"{where}.free")),
            }
        )
    return json.dumps(entries)


def _interruptible(call: Any, *args: Any) -> Any:
    """Runs ``call(*args, cancel=token)`` (a native call that releases the GIL) so that
    Ctrl-C works: on the main thread the call runs on a helper thread while this one waits
    in short slices; a KeyboardInterrupt trips the token, waits for Rust to stop (within
    milliseconds) and is re-raised. Elsewhere (signals only reach the main thread) the
    call runs directly."""
    token = _native.CancelToken()
    if threading.current_thread() is not threading.main_thread():
        return call(*args, cancel=token)
    outcome: list = []
    began = threading.Event()
    done = threading.Event()

    def work() -> None:
        began.set()
        try:
            outcome.append((True, call(*args, cancel=token)))
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
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        token.cancel()
        # Interrupted inside start(), the thread may or may not have begun: it says so.
        if began.wait(None if started else 1.0):
            done.wait()
        raise
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _check_constant(args_constant: Any) -> BacktestArgsConstant:
    if not isinstance(args_constant, BacktestArgsConstant):
        raise TypeError(f"args_constant must be BacktestArgsConstant, got {type(args_constant).__name__}")
    return args_constant


def backtest(args_constant: BacktestArgsConstant, args_dynamic: BacktestArgsDynamic) -> BacktestSummary:
    """Run one backtest (GIL released) and return its summary."""
    _check_constant(args_constant)
    if not isinstance(args_dynamic, BacktestArgsDynamic):
        raise TypeError(f"args_dynamic must be BacktestArgsDynamic, got {type(args_dynamic).__name__}")
    if not isinstance(args_dynamic.strategy, Strategy):
        return BacktestSummary._from_wire(json.loads(_interruptible(args_constant._run, args_dynamic)))
    run, per_run = args_dynamic._python_run(args_constant)
    try:
        raw = _interruptible(args_constant._run, per_run)
    except BarterError:
        if run.error is not None:
            raise run.error from None
        raise
    return BacktestSummary._from_wire(json.loads(raw))


def run_backtests(
    args_constant: BacktestArgsConstant,
    args_dynamic_iter: Iterable[BacktestArgsDynamic],
    *,
    max_concurrent: int | None = None,
    fail_fast: bool = False,
    processes: int | None = None,
) -> MultiBacktestSummary:
    """Run backtests; summaries come back in input order, each equal to its own
    :func:`backtest`. Ids must be unique (``ValueError`` listing duplicates); an empty
    iterable gives ``num_backtests == 0``.

    Built-in strategies run on Rust threads with the GIL released for the whole batch,
    the market data shared, never copied; ``max_concurrent`` is the number of threads
    (default: one per core). Results do not depend on it: every run is deterministic.

    Variants with a Python :class:`~barter_cy.strategy.Strategy` run one after another
    on the calling thread (their callbacks need the GIL), after the built-in ones. An
    exception in one of them stops that backtest only: the others still run, and then
    :class:`~barter_cy.BacktestsFailed` is raised, holding the summaries that finished
    (``.summary``) and the exception of each failed id (``.errors``). With
    ``fail_fast=True`` the first exception is raised as it is, at once.

    ``processes=N`` splits the variants into N contiguous parts run by N worker
    processes (``spawn``), each through this same function: Python strategies then run
    in parallel. The constant arguments (market data included) are pickled once per
    worker; strategies must pickle (classes importable by the workers)."""
    _check_constant(args_constant)
    if max_concurrent is None:
        max_concurrent = 0
    elif isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
        raise TypeError(f"max_concurrent must be int, got {type(max_concurrent).__name__}")
    elif not 1 <= max_concurrent <= 4096:
        raise ValueError(f"max_concurrent must be between 1 and 4096, got {max_concurrent}")
    if isinstance(args_dynamic_iter, (str, bytes, BacktestArgsDynamic)) or not isinstance(args_dynamic_iter, Iterable):
        raise TypeError(
            f"args_dynamic_iter must be an iterable of BacktestArgsDynamic, got {type(args_dynamic_iter).__name__}"
        )
    variants = []
    for index, args in enumerate(args_dynamic_iter):
        if not isinstance(args, BacktestArgsDynamic):
            raise TypeError(f"args_dynamic_iter[{index}] must be BacktestArgsDynamic, got {type(args).__name__}")
        variants.append(args)
    if processes is not None:
        if isinstance(processes, bool) or not isinstance(processes, int):
            raise TypeError(f"processes must be int, got {type(processes).__name__}")
        if not 1 <= processes <= 1024:
            raise ValueError(f"processes must be between 1 and 1024, got {processes}")
        if processes > 1 and len(variants) > 1:
            return _run_in_processes(args_constant, variants, processes, max_concurrent, fail_fast)
    python = [i for i, args in enumerate(variants) if isinstance(args.strategy, Strategy)]
    if not python:
        raw = _interruptible(args_constant._run_many, variants, max_concurrent)
        return MultiBacktestSummary._from_wire(json.loads(raw))

    # Mixed: built-ins on Rust threads, then the Python ones here. Ids are checked over
    # the whole batch first (Rust checks each part, not the union).
    seen: set[str] = set()
    duplicates = sorted({args.id for args in variants if args.id in seen or seen.add(args.id)})
    if duplicates:
        raise ValueError(f"duplicate backtest ids: {', '.join(duplicates)}")
    started = time.perf_counter_ns()
    results: list[BacktestSummary | None] = [None] * len(variants)
    builtin = [i for i in range(len(variants)) if i not in set(python)]
    if builtin:
        raw = _interruptible(args_constant._run_many, [variants[i] for i in builtin], max_concurrent)
        for i, summary in zip(builtin, MultiBacktestSummary._from_wire(json.loads(raw))):
            results[i] = summary
    errors: dict[str, BaseException] = {}
    for i in python:
        try:
            results[i] = backtest(args_constant, variants[i])
        except Exception as error:
            if fail_fast:
                raise
            errors[variants[i].id] = error
    done = [summary for summary in results if summary is not None]
    multi = MultiBacktestSummary(len(done), time.perf_counter_ns() - started, done)
    if errors:
        raise BacktestsFailed(multi, errors)
    return multi


_WORKER_ARGS: BacktestArgsConstant | None = None


def _worker_init(args_pickle: bytes) -> None:
    global _WORKER_ARGS
    _WORKER_ARGS = pickle.loads(args_pickle)


def _worker_run(variants: list[BacktestArgsDynamic], max_concurrent: int, fail_fast: bool) -> tuple[str, dict]:
    """One part, in a worker: the summaries as wire JSON, and the errors by id."""
    assert _WORKER_ARGS is not None
    try:
        multi = run_backtests(_WORKER_ARGS, variants, max_concurrent=max_concurrent or None, fail_fast=fail_fast)
        return multi.to_json(), {}
    except BacktestsFailed as failed:
        return failed.summary.to_json(), failed.errors


def _run_in_processes(
    args_constant: BacktestArgsConstant,
    variants: list[BacktestArgsDynamic],
    processes: int,
    max_concurrent: int,
    fail_fast: bool,
) -> MultiBacktestSummary:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    seen: set[str] = set()
    duplicates = sorted({args.id for args in variants if args.id in seen or seen.add(args.id)})
    if duplicates:
        raise ValueError(f"duplicate backtest ids: {', '.join(duplicates)}")
    workers = min(processes, len(variants))
    size = -(-len(variants) // workers)
    parts = [variants[i:i + size] for i in range(0, len(variants), size)]
    started = time.perf_counter_ns()
    summaries: list[BacktestSummary] = []
    errors: dict[str, BaseException] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                             initargs=(pickle.dumps(args_constant),)) as pool:
        futures = [pool.submit(_worker_run, part, max_concurrent, fail_fast) for part in parts]
        for future in futures:
            wire, part_errors = future.result()
            summaries.extend(MultiBacktestSummary.from_json(wire).summaries)
            errors.update(part_errors)
    multi = MultiBacktestSummary(len(summaries), time.perf_counter_ns() - started, summaries)
    if errors:
        raise BacktestsFailed(multi, errors)
    return multi
