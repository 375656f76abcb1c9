"""Built-in strategies, implemented in Rust and run inside barter's engine.

Each acts per instrument on that instrument's prices (one price per trade, or a
candle's close), trades spot and long only with Market orders, and is passed to
:class:`~barter_cy.backtest.BacktestArgsDynamic` as ``strategy=``:

>>> from barter_cy.strategy import SmaCross
>>> SmaCross(fast=10, slow=30, quantity="0.01")
SmaCross(fast=10, slow=30, quantity=Decimal('0.01'))

Parameters are validated by Rust when the object is made (``ValueError`` naming the
parameter). Strategies are immutable and hashable, compare by parameters, have
``name`` and ``params``, and pickle. Quantities are base-asset units: ``Decimal``,
``int``, ``str`` or ``float`` (taken through its ``repr``).
"""

from __future__ import annotations

import copy
import inspect
import json
import operator
from decimal import Decimal
from typing import Any

import numpy as np

from barter_cy import _native
from barter_cy.data import _dec_str, _decimal

__all__ = [
    "BollingerReversion",
    "Strategy",
    "BuiltinStrategy",
    "BuyAndHold",
    "Breakout",
    "SmaCross",
    "TargetPositions",
    "STRATEGIES",
]


def _window(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{field} must be int, got bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{field} must be int, got {type(value).__name__}") from None
    if not -(2**63) <= number < 2**64:
        raise ValueError(f"{field}: {number} is out of range for a window length")
    return number


class BuiltinStrategy:
    """Base of the built-in strategies: a name, parameters, and the Rust handle made
    from them. Subclasses declare ``name`` and the parameter converters ``_PARAMS``."""

    __slots__ = ("_params", "_handle")
    name: str = ""
    _PARAMS: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = list(self._PARAMS)
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes {len(names)} parameters ({', '.join(names)})")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in self._PARAMS:
                raise TypeError(f"{type(self).__name__}() got an unknown parameter {key!r}")
            if key in given:
                raise TypeError(f"{type(self).__name__}() got {key!r} twice")
            given[key] = value
        missing = [key for key in names if key not in given]
        if missing:
            raise TypeError(f"{type(self).__name__}() is missing {', '.join(missing)}")
        self._params = {key: convert(given[key], key) for key, convert in self._PARAMS.items()}
        wire = {key: _dec_str(v) if isinstance(v, Decimal) else v for key, v in self._params.items()}
        self._handle = _native.StrategyHandle.new(self.name, json.dumps(wire))

    @property
    def params(self) -> dict[str, Any]:
        """The parameters (a copy): ints and ``Decimal``s."""
        return dict(self._params)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._params == other._params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, tuple(self._params.items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(self._params.values()))

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_handle"):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)


class BuyAndHold(BuiltinStrategy):
    """Buy ``quantity`` at each instrument's first price and hold."""

    __slots__ = ()
    name = "buy_and_hold"
    _PARAMS = {"quantity": _decimal}


class SmaCross(BuiltinStrategy):
    """Enter long when the simple moving average of the last ``fast`` prices crosses
    above that of the last ``slow`` prices (was ≤ on the previous price, is > now);
    exit when it crosses back below. No signal until ``slow`` prices were seen."""

    __slots__ = ()
    name = "sma_cross"
    _PARAMS = {"fast": _window, "slow": _window, "quantity": _decimal}


class BollingerReversion(BuiltinStrategy):
    """Enter long when the price closes below SMA − k·σ (population σ over ``window``
    prices); exit when it closes at or above the SMA."""

    __slots__ = ()
    name = "bollinger_reversion"
    _PARAMS = {"window": _window, "k": _decimal, "quantity": _decimal}


class Breakout(BuiltinStrategy):
    """Enter long when the price exceeds the highest of the previous ``window`` prices;
    exit when it falls below their lowest."""

    __slots__ = ()
    name = "breakout"
    _PARAMS = {"window": _window, "quantity": _decimal}


class TargetPositions(BuiltinStrategy):
    """Signals computed in Python: one target position (base units, ≥ 0) per item of
    the market data (reconnect markers excluded, file order). After each event the
    engine orders the difference for that event's instrument. Anything
    ``np.asarray`` turns into float64 numbers is accepted; NaN, infinite or negative
    targets are a ``ValueError`` naming the index; a length other than the market
    data's item count is a ``ValueError`` when the backtest runs."""

    __slots__ = ()
    name = "target_positions"

    def __init__(self, targets: Any) -> None:
        try:
            array = np.ascontiguousarray(targets, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"targets must be numbers convertible to float64: {e}") from None
        if array.ndim != 1:
            raise ValueError(f"targets must be 1-D, got {array.ndim} dimensions")
        array = array.copy()
        array.setflags(write=False)
        object.__setattr__(self, "_params", {"targets": array})
        object.__setattr__(self, "_handle", _native.StrategyHandle.target_positions(array))

    @property
    def targets(self) -> np.ndarray:
        """The targets, a read-only float64 array."""
        return self._params["targets"]

    @property
    def params(self) -> dict[str, Any]:
        return {"len": len(self.targets)}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TargetPositions):
            return NotImplemented
        return bool(np.array_equal(self.targets, other.targets))

    def __hash__(self) -> int:
        return hash((self.name, self.targets.tobytes()))

    def __repr__(self) -> str:
        return f"TargetPositions(len={len(self.targets)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TargetPositions, (self.targets,))


#: The built-in strategies by their names (as the CLI and summaries spell them).
STRATEGIES: dict[str, type[BuiltinStrategy]] = {
    cls.name: cls for cls in (BuyAndHold, SmaCross, BollingerReversion, Breakout)
}


class Strategy:
    """Base class of strategies written in Python, called from the Rust engine through a
    C callback (the GIL is taken for the call only):

    .. code-block:: python

        class MyCross(Strategy):
            def __init__(self, fast, slow, quantity):
                self.fast, self.slow, self.quantity = fast, slow, quantity
                self.prices = []

            def on_event(self, ctx):          # after the engine processed each market item
                self.prices.append(ctx.price)
                ...
                ctx.buy(self.quantity)        # or ctx.sell(q) / ctx.target(position)

    ``ctx`` (a :class:`~barter_cy._native.StrategyContext`, reused for every event) has
    ``price``, ``position`` (signed base quantity), ``balance(asset)``, ``instrument``,
    ``time`` / ``time_ns``, ``item``, ``order_in_flight`` and ``event`` (the MarketEvent,
    built only when read). Orders go through the same fills, fees, balances and
    summaries as the built-in strategies; orders in ``on_start`` / ``on_finish`` are ignored.

    Every backtest runs a fresh ``copy.deepcopy`` of the instance given, so runs never
    share state and the instance itself is never changed. An exception raised by a
    method stops that backtest and is re-raised from ``backtest()`` unchanged.

    ``name`` (default: the class name) and ``params`` (default: the arguments given to
    ``__init__``, by parameter name) are what the summary reports; ``params`` must be
    JSON-serialisable (decimals are written as strings)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Strategy":
        self = super().__new__(cls)
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
            bound.apply_defaults()
            given = dict(list(bound.arguments.items())[1:])
        except (TypeError, ValueError):
            given = {}
        object.__setattr__(self, "_barter_params", given)
        return self

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def params(self) -> dict[str, Any]:
        return dict(getattr(self, "_barter_params", {}))

    def on_start(self, ctx: Any) -> None:
        """Called once before the first event."""

    def on_event(self, ctx: Any) -> None:
        """Called after the engine processed each market item."""

    def on_finish(self, ctx: Any) -> None:
        """Called once after the last event, before open positions are closed."""

    def _describe(self) -> tuple[str, str]:
        name = self.name
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"strategy name must be a non-empty str, got {name!r}")
        try:
            params = json.dumps(self.params, default=_json_default)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}.params must be JSON-serialisable: {e}") from None
        return name, params

    def _fresh(self) -> "Strategy":
        return copy.deepcopy(self)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _dec_str(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
