"""Shared fixtures for the barter_cy tests.

Paths of the bundled examples (barter's own files, MIT):

* ``example_market_data_path``      - market data, JSON array shape
  (``{"Item":{"Ok":{...}}}`` / ``{"Reconnecting":"binance_spot"}``), 24 records:
  21 trades and 3 reconnect markers.
* ``example_config_path``           - barter ``SystemConfig`` JSON.
* ``example_backtest_config_path``  - barter backtest config JSON.

JSON Lines shape (``{"Item":{...}}`` / ``{"Reconnecting":...}``, one a line):

* ``write_market_data_jsonl(src, dst)`` - plain function converting an array-shape
  file to JSON Lines; also available as the fixture ``market_data_to_jsonl``.
* ``example_market_data_jsonl_path``    - the example converted into ``tmp_path``.

All path fixtures return ``str``.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

import barter_cy

# The Ctrl-C tests send SIGINT to this process. Started as a background job of a
# non-interactive shell, Python inherits SIGINT ignored and installs no handler of its
# own: put Python's default back so those tests test something wherever they run.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def write_market_data_jsonl(src: str | os.PathLike, dst: str | os.PathLike) -> str:
    """Convert an array-shape market data file to JSON Lines and return ``dst`` as str.

    ``{"Item":{"Ok":ev}}`` becomes the line ``{"Item":ev}``;
    ``{"Reconnecting":x}`` is written unchanged. Numbers and timestamps keep their
    values (floats are re-encoded with ``repr``, the same binary64 value).
    An ``{"Item":{"Err":...}}`` record has no JSON Lines form and raises ``ValueError``.
    """
    with open(src, encoding="utf-8") as f:
        records = json.load(f)
    if not isinstance(records, list):
        raise ValueError(f"{src}: expected a JSON array of records")
    lines = []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or len(record) != 1:
            raise ValueError(f"{src}: record {index} is not a single-key object")
        ((tag, body),) = record.items()
        if tag == "Item":
            if not isinstance(body, dict) or set(body) != {"Ok"}:
                raise ValueError(f"{src}: record {index} is not an Ok item")
            line = {"Item": body["Ok"]}
        elif tag == "Reconnecting":
            line = record
        else:
            raise ValueError(f"{src}: record {index} has unknown tag {tag!r}")
        lines.append(json.dumps(line, separators=(",", ":")))
    Path(dst).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(dst)


@pytest.fixture(scope="session")
def example_market_data_path() -> str:
    return barter_cy.example_path("market_data")


@pytest.fixture(scope="session")
def example_config_path() -> str:
    return barter_cy.example_path("system_config")


@pytest.fixture(scope="session")
def example_backtest_config_path() -> str:
    return barter_cy.example_path("backtest_config")


@pytest.fixture
def market_data_to_jsonl():
    """The converter function ``(src, dst) -> str`` (see ``write_market_data_jsonl``)."""
    return write_market_data_jsonl


@pytest.fixture
def example_market_data_jsonl_path(tmp_path, example_market_data_path) -> str:
    """The example market data converted to JSON Lines, in ``tmp_path``."""
    return write_market_data_jsonl(
        example_market_data_path, tmp_path / "market_data.jsonl"
    )
