"""barter_cy.distributed.run_backtests on a 2-worker LocalCluster (processes, loopback:
every socket, the scheduler's HTTP server included, on 127.0.0.1; ``dashboard_address=None``
would still try port 8787 first).

Every call that waits on the cluster has a timeout, and a watchdog ends the process with
a traceback if the module as a whole hangs, so a hang fails fast instead of blocking CI."""

from __future__ import annotations

import faulthandler
import pickle
import sys
import time

import cloudpickle
import dask
import pytest
from distributed import Client, LocalCluster

import barter_cy
from barter_cy import BacktestArgsDynamic, BacktestsFailed, BatchFailed, run_backtests
from barter_cy import distributed as bd
from barter_cy.strategy import BuyAndHold, SmaCross, Strategy
from test_strategies import args_for, random_walk, trades

# Functions and classes of this module run on the workers, which cannot import it.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

WAIT = 30  # seconds, for any one sweep
WATCHDOG = 45  # seconds, for the whole module


@pytest.fixture(scope="module")
def client():
    faulthandler.dump_traceback_later(WATCHDOG, exit=True, file=sys.__stderr__)
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "20s",
                              "distributed.comm.timeouts.tcp": "20s"}):
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address="127.0.0.1:0", worker_dashboard_address=None) as cluster:
                with Client(cluster, timeout="20s") as client:
                    client.wait_for_workers(2, timeout=WAIT)
                    yield client
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def sweep():
    args = args_for(trades(random_walk(3_000, seed=11)), "0.001")
    variants = [BacktestArgsDynamic(f"sma-{f}-{s}", "0.02", strategy=SmaCross(f, s, "0.5"), fill="signal")
                for f in (2, 3, 5) for s in (8, 13, 21)]
    variants.append(BacktestArgsDynamic("hold", 0, strategy=BuyAndHold(1)))
    return args, variants, run_backtests(args, variants)


class Boom(Strategy):
    def __init__(self, at):
        self.at = at
        self.seen = 0

    def on_event(self, ctx):
        self.seen += 1
        if self.seen == self.at:
            raise ZeroDivisionError(f"boom at {self.at}")


def _unpickled():
    from barter_cy import _native

    return _native.unpickled_market_data_count()


def test_results_equal_local_run_backtests_in_input_order(client, sweep):
    args, variants, local = sweep
    calls = []
    multi = bd.run_backtests(client, args, variants, batch_size=3, progress=lambda d, t: calls.append((d, t)),
                             timeout=WAIT)
    assert multi.ids == [v.id for v in variants]
    assert multi.summaries == local.summaries and multi.num_backtests == len(variants) == 10
    assert [s.to_json() for s in multi] == [s.to_json() for s in local]
    assert any(len(s.positions) > 10 for s in multi)
    # Progress per batch of 3 (1 for the last), ending at done == total.
    assert calls[-1] == (10, 10) and all(t == 10 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and set(d for d, _ in calls) <= {3, 4, 6, 7, 9, 10}
    # Default batch size, and one Rust thread per core in each task: same summaries.
    assert bd.run_backtests(client, args, variants, max_concurrent=None, timeout=WAIT).summaries == local.summaries
    # Nothing is left on the workers: the scattered arguments and the results are released.
    deadline = time.monotonic() + 10
    while any(client.has_what().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(client.has_what().values()), client.has_what()
    assert bd.run_backtests(client, args, [], timeout=WAIT).num_backtests == 0


def test_lean_dask_config_names_settings_dask_has():
    for key, value in bd.LEAN_DASK_CONFIG.items():
        dask.config.get(key)  # KeyError if Dask has no such setting
        with dask.config.set({key: value}):
            assert dask.config.get(key) == value


def test_guided_batches_shrink_to_single_variants_in_input_order():
    for count, threads in ((200, 2), (10, 2), (1, 8), (1000, 320), (7, 0)):
        variants = list(range(count))
        batches = bd.guided_batches(variants, threads)
        assert [v for batch in batches for v in batch] == variants
        sizes = [len(batch) for batch in batches]
        assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1 and min(sizes) >= 1
    assert [len(b) for b in bd.guided_batches(list(range(200)), 2)] == [50, 38, 28, 21, 16, 12, 9, 7, 5, 4, 3, 2, 2,
                                                                         1, 1, 1]
    assert bd.guided_batches([], 4) == []


def test_workers_can_send_summaries_without_details(client, sweep):
    args, variants, local = sweep
    lean = bd.run_backtests(client, args, variants, batch_size=4, details=False, timeout=WAIT)
    assert lean.summaries == local.without_details().summaries
    assert all(s.positions is None and s.equity is None for s in lean)
    assert [s.position_counts for s in lean] == [s.position_counts for s in local]
    assert len(pickle.dumps(lean)) * 10 < len(pickle.dumps(local))
    with pytest.raises(TypeError, match="details must be bool, got str"):
        bd.run_backtests(client, args, variants, details="no")


def test_market_data_crosses_to_each_worker_once(client, sweep):
    args, variants, local = sweep
    before = client.run(_unpickled)
    multi = bd.run_backtests(client, args, variants, batch_size=1, timeout=WAIT)  # 10 tasks
    after = client.run(_unpickled)
    assert multi.summaries == local.summaries
    assert len(after) == 2 and {worker: after[worker] - before[worker] for worker in after} == dict.fromkeys(after, 1)
    # A Future scattered by the caller is used as it is, and left for reuse.
    [constant] = client.scatter([args], broadcast=True, hash=False, timeout=WAIT)
    try:
        before = client.run(_unpickled)
        for _ in range(2):
            again = bd.run_backtests(client, constant, variants[:4], batch_size=1, timeout=WAIT)
            assert again.summaries == local.summaries[:4]
        assert client.run(_unpickled) == before
        assert constant.status == "finished"
    finally:
        client.cancel([constant])


def test_a_failed_batch_raises_naming_its_variant_ids(client, sweep):
    args, variants, _ = sweep
    bad = BacktestArgsDynamic("bad", 0, strategy=Boom(50))
    batch = [variants[0], variants[1], bad, variants[2], variants[3], variants[4]]
    with pytest.raises(BatchFailed) as info:
        bd.run_backtests(client, args, batch, batch_size=2, timeout=WAIT)
    error = info.value
    assert error.batch == 1 and error.ids == ["bad", variants[2].id]
    assert f"batch 1 (variants 'bad', '{variants[2].id}') failed" in str(error)
    assert isinstance(error.__cause__, BacktestsFailed)
    assert isinstance(error.__cause__.errors["bad"], ZeroDivisionError)
    assert "boom at 50" in str(error)
    assert pickle.loads(pickle.dumps(error)).ids == error.ids
    # The cluster is usable afterwards.
    assert bd.run_backtests(client, args, variants[:2], timeout=WAIT).ids == [variants[0].id, variants[1].id]


def test_python_strategies_run_on_the_workers(client, sweep):
    args, _, _ = sweep
    variants = [BacktestArgsDynamic(f"boom-late-{i}", 0, strategy=Boom(10**9)) for i in range(3)]
    assert bd.run_backtests(client, args, variants, timeout=WAIT).summaries == run_backtests(args, variants).summaries


def test_progress_bar_and_missing_dask(client, sweep, capsys, monkeypatch):
    args, variants, local = sweep
    multi = bd.run_backtests(client, args, variants[:4], batch_size=2, progress=True, timeout=WAIT)
    assert multi.summaries == local.summaries[:4]
    assert "4/4" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'barter_cy\[dask\]'"):
        bd.run_backtests(client, args, variants)


def test_arguments_are_checked_before_anything_is_sent(client, sweep):
    args, variants, _ = sweep
    with pytest.raises(TypeError, match="args_constant must be BacktestArgsConstant"):
        bd.run_backtests(client, args.market_data, variants)
    with pytest.raises(TypeError, match=r"variants\[1\] must be BacktestArgsDynamic"):
        bd.run_backtests(client, args, [variants[0], "x"])
    with pytest.raises(ValueError, match="duplicate backtest ids: hold"):
        bd.run_backtests(client, args, [variants[-1], variants[-1]])
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        bd.run_backtests(client, args, variants, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be int"):
        bd.run_backtests(client, args, variants, batch_size=2.5)
    with pytest.raises(ValueError, match="max_concurrent must be between"):
        bd.run_backtests(client, args, variants, max_concurrent=0)
    with pytest.raises(TypeError, match="progress must be a bool or a callable"):
        bd.run_backtests(client, args, variants, progress="yes")
    assert barter_cy.BatchFailed is BatchFailed is bd.BatchFailed
