"""A summary built in Rust with awkward Decimals (rust_ffi/tests/summary_decimals.rs
writes tests/data/awkward_summary.json and the expected values next to it) must reach the
Python objects digit for digit."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from barter_cy.summary import BacktestSummary

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((DATA / "awkward_summary_expected.json").read_text())


@pytest.fixture(scope="module")
def summary() -> BacktestSummary:
    return BacktestSummary._from_wire(json.loads((DATA / "awkward_summary.json").read_text()))


def _at(obj, path):
    for step in path:
        obj = obj[step] if isinstance(obj, dict) else getattr(obj, step)
    return obj


def test_every_decimal_digit_for_digit(summary, expected):
    assert len(expected["decimals"]) > 40
    for entry in expected["decimals"]:
        value = _at(summary, entry["path"])
        assert isinstance(value, Decimal), entry["pointer"]
        assert str(value) == entry["value"], entry["pointer"]
        reference = Decimal(entry["value"])
        assert value == reference, entry["pointer"]
        # Same digits and exponent, not just the same number (trailing zeros kept).
        assert value.as_tuple() == reference.as_tuple(), entry["pointer"]


def test_times_integers_strings_and_nulls(summary, expected):
    for entry in expected["times_ns"] + expected["integers"]:
        assert _at(summary, entry["path"]) == entry["value"], entry["pointer"]
    for entry in expected["strings"]:
        assert _at(summary, entry["path"]) == entry["value"], entry["pointer"]
    for entry in expected["nulls"]:
        assert _at(summary, entry["path"]) is None, entry["pointer"]


def test_instrument_and_asset_order_kept(summary, expected):
    orders = {tuple(e["path"]): e["value"] for e in expected["key_orders"]}
    ts = summary.trading_summary
    assert list(ts.instruments) == orders[("trading_summary", "instruments")]
    assert list(ts.assets) == orders[("trading_summary", "assets")]


def test_json_round_trip_keeps_every_digit(summary, expected):
    again = BacktestSummary.from_json(summary.to_json())
    assert again == summary
    for entry in expected["decimals"]:
        assert str(_at(again, entry["path"])) == entry["value"], entry["pointer"]
