"""The command line: ``python -m barter_cy backtest`` and ``barter_cy.cli.main``."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

import barter_cy
from barter_cy import cli

EXPECTED_NAMES = ["binancespot-btc_usdt", "binancespot-eth_usdt", "binancespot-sol_usdt"]


# example_* path fixtures come from tests/conftest.py.


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "barter_cy", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------------
# Subprocess
# --------------------------------------------------------------------------


def test_subprocess_table():
    result = _run("backtest")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Backtest 'cli': MarketDataInMemory(records=24, items=21")
    assert "risk_free_return=0.05" in out
    assert "TRADING SUMMARY" in out
    assert "Instrument TearSheets" in out and "Asset TearSheets" in out
    for name in EXPECTED_NAMES:
        assert name in out
    assert "binance_spot:usdt" in out
    assert "Return Daily" in out
    assert "10000" in out


def test_subprocess_json():
    result = _run("backtest", "--json", "--id", "  json-run ")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == "json-run"
    assert data["risk_free_return"] == "0.05"
    instruments = data["trading_summary"]["instruments"]
    assert list(instruments) == EXPECTED_NAMES
    assert all(Decimal(sheet["pnl"]) == 0 for sheet in instruments.values())
    assert data["trading_summary"]["assets"]["binance_spot:usdt"]["balance_end"] == {
        "total": "10000",
        "free": "10000",
    }
    # The output is the library's lossless JSON form.
    summary = barter_cy.BacktestSummary.from_json(result.stdout)
    assert summary.id == "json-run"
    assert summary.risk_free_return == Decimal("0.05")


def test_subprocess_bad_interval_exits_2():
    result = _run("backtest", "--interval", "weekly")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "invalid choice: 'weekly'" in result.stderr
    assert "daily" in result.stderr and "annual_252" in result.stderr and "annual_365" in result.stderr


def test_subprocess_missing_config_exits_2(tmp_path):
    missing = tmp_path / "no_such_config.json"
    result = _run("backtest", "--config", str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("barter-cy: error: ")
    assert "no_such_config.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_subprocess_no_command_exits_2():
    result = _run()
    assert result.returncode == 2
    assert "usage: barter-cy" in result.stderr


# --------------------------------------------------------------------------
# In process
# --------------------------------------------------------------------------


def test_main_table(capsys):
    assert cli.main(["backtest"]) == 0
    out = capsys.readouterr().out
    for name in EXPECTED_NAMES:
        assert name in out
    assert "Sharpe Daily" in out


@pytest.mark.parametrize(
    "interval, name",
    [("annual_365", "Annual(365)"), ("ANNUAL_252", "Annual(252)"), ("daily", "Daily")],
)
def test_main_interval(capsys, interval, name):
    assert cli.main(["backtest", "--interval", interval]) == 0
    out = capsys.readouterr().out
    assert f"Return {name}" in out
    assert f"Sharpe {name}" in out


def test_main_interval_json(capsys):
    assert cli.main(["backtest", "--interval", "annual_365", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for sheet in data["trading_summary"]["instruments"].values():
        for metric in ("pnl_return", "sharpe_ratio", "sortino_ratio", "calmar_ratio"):
            assert sheet[metric]["interval"] == "Annual(365)"


def test_main_risk_free_return_exact(capsys):
    assert cli.main(["backtest", "--risk-free-return", "0.07"]) == 0
    out = capsys.readouterr().out
    assert "risk_free_return=0.07" in out.splitlines()[0]
    assert cli.main(["backtest", "--risk-free-return", "0.07", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0.07"


def test_main_risk_free_return_scientific(capsys):
    assert cli.main(["backtest", "--risk-free-return", "7e-2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0.07"


def test_main_risk_free_return_from_config(capsys, example_backtest_config_path, tmp_path):
    assert cli.main(["backtest", "--config", example_backtest_config_path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0.05"

    with open(example_backtest_config_path) as f:
        data = json.load(f)
    data["risk_free_return"] = "0.031"
    path = tmp_path / "rfr.json"
    path.write_text(json.dumps(data))
    assert cli.main(["backtest", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0.031"

    # A zero risk-free return in the config is kept (not replaced by the 0.05 default).
    data["risk_free_return"] = 0
    path.write_text(json.dumps(data))
    assert cli.main(["backtest", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0"

    # The command line wins over the config.
    assert cli.main(["backtest", "--config", str(path), "--risk-free-return", "0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["risk_free_return"] == "0.2"


def test_main_explicit_paths(capsys, example_config_path, example_market_data_path):
    argv = ["backtest", "--config", example_config_path, "--market-data", example_market_data_path, "--json"]
    assert cli.main(argv) == 0
    assert list(json.loads(capsys.readouterr().out)["trading_summary"]["instruments"]) == EXPECTED_NAMES


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", "-Infinity"])
def test_main_bad_risk_free_return_exits_2(capsys, bad):
    with pytest.raises(SystemExit) as info:
        cli.main(["backtest", "--risk-free-return", bad])
    assert info.value.code == 2
    assert "--risk-free-return" in capsys.readouterr().err


def test_main_bad_interval_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["backtest", "--interval", "hourly"])
    assert info.value.code == 2
    assert "invalid choice: 'hourly'" in capsys.readouterr().err


def test_main_missing_config_returns_2(capsys, tmp_path):
    missing = tmp_path / "missing.json"
    assert cli.main(["backtest", "--config", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("barter-cy: error: ")
    assert "missing.json" in captured.err


def test_main_missing_market_data_returns_2(capsys, tmp_path):
    missing = tmp_path / "nodata.json"
    assert cli.main(["backtest", "--market-data", str(missing)]) == 2
    assert "nodata.json" in capsys.readouterr().err


def test_main_invalid_config_returns_2(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "instruments": [,]\n}\n')
    assert cli.main(["backtest", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "broken.json: invalid system config" in err
    assert "line 2 column" in err


def test_main_empty_id_returns_2(capsys):
    assert cli.main(["backtest", "--id", "   "]) == 2
    assert "id must not be empty" in capsys.readouterr().err
