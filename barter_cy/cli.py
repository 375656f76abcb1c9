"""``barter-cy`` / ``python -m barter_cy``: run a backtest from the command line."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

import barter_cy
from barter_cy.backtest import SUMMARY_INTERVALS


def _decimal_arg(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not finite: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="barter-cy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("backtest", help="run one backtest and print its summary")
    run.add_argument("--config", default=barter_cy.example_path("system_config"),
                     help="system config JSON (default: the bundled barter example)")
    run.add_argument("--market-data", default=barter_cy.example_path("market_data"),
                     help="market data JSON or JSON Lines (default: the bundled barter example)")
    run.add_argument("--interval", default="daily", choices=SUMMARY_INTERVALS, type=str.lower,
                     help="summary interval (default: daily)")
    run.add_argument("--risk-free-return", type=_decimal_arg, default=None,
                     help="risk-free return (default: the config's, else 0.05)")
    run.add_argument("--id", default="cli", help="backtest id (default: cli)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = barter_cy.SystemConfig.from_json(args.config)
        market_data = barter_cy.MarketDataInMemory.from_json_file(args.market_data)
        risk_free_return = args.risk_free_return
        if risk_free_return is None:
            risk_free_return = config.risk_free_return
        if risk_free_return is None:
            risk_free_return = Decimal("0.05")
        constant = barter_cy.BacktestArgsConstant(config, market_data, args.interval)
        summary = barter_cy.backtest.backtest(constant, barter_cy.BacktestArgsDynamic(args.id, risk_free_return))
    except (OSError, ValueError, barter_cy.BarterError) as error:
        print(f"barter-cy: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(summary.to_json(indent=2))
    else:
        print(f"Backtest {summary.id!r}: {market_data!r}, risk_free_return={summary.risk_free_return}")
        summary.trading_summary.print_summary()
    return 0
