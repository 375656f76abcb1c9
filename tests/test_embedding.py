"""Embedding barter_ffi without Python in between: a C program compiled against the
generated header and the static library, checked against the Python API, and run
under valgrind's memcheck (zero definite leaks, no errors)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import barter_cy
from barter_cy.backtest import backtest
from barter_cy.strategy import SmaCross

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "rust_ffi" / "target"))
STATIC_LIB = TARGET / "release" / "libbarter_ffi.a"


@pytest.fixture(scope="module")
def c_program(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler (cc) is needed for this test"
    assert STATIC_LIB.exists(), f"{STATIC_LIB} is missing: the package build makes it"
    out = tmp_path_factory.mktemp("c") / "backtest"
    subprocess.run(
        [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-I", str(barter_cy.get_include()),
         str(ROOT / "tests" / "c" / "backtest.c"), str(STATIC_LIB), "-lpthread", "-ldl", "-lm", "-o", str(out)],
        check=True,
    )
    return out


def _run(program: Path, *prefix: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, str(program), barter_cy.example_path("system_config"), barter_cy.example_path("market_data")],
        capture_output=True, text=True, timeout=300,
    )


def test_c_program_matches_the_python_api(c_program):
    result = _run(c_program)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "records=24 items=21 first_ns=1734721518175000000"
    assert lines[1].startswith("invalid strategy: status=1 message=")
    assert "fast" in lines[1]
    one = json.loads(lines[2])
    assert one["num_backtests"] == 1
    single = one["summaries"][0]
    multi = json.loads(lines[3])
    assert multi["num_backtests"] == 2
    assert [s["id"] for s in multi["summaries"]] == ["c-sma", "c-default"]
    assert multi["summaries"][0] == single

    config = barter_cy.SystemConfig.from_json(barter_cy.example_path("system_config"))
    md = barter_cy.MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
    args = barter_cy.BacktestArgsConstant(config, md, "daily")
    expected = backtest(args, barter_cy.BacktestArgsDynamic(
        "c-sma", Decimal("0.05"), strategy=SmaCross(2, 4, "0.01"), fill="signal"))
    assert barter_cy.BacktestSummary.from_json(json.dumps(single)) == expected
    assert single["strategy"] == {"name": "sma_cross", "params": {"fast": 2, "slow": 4, "quantity": "0.01"}}
    # The columns read in place through the view are the summary's.
    assert len(expected.positions) > 0
    assert lines[4] == (f"positions={len(expected.positions)} equity_points={len(expected.equity)} "
                        f"first_enter_ns={expected.positions[0].time_enter_ns} "
                        f"pnl={' '.join(str(p.pnl) for p in expected.positions)}")


def test_c_program_under_valgrind_has_no_leaks_or_errors(c_program):
    valgrind = shutil.which("valgrind")
    assert valgrind, "valgrind is installed by scripts/test.sh"
    result = _run(c_program, valgrind, "--leak-check=full", "--errors-for-leak-kinds=definite",
                  "--error-exitcode=99", "--quiet")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "definitely lost" not in result.stderr
