"""Closed positions and equity curves as columns: what crosses the C ABI (a summaries
handle read in place) and the JSON wire (one string of exact decimals per column) must
hold exactly what the engine produced."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import numpy as np
import pytest

from barter_cy import BacktestArgsDynamic, run_backtests
from barter_cy.backtest import backtest
from barter_cy.strategy import BuyAndHold, SmaCross
from barter_cy.summary import DECIMAL_COLUMNS, BacktestSummary, MultiBacktestSummary, Position, Positions
from test_python_strategy import PySmaCross
from test_strategies import args_for, random_walk, trades


@pytest.fixture(scope="module")
def args():
    return args_for(trades(random_walk(3_000, seed=11)), "0.001")


@pytest.fixture(scope="module")
def multi(args):
    variants = [BacktestArgsDynamic(f"sma-{fast}-{slow}-{fill}", 0, strategy=SmaCross(fast, slow, "0.5"), fill=fill)
                for fast, slow in [(2, 7), (3, 11), (5, 20)] for fill in ("signal", "next")]
    variants.append(BacktestArgsDynamic("none", 0))
    return run_backtests(args, variants, max_concurrent=2)


def test_pnl_over_the_positions_is_the_summary_pnl_exactly(multi):
    traded = 0
    for summary in multi:
        positions = summary.positions
        traded += len(positions)
        total = sum((p.pnl for p in positions), Decimal(0))
        assert total == summary.pnl, summary.id
        for name, sheet in summary.trading_summary.instruments.items():
            assert sum((p.pnl for p in positions if p.instrument == name), Decimal(0)) == sheet.pnl
        # Each position's PnL is the round trip's, fees included: q(P1 − P0) − fees.
        for p in positions:
            assert p.pnl == p.quantity * (p.price_exit - p.price_entry) - p.fees
    assert traded > 100


def test_times_are_ordered_and_columns_agree_with_the_positions(multi):
    for summary in multi:
        positions = summary.positions
        enter, exit_ = positions.column("time_enter_ns"), positions.column("time_exit_ns")
        assert enter.dtype == np.int64 and exit_.dtype == np.int64
        assert np.all(enter < exit_)
        assert np.all(np.diff(exit_) >= 0), "positions in the order they closed"
        assert np.all(enter[1:] >= exit_[:-1]), "one position at a time"
        assert np.all(np.diff(summary.equity.time_ns) >= 0)
        assert positions.column("side").dtype == np.int8
        assert positions.column("side").tolist() == [1 if p.side == "buy" else -1 for p in positions]
        assert positions.column("instrument").tolist() == [p.instrument for p in positions]
        assert enter.tolist() == [p.time_enter_ns for p in positions]
        for name in DECIMAL_COLUMNS:
            floats = positions.column(name)
            assert floats.dtype == np.float64 and not floats.flags.writeable
            assert floats.tolist() == [float(getattr(p, name)) for p in positions], name


def test_columns_equal_a_python_strategy_of_the_same_rule(args):
    for fill in ("signal", "next"):
        builtin = run_backtests(args, [BacktestArgsDynamic("b", 0, strategy=SmaCross(3, 11, "0.5"), fill=fill)],
                                max_concurrent=1)[0]
        python = backtest(args, BacktestArgsDynamic("p", 0, strategy=PySmaCross(3, 11, Decimal("0.5")), fill=fill))
        assert len(builtin.positions) > 20
        assert builtin.positions == python.positions
        assert builtin.positions._wire() == python.positions._wire()
        for name in DECIMAL_COLUMNS:
            assert [getattr(p, name) for p in builtin.positions] == [getattr(p, name) for p in python.positions]
        assert builtin.equity == python.equity


def test_threads_and_single_runs_give_identical_columns(args, multi):
    again = run_backtests(args, [BacktestArgsDynamic(s.id, 0, strategy=SmaCross(*_params(s)), fill=s.fill)
                                 for s in multi if s.id != "none"], max_concurrent=1)
    for one, other in zip(again, multi):
        assert one.positions._wire() == other.positions._wire()
        assert one.equity == other.equity


def _params(summary):
    params = summary.strategy.params
    return params["fast"], params["slow"], params["quantity"]


def test_json_round_trip_keeps_the_columns_and_is_columnar(multi):
    wire = json.loads(multi.to_json())
    positions = wire["summaries"][0]["positions"]
    assert list(positions) == ["instruments", "instrument", "side", "quantity", "price_entry", "price_exit", "fees",
                               "pnl", "time_enter_ns", "time_exit_ns"]
    assert isinstance(positions["pnl"], str) and len(positions["pnl"].split(" ")) == len(positions["side"])
    again = MultiBacktestSummary.from_json(multi.to_json())
    assert again == multi
    for one, other in zip(again, multi):
        assert [p.pnl for p in one.positions] == [p.pnl for p in other.positions]
        assert [str(p.fees) for p in one.positions] == [str(p.fees) for p in other.positions]
        assert one.positions.column("pnl").tolist() == other.positions.column("pnl").tolist()


def test_pickle_keeps_the_columns_and_builds_no_positions(multi):
    summary = multi[0]
    positions = pickle.loads(pickle.dumps(summary.positions))
    assert positions._items is None
    assert positions == summary.positions
    assert len(pickle.dumps(summary.positions)) < len(json.dumps(summary.positions._wire()))


def test_positions_made_from_objects_equal_the_columns(multi):
    summary = multi[0]
    rebuilt = Positions(list(summary.positions))
    assert rebuilt == summary.positions
    assert rebuilt._wire() == summary.positions._wire()
    assert Positions() == () and len(Positions()) == 0
    assert Positions().column("pnl").tolist() == []
    # Decimals equal in value but not in digits still compare equal.
    p = summary.positions[0]
    wider = Position(p.instrument, p.side, Decimal(str(p.quantity)) + Decimal("0.000"), p.price_entry,
                     p.price_exit, p.fees, p.pnl, p.time_enter_ns, p.time_exit_ns)
    assert Positions([wider]) == Positions([p])
    assert Positions([wider]) != Positions([p, p])


def test_positions_frame_is_built_from_the_columns(multi):
    pytest.importorskip("pandas")
    summary = multi[0]
    fresh = BacktestSummary.from_json(summary.to_json())
    frame = fresh.positions_frame()
    assert fresh.positions._items is None
    assert frame["pnl"].tolist() == [float(p.pnl) for p in summary.positions]
    assert frame["side"].tolist() == [p.side for p in summary.positions]
    assert frame["instrument"].tolist() == [p.instrument for p in summary.positions]
    assert [t.value for t in frame["time_exit"]] == [p.time_exit_ns for p in summary.positions]


def _wire(**changes):
    base = {"instruments": ["a", "b"], "instrument": [0, 1], "side": [1, -1], "quantity": "1 2",
            "price_entry": "10.5 20", "price_exit": "11 19.25", "fees": "0 0", "pnl": "0.5 1.5",
            "time_enter_ns": [1, 5], "time_exit_ns": [2, 6]}
    base.update(changes)
    return base


def test_wire_positions_decode():
    positions = Positions._from_wire(_wire(), "p")
    assert len(positions) == 2 and positions.instruments == ("a", "b")
    assert positions[1] == Position("b", "sell", Decimal(2), Decimal("20"), Decimal("19.25"), Decimal(0),
                                    Decimal("1.5"), 5, 6)
    assert positions.column("price_exit").tolist() == [11.0, 19.25]
    with pytest.raises(KeyError, match="no position column 'price'"):
        positions.column("price")


@pytest.mark.parametrize("changes, message", [
    ({"pnl": "0.5"}, r"p\.pnl: expected 2 decimals, got 1"),
    ({"pnl": "0.5 x"}, r"p\.pnl\[1\]: invalid decimal 'x'"),
    ({"pnl": "0.5  1"}, r"p\.pnl\[1\]: invalid decimal ''"),
    ({"fees": ["0", "0"]}, r"p\.fees: expected a string of decimals separated by spaces, got list"),
    ({"side": [1, 2]}, r"p\.side\[1\]: expected 1 \(buy\) or -1 \(sell\), got 2"),
    ({"instrument": [0, 2]}, r"p\.instrument\[1\]: 2 is not an index into 2 instruments"),
    ({"time_exit_ns": [2]}, r"p\.time_exit_ns: expected 2 rows \(as side\), got 1"),
    ({"time_exit_ns": [2.5, 3.0]}, r"p\.time_exit_ns: expected integers, got float64"),
    ({"instruments": "a"}, r"p\.instruments: expected array, got str"),
])
def test_malformed_wire_positions_name_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        Positions._from_wire(_wire(**changes), "p")


def test_missing_column_and_lazily_found_bad_decimal():
    wire = _wire()
    del wire["fees"]
    with pytest.raises(ValueError, match=r"p\.fees: missing field"):
        Positions._from_wire(wire, "p")
    # Only digits, dots and minus signs: checked at decode; the form when a value is read.
    positions = Positions._from_wire(_wire(pnl="0.5 1..5"), "p")
    with pytest.raises(ValueError, match=r"p\.pnl\[1\]: invalid decimal '1\.\.5'"):
        positions[0]
    with pytest.raises(ValueError, match=r"p\.pnl"):
        positions.column("pnl")


def test_buy_and_hold_columns_are_exact(args):
    summary = backtest(args, BacktestArgsDynamic("h", 0, strategy=BuyAndHold("0.123"), fill="signal"))
    (position,) = summary.positions
    assert str(position.quantity) == "0.123"
    assert position.pnl == summary.pnl
    assert summary.positions.column("quantity").tolist() == [0.123]


def test_summaries_without_details_keep_statistics_and_counts(args, multi):
    variants = [BacktestArgsDynamic(s.id, 0, strategy=SmaCross(int(s.id.split("-")[1]), int(s.id.split("-")[2]), "0.5"),
                                    fill=s.fill) for s in multi if s.id != "none"]
    lean = run_backtests(args, variants, max_concurrent=2, details=False)
    full = [s for s in multi if s.id != "none"]
    assert lean.summaries == tuple(s.without_details() for s in full)
    for small, big in zip(lean, full):
        assert small.positions is None and small.equity is None and not small.has_details and big.has_details
        assert small.trading_summary == big.trading_summary and small.strategy == big.strategy
        counts = dict(zip(*np.unique(big.positions.column("instrument"), return_counts=True)))
        assert small.position_counts == big.position_counts == {k: int(v) for k, v in counts.items()}
        assert small.position_count == len(big.positions) > 0
        assert f"positions={len(big.positions)}" in repr(small) and f"Positions: {len(big.positions)}" in str(small)
    assert multi[-1].position_counts == {} and multi[-1].without_details().position_count == 0
    # Round trips, and a tenth of the bytes.
    assert MultiBacktestSummary.from_json(lean.to_json()) == lean
    assert pickle.loads(pickle.dumps(lean)) == lean
    assert json.loads(lean[0].to_json())["positions"] is None
    assert len(pickle.dumps(lean)) * 10 < len(pickle.dumps(MultiBacktestSummary(len(full), 0, full)))
    # The same through worker processes (they drop the details before sending).
    assert run_backtests(args, variants, processes=2, details=False).summaries == lean.summaries
    with pytest.raises(TypeError, match="details must be bool, got int"):
        run_backtests(args, variants, details=0)


def test_summaries_without_details_say_what_is_missing(multi):
    small = multi[0].without_details()
    assert small.without_details() is small
    for call, what in ((small.plot, "plot"), (small.positions_frame, "positions_frame"),
                       (small.equity_frame, "equity_frame")):
        with pytest.raises((ValueError, ImportError), match=rf"BacktestSummary\.{what}"):
            call()
    with pytest.raises(ValueError, match=r"position_counts: required when positions is None"):
        BacktestSummary(small.id, 0, small.trading_summary, positions=None)
    with pytest.raises(ValueError, match=r"position_counts: \{'x': 1\} do not match the positions"):
        BacktestSummary(small.id, 0, small.trading_summary, position_counts={"x": 1})
    with pytest.raises(ValueError, match=r"position_counts\['x'\]: expected a count >= 0, got -1"):
        BacktestSummary(small.id, 0, small.trading_summary, positions=None, position_counts={"x": -1})
    with pytest.raises(TypeError, match="position_counts: expected a mapping"):
        BacktestSummary(small.id, 0, small.trading_summary, positions=None, position_counts=[1])
    with pytest.raises(TypeError, match="BacktestSummary.equity: expected Equity or None, got list"):
        BacktestSummary(small.id, 0, small.trading_summary, equity=[])
    assert BacktestSummary(small.id, 0, small.trading_summary, positions=None,
                           position_counts={"x": 2, "y": 0}).position_counts == {"x": 2}
