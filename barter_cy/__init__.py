"""barter_cy: Python bindings for the backtester of barter (Rust), through a C ABI
(cbindgen) and Cython, with the GIL released while Rust works.

>>> import barter_cy
>>> data = barter_cy.MarketDataInMemory.from_json_file(barter_cy.example_path("market_data"))
>>> config = barter_cy.SystemConfig.from_json(barter_cy.example_path("system_config"))
>>> args = barter_cy.BacktestArgsConstant(config, data)
>>> summary = barter_cy.backtest.backtest(args, barter_cy.BacktestArgsDynamic("run-1", "0.05"))
"""

from importlib import resources as _resources

from barter_cy import backtest, data, strategy, summary
from barter_cy._native import version as _native_version
from barter_cy.backtest import (
    BacktestArgsConstant,
    BacktestArgsDynamic,
    run_backtests,
)
from barter_cy.config import SystemConfig
from barter_cy.data import DataKind, MarketEvent, Reconnecting, Side
from barter_cy.errors import DOCUMENTED_EXCEPTIONS, BacktestsFailed, BarterError, BarterPanic, BatchFailed
from barter_cy.market_data import MarketDataInMemory
from barter_cy.strategy import (
    BollingerReversion,
    Breakout,
    BuyAndHold,
    SmaCross,
    Strategy,
    TargetPositions,
)
from barter_cy.summary import (
    BacktestSummary,
    MultiBacktestSummary,
    TearSheet,
    TearSheetAsset,
    TradingSummary,
)

__version__ = "0.1.0"

_EXAMPLES = {
    "market_data": "binance_spot_market_data_with_disconnect_events.json",
    "system_config": "system_config.json",
    "backtest_config": "backtest_config.json",
}


def example_path(name: str) -> str:
    """Path of a bundled example file from barter (MIT): ``market_data``,
    ``system_config`` or ``backtest_config``."""
    try:
        filename = _EXAMPLES[name]
    except KeyError:
        raise ValueError(f"unknown example {name!r}; choose one of {', '.join(_EXAMPLES)}") from None
    return str(_resources.files("barter_cy") / "examples" / filename)


def get_include() -> str:
    """The directory holding ``barter_ffi.h``, the C header of the Rust library: the
    include directory for C code and for Cython extensions that
    ``from barter_cy.native cimport ...`` (see README, "From Cython"). The ``.pxd``
    files themselves are part of the package and found through ``sys.path`` like any
    package's."""
    return str(_resources.files("barter_cy") / "include")


def native_version() -> str:
    """Version of the linked Rust library (rust_ffi)."""
    return _native_version()


__all__ = [
    "BacktestArgsConstant",
    "BacktestArgsDynamic",
    "BacktestSummary",
    "BacktestsFailed",
    "BatchFailed",
    "BarterError",
    "BollingerReversion",
    "Breakout",
    "BuyAndHold",
    "BarterPanic",
    "DOCUMENTED_EXCEPTIONS",
    "DataKind",
    "MarketDataInMemory",
    "MarketEvent",
    "MultiBacktestSummary",
    "Reconnecting",
    "Side",
    "SmaCross",
    "Strategy",
    "SystemConfig",
    "TargetPositions",
    "TearSheet",
    "TearSheetAsset",
    "TradingSummary",
    "backtest",
    "strategy",
    "example_path",
    "get_include",
    "native_version",
    "run_backtests",
]

# Progress, Ctrl-C and Rust's log records (logger "barter"): see barter_cy/_control.py.
from barter_cy._control import set_log_level  # noqa: E402

__all__.append("set_log_level")
