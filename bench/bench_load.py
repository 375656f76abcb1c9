#!/usr/bin/env python3
"""Market data loading: ``barter_cy.MarketDataInMemory.from_json_file`` against the
native Rust baseline (``rust_ffi/examples/bench_load.rs``, which calls the same
``barter_ffi::market_data::load_file(path, false)`` without Python), measured in the
same run, plus the cost of turning the loaded records into Python objects
(``events()`` and ``list(iter(md))``, which build trades in Cython straight from the
Rust records through ``MarketDataHandle.build_events``, no JSON). For comparison only,
the previous JSON path (``_handle.events_json`` + ``data.events_from_wire_json``, still
in the package but no longer used by ``events()``) is timed end to end and step by step
when this build has it.

Usage::

    python bench/bench_load.py [--events 1000000] [--rounds 6] [--repeat 1]

The JSON Lines data set (3 instruments, trades, a few reconnect markers) is generated
under ``bench/data/`` by ``bench/gen_market_data.py`` if it is not there yet. Each
round runs the Rust baseline (one untimed warm-up load, then ``--repeat`` timed loads in
a fresh process) and then the same number of loads in this process, so both sides see
the same machine state; best and median are over all rounds. Progress goes to stderr,
the Markdown tables to stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import _common as c

import barter_cy
import barter_cy.data

GOAL_RATIO = 1.2


def ensure_data(events: int, reconnect_every: int, seed: int) -> tuple[Path, dict | None]:
    """The data set path, generated first if absent (returns the generator's counts then)."""
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"load_{events}_r{reconnect_every}_s{seed}.jsonl"
    if path.exists():
        return path, None
    c.log(f"generating {path} ({events:,} events)...")
    tmp = path.with_suffix(".tmp")
    counts = gen_market_data.generate(tmp, events, n_instruments=3, seed=seed, reconnect_every=reconnect_every)
    tmp.replace(path)
    return path, counts


def bench_loads(path: Path, executable: Path, repeat: int, rounds: int) -> dict:
    """Interleaved rounds of Rust-baseline loads and Python loads of ``path``."""
    py, py_cpu, rust, rust_cpu, rust_drop, paired = [], [], [], [], [], []
    info = None
    c.log("python: one untimed warm-up load")
    barter_cy.MarketDataInMemory.from_json_file(path)
    for round_index in range(rounds):
        c.log(f"round {round_index + 1}/{rounds}: rust load x{repeat}")
        report = c.run_example(executable, [path, "--repeat", repeat, "--warmup", 1])
        rust += report["load_s"]
        rust_cpu += report["load_cpu_s"]
        rust_drop.append(report["drop_median_s"])
        py_round = []
        c.log(f"round {round_index + 1}/{rounds}: python load x{repeat}")
        for _ in range(repeat):
            seconds, cpu, md = c.time_call(
                lambda: barter_cy.MarketDataInMemory.from_json_file(path), c.settle, time.thread_time
            )
            py.append(seconds)
            py_round.append(seconds)
            py_cpu.append(cpu)
            info = (len(md), md.item_count, md.reconnect_count)
            del md
        paired.append(c.median(py_round) / c.median(report["load_s"]))
        if info != (report["records"], report["items"], report["reconnects"]):
            raise SystemExit(f"Python and Rust disagree on the counts: {info} vs {report}")
    c.settle()
    return {"python": py, "python_cpu": py_cpu, "rust": rust, "rust_cpu": rust_cpu, "paired": paired,
            "rust_drop": c.median(rust_drop), "records": info[0], "items": info[1], "reconnects": info[2]}


def wire_path_available(md: barter_cy.MarketDataInMemory) -> bool:
    """Whether the previous JSON path (``_handle.events_json`` +
    ``data.events_from_wire_json`` / ``events_from_wire``) exists in this build; it is
    internal and may go away, so timing it is optional."""
    return (hasattr(md._handle, "events_json") and hasattr(barter_cy.data, "events_from_wire")
            and hasattr(barter_cy.data, "events_from_wire_json"))


def bench_events(path: Path, repeat: int, breakdown: bool) -> dict:
    """``events()`` and ``list(iter(md))``; with ``breakdown``, also the previous JSON
    path for comparison: end to end (``events_from_wire_json(_handle.events_json(..))``)
    and step by step (Rust rows to JSON, ``json.loads`` with the cyclic GC disabled,
    ``events_from_wire``), if this build still has it."""
    md = barter_cy.MarketDataInMemory.from_json_file(path)
    breakdown = breakdown and wire_path_available(md)
    out: dict = {"events": [], "iter": [], "breakdown": breakdown}
    steps = ("json_path", "rust_json", "json_loads_nogc", "from_wire")
    for key in steps if breakdown else ():
        out[key] = []
    for index in range(repeat):
        c.log(f"events() / list(iter(md)) {index + 1}/{repeat}")
        seconds, _, result = c.time_call(md.events, c.settle)
        out["events"].append(seconds)
        count = len(result)
        del result
        seconds, _, result = c.time_call(lambda: list(iter(md)), c.settle)
        out["iter"].append(seconds)
        if len(result) != count:
            raise SystemExit(f"events() gave {count} events, iteration {len(result)}")
        del result
        if breakdown:
            seconds, _, result = c.time_call(
                lambda: barter_cy.data.events_from_wire_json(md._handle.events_json(0, len(md))), c.settle)
            out["json_path"].append(seconds)
            if len(result) != count:
                raise SystemExit(f"events() gave {count} events, the JSON path {len(result)}")
            del result
            seconds, _, raw = c.time_call(lambda: md._handle.events_json(0, len(md)), c.settle)
            out["rust_json"].append(seconds)
            c.settle()
            gc.disable()
            try:
                seconds, _, rows = c.time_call(lambda: json.loads(raw), None)
            finally:
                gc.enable()
            out["json_loads_nogc"].append(seconds)
            seconds, _, result = c.time_call(lambda: barter_cy.data.events_from_wire(rows), None)
            out["from_wire"].append(seconds)
            out["json_bytes"] = len(raw)
            del rows, raw, result
    out["count"] = count
    del md
    c.settle()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="market events in the data set (default 1,000,000)")
    ap.add_argument("--reconnect-every", type=int, default=250_000, help="a Reconnecting marker every R events (0 = none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=6, help="interleaved Rust/Python rounds (default 6)")
    ap.add_argument("--repeat", type=int, default=1, help="timed loads per side per round (default 1)")
    ap.add_argument("--events-repeat", type=int, default=3, help="repeats of the events() measurements (default 3)")
    ap.add_argument("--skip-events", action="store_true", help="only time loading")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip timing the previous JSON path (kept for comparison; events() no longer uses it)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 100,000 events, 3 rounds, 1 events() repeat")
    ap.add_argument("--no-build", action="store_true", help="use the already built release example")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    args = ap.parse_args(argv)
    if args.quick:
        args.events, args.repeat, args.rounds, args.events_repeat = 100_000, 1, 3, 1
    if min(args.events, args.repeat, args.rounds, args.events_repeat) < 1:
        ap.error("--events, --repeat, --rounds and --events-repeat must be >= 1")

    path, generated = ensure_data(args.events, args.reconnect_every, args.seed)
    if generated:
        c.log(f"generated {json.dumps(generated)}")
    executable = c.example_path("bench_load") if args.no_build else c.build_example("bench_load")

    loads = bench_loads(path, executable, args.repeat, args.rounds)
    events = None if args.skip_events else bench_events(path, args.events_repeat, not args.no_breakdown)

    records = loads["records"]
    size = path.stat().st_size
    py_best, py_med = min(loads["python"]), c.median(loads["python"])
    rs_best, rs_med = min(loads["rust"]), c.median(loads["rust"])

    print(f"## Market data loading ({records:,} records, {loads['items']:,} events, {loads['reconnects']} reconnects, "
          f"{size / 1e6:.1f} MB JSON Lines)\n")
    print(c.environment_note() + "\n")
    print(f"{len(loads['python'])} loads per side ({args.rounds} interleaved rounds of {args.repeat}).\n")
    py_cpu, rs_cpu = c.median(loads["python_cpu"]), c.median(loads["rust_cpu"])
    py_worst, rs_worst = max(loads["python"]), max(loads["rust"])
    paired = c.median(loads["paired"])
    rows = [
        ["`MarketDataInMemory.from_json_file` (Python)", c.fmt_s(py_best), c.fmt_s(py_med), c.fmt_s(py_worst),
         c.fmt_s(py_cpu), f"{py_med / records * 1e9:.0f} ns", f"{size / py_med / 1e6:.0f} MB/s"],
        ["`barter_ffi::market_data::load_file` (Rust)", c.fmt_s(rs_best), c.fmt_s(rs_med), c.fmt_s(rs_worst),
         c.fmt_s(rs_cpu), f"{rs_med / records * 1e9:.0f} ns", f"{size / rs_med / 1e6:.0f} MB/s"],
        [f"**ratio Python/Rust** (goal ≤ {GOAL_RATIO}x)", c.fmt_ratio(py_best, rs_best), c.fmt_ratio(py_med, rs_med),
         c.fmt_ratio(py_worst, rs_worst), c.fmt_ratio(py_cpu, rs_cpu), "", ""],
    ]
    print(c.markdown_table(
        ["load", "best", "median", "worst", "CPU (median)¹", "per record (median)", "throughput (median)"], rows
    ))
    print(f"\n**Paired ratio² Python/Rust: {paired:.3f}x** (per round: "
          + ", ".join(f"{x:.3f}" for x in loads["paired"]) + ")")
    print("\n¹ CPU time of the loading thread (`time.thread_time()` / `CLOCK_THREAD_CPUTIME_ID`).  ")
    print("² Median over rounds of (Python / Rust) within the round: adjacent runs share the machine's state, "
          "so this is the least noisy ratio here.")
    print(f"\nDropping the loaded data (untimed above) takes {c.fmt_s(loads['rust_drop'])} in Rust (median).")

    if events:
        n = events["count"]
        base = c.median(events["events"])
        def row(label, key, per=n):
            best, med = min(events[key]), c.median(events[key])
            return [label, c.fmt_s(best), c.fmt_s(med), f"{med / per * 1e9:.0f} ns", c.fmt_ratio(med, base)]
        print(f"\n## Market data → Python objects ({n:,} events, {len(events['events'])} repeats)\n")
        rows = [
            row("`md.events()` (trades built in Cython from the Rust records, no JSON)", "events"),
            row("`list(iter(md))` (the same, chunks of 65,536 records)", "iter"),
        ]
        if events["breakdown"]:
            mb = events["json_bytes"] / 1e6
            rows += [
                ["*Previous path, for comparison only (not used by `events()` any more):*", "", "", "", ""],
                row("`data.events_from_wire_json(md._handle.events_json(0, n))`, end to end", "json_path"),
                row("↳ Rust rows → JSON bytes (`_handle.events_json`, GIL released)", "rust_json"),
                row(f"↳ `json.loads` of the {mb:.0f} MB, cyclic GC disabled", "json_loads_nogc"),
                row("↳ `data.events_from_wire` (pauses the GC itself)", "from_wire"),
            ]
        print(c.markdown_table(["call", "best", "median", "per event (median)", "÷ `events()` (median)"], rows))
    if args.json:
        args.json.write_text(json.dumps({"loads": loads, "events": events, "path": str(path)}, indent=1))
    ok = paired <= GOAL_RATIO
    print(f"\nLoad ratio Python/Rust: paired {paired:.3f}x, best {py_best / rs_best:.3f}x, median "
          f"{py_med / rs_med:.3f}x: {'within' if ok else 'OUTSIDE'} the {GOAL_RATIO}x goal.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
