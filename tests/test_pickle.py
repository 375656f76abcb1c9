"""Every public object pickles to an equal object: market data (as Rust's binary form),
the config, both argument classes, strategies and summaries (compactly). What process
pools and Dask rely on."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest

import barter_cy
from barter_cy import (BacktestArgsConstant, BacktestArgsDynamic, MarketDataInMemory, SystemConfig,
                       run_backtests)
from barter_cy.backtest import backtest
from barter_cy.strategy import BollingerReversion, Breakout, BuyAndHold, SmaCross, TargetPositions
from test_strategies import args_for, config, random_walk, trades

PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)
BALANCES = [{"exchange": "binance_spot", "asset": "usdt", "total": "25000", "free": "25000"}]


def round_trip(value, protocol=pickle.HIGHEST_PROTOCOL):
    return pickle.loads(pickle.dumps(value, protocol=protocol))


@pytest.fixture(scope="module")
def example():
    md = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    cfg = SystemConfig.from_json(barter_cy.example_path("system_config"))
    return md, cfg, BacktestArgsConstant(cfg, md, "annual_365", initial_balances=BALANCES)


@pytest.fixture(scope="module")
def sweep():
    args = args_for(trades(random_walk(2_000, seed=3)), "0.001")
    variants = [BacktestArgsDynamic(f"sma-{f}-{s}", "0.01", strategy=SmaCross(f, s, "0.5"), fill="signal")
                for f in (2, 5) for s in (10, 30)]
    return args, variants, run_backtests(args, variants)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_market_data_pickles_to_equal_market_data(example, protocol):
    md = example[0]
    back = round_trip(md, protocol)
    assert back == md and back is not md and type(back) is MarketDataInMemory
    assert back.events() == md.events()
    assert (len(back), back.reconnect_count, back.time_first_event_ns) == (24, 3, md.time_first_event_ns)


def test_market_data_equality_is_by_value():
    md = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    again = MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    assert md == again and md == md.copy() and not md != again
    assert MarketDataInMemory(md.events()) != md  # events() leaves out the 3 reconnect markers
    events = md.events()
    assert MarketDataInMemory(events) == MarketDataInMemory(list(events))
    assert MarketDataInMemory(events) != MarketDataInMemory(events[:-1])  # one record fewer
    walk = random_walk(100, seed=1)
    changed = list(walk)
    changed[50] += 0.25  # same counts and first time, one price differs
    assert trades(walk) == trades(walk)
    assert trades(walk) != trades(changed)
    assert md != "market data" and md.__eq__(object()) is NotImplemented
    with pytest.raises(TypeError, match="unhashable"):
        hash(md)


@pytest.mark.parametrize("instrument", [np.array([0, 2**33, 1, 2**40]), 2**35, np.array([0, 1, 1, 0])])
def test_trades_of_any_instrument_index_pickle_to_equal_market_data(instrument):
    # The binary form keeps instrument indices as u32 columns; larger ones go as records.
    time = np.arange(1, 5, dtype=np.int64) * 10**9
    md = MarketDataInMemory.from_trades(time, [1.0, 2.0, 3.0, 4.0], [1.0] * 4, [1, -1, 1, -1], instrument)
    back = round_trip(md, 5)
    assert back == md
    cols = back.to_numpy()
    assert cols["instrument"].tolist() == np.broadcast_to(instrument, 4).tolist()
    assert cols["side"].tolist() == [1, -1, 1, -1] and cols["side"].dtype == np.int8


def test_market_data_pickle_is_the_binary_form(example):
    md = example[0]
    payload = pickle.dumps(md, protocol=5)
    blob = md.to_bytes()
    assert blob in payload and len(payload) < len(blob) + 200
    assert b'"Item"' not in payload and b"PublicTrade" not in payload


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_config_and_constant_arguments_pickle_to_equal_objects(example, protocol):
    md, cfg, args = example
    assert round_trip(cfg, protocol) == cfg
    back = round_trip(args, protocol)
    assert back == args and back is not args
    assert back.market_data == md and back.system_config == cfg
    assert back.summary_interval == "annual_365"
    dyn = BacktestArgsDynamic("b", "0.05", strategy=SmaCross(2, 4, "0.01"))
    assert backtest(back, dyn).to_json() == backtest(args, dyn).to_json()


def test_constant_arguments_equality_is_by_value(example):
    md, cfg, args = example
    assert args == BacktestArgsConstant(cfg, md.copy(), "annual_365", initial_balances=BALANCES)
    assert args != BacktestArgsConstant(cfg, md, "daily", initial_balances=BALANCES)
    assert args != BacktestArgsConstant(cfg, md, "annual_365")
    other_balance = [dict(BALANCES[0], total="25001", free="25001")]
    assert args != BacktestArgsConstant(cfg, md, "annual_365", initial_balances=other_balance)
    fewer = MarketDataInMemory(md.events()[:-1])
    assert args != BacktestArgsConstant(cfg, fewer, "annual_365", initial_balances=BALANCES)
    walk = trades(random_walk(50))
    assert args_for(walk) == args_for(walk) and args_for(walk, "0.001") != args_for(walk)
    with pytest.raises(TypeError, match="unhashable"):
        hash(args)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_dynamic_arguments_and_strategies_pickle_to_equal_objects(protocol):
    strategies = [None, BuyAndHold(1), SmaCross(5, 20, "0.01"), BollingerReversion(20, 2, 1), Breakout(10, 2),
                  TargetPositions(np.linspace(0, 1, 7))]
    for strategy in strategies:
        dyn = BacktestArgsDynamic("d", Decimal("0.05"), strategy=strategy, fill="signal", close_at_end=False)
        back = round_trip(dyn, protocol)
        assert back == dyn and hash(back) == hash(dyn)
        assert back.strategy == strategy and type(back.strategy) is type(strategy)
    assert round_trip(BacktestArgsDynamic("d", 0)) != BacktestArgsDynamic("e", 0)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_summaries_pickle_to_equal_summaries(sweep, protocol):
    _, _, multi = sweep
    back = round_trip(multi, protocol)
    assert back == multi and back.ids == multi.ids and back.duration_ns == multi.duration_ns
    assert back.to_json() == multi.to_json()
    one = multi[1]
    assert len(one.positions) > 10
    assert round_trip(one, protocol) == one
    # Positions read (materialised as Position objects) still pickle equal.
    assert one.positions[0].pnl == list(one.positions)[0].pnl
    assert round_trip(one, protocol) == one and round_trip(one, protocol).pnl == one.pnl
    np.testing.assert_array_equal(round_trip(one).equity.value, one.equity.value)
    assert copy.deepcopy(multi) == multi


def test_summaries_pickle_compactly(sweep):
    """Smaller than their wire JSON: decimals stay strings, not Decimal objects."""
    _, _, multi = sweep
    payload = pickle.dumps(multi, protocol=5)
    wire = multi.to_json().encode()
    assert sum(len(s.positions) for s in multi) > 100 and sum(len(s.equity) for s in multi) > 1000
    assert len(payload) < 0.6 * len(wire)  # the equity curve as raw float64/int64, no repeated keys
    assert pickle.loads(payload).summaries == multi.summaries
    one = multi[0]
    # The wire's positions are columns too (decimals as one string per column); the
    # pickle has the same strings and the integer columns as raw int64.
    assert len(pickle.dumps(one.positions, protocol=5)) < 0.8 * len(json.dumps(one._wire()["positions"]))
    assert pickle.loads(pickle.dumps(one.positions, protocol=5))._items is None  # no Position objects made


def test_arguments_unpickled_in_another_process_give_the_same_summaries(tmp_path, sweep):
    args, variants, multi = sweep
    path = tmp_path / "args.pickle"
    path.write_bytes(pickle.dumps((args, variants)))
    script = (
        "import pickle, sys\n"
        "from barter_cy import run_backtests\n"
        f"args, variants = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "sys.stdout.buffer.write(pickle.dumps(run_backtests(args, variants, max_concurrent=1)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, timeout=60)
    remote = pickle.loads(done.stdout)
    assert remote.summaries == multi.summaries
    assert [json.loads(s.to_json()) for s in remote] == [json.loads(s.to_json()) for s in multi]


def test_config_equality(example):
    _, cfg, _ = example
    assert cfg == SystemConfig.from_json(barter_cy.example_path("system_config"))
    assert config("0") != config("0.001")
