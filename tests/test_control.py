"""Progress of run_backtests, Ctrl-C while loading market data, Rust's log records on
the "barter" logger, and panics that print nothing."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import barter_cy
from barter_cy import BacktestArgsDynamic, BarterPanic, MarketDataInMemory, _control, _native, run_backtests
from barter_cy.backtest import BacktestArgsConstant, SystemConfig
from barter_cy.strategy import BuyAndHold, SmaCross, Strategy
from test_strategies import args_for, random_walk, trades

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _barter_logger_reset():
    """Every test starts and ends with the "barter" logger at its default level."""
    logger = logging.getLogger("barter")
    logger.setLevel(logging.NOTSET)
    _control.sync_log_level()
    _control.drain_logs()
    yield
    logger.setLevel(logging.NOTSET)
    _control.sync_log_level()


# =========================================================================== #
# Progress
# =========================================================================== #
def test_progress_callable_is_called_on_the_calling_thread_throttled_and_ends_at_total():
    args = args_for(trades(random_walk(40_000, seed=11)))
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=SmaCross(2 + i % 9, 20 + i, 1)) for i in range(60)]
    calls = []

    def progress(done, total):
        calls.append((done, total, threading.get_ident(), time.monotonic()))

    with_progress = run_backtests(args, variants, max_concurrent=1, progress=progress)
    # Same results as without progress (the oracle: the plain run).
    plain = run_backtests(args, variants, max_concurrent=1)
    assert [s.to_json() for s in with_progress] == [s.to_json() for s in plain]
    assert calls[-1][:2] == (60, 60)
    assert {total for _, total, _, _ in calls} == {60}
    assert {thread for _, _, thread, _ in calls} == {threading.get_ident()}
    dones = [done for done, _, _, _ in calls]
    assert dones == sorted(set(dones)), dones  # strictly increasing, each value once
    # Rust's counter was read while the batch ran: values between 0 and the total.
    assert any(0 < done < 60 for done in dones), dones
    # At most one call per ~100 ms (the last one, done == total, comes at once).
    gaps = [b[3] - a[3] for a, b in zip(calls, calls[1:-1])]
    assert all(gap >= 0.09 for gap in gaps), gaps


class _SlowHold(Strategy):
    """Buys and holds, slowly: each backtest takes over 100 ms."""

    def on_event(self, ctx):
        time.sleep(0.002)
        ctx.target(1)


def test_progress_counts_python_strategies_after_the_builtin_ones():
    args = args_for(trades(random_walk(80, seed=2)))
    variants = [BacktestArgsDynamic(f"rust{i}", 0, strategy=BuyAndHold(1)) for i in range(3)]
    variants += [BacktestArgsDynamic(f"py{i}", 0, strategy=_SlowHold()) for i in range(3)]
    calls = []
    multi = run_backtests(args, variants, progress=lambda done, total: calls.append((done, total)))
    assert multi.ids == [v.id for v in variants]
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones))
    assert {total for _, total in calls} == {6}
    # The three Python backtests (each > 100 ms) are reported as each finishes.
    assert dones[-3:] == [4, 5, 6], dones


def test_progress_is_not_completed_after_a_failure_and_rejects_other_types():
    args = args_for(trades(random_walk(50, seed=2)))
    calls = []

    class Fails(Strategy):
        def on_event(self, ctx):
            raise ZeroDivisionError("nope")

    with pytest.raises(ZeroDivisionError):
        run_backtests(args, [BacktestArgsDynamic("bad", 0, strategy=Fails())], fail_fast=True,
                      progress=lambda done, total: calls.append((done, total)))
    assert (1, 1) not in calls
    with pytest.raises(TypeError, match="progress must be a bool or a callable"):
        run_backtests(args, [], progress="yes")
    calls.clear()
    assert run_backtests(args, [], progress=lambda d, t: calls.append((d, t))).num_backtests == 0
    assert calls == [(0, 0)]


def test_progress_true_shows_a_tqdm_bar(capsys):
    args = args_for(trades(random_walk(200, seed=4)))
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=BuyAndHold(1)) for i in range(5)]
    assert run_backtests(args, variants, progress=True).num_backtests == 5
    err = capsys.readouterr().err
    assert "backtests" in err and "5/5" in err, err


def test_progress_true_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    args = args_for(trades(random_walk(50, seed=4)))
    with pytest.raises(ImportError, match=r"barter_cy\[progress\]"):
        run_backtests(args, [BacktestArgsDynamic("a", 0)], progress=True)
    # A callable needs no tqdm.
    calls = []
    run_backtests(args, [BacktestArgsDynamic("a", 0)], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]


def test_progress_with_processes_reaches_the_total():
    args = args_for(trades(random_walk(3_000, seed=8)), "0.001")
    variants = [BacktestArgsDynamic(f"v{i}", 0, strategy=SmaCross(2 + i, 30, 1)) for i in range(6)]
    calls = []
    parallel = run_backtests(args, variants, processes=2, progress=lambda d, t: calls.append((d, t)))
    assert [s.to_json() for s in parallel] == [s.to_json() for s in run_backtests(args, variants)]
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones)) and calls[-1] == (6, 6), calls


# =========================================================================== #
# Ctrl-C while loading
# =========================================================================== #
@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory) -> Path:
    """~95 MB of JSON Lines (400,000 trades) from bench/gen_market_data.py."""
    spec = importlib.util.spec_from_file_location("gen_market_data", ROOT / "bench" / "gen_market_data.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    gen.generate(str(path), 400_000, 3, seed=1)
    return path


def _interrupt_after(delay: float, sent: list) -> threading.Thread:
    def interrupt():
        time.sleep(delay)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    return thread


@pytest.mark.parametrize("source", ["file", "bytes"])
def test_ctrl_c_stops_loading_within_a_second(big_jsonl, source):
    data = big_jsonl.read_bytes() if source == "bytes" else None

    def load():
        if source == "file":
            return MarketDataInMemory.from_json_file(big_jsonl, threads=1)
        return MarketDataInMemory.from_json_bytes(data)

    started = time.perf_counter()
    reference = load()
    full = time.perf_counter() - started
    assert reference.item_count == 400_000
    sent: list = []
    thread = _interrupt_after(full / 10, sent)
    with pytest.raises(KeyboardInterrupt):
        load()
    raised = time.perf_counter()
    thread.join()
    assert raised - sent[0] < 1.0
    # Stopped early, not after loading everything.
    assert raised - sent[0] < full, (raised - sent[0], full)
    # The process goes on: the same load works and gives the same data.
    again = load()
    assert len(again) == len(reference)
    assert again.events()[-3:] == reference.events()[-3:]


def test_binary_loads_go_through_the_cancellable_calls(tmp_path, example_market_data_path):
    md = MarketDataInMemory.from_json_file(example_market_data_path)
    path = tmp_path / "md.bin"
    md.save(path)
    assert MarketDataInMemory.load(path).events() == md.events()
    assert MarketDataInMemory.from_bytes(md.to_bytes(), threads=1).events() == md.events()
    # A tripped token stops each loader with KeyboardInterrupt (the classmethods run
    # them through interruptible() when the input is large).
    token = _native.CancelToken()
    token.cancel()
    with pytest.raises(KeyboardInterrupt, match="cancelled"):
        _native._load_binary_file(MarketDataInMemory, str(path).encode(), 0, cancel=token)
    with pytest.raises(KeyboardInterrupt, match="cancelled"):
        _native._load_binary(MarketDataInMemory, md.to_bytes(), 0, cancel=token)
    with pytest.raises(KeyboardInterrupt, match="cancelled"):
        _native._load_json_file(MarketDataInMemory, example_market_data_path.encode(), False, 0, cancel=token)
    with pytest.raises(KeyboardInterrupt, match="cancelled"):
        _native._load_json_bytes(MarketDataInMemory, Path(example_market_data_path).read_bytes(), b"<json>", False, 0,
                                 cancel=token)


# =========================================================================== #
# Logging
# =========================================================================== #
def _example_args(example_config_path, example_market_data_path) -> BacktestArgsConstant:
    md = MarketDataInMemory.from_json_file(example_market_data_path)
    return BacktestArgsConstant(SystemConfig.from_json_file(example_config_path), md)


def test_a_barter_warning_reaches_caplog(caplog, example_config_path, example_market_data_path):
    args = _example_args(example_config_path, example_market_data_path)
    with caplog.at_level(logging.WARNING, logger="barter"):
        barter_cy.backtest.backtest(args, BacktestArgsDynamic("w", 0))
    # barter's EngineState warns once per Reconnecting marker of the market data.
    records = [r for r in caplog.records if r.name == "barter"]
    assert len(records) == args.market_data.reconnect_count == 3
    for record in records:
        assert record.levelno == logging.WARNING
        assert record.rust_target == "barter::engine::state::connectivity"
        assert record.getMessage() == (
            "barter::engine::state::connectivity: EngineState received MarketStream disconnect event "
            "exchange=BinanceSpot"
        )
    # Above the logger's level, Rust does not even record them.
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="barter"):
        run_backtests(args, [BacktestArgsDynamic("a", 0), BacktestArgsDynamic("b", 0)])
        assert _native.log_level() == 1
    assert [r for r in caplog.records if r.name == "barter"] == []


def _emit_all_levels() -> None:
    for level in (1, 2, 3, 4, 5):
        _native.testing_log(level, f"at {level}")
    _control.drain_logs()


def _logged(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "barter"]


def _want(*levels: int) -> list[tuple[int, str]]:
    python = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: logging.DEBUG}
    return [(python[l], f"barter_ffi::testing: at {l} source=barter_testing_log") for l in levels]


def test_levels_are_mapped_and_filtered_in_rust(caplog):
    caplog.set_level(logging.DEBUG)  # the handler takes everything; the logger decides
    _emit_all_levels()
    assert _logged(caplog) == _want(1, 2)  # default: WARNING
    caplog.clear()
    barter_cy.set_log_level(logging.INFO)
    assert _native.log_level() == 3
    _emit_all_levels()
    assert _logged(caplog) == _want(1, 2, 3)
    caplog.clear()
    barter_cy.set_log_level("DEBUG")
    _emit_all_levels()
    assert _logged(caplog) == _want(1, 2, 3, 4)
    caplog.clear()
    barter_cy.set_log_level(5)  # below DEBUG: barter's trace events too, as DEBUG
    _emit_all_levels()
    assert _logged(caplog) == _want(1, 2, 3, 4, 5)
    caplog.clear()
    barter_cy.set_log_level(logging.CRITICAL)
    assert _native.log_level() == 0
    _emit_all_levels()
    assert _logged(caplog) == []
    with pytest.raises(ValueError, match="level: must be 1 .error. to 5 .trace., got 0"):
        _native.testing_log(0, "x")


def test_records_beyond_the_queue_are_dropped_and_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="barter"):
        for i in range(10_004):
            _native.testing_log(2, f"n{i}")
        _control.drain_logs()
    logged = _logged(caplog)
    assert logged[0] == (logging.WARNING, "4 Rust log records were dropped (more than 10,000 queued between two drains)")
    assert len(logged) == 10_001
    assert logged[1][1] == "barter_ffi::testing: n4 source=barter_testing_log"
    assert logged[-1][1] == "barter_ffi::testing: n10003 source=barter_testing_log"


# =========================================================================== #
# Panics: the exception and the log, nothing on stderr
# =========================================================================== #
def test_a_panic_raises_barter_panic_and_logs_its_location(caplog):
    with caplog.at_level(logging.ERROR, logger="barter"):
        with pytest.raises(BarterPanic) as info:
            _native.trigger_panic("kaboom ü")
    assert str(info.value) == "kaboom ü"
    [(level, message)] = _logged(caplog)
    assert level == logging.ERROR
    assert message.startswith("barter_ffi::panic: panic at src/ffi/mod.rs:"), message
    assert message.endswith(": kaboom ü"), message


def test_a_panic_writes_nothing_to_stderr():
    script = (
        "import barter_cy\n"
        "from barter_cy import _native\n"
        "for text in ('x', 'y'):\n"
        "    try:\n"
        "        _native.trigger_panic(text)\n"
        "    except barter_cy.BarterPanic as error:\n"
        "        print('caught', error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "caught x\ncaught y\n"
    assert done.stderr == ""
    # With logging configured, the panic arrives through it (and only through it).
    configured = "import logging\nlogging.basicConfig(format='%(name)s %(levelname)s %(message)s')\n" + script
    done = subprocess.run([sys.executable, "-c", configured], capture_output=True, text=True, timeout=120)
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("barter ERROR barter_ffi::panic: panic at ") for line in lines), lines
    assert lines[0].endswith(": x") and lines[1].endswith(": y")
