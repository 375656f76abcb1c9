"""Pictures: summary.plot, multi.plot_heatmap / plot_metric and the CLI's --plot render
real PNGs (Agg) of the expected size that are not blank, and bad names are clear errors."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from barter_cy import BacktestArgsDynamic, MultiBacktestSummary, cli, run_backtests  # noqa: E402
from barter_cy.strategy import BollingerReversion, SmaCross  # noqa: E402
from test_strategies import args_for, random_walk, trades  # noqa: E402

FASTS, SLOWS = (2, 3, 5), (10, 20, 30, 40)


@pytest.fixture(scope="module")
def sweep():
    args = args_for(trades(random_walk(2_000, seed=5)), "0.001")
    variants = [BacktestArgsDynamic(f"sma-{f}-{s}", 0, strategy=SmaCross(f, s, "0.5"), fill="signal")
                for f in FASTS for s in SLOWS]
    return args, run_backtests(args, variants)


def read_png(path, width, height):
    """The PNG's pixels (RGBA floats), checked for size and for not being blank."""
    assert path.exists() and path.stat().st_size > 5_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05  # not one flat colour
    assert (rgb.min(axis=2) < 0.9).mean() > 0.01  # drawn on: at least 1 % of the pixels not white
    return rgb


def test_summary_plot_draws_equity_drawdown_entries_and_exits(sweep, tmp_path):
    _, multi = sweep
    summary = multi.by_id("sma-2-10")
    path = tmp_path / "summary.png"
    figure = summary.plot(path)
    assert isinstance(figure, Figure)
    read_png(path, 1000, 600)
    top, bottom = figure.axes
    (line,) = top.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), summary.equity.value)
    entries, exits = top.collections
    assert len(entries.get_offsets()) == len(exits.get_offsets()) == len(summary.positions) > 20
    # The markers sit on the curve at the fill times (equity is sampled at every fill).
    first = summary.positions[0]
    at = list(summary.equity.time_ns).index(first.time_enter_ns)
    assert entries.get_offsets()[0][1] == pytest.approx(summary.equity.value[at])
    drawdown = bottom.get_lines()[0].get_ydata()
    assert drawdown.max() == 0 and drawdown.min() < 0
    assert bottom.get_ylabel() == "drawdown (%)"
    # Without a path: the Figure only, nothing written.
    assert isinstance(summary.plot(), Figure) and sorted(p.name for p in tmp_path.iterdir()) == ["summary.png"]


def test_heatmap_holds_the_metric_of_every_pair(sweep, tmp_path):
    _, multi = sweep
    path = tmp_path / "heat.png"
    figure = multi.plot_heatmap(x="fast", y="slow", metric="pnl", path=path)
    read_png(path, int(figure.get_figwidth() * 100), int(figure.get_figheight() * 100))
    grid = figure.axes[0].get_images()[0].get_array()
    assert grid.shape == (len(SLOWS), len(FASTS))
    for i, slow in enumerate(SLOWS):
        for j, fast in enumerate(FASTS):
            assert grid[i, j] == pytest.approx(float(multi.by_id(f"sma-{fast}-{slow}").pnl))
    sharpe = multi.plot_heatmap("slow", "fast", "sharpe").axes[0].get_images()[0].get_array()
    assert sharpe.shape == (len(FASTS), len(SLOWS))
    assert figure.axes[0].get_xlabel() == "fast" and figure.axes[0].get_ylabel() == "slow"


def test_plot_metric_draws_a_line_per_other_parameter(sweep, tmp_path):
    _, multi = sweep
    path = tmp_path / "metric.png"
    figure = multi.plot_metric("fast", "positions", path=path)
    read_png(path, 800, 500)
    lines = figure.axes[0].get_lines()
    assert len(lines) == len(SLOWS)
    by_label = {line.get_label(): line for line in lines}
    line = by_label["slow=20"]
    assert list(line.get_xdata()) == list(FASTS)
    assert list(line.get_ydata()) == [len(multi.by_id(f"sma-{f}-20").positions) for f in FASTS]
    one = MultiBacktestSummary(3, 0, [multi.by_id(f"sma-{f}-10") for f in FASTS])
    assert len(one.plot_metric("fast").axes[0].get_lines()) == 1


def test_unknown_names_are_clear_errors(sweep):
    args, multi = sweep
    with pytest.raises(ValueError, match=r"unknown metric 'profit'; known: pnl, positions, binancespot-btc_usdt\.pnl"):
        multi.plot_heatmap(metric="profit")
    with pytest.raises(ValueError, match=r"unknown x parameter 'speed'; the strategies' parameters: fast, slow, qua"):
        multi.plot_heatmap(x="speed")
    with pytest.raises(ValueError, match="unknown param parameter 'window'"):
        multi.plot_metric("window", "pnl")
    with pytest.raises(ValueError, match="unknown metric 'fast'"):
        multi.plot_metric("slow", "fast")
    with pytest.raises(ValueError, match="x and y must be different parameters"):
        multi.plot_heatmap("fast", "fast")
    with pytest.raises(TypeError, match="metric must be str"):
        multi.plot_metric("fast", 3)
    with pytest.raises(ValueError, match="no backtests to plot"):
        MultiBacktestSummary(0, 0, []).plot_heatmap()
    mixed = run_backtests(args, [BacktestArgsDynamic("a", 0, strategy=SmaCross(2, 10, 1)),
                                 BacktestArgsDynamic("b", 0, strategy=BollingerReversion(10, 2, 1))])
    with pytest.raises(ValueError, match=r"x parameter 'fast' is missing in backtests 'b'"):
        mixed.plot_heatmap()
    third = run_backtests(args, [BacktestArgsDynamic(f"q{q}", 0, strategy=SmaCross(2, 10, q)) for q in (1, 2)])
    with pytest.raises(ValueError, match="'q1' and 'q2' both have fast=2, slow=10: another parameter varies"):
        third.plot_heatmap()


def test_without_matplotlib_the_error_names_the_extra(sweep, monkeypatch):
    _, multi = sweep
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'barter_cy\[plot\]'"):
        multi[0].plot()


def test_cli_plot_options(tmp_path, capsys):
    one = tmp_path / "backtest.png"
    assert cli.main(["backtest", "--strategy", "sma_cross", "--param", "fast=2", "--param", "slow=4",
                     "--param", "quantity=0.01", "--plot", str(one)]) == 0
    read_png(one, 1000, 600)
    heat = tmp_path / "sweep.png"
    assert cli.main(["sweep", "--strategy", "sma_cross", "--grid", "fast=2,3", "--grid", "slow=4,5,6",
                     "--param", "quantity=0.01", "--plot", str(heat)]) == 0
    rgb = read_png(heat, 500, 400)
    assert rgb.shape == (400, 500, 3)
    line = tmp_path / "line.png"
    assert cli.main(["sweep", "--strategy", "sma_cross", "--grid", "fast=2,3", "--param", "slow=5",
                     "--param", "quantity=0.01", "--plot", str(line), "--metric", "positions"]) == 0
    read_png(line, 800, 500)
    capsys.readouterr()
    assert cli.main(["sweep", "--strategy", "sma_cross", "--grid", "fast=2", "--grid", "slow=5",
                     "--grid", "quantity=0.01,0.02", "--plot", str(tmp_path / "x.png")]) == 2
    assert "--plot needs one or two --grid parameters, got 3" in capsys.readouterr().err
    assert cli.main(["sweep", "--strategy", "sma_cross", "--grid", "fast=2,3", "--param", "slow=5",
                     "--param", "quantity=0.01", "--plot", str(tmp_path / "y.png"), "--metric", "profit"]) == 2
    assert "unknown --metric 'profit'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()
