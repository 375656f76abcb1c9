"""Parameter sweeps on a Dask cluster (``pip install 'barter_cy[dask]'``).

.. code-block:: python

    from distributed import Client
    from barter_cy import distributed

    client = Client("tcp://scheduler:8786")          # or Client(LocalCluster(...))
    multi = distributed.run_backtests(client, args_constant, variants, progress=True)

The constant arguments (with their market data, pickled as Rust's compact binary form)
are scattered to every worker once (``client.scatter(..., broadcast=True)``); the
variants travel in batches, one Dask task per batch, and each task runs the local
:func:`barter_cy.backtest.run_backtests` on its worker thread (Rust, GIL released). The
result is a :class:`~barter_cy.summary.MultiBacktestSummary` whose summaries equal the
local ones for the same inputs, in input order (its ``duration`` is the wall time of
this call).

Nothing here schedules, retries or moves data itself: that is Dask's work (placement,
work stealing, lost workers, the dashboard)."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any, Iterable

from barter_cy._control import Progress
from barter_cy.backtest import (
    _check_constant,
    _check_max_concurrent,
    _check_unique_ids,
    _check_variants,
)
from barter_cy.backtest import run_backtests as _local_run_backtests
from barter_cy.errors import BatchFailed
from barter_cy.summary import MultiBacktestSummary

__all__ = ["BatchFailed", "LEAN_DASK_CONFIG", "guided_batches", "run_backtests"]

#: Dask settings for clusters whose workers share few cores with the client and the
#: scheduler (a laptop, a LocalCluster on a small machine): ``dask.config.set(...)``
#: them before the cluster starts. Dask's statistical profiler samples every worker
#: thread's stack every 10 ms; every process wakes every 20 ms to check that its event
#: loop is not blocked, and every 500 ms to record CPU and memory for the dashboard.
#: Here: no profiler, those checks every second and every 10 s. Measured on 2 cores, an
#: idle 2-worker LocalCluster then takes 0.25 s of CPU per 10 s instead of 0.54 s.
LEAN_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "10s",
}

#: Without ``batch_size``, each batch holds the variants not yet batched divided by
#: this many times the cluster's worker threads ("guided" batches): large batches
#: first, shrinking to single variants at the end, so that the workers finish together
#: with few tasks (about ``2 × threads × ln(variants)``).
GUIDED_SHARE = 2


def guided_batches(variants: list, threads: int) -> list[list]:
    """``variants`` cut in input order into batches of decreasing size: each holds
    ``ceil(remaining / (GUIDED_SHARE × threads))`` variants."""
    batches, start = [], 0
    while start < len(variants):
        size = math.ceil((len(variants) - start) / (GUIDED_SHARE * max(1, threads)))
        batches.append(variants[start:start + size])
        start += size
    return batches


def _require_distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise ImportError("barter_cy.distributed needs Dask: pip install 'barter_cy[dask]'") from error
    return distributed


def _run_batch(args_constant: Any, variants: list, max_concurrent: int, details: bool = True) -> MultiBacktestSummary:
    """One batch, on a worker thread: the local ``run_backtests`` and nothing else (no
    progress, no Ctrl-C machinery: off the main thread the native call runs directly)."""
    return _local_run_backtests(args_constant, variants, max_concurrent=max_concurrent or None, details=details)


def run_backtests(
    client: Any,
    args_constant: Any,
    variants: Iterable[Any],
    batch_size: int | None = None,
    progress: Any = False,
    *,
    max_concurrent: int | None = 1,
    timeout: float | None = None,
    details: bool = True,
) -> MultiBacktestSummary:
    """Run ``variants`` (``BacktestArgsDynamic``) on the workers of the Dask ``client``.

    - ``args_constant``: a ``BacktestArgsConstant``, scattered to every worker once and
      released at the end; or a Dask ``Future`` of one you scattered yourself (e.g.
      ``client.scatter(args, broadcast=True)``) to reuse across calls (left alone).
    - ``batch_size``: variants per task (default: guided batches, see
      :func:`guided_batches`, largest first, which the workers take in that order).
    - ``max_concurrent``: Rust threads per task (default 1: the workers' thread count
      is the parallelism, so give workers one thread per core; ``None``: one per core).
    - ``progress``: ``True`` for a tqdm bar, or ``callable(done, total)``; advanced per
      finished batch, on the calling thread.
    - ``timeout``: seconds for the whole sweep (``TimeoutError`` after, batches cancelled).
    - ``details=False``: the workers send each summary without its closed positions and
      equity curve (statistics and ``position_counts`` kept; see
      :meth:`~barter_cy.summary.BacktestSummary.without_details`): a few hundred bytes
      per variant instead of ~100 bytes per closed position — what a sweep of
      100,000 variants needs to bring its results home.

    A batch that fails raises :class:`~barter_cy.BatchFailed` naming the ids of the
    variants it held, with the worker's exception (or Dask's, e.g. a lost worker) as its
    ``__cause__``; the other batches are cancelled. Python strategies run too (they must
    pickle, their classes importable on the workers); a failing one fails its batch.
    Ctrl-C (KeyboardInterrupt) cancels the pending batches; a batch already running on
    a worker finishes there and is discarded."""
    distributed = _require_distributed()
    scattered = isinstance(args_constant, distributed.Future)
    if not scattered:
        _check_constant(args_constant)
    variants = _check_variants(variants, "variants")
    _check_unique_ids(variants)
    max_concurrent = _check_max_concurrent(max_concurrent)
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"batch_size must be int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if not isinstance(details, bool):
        raise TypeError(f"details must be bool, got {type(details).__name__}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")

    started = time.perf_counter_ns()
    with Progress(progress, len(variants)) as reporter:
        if not variants:
            reporter.finish()
            return MultiBacktestSummary(0, time.perf_counter_ns() - started, ())
        if batch_size is None:
            batches = guided_batches(variants, sum(client.nthreads().values()))
        else:
            batches = [variants[i:i + batch_size] for i in range(0, len(variants), batch_size)]
        if scattered:
            constant = args_constant
        else:
            constant = client.scatter(args_constant, broadcast=True, hash=False,
                                      **({} if timeout is None else {"timeout": timeout}))
        name = uuid.uuid4().hex[:12]
        futures = [
            client.submit(_run_batch, constant, batch, max_concurrent, details,
                          key=f"barter-batch-{name}-{index}", pure=False, priority=len(batches) - index)
            for index, batch in enumerate(batches)
        ]
        index_of = {future.key: index for index, future in enumerate(futures)}
        results: list[MultiBacktestSummary | None] = [None] * len(batches)
        done = 0
        try:
            for future in distributed.as_completed(futures, timeout=timeout):
                index = index_of[future.key]
                try:
                    results[index] = future.result()
                except Exception as error:
                    raise BatchFailed(index, [args.id for args in batches[index]], error) from error
                done += len(batches[index])
                reporter.update(done)
        finally:
            client.cancel(futures if scattered else [*futures, constant])
        reporter.finish()
    summaries = [summary for result in results for summary in result.summaries]  # type: ignore[union-attr]
    return MultiBacktestSummary(len(summaries), time.perf_counter_ns() - started, summaries)
