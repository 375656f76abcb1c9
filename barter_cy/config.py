"""``SystemConfig``: barter's system config (instruments and executions), parsed by
barter's own serde types in Rust.

The class is a Cython extension type defined in :mod:`barter_cy._native`; this module is
its public home."""

from barter_cy._native import SystemConfig

__all__ = ["SystemConfig"]
