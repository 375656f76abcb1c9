#!/usr/bin/env python3
"""Backtests: ``barter_cy.backtest()`` / ``barter_cy.run_backtests()`` against the
native Rust baseline (``rust_ffi/examples/bench_backtest.rs``: the same inputs built
with ``barter_ffi``'s builders, then barter's own ``barter::backtest::backtest`` /
``run_backtests`` on a tokio multi-thread runtime), measured in the same run; and how
both use the CPUs: Rust with 1 vs all tokio workers, Python with one ``run_backtests``
call vs two Python threads each running half the variants (the GIL is released while
Rust works).

Usage::

    python bench/bench_backtest.py [--events 100000] [--variants 10,100,1000]
                                   [--scaling-variants 1000] [--repeat 3] [--quick]

Data: JSON Lines trades on the 3 instruments of ``barter_cy/examples/system_config.json``
(instrument indices 0..2 = btc_usdt, eth_usdt, sol_usdt), a reconnect marker every
25,000 events, generated under ``bench/data/`` by ``bench/gen_market_data.py``.

Each case runs the Rust baseline first (``--repeat`` timed calls after one untimed
warm-up backtest, in a fresh process) and then the same calls in this process, dynamic
arguments built before the clock starts on both sides. Repeat counts shrink to keep
each case within ``--case-budget`` seconds (estimated from the previous case), down to 1.

Memory: barter forwards each backtest's whole market stream into an unbounded channel,
so ``run_backtests`` holds about one copy of the stream per variant in flight (~20 MB
per variant at 100,000 events). Before each case the projected peak is compared with
``--mem-fraction`` of MemAvailable; a case that would not fit runs on a smaller data set
(rounded down to 10,000 events) instead of risking the OOM killer, and says so.
``--ignore-memory`` turns that off.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common as c

import barter_cy

GOAL_RATIO = 1.05
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
    label: str
    variants: int  # 0 = backtest()
    events: int
    python: list[float] = field(default_factory=list)
    rust: list[float] = field(default_factory=list)
    python_cpu: list[float] = field(default_factory=list)  # process CPU time, all threads
    rust_cpu: list[float] = field(default_factory=list)
    python_barter: list[float] = field(default_factory=list)  # barter's own duration, Python calls
    python_peak: int = 0
    rust_peak: int = 0
    note: str = ""


@dataclass
class Scaling:
    variants: int
    events: int
    rust_1w: list[float] = field(default_factory=list)
    rust_nw: list[float] = field(default_factory=list)
    rust_workers: int = 0
    python_1call: list[float] = field(default_factory=list)
    python_threads: list[float] = field(default_factory=list)


class Bench:
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

    # -- inputs ----------------------------------------------------------------------
    def get_inputs(self, events: int) -> Inputs:
        if events not in self.inputs:
            path = ensure_data(events, self.opts.seed)
            seconds, _, md = c.time_call(lambda: barter_cy.MarketDataInMemory.from_json_file(path))
            args = barter_cy.BacktestArgsConstant(self.config, md, "daily")
            self.inputs[events] = Inputs(path, events, args, seconds)
            c.log(f"loaded {path.name}: {len(md):,} records in {c.fmt_s(seconds)}")
        return self.inputs[events]

    def rust(self, inputs: Inputs, variants: int, repeat: int, workers: int | None = None) -> dict:
        command = ["--data", inputs.path, "--config", self.config_path, "--variants", variants,
                   "--repeat", repeat, "--warmup", 1]
        if workers:
            command += ["--workers", workers]
        report = c.run_example(self.executable, command)
        expected = max(variants, 1)
        if report["summaries"] != expected or report["instruments_per_summary"] != 3:
            raise SystemExit(f"unexpected Rust summaries: {report}")
        return report

    # -- planning --------------------------------------------------------------------
    def plan(self, variants: int, events: int) -> tuple[int, int, str]:
        """(events, repeat, note) for a case, within the memory and time budgets."""
        note = ""
        if variants and self.per_variant_bytes and not self.opts.ignore_memory:
            budget = self.opts.mem_fraction * c.mem_available_bytes()
            projected = variants * events * self.per_variant_bytes
            if projected > budget:
                fit = int(budget / (variants * self.per_variant_bytes)) // 10_000 * 10_000
                if fit < 10_000:
                    raise SystemExit(
                        f"{variants} variants would need ~{c.fmt_bytes(int(projected))} even at 10,000 events; "
                        f"only {c.fmt_bytes(int(budget))} is within --mem-fraction"
                    )
                note = (f"reduced from {events:,} events: projected peak {c.fmt_bytes(int(projected))} > "
                        f"{self.opts.mem_fraction:.0%} of MemAvailable")
                c.log(f"memory guard: {variants} variants at {events:,} events {note}; using {fit:,} events")
                events = fit
        repeat = self.opts.repeat
        if self.per_variant_s:
            estimate = self.per_variant_s * max(variants, 1) * events
            # Rust and Python each run `repeat` times.
            repeat = max(1, min(repeat, int(self.opts.case_budget / (2 * estimate))))
            c.log(f"{variants or 1} variant(s) x {events:,} events: ~{c.fmt_s(estimate)} per call, repeat {repeat}")
        return events, repeat, note

    # -- cases -----------------------------------------------------------------------
    def single(self) -> None:
        events = self.opts.events
        inputs = self.get_inputs(events)
        repeat = self.opts.repeat
        case = Case("`backtest()`", 0, events)
        c.log(f"backtest(): rust x{repeat}")
        report = self.rust(inputs, 0, repeat)
        case.rust, case.rust_cpu, case.rust_peak = report["samples_s"], report["cpu_s"], report["peak_rss_bytes"]
        self.single_peak = report["peak_rss_bytes"]
        c.log(f"backtest(): python x{repeat}")
        dynamic = barter_cy.BacktestArgsDynamic("bt-0", "0.05")
        c.settle()
        c.reset_peak_rss()
        for _ in range(repeat):
            seconds, cpu, summary = c.time_call(lambda: barter_cy.backtest(inputs.args, dynamic), c.settle)
            case.python.append(seconds)
            case.python_cpu.append(cpu)
            if len(summary.trading_summary.instruments) != 3:
                raise SystemExit(f"unexpected Python summary: {summary!r}")
            del summary
        case.python_peak = c.peak_rss_bytes()
        self.cases.append(case)

    def many(self, variants: int, with_scaling: bool) -> None:
        events, repeat, note = self.plan(variants, self.opts.events)
        inputs = self.get_inputs(events)
        case = Case(f"`run_backtests()` × {variants:,}", variants, events, note=note)
        c.log(f"run_backtests x{variants}: rust x{repeat}")
        report = self.rust(inputs, variants, repeat)
        case.rust, case.rust_cpu, case.rust_peak = report["samples_s"], report["cpu_s"], report["peak_rss_bytes"]
        scaling = None
        if with_scaling:
            scaling = Scaling(variants, events, rust_nw=list(case.rust), rust_workers=report["workers"])
            c.log(f"run_backtests x{variants}: rust with 1 worker x{repeat}")
            scaling.rust_1w = self.rust(inputs, variants, repeat, workers=1)["samples_s"]

        # Calibrate the next cases from this one (Rust side: per variant, per event).
        self.per_variant_s = c.median(case.rust) / variants / events
        if self.single_peak is not None:
            self.per_variant_bytes = max(report["peak_rss_bytes"] - self.single_peak, 0) / variants / events

        c.log(f"run_backtests x{variants}: python x{repeat}")
        dynamics = [barter_cy.BacktestArgsDynamic(f"bt-{i}", "0.05") for i in range(variants)]
        c.settle()
        c.reset_peak_rss()
        for _ in range(repeat):
            seconds, cpu, summary = c.time_call(lambda: barter_cy.run_backtests(inputs.args, dynamics), c.settle)
            case.python.append(seconds)
            case.python_cpu.append(cpu)
            case.python_barter.append(summary.duration_ns / 1e9)
            if len(summary) != variants:
                raise SystemExit(f"expected {variants} summaries, got {len(summary)}")
            del summary
        case.python_peak = c.peak_rss_bytes()
        self.cases.append(case)

        if scaling is not None:
            scaling.python_1call = list(case.python)
            half = variants // 2
            parts = [dynamics[:half], dynamics[half:]]
            c.log(f"run_backtests x{variants}: python 2 threads x {half} x{repeat}")
            for _ in range(repeat):
                c.settle()
                scaling.python_threads.append(self.python_threads(inputs.args, parts))
            self.scaling.append(scaling)
        c.settle()

    @staticmethod
    def python_threads(args: barter_cy.BacktestArgsConstant, parts: list[list]) -> float:
        """Wall time of running each part in its own Python thread, started together."""
        results: list = [None] * len(parts)
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(parts) + 1)

        def work(index: int) -> None:
            barrier.wait()
            try:
                results[index] = barter_cy.run_backtests(args, parts[index])
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(parts))]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        if errors:
            raise errors[0]
        if sum(len(r) for r in results) != sum(len(p) for p in parts):
            raise SystemExit("threaded run returned the wrong number of summaries")
        del results
        return seconds

    # -- report ----------------------------------------------------------------------
    def report(self) -> str:
        out = []
        out.append(f"## Backtests: barter_cy (Python) vs native barter (Rust), same run\n")
        out.append(c.environment_note() + "\n")
        events_used = sorted({case.events for case in self.cases})
        out.append("Data: " + ", ".join(
            f"{e:,} trades ({c.fmt_s(self.inputs[e].load_s)} to load)" for e in events_used)
            + f"; 3 instruments, reconnect marker every {RECONNECT_EVERY:,}; DefaultStrategy / DefaultRiskManager, "
              "daily summary interval. Python and Rust both on a tokio multi-thread runtime with the default "
              "worker count.\n")
        rows, detail = [], []
        for case in self.cases:
            py_med, rs_med = c.median(case.python), c.median(case.rust)
            py_cpu, rs_cpu = c.median(case.python_cpu), c.median(case.rust_cpu)
            overhead = py_med - c.median(case.python_barter) if case.python_barter else None
            per = max(case.variants, 1)
            rows.append([
                case.label, f"{case.events:,}", len(case.python),
                c.fmt_s(min(case.python)), c.fmt_s(py_med), c.fmt_s(min(case.rust)), c.fmt_s(rs_med),
                c.fmt_ratio(min(case.python), min(case.rust)), c.fmt_ratio(py_med, rs_med), c.fmt_ratio(py_cpu, rs_cpu),
            ])
            detail.append([
                case.label, c.fmt_s(py_med / per), c.fmt_s(rs_med / per), c.fmt_s(py_cpu), c.fmt_s(rs_cpu),
                c.fmt_s(overhead) if overhead is not None else "–",
                c.fmt_bytes(case.python_peak), c.fmt_bytes(case.rust_peak),
            ])
        out.append(c.markdown_table(
            ["call", "events", "repeats", "Python best", "Python median", "Rust best", "Rust median",
             "ratio best", f"ratio median (goal ≤ {GOAL_RATIO}x)", "CPU ratio¹"],
            rows,
        ))
        out.append("\n### Where the time goes\n")
        out.append(c.markdown_table(
            ["call", "Python per variant", "Rust per variant", "Python CPU¹", "Rust CPU¹",
             "Python outside barter²", "Python peak RSS³", "Rust peak RSS³"],
            detail,
        ))
        out.append("\n¹ Process CPU time over all threads (medians), Python `time.process_time()`, Rust "
                   "`CLOCK_PROCESS_CPUTIME_ID`; the ratio is of the medians.  ")
        out.append("² Python median minus barter's own `MultiBacktestSummary.duration` for the same calls: "
                   "argument JSON, the FFI call, summary JSON and building the Python summary objects.  ")
        out.append("³ Python: peak during the case (VmHWM reset before it); Rust: peak of the baseline "
                   "process, its data and warm-up included.")
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
                rows += [
                    [f"Rust `run_backtests` × {s.variants:,}, tokio 1 worker", f"{s.events:,}", len(s.rust_1w),
                     c.fmt_s(r1), c.fmt_s(r1 / s.variants), "1.00x"],
                    [f"Rust `run_backtests` × {s.variants:,}, tokio {s.rust_workers} workers", f"{s.events:,}",
                     len(s.rust_nw), c.fmt_s(rn), c.fmt_s(rn / s.variants), c.fmt_ratio(r1, rn)],
                    [f"Python `run_backtests` × {s.variants:,}, one call", f"{s.events:,}", len(s.python_1call),
                     c.fmt_s(p1), c.fmt_s(p1 / s.variants), "1.00x"],
                    [f"Python 2 threads × `run_backtests` × {half:,}", f"{s.events:,}", len(s.python_threads),
                     c.fmt_s(p2), c.fmt_s(p2 / s.variants), c.fmt_ratio(p1, p2)],
                ]
            out.append(c.markdown_table(["run", "events", "repeats", "median", "per variant", "speed-up"], rows))
        return "\n".join(out)

    def to_json(self) -> dict:
        from dataclasses import asdict

        return {"cases": [asdict(x) for x in self.cases], "scaling": [asdict(x) for x in self.scaling]}


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
    if opts.scaling_variants is None:
        opts.scaling_variants = [max(opts.variants)]
    if any(n < 2 for n in opts.scaling_variants):
        ap.error("--scaling-variants must be >= 2 (two threads get half each)")

    executable = c.example_path("bench_backtest") if opts.no_build else c.build_example("bench_backtest")
    bench = Bench(opts, executable)
    inputs = bench.get_inputs(opts.events)
    c.log("warm-up: one Python backtest (starts the shared tokio runtime)")
    barter_cy.backtest(inputs.args, barter_cy.BacktestArgsDynamic("warm-up", "0.05"))

    bench.single()
    for variants in sorted(set(opts.variants) | set(opts.scaling_variants)):
        bench.many(variants, with_scaling=variants in opts.scaling_variants)

    print(bench.report())
    if opts.json:
        opts.json.write_text(json.dumps(bench.to_json(), indent=1))
    worst = max(c.median(x.python) / c.median(x.rust) for x in bench.cases)
    print(f"\nWorst median ratio {worst:.3f}x: {'within' if worst <= GOAL_RATIO else 'OUTSIDE'} the {GOAL_RATIO}x goal.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
