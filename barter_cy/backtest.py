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
import time
from typing import Any, Iterable, Mapping

from barter_cy._native import FILLS, SUMMARY_INTERVALS, BacktestArgsConstant, BacktestArgsDynamic
from barter_cy._control import Progress
from barter_cy._control import interruptible as _interruptible
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


def _check_constant(args_constant: Any) -> BacktestArgsConstant:
    if not isinstance(args_constant, BacktestArgsConstant):
        raise TypeError(f"args_constant must be BacktestArgsConstant, got {type(args_constant).__name__}")
    return args_constant


def _check_variants(args_dynamic_iter: Any, name: str = "args_dynamic_iter") -> list[BacktestArgsDynamic]:
    """The variants as a list; ``TypeError`` naming the first that is not a
    ``BacktestArgsDynamic``."""
    if isinstance(args_dynamic_iter, (str, bytes, BacktestArgsDynamic)) or not isinstance(args_dynamic_iter, Iterable):
        raise TypeError(f"{name} must be an iterable of BacktestArgsDynamic, got {type(args_dynamic_iter).__name__}")
    variants = []
    for index, args in enumerate(args_dynamic_iter):
        if not isinstance(args, BacktestArgsDynamic):
            raise TypeError(f"{name}[{index}] must be BacktestArgsDynamic, got {type(args).__name__}")
        variants.append(args)
    return variants


def _check_max_concurrent(max_concurrent: Any) -> int:
    """``max_concurrent`` as Rust takes it (0: one thread per core)."""
    if max_concurrent is None:
        return 0
    if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
        raise TypeError(f"max_concurrent must be int, got {type(max_concurrent).__name__}")
    if not 1 <= max_concurrent <= 4096:
        raise ValueError(f"max_concurrent must be between 1 and 4096, got {max_concurrent}")
    return max_concurrent


def _check_unique_ids(variants: list[BacktestArgsDynamic]) -> None:
    """``ValueError`` listing the ids given more than once (Rust checks each batch it
    runs, not the union of batches run separately)."""
    seen: set[str] = set()
    duplicates = sorted({args.id for args in variants if args.id in seen or seen.add(args.id)})
    if duplicates:
        raise ValueError(f"duplicate backtest ids: {', '.join(duplicates)}")


def backtest(args_constant: BacktestArgsConstant, args_dynamic: BacktestArgsDynamic) -> BacktestSummary:
    """Run one backtest (GIL released) and return its summary."""
    _check_constant(args_constant)
    if not isinstance(args_dynamic, BacktestArgsDynamic):
        raise TypeError(f"args_dynamic must be BacktestArgsDynamic, got {type(args_dynamic).__name__}")
    if not isinstance(args_dynamic.strategy, Strategy):
        return BacktestSummary._from_wire(_interruptible(args_constant._run, args_dynamic))
    run, per_run = args_dynamic._python_run(args_constant)
    try:
        raw = _interruptible(args_constant._run, per_run)
    except BarterError:
        if run.error is not None:
            raise run.error from None
        raise
    return BacktestSummary._from_wire(raw)


def run_backtests(
    args_constant: BacktestArgsConstant,
    args_dynamic_iter: Iterable[BacktestArgsDynamic],
    *,
    max_concurrent: int | None = None,
    fail_fast: bool = False,
    processes: int | None = None,
    progress: Any = False,
    details: bool = True,
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
    worker; strategies must pickle (classes importable by the workers).

    ``progress=True`` shows a tqdm progress bar (extra ``progress``:
    ``pip install 'barter_cy[progress]'``) advanced as backtests finish;
    ``progress=callable`` is called as ``callable(done, total)`` on the calling thread,
    at most every ~100 ms while the batch runs and once at the end with
    ``done == total`` (not after a failure). The count of finished built-in backtests
    is kept by Rust and read without holding up the run; Python strategies count as
    each finishes, and with ``processes=`` as each worker reports.

    ``details=False`` keeps each summary's statistics and ``position_counts`` but not
    its closed positions and equity curve (``None``; see
    :meth:`~barter_cy.summary.BacktestSummary.without_details`): for sweeps whose
    results are a table, at a few hundred bytes per variant (with ``processes=`` the
    workers drop them before sending).

    Ctrl-C stops the batch within a second with ``KeyboardInterrupt``."""
    _check_constant(args_constant)
    max_concurrent = _check_max_concurrent(max_concurrent)
    variants = _check_variants(args_dynamic_iter)
    if not isinstance(details, bool):
        raise TypeError(f"details must be bool, got {type(details).__name__}")
    with Progress(progress, len(variants)) as reporter:
        result = _run_backtests(args_constant, variants, max_concurrent, fail_fast, processes, reporter, details)
        reporter.finish()
        return result


def _run_backtests(
    args_constant: BacktestArgsConstant,
    variants: list[BacktestArgsDynamic],
    max_concurrent: int,
    fail_fast: bool,
    processes: int | None,
    reporter: Progress,
    details: bool = True,
) -> MultiBacktestSummary:
    if processes is not None:
        if isinstance(processes, bool) or not isinstance(processes, int):
            raise TypeError(f"processes must be int, got {type(processes).__name__}")
        if not 1 <= processes <= 1024:
            raise ValueError(f"processes must be between 1 and 1024, got {processes}")
        if processes > 1 and len(variants) > 1:
            return _run_in_processes(args_constant, variants, processes, max_concurrent, fail_fast, reporter,
                                     details)
    python = [i for i, args in enumerate(variants) if isinstance(args.strategy, Strategy)]
    on_progress = reporter.update if reporter.active else None
    if not python:
        raw = _interruptible(args_constant._run_many, variants, max_concurrent,
                             on_progress=on_progress)
        multi = MultiBacktestSummary._from_wire(raw)
        return multi if details else multi.without_details()

    # Mixed: built-ins on Rust threads, then the Python ones here. Ids are checked over
    # the whole batch first (Rust checks each part, not the union).
    _check_unique_ids(variants)
    started = time.perf_counter_ns()
    results: list[BacktestSummary | None] = [None] * len(variants)
    builtin = [i for i in range(len(variants)) if i not in set(python)]
    if builtin:
        raw = _interruptible(args_constant._run_many, [variants[i] for i in builtin], max_concurrent,
                             on_progress=on_progress)
        for i, summary in zip(builtin, MultiBacktestSummary._from_wire(raw)):
            results[i] = summary
    errors: dict[str, BaseException] = {}
    for finished, i in enumerate(python, start=len(builtin) + 1):
        try:
            results[i] = backtest(args_constant, variants[i])
        except Exception as error:
            if fail_fast:
                raise
            errors[variants[i].id] = error
        reporter.update(finished)
    done = [summary if details else summary.without_details() for summary in results if summary is not None]
    multi = MultiBacktestSummary(len(done), time.perf_counter_ns() - started, done)
    if errors:
        raise BacktestsFailed(multi, errors)
    return multi


_WORKER_ARGS: BacktestArgsConstant | None = None
#: Seconds between two looks at the workers' progress.
PROGRESS_POLL = 0.05
_WORKER_PROGRESS: Any = None


def _worker_init(args_pickle: bytes, progress_queue: Any = None) -> None:
    global _WORKER_ARGS, _WORKER_PROGRESS
    _WORKER_ARGS = pickle.loads(args_pickle)
    _WORKER_PROGRESS = progress_queue


def _worker_run(variants: list[BacktestArgsDynamic], max_concurrent: int, fail_fast: bool,
                part: int = 0, details: bool = True) -> tuple[str, dict]:
    """One part, in a worker: the summaries as wire JSON, and the errors by id. With a
    progress queue, ``(part, done)`` is put on it as backtests finish."""
    assert _WORKER_ARGS is not None
    queue = _WORKER_PROGRESS
    report = None if queue is None else (lambda done, total: queue.put((part, done)))
    try:
        multi = run_backtests(_WORKER_ARGS, variants, max_concurrent=max_concurrent or None, fail_fast=fail_fast,
                              progress=report or False, details=details)
        return multi.to_json(), {}
    except BacktestsFailed as failed:
        return failed.summary.to_json(), failed.errors


def _run_in_processes(
    args_constant: BacktestArgsConstant,
    variants: list[BacktestArgsDynamic],
    processes: int,
    max_concurrent: int,
    fail_fast: bool,
    reporter: Progress,
    details: bool = True,
) -> MultiBacktestSummary:
    import multiprocessing
    import queue as queues
    from concurrent.futures import ProcessPoolExecutor, wait

    _check_unique_ids(variants)
    workers = min(processes, len(variants))
    size = -(-len(variants) // workers)
    parts = [variants[i:i + size] for i in range(0, len(variants), size)]
    started = time.perf_counter_ns()
    summaries: list[BacktestSummary] = []
    errors: dict[str, BaseException] = {}
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue() if reporter.active else None
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                             initargs=(pickle.dumps(args_constant), progress_queue)) as pool:
        futures = [pool.submit(_worker_run, part, max_concurrent, fail_fast, index, details)
                   for index, part in enumerate(parts)]
        if progress_queue is not None:
            done = [0] * len(parts)
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=PROGRESS_POLL)
                try:
                    while True:
                        index, count = progress_queue.get_nowait()
                        done[index] = max(done[index], count)
                except queues.Empty:
                    pass
                for index, future in enumerate(futures):
                    if future.done() and future.exception() is None:
                        done[index] = len(parts[index])
                reporter.update(sum(done))
        for future in futures:
            wire, part_errors = future.result()
            summaries.extend(MultiBacktestSummary.from_json(wire).summaries)
            errors.update(part_errors)
    multi = MultiBacktestSummary(len(summaries), time.perf_counter_ns() - started, summaries)
    if errors:
        raise BacktestsFailed(multi, errors)
    return multi
