#!/usr/bin/env python3
"""Backtests: ``barter_cy.backtest.backtest()`` / ``barter_cy.run_backtests()`` against the
native Rust baseline (``rust_ffi/examples/bench_backtest.rs``: the same inputs built
with ``barter_ffi``'s builders, then barter's own ``barter::backtest::backtest`` /
``run_backtests`` on a tokio multi-thread runtime), measured in the same run; and how
both use the CPUs: Rust with 1 vs all tokio workers, Python with one ``run_backtests``
call vs two Python threads each running half the variants (the GIL is released while
Rust works).

Both sides do the same work: Python calls ``run_backtests(..., max_concurrent=K)``
(``--max-concurrent``, default 64, the package's default), and the Rust baseline gets
the same ``--max-concurrent K``, which runs barter's ``backtest`` per variant through
``futures::stream::iter(..).buffered(K)`` (the scheme of ``barter_ffi::backtest::run_many``,
without its JSON). ``--max-concurrent 0`` makes both unbounded (Rust: barter's own
``run_backtests``; Python: K = the batch size). A last section runs the native baseline
both ways, unbounded (barter's ``run_backtests``) and bounded, at the largest data set
the unbounded run fits in memory, with their peak RSS and times.

Usage::

    python bench/bench_backtest.py [--events 100000] [--variants 10,100,1000]
                                   [--scaling-variants 1000] [--repeat 3]
                                   [--max-concurrent 64] [--quick]

Data: JSON Lines trades on the 3 instruments of ``barter_cy/examples/system_config.json``
(instrument indices 0..2 = btc_usdt, eth_usdt, sol_usdt), a reconnect marker every
25,000 events, generated under ``bench/data/`` by ``bench/gen_market_data.py``.

Each repeat of a case runs the Rust baseline (a fresh process: one untimed warm-up call
of the same kind, batches capped at 100 variants, then one timed call) right before the
same call in this process (warmed up the same way once per case); dynamic arguments are
built before the clock starts on both sides. Ratios: of the bests, of the medians, and
"paired" (median over repeats of Python/Rust within the repeat, the least noisy on a
shared machine). Repeat counts shrink to keep each case within ``--case-budget``
seconds (estimated from the previous case), down to 1.

Memory: barter forwards each backtest's whole market stream into an unbounded channel,
so a batch holds about one copy of the stream per backtest in flight (~20 MB per
backtest at 100,000 events); in flight = min(variants, max_concurrent), or all variants
unbounded. Before each case the projected peak (in flight × events × bytes per event
per backtest, calibrated on the earlier Rust runs) is compared with ``--mem-fraction``
of MemAvailable; a case that would not fit runs on a smaller data set (rounded down to
10,000 events) instead of risking the OOM killer, and says so. ``--ignore-memory``
turns that off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import _common as c

import barter_cy

GOAL_RATIO = 1.05
#: Variants in the untimed warm-up batch before a timed run_backtests (both sides).
WARMUP_VARIANTS = 100
RECONNECT_EVERY = 25_000


def ensure_data(events: int, seed: int) -> Path:
    """The data set for ``events`` trades, generated first if absent."""
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"backtest_{events}_r{RECONNECT_EVERY}_s{seed}.jsonl"
    if not path.exists():
        c.log(f"generating {path} ({events:,} trades)...")
        tmp = path.with_suffix(".tmp")
        counts = gen_market_data.generate(tmp, events, n_instruments=3, seed=seed, reconnect_every=RECONNECT_EVERY)
        tmp.replace(path)
        c.log(f"generated {json.dumps(counts)}")
    return path


@dataclass
class Inputs:
    """Python-side inputs for one data set."""

    path: Path
    events: int
    args: barter_cy.BacktestArgsConstant
    load_s: float


@dataclass
class Case:
    """Samples of one comparison row (seconds; one entry per repeat)."""

    label: str
    variants: int  # 0 = backtest()
    events: int
    in_flight: int = 1  # most backtests running at once
    python: list[float] = field(default_factory=list)
    rust: list[float] = field(default_factory=list)
    python_cpu: list[float] = field(default_factory=list)  # process CPU time, all threads
    rust_cpu: list[float] = field(default_factory=list)
    python_barter: list[float] = field(default_factory=list)  # barter's own duration, Python calls
    python_peak: int = 0
    rust_peak: int = 0
    load: list[float] = field(default_factory=list)  # 1-minute load average before and after
    note: str = ""

    def paired(self) -> float:
        """Median over repeats of Python/Rust within the same repeat."""
        return c.median([p / r for p, r in zip(self.python, self.rust)])


@dataclass
class Scaling:
    """Samples of one scaling comparison (seconds; one entry per repeat)."""

    variants: int
    events: int
    thread_limit: int = 0  # max_concurrent of each of the two Python threads' calls
    rust_1w: list[float] = field(default_factory=list)
    rust_nw: list[float] = field(default_factory=list)
    rust_workers: int = 0
    python_1call: list[float] = field(default_factory=list)
    python_threads: list[float] = field(default_factory=list)
    # Process CPU time of the same runs, to show how many cores each run kept busy.
    rust_1w_cpu: list[float] = field(default_factory=list)
    rust_nw_cpu: list[float] = field(default_factory=list)
    python_1call_cpu: list[float] = field(default_factory=list)
    python_threads_cpu: list[float] = field(default_factory=list)


class Bench:
    """Runs the cases, keeps their samples and renders the Markdown report."""

    def __init__(self, opts: argparse.Namespace, executable: Path) -> None:
        self.opts = opts
        self.executable = executable
        self.config_path = barter_cy.example_path("system_config")
        self.config = barter_cy.SystemConfig.from_json(self.config_path)
        self.inputs: dict[int, Inputs] = {}
        self.per_variant_s: float | None = None  # per variant per event, from the last Rust batch
        self.per_variant_bytes: float | None = None  # per variant per event
        self.single_peak: int | None = None  # Rust peak RSS of a single-backtest process
        self.cases: list[Case] = []
        self.scaling: list[Scaling] = []
        self.gil: dict = {"sequential": [], "sequential_cpu": [], "threads": [], "threads_cpu": []}
        self.bound: dict | None = None  # native unbounded vs bounded, see bound_check()

    def in_flight(self, variants: int, max_concurrent: int | None = None) -> int:
        """Backtests in flight in a batch of ``variants`` (``max_concurrent`` 0 = all)."""
        limit = self.opts.max_concurrent if max_concurrent is None else max_concurrent
        return variants if limit == 0 else min(variants, limit)

    def py_limit(self, variants: int) -> int:
        """The ``max_concurrent`` Python passes for a batch (0 = unbounded = the batch)."""
        return self.opts.max_concurrent or max(variants, 1)

    # -- inputs ----------------------------------------------------------------------
    def get_inputs(self, events: int) -> Inputs:
        if events not in self.inputs:
            path = ensure_data(events, self.opts.seed)
            seconds, _, md = c.time_call(lambda: barter_cy.MarketDataInMemory.from_json_file(path))
            args = barter_cy.BacktestArgsConstant(self.config, md, "daily")
            self.inputs[events] = Inputs(path, events, args, seconds)
            c.log(f"loaded {path.name}: {len(md):,} records in {c.fmt_s(seconds)}")
        return self.inputs[events]

    def rust(self, inputs: Inputs, variants: int, repeat: int, workers: int | None = None,
             max_concurrent: int | None = None) -> dict:
        limit = self.opts.max_concurrent if max_concurrent is None else max_concurrent
        command = ["--data", inputs.path, "--config", self.config_path, "--variants", variants,
                   "--repeat", repeat, "--warmup", 1, "--warmup-variants", WARMUP_VARIANTS,
                   "--max-concurrent", limit]
        if workers:
            command += ["--workers", workers]
        report = c.run_example(self.executable, command)
        expected = max(variants, 1)
        if (report["summaries"] != expected or report["instruments_per_summary"] != 3
                or report["max_concurrent"] != limit):
            raise SystemExit(f"unexpected Rust summaries: {report}")
        return report

    # -- planning --------------------------------------------------------------------
    def fit_events(self, in_flight: int, events: int) -> tuple[int, str]:
        """The largest data set (``events`` or fewer, in steps of 10,000) whose projected
        peak with ``in_flight`` backtests running at once fits the memory budget, and a
        note when it is smaller than ``events``."""
        if not (in_flight and self.per_variant_bytes) or self.opts.ignore_memory:
            return events, ""
        budget = self.opts.mem_fraction * c.mem_available_bytes()
        projected = in_flight * events * self.per_variant_bytes
        c.log(f"memory guard: {in_flight} in flight x {events:,} events: projected ~{c.fmt_bytes(int(projected))}, "
              f"budget {c.fmt_bytes(int(budget))}")
        if projected <= budget:
            return events, ""
        fit = int(budget / (in_flight * self.per_variant_bytes)) // 10_000 * 10_000
        if fit < 10_000:
            raise SystemExit(
                f"{in_flight} backtests in flight would need ~{c.fmt_bytes(int(projected))} even at 10,000 events; "
                f"only {c.fmt_bytes(int(budget))} is within --mem-fraction"
            )
        note = (f"{fit:,} events instead of {events:,}: projected peak {c.fmt_bytes(int(projected))} "
                f"({in_flight:,} in flight) > {self.opts.mem_fraction:.0%} of MemAvailable ({c.fmt_bytes(int(budget))})")
        return fit, note

    def plan(self, variants: int, events: int, with_scaling: bool) -> tuple[int, int, str]:
        """(events, repeat, note) for a case, within the memory and time budgets."""
        note = ""
        if variants:
            fit, note = self.fit_events(self.in_flight(variants), events)
            if note:
                c.log(f"memory guard: {variants} variants: {note}")
                events = fit
        repeat = self.opts.repeat
        if self.per_variant_s:
            estimate = self.per_variant_s * variants * events
            warm = self.per_variant_s * min(variants, WARMUP_VARIANTS) * events
            # Per repeat: Rust warm-up + call, the Python call; scaling adds Rust with one
            # worker (~1.7x slower) and its warm-up, and the two-thread Python run.
            per_repeat = 2 * estimate + warm + (estimate * 2.7 + warm if with_scaling else 0)
            repeat = max(1, min(repeat, int(self.opts.case_budget / per_repeat)))
            c.log(f"{variants or 1} variant(s) x {events:,} events: ~{c.fmt_s(estimate)} per call, repeat {repeat}")
        return events, repeat, note

    # -- cases -----------------------------------------------------------------------
    def run_case(self, variants: int, with_scaling: bool) -> None:
        """One case (``variants == 0``: ``backtest()``). Each repeat runs the Rust
        baseline (a fresh process: untimed warm-up call, then one timed call) right
        before the same call from Python, so the pair shares the machine's state; a
        scaling case adds, in the same repeat, Rust with one tokio worker and Python
        with two threads each running half the variants (each with half the
        ``max_concurrent``, so the same number of backtests is in flight in total)."""
        if variants:
            events, repeat, note = self.plan(variants, self.opts.events, with_scaling)
        else:
            events, repeat, note = self.opts.events, self.opts.repeat, ""
        inputs = self.get_inputs(events)
        label = f"`run_backtests()` × {variants:,}" if variants else "`backtest()`"
        in_flight = self.in_flight(variants) if variants else 1
        case = Case(label, variants, events, in_flight=in_flight, note=note, load=[os.getloadavg()[0]])
        limit = self.py_limit(variants)
        half = variants // 2
        thread_limit = max(1, self.opts.max_concurrent // 2) if self.opts.max_concurrent else variants - half
        scaling = Scaling(variants, events, thread_limit=thread_limit) if with_scaling else None

        dynamics = [barter_cy.BacktestArgsDynamic(f"bt-{i}", "0.05") for i in range(max(variants, 1))]
        if variants:
            def call():
                return barter_cy.run_backtests(inputs.args, dynamics, max_concurrent=limit)

            def check(summary):
                return len(summary) == variants and all(len(s.trading_summary.instruments) == 3 for s in summary)

            warm_batch = dynamics[:WARMUP_VARIANTS]
            def warmup():
                return barter_cy.run_backtests(inputs.args, warm_batch, max_concurrent=limit)
        else:
            def call():
                return barter_cy.backtest.backtest(inputs.args, dynamics[0])

            def check(summary):
                return len(summary.trading_summary.instruments) == 3

            warmup = call
        c.log(f"{label}: Python warm-up call")
        warmup()

        for index in range(repeat):
            c.log(f"{label}: repeat {index + 1}/{repeat}")
            report = self.rust(inputs, variants, 1)
            case.rust += report["samples_s"]
            case.rust_cpu += report["cpu_s"]
            case.rust_peak = max(case.rust_peak, report["peak_rss_bytes"])
            if scaling is not None:
                scaling.rust_workers = report["workers"]
                one = self.rust(inputs, variants, 1, workers=1)
                scaling.rust_1w += one["samples_s"]
                scaling.rust_1w_cpu += one["cpu_s"]

            c.settle()
            c.reset_peak_rss()
            seconds, cpu, summary = c.time_call(call)
            case.python_peak = max(case.python_peak, c.peak_rss_bytes())
            case.python.append(seconds)
            case.python_cpu.append(cpu)
            if variants:
                case.python_barter.append(summary.duration_ns / 1e9)
            if not check(summary):
                raise SystemExit(f"unexpected Python result for {label}")
            del summary

            if scaling is not None:
                parts = [dynamics[:half], dynamics[half:]]
                c.settle()
                wall, cpu, results = self.in_threads(
                    [lambda part=part: barter_cy.run_backtests(inputs.args, part, max_concurrent=thread_limit)
                     for part in parts]
                )
                if sum(len(r) for r in results) != variants:
                    raise SystemExit("threaded run returned the wrong number of summaries")
                del results
                scaling.python_threads.append(wall)
                scaling.python_threads_cpu.append(cpu)
            c.settle()

        case.load.append(os.getloadavg()[0])
        self.cases.append(case)
        if scaling is not None:
            scaling.rust_nw, scaling.rust_nw_cpu = list(case.rust), list(case.rust_cpu)
            scaling.python_1call, scaling.python_1call_cpu = list(case.python), list(case.python_cpu)
            self.scaling.append(scaling)

        # Calibrate the next cases (Rust side, per variant and per event).
        if variants:
            self.per_variant_s = c.median(case.rust) / variants / events
            if self.single_peak is not None:
                # Per backtest in flight (the timed call has the most in flight: the
                # warm-up batch has at most as many); the largest seen so far, so the
                # projection stays on the safe side.
                measured = max(case.rust_peak - self.single_peak, 0) / in_flight / events
                self.per_variant_bytes = max(self.per_variant_bytes or 0.0, measured)
        else:
            self.single_peak = case.rust_peak

    def gil_check(self) -> None:
        """Two ``backtest()`` calls one after the other vs in two Python threads. Each
        call mostly waits (its CPU time is well below its wall time), so with the GIL
        released two threads take about as long as one call; holding it would double
        the time."""
        events, repeat = self.opts.events, self.opts.repeat
        inputs = self.get_inputs(events)
        dynamics = [barter_cy.BacktestArgsDynamic(f"bt-{i}", "0.05") for i in range(2)]
        c.log(f"backtest(): Python, 2 sequential vs 2 threads, x{repeat}")
        for _ in range(repeat):
            wall, cpu, _ = c.time_call(lambda: [barter_cy.backtest.backtest(inputs.args, d) for d in dynamics], c.settle)
            self.gil["sequential"].append(wall)
            self.gil["sequential_cpu"].append(cpu)
            c.settle()
            wall, cpu, _ = self.in_threads([lambda d=d: barter_cy.backtest.backtest(inputs.args, d) for d in dynamics])
            self.gil["threads"].append(wall)
            self.gil["threads_cpu"].append(cpu)
        self.gil["events"] = events

    def bound_check(self, variants: int) -> None:
        """Native barter only: ``variants`` backtests unbounded (barter's own
        ``run_backtests``, ``--max-concurrent 0``) vs bounded (``buffered(K)``), on the
        largest data set (up to ``--events``) that the unbounded run fits in memory;
        peak RSS and time of both, interleaved within each repeat."""
        limit = self.opts.max_concurrent or 64
        events, note = self.fit_events(variants, self.opts.events)
        repeat = self.opts.repeat
        if self.per_variant_s:
            estimate = self.per_variant_s * variants * events
            warm = self.per_variant_s * min(variants, WARMUP_VARIANTS) * events
            repeat = max(1, min(repeat, int(self.opts.case_budget / (2 * (estimate + warm)))))
        inputs = self.get_inputs(events)
        bound: dict = {"variants": variants, "events": events, "limit": limit, "note": note,
                       "load": [os.getloadavg()[0]]}
        runs = {"unbounded": 0, "bounded": limit}
        for key in runs:
            bound[key] = {"samples": [], "cpu": [], "barter": [], "peak": 0, "workers": 0}
        for index in range(repeat):
            for key, max_concurrent in runs.items():
                c.log(f"bound check: Rust x {variants:,} variants, {events:,} events, {key} "
                      f"(--max-concurrent {max_concurrent}), repeat {index + 1}/{repeat}")
                report = self.rust(inputs, variants, 1, max_concurrent=max_concurrent)
                entry = bound[key]
                entry["samples"] += report["samples_s"]
                entry["cpu"] += report["cpu_s"]
                entry["barter"] += report["barter_duration_s"]
                entry["peak"] = max(entry["peak"], report["peak_rss_bytes"])
                entry["workers"] = report["workers"]
                entry["in_flight"] = report["in_flight"]
        bound["load"].append(os.getloadavg()[0])
        self.bound = bound

    @staticmethod
    def in_threads(calls: list[Callable[[], object]]) -> tuple[float, float, list]:
        """Wall and process CPU time of running each call in its own Python thread, all
        released together, and their results."""
        results: list = [None] * len(calls)
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(calls) + 1)

        def work(index: int) -> None:
            barrier.wait()
            try:
                results[index] = calls[index]()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        barrier.wait()
        cpu = time.process_time()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        if errors:
            raise errors[0]
        return seconds, cpu, results

    # -- report ----------------------------------------------------------------------
    def report(self) -> str:
        out = []
        out.append("## Backtests: barter_cy (Python) vs native barter (Rust), same run\n")
        out.append(c.environment_note() + "\n")
        events_used = sorted({case.events for case in self.cases})
        out.append("Data: " + ", ".join(
            f"{e:,} trades ({c.fmt_s(self.inputs[e].load_s)} to load)" for e in events_used)
            + f"; 3 instruments, reconnect marker every {RECONNECT_EVERY:,}; DefaultStrategy / DefaultRiskManager, "
              "daily summary interval. Python and Rust both on a tokio multi-thread runtime with the default "
              "worker count. " + (
                  f"Batches keep at most {self.opts.max_concurrent} backtests in flight on both sides (Python "
                  f"`run_backtests(..., max_concurrent={self.opts.max_concurrent})`, Rust barter `backtest` per "
                  f"variant through `buffered({self.opts.max_concurrent})`).\n"
                  if self.opts.max_concurrent else
                  "Batches unbounded on both sides (Rust: barter's own `run_backtests`; Python: `max_concurrent` = "
                  "the batch size).\n"))
        rows, detail = [], []
        for case in self.cases:
            py_med, rs_med = c.median(case.python), c.median(case.rust)
            py_cpu, rs_cpu = c.median(case.python_cpu), c.median(case.rust_cpu)
            overhead = py_med - c.median(case.python_barter) if case.python_barter else None
            per = max(case.variants, 1)
            rows.append([
                case.label, f"{case.events:,}", len(case.python),
                c.fmt_s(min(case.python)), c.fmt_s(py_med), c.fmt_s(min(case.rust)), c.fmt_s(rs_med),
                c.fmt_ratio(min(case.python), min(case.rust)), c.fmt_ratio(py_med, rs_med),
                f"{case.paired():.3f}x", c.fmt_ratio(py_cpu, rs_cpu),
            ])
            detail.append([
                case.label, f"{case.in_flight:,}", c.fmt_s(py_med / per), c.fmt_s(rs_med / per), c.fmt_s(py_cpu), c.fmt_s(rs_cpu),
                f"{py_cpu / py_med:.2f} / {rs_cpu / rs_med:.2f}",
                c.fmt_s(overhead) if overhead is not None else "–",
                c.fmt_bytes(case.python_peak), c.fmt_bytes(case.rust_peak),
                " → ".join(f"{x:.1f}" for x in case.load),
            ])
        out.append(c.markdown_table(
            ["call", "events", "repeats", "Python best", "Python median", "Rust best", "Rust median",
             "ratio best", "ratio median", f"ratio paired⁰ (goal ≤ {GOAL_RATIO}x)", "CPU ratio¹"],
            rows,
        ))
        out.append("\n### Where the time goes\n")
        out.append(c.markdown_table(
            ["call", "in flight⁶", "Python per variant", "Rust per variant", "Python CPU¹", "Rust CPU¹", "cores busy Py / Rust⁴",
             "Python outside barter²", "Python peak RSS³", "Rust peak RSS³", "load avg⁵"],
            detail,
        ))
        out.append("\n⁰ Median over repeats of Python/Rust within the same repeat (adjacent runs).  ")
        out.append("¹ Process CPU time over all threads (medians), Python `time.process_time()`, Rust "
                   "`CLOCK_PROCESS_CPUTIME_ID`; the ratio is of the medians.  ")
        out.append("² Python median minus barter's own `MultiBacktestSummary.duration` for the same calls: "
                   "argument JSON, the FFI call, summary JSON and building the Python summary objects.  ")
        out.append("³ Python: peak during the case (VmHWM reset before it); Rust: peak of the baseline "
                   "process, its data and warm-up included.  ")
        out.append("⁴ Median CPU time / median wall time: how many cores the run kept busy on average.  ")
        out.append("⁵ The machine's 1-minute load average before → after the case (other work on the "
                   "machine competes for the same cores; above ~2 the cores were shared).  ")
        out.append("⁶ Most backtests running at once: min(variants, max_concurrent), or all of them unbounded.")
        notes = [f"- {case.label}: {case.note}" for case in self.cases if case.note]
        if notes:
            out.append("\nMemory guard:\n" + "\n".join(notes))

        if self.scaling:
            out.append("\n## Scaling across the CPUs\n")
            rows = []
            for s in self.scaling:
                half = s.variants // 2
                r1, rn = c.median(s.rust_1w), c.median(s.rust_nw)
                p1, p2 = c.median(s.python_1call), c.median(s.python_threads)
                def busy(cpu, wall):
                    return f"{c.median(cpu) / wall:.2f}" if cpu else "–"
                rows += [
                    [f"Rust `run_backtests` × {s.variants:,}, tokio 1 worker", f"{s.events:,}", len(s.rust_1w),
                     c.fmt_s(r1), c.fmt_s(r1 / s.variants), busy(s.rust_1w_cpu, r1), "1.00x"],
                    [f"Rust `run_backtests` × {s.variants:,}, tokio {s.rust_workers} workers", f"{s.events:,}",
                     len(s.rust_nw), c.fmt_s(rn), c.fmt_s(rn / s.variants), busy(s.rust_nw_cpu, rn),
                     c.fmt_ratio(r1, rn)],
                    [f"Python `run_backtests` × {s.variants:,}, one call", f"{s.events:,}", len(s.python_1call),
                     c.fmt_s(p1), c.fmt_s(p1 / s.variants), busy(s.python_1call_cpu, p1), "1.00x"],
                    [f"Python 2 threads × `run_backtests` × {half:,} (max_concurrent {s.thread_limit:,} each)",
                     f"{s.events:,}", len(s.python_threads),
                     c.fmt_s(p2), c.fmt_s(p2 / s.variants), busy(s.python_threads_cpu, p2), c.fmt_ratio(p1, p2)],
                ]
            if self.gil["threads"]:
                g = self.gil
                seq, thr = c.median(g["sequential"]), c.median(g["threads"])
                rows += [
                    ["Python 2 × `backtest()`, one after the other", f"{g['events']:,}", len(g["sequential"]),
                     c.fmt_s(seq), c.fmt_s(seq / 2), f"{c.median(g['sequential_cpu']) / seq:.2f}", "1.00x"],
                    ["Python 2 threads × `backtest()`", f"{g['events']:,}", len(g["threads"]),
                     c.fmt_s(thr), c.fmt_s(thr / 2), f"{c.median(g['threads_cpu']) / thr:.2f}", c.fmt_ratio(seq, thr)],
                ]
            out.append(c.markdown_table(
                ["run", "events", "repeats", "median", "per variant", "cores busy⁴", "speed-up"], rows))

        if self.bound:
            b = self.bound
            out.append("\n## Bounded vs unbounded `run_backtests` (native barter, Rust)\n")
            out.append(f"{b['variants']:,} variants over {b['events']:,} trades, the largest data set (in steps of "
                       f"10,000, at most {self.opts.events:,}) whose projected unbounded peak fits "
                       f"{self.opts.mem_fraction:.0%} of MemAvailable. Unbounded: barter's `run_backtests` (every "
                       f"variant started at once); bounded: barter's `backtest` per variant through "
                       f"`buffered({b['limit']})`. Same process setup, interleaved within each repeat.\n")
            rows = []
            for key, name in (("unbounded", "barter `run_backtests`, unbounded (`--max-concurrent 0`)"),
                              ("bounded", f"`buffered({b['limit']})` (`--max-concurrent {b['limit']}`)")):
                e = b[key]
                med = c.median(e["samples"])
                rows.append([name, f"{e['in_flight']:,}", len(e["samples"]), c.fmt_s(min(e["samples"])),
                             c.fmt_s(med), c.fmt_s(med / b["variants"]), f"{c.median(e['cpu']) / med:.2f}",
                             c.fmt_bytes(e["peak"])])
            u, k = b["unbounded"], b["bounded"]
            rows.append(["**bounded / unbounded**", "", "", c.fmt_ratio(min(k["samples"]), min(u["samples"])),
                         c.fmt_ratio(c.median(k["samples"]), c.median(u["samples"])), "", "",
                         c.fmt_ratio(k["peak"], u["peak"])])
            out.append(c.markdown_table(
                ["Rust, tokio " + str(u["workers"]) + " workers", "in flight⁶", "repeats", "best", "median",
                 "per variant", "cores busy⁴", "peak RSS³"], rows))
            out.append(f"\n1-minute load average⁵ {' → '.join(f'{x:.1f}' for x in b['load'])}."
                       + (f" Memory guard: {b['note']}." if b["note"] else ""))
        return "\n".join(out)

    def to_json(self) -> dict:
        from dataclasses import asdict

        return {"cases": [asdict(x) for x in self.cases], "scaling": [asdict(x) for x in self.scaling], "gil": self.gil,
                "bound": self.bound, "max_concurrent": self.opts.max_concurrent}


def parse_counts(text: str) -> list[int]:
    try:
        values = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("variant counts must be >= 1")
    return values


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="trades in the data set (default 100,000)")
    ap.add_argument("--variants", type=parse_counts, default=[10, 100, 1000],
                    help="run_backtests batch sizes, comma-separated (default 10,100,1000)")
    ap.add_argument("--scaling-variants", type=parse_counts, default=None,
                    help="batch sizes that also get the 1-worker / 2-thread runs (default: the largest)")
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per side per case, at most (default 3)")
    ap.add_argument("--case-budget", type=float, default=90.0,
                    help="seconds per case (both sides) used to lower --repeat (default 90)")
    ap.add_argument("--max-concurrent", type=int, default=64,
                    help="backtests in flight per batch on both sides (default: the package default, "
                         f"{64}); 0 = unbounded (Rust: barter's run_backtests)")
    ap.add_argument("--bound-variants", type=int, default=None,
                    help="batch size of the native unbounded vs bounded comparison (default: the largest of "
                         "--variants); 0 skips it")
    ap.add_argument("--mem-fraction", type=float, default=0.6,
                    help="largest share of MemAvailable a case may be projected to use (default 0.6)")
    ap.add_argument("--ignore-memory", action="store_true", help="never shrink a case to fit in memory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 10,000 trades, 10 and 100 variants, scaling at 100, repeat 2")
    ap.add_argument("--no-build", action="store_true", help="use the already built release example")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    opts = ap.parse_args(argv)
    if opts.quick:
        opts.events, opts.variants, opts.repeat = 10_000, [10, 100], 2
        opts.scaling_variants = opts.scaling_variants or [100]
    if opts.events < 1 or opts.repeat < 1:
        ap.error("--events and --repeat must be >= 1")
    if opts.max_concurrent < 0:
        ap.error("--max-concurrent must be >= 0")
    if opts.bound_variants is None:
        opts.bound_variants = max(opts.variants)
    if opts.scaling_variants is None:
        opts.scaling_variants = [max(opts.variants)]
    if any(n < 2 for n in opts.scaling_variants):
        ap.error("--scaling-variants must be >= 2 (two threads get half each)")

    executable = c.example_path("bench_backtest") if opts.no_build else c.build_example("bench_backtest")
    bench = Bench(opts, executable)
    inputs = bench.get_inputs(opts.events)
    c.log("warm-up: one Python backtest (starts the shared tokio runtime)")
    barter_cy.backtest.backtest(inputs.args, barter_cy.BacktestArgsDynamic("warm-up", "0.05"))

    bench.run_case(0, with_scaling=False)
    bench.gil_check()
    for variants in sorted(set(opts.variants) | set(opts.scaling_variants)):
        bench.run_case(variants, with_scaling=variants in opts.scaling_variants)
    if opts.bound_variants:
        bench.bound_check(opts.bound_variants)

    print(bench.report())
    if opts.json:
        opts.json.write_text(json.dumps(bench.to_json(), indent=1))
    worst = max(bench.cases, key=lambda x: x.paired())
    print(f"\nWorst paired ratio {worst.paired():.3f}x ({worst.label}): "
          f"{'within' if worst.paired() <= GOAL_RATIO else 'OUTSIDE'} the {GOAL_RATIO}x goal.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
