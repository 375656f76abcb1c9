"""Backtests end to end: argument classes, backtest(), run_backtests(), summaries,
threads (GIL released, shared arguments), fork and panics."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest

import barter_cy
from barter_cy import (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    BacktestSummary,
    BarterError,
    BarterPanic,
    MarketDataInMemory,
    MultiBacktestSummary,
    SystemConfig,
    run_backtests,
)
from barter_cy.data import DataKind, MarketEvent, PublicTrade

EXPECTED_NAMES = ["binancespot-btc_usdt", "binancespot-eth_usdt", "binancespot-sol_usdt"]
EXPECTED_BALANCES = {
    "binance_spot:btc": Decimal("0.1"),
    "binance_spot:eth": Decimal("1"),
    "binance_spot:sol": Decimal("10"),
    "binance_spot:usdt": Decimal("10000"),
}
METRICS = ("pnl_return", "sharpe_ratio", "sortino_ratio", "calmar_ratio")


# --------------------------------------------------------------------------
# Fixtures (example_market_data_path / example_config_path: tests/conftest.py)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market_data(example_market_data_path) -> MarketDataInMemory:
    return MarketDataInMemory.from_json_file(example_market_data_path)


@pytest.fixture(scope="module")
def config(example_config_path) -> SystemConfig:
    return SystemConfig.from_json(example_config_path)


@pytest.fixture(scope="module")
def args(config, market_data) -> BacktestArgsConstant:
    return BacktestArgsConstant(config, market_data)


@pytest.fixture(scope="module")
def summary(args) -> BacktestSummary:
    """One backtest on the example data (also starts the process-wide runtime)."""
    return barter_cy.backtest.backtest(args, BacktestArgsDynamic("baseline", "0.05"))


def _balance(entry_overrides: dict | None = None, **kwargs) -> dict:
    entry = {"exchange": "binance_spot", "asset": "usdt", "total": "100", "free": "100"}
    entry.update(entry_overrides or {})
    entry.update(kwargs)
    return entry


def _stable(summary: BacktestSummary) -> dict:
    """The parts of a summary that do not depend on wall-clock time: pnl, the
    interval-less metrics, metric intervals, drawdown values and balances (the
    period-scaled metrics and every time field are left out)."""
    ts = summary.trading_summary

    def dd(value):
        return None if value is None else value.value

    def mdd(value):
        return None if value is None else value.mean_drawdown

    instruments = {
        name: {
            "pnl": sheet.pnl,
            "intervals": tuple(getattr(sheet, m).interval for m in METRICS),
            "win_rate": sheet.win_rate,
            "profit_factor": sheet.profit_factor,
            "pnl_drawdown": dd(sheet.pnl_drawdown),
            "pnl_drawdown_mean": mdd(sheet.pnl_drawdown_mean),
            "pnl_drawdown_max": dd(sheet.pnl_drawdown_max),
        }
        for name, sheet in ts.instruments.items()
    }
    assets = {
        name: {
            "balance_end": asset.balance_end,
            "drawdown": dd(asset.drawdown),
            "drawdown_mean": mdd(asset.drawdown_mean),
            "drawdown_max": dd(asset.drawdown_max),
        }
        for name, asset in ts.assets.items()
    }
    return {"instruments": instruments, "assets": assets}


def _assert_times(summary: BacktestSummary, market_data: MarketDataInMemory) -> None:
    ts = summary.trading_summary
    first = market_data.time_first_event_ns
    # HistoricalClock adds the wall-clock time elapsed since the last event.
    assert ts.time_engine_start_ns >= first
    assert ts.time_engine_start_ns - first < 5_000_000_000
    assert ts.time_engine_start_ns <= ts.time_engine_end_ns
    assert ts.time_engine_start >= market_data.time_first_event
    assert ts.time_engine_start <= ts.time_engine_end
    assert ts.trading_duration >= timedelta(0)
    assert ts.trading_duration_ns == ts.time_engine_end_ns - ts.time_engine_start_ns


def _assert_default_outcome(summary: BacktestSummary, config: SystemConfig) -> None:
    ts = summary.trading_summary
    assert list(ts.instruments) == config.instrument_names
    for sheet in ts.instruments.values():
        assert sheet.pnl == Decimal("0")
    assert {name: asset.balance_end.total for name, asset in ts.assets.items()} == EXPECTED_BALANCES
    assert {name: asset.balance_end.free for name, asset in ts.assets.items()} == EXPECTED_BALANCES


# --------------------------------------------------------------------------
# BacktestArgsConstant
# --------------------------------------------------------------------------


def test_args_constant_properties(args, config, market_data):
    assert args.instrument_count == 3
    assert args.execution_count == 1
    assert args.summary_interval == "daily"
    assert args.market_data is market_data
    assert args.system_config is config
    text = repr(args)
    assert "instruments=3" in text and "executions=1" in text and "'daily'" in text


@pytest.mark.parametrize(
    "given, expected",
    [
        ("daily", "daily"),
        ("DAILY", "daily"),
        ("Daily", "daily"),
        ("annual_252", "annual_252"),
        ("ANNUAL_252", "annual_252"),
        ("Annual_365", "annual_365"),
        ("annual_365", "annual_365"),
    ],
)
def test_summary_interval_case_insensitive(config, market_data, given, expected):
    args = BacktestArgsConstant(config, market_data, given)
    assert args.summary_interval == expected


@pytest.mark.parametrize("bad", ["weekly", "", "annual", "annual-252", "annual_360", "daily2"])
def test_summary_interval_invalid(config, market_data, bad):
    with pytest.raises(ValueError, match=r"valid values are daily, annual_252, annual_365") as info:
        BacktestArgsConstant(config, market_data, bad)
    assert "summary_interval" in str(info.value)


@pytest.mark.parametrize("bad", [None, 252, b"daily"])
def test_summary_interval_wrong_type(config, market_data, bad):
    with pytest.raises(TypeError, match="summary_interval must be str"):
        BacktestArgsConstant(config, market_data, bad)


def test_args_constant_wrong_types(config, market_data, example_config_path):
    with pytest.raises(TypeError, match="system_config must be SystemConfig, got str"):
        BacktestArgsConstant(example_config_path, market_data)
    with pytest.raises(TypeError, match="market_data must be MarketDataInMemory, got list"):
        BacktestArgsConstant(config, [])


def test_initial_balances_override(config, market_data):
    args = BacktestArgsConstant(
        config,
        market_data,
        initial_balances=[
            {"exchange": "binance_spot", "asset": "usdt", "total": Decimal("12345.678"), "free": 12000}
        ],
    )
    result = barter_cy.backtest.backtest(args, BacktestArgsDynamic("seeded", "0.05"))
    assets = result.trading_summary.assets
    usdt = assets["binance_spot:usdt"].balance_end
    assert usdt.total == Decimal("12345.678")
    assert usdt.free == Decimal("12000")
    assert str(usdt.total) == "12345.678"
    assert str(usdt.free) == "12000"
    for name in ("binance_spot:btc", "binance_spot:eth", "binance_spot:sol"):
        assert assets[name].balance_end.total == EXPECTED_BALANCES[name]
        assert assets[name].balance_end.free == EXPECTED_BALANCES[name]
    for sheet in result.trading_summary.instruments.values():
        assert sheet.pnl == 0


def test_initial_balances_several_entries_any_case(config, market_data):
    args = BacktestArgsConstant(
        config,
        market_data,
        initial_balances=[
            {"exchange": "BINANCE_SPOT", "asset": "BTC", "total": "2.5", "free": "2"},
            {"exchange": "binance_spot", "asset": "sol", "total": 0, "free": 0},
            {"exchange": "binance_spot", "asset": "eth", "total": 0.25, "free": "0.125"},
        ],
    )
    assets = barter_cy.backtest.backtest(args, BacktestArgsDynamic("multi", 0)).trading_summary.assets
    assert assets["binance_spot:btc"].balance_end.total == Decimal("2.5")
    assert assets["binance_spot:btc"].balance_end.free == Decimal("2")
    assert assets["binance_spot:sol"].balance_end.total == Decimal("0")
    assert assets["binance_spot:sol"].balance_end.free == Decimal("0")
    assert assets["binance_spot:eth"].balance_end.total == Decimal("0.25")
    assert assets["binance_spot:eth"].balance_end.free == Decimal("0.125")
    assert assets["binance_spot:usdt"].balance_end.total == Decimal("10000")


def test_initial_balances_do_not_leak_between_args(config, market_data, summary):
    BacktestArgsConstant(config, market_data, initial_balances=[_balance(total="1", free="1")])
    again = barter_cy.backtest.backtest(BacktestArgsConstant(config, market_data), BacktestArgsDynamic("again", 1))
    assert again.trading_summary.assets["binance_spot:usdt"].balance_end.total == Decimal("10000")
    assert _stable(again) == _stable(summary)


@pytest.mark.parametrize("empty", [[], ()])
def test_initial_balances_empty_is_no_override(config, market_data, summary, empty):
    args = BacktestArgsConstant(config, market_data, initial_balances=empty)
    assert _stable(barter_cy.backtest.backtest(args, BacktestArgsDynamic("empty", 1))) == _stable(summary)


@pytest.mark.parametrize(
    "entry, pattern",
    [
        (_balance(exchange="kraken"), r'initial_balances\[0\]\.exchange: unknown exchange "kraken"'),
        (_balance(asset="xrp"), r'initial_balances\[0\]\.asset: unknown asset "xrp" on binance_spot'),
        (_balance(total="-1", free="0"), r"initial_balances\[0\]\.total: must not be negative"),
        (_balance(total="1", free="-1"), r"initial_balances\[0\]\.free: must not be negative"),
        (_balance(total=float("nan")), r"initial_balances\[0\]\.total: nan is not a decimal barter can represent \(not finite\)"),
        (_balance(total=float("inf")), r"initial_balances\[0\]\.total: inf is not a decimal barter can represent \(not finite\)"),
        (_balance(free=Decimal("Infinity")), r"initial_balances\[0\]\.free: Infinity is not a decimal barter can represent \(not finite\)"),
        (_balance(total=Decimal("NaN")), r"initial_balances\[0\]\.total: NaN is not a decimal barter can represent \(not finite\)"),
        (_balance(total="abc"), r"initial_balances\[0\]\.total is not a valid decimal"),
        (_balance(total="1", free="2"), r"initial_balances\[0\]: free \(2\) is greater than total \(1\)"),
        (_balance(exchange="  "), r"initial_balances\[0\]\.exchange must be a non-empty string"),
        (_balance(asset=""), r"initial_balances\[0\]\.asset must be a non-empty string"),
        (_balance(extra=1), r"initial_balances\[0\] has unknown keys extra"),
        ({"exchange": "binance_spot", "asset": "usdt", "total": 1}, r"initial_balances\[0\] is missing free"),
        ({"exchange": "binance_spot"}, r"initial_balances\[0\] is missing asset, total, free"),
    ],
)
def test_initial_balances_value_errors(config, market_data, entry, pattern):
    with pytest.raises(ValueError, match=pattern):
        BacktestArgsConstant(config, market_data, initial_balances=[entry])


def test_initial_balances_error_names_the_entry_index(config, market_data):
    with pytest.raises(ValueError, match=r'initial_balances\[2\]\.asset: unknown asset "doge"'):
        BacktestArgsConstant(
            config,
            market_data,
            initial_balances=[_balance(), _balance(asset="btc"), _balance(asset="doge")],
        )


def test_initial_balances_out_of_range_decimal(config, market_data):
    with pytest.raises(ValueError, match=r"initial_balances\[0\]\.total: .* is not a decimal barter can represent"):
        BacktestArgsConstant(config, market_data, initial_balances=[_balance(total="1e40", free="1")])


@pytest.mark.parametrize(
    "balances, pattern",
    [
        ({"exchange": "binance_spot"}, r"initial_balances must be a list .* got dict"),
        ("usdt", r"initial_balances must be a list .* got str"),
        (5, r"initial_balances must be a list .* got int"),
        ([("binance_spot", "usdt", 1, 1)], r"initial_balances\[0\] must be a dict, got tuple"),
        ([_balance(), None], r"initial_balances\[1\] must be a dict, got NoneType"),
        ([_balance(exchange=1)], r"initial_balances\[0\]\.exchange must be str, got int"),
        ([_balance(asset=None)], r"initial_balances\[0\]\.asset must be str, got NoneType"),
        ([_balance(total=[1])], r"initial_balances\[0\]\.total must be Decimal, int, str or float, got list"),
        ([_balance(free=True)], r"initial_balances\[0\]\.free must be Decimal, int, str or float, got bool"),
        ([_balance(total=None)], r"initial_balances\[0\]\.total must be Decimal, int, str or float, got NoneType"),
    ],
)
def test_initial_balances_type_errors(config, market_data, balances, pattern):
    with pytest.raises(TypeError, match=pattern):
        BacktestArgsConstant(config, market_data, initial_balances=balances)


def _trade_event(instrument: int, second: int = 0) -> MarketEvent:
    t = 1_734_721_518_175_000_000 + second * 1_000_000_000
    trade = PublicTrade(f"id-{instrument}-{second}", 96962.51, 0.001, "Buy")
    return MarketEvent(t, t + 1000, "binance_spot", instrument, DataKind.trade(trade))


def test_market_data_with_unknown_instrument_index(config):
    data = MarketDataInMemory([_trade_event(0), _trade_event(7, 1), _trade_event(1, 2)])
    assert data.max_instrument_index == 7
    with pytest.raises(ValueError, match=r"market data refers to instrument index 7") as info:
        BacktestArgsConstant(config, data)
    message = str(info.value)
    assert "3 instrument(s)" in message
    for name in EXPECTED_NAMES:
        assert name in message


def test_market_data_with_last_valid_index_runs(config):
    data = MarketDataInMemory([_trade_event(0), _trade_event(2, 1)])
    args = BacktestArgsConstant(config, data)
    result = barter_cy.backtest.backtest(args, BacktestArgsDynamic("small", "0.05"))
    assert list(result.trading_summary.instruments) == EXPECTED_NAMES
    _assert_times(result, data)


# --------------------------------------------------------------------------
# BacktestArgsDynamic
# --------------------------------------------------------------------------


def test_args_dynamic_id_trimmed():
    dynamic = BacktestArgsDynamic("  run-1 \t", "0.05")
    assert dynamic.id == "run-1"
    assert dynamic.strategy is None
    assert dynamic.risk is None
    assert repr(dynamic) == "BacktestArgsDynamic(id='run-1', risk_free_return=Decimal('0.05'))"


@pytest.mark.parametrize("bad", ["", "   ", "\t\n"])
def test_args_dynamic_empty_id(bad):
    with pytest.raises(ValueError, match="id must not be empty"):
        BacktestArgsDynamic(bad, "0.05")


@pytest.mark.parametrize("bad", [None, 1, b"run", ["run"]])
def test_args_dynamic_id_wrong_type(bad):
    with pytest.raises(TypeError, match="id must be str, got"):
        BacktestArgsDynamic(bad, "0.05")


@pytest.mark.parametrize(
    "value, expected, expected_str",
    [
        (Decimal("0.05"), Decimal("0.05"), "0.05"),
        (Decimal("-0.010"), Decimal("-0.01"), "-0.010"),
        (0, Decimal("0"), "0"),
        (3, Decimal("3"), "3"),
        ("0.05", Decimal("0.05"), "0.05"),
        (" 0.07 ", Decimal("0.07"), "0.07"),
        ("5e-2", Decimal("0.05"), "0.05"),
        (0.05, Decimal("0.05"), "0.05"),
        (0.1, Decimal("0.1"), "0.1"),
        (-0.25, Decimal("-0.25"), "-0.25"),
    ],
)
def test_args_dynamic_risk_free_return(value, expected, expected_str):
    dynamic = BacktestArgsDynamic("r", value)
    assert dynamic.risk_free_return == expected
    assert isinstance(dynamic.risk_free_return, Decimal)
    assert str(dynamic.risk_free_return) == expected_str


@pytest.mark.parametrize(
    "bad, pattern",
    [
        (float("nan"), r"risk_free_return: nan is not a decimal barter can represent \(not finite\)"),
        (float("inf"), r"risk_free_return: inf is not a decimal barter can represent \(not finite\)"),
        (float("-inf"), r"risk_free_return: -inf is not a decimal barter can represent \(not finite\)"),
        (Decimal("NaN"), r"risk_free_return: NaN is not a decimal barter can represent \(not finite\)"),
        (Decimal("Infinity"), r"risk_free_return: Infinity is not a decimal barter can represent \(not finite\)"),
        ("NaN", r"risk_free_return: NaN is not a decimal barter can represent \(not finite\)"),
        ("inf", r"risk_free_return: Infinity is not a decimal barter can represent \(not finite\)"),
        ("garbage", "risk_free_return is not a valid decimal: 'garbage'"),
        ("", "risk_free_return is not a valid decimal"),
        ("0.05%", "risk_free_return is not a valid decimal"),
    ],
)
def test_args_dynamic_risk_free_return_invalid(bad, pattern):
    with pytest.raises(ValueError, match=pattern):
        BacktestArgsDynamic("r", bad)


@pytest.mark.parametrize("bad", [None, True, [0.05], object()])
def test_args_dynamic_risk_free_return_wrong_type(bad):
    with pytest.raises(TypeError, match="risk_free_return must be Decimal, int, str or float"):
        BacktestArgsDynamic("r", bad)


def test_args_dynamic_other_strategies_and_risk_not_supported():
    with pytest.raises(TypeError, match="strategy must be a barter_cy.strategy strategy"):
        BacktestArgsDynamic("r", "0.05", strategy=object())
    with pytest.raises(NotImplementedError, match="custom risk managers are not supported"):
        BacktestArgsDynamic("r", "0.05", risk=object())
    with pytest.raises(NotImplementedError):
        BacktestArgsDynamic("r", "0.05", None, "risk")


def test_args_dynamic_equality_and_hash():
    a = BacktestArgsDynamic("x", "0.05")
    b = BacktestArgsDynamic(" x ", 0.05)
    c = BacktestArgsDynamic("x", "0.06")
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert a != "x"
    assert len({a, b, c}) == 2


# --------------------------------------------------------------------------
# backtest()
# --------------------------------------------------------------------------


def test_backtest_single_run(summary, config, market_data):
    assert isinstance(summary, BacktestSummary)
    assert summary.id == "baseline"
    assert summary.risk_free_return == Decimal("0.05")
    assert str(summary.risk_free_return) == "0.05"
    _assert_default_outcome(summary, config)
    assert "binance_spot:usdt" in summary.trading_summary.assets
    usdt = summary.trading_summary.assets["binance_spot:usdt"].balance_end
    assert usdt.total == Decimal("10000")
    assert usdt.free == Decimal("10000")
    _assert_times(summary, market_data)
    for sheet in summary.trading_summary.instruments.values():
        assert sheet.pnl_return.value == 0
        for metric in METRICS:
            assert getattr(sheet, metric).interval == "Daily"


def test_backtest_is_a_plain_module_with_the_peer_names(args, config, market_data):
    import types

    assert type(barter_cy.backtest) is types.ModuleType
    assert not callable(barter_cy.backtest)
    assert barter_cy.backtest.run_backtests is run_backtests
    assert barter_cy.backtest.MarketDataInMemory is MarketDataInMemory
    via_module = barter_cy.backtest.backtest(args, BacktestArgsDynamic("via-module", 1))
    via_function = barter_cy.backtest.backtest(args, BacktestArgsDynamic("via-function", "0.02"))
    assert via_module.id == "via-module"
    assert via_module.risk_free_return == Decimal("1")
    assert via_function.id == "via-function"
    assert via_function.risk_free_return == Decimal("0.02")
    for result in (via_module, via_function):
        _assert_default_outcome(result, config)
        _assert_times(result, market_data)
    assert _stable(via_module) == _stable(via_function)


@pytest.mark.parametrize(
    "value, expected_str",
    [(0.05, "0.05"), ("5e-2", "0.05"), (Decimal("0.0500"), "0.0500"), (7, "7"), ("-0.01", "-0.01")],
)
def test_backtest_risk_free_return_exact(args, value, expected_str):
    result = barter_cy.backtest.backtest(args, BacktestArgsDynamic("rfr", value))
    assert result.risk_free_return == Decimal(expected_str)
    assert str(result.risk_free_return) == expected_str


@pytest.mark.parametrize(
    "interval, name",
    [("daily", "Daily"), ("annual_252", "Annual(252)"), ("ANNUAL_365", "Annual(365)")],
)
def test_backtest_interval_names(config, market_data, interval, name):
    args = BacktestArgsConstant(config, market_data, interval)
    result = barter_cy.backtest.backtest(args, BacktestArgsDynamic(interval, "0.05"))
    for sheet in result.trading_summary.instruments.values():
        for metric in METRICS:
            assert getattr(sheet, metric).interval == name
        assert sheet.win_rate is None or sheet.win_rate.interval is None
    assert name in str(result)


def test_backtest_wrong_argument_types(args):
    with pytest.raises(TypeError, match="args_constant must be BacktestArgsConstant, got str"):
        barter_cy.backtest.backtest("args", BacktestArgsDynamic("x", 1))
    with pytest.raises(TypeError, match="args_dynamic must be BacktestArgsDynamic, got dict"):
        barter_cy.backtest.backtest(args, {"id": "x", "risk_free_return": 1})
    with pytest.raises(TypeError, match="args_dynamic must be BacktestArgsDynamic, got list"):
        barter_cy.backtest.backtest(args, [BacktestArgsDynamic("x", 1)])


def test_backtest_risk_free_return_outside_rust_decimal_range(args):
    # Valid for Python's Decimal, but beyond rust_decimal's 96-bit mantissa.
    # Rejected when the arguments are made, before anything runs.
    with pytest.raises(ValueError, match=r"risk_free_return: 1E\+30 is not a decimal barter can represent \(magnitude above 79228162514264337593543950335\)"):
        BacktestArgsDynamic("huge", "1e30")
    with pytest.raises(ValueError, match=r"-79228162514264337593543950336 is not a decimal barter can represent \(magnitude above"):
        BacktestArgsDynamic("huge", Decimal("-79228162514264337593543950336"))
    # The largest value barter can hold is accepted and comes back digit for digit.
    summary = barter_cy.backtest.backtest(args, BacktestArgsDynamic("max", "79228162514264337593543950335"))
    assert str(summary.risk_free_return) == "79228162514264337593543950335"


# --------------------------------------------------------------------------
# run_backtests()
# --------------------------------------------------------------------------

VARIANTS = [
    ("alpha", Decimal("0.01"), "0.01"),
    ("beta", 2, "2"),
    ("gamma", "3e-2", "0.03"),
    ("delta", 0.04, "0.04"),
    ("epsilon", "0.050", "0.050"),
]


def test_run_backtests_five_variants(args, config, market_data, summary):
    result = run_backtests(args, [BacktestArgsDynamic(i, r) for i, r, _ in VARIANTS])
    assert isinstance(result, MultiBacktestSummary)
    assert result.num_backtests == 5
    assert len(result) == 5
    assert result.ids == [i for i, _, _ in VARIANTS]
    assert [s.id for s in result.summaries] == [i for i, _, _ in VARIANTS]
    for item, (id_, _, expected) in zip(result, VARIANTS):
        assert item.risk_free_return == Decimal(expected)
        assert str(item.risk_free_return) == expected
        assert result.by_id(id_) is item
        _assert_default_outcome(item, config)
        _assert_times(item, market_data)
        assert _stable(item) == _stable(summary)
    assert isinstance(result.duration, timedelta)
    assert result.duration > timedelta(0)
    assert isinstance(result.duration_ms, int) and not isinstance(result.duration_ms, bool)
    assert result.duration_ms == result.duration_ns // 1_000_000
    with pytest.raises(KeyError, match="no backtest with id 'zeta'"):
        result.by_id("zeta")


def test_run_backtests_duplicate_ids(args):
    dynamics = [
        BacktestArgsDynamic("a", 1),
        BacktestArgsDynamic("b", 1),
        BacktestArgsDynamic(" a ", 2),  # trimmed -> "a"
        BacktestArgsDynamic("c", 1),
        BacktestArgsDynamic("b", 3),
    ]
    with pytest.raises(ValueError, match=r"duplicate backtest ids: a, b$"):
        run_backtests(args, dynamics)


@pytest.mark.parametrize("empty", [[], (), iter([]), (d for d in [])])
def test_run_backtests_empty(args, empty):
    result = run_backtests(args, empty)
    assert result.num_backtests == 0
    assert result.summaries == ()
    assert len(result) == 0
    assert result.ids == []


def test_run_backtests_generator(args):
    result = run_backtests(args, (BacktestArgsDynamic(f"gen-{i}", i) for i in range(3)))
    assert result.num_backtests == 3
    assert result.ids == ["gen-0", "gen-1", "gen-2"]
    assert [s.risk_free_return for s in result] == [Decimal(0), Decimal(1), Decimal(2)]


def test_run_backtests_wrong_element_type(args):
    with pytest.raises(TypeError, match=r"args_dynamic_iter\[1\] must be BacktestArgsDynamic, got dict"):
        run_backtests(args, [BacktestArgsDynamic("ok", 1), {"id": "x", "risk_free_return": 1}])


@pytest.mark.parametrize("bad", [BacktestArgsDynamic("single", 1), "abc", 5, None])
def test_run_backtests_wrong_iterable_type(args, bad):
    with pytest.raises(TypeError, match="args_dynamic_iter must be an iterable of BacktestArgsDynamic"):
        run_backtests(args, bad)


def test_run_backtests_wrong_constant_type():
    with pytest.raises(TypeError, match="args_constant must be BacktestArgsConstant, got NoneType"):
        run_backtests(None, [])


# --------------------------------------------------------------------------
# Summary serialisation and rendering
# --------------------------------------------------------------------------


def test_summary_to_dict_is_json_dumpable(summary):
    data = summary.to_dict()
    assert data["id"] == "baseline"
    assert data["risk_free_return"] == Decimal("0.05")
    text = json.dumps(data, default=str)
    loaded = json.loads(text)
    assert loaded["id"] == "baseline"
    assert loaded["risk_free_return"] == "0.05"
    assert list(loaded["trading_summary"]["instruments"]) == EXPECTED_NAMES
    assert loaded["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"]["total"] == "10000"


def test_summary_json_round_trip(summary, args):
    assert BacktestSummary.from_json(summary.to_json()) == summary
    assert BacktestSummary.from_json(summary.to_json(indent=2)) == summary
    multi = run_backtests(args, [BacktestArgsDynamic("j1", "0.05"), BacktestArgsDynamic("j2", 1)])
    json.dumps(multi.to_dict(), default=str)
    again = MultiBacktestSummary.from_json(multi.to_json())
    assert again == multi
    assert again.ids == ["j1", "j2"]
    assert again.num_backtests == 2


def test_summary_str_contains_instrument_names(summary, args):
    text = str(summary)
    assert "baseline" in text
    for name in EXPECTED_NAMES + list(EXPECTED_BALANCES):
        assert name in text
    multi = run_backtests(args, [BacktestArgsDynamic("s1", 1), BacktestArgsDynamic("s2", 2)])
    multi_text = str(multi)
    assert "2 backtests" in multi_text
    assert "s1" in multi_text and "s2" in multi_text
    for name in EXPECTED_NAMES:
        assert name in multi_text


# --------------------------------------------------------------------------
# Threads: GIL released, shared arguments
# --------------------------------------------------------------------------


def test_gil_released_during_run_backtests(monkeypatch):
    from barter_cy.strategy import SmaCross
    from test_strategies import args_for, random_walk, trades

    args = args_for(trades(random_walk(40_000)))
    windows: list[tuple[float, float]] = []
    native_call = barter_cy.backtest._interruptible

    def timed(call, *call_args, **kwargs):
        # When the native run_many call (started from the waiting thread) ran.
        start = time.perf_counter()
        try:
            return native_call(call, *call_args, **kwargs)
        finally:
            if call.__name__ == "_run_many":
                windows.append((start, time.perf_counter()))

    monkeypatch.setattr(barter_cy.backtest, "_interruptible", timed)

    counter = [0]
    stamps: list[float] = []
    stop = threading.Event()
    started = threading.Event()

    def spin():
        n = 0
        started.set()
        while not stop.is_set():
            n += 1
            counter[0] = n
            if n % 256 == 0:
                stamps.append(time.perf_counter())

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        assert started.wait(10)
        while counter[0] == 0:
            time.sleep(0.001)
        before = counter[0]
        variants = [BacktestArgsDynamic(f"gil-{i}", "0.05", strategy=SmaCross(2 + i % 5, 10 + i, 1)) for i in range(40)]
        result = run_backtests(args, variants)
        after = counter[0]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()

    assert result.num_backtests == 40
    assert result.ids == [f"gil-{i}" for i in range(40)]
    assert result[39] == barter_cy.backtest.backtest(args, variants[39])

    assert after - before > 1000, f"counter advanced only {after - before} during run_backtests"
    # Stricter: the counting thread ran *while* Rust was working, not only around it.
    assert len(windows) == 1
    start, end = windows[0]
    # Margins well above the 5 ms GIL switch interval, so progress made at the switch
    # points right around the call does not count.
    margin = max((end - start) / 8, 0.010)
    inside = [s for s in stamps if start + margin <= s <= end - margin]
    assert inside, f"no progress of the Python thread inside the {end - start:.3f}s native call"


def test_one_args_constant_shared_by_four_threads(args, summary):
    barrier = threading.Barrier(4)
    results: dict[int, list[BacktestSummary]] = {}
    errors: list[BaseException] = []

    def worker(index: int):
        try:
            barrier.wait(timeout=30)
            if index % 2 == 0:
                results[index] = [
                    barter_cy.backtest.backtest(args, BacktestArgsDynamic(f"t{index}-{j}", "0.05")) for j in range(2)
                ]
            else:
                multi = run_backtests(args, [BacktestArgsDynamic(f"t{index}-{j}", "0.05") for j in range(3)])
                assert multi.ids == [f"t{index}-{j}" for j in range(3)]
                results[index] = list(multi)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a backtest thread hung"
    assert errors == []
    assert sorted(results) == [0, 1, 2, 3]

    reference = _stable(summary)
    all_results = [s for index in sorted(results) for s in results[index]]
    assert len(all_results) == 2 + 3 + 2 + 3
    for item in all_results:
        assert item.risk_free_return == Decimal("0.05")
        assert list(item.trading_summary.instruments) == EXPECTED_NAMES
        assert _stable(item) == reference
    assert sorted(s.id for s in all_results) == sorted(
        [f"t{i}-{j}" for i in (0, 2) for j in range(2)] + [f"t{i}-{j}" for i in (1, 3) for j in range(3)]
    )


# --------------------------------------------------------------------------
# Fork
# --------------------------------------------------------------------------


def _fork_child(args, conn) -> None:
    try:
        one = barter_cy.backtest.backtest(args, BacktestArgsDynamic("child", "0.05"))
        many = run_backtests(args, [BacktestArgsDynamic("child-a", 1), BacktestArgsDynamic("child-b", 2)])
        conn.send(
            (
                "ok",
                one.id,
                str(one.risk_free_return),
                [str(sheet.pnl) for sheet in one.trading_summary.instruments.values()],
                str(one.trading_summary.assets["binance_spot:usdt"].balance_end.total),
                many.ids,
            )
        )
    except BaseException as error:  # noqa: BLE001 - sent to the parent
        conn.send(("error", repr(error)))
    finally:
        conn.close()


def test_backtest_in_forked_child(args, summary):
    multiprocessing = pytest.importorskip("multiprocessing")
    # The fixture `summary` ran a backtest in this process first, so the runtime exists.
    assert summary.id == "baseline"
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_fork_child, args=(args, sender))
    process.start()
    sender.close()
    try:
        assert receiver.poll(60), "forked child sent nothing within 60 s (hung?)"
        message = receiver.recv()
        process.join(30)
        assert not process.is_alive(), "forked child did not exit"
    finally:
        if process.is_alive():
            process.kill()
            process.join(5)
        receiver.close()
    assert message[0] == "ok", message
    _, id_, risk_free_return, pnls, usdt_total, many_ids = message
    assert id_ == "child"
    assert risk_free_return == "0.05"
    assert pnls == ["0", "0", "0"]
    assert usdt_total == "10000"
    assert many_ids == ["child-a", "child-b"]
    assert process.exitcode == 0

    # The parent still works after the fork.
    after = barter_cy.backtest.backtest(args, BacktestArgsDynamic("parent-after-fork", "0.05"))
    assert _stable(after) == _stable(summary)


# --------------------------------------------------------------------------
# Panics / errors from Rust
# --------------------------------------------------------------------------


def test_rust_panic_becomes_barter_panic(args, summary):
    with pytest.raises(BarterPanic, match="kaboom from the test"):
        barter_cy._native.trigger_panic("kaboom from the test")
    assert issubclass(BarterPanic, BarterError)
    assert issubclass(BarterError, RuntimeError)
    with pytest.raises(BarterError):
        barter_cy._native.trigger_panic("x")
    with pytest.raises(RuntimeError, match="^x$"):
        barter_cy._native.trigger_panic("x")
    # The process and the runtime carry on.
    after = barter_cy.backtest.backtest(args, BacktestArgsDynamic("after-panic", "0.05"))
    assert _stable(after) == _stable(summary)


def test_trigger_panic_rejects_nul():
    with pytest.raises(ValueError, match="NUL"):
        barter_cy._native.trigger_panic("a\0b")


def test_id_with_nul_is_rejected(args):
    with pytest.raises(ValueError, match="NUL"):
        barter_cy.backtest.backtest(args, BacktestArgsDynamic("a\0b", "0.05"))


def test_run_backtests_max_concurrent(args, summary):
    dynamics = [BacktestArgsDynamic(f"mc-{i}", f"0.0{i}") for i in range(6)]
    reference = run_backtests(args, dynamics)
    for limit in (1, 2, 1000):
        multi = run_backtests(args, dynamics, max_concurrent=limit)
        assert multi.num_backtests == 6
        # Input order whatever the bound, and the same results.
        assert multi.ids == [f"mc-{i}" for i in range(6)]
        assert [s.risk_free_return for s in multi] == [Decimal(f"0.0{i}") for i in range(6)]
        assert [_stable(s) for s in multi] == [_stable(s) for s in reference]
    with pytest.raises(ValueError, match="max_concurrent must be between 1 and 4096, got 0"):
        run_backtests(args, dynamics, max_concurrent=0)
    with pytest.raises(TypeError, match="max_concurrent must be int, got float"):
        run_backtests(args, dynamics, max_concurrent=2.0)
    with pytest.raises(TypeError, match="max_concurrent must be int, got bool"):
        run_backtests(args, dynamics, max_concurrent=True)
