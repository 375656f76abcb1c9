"""``SystemConfig``: barter's system config (instruments and executions), parsed by
barter's own serde types in Rust.

The class is a Cython extension type defined in :mod:`barter_cy._native`; this module is
its public home, and holds the check ``SystemConfig.from_dict`` runs before the dict
crosses into Rust (:func:`config_dict_json`)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from barter_cy._native import SystemConfig
from barter_cy.data import decimal_text

__all__ = ["MAX_CONFIG_DEPTH", "SystemConfig", "config_dict_json"]

#: Deepest nesting ``SystemConfig.from_dict`` accepts (barter's config needs 6 levels).
MAX_CONFIG_DEPTH = 64


def _where(path: tuple) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    return text.lstrip(".") or "the top level"


def config_dict_json(data: Any) -> str:
    """``data`` (a dict of either config shape) as JSON text, after a walk without
    recursion that names the field path (``instruments[0].quote``) of the first value
    JSON or barter cannot take: nesting deeper than :data:`MAX_CONFIG_DEPTH`
    (``ValueError`` naming the depth), a NaN or infinite float, a ``Decimal`` outside
    barter's range (``ValueError``), a key that is not a str or a value of another type
    (``TypeError``). ``Decimal`` values cross as their plain-notation text."""
    if not isinstance(data, dict):
        raise TypeError(f"data must be dict, got {type(data).__name__}")
    stack: list[tuple[Any, tuple, int]] = [(data, (), 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list, tuple)):
            if depth > MAX_CONFIG_DEPTH:
                raise ValueError(
                    f"<dict>: invalid system config at {_where(path)}: nested deeper than "
                    f"{MAX_CONFIG_DEPTH} levels (depth {depth})"
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise TypeError(
                            f"<dict>: invalid system config at {_where(path)}: keys must be str, "
                            f"got {type(key).__name__} {key!r}"
                        )
                    stack.append((item, path + (key,), depth + 1))
            else:
                stack.extend((item, path + (index,), depth + 1) for index, item in enumerate(value))
        elif value is None or isinstance(value, (str, bool, int)):
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(
                    f"<dict>: invalid system config at {_where(path)}: {value!r} is not a finite "
                    "number (JSON has no NaN or infinity)"
                )
        elif isinstance(value, Decimal):
            decimal_text(value, f"<dict>: invalid system config at {_where(path)}")
        else:
            raise TypeError(
                f"<dict>: invalid system config at {_where(path)}: cannot put "
                f"{type(value).__name__} into a system config"
            )
    return json.dumps(data, default=lambda d: decimal_text(d, "decimal"), allow_nan=False, check_circular=False)
