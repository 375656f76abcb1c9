"""``SystemConfig``: barter's system config (instruments and executions), parsed by
barter's own serde types in Rust."""

from __future__ import annotations

import copy
import json
import os
from decimal import Decimal
from typing import Any, Union

from barter_cy import _native

__all__ = ["SystemConfig"]

PathLike = Union[str, "os.PathLike[str]"]


class SystemConfig:
    """barter's ``SystemConfig``. Accepts the plain shape
    (``{"instruments": [...], "executions": [...]}``) and the shape under a ``"system"``
    key, as in barter's backtest example (whose ``risk_free_return`` is kept in
    :attr:`risk_free_return`). Invalid input raises ``ValueError`` with serde's line and
    column."""

    __slots__ = ("_handle", "_info", "_exported", "__weakref__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("use SystemConfig.from_json(path), from_json_str(text) or from_dict(dict)")

    @classmethod
    def _from_handle(cls, handle: "_native.SystemConfigHandle") -> "SystemConfig":
        self = object.__new__(cls)
        self._handle = handle
        self._info = handle.info()
        self._exported = None
        return self

    def _export(self) -> dict:
        # The config is immutable: export it from Rust once, on first use.
        if self._exported is None:
            self._exported = json.loads(self._handle.to_json())
        return self._exported

    @classmethod
    def from_json(cls, path: PathLike) -> "SystemConfig":
        """Read a config file."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be str or os.PathLike, got {type(path).__name__}")
        return cls._from_handle(_native.SystemConfigHandle.from_file(path))

    from_json_file = from_json

    @classmethod
    def from_json_str(cls, text: str) -> "SystemConfig":
        """Parse a config from a JSON string."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return cls._from_handle(_native.SystemConfigHandle.from_bytes(text.encode("utf-8"), "<json>"))

    @classmethod
    def from_dict(cls, data: dict) -> "SystemConfig":
        """Build a config from a dict of either shape (Decimals may be given as
        ``Decimal``, str, int or float)."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be dict, got {type(data).__name__}")
        text = json.dumps(data, default=_json_default, allow_nan=False)
        return cls._from_handle(_native.SystemConfigHandle.from_bytes(text.encode("utf-8"), "<dict>"))

    def to_dict(self) -> dict:
        """The config in the plain shape as barter serialises it (decimals as strings,
        times as RFC 3339 strings); ``SystemConfig.from_dict(c.to_dict())`` gives back an
        equal config."""
        return copy.deepcopy(self._export()["system"])

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @property
    def instrument_count(self) -> int:
        return self._info[0]

    @property
    def execution_count(self) -> int:
        return self._info[1]

    @property
    def instrument_names(self) -> list[str]:
        """barter's internal instrument names in index order (the order the
        ``instrument`` field of market data refers to)."""
        return list(self._export()["instrument_names"])

    @property
    def risk_free_return(self) -> Decimal | None:
        """``risk_free_return`` given next to ``"system"``, if any."""
        value = self._export()["risk_free_return"]
        return None if value is None else Decimal(value)

    def __reduce__(self) -> tuple:
        exported = self._export()
        return (_from_exported, (exported["system"], exported["risk_free_return"]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SystemConfig):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"SystemConfig(instruments={self.instrument_count}, executions={self.execution_count}, "
            f"names={self.instrument_names})"
        )


def _from_exported(system: dict, risk_free_return: str | None) -> SystemConfig:
    """Unpickling: the exported plain shape, under "system" when it had a risk-free return."""
    if risk_free_return is None:
        return SystemConfig.from_dict(system)
    return SystemConfig.from_dict({"system": system, "risk_free_return": risk_free_return})


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite decimal in config: {value}")
        return format(value, "f")
    raise TypeError(f"cannot put {type(value).__name__} into a system config")
