"""Regression tests for the findings of issue 10 (hardening), by number, and for the
rules built on them: one decimal range check, field paths in config errors, assets keyed
as barter keys them, bounded durations and integers, overflow in barter's statistics as
a BarterError, and the documented exception types.

Covered elsewhere (not repeated here):

- finding 1, Ctrl-C within a second: ``tests/test_control.py``
  (``test_ctrl_c_stops_loading_within_a_second``), ``tests/test_strategies.py``
  (``test_ctrl_c_stops_run_backtests_within_a_second``), ``tests/test_python_strategy.py``
  (``test_ctrl_c_stops_a_python_strategy_within_a_second``);
- finding 3, FIFO / device / directory paths: ``tests/test_loading.py``
  (``test_fifo_is_refused_without_blocking``, ``test_devices_are_refused``,
  ``test_directory_is_refused_everywhere``);
- finding 4, times outside i64 nanoseconds: ``tests/test_loading.py``
  (``test_times_outside_i64_nanoseconds_are_rejected``);
- finding 6, BOM in config files: ``tests/test_loading.py``
  (``test_config_file_with_bom_is_accepted``);
- finding 7, nothing on stderr: ``tests/test_control.py``
  (``test_a_panic_writes_nothing_to_stderr``)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import barter_cy
from barter_cy import (
    DOCUMENTED_EXCEPTIONS,
    BacktestArgsConstant,
    BacktestArgsDynamic,
    BacktestsFailed,
    BarterError,
    BarterPanic,
    MarketDataInMemory,
    SystemConfig,
    run_backtests,
)
from barter_cy import _native
from barter_cy.backtest import backtest
from barter_cy.config import MAX_CONFIG_DEPTH
from barter_cy.data import Level, MarketEvent, PublicTrade, decimal_text
from barter_cy.strategy import BuyAndHold, SmaCross

DAY_NS = 86_400_000_000_000
START_NS = 1_704_067_200_000_000_000


@pytest.fixture(scope="module")
def config_dict(example_config_path) -> dict:
    with open(example_config_path, encoding="utf-8") as file:
        return json.load(file)


@pytest.fixture(scope="module")
def market_data(example_market_data_path) -> MarketDataInMemory:
    return MarketDataInMemory.from_json_file(example_market_data_path)


def _edited(config_dict, edit) -> dict:
    config = copy.deepcopy(config_dict)
    edit(config)
    return config


def _trades(prices, exchange="binance_spot") -> MarketDataInMemory:
    n = len(prices)
    return MarketDataInMemory.from_trades(
        START_NS + np.arange(n, dtype=np.int64) * DAY_NS, np.array(prices, np.float64), np.ones(n),
        np.ones(n, bool), instrument=0, exchange=exchange,
    )


def _peak_bytes(call) -> int:
    """Peak Python allocation while ``call`` raises (it must raise)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# =========================================================================== #
# Finding 2: inputs accepted up front that made barter panic
# =========================================================================== #
def test_market_data_on_an_exchange_the_config_lacks_is_rejected_when_args_are_made(config_dict):
    okx = MarketDataInMemory.from_json_str(json.dumps([{"Item": {"Ok": {
        "time_exchange": "2024-12-20T19:05:18.175Z", "time_received": "2024-12-20T19:05:18.175Z",
        "exchange": "okx", "instrument": 0,
        "kind": {"Trade": {"id": "1", "price": 1.0, "amount": 1.0, "side": "Buy"}}}}}]))
    with pytest.raises(ValueError, match=r"market data item 0 \(record 0\): exchange okx but instrument 0 "
                                         r"\(binancespot-btc_usdt\) is on binance_spot"):
        BacktestArgsConstant(SystemConfig.from_dict(config_dict), okx)


def test_an_asset_in_another_case_is_the_same_asset_as_barter_keys_it(config_dict, market_data):
    """``"quote": "USDT"`` with balances in ``usdt``: one asset (barter lowercases names);
    the backtest equals the all-lowercase one, deterministically."""
    def upper_quotes(config):
        for instrument in config["instruments"]:
            instrument["underlying"]["quote"] = "USDT"

    def upper_balance(config):
        config["executions"][0]["initial_state"]["balances"][0]["asset"] = "USDT"

    strategy = SmaCross(2, 4, "0.01")
    reference = backtest(BacktestArgsConstant(SystemConfig.from_dict(config_dict), market_data),
                         BacktestArgsDynamic("a", 0, strategy=strategy))
    for edit in (upper_quotes, upper_balance):
        config = SystemConfig.from_dict(_edited(config_dict, edit))
        for _ in range(3):
            summary = backtest(BacktestArgsConstant(config, market_data), BacktestArgsDynamic("a", 0, strategy=strategy))
            assert summary.to_dict()["trading_summary"] == reference.to_dict()["trading_summary"]
            assert summary.pnl == reference.pnl


def test_non_ascii_asset_names_are_lowercased_as_barter_does(config_dict, market_data):
    """barter's AssetNameInternal lowercases with Unicode rules: "ÄBC" is "äbc"."""
    def edit(config):
        config["instruments"][0]["underlying"]["base"] = "ÄBC"
        config["executions"][0]["initial_state"]["balances"][1]["asset"] = "Äbc"

    config = SystemConfig.from_dict(_edited(config_dict, edit))
    assert "binancespot-äbc_usdt" in config.instrument_names
    args = BacktestArgsConstant(config, market_data, initial_balances=[
        {"exchange": "binance_spot", "asset": "ÄBC", "total": "3", "free": "2"}])
    assets = backtest(args, BacktestArgsDynamic("u", 0)).trading_summary.assets
    assert assets["binance_spot:äbc"].balance_end.total == Decimal("3")
    assert assets["binance_spot:äbc"].balance_end.free == Decimal("2")


def test_an_asset_given_twice_in_the_config_is_rejected(config_dict, market_data):
    def edit(config):
        balances = config["executions"][0]["initial_state"]["balances"]
        balances.append(dict(balances[0], asset="USDT"))

    config = SystemConfig.from_dict(_edited(config_dict, edit))
    with pytest.raises(ValueError, match=r'executions\[0\]\.initial_state\.balances\[4\]: asset "usdt" is given '
                                         r"twice \(balances\[0\] and \[4\]; names are compared lowercased"):
        BacktestArgsConstant(config, market_data)


# =========================================================================== #
# Finding 3: latency_ms of u64::MAX made backtest() never return
# =========================================================================== #
@pytest.mark.parametrize("latency", [18446744073709551615, 3_600_001])
def test_latency_beyond_an_hour_is_rejected(config_dict, market_data, latency):
    config = SystemConfig.from_dict(_edited(config_dict, lambda c: c["executions"][0].update(latency_ms=latency)))
    with pytest.raises(ValueError, match=rf"executions\[0\]\.latency_ms: at most 3600000 \(one hour\), got {latency}"):
        BacktestArgsConstant(config, market_data)


def test_latency_of_an_hour_is_accepted(config_dict, market_data):
    config = SystemConfig.from_dict(_edited(config_dict, lambda c: c["executions"][0].update(latency_ms=3_600_000)))
    assert backtest(BacktestArgsConstant(config, market_data), BacktestArgsDynamic("l", 0)).pnl == 0


# =========================================================================== #
# Finding 5: one small value, a huge string: the shared decimal range check
# =========================================================================== #
@pytest.mark.parametrize("text", ["1e-999999999", "1e-99999999999", "-1E-999999999"])
def test_absurd_exponents_are_refused_without_writing_their_digits(text):
    peak = _peak_bytes(lambda: BacktestArgsDynamic("x", text))
    assert peak < 1 << 20, peak  # the 1 GB string of the finding is never made
    with pytest.raises(ValueError, match=r"risk_free_return: -?1E-9+ is not a decimal barter can represent "
                                         r"\(nonzero but below the smallest step 1e-28\)"):
        BacktestArgsDynamic("x", text)


@pytest.mark.parametrize("make, field", [
    (lambda v: BacktestArgsDynamic("x", v), "risk_free_return"),
    (lambda v: SmaCross(2, 4, v), "quantity"),
    (lambda v: BuyAndHold(v), "quantity"),
    (lambda v: Level(v, 1), "Level.price"),
    (lambda v: Level(1, v), "Level.amount"),
])
@pytest.mark.parametrize("value, why", [
    ("1e-999999999", "nonzero but below the smallest step 1e-28"),
    ("1e-29", "nonzero but below the smallest step 1e-28"),
    ("1.5e-28", "digits finer than the smallest step 1e-28"),
    ("79228162514264337593543950336", "magnitude above 79228162514264337593543950335"),
    (Decimal("1e999999999"), "magnitude above 79228162514264337593543950335"),
    ("123456789.123456789123456789123456789", "more significant digits than its 96-bit mantissa holds"),
    (float("nan"), "not finite"),
])
def test_one_range_check_for_every_decimal_when_the_object_is_made(make, field, value, why):
    with pytest.raises(ValueError, match=rf"^{field}: .* is not a decimal barter can represent \({why}\)$"):
        make(value)


def test_initial_balances_and_config_decimals_share_the_range_check(config_dict, market_data):
    config = SystemConfig.from_dict(config_dict)
    peak = _peak_bytes(lambda: BacktestArgsConstant(config, market_data, initial_balances=[
        {"exchange": "binance_spot", "asset": "usdt", "total": "1e-999999999", "free": "0"}]))
    assert peak < 1 << 20, peak
    with pytest.raises(ValueError, match=r"^initial_balances\[0\]\.total: 1E-999999999 is not a decimal barter "
                                         r"can represent \(nonzero but below the smallest step 1e-28\)$"):
        BacktestArgsConstant(config, market_data, initial_balances=[
            {"exchange": "binance_spot", "asset": "usdt", "total": "1e-999999999", "free": "0"}])
    bad = _edited(config_dict, lambda c: c["executions"][0].update(fees_percent=Decimal("1e-999999999")))
    with pytest.raises(ValueError, match=r"^<dict>: invalid system config at executions\[0\]\.fees_percent: "
                                         r"1E-999999999 is not a decimal barter can represent"):
        SystemConfig.from_dict(bad)


@pytest.mark.parametrize("value, text", [
    (Decimal("0.05"), "0.05"),
    (Decimal("1E+3"), "1000"),
    (Decimal("1e-28"), "0.0000000000000000000000000001"),
    (Decimal("0E-999999999"), "0"),
    (Decimal("-79228162514264337593543950335"), "-79228162514264337593543950335"),
    (Decimal("1.0000000000000000000000000001"), "1.0000000000000000000000000001"),
    (Decimal("2.50000000000000000000000000000000000"), "2.5000000000000000000000000000"),
])
def test_decimal_text_is_the_exact_plain_text_rust_decimal_parses(value, text):
    assert decimal_text(value, "x") == text


def test_the_edges_of_the_range_cross_into_barter_exactly(market_data, example_config_path):
    args = BacktestArgsConstant(SystemConfig.from_json(example_config_path), market_data)
    for value, text in (("79228162514264337593543950335", "79228162514264337593543950335"),
                        ("-1e-28", "-0.0000000000000000000000000001"), (Decimal("0E-999999999"), "0")):
        assert str(backtest(args, BacktestArgsDynamic("edge", value)).risk_free_return) == text


# =========================================================================== #
# Finding 6: exceptions outside the contract
# =========================================================================== #
@pytest.mark.parametrize("depth", [MAX_CONFIG_DEPTH + 1, 100_000])
def test_deep_nesting_in_from_dict_is_a_value_error_naming_the_depth(config_dict, depth):
    nested: dict = {}
    for _ in range(depth - 1):
        nested = {"a": nested}
    config = dict(config_dict, extra=nested)
    with pytest.raises(ValueError, match=rf"^<dict>: invalid system config at extra(\.a)+: nested deeper than "
                                         rf"{MAX_CONFIG_DEPTH} levels \(depth {MAX_CONFIG_DEPTH + 1}\)$"):
        SystemConfig.from_dict(config)


@pytest.mark.parametrize("depth", [MAX_CONFIG_DEPTH + 1, 100_000])
def test_deep_nesting_in_config_text_is_a_value_error_naming_the_depth(depth):
    """Rust reads text: a lexical pass (no recursion) measures the nesting first, with
    the same limit as from_dict, and names the depth and where it is reached."""
    text = '{"deep": ' + "[" * depth + "]" * depth + ', "instruments": [], "executions": []}'
    with pytest.raises(ValueError, match=rf"^<json>: invalid system config: nested {depth + 1} levels deep "
                                         rf"\(at byte {8 + depth}\), more than {MAX_CONFIG_DEPTH}$"):
        SystemConfig.from_json_str(text)


@pytest.mark.parametrize("value, why", [
    ("1e-300", r"nonzero but below the smallest step 1e-28"),
    ("-1E-29", r"nonzero but below the smallest step 1e-28"),
    ("1e30", r"magnitude above 79228162514264337593543950335"),
    ("123456789012345678901234567890", r"magnitude above 79228162514264337593543950335"),
])
def test_a_config_text_number_barter_would_round_away_is_refused_with_its_path(example_config_path, value, why):
    """barter's own parser turns 1e-300 into 0 without a word: the text is checked first
    (only numbers written with an exponent or more than 28 digits are looked at)."""
    config = json.loads(Path(example_config_path).read_text())
    config["executions"][0]["fees_percent"] = "@"
    text = json.dumps(config).replace('"@"', value)
    with pytest.raises(ValueError, match=rf"^<json>: invalid system config at executions\[0\]\.fees_percent: "
                                         rf"[-+.\deE]+ is not a decimal barter can "
                                         rf"represent \({why}\)$"):
        SystemConfig.from_json_str(text)


def test_config_text_numbers_in_range_with_an_exponent_are_accepted(example_config_path):
    config = json.loads(Path(example_config_path).read_text())
    config["executions"][0]["fees_percent"] = "@"
    text = json.dumps(config)
    assert SystemConfig.from_json_str(text.replace('"@"', "1E-3")) == SystemConfig.from_json_str(
        text.replace('"@"', "0.001"))
    # Inside a string, "1e-300" is no number: the error is the field's own.
    config["executions"][0]["mocked_exchange"] = "1e-300"
    with pytest.raises(ValueError, match=r"mocked_exchange: unknown variant `1e-300`"):
        SystemConfig.from_json_str(json.dumps(config).replace('"@"', "0.001"))


@pytest.mark.parametrize("path, value, message", [
    (("instruments", 0, "spec"), float("inf"), r"instruments\[0\]\.spec: inf is not a finite number"),
    (("executions", 0, "fees_percent"), float("nan"), r"executions\[0\]\.fees_percent: nan is not a finite number"),
    (("executions", 0, "initial_state", "balances", 1, "balance", "total"), float("-inf"),
     r"executions\[0\]\.initial_state\.balances\[1\]\.balance\.total: -inf is not a finite number"),
    (("instruments", 0, "quote"), 5, r"instruments\[0\]\.quote: .*line 1 column \d+"),
    (("instruments", 1, "underlying", "base"), [], r"instruments\[1\]\.underlying\.base: invalid type: sequence"),
    (("executions", 0, "latency_ms"), -1,
     r"executions\[0\]\.latency_ms: invalid value: integer `-1`, expected u64 \(line 1 column \d+\)"),
    (("executions", 0, "mocked_exchange"), "nope", r"executions\[0\]\.mocked_exchange: unknown variant `nope`"),
    (("executions", 0, "initial_state", "balances", 0, "balance"), "x",
     r"executions\[0\]\.initial_state\.balances\[0\]\.balance: invalid type: string"),
])
def test_every_from_dict_error_names_the_field_path(config_dict, path, value, message):
    def edit(config):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    with pytest.raises(ValueError, match=rf"^<dict>: invalid system config at {message}"):
        SystemConfig.from_dict(_edited(config_dict, edit))


@pytest.mark.parametrize("value, message", [
    (object(), r"invalid system config at executions\[0\]\.latency_ms: cannot put object into a system config"),
    ({1: "x"}, r"invalid system config at executions\[0\]\.latency_ms: keys must be str, got int 1"),
])
def test_from_dict_type_errors_name_the_field_path(config_dict, value, message):
    with pytest.raises(TypeError, match=message):
        SystemConfig.from_dict(_edited(config_dict, lambda c: c["executions"][0].update(latency_ms=value)))


def test_from_dict_wrapped_shape_names_the_path_under_system(config_dict):
    wrapped = {"risk_free_return": 0.05, "system": _edited(config_dict, lambda c: c["instruments"][2].update(kind=7))}
    with pytest.raises(ValueError, match=r"^<dict>: invalid system config at system\.instruments\[2\]\.kind: "):
        SystemConfig.from_dict(wrapped)


@pytest.mark.parametrize("max_concurrent", [2**64, -1, 0, 10**30])
def test_max_concurrent_out_of_range_is_a_value_error(market_data, example_config_path, max_concurrent):
    args = BacktestArgsConstant(SystemConfig.from_json(example_config_path), market_data)
    with pytest.raises(ValueError, match=rf"^max_concurrent must be between 1 and \d+, got {max_concurrent}$"):
        run_backtests(args, [BacktestArgsDynamic("a", 0)], max_concurrent=max_concurrent)


@pytest.mark.parametrize("instrument, message", [
    (2**64, r"instrument: an instrument index must be at most 2\*\*63 - 1, got 18446744073709551616"),
    (-1, r"instrument: an instrument index must be >= 0, got -1"),
])
def test_from_trades_instrument_out_of_range_is_a_value_error(instrument, message):
    with pytest.raises(ValueError, match=message):
        MarketDataInMemory.from_trades(np.array([START_NS]), np.array([1.0]), np.array([1.0]), np.array([True]),
                                       instrument=instrument)


def test_window_out_of_range_is_a_value_error():
    with pytest.raises(ValueError, match=r"^fast: 18446744073709551616 is out of range for a window length$"):
        SmaCross(2**64, 4, "1")
    with pytest.raises(ValueError, match=r"^slow: must be at most 10000000, got 18446744073709551615$"):
        SmaCross(2, 2**64 - 1, "1")


def test_duplicate_initial_balances_are_rejected_naming_the_asset(config_dict, market_data):
    config = SystemConfig.from_dict(config_dict)
    entries = [{"exchange": "binance_spot", "asset": "usdt", "total": "1", "free": "1"},
               {"exchange": "BINANCE_SPOT", "asset": "USDT", "total": "2", "free": "2"}]
    with pytest.raises(ValueError, match=r'^initial_balances\[1\]\.asset: asset "usdt" on binance_spot is given '
                                         r"twice \(initial_balances\[0\] and \[1\]; names are compared lowercased"):
        BacktestArgsConstant(config, market_data, initial_balances=entries)


# =========================================================================== #
# Finding 7 and the panic hook: the message, and the backtrace when asked for
# =========================================================================== #
def test_a_panic_keeps_its_backtrace_only_when_rust_backtrace_is_set():
    script = (
        "import barter_cy\n"
        "from barter_cy import _native\n"
        "try:\n"
        "    _native.trigger_panic('boom')\n"
        "except barter_cy.BarterPanic as error:\n"
        "    print(repr(str(error)), error.backtrace is not None,"
        " 'trigger_panic' in (error.backtrace or '') or 'barter_testing_panic' in (error.backtrace or ''))\n"
    )
    for setting, expected in (("1", "'boom' True True"), ("0", "'boom' False False")):
        env = {"PATH": "/usr/bin:/bin", "RUST_BACKTRACE": setting, "PYTHONPATH": ":".join(sys.path)}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected
        assert done.stderr == ""


def test_barter_panic_without_backtrace_has_none():
    with pytest.raises(BarterPanic) as info:
        _native.trigger_panic("plain")
    assert str(info.value) == "plain"
    assert info.value.backtrace is None or "barter_testing_panic" in info.value.backtrace


# =========================================================================== #
# The fuzz finding: Sharpe / Sortino / Calmar overflow inside barter's statistics
# =========================================================================== #
@pytest.mark.parametrize("prices, strategy, fill, place, operation", [
    ([1e25, 1e-10] * 20, SmaCross(2, 3, "0.01"), "signal", "at market data record 4", "Division overflowed"),
    ([7.9e28, 1.0] * 20, SmaCross(2, 3, "0.01"), "signal", "at market data record 6", "Addition overflowed"),
    ([1e15, 1e-15, 3e14, 7e-12] * 10, SmaCross(2, 3, "0.01"), "signal",
     r"at the end of the data \(closing positions, making the summary\)", "Multiplication overflowed"),
])
def test_decimal_overflow_in_barter_statistics_is_a_barter_error(example_config_path, prices, strategy, fill,
                                                                 place, operation, caplog):
    args = BacktestArgsConstant(SystemConfig.from_json(example_config_path), _trades(prices), initial_balances=[
        {"exchange": "binance_spot", "asset": "usdt", "total": "25000", "free": "25000"}])
    for _ in range(2):  # deterministic
        with pytest.raises(BarterError, match=rf"^backtest stopped {place}: barter's decimal arithmetic overflowed "
                                              rf"\({operation}\); prices, quantities or balances") as info:
            backtest(args, BacktestArgsDynamic("x", "0.05", strategy=strategy, fill=fill))
        assert not isinstance(info.value, BarterPanic)
    assert not [r for r in caplog.records if "panic" in r.getMessage()]
    # In a batch the error names the backtest; the others still run.
    with pytest.raises(BarterError, match=rf'^backtest "x": backtest stopped {place}'):
        run_backtests(args, [BacktestArgsDynamic("x", "0.05", strategy=strategy, fill=fill)])


def test_a_ratio_beyond_rust_decimal_in_barter_statistics_is_a_barter_error(example_config_path, caplog):
    """Found by `bench/fuzz.py` (target events, seed 73) after the column store landed:
    barter's Calmar ratio divides with `checked_div(..).unwrap()`, which panics when the
    quotient is beyond rust_decimal. Recognised by the panic's place, it is an error."""
    trades = [(0, 2, 0.001, 0.001, "Buy"), (187, 0, 1e16, 1e-12, "Buy"), (592, 2, 1e-12, 0.001, "Buy"),
              (1269, 0, 0.001, 1e-12, "Sell"), (5741, 0, 8.988781292997118e18, 0.001, "Sell"),
              (510509, 0, 75498.10169042333, 1e20, "Buy"), (4194303, 0, 4.743872289348609e16, 1e-12, "Buy"),
              (10_000_000_000_000, 0, 0.05, 1e-12, "Buy")]
    t0 = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
    md = MarketDataInMemory([MarketEvent(t0 + dt, t0 + dt, "binance_spot", instrument,
                                         PublicTrade("1", price, amount, side))
                             for dt, instrument, price, amount, side in trades])
    args = BacktestArgsConstant(SystemConfig.from_json(example_config_path), md)
    with pytest.raises(BarterError, match=r"^backtest stopped at the end of the data \(closing positions, making "
                                          r"the summary\): barter's decimal arithmetic overflowed \(a risk-adjusted "
                                          r"ratio \(Sharpe, Sortino or Calmar\) is beyond rust_decimal's range\)") as info:
        backtest(args, BacktestArgsDynamic("fuzz", "0.05", strategy=SmaCross(1, 2, Decimal("1E-7"))))
    assert not isinstance(info.value, BarterPanic)
    assert not [r for r in caplog.records if "panic" in r.getMessage()]


# =========================================================================== #
# The contract: DOCUMENTED_EXCEPTIONS
# =========================================================================== #
def test_documented_exceptions_list_every_type_a_call_can_raise():
    assert DOCUMENTED_EXCEPTIONS == barter_cy.errors.DOCUMENTED_EXCEPTIONS
    for kind in (FileNotFoundError, OSError, ValueError, TypeError, NotImplementedError, ImportError, IndexError,
                 KeyError, AttributeError, KeyboardInterrupt, BarterError, BarterPanic, BacktestsFailed):
        assert kind in DOCUMENTED_EXCEPTIONS
    with pytest.raises(NotImplementedError, match="custom risk managers are not supported"):
        BacktestArgsDynamic("r", 0, risk=object())
    assert issubclass(BarterPanic, BarterError) and issubclass(BacktestsFailed, BarterError)


def test_the_readme_errors_section_lists_every_documented_type():
    readme = (__import__("pathlib").Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Errors", 1)[1].split("\n### ", 1)[0]
    for kind in DOCUMENTED_EXCEPTIONS:
        assert f"{kind.__name__}`" in section, kind.__name__


# =========================================================================== #
# Found by tests/test_fuzz.py: a level whose text is no number
# =========================================================================== #
def test_from_barter_level_that_is_no_number_is_a_value_error():
    from barter_cy.data import from_barter

    event = {"Item": {"time_exchange": "2024-01-01T00:00:00Z", "time_received": "2024-01-01T00:00:00Z",
                      "exchange": "binance_spot", "instrument": 0,
                      "kind": {"OrderBookL1": {"last_update_time": "2024-01-01T00:00:00Z", "best_bid": None,
                                               "best_ask": {"price": "1", "amount": "abc"}}}}}
    with pytest.raises(ValueError, match=r"^malformed barter event: InvalidOperation"):
        from_barter(event)
