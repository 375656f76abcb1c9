"""The Cython C-level API: a downstream extension (tests/cython/downstream.pyx) is built
in a temporary directory the way a user would build one (setuptools + cythonize against
``barter_cy.get_include()``), imported, and checked against the Python API. It calls
barter_cy's methods through the extension types' C vtables, without the GIL, and links
nothing from Rust."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import barter_cy
from barter_cy.backtest import backtest
from barter_cy.data import Side
from barter_cy.strategy import SmaCross, Strategy

SOURCE = Path(__file__).resolve().parent / "cython"


@pytest.fixture(scope="module")
def downstream(tmp_path_factory):
    build = tmp_path_factory.mktemp("downstream")
    for name in ("downstream.pyx", "setup.py"):
        shutil.copy(SOURCE / name, build / name)
    result = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=build,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    [library] = build.glob("downstream*.so")
    # No Rust symbol is referenced: everything goes through _native's vtables/capsules.
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(library)], capture_output=True, text=True,
                               check=True).stdout
    assert "barter_" not in undefined
    spec = importlib.util.spec_from_file_location("downstream", library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def md():
    return barter_cy.MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))


@pytest.fixture(scope="module")
def args(md):
    return barter_cy.BacktestArgsConstant(barter_cy.SystemConfig.from_json(barter_cy.example_path("system_config")), md)


def test_records_and_trades_without_the_gil(downstream, md):
    records, first_ns, trades, notional, buys, sells = downstream.trade_totals(md)
    events = md.events()
    trade_events = [e for e in events if e.kind.kind_name == "public_trade"]
    assert records == len(md) == 24
    assert first_ns == md.time_first_event_ns
    assert trades == len(trade_events) == 21
    expected = 0.0
    for event in trade_events:  # same order, same float operations
        expected += event.kind.value.price * event.kind.value.amount
    assert notional == expected
    assert buys == sum(e.kind.value.side is Side.BUY for e in trade_events)
    assert sells == trades - buys


def test_trade_at_values_and_out_of_range(downstream, md):
    events = md.events()
    index = next(i for i in range(len(md)) if downstream.trade(md, i)[0] == 0)
    status, time_ns, price, amount, side = downstream.trade(md, index)
    first = events[0]
    assert (time_ns, price, amount) == (first.time_exchange_ns, first.kind.value.price, first.kind.value.amount)
    assert side == (1 if first.kind.value.side is Side.BUY else -1)
    assert downstream.trade(md, len(md)) == (-1, 0, 0.0, 0.0, 0)
    assert downstream.trade(md, 2**63)[0] == -1
    # A reconnect marker is a record but not a trade.
    statuses = [downstream.trade(md, i)[0] for i in range(len(md))]
    assert statuses.count(1) == md.reconnect_count == 3


def test_backtest_without_the_gil_equals_the_python_api(downstream, args):
    dynamic = barter_cy.BacktestArgsDynamic("cy", Decimal("0.05"), strategy=SmaCross(3, 10, Decimal("0.01")))
    summary = downstream.backtest(args, dynamic)
    assert isinstance(summary, barter_cy.BacktestSummary)
    assert summary == backtest(args, dynamic)
    assert downstream.backtest_discarded(args, dynamic) is True


def test_backtest_errors_reach_python(downstream, args):
    class Quiet(Strategy):
        def on_event(self, ctx):
            pass

    with pytest.raises(ValueError, match="a Strategy written in Python needs the GIL"):
        downstream.backtest(args, barter_cy.BacktestArgsDynamic("py", "0", strategy=Quiet()))
    empty = barter_cy.BacktestArgsDynamic.__new__(barter_cy.BacktestArgsDynamic)
    with pytest.raises(ValueError, match="run_nogil: a handle is NULL"):
        downstream.backtest(args, empty)
