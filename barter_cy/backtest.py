"""Backtests through barter's ``barter::backtest``: the argument classes, ``backtest()``
and ``run_backtests()``. Names follow the PyO3 bindings (``barter_python.backtest``) so
one script can run on either package.

Runs are synchronous and release the GIL for their whole duration; all runs share one
tokio runtime per process (a forked child makes its own)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterable, Mapping

from barter_cy import _native
from barter_cy.config import SystemConfig
from barter_cy.data import _dec_str, _decimal
from barter_cy.market_data import MarketDataInMemory
from barter_cy.summary import BacktestSummary, MultiBacktestSummary

__all__ = [
    "DEFAULT_MAX_CONCURRENT",
    "SUMMARY_INTERVALS",
    "BacktestArgsConstant",
    "BacktestArgsDynamic",
    "BacktestSummary",
    "MarketDataInMemory",
    "MultiBacktestSummary",
    "SystemConfig",
    "backtest",
    "run_backtests",
]

#: Valid ``summary_interval`` values, in the order of the Rust enum.
SUMMARY_INTERVALS = ("daily", "annual_252", "annual_365")

_BALANCE_KEYS = ("exchange", "asset", "total", "free")

#: rust_decimal's Decimal::MAX; larger magnitudes cannot cross into barter.
_RUST_DECIMAL_MAX = Decimal("79228162514264337593543950335")


def _balances_json(initial_balances: Any) -> str | None:
    if initial_balances is None:
        return None
    if isinstance(initial_balances, (str, bytes, Mapping)) or not isinstance(initial_balances, Iterable):
        raise TypeError(
            "initial_balances must be a list of {'exchange', 'asset', 'total', 'free'} dicts, "
            f"got {type(initial_balances).__name__}"
        )
    entries = []
    for index, entry in enumerate(initial_balances):
        where = f"initial_balances[{index}]"
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
        missing = [key for key in _BALANCE_KEYS if key not in entry]
        if missing:
            raise ValueError(f"{where} is missing {', '.join(missing)}")
        extra = sorted(set(entry) - set(_BALANCE_KEYS))
        if extra:
            raise ValueError(f"{where} has unknown keys {', '.join(map(str, extra))}")
        for key in ("exchange", "asset"):
            if not isinstance(entry[key], str):
                raise TypeError(f"{where}.{key} must be str, got {type(entry[key]).__name__}")
            if not entry[key].strip():
                raise ValueError(f"{where}.{key} must be a non-empty string, got {entry[key]!r}")
        entries.append(
            {
                "exchange": entry["exchange"],
                "asset": entry["asset"],
                "total": _dec_str(_decimal(entry["total"], f"{where}.total")),
                "free": _dec_str(_decimal(entry["free"], f"{where}.free")),
            }
        )
    return json.dumps(entries)


class BacktestArgsConstant:
    """The inputs shared by every backtest of a batch: instruments and executions from
    the config, the market data, the summary interval and the initial engine state
    (trading enabled, starting at the first event, balances from the executions'
    initial state with ``initial_balances`` overriding matching entries in both).

    Every ``instrument`` index in the market data must exist in the config (barter sorts
    instruments by exchange, then internal name); this is checked here."""

    __slots__ = ("_handle", "_system_config", "_market_data", "_interval", "__weakref__")

    def __init__(
        self,
        system_config: SystemConfig,
        market_data: MarketDataInMemory,
        summary_interval: str = "daily",
        initial_balances: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        if not isinstance(system_config, SystemConfig):
            raise TypeError(f"system_config must be SystemConfig, got {type(system_config).__name__}")
        if not isinstance(market_data, MarketDataInMemory):
            raise TypeError(f"market_data must be MarketDataInMemory, got {type(market_data).__name__}")
        if not isinstance(summary_interval, str):
            raise TypeError(f"summary_interval must be str, got {type(summary_interval).__name__}")
        self._handle = _native.ArgsConstantHandle.new(
            system_config._handle, market_data._handle, summary_interval, _balances_json(initial_balances)
        )
        self._system_config = system_config
        self._market_data = market_data
        self._interval = SUMMARY_INTERVALS[self._handle.info()[2]]

    @property
    def instrument_count(self) -> int:
        return self._handle.info()[0]

    @property
    def execution_count(self) -> int:
        return self._handle.info()[1]

    @property
    def summary_interval(self) -> str:
        """``daily``, ``annual_252`` or ``annual_365``."""
        return self._interval

    @property
    def market_data(self) -> MarketDataInMemory:
        return self._market_data

    @property
    def system_config(self) -> SystemConfig:
        return self._system_config

    def __repr__(self) -> str:
        return (
            f"BacktestArgsConstant(instruments={self.instrument_count}, executions={self.execution_count}, "
            f"summary_interval={self._interval!r}, market_data={self._market_data!r})"
        )


class BacktestArgsDynamic:
    """The inputs of one backtest of a batch: a unique ``id`` and the
    ``risk_free_return`` (Decimal, int, str — scientific notation too — or float, taken
    through its repr, so ``0.05`` is ``Decimal("0.05")``).

    ``strategy`` and ``risk`` must be None for now: barter's default strategy and risk
    manager are used."""

    __slots__ = ("_id", "_risk_free_return")

    def __init__(self, id: str, risk_free_return: Any, strategy: Any = None, risk: Any = None) -> None:
        if strategy is not None:
            raise NotImplementedError("custom strategies are not supported yet; pass strategy=None")
        if risk is not None:
            raise NotImplementedError("custom risk managers are not supported yet; pass risk=None")
        if not isinstance(id, str):
            raise TypeError(f"id must be str, got {type(id).__name__}")
        trimmed = id.strip()
        if not trimmed:
            raise ValueError("id must not be empty")
        self._id = trimmed
        value = _decimal(risk_free_return, "risk_free_return")
        if value.copy_abs() > _RUST_DECIMAL_MAX:
            raise ValueError(f"risk_free_return is out of range for barter's Decimal (|x| <= {_RUST_DECIMAL_MAX}): {value}")
        self._risk_free_return = value

    @property
    def id(self) -> str:
        return self._id

    @property
    def risk_free_return(self) -> Decimal:
        return self._risk_free_return

    @property
    def strategy(self) -> None:
        return None

    @property
    def risk(self) -> None:
        return None

    def _spec(self) -> dict:
        return {"id": self._id, "risk_free_return": _dec_str(self._risk_free_return)}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BacktestArgsDynamic):
            return NotImplemented
        return (self._id, self._risk_free_return) == (other._id, other._risk_free_return)

    def __hash__(self) -> int:
        return hash((self._id, self._risk_free_return))

    def __repr__(self) -> str:
        return f"BacktestArgsDynamic(id={self._id!r}, risk_free_return={self._risk_free_return!r})"


def _check_constant(args_constant: Any) -> BacktestArgsConstant:
    if not isinstance(args_constant, BacktestArgsConstant):
        raise TypeError(f"args_constant must be BacktestArgsConstant, got {type(args_constant).__name__}")
    return args_constant


def backtest(args_constant: BacktestArgsConstant, args_dynamic: BacktestArgsDynamic) -> BacktestSummary:
    """Run one backtest (GIL released) and return its summary."""
    _check_constant(args_constant)
    if not isinstance(args_dynamic, BacktestArgsDynamic):
        raise TypeError(f"args_dynamic must be BacktestArgsDynamic, got {type(args_dynamic).__name__}")
    spec = args_dynamic._spec()
    raw = args_constant._handle.run(spec["id"], spec["risk_free_return"])
    return BacktestSummary._from_wire(json.loads(raw))


#: Backtests kept in flight by ``run_backtests`` unless told otherwise.
DEFAULT_MAX_CONCURRENT = 64


def run_backtests(
    args_constant: BacktestArgsConstant,
    args_dynamic_iter: Iterable[BacktestArgsDynamic],
    *,
    max_concurrent: int | None = None,
) -> MultiBacktestSummary:
    """Run backtests concurrently on the shared runtime (GIL released for the whole
    batch); summaries come back in input order. Ids must be unique (``ValueError``
    listing duplicates); an empty iterable gives a summary with ``num_backtests == 0``.

    At most ``max_concurrent`` backtests (default 64) are in flight at once. barter's
    own ``run_backtests`` starts them all together, and each buffers its whole market
    stream, so its memory grows with variants × events; with the bound it grows with
    ``max_concurrent`` × events instead (see the README's benchmark section)."""
    _check_constant(args_constant)
    if max_concurrent is None:
        max_concurrent = DEFAULT_MAX_CONCURRENT
    if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
        raise TypeError(f"max_concurrent must be int, got {type(max_concurrent).__name__}")
    if max_concurrent < 1:
        raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
    if isinstance(args_dynamic_iter, (str, bytes, BacktestArgsDynamic)) or not isinstance(args_dynamic_iter, Iterable):
        raise TypeError(
            f"args_dynamic_iter must be an iterable of BacktestArgsDynamic, got {type(args_dynamic_iter).__name__}"
        )
    specs = []
    for index, args in enumerate(args_dynamic_iter):
        if not isinstance(args, BacktestArgsDynamic):
            raise TypeError(f"args_dynamic_iter[{index}] must be BacktestArgsDynamic, got {type(args).__name__}")
        specs.append(args._spec())
    raw = args_constant._handle.run_many(json.dumps(specs).encode("utf-8"), max_concurrent)
    return MultiBacktestSummary._from_wire(json.loads(raw))


class _CallableModule(__import__("types").ModuleType):
    """Lets ``barter_cy.backtest`` be both this module (``barter_cy.backtest.backtest``,
    ``barter_cy.backtest.MarketDataInMemory``...) and the function
    (``barter_cy.backtest(args_constant, args_dynamic)``)."""

    def __call__(self, args_constant: BacktestArgsConstant, args_dynamic: BacktestArgsDynamic) -> BacktestSummary:
        return backtest(args_constant, args_dynamic)


__import__("sys").modules[__name__].__class__ = _CallableModule
