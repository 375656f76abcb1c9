#!/usr/bin/env python3
"""Columnar market data, side by side in one run:

* import: ``MarketDataInMemory.from_trades`` of numpy arrays against
  ``MarketDataInMemory.from_json_file`` of the same events (a JSON Lines file written by
  ``bench/gen_market_data.py``; the arrays are that file's ``to_numpy()``), per event;
* export: ``md.to_numpy()`` against ``md.events()`` per event. ``events()`` builds three
  Python objects per trade (several GB for 10 M), so both are timed on the first
  ``--events-slice`` trades (default 1,000,000), and ``to_numpy()`` on all of them too;
* the floor: numpy's ``.copy()`` of the same columns, timed beside ``from_trades``;
* memory: in a fresh subprocess, the RSS taken by ``from_trades`` (peak and final,
  ``VmHWM`` reset first) against the raw bytes of its columns.

Usage::

    python bench/bench_columnar.py [--events 10000000] [--rounds 3] [--events-slice 1000000]

Each round runs every contender once, in the same order; ratios are medians over rounds
of the ratio within a round. Progress goes to stderr, the Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import _common as c
import numpy as np

from barter_cy import MarketDataInMemory

GOALS = {"import": 50.0, "export": 20.0, "memory": 1.3}


def ensure_data(events: int, seed: int = 0):
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"columnar_{events}_s{seed}.jsonl"
    if not path.exists():
        c.log(f"generating {path} ({events:,} trades)...")
        tmp = path.with_suffix(".tmp")
        gen_market_data.generate(tmp, events, n_instruments=3, seed=seed)
        tmp.replace(path)
    return path


def from_trades(cols: dict) -> MarketDataInMemory:
    return MarketDataInMemory.from_trades(
        cols["time_ns"], cols["price"], cols["amount"], cols["side"], cols["instrument"],
        exchange="binance_spot", time_received=cols["time_received_ns"])


_MEMORY_CHILD = """
import sys, json
sys.path.insert(0, {bench!r})
import numpy as np, _common as c
from barter_cy import MarketDataInMemory
n = {events}
rng = np.random.default_rng(1)
cols = dict(time=1_700_000_000_000_000_000 + np.cumsum(rng.integers(0, 100_000, n)),
            price=np.round(100 + rng.random(n), 2), amount=np.round(rng.random(n), 5),
            side=np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8), instrument=rng.integers(0, 3, n))
raw = sum(a.nbytes for a in cols.values())
c.settle()
before = c.rss_bytes()
reset = c.reset_peak_rss()
md = MarketDataInMemory.from_trades(**cols)
peak, after = c.peak_rss_bytes(), c.rss_bytes()
print(json.dumps(dict(raw=raw, before=before, peak=peak, after=after, reset=reset, items=md.item_count)))
"""


def per_event(seconds: float, events: int) -> str:
    return f"{seconds / events * 1e9:,.0f} ns"


def memory(events: int) -> dict:
    code = _MEMORY_CHILD.format(bench=str(c.BENCH), events=events)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events-slice", type=int, default=1_000_000)
    args = parser.parse_args()
    path = ensure_data(args.events)
    size = path.stat().st_size
    rows = {"json": [], "trades": [], "copy": [], "to_numpy_all": [], "to_numpy_slice": [], "events_slice": []}
    ratios = {"import": [], "export": []}
    cols = None
    for round_ in range(args.rounds):
        c.log(f"round {round_ + 1}/{args.rounds}")
        wall_json, _, md_json = c.time_call(lambda: MarketDataInMemory.from_json_file(path), c.settle)
        if cols is None:
            cols = md_json.to_numpy()
        n = md_json.item_count
        del md_json
        # numpy's own copy of the same columns: the floor of any import that copies. The
        # two alternate in order: right after a large free (the JSON load's) the first
        # fresh allocation is slower on this VM.
        copy_first = round_ % 2 == 1
        if copy_first:
            wall_copy, _, _ = c.time_call(lambda: {name: a.copy() for name, a in cols.items()}, c.settle)
        wall_trades, _, md = c.time_call(lambda: from_trades(cols), c.settle)
        if not copy_first:
            wall_copy, _, _ = c.time_call(lambda: {name: a.copy() for name, a in cols.items()}, c.settle)
        assert md.item_count == n
        wall_np, _, out = c.time_call(md.to_numpy, c.settle)
        del out
        k = min(args.events_slice, n)
        part = from_trades({name: column[:k] for name, column in cols.items()})
        wall_np_slice, _, out = c.time_call(part.to_numpy, c.settle)
        del out
        wall_events, _, events = c.time_call(part.events, c.settle)
        assert len(events) == k
        del events, part, md
        c.settle()
        for key, value in (("json", wall_json), ("trades", wall_trades), ("copy", wall_copy), ("to_numpy_all", wall_np),
                           ("to_numpy_slice", wall_np_slice), ("events_slice", wall_events)):
            rows[key].append(value)
        ratios["import"].append(wall_json / wall_trades)
        ratios["export"].append(wall_events / wall_np_slice)
        c.log(f"  json {wall_json:.3f}s trades {wall_trades:.3f}s numpy copy {wall_copy:.3f}s to_numpy {wall_np:.3f}s "
              f"slice: to_numpy {wall_np_slice:.4f}s events {wall_events:.3f}s")
    mem = memory(args.events)
    n = args.events
    med = {key: c.median(values) for key, values in rows.items()}
    k = min(args.events_slice, n)
    imp, exp = c.median(ratios["import"]), c.median(ratios["export"])
    peak_ratio = (mem["peak"] - mem["before"]) / mem["raw"]
    final_ratio = (mem["after"] - mem["before"]) / mem["raw"]
    table = c.markdown_table(
        ["what", "events", "time (median)", "per event", "ratio (median of rounds)", "goal"],
        [
            ["`from_json_file` (JSON Lines, %s)" % c.fmt_bytes(size), f"{n:,}", c.fmt_s(med["json"]),
             per_event(med["json"], n), "1", ""],
            ["`from_trades` (numpy)", f"{n:,}", c.fmt_s(med["trades"]), per_event(med["trades"], n),
             f"{imp:.1f}x faster", f">= {GOALS['import']:.0f}x " + ("met" if imp >= GOALS["import"] else "NOT met")],
            ["numpy `.copy()` of the same columns", f"{n:,}", c.fmt_s(med["copy"]), per_event(med["copy"], n),
             f"{med['json'] / med['copy']:.1f}x faster", ""],
            ["`to_numpy()`", f"{n:,}", c.fmt_s(med["to_numpy_all"]), per_event(med["to_numpy_all"], n), "", ""],
            ["`events()` (first slice)", f"{k:,}", c.fmt_s(med["events_slice"]), per_event(med["events_slice"], k),
             "1", ""],
            ["`to_numpy()` (first slice)", f"{k:,}", c.fmt_s(med["to_numpy_slice"]),
             per_event(med["to_numpy_slice"], k), f"{exp:.1f}x faster",
             f">= {GOALS['export']:.0f}x " + ("met" if exp >= GOALS["export"] else "NOT met")],
            ["`from_trades` memory: peak RSS growth / raw column bytes", f"{n:,}",
             f"{c.fmt_bytes(mem['peak'] - mem['before'])} / {c.fmt_bytes(mem['raw'])}", "", f"{peak_ratio:.2f}x",
             f"<= {GOALS['memory']}x " + ("met" if peak_ratio <= GOALS["memory"] else "NOT met")],
            ["`from_trades` memory: final RSS growth / raw column bytes", f"{n:,}",
             f"{c.fmt_bytes(mem['after'] - mem['before'])} / {c.fmt_bytes(mem['raw'])}", "", f"{final_ratio:.2f}x", ""],
        ],
    )
    print(table)
    print()
    print(f"rounds: {args.rounds}; VmHWM reset: {mem['reset']}; {c.environment_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
