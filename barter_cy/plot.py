"""Pictures of summaries (matplotlib, the optional extra ``pip install 'barter_cy[plot]'``).

- :func:`plot_summary` (``summary.plot()``): the equity curve, entries and exits marked,
  with the drawdown below it;
- :func:`plot_heatmap` (``multi.plot_heatmap()``): a metric over a two-parameter sweep;
- :func:`plot_metric` (``multi.plot_metric()``): a metric against one parameter.

Each returns a :class:`matplotlib.figure.Figure` made without pyplot (no global state,
no GUI backend needed, safe in threads; Jupyter shows it) and saves it as a PNG when
``path`` is given. Metrics and parameters are the columns of
:func:`barter_cy.frames.summary_row` (the same values as ``multi.to_frame()``), read
without pandas: ``pnl``, ``positions``, a strategy parameter, ``<instrument>.<stat>`` or,
with one instrument, the bare stat (``sharpe``, ``sortino``, ``calmar``, ``win_rate``,
``profit_factor``, ``max_drawdown``, ``pnl_return``)."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from barter_cy.frames import TEAR_SHEET_COLUMNS, param_column, summary_row

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from barter_cy.summary import BacktestSummary, MultiBacktestSummary

__all__ = ["plot_summary", "plot_heatmap", "plot_metric"]

_NOT_METRICS = ("id", "strategy")
_DPI = 100


def _figure(what: str, size: tuple[float, float]) -> "Figure":
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"{what} needs matplotlib, an optional dependency of barter_cy: "
            "install it with `pip install 'barter_cy[plot]'`"
        ) from None
    return Figure(figsize=size, dpi=_DPI, layout="constrained")


def _save(figure: "Figure", path: str | os.PathLike | None) -> "Figure":
    if path is not None:
        figure.savefig(os.fspath(path), format="png", dpi=_DPI)
    return figure


def _times(ns: Any) -> np.ndarray:
    return np.asarray(ns, dtype=np.int64).astype("datetime64[ns]")


def plot_summary(summary: "BacktestSummary", path: str | os.PathLike | None = None) -> "Figure":
    """The equity curve (quote asset) with closed positions' entries (▲) and exits (▼)
    on it, and the drawdown from the running peak (percent) in a panel below."""
    summary._require_details("BacktestSummary.plot")
    equity = summary.equity
    if len(equity) == 0:
        raise ValueError(f"backtest {summary.id!r} has no equity curve to plot (no market events)")
    figure = _figure("BacktestSummary.plot", (10, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    times, values = equity.time_ns, equity.value
    top.plot(_times(times), values, color="tab:blue", linewidth=1, label="equity")
    enter = summary.positions.column("time_enter_ns")
    exit_ = summary.positions.column("time_exit_ns")
    if len(enter):
        # Equity is sampled at every fill, so these are its values at the fills.
        top.scatter(_times(enter), np.interp(enter, times, values), marker="^", color="tab:green", s=18,
                    zorder=3, label=f"entries ({len(enter)})")
        top.scatter(_times(exit_), np.interp(exit_, times, values), marker="v", color="tab:red", s=18,
                    zorder=3, label=f"exits ({len(exit_)})")
    top.ticklabel_format(axis="y", useOffset=False, style="plain")
    top.set_ylabel("equity (quote)")
    top.set_title(f"{summary.id}: {summary.strategy.name}  pnl {float(summary.pnl):,.2f}")
    top.legend(loc="best")
    top.grid(alpha=0.3)
    peak = np.maximum.accumulate(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.where(peak > 0, values / peak - 1.0, 0.0) * 100.0
    bottom.fill_between(_times(times), drawdown, 0.0, color="tab:red", alpha=0.4, linewidth=0)
    bottom.plot(_times(times), drawdown, color="tab:red", linewidth=0.8)
    bottom.set_ylabel("drawdown (%)")
    bottom.set_xlabel("time (UTC)")
    bottom.grid(alpha=0.3)
    return _save(figure, path)


def _rows(multi: "MultiBacktestSummary") -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of :func:`~barter_cy.frames.summary_row`, and the parameter columns."""
    if len(multi) == 0:
        raise ValueError("the sweep has no backtests to plot")
    params = list(dict.fromkeys(param_column(name) for s in multi.summaries for name in s.strategy.params))
    return [summary_row(summary) for summary in multi.summaries], params


def _metric_key(rows: list[dict[str, Any]], params: list[str], metric: str) -> str:
    """The column ``metric`` names: as given, or a bare stat of the one instrument."""
    if not isinstance(metric, str):
        raise TypeError(f"metric must be str, got {type(metric).__name__}")
    columns = [key for key in rows[0] if key not in _NOT_METRICS and key not in params]
    if metric in columns:
        return metric
    if metric in TEAR_SHEET_COLUMNS:
        matches = [key for key in columns if key.endswith(f".{metric}")]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(f"metric {metric!r} is per instrument here; name one of: {', '.join(matches)}")
    raise ValueError(f"unknown metric {metric!r}; known: {', '.join(columns)}")


def _parameter(rows: list[dict[str, Any]], params: list[str], name: str, role: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{role} must be str, got {type(name).__name__}")
    if name not in params:
        known = ", ".join(params) or "none"
        raise ValueError(f"unknown {role} parameter {name!r}; the strategies' parameters: {known}")
    missing = [row["id"] for row in rows if name not in row]
    if missing:
        raise ValueError(f"{role} parameter {name!r} is missing in backtests {', '.join(map(repr, missing[:5]))}")


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not a number: {value!r}") from None


def plot_heatmap(multi: "MultiBacktestSummary", x: str = "fast", y: str = "slow", metric: str = "pnl",
                 path: str | os.PathLike | None = None) -> "Figure":
    """``metric`` over a two-parameter sweep: one cell per (``x``, ``y``) pair, cells
    no backtest ran left blank. Two backtests at one pair (a third parameter varies)
    are a ``ValueError``: plot a sub-sweep (``MultiBacktestSummary`` of those rows)."""
    rows, params = _rows(multi)
    _parameter(rows, params, x, "x")
    _parameter(rows, params, y, "y")
    if x == y:
        raise ValueError(f"x and y must be different parameters, both are {x!r}")
    key = _metric_key(rows, params, metric)
    xs = sorted({row[x] for row in rows}, key=lambda v: _number(v, f"parameter {x!r}"))
    ys = sorted({row[y] for row in rows}, key=lambda v: _number(v, f"parameter {y!r}"))
    grid = np.full((len(ys), len(xs)), np.nan)
    seen: dict[tuple[Any, Any], str] = {}
    for row in rows:
        cell = (row[x], row[y])
        if cell in seen:
            raise ValueError(f"backtests {seen[cell]!r} and {row['id']!r} both have {x}={cell[0]}, {y}={cell[1]}: "
                             "another parameter varies; plot a sub-sweep")
        seen[cell] = row["id"]
        grid[ys.index(row[y]), xs.index(row[x])] = _number(row[key], f"metric {key!r} of {row['id']!r}")
    figure = _figure("MultiBacktestSummary.plot_heatmap", (max(5.0, 0.6 * len(xs) + 3), max(4.0, 0.45 * len(ys) + 2)))
    axes = figure.subplots()
    finite = grid[np.isfinite(grid)]
    limit = float(np.max(np.abs(finite))) if finite.size else 1.0
    diverging = finite.size and finite.min() < 0 < finite.max()
    image = axes.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn" if diverging else "viridis",
                        vmin=-limit if diverging else None, vmax=limit if diverging else None)
    axes.set_xticks(range(len(xs)), [str(v) for v in xs])
    axes.set_yticks(range(len(ys)), [str(v) for v in ys])
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.set_title(f"{key} over {x} × {y} ({len(rows)} backtests)")
    figure.colorbar(image, ax=axes, label=key)
    if len(xs) * len(ys) <= 150:
        for (i, j), value in np.ndenumerate(grid):
            if math.isfinite(value):
                axes.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7)
    return _save(figure, path)


def plot_metric(multi: "MultiBacktestSummary", param: str, metric: str = "pnl",
                path: str | os.PathLike | None = None) -> "Figure":
    """``metric`` against one parameter: a line per combination of the other
    parameters (one line for a one-parameter sweep)."""
    rows, params = _rows(multi)
    _parameter(rows, params, param, "param")
    key = _metric_key(rows, params, metric)
    others = [name for name in params if name != param and len({str(r.get(name)) for r in rows}) > 1]
    lines: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        label = tuple((name, row.get(name)) for name in others)
        lines[label].append((_number(row[param], f"parameter {param!r}"),
                             _number(row[key], f"metric {key!r} of {row['id']!r}")))
    figure = _figure("MultiBacktestSummary.plot_metric", (8, 5))
    axes = figure.subplots()
    for label, points in lines.items():
        points.sort()
        name = ", ".join(f"{k}={v}" for k, v in label) or None
        axes.plot([p for p, _ in points], [v for _, v in points], marker="o", markersize=4, label=name)
    if others and len(lines) <= 12:
        axes.legend(loc="best", fontsize=8)
    axes.set_xlabel(param)
    axes.set_ylabel(key)
    axes.set_title(f"{key} against {param} ({len(rows)} backtests)")
    axes.grid(alpha=0.3)
    return _save(figure, path)
