"""Summaries as pandas tables: one row per backtest of a sweep, a backtest's closed
positions, its equity curve. Values are floats (the exact Decimals stay in the summary
objects); undefined statistics (a ratio over a standard deviation of 0, a win rate
without closed positions) are NaN. Needs the ``pandas`` extra
(``pip install barter_cy[pandas]``); the ImportError says so.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np

from barter_cy.columnar import require_pandas
from barter_cy.summary import DECIMAL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from barter_cy.summary import BacktestSummary, Metric, MultiBacktestSummary

__all__ = ["summaries_frame", "summary_row", "param_column", "positions_frame", "equity_frame", "TEAR_SHEET_COLUMNS"]

#: The per-instrument columns of :func:`summaries_frame`, in order.
TEAR_SHEET_COLUMNS = (
    "pnl",
    "pnl_return",
    "sharpe",
    "sortino",
    "calmar",
    "win_rate",
    "profit_factor",
    "max_drawdown",
    "positions",
)


def _float(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def _metric(metric: "Metric | None") -> float:
    return math.nan if metric is None else _float(metric.value)


def _param(value: Any) -> Any:
    """A strategy parameter for a cell: decimal strings (how the summary keeps
    quantities) become floats; ints, floats and anything else stay as they are."""
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return float(number) if number.is_finite() else value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _instrument_columns(summary: "BacktestSummary") -> dict[str, float]:
    counts = summary.position_counts
    row: dict[str, float] = {}
    for name, sheet in summary.trading_summary.instruments.items():
        drawdown = sheet.pnl_drawdown_max
        values = (
            _float(sheet.pnl),
            _metric(sheet.pnl_return),
            _metric(sheet.sharpe_ratio),
            _metric(sheet.sortino_ratio),
            _metric(sheet.calmar_ratio),
            _metric(sheet.win_rate),
            _metric(sheet.profit_factor),
            math.nan if drawdown is None else _float(drawdown.value),
            counts.get(name, 0),
        )
        for column, value in zip(TEAR_SHEET_COLUMNS, values):
            row[f"{name}.{column}"] = value
    return row


def summaries_frame(multi: "MultiBacktestSummary") -> "pd.DataFrame":
    """One row per backtest, in input order: ``id``, ``strategy`` (its name), one column
    per strategy parameter (named as the strategy names it; decimal strings as floats;
    missing where a row's strategy has no such parameter), ``pnl`` (all instruments),
    ``positions`` (all instruments), then for each instrument ``<instrument>.<stat>`` for
    the stats in :data:`TEAR_SHEET_COLUMNS` (``max_drawdown``: the largest PnL drawdown,
    a fraction; ``positions``: closed positions)."""
    pd = require_pandas("MultiBacktestSummary.to_frame")
    return pd.DataFrame([summary_row(summary) for summary in multi.summaries])


def param_column(name: str) -> str:
    """The column of a strategy parameter: its name, or ``param.<name>`` when the name
    is one of the other columns (``id``, ``strategy``, ``pnl``, ``positions``)."""
    return f"param.{name}" if name in ("id", "strategy", "pnl", "positions") else name


def summary_row(summary: "BacktestSummary") -> dict[str, Any]:
    """One row of :func:`summaries_frame` as a plain dict (no pandas needed)."""
    row: dict[str, Any] = {"id": summary.id, "strategy": summary.strategy.name}
    for key, value in summary.strategy.params.items():
        row[param_column(key)] = _param(value)
    row["pnl"] = float(summary.pnl)
    row["positions"] = summary.position_count
    row.update(_instrument_columns(summary))
    return row


def _utc(pd, ns: np.ndarray, name: str) -> "pd.DatetimeIndex":
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True), name=name)


def positions_frame(summary: "BacktestSummary") -> "pd.DataFrame":
    """The closed positions, one row each in the summary's order: ``instrument``,
    ``side``, ``quantity``, ``price_entry``, ``price_exit``, ``fees``, ``pnl`` (floats)
    and ``time_enter`` / ``time_exit`` (UTC). Built from the summary's columns: no
    ``Position`` object is made."""
    pd = require_pandas("BacktestSummary.positions_frame")
    summary._require_details("BacktestSummary.positions_frame")
    positions = summary.positions
    columns: dict[str, Any] = {
        "instrument": positions.column("instrument").tolist(),
        "side": np.where(positions.column("side") == 1, "buy", "sell").tolist(),
    }
    for name in DECIMAL_COLUMNS:
        columns[name] = np.array(positions.column(name))
    columns["time_enter"] = _utc(pd, positions.column("time_enter_ns"), None)
    columns["time_exit"] = _utc(pd, positions.column("time_exit_ns"), None)
    return pd.DataFrame(columns)


def equity_frame(summary: "BacktestSummary") -> "pd.DataFrame":
    """The equity curve: one column ``equity`` (quote asset, float) on a UTC
    DatetimeIndex named ``time``."""
    pd = require_pandas("BacktestSummary.equity_frame")
    summary._require_details("BacktestSummary.equity_frame")
    equity = summary.equity
    return pd.DataFrame({"equity": np.array(equity.value, dtype=np.float64)}, index=_utc(pd, equity.time_ns, "time"))
