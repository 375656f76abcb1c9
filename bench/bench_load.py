#!/usr/bin/env python3
"""Market data loading, side by side in one run: ``MarketDataInMemory.from_json_file``
with 1 and 2 parser threads, the same file compressed with zstd, ``load()`` of the binary
cache (``md.save``), CPython's ``json.loads`` called line by line on the same file, and
the native Rust baseline (``rust_ffi/examples/bench_load.rs``, which calls the same
``barter_ffi::market_data::load_file_with`` without Python), plus the peak RSS of each
load against its final RSS and, optionally, the cost of turning the loaded records into
Python objects (``events()``).

Usage::

    python bench/bench_load.py [--events 1000000,10000000] [--rounds 3] [--quick]

The JSON Lines data sets (3 instruments, trades, a reconnect marker every 250,000 events)
are generated under ``bench/data/`` by ``bench/gen_market_data.py`` if they are not there
yet; the ``.zst`` copy needs the ``zstd`` command line tool (``zstd -3``; the row is left
out without it). Each round runs every contender once, in the same order, so all see the
same machine state; the ratios are medians over rounds of the ratio within a round
(adjacent runs share the machine's state, the least noisy comparison on a shared
machine). Progress goes to stderr, the Markdown tables to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import _common as c

import barter_cy
import barter_cy.data

GOALS = {
    "mb_s_2": 500.0,  # MB/s of JSON with both cores
    "vs_cpython": 15.0,  # x CPython json.loads per line
    "second_core": 1.8,  # 1 thread / 2 threads
    "zst": 1.3,  # .zst time / plain time, at most
    "load": 20.0,  # JSON (2 threads) / load(), at least
    "rust": 1.05,  # Python / Rust, at most
    "rss": 1.5,  # peak RSS / final RSS, at most
}


def ensure_data(events: int, reconnect_every: int, seed: int) -> Path:
    """The JSON Lines data set, generated first if absent."""
    import gen_market_data

    c.DATA.mkdir(parents=True, exist_ok=True)
    path = c.DATA / f"load_{events}_r{reconnect_every}_s{seed}.jsonl"
    if not path.exists():
        c.log(f"generating {path} ({events:,} events)...")
        tmp = path.with_suffix(".tmp")
        counts = gen_market_data.generate(tmp, events, n_instruments=3, seed=seed, reconnect_every=reconnect_every)
        tmp.replace(path)
        c.log(f"generated {json.dumps(counts)}")
    return path


def ensure_zst(path: Path) -> Path | None:
    """``path`` compressed with ``zstd -3`` next to it, or None without the tool."""
    zst = path.with_name(path.name + ".zst")
    if zst.exists() and zst.stat().st_mtime >= path.stat().st_mtime:
        return zst
    if shutil.which("zstd") is None:
        c.log("no zstd command line tool: the .zst row is left out")
        return None
    c.log(f"compressing {path.name} with zstd -3 ...")
    subprocess.run(["zstd", "-q", "-f", "-3", "-T0", str(path), "-o", str(zst)], check=True)
    return zst


def ensure_cache(path: Path) -> Path:
    """The binary cache written by ``md.save`` (rewritten each run: the format is this
    build's)."""
    cache = path.with_suffix(".bmd")
    md = barter_cy.MarketDataInMemory.from_json_file(path)
    md.save(cache)
    del md
    c.settle()
    return cache


def cpython_per_line(path: Path) -> int:
    """What a Python user does without barter_cy: ``json.loads`` on every line."""
    loads = json.loads
    count = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                loads(line)
                count += 1
    return count


PEAK_SCRIPT = textwrap.dedent("""
    import json, sys
    from barter_cy import MarketDataInMemory

    def kb(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1])

    how, path = sys.argv[1], sys.argv[2]
    open("/proc/self/clear_refs", "w").write("5")  # reset VmHWM to the current RSS
    before = kb("VmRSS:")
    md = MarketDataInMemory.load(path) if how == "load" else MarketDataInMemory.from_json_file(path)
    print(json.dumps({"before_kb": before, "peak_kb": kb("VmHWM:"), "final_kb": kb("VmRSS:"), "records": len(md)}))
""")


def peak_rss(how: str, path: Path) -> dict | None:
    """Peak and final RSS of one load in a fresh process (None where ``/proc`` lacks
    ``clear_refs``)."""
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, how, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        c.log(f"peak RSS probe failed: {done.stderr.strip()[-300:]}")
        return None
    return json.loads(done.stdout)


def bench_size(events: int, args, executable: Path) -> dict:
    path = ensure_data(events, args.reconnect_every, args.seed)
    zst = ensure_zst(path)
    cache = ensure_cache(path)
    size = path.stat().st_size
    samples: dict[str, list[float]] = {k: [] for k in ("rust2", "json2", "json1", "zst2", "load", "cpython")}
    cpu: dict[str, list[float]] = {k: [] for k in samples}
    paired: dict[str, list[float]] = {k: [] for k in ("rust", "second_core", "zst", "load", "cpython")}
    MD = barter_cy.MarketDataInMemory
    c.log(f"{events:,} events: one untimed warm-up load")
    MD.from_json_file(path)
    c.settle()
    cpython_rounds = args.cpython_rounds if args.cpython_rounds is not None else (args.rounds if events <= 2_000_000 else 1)
    counts = None
    for round_index in range(args.rounds):
        c.log(f"{events:,} events, round {round_index + 1}/{args.rounds}")
        report = c.run_example(executable, [path, "--repeat", 1, "--threads", 2])
        rust2 = report["load_s"][0]
        timed = {}
        for key, call in (
            ("json2", lambda: MD.from_json_file(path, threads=2)),
            ("json1", lambda: MD.from_json_file(path, threads=1)),
            ("zst2", (lambda: MD.from_json_file(zst, threads=2)) if zst else None),
            ("load", lambda: MD.load(cache, threads=2)),
        ):
            if call is None:
                continue
            seconds, cpu_s, md = c.time_call(call, c.settle)
            timed[key] = seconds
            samples[key].append(seconds)
            cpu[key].append(cpu_s)
            info = (len(md), md.item_count, md.reconnect_count)
            if counts is None:
                counts = info
            if info != counts or info != (report["records"], report["items"], report["reconnects"]):
                raise SystemExit(f"{key}: counts {info} differ from {counts} / the Rust baseline's {report}")
            del md
        samples["rust2"].append(rust2)
        cpu["rust2"].append(report["load_cpu_s"][0])
        paired["rust"].append(timed["json2"] / rust2)
        paired["second_core"].append(timed["json1"] / timed["json2"])
        paired["load"].append(timed["json2"] / timed["load"])
        if "zst2" in timed:
            paired["zst"].append(timed["zst2"] / timed["json2"])
        if round_index < cpython_rounds:
            seconds, cpu_s, lines = c.time_call(lambda: cpython_per_line(path), c.settle)
            samples["cpython"].append(seconds)
            cpu["cpython"].append(cpu_s)
            paired["cpython"].append(seconds / timed["json2"])
            if lines != counts[0]:
                raise SystemExit(f"CPython read {lines} lines, barter_cy {counts[0]} records")
    c.settle()
    rss = {}
    for how, source in (("json", path), ("zst", zst), ("load", cache)):
        if source is not None:
            c.log(f"{events:,} events: peak RSS of {how}")
            rss[how] = peak_rss("load" if how == "load" else "json", source)
    return {"events": events, "records": counts[0], "path": str(path), "size": size,
            "zst_size": zst.stat().st_size if zst else None, "cache_size": cache.stat().st_size,
            "samples": samples, "cpu": cpu, "paired": paired, "rss": rss}


def report_size(result: dict) -> list[tuple[str, bool | None, str]]:
    """Prints the tables of one size; returns (goal, met, measured) rows."""
    s, p, size = result["samples"], result["paired"], result["size"]
    n = result["records"]
    med = {k: (c.median(v) if v else None) for k, v in s.items()}
    pmed = {k: (c.median(v) if v else None) for k, v in p.items()}
    mb = size / 1e6
    print(f"### {result['events']:,} trades ({n:,} records, {mb:,.0f} MB of JSON Lines, "
          f"{(result['zst_size'] or 0) / 1e6:,.0f} MB as .zst, {result['cache_size'] / 1e6:,.0f} MB as binary cache = "
          f"{result['cache_size'] / n:.1f} bytes per record)\n")

    def row(label, key, note=""):
        v = s[key]
        if not v:
            return None
        cores = c.median([cp / w for cp, w in zip(result["cpu"][key], v)])
        return [label, c.fmt_s(min(v)), c.fmt_s(med[key]), f"{mb / med[key]:,.0f} MB/s", f"{med[key] / n * 1e9:.0f} ns",
                f"{cores:.2f}", f"{len(v)}", note]

    rows = [
        row("`from_json_file(path, threads=2)`", "json2"),
        row("`from_json_file(path, threads=1)`", "json1"),
        row("`from_json_file(path.zst, threads=2)`", "zst2", note="MB/s of the decompressed JSON"),
        row("`MarketDataInMemory.load(cache)`", "load", note="MB/s of the JSON it replaces"),
        row("Rust `load_file_with(path, threads 2)`, no Python", "rust2"),
        row("CPython `json.loads` per line (dicts only)", "cpython"),
    ]
    print(c.markdown_table(["load", "best", "median", "throughput (median)", "per record", "cores used¹", "runs", ""],
                           [r for r in rows if r]))
    print("\n¹ CPU time of the whole process ÷ wall time (median): how much of the 2 cores a load got on this "
          "shared machine; a second thread can only help as far as a second core is free.")
    print()
    goals = [
        ("≥ 500 MB/s with both cores", mb / med["json2"] >= GOALS["mb_s_2"], f"{mb / med['json2']:,.0f} MB/s"),
        ("≥ 15× CPython json.loads per line", (pmed["cpython"] or 0) >= GOALS["vs_cpython"],
         f"{pmed['cpython']:.1f}×" if pmed["cpython"] else "–"),
        ("≥ 1.8× from the second core", pmed["second_core"] >= GOALS["second_core"], f"{pmed['second_core']:.2f}×"),
        (".zst ≤ 1.3× the plain file's time", (pmed["zst"] <= GOALS["zst"]) if pmed["zst"] else None,
         f"{pmed['zst']:.2f}×" if pmed["zst"] else "no zstd tool"),
        ("load() ≥ 20× faster than JSON (2 threads)", pmed["load"] >= GOALS["load"], f"{pmed['load']:.1f}×"),
        ("Python ÷ Rust ≤ 1.05", pmed["rust"] <= GOALS["rust"], f"{pmed['rust']:.3f}×"),
    ]
    for how, probe in result["rss"].items():
        if probe:
            ratio = probe["peak_kb"] / probe["final_kb"]
            goals.append((f"peak RSS ≤ 1.5× final ({how})", ratio <= GOALS["rss"],
                          f"{ratio:.2f}× ({probe['peak_kb'] / 1024:,.0f} / {probe['final_kb'] / 1024:,.0f} MiB, "
                          f"{probe['before_kb'] / 1024:,.0f} MiB before)"))
    print("Paired ratios (median over rounds of the ratio within a round):\n")
    print(c.markdown_table(["goal", "measured", "met"],
                           [[g, m, "–" if ok is None else ("yes" if ok else "**no**")] for g, ok, m in goals]))
    print()
    return goals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", default="1000000,10000000",
                    help="comma-separated trade counts (default 1000000,10000000)")
    ap.add_argument("--reconnect-every", type=int, default=250_000, help="a Reconnecting marker every R events")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (default 3)")
    ap.add_argument("--cpython-rounds", type=int, default=None,
                    help="rounds that also time CPython json.loads (default: all up to 2M events, else 1)")
    ap.add_argument("--with-events", action="store_true", help="also time md.events() on the first size")
    ap.add_argument("--quick", action="store_true", help="smoke run: 100,000 events, 2 rounds")
    ap.add_argument("--no-build", action="store_true", help="use the already built release example")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.events.split(",") if x.strip()]
    if args.quick:
        sizes, args.rounds = [100_000], 2
    if not sizes or min(sizes) < 1 or args.rounds < 1:
        ap.error("--events and --rounds must be >= 1")
    executable = c.example_path("bench_load") if args.no_build else c.build_example("bench_load")

    results = [bench_size(events, args, executable) for events in sizes]
    print("## Market data loading\n")
    print(c.environment_note() + "\n")
    all_goals = []
    for result in results:
        all_goals.append((result["events"], report_size(result)))
    if args.with_events:
        path = Path(results[0]["path"])
        md = barter_cy.MarketDataInMemory.from_json_file(path)
        seconds, _, events = c.time_call(md.events, c.settle)
        print(f"`md.events()` on {len(events):,} events: {c.fmt_s(seconds)} "
              f"({seconds / len(events) * 1e9:.0f} ns per event, trades built in Cython from the Rust records)\n")
        del events, md
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    for events, goals in all_goals:
        missed = [g for g, ok, _ in goals if ok is False]
        print(f"{events:,} trades: {len(goals) - len(missed)} of {len(goals)} goals met"
              + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
