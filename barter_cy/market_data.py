"""``MarketDataInMemory``: barter's market data, parsed and held in Rust.

The class is a Cython extension type defined in :mod:`barter_cy._native` (so a trivial
call such as ``len(md)`` is one C-level hop); this module is its public home.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable

from barter_cy._native import CHUNK_RECORDS, MAX_THREADS, MarketDataInMemory
from barter_cy.data import MarketEvent

__all__ = ["MarketDataInMemory", "CHUNK_RECORDS", "MAX_THREADS"]


async def _stream(build: Callable[[int, int], list], total: int, chunk: int) -> AsyncIterator[MarketEvent]:
    """``MarketDataInMemory.stream()``: the items a chunk at a time, yielding control to
    the event loop between chunks."""
    for start in range(0, total, chunk):
        for event in build(start, start + chunk):
            yield event
        await asyncio.sleep(0)
