"""``barter-cy`` / ``python -m barter_cy``: run a backtest, or sweep a strategy's
parameters over a grid, from the command line.

    barter-cy backtest --strategy sma_cross --param fast=10 --param slow=30 --param quantity=0.01
    barter-cy sweep --strategy sma_cross --grid fast=5,10,20 --grid slow=50,100 --param quantity=0.01
"""

from __future__ import annotations

import argparse
import itertools
import sys
from decimal import Decimal, InvalidOperation

import barter_cy
from barter_cy.backtest import FILLS, SUMMARY_INTERVALS
from barter_cy.frames import TEAR_SHEET_COLUMNS
from barter_cy.strategy import STRATEGIES


def _decimal_arg(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not finite: {text!r}")
    return value


def _param_value(text: str) -> int | str:
    """``10`` is an int (a window); anything else is passed on as text (a decimal)."""
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _add_common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", default=barter_cy.example_path("system_config"),
                         help="system config JSON (default: the bundled barter example)")
    command.add_argument("--market-data", default=barter_cy.example_path("market_data"),
                         help="market data JSON or JSON Lines (default: the bundled barter example)")
    command.add_argument("--interval", default="daily", choices=SUMMARY_INTERVALS, type=str.lower,
                         help="summary interval (default: daily)")
    command.add_argument("--risk-free-return", type=_decimal_arg, default=None,
                         help="risk-free return (default: the config's, else 0.05)")
    command.add_argument("--strategy", choices=["default", *STRATEGIES], default="default",
                         help="built-in strategy (default: barter's DefaultStrategy, which never trades)")
    command.add_argument("--param", type=_key_value, action="append", default=[], metavar="NAME=VALUE",
                         help="a strategy parameter, e.g. --param fast=10 --param quantity=0.01")
    command.add_argument("--fill", choices=FILLS, default="next",
                         help="fill at the next event (default) or at the signal's price")
    command.add_argument("--keep-open", action="store_true",
                         help="leave positions open at the end instead of closing them at the last price")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="barter-cy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("backtest", help="run one backtest and print its summary")
    _add_common(run)
    run.add_argument("--id", default="cli", help="backtest id (default: cli)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--plot", metavar="PNG", default=None,
                     help="also save the equity curve and drawdown as a PNG (needs barter_cy[plot])")
    sweep = commands.add_parser("sweep", help="run a strategy over a parameter grid, one line per variant")
    _add_common(sweep)
    sweep.add_argument("--grid", type=_key_value, action="append", default=[], metavar="NAME=V1,V2,...",
                       help="values of one parameter, e.g. --grid fast=5,10,20 (the grid is their product)")
    sweep.add_argument("--threads", type=int, default=None, help="threads (default: one per core)")
    sweep.add_argument("--plot", metavar="PNG", default=None,
                       help="also save a PNG: a heatmap of --metric over two --grid parameters, or "
                            "--metric against one (needs barter_cy[plot])")
    sweep.add_argument("--metric", default="pnl",
                       help="what --plot shows: pnl (default), positions, sharpe, sortino, calmar, win_rate, ...")
    return parser


def _strategy(name: str, params: dict) -> barter_cy.strategy.BuiltinStrategy | None:
    if name == "default":
        if params:
            raise ValueError("--param/--grid need a --strategy")
        return None
    return STRATEGIES[name](**params)


def _inputs(args: argparse.Namespace):
    config = barter_cy.SystemConfig.from_json(args.config)
    market_data = barter_cy.MarketDataInMemory.from_json_file(args.market_data)
    risk_free_return = args.risk_free_return
    if risk_free_return is None:
        risk_free_return = config.risk_free_return
    if risk_free_return is None:
        risk_free_return = Decimal("0.05")
    constant = barter_cy.BacktestArgsConstant(config, market_data, args.interval)
    return market_data, constant, risk_free_return


def _run(args: argparse.Namespace) -> int:
    market_data, constant, risk_free_return = _inputs(args)
    params = {key: _param_value(value) for key, value in args.param}
    dynamic = barter_cy.BacktestArgsDynamic(
        args.id, risk_free_return, strategy=_strategy(args.strategy, params),
        fill=args.fill, close_at_end=not args.keep_open,
    )
    summary = barter_cy.backtest.backtest(constant, dynamic)
    if args.json:
        print(summary.to_json(indent=2))
    else:
        print(f"Backtest {summary.id!r}: {market_data!r}, risk_free_return={summary.risk_free_return}")
        summary.print_summary()
    if args.plot:
        summary.plot(args.plot)
        print(f"barter-cy: wrote {args.plot}", file=sys.stderr)
    return 0


def _sweep(args: argparse.Namespace) -> int:
    _, constant, risk_free_return = _inputs(args)
    fixed = {key: _param_value(value) for key, value in args.param}
    grid = {key: [_param_value(v) for v in values.split(",") if v.strip()] for key, values in args.grid}
    overlap = sorted(set(fixed) & set(grid))
    if overlap:
        raise ValueError(f"{', '.join(overlap)}: given both as --param and --grid")
    variants = []
    for combo in itertools.product(*grid.values()):
        params = {**fixed, **dict(zip(grid, combo))}
        label = ",".join(f"{k}={v}" for k, v in zip(grid, combo)) or "base"
        try:
            strategy = _strategy(args.strategy, params)
        except ValueError as error:
            print(f"barter-cy: skipping {label}: {error}", file=sys.stderr)
            continue
        variants.append(barter_cy.BacktestArgsDynamic(
            label, risk_free_return, strategy=strategy, fill=args.fill, close_at_end=not args.keep_open))
    if not variants:
        raise ValueError("the grid has no valid variant")
    if args.plot and len(grid) not in (1, 2):
        raise ValueError(f"--plot needs one or two --grid parameters, got {len(grid)}")
    if args.plot and args.metric not in ("pnl", "positions", *TEAR_SHEET_COLUMNS) and "." not in args.metric:
        raise ValueError(f"unknown --metric {args.metric!r}; known: pnl, positions, {', '.join(TEAR_SHEET_COLUMNS)} "
                         "(or <instrument>.<stat>)")
    # The table and the plots read statistics and position counts only.
    multi = barter_cy.run_backtests(constant, variants, max_concurrent=args.threads, details=False)
    rows = sorted(multi, key=lambda s: s.pnl, reverse=True)
    width = max(len(s.id) for s in rows)
    print(f"{'variant':<{width}}  {'pnl':>16}  {'positions':>9}  {'win_rate':>8}  {'rejected':>8}")
    for s in rows:
        rates = [t.win_rate.value for t in s.trading_summary.instruments.values()
                 if t.win_rate is not None and t.win_rate.value is not None]
        win = f"{rates[0] * 100:.1f}%" if len(rates) == 1 else "N/A"
        print(f"{s.id:<{width}}  {s.pnl:>16.6f}  {s.position_count:>9}  {win:>8}  {s.rejected_orders:>8}")
    print(f"{multi.num_backtests} variants in {multi.duration_ms} ms", file=sys.stderr)
    if args.plot:
        names = list(grid)
        if len(names) == 2:
            multi.plot_heatmap(names[0], names[1], args.metric, args.plot)
        else:
            multi.plot_metric(names[0], args.metric, args.plot)
        print(f"barter-cy: wrote {args.plot}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args) if args.command == "backtest" else _sweep(args)
    except (OSError, ValueError, TypeError, ImportError, barter_cy.BarterError) as error:
        print(f"barter-cy: error: {error}", file=sys.stderr)
        return 2
