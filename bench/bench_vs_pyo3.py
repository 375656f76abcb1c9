#!/usr/bin/env python3
"""barter_cy (C ABI + Cython) against its PyO3 twin (``bench/pyo3_twin``): the same
``barter_ffi`` Rust functions behind the two bindings, timed in alternating rounds in
one process. Per operation: the median over rounds of (barter_cy ÷ twin), with the
smallest and largest round ratio, and the peak RSS of the calls that allocate a lot.
Goal (issue 6, part 4): barter_cy ≤ 1.0 on every operation.

Build and run (the twin is never part of barter_cy's ``pip install .``)::

    bench/pyo3_twin/build.sh          # venv bench/pyo3_twin/.venv: maturin, barter_cy
                                      # (pip install -e .) and the twin (maturin build
                                      # --release, CARGO_TARGET_DIR=bench/pyo3_twin/target)
    bench/pyo3_twin/.venv/bin/python bench/bench_vs_pyo3.py [--quick]
        [--events 1000000] [--backtest-events 100000] [--variants 10,100]
        [--load-data FILE.jsonl] [--rounds 7] [--micro-rounds 15] [--min-time 0.2] [--heavy-min-time 0.5]
        [--only KEY,...] [--json OUT]

``build.sh`` takes ``VENV=/other/venv`` and ``SKIP_BARTER_CY=1`` (rebuild the twin only).

The twin (``bench/pyo3_twin/src/lib.rs``) calls what barter_cy's C ABI calls
(``market_data::load_file``, ``config::load_file``, ``build_args_constant``,
``build_args_dynamic``, ``Strategy::from_name``, ``run_one`` / ``run_many`` and the
summaries' ``to_json``), releases the GIL (``Python::detach``) around every Rust call
that barter_cy makes without the GIL, and returns the same summary JSON bytes, which are
parsed here into barter_cy's own ``BacktestSummary`` / ``MultiBacktestSummary``
(``_from_wire(json.loads(raw))``, exactly what ``barter_cy.backtest`` does), so the
post-processing is identical. Its Python-facing classes are plain ``#[pyclass]``es
(what a PyO3 binding of these types naturally is); its ``events()`` builds the same
three objects per trade as barter_cy (event, kind, trade, with the trade id as a ``str``
and one shared ``str`` per exchange) with the cyclic GC paused, as barter_cy does.
Before timing, both sides' results are checked equal (counts, first event time, a
sample of events field by field, the summaries).

Operations (``--only`` keys in brackets):

- [load] ``MarketDataInMemory.from_json_file`` on ``--events`` trades (JSON Lines made
  by ``bench/gen_market_data.py`` under ``bench/data/``, shared with bench_load.py);
- [len] ``len(md)``, [time_first_event] ``md.time_first_event``, [config]
  ``SystemConfig.from_json(path)``, [args_constant] ``BacktestArgsConstant(config, md)``
  (on the bundled example files), [args_dynamic] ``BacktestArgsDynamic("x",
  Decimal("0.05"), strategy=SmaCross(10, 30, 0.01))`` (strategy and Decimal made
  beforehand): per-call operations, ``timeit``-style (the statement inlined in a loop of
  N calls per round, N calibrated to ``--min-time``, the cyclic GC off as timeit does,
  the empty loop's time subtracted);
- [events] ``md.events()`` on the ``--events`` data;
- [backtest] ``backtest()`` and [run_backtests] ``run_backtests`` × each of
  ``--variants`` (one thread per core, as both default to) on ``--backtest-events``
  trades (bench_backtest.py's data set) with ``SmaCross`` strategies.

Where the two sides still differ (on purpose, each being its binding's natural form):
the twin's ``#[pyclass]`` objects keep C values (i64 times, f64 price/amount) and box
them on access, while barter_cy's Python objects hold ready-made ``int``/``float``
objects, so ``events()`` creation favours the twin more than a full read of every field
does; the twin releases the GIL even around trivial Rust calls (``BacktestArgsDynamic``)
because barter_cy does; barter_cy's Python layer validates some arguments again before
Rust does, and that cost is counted (it is barter_cy's).

Heavy operations run one untimed warm-up call per side, then per round one call per
side (as many as fit in ``--heavy-min-time``, up to 20), each after a full GC and
``malloc_trim``; the peak RSS column is ``VmHWM`` minus the RSS before the call (reset
with ``clear_refs``), the returned objects included. Round r runs barter_cy first when r
is even and the twin first otherwise. Progress goes to stderr, the Markdown to stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import time
import timeit
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import _common as c

import barter_cy
import barter_cy.backtest
from barter_cy.summary import BacktestSummary, MultiBacktestSummary

try:
    import barter_pyo3_twin as twin
except ImportError:  # pragma: no cover - depends on the build
    sys.exit(
        "barter_pyo3_twin is not importable from this interpreter: run bench/pyo3_twin/build.sh, "
        "then bench/pyo3_twin/.venv/bin/python bench/bench_vs_pyo3.py"
    )

GOAL = 1.0
LOAD_RECONNECT_EVERY = 250_000  # as bench_load.py
BACKTEST_RECONNECT_EVERY = 25_000  # as bench_backtest.py
RFR = Decimal("0.05")
SMA = dict(fast=10, slow=30, quantity=Decimal("0.01"))
TWIN_DIR = c.BENCH / "pyo3_twin"


def ensure_data(prefix: str, events: int, reconnect_every: int, seed: int) -> Path:
    """``bench/data/{prefix}_{events}_r{R}_s{seed}.jsonl`` (3 instruments, trades),
    generated first if absent (the names bench_load.py / bench_backtest.py use)."""
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"{prefix}_{events}_r{reconnect_every}_s{seed}.jsonl"
    if not path.exists():
        c.log(f"generating {path} ({events:,} trades)...")
        tmp = path.with_suffix(".tmp")
        counts = gen_market_data.generate(tmp, events, n_instruments=3, seed=seed, reconnect_every=reconnect_every)
        tmp.replace(path)
        c.log(f"generated {json.dumps(counts)}")
    return path


def pyo3_version() -> str:
    """The pyo3 version the twin is locked to (bench/pyo3_twin/Cargo.lock)."""
    try:
        lines = (TWIN_DIR / "Cargo.lock").read_text().splitlines()
    except OSError:
        return "?"
    for index, line in enumerate(lines):
        if line == 'name = "pyo3"' and index + 1 < len(lines):
            return lines[index + 1].split('"')[1]
    return "?"


# -- operations --------------------------------------------------------------------------


@dataclass
class Micro:
    """A per-call operation: a statement run in a ``timeit`` loop, one namespace per side."""

    key: str
    label: str
    stmt: str
    cy_ns: dict
    twin_ns: dict


@dataclass
class Heavy:
    """An operation timed call by call (optionally with its peak RSS)."""

    key: str
    label: str
    cy: Callable[[], object]
    twin: Callable[[], object]
    rss: bool = False


@dataclass
class Result:
    key: str
    label: str
    number: int  # calls per side per round
    cy: list[float] = field(default_factory=list)  # seconds per call, one per round
    twin: list[float] = field(default_factory=list)
    cy_cpu: list[float] = field(default_factory=list)  # process CPU seconds per call (all threads)
    twin_cpu: list[float] = field(default_factory=list)
    cy_rss: list[int] = field(default_factory=list)  # peak RSS above the start, bytes
    twin_rss: list[int] = field(default_factory=list)

    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.cy, self.twin) if b > 0]

    def cpu_ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.cy_cpu, self.twin_cpu) if b > 0]


def micro_batch(op: Micro, side: str, number: int) -> tuple[float, float]:
    """Wall and process CPU seconds per call over ``number`` calls, the empty loop's
    times subtracted."""
    ns = op.cy_ns if side == "cy" else op.twin_ns
    cpu = time.process_time()
    total = timeit.Timer(op.stmt, globals=ns).timeit(number)
    cpu = time.process_time() - cpu
    empty_cpu = time.process_time()
    empty = timeit.Timer("pass").timeit(number)
    empty_cpu = time.process_time() - empty_cpu
    return max(total - empty, 0.0) / number, max(cpu - empty_cpu, 0.0) / number


def calibrate(op: Micro, min_time: float) -> int:
    """The smallest N in 1, 2, 5, 10, ... for which N calls on the faster side take at
    least ``min_time``."""
    number = 1
    while True:
        fastest = min(
            timeit.Timer(op.stmt, globals=op.cy_ns).timeit(number),
            timeit.Timer(op.stmt, globals=op.twin_ns).timeit(number),
        )
        if fastest >= min_time or number >= 10**8:
            return number
        magnitude = 10 ** (len(str(number)) - 1)
        lead = number // magnitude
        number = (2 if lead < 2 else 5 if lead < 5 else 10) * magnitude


def run_micro(op: Micro, rounds: int, min_time: float) -> Result:
    number = calibrate(op, min_time)
    result = Result(op.key, op.label, number)
    c.log(f"{op.label}: {rounds} rounds x {number:,} calls per side")
    for index in range(rounds):
        order = ("cy", "twin") if index % 2 == 0 else ("twin", "cy")
        for side in order:
            wall, cpu = micro_batch(op, side, number)
            getattr(result, side).append(wall)
            getattr(result, f"{side}_cpu").append(cpu)
    return result


def heavy_call(fn: Callable[[], object], number: int, rss: bool) -> tuple[float, float, int]:
    """Wall and process CPU seconds per call over ``number`` calls (each after a settle)
    and, with ``rss``, the largest peak RSS above the RSS before a call."""
    total = total_cpu = 0.0
    peak = 0
    for _ in range(number):
        c.settle()
        base = c.rss_bytes()
        if rss:
            c.reset_peak_rss()
        seconds, cpu, result = c.time_call(fn)
        if rss:
            peak = max(peak, c.peak_rss_bytes() - base)
        total += seconds
        total_cpu += cpu
        del result
    c.settle()
    return total / number, total_cpu / number, peak


def run_heavy(op: Heavy, rounds: int, min_time: float) -> Result:
    c.log(f"{op.label}: warm-up")
    warm = []
    for fn in (op.cy, op.twin):
        c.settle()
        seconds, _, result = c.time_call(fn)
        warm.append(seconds)
        del result
    number = 1 if op.rss else max(1, min(20, int(min_time / max(min(warm), 1e-9))))
    result = Result(op.key, op.label, number)
    c.log(f"{op.label}: {rounds} rounds x {number} call(s) per side (warm-up {c.fmt_s(warm[0])} / {c.fmt_s(warm[1])})")
    for index in range(rounds):
        order = (("cy", op.cy), ("twin", op.twin)) if index % 2 == 0 else (("twin", op.twin), ("cy", op.cy))
        for side, fn in order:
            seconds, cpu, peak = heavy_call(fn, number, op.rss)
            getattr(result, side).append(seconds)
            getattr(result, f"{side}_cpu").append(cpu)
            if op.rss:
                getattr(result, f"{side}_rss").append(peak)
        c.log(f"  round {index + 1}/{rounds}: barter_cy {c.fmt_s(result.cy[-1])}, twin {c.fmt_s(result.twin[-1])}")
    return result


# -- inputs and checks ----------------------------------------------------------------------


def twin_backtest(args, dynamic) -> BacktestSummary:
    return BacktestSummary._from_wire(json.loads(twin.backtest(args, dynamic)))


def twin_run_backtests(args, dynamics) -> MultiBacktestSummary:
    return MultiBacktestSummary._from_wire(json.loads(twin.run_backtests(args, dynamics)))


def event_fields(event) -> tuple:
    kind = event.kind
    fields = (event.time_exchange, event.time_received, event.exchange, event.instrument, kind.kind_name)
    if kind.kind_name == "public_trade":
        trade = kind.value
        fields += (trade.id, trade.price, trade.amount, trade.side.name)
    return fields


def check_market_data(cy_md, tw_md, what: str) -> None:
    if len(cy_md) != len(tw_md) or cy_md.time_first_event != tw_md.time_first_event:
        raise SystemExit(f"{what}: the two sides disagree on len / time_first_event")
    cy_events, tw_events = cy_md.events(), tw_md.events()
    if len(cy_events) != len(tw_events):
        raise SystemExit(f"{what}: events() gave {len(cy_events)} vs {len(tw_events)} events")
    rng = random.Random(0)
    sample = {0, len(cy_events) - 1, *(rng.randrange(len(cy_events)) for _ in range(2000))}
    for index in sorted(sample):
        if event_fields(cy_events[index]) != event_fields(tw_events[index]):
            raise SystemExit(f"{what}: event {index} differs: {cy_events[index]!r} vs {event_fields(tw_events[index])}")
    c.log(f"checked {what}: {len(cy_md):,} records, {len(cy_events):,} events, {len(sample)} compared field by field")


def build_ops(opts: argparse.Namespace) -> list[Micro | Heavy]:
    only = set(opts.only.split(",")) if opts.only else None

    def wanted(key: str) -> bool:
        return only is None or key in only or (key.startswith("run_backtests") and "run_backtests" in only)

    ops: list[Micro | Heavy] = []
    cfg_path = barter_cy.example_path("system_config")
    small_path = barter_cy.example_path("market_data")
    cy_cfg, tw_cfg = barter_cy.SystemConfig.from_json(cfg_path), twin.SystemConfig.from_json(cfg_path)
    cy_small = barter_cy.MarketDataInMemory.from_json_file(small_path)
    tw_small = twin.MarketDataInMemory.from_json_file(small_path)
    check_market_data(cy_small, tw_small, "example market data")
    cy_sma, tw_sma = barter_cy.SmaCross(**SMA), twin.SmaCross(**SMA)

    if wanted("load") or wanted("events"):
        big = opts.load_data or ensure_data("load", opts.events, LOAD_RECONNECT_EVERY, opts.seed)
        if wanted("load"):
            ops.append(Heavy("load", f"`MarketDataInMemory.from_json_file` ({big.stat().st_size / 1e6:.0f} MB, "
                                     f"{sum(1 for _ in open(big, 'rb')):,} lines)",
                             lambda: barter_cy.MarketDataInMemory.from_json_file(big),
                             lambda: twin.MarketDataInMemory.from_json_file(big), rss=True))
        if wanted("events"):
            cy_big = barter_cy.MarketDataInMemory.from_json_file(big)
            tw_big = twin.MarketDataInMemory.from_json_file(big)
            check_market_data(cy_big, tw_big, big.name)
            c.settle()
            ops.append(Heavy("events", f"`md.events()` ({len(cy_big):,} records)", cy_big.events, tw_big.events, rss=True))

    micro = [
        ("len", "`len(md)`", "len(md)", {"md": cy_small}, {"md": tw_small}),
        ("time_first_event", "`md.time_first_event`", "md.time_first_event", {"md": cy_small}, {"md": tw_small}),
        ("config", "`SystemConfig.from_json(path)` (example config)", "SystemConfig.from_json(path)",
         {"SystemConfig": barter_cy.SystemConfig, "path": cfg_path},
         {"SystemConfig": twin.SystemConfig, "path": cfg_path}),
        ("args_constant", f"`BacktestArgsConstant(config, md)` (example data, {len(cy_small)} records)",
         "BacktestArgsConstant(config, md)",
         {"BacktestArgsConstant": barter_cy.BacktestArgsConstant, "config": cy_cfg, "md": cy_small},
         {"BacktestArgsConstant": twin.BacktestArgsConstant, "config": tw_cfg, "md": tw_small}),
        ("args_dynamic", '`BacktestArgsDynamic("x", Decimal("0.05"), strategy=SmaCross(..))`',
         'BacktestArgsDynamic("x", rfr, strategy=strategy)',
         {"BacktestArgsDynamic": barter_cy.BacktestArgsDynamic, "rfr": RFR, "strategy": cy_sma},
         {"BacktestArgsDynamic": twin.BacktestArgsDynamic, "rfr": RFR, "strategy": tw_sma}),
    ]
    for key, label, stmt, cy_ns, tw_ns in micro:
        if wanted(key):
            ops.append(Micro(key, label, stmt, cy_ns, tw_ns))

    variants = [int(v) for v in opts.variants.split(",") if v.strip()]
    if wanted("backtest") or any(wanted(f"run_backtests_{v}") for v in variants):
        bt_path = ensure_data("backtest", opts.backtest_events, BACKTEST_RECONNECT_EVERY, opts.seed)
        cy_md = barter_cy.MarketDataInMemory.from_json_file(bt_path)
        tw_md = twin.MarketDataInMemory.from_json_file(bt_path)
        cy_args = barter_cy.BacktestArgsConstant(cy_cfg, cy_md)
        tw_args = twin.BacktestArgsConstant(tw_cfg, tw_md)
        cy_one = barter_cy.BacktestArgsDynamic("x", RFR, strategy=cy_sma)
        tw_one = twin.BacktestArgsDynamic("x", RFR, strategy=tw_sma)
        a, b = barter_cy.backtest.backtest(cy_args, cy_one), twin_backtest(tw_args, tw_one)
        if a != b:
            raise SystemExit("backtest(): the two sides' summaries differ")
        c.log(f"checked backtest(): equal summaries ({len(a.trading_summary.instruments)} instruments, "
              f"{len(cy_md):,} records)")
        if wanted("backtest"):
            ops.append(Heavy("backtest", f"`backtest()` ({opts.backtest_events:,} trades, SmaCross)",
                             lambda: barter_cy.backtest.backtest(cy_args, cy_one),
                             lambda: twin_backtest(tw_args, tw_one)))
        for count in variants:
            if not wanted(f"run_backtests_{count}"):
                continue
            grid = [dict(fast=5 + i % 10, slow=30 + 5 * (i // 10 % 10), quantity=Decimal("0.01")) for i in range(count)]
            cy_dyn = [barter_cy.BacktestArgsDynamic(f"v{i}", RFR, strategy=barter_cy.SmaCross(**p)) for i, p in enumerate(grid)]
            tw_dyn = [twin.BacktestArgsDynamic(f"v{i}", RFR, strategy=twin.SmaCross(**p)) for i, p in enumerate(grid)]
            a = barter_cy.run_backtests(cy_args, cy_dyn)
            b = twin_run_backtests(tw_args, tw_dyn)
            if len(a) != count or list(a) != list(b):
                raise SystemExit(f"run_backtests x{count}: the two sides' summaries differ")
            c.log(f"checked run_backtests x{count}: equal summaries")
            ops.append(Heavy(f"run_backtests_{count}", f"`run_backtests` × {count} ({opts.backtest_events:,} trades)",
                             lambda cy_dyn=cy_dyn: barter_cy.run_backtests(cy_args, cy_dyn),
                             lambda tw_dyn=tw_dyn: twin_run_backtests(tw_args, tw_dyn)))
    order = ["load", "len", "time_first_event", "events", "config", "args_constant", "args_dynamic", "backtest"]
    ops.sort(key=lambda op: order.index(op.key) if op.key in order else len(order))
    return ops


# -- report ------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    """``c.fmt_s`` with nanoseconds below a microsecond (per-call rows)."""
    return f"{seconds * 1e9:.0f} ns" if seconds < 1e-6 else c.fmt_s(seconds)


def report(results: list[Result], opts: argparse.Namespace, argv: list[str], started: float) -> str:
    rows = []
    above = []
    for r in results:
        ratios = r.ratios()
        med = c.median(ratios)
        if med > GOAL:
            above.append(f"{r.label} ({med:.2f})")
        rss_cy = c.fmt_bytes(int(c.median(r.cy_rss))) if r.cy_rss else "–"
        rss_tw = c.fmt_bytes(int(c.median(r.twin_rss))) if r.twin_rss else "–"
        rss_ratio = f"{c.median(r.cy_rss) / c.median(r.twin_rss):.2f}" if r.cy_rss and c.median(r.twin_rss) else "–"
        mark = f"**{med:.2f}**" if med > GOAL else f"{med:.2f}"
        cpu_ratios = r.cpu_ratios()
        cpu = f"{c.median(cpu_ratios):.2f}" if cpu_ratios else "–"
        rows.append([r.label, f"{r.number:,}", fmt_time(c.median(r.cy)), fmt_time(c.median(r.twin)), mark,
                     f"{min(ratios):.2f}", f"{max(ratios):.2f}", cpu, rss_cy, rss_tw, rss_ratio])
    command = "python bench/bench_vs_pyo3.py" + ("" if not argv else " " + " ".join(shlex.quote(a) for a in argv))
    out = [
        "## barter_cy vs its PyO3 twin (same barter_ffi functions, only the binding differs)",
        "",
        f"`{command}`: {opts.rounds} rounds per heavy operation, {opts.micro_rounds} per per-call operation, "
        f"alternating which side goes first; twin on pyo3 {pyo3_version()}; run took {time.time() - started:.0f} s.",
        "",
        c.environment_note(),
        "",
        c.markdown_table(
            ["operation", "calls/round", "barter_cy", "twin", "cy ÷ twin (median)", "min", "max",
             "CPU cy ÷ twin", "peak RSS cy", "peak RSS twin", "RSS cy ÷ twin"],
            rows,
        ),
        "",
        "Times are medians per call over rounds; ratios are per round (barter_cy ÷ twin, lower is better for "
        "barter_cy), median with the smallest and largest round; \"CPU\" is the median round ratio of process CPU "
        "time (all threads), less sensitive than wall time to other work on a shared machine. Per-call rows: "
        "statement inlined in a timeit loop, cyclic GC off, empty-loop time subtracted. Peak RSS: VmHWM above the "
        "RSS before the call, results included.",
        "",
        (f"Goal ≤ {GOAL:.1f} missed on: " + "; ".join(above) + ".") if above else f"Goal ≤ {GOAL:.1f} met on every operation.",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="trades for from_json_file and events() (default 1,000,000)")
    ap.add_argument("--load-data", type=Path,
                    help="an existing JSON Lines file for from_json_file and events() instead of generating "
                         "bench/data/load_{events}_r250000_s{seed}.jsonl (e.g. bench/data/sweep_1000000_s7.jsonl)")
    ap.add_argument("--backtest-events", type=int, default=100_000, help="trades for the backtests (default 100,000)")
    ap.add_argument("--variants", default="10,100", help="run_backtests batch sizes (default 10,100)")
    ap.add_argument("--rounds", type=int, default=7, help="rounds per heavy operation (default 7)")
    ap.add_argument("--micro-rounds", type=int, default=15, help="rounds per per-call operation (default 15)")
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="seconds one side's batch of calls should take at least (default 0.2)")
    ap.add_argument("--heavy-min-time", type=float, default=0.5,
                    help="seconds one side's calls of a heavy operation should take per round, at most 20 calls "
                         "(default 0.5; operations with a peak RSS column always make one call)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", help="comma-separated keys: load,len,time_first_event,events,config,"
                                   "args_constant,args_dynamic,backtest,run_backtests[_N]")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 100,000 / 20,000 trades, 3 rounds, short batches")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    opts = ap.parse_args(argv)
    if opts.quick:
        opts.events, opts.backtest_events, opts.rounds, opts.micro_rounds = 100_000, 20_000, 3, 3
        opts.min_time, opts.heavy_min_time = 0.02, 0.05
    if min(opts.events, opts.backtest_events, opts.rounds, opts.micro_rounds) < 1 or min(opts.min_time, opts.heavy_min_time) <= 0:
        ap.error("--events, --backtest-events, --rounds and --micro-rounds must be >= 1, the min times > 0")

    started = time.time()
    ops = build_ops(opts)
    results = []
    for op in ops:
        if isinstance(op, Micro):
            results.append(run_micro(op, opts.micro_rounds, opts.min_time))
        else:
            results.append(run_heavy(op, opts.rounds, opts.heavy_min_time))
        r = results[-1]
        c.log(f"  -> barter_cy {fmt_time(c.median(r.cy))}, twin {fmt_time(c.median(r.twin))}, "
              f"ratio {c.median(r.ratios()):.3f}")
    text = report(results, opts, argv, started)
    print(text)
    if opts.json:
        opts.json.write_text(json.dumps({"argv": argv, "results": [r.__dict__ for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
