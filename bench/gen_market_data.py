#!/usr/bin/env python3
"""Synthetic market data generator in barter's serialised market-stream format.

Writes a seeded, deterministic stream of barter ``MarketStreamEvent`` records:

* ``jsonl`` shape (default): one record per line, each either
  ``{"Item":{...MarketEvent...}}`` or ``{"Reconnecting":"<exchange>"}``.
* ``array`` shape: a single JSON array whose elements are
  ``{"Item":{"Ok":{...MarketEvent...}}}`` or ``{"Reconnecting":"<exchange>"}``.

A MarketEvent looks like::

    {"time_exchange":"2024-12-20T19:05:18.175000000Z",
     "time_received":"2024-12-20T19:05:18.319581890Z",
     "exchange":"binance_spot","instrument":0,
     "kind":{"Trade":{"id":"4314349047","price":96962.51,"amount":6e-05,"side":"Buy"}}}

or, with ``kind`` = ``{"Candle":{"close_time":..,"open":..,"high":..,"low":..,
"close":..,"volume":..,"trade_count":..}}``.

Usage::

    python bench/gen_market_data.py OUT --events N [--instruments K] [--seed S]
        [--candle-every C] [--reconnect-every R] [--shape jsonl|array]

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time

__all__ = ["generate", "format_ns", "DEFAULT_START_PRICES", "main"]

# Realistic starting levels for the first few instruments (BTC-, ETH-, SOL-like).
DEFAULT_START_PRICES = (100000.0, 3500.0, 200.0)

# Per-trade log-return standard deviation of the geometric random walk.
_SIGMA = 2e-4
# Records buffered before each write() call.
_CHUNK = 4096
_NS_PER_SEC = 1_000_000_000
_LAT_MIN_NS = 1_000_000  # 1 ms
_LAT_SPAN_NS = 500_000_000 - _LAT_MIN_NS + 1  # up to 500 ms inclusive


def format_ns(ns: int) -> str:
    """Format integer Unix nanoseconds as RFC3339 UTC with 9 fractional digits."""
    sec, frac = divmod(ns, _NS_PER_SEC)
    return time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(sec)) + f"{frac:09d}Z"


class _TimeFormatter:
    """format_ns with a cached per-second prefix (no datetime objects)."""

    __slots__ = ("_sec", "_prefix")

    def __init__(self) -> None:
        self._sec = None
        self._prefix = ""

    def __call__(self, ns: int) -> str:
        sec, frac = divmod(ns, _NS_PER_SEC)
        if sec != self._sec:
            self._sec = sec
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(sec))
        return f"{self._prefix}{frac:09d}Z"


def _start_prices(n_instruments: int, rng: random.Random, start_prices) -> list[float]:
    given = list(DEFAULT_START_PRICES if start_prices is None else start_prices)
    out = []
    for i in range(n_instruments):
        if i < len(given):
            p = float(given[i])
        else:
            # Log-uniform in [10, 1000].
            p = 10.0 ** (1.0 + 2.0 * rng.random())
        if not (math.isfinite(p) and p > 0):
            raise ValueError(f"start price for instrument {i} must be finite and > 0, got {p!r}")
        out.append(p)
    return out


def generate(
    path,
    n_events: int,
    n_instruments: int = 3,
    seed: int = 0,
    exchange: str = "binance_spot",
    candle_every: int = 0,
    reconnect_every: int = 0,
    start_ns: int = 1734721518175000000,
    mean_gap_us: float = 50,
    *,
    shape: str = "jsonl",
    start_prices=None,
) -> dict:
    """Write ``n_events`` Item records (trades + candles) to ``path``.

    Reconnect markers are extra: one after every ``reconnect_every`` items when
    ``reconnect_every > 0``. With ``candle_every > 0`` a Candle item summarising
    the last ``candle_every`` trades of an instrument is emitted right after the
    trade that completes it. Same arguments -> byte-identical output.

    Returns ``{"items", "trades", "candles", "reconnects", "records"}`` counts.
    """
    n_events = int(n_events)
    n_instruments = int(n_instruments)
    candle_every = int(candle_every)
    reconnect_every = int(reconnect_every)
    start_ns = int(start_ns)
    if n_events < 0:
        raise ValueError("n_events must be >= 0")
    if n_instruments < 1:
        raise ValueError("n_instruments must be >= 1")
    if candle_every < 0 or reconnect_every < 0:
        raise ValueError("candle_every and reconnect_every must be >= 0")
    if start_ns < 0:
        raise ValueError("start_ns must be >= 0")
    if not (math.isfinite(mean_gap_us) and mean_gap_us >= 0):
        raise ValueError("mean_gap_us must be finite and >= 0")
    if shape not in ("jsonl", "array"):
        raise ValueError("shape must be 'jsonl' or 'array'")

    rng = random.Random(seed)
    rand = rng.random
    gauss = rng.gauss
    log = math.log
    exp = math.exp
    fmt = _TimeFormatter()

    exch_json = json.dumps(exchange)
    item_open = '{"Item":{"Ok":' if shape == "array" else '{"Item":'
    item_close = "}}}" if shape == "array" else "}}"
    reconnect_rec = '{"Reconnecting":' + exch_json + "}"
    head_tail = '","exchange":' + exch_json + ',"instrument":'
    # Records are buffered bare and joined per chunk; ``joiner`` separates
    # records (newline for JSONL, comma+newline inside a JSON array).
    joiner = ",\n" if shape == "array" else "\n"

    prices = _start_prices(n_instruments, rng, start_prices)
    last_px = [round(p, 2) or 0.01 for p in prices]
    # Per-instrument trade id counters, starting at a seeded 10-digit base.
    trade_ids = [1_000_000_000 + int(rand() * 3_000_000_000) for _ in range(n_instruments)]
    # Typical trade size ~ 5000 quote units worth, per instrument.
    mean_amount = [5000.0 / p for p in prices]
    # Candle accumulators: [count, open, high, low, close, volume]
    c_count = [0] * n_instruments
    c_open = [0.0] * n_instruments
    c_high = [0.0] * n_instruments
    c_low = [0.0] * n_instruments
    c_vol = [0.0] * n_instruments

    mean_gap_ns = float(mean_gap_us) * 1000.0
    now = start_ns

    items = trades = candles = reconnects = 0
    buf: list[str] = []
    emit = buf.append
    written_any = False

    with open(path, "w", encoding="utf-8", newline="\n") as f:
        write = f.write

        def flush() -> None:
            nonlocal written_any
            if not buf:
                return
            if shape == "array":
                write((",\n" if written_any else "[\n") + joiner.join(buf))
            else:
                write(joiner.join(buf) + "\n")
            written_any = True
            buf.clear()

        while items < n_events:
            # --- trade --------------------------------------------------
            if mean_gap_ns > 0:
                now += int(-log(1.0 - rand()) * mean_gap_ns)
            inst = int(rand() * n_instruments)
            step = gauss(0.0, _SIGMA)
            p = prices[inst] * exp(step)
            prices[inst] = p
            px = round(p, 2)
            if px < 0.01:
                px = 0.01
            side = "Buy" if (px > last_px[inst] or (px == last_px[inst] and step >= 0.0)) else "Sell"
            last_px[inst] = px
            amount = round(-log(1.0 - rand()) * mean_amount[inst], 6)
            if amount < 1e-6:
                amount = 1e-6
            tid = trade_ids[inst] = trade_ids[inst] + 1 + int(rand() * 3)
            t_ex = fmt(now)
            t_rx = fmt(now + _LAT_MIN_NS + int(rand() * _LAT_SPAN_NS))
            emit(
                f'{item_open}{{"time_exchange":"{t_ex}","time_received":"{t_rx}'
                f'{head_tail}{inst},"kind":{{"Trade":{{"id":"{tid}","price":{px!r},'
                f'"amount":{amount!r},"side":"{side}"}}}}{item_close}'
            )
            items += 1
            trades += 1
            # Reconnect markers are deferred to the end of the iteration so a
            # candle is never separated from the trade that closes it.
            pending = 1 if (reconnect_every and items % reconnect_every == 0) else 0

            # --- candle -------------------------------------------------
            if candle_every:
                n = c_count[inst]
                if n == 0:
                    c_open[inst] = c_high[inst] = c_low[inst] = px
                    c_vol[inst] = amount
                else:
                    if px > c_high[inst]:
                        c_high[inst] = px
                    if px < c_low[inst]:
                        c_low[inst] = px
                    c_vol[inst] += amount
                n += 1
                if n == candle_every:
                    c_count[inst] = 0
                    if items < n_events:
                        vol = round(c_vol[inst], 6)
                        if vol < 1e-6:
                            vol = 1e-6
                        t_rx = fmt(now + _LAT_MIN_NS + int(rand() * _LAT_SPAN_NS))
                        emit(
                            f'{item_open}{{"time_exchange":"{t_ex}","time_received":"{t_rx}'
                            f'{head_tail}{inst},"kind":{{"Candle":{{"close_time":"{t_ex}",'
                            f'"open":{c_open[inst]!r},"high":{c_high[inst]!r},'
                            f'"low":{c_low[inst]!r},"close":{px!r},"volume":{vol!r},'
                            f'"trade_count":{candle_every}}}}}{item_close}'
                        )
                        items += 1
                        candles += 1
                        if reconnect_every and items % reconnect_every == 0:
                            pending += 1
                else:
                    c_count[inst] = n

            while pending:
                emit(reconnect_rec)
                reconnects += 1
                pending -= 1

            if len(buf) >= _CHUNK:
                flush()

        flush()
        if shape == "array":
            write("\n]\n" if written_any else "[]\n")

    return {
        "items": items,
        "trades": trades,
        "candles": candles,
        "reconnects": reconnects,
        "records": items + reconnects,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Generate synthetic barter market data (JSON Lines or JSON array)."
    )
    ap.add_argument("out", help="output file path")
    ap.add_argument("--events", type=int, required=True, help="number of Item records (trades + candles)")
    ap.add_argument("--instruments", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exchange", default="binance_spot")
    ap.add_argument("--candle-every", type=int, default=0, help="emit a candle every C trades per instrument (0 = never)")
    ap.add_argument("--reconnect-every", type=int, default=0, help="emit a Reconnecting marker every R items (0 = never)")
    ap.add_argument("--start-ns", type=int, default=1734721518175000000)
    ap.add_argument("--mean-gap-us", type=float, default=50)
    ap.add_argument("--shape", choices=("jsonl", "array"), default="jsonl")
    args = ap.parse_args(argv)
    try:
        counts = generate(
            args.out,
            args.events,
            n_instruments=args.instruments,
            seed=args.seed,
            exchange=args.exchange,
            candle_every=args.candle_every,
            reconnect_every=args.reconnect_every,
            start_ns=args.start_ns,
            mean_gap_us=args.mean_gap_us,
            shape=args.shape,
        )
    except ValueError as e:
        ap.error(str(e))
    print(json.dumps(counts))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
