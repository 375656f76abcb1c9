"""The long fuzz run: ``python bench/fuzz.py --inputs 1000000``.

Feeds hypothesis-generated structured inputs (the targets of ``tests/fuzz_targets.py``:
market data JSON, config dicts and texts, backtest arguments, columnar imports, binary
caches, event lists — many reaching a backtest) to barter_cy in batches, each batch in a
fresh subprocess with its own seed. The byte targets (market data JSON, config text,
binary cache) also get ``--variants`` random byte edits of every drawn input (mutational
fuzzing around the structured inputs; hypothesis' generation costs ~1-10 ms an input,
a variant ~0.1-1 ms). Counts per target:

- crashes: a batch process that died (signal or exit without its report);
- hangs: a batch that did not finish within ``--timeout`` seconds;
- panics: ``BarterPanic`` raised (a Rust panic reached the boundary);
- undocumented: any exception type outside ``barter_cy.errors.DOCUMENTED_EXCEPTIONS``;
- RSS growth: hypothesis' own bookkeeping grows with every input it draws, so leaks are
  measured apart from it: after the batch, its first 300 inputs are replayed 5 times;
  the growth of resident memory from the end of the first replay to the end of the
  last (1,200 calls; a leak grows with them, the allocator's warm-up does not).

Prints a Markdown table (and ``--json`` the raw counts). Exit status 1 if anything but
"ok" and documented exceptions was seen."""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_PATH = ROOT / "tests" / "fuzz_targets.py"


def _load_targets():
    spec = importlib.util.spec_from_file_location("fuzz_targets", TARGETS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker(target: str, count: int, seed: int, variants: int) -> None:
    """Runs ``count`` inputs of one target (drawn, plus ``variants`` byte edits of each
    drawn input for the byte targets); prints one JSON report line."""
    import random

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    targets = _load_targets()
    _, strategy = targets.TARGETS[target]
    counts = collections.Counter()
    types = collections.Counter()
    examples: dict[str, str] = {}
    kept: list = []
    rng = random.Random(seed)
    vary = targets.VARIANTS.get(target)
    per_draw = 1 + (variants if vary else 0)

    def record(drawn):
        category, error = targets.run(target, drawn)
        counts[category] += 1
        if error is not None:
            types[type(error).__name__] += 1
            if category in ("panic", "undocumented") and len(examples) < 5:
                examples.setdefault(f"{type(error).__name__}: {str(error)[:200]}", repr(drawn)[:400])
        if len(kept) < 300:
            kept.append(drawn)

    @hypothesis_seed(seed)
    @settings(
        max_examples=max(1, -(-count // per_draw)),  # at least ``count`` inputs
        derandomize=False,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(drawn):
        record(drawn)
        for _ in range(per_draw - 1):
            edits = [(rng.randrange(2**20), rng.randrange(4), rng.randrange(256)) for _ in range(rng.randint(1, 4))]
            record(vary(drawn, edits))

    run()
    import gc

    replay = {}
    for round_ in range(5):
        for drawn in kept:
            targets.run(target, drawn)
        gc.collect()
        replay[round_] = _rss_kib()
    report = {
        "target": target,
        "inputs": sum(counts.values()),
        "counts": dict(counts),
        "types": dict(types),
        "examples": examples,
        "rss_growth_kib": replay[4] - replay[0],
        "replayed": 4 * len(kept),
    }
    print(json.dumps(report), flush=True)


def _batch(target: str, count: int, seed: int, timeout: float, variants: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", target, "--count", str(count),
               "--seed", str(seed), "--variants", str(variants)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"target": target, "inputs": 0, "planned": count, "hang": 1, "seed": seed}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"target": target, "inputs": 0, "planned": count, "crash": 1, "seed": seed,
                "returncode": done.returncode, "stderr": done.stderr[-2000:]}
    report = json.loads(lines[-1])
    report["planned"] = count
    report["seed"] = seed
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="total inputs over all targets")
    parser.add_argument("--batch", type=int, default=10_000, help="inputs per subprocess")
    parser.add_argument("--jobs", type=int, default=2, help="subprocesses at once")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a batch counts as a hang")
    parser.add_argument("--seed", type=int, default=0, help="first batch seed")
    parser.add_argument("--targets", default=None, help="comma-separated subset of the targets")
    parser.add_argument("--variants", type=int, default=20, help="byte-edited variants per drawn input (byte targets)")
    parser.add_argument("--structured-share", type=float, default=0.2,
                        help="share of the inputs for the targets without variants (drawn inputs only)")
    parser.add_argument("--json", action="store_true", help="also print the raw per-target counts as JSON")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.count, args.seed, args.variants)
        return 0

    targets = _load_targets()
    names = args.targets.split(",") if args.targets else sorted(targets.TARGETS)
    structured = [name for name in names if name not in targets.VARIANTS or not args.variants]
    mutational = [name for name in names if name not in structured]
    share = args.structured_share if structured and mutational else (1.0 if structured else 0.0)
    plan = []
    seed = args.seed
    for name in names:
        group = structured if name in structured else mutational
        left = -(-int(args.inputs * (share if name in structured else 1 - share)) // len(group))  # rounded up
        while left > 0:
            plan.append((name, min(args.batch, left), seed))
            left -= args.batch
            seed += 1
    # Interleave the targets so a partial run still covers all of them.
    plan.sort(key=lambda item: (item[2] - args.seed) % max(1, len(plan) // len(names)))
    started = time.perf_counter()
    totals = {name: collections.Counter() for name in names}
    examples: dict[str, dict] = {}
    rss_growth = collections.defaultdict(int)
    done_batches = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for report in pool.map(lambda item: _batch(*item, args.timeout, args.variants), plan):
            done_batches += 1
            total = totals[report["target"]]
            total["batches"] += 1
            total["inputs"] += report.get("inputs", 0)
            total["hangs"] += report.get("hang", 0)
            total["crashes"] += report.get("crash", 0)
            for category, n in report.get("counts", {}).items():
                total[category] += n
            for kind, n in report.get("types", {}).items():
                total[f"type:{kind}"] += n
            for key, value in report.get("examples", {}).items():
                examples.setdefault(key, {"target": report["target"], "input": value})
            if report.get("crash") or report.get("hang"):
                examples.setdefault(f"{'crash' if report.get('crash') else 'hang'} seed {report['seed']}",
                                    {"target": report["target"], "stderr": report.get("stderr", "")[-500:]})
            rss_growth[report["target"]] = max(rss_growth[report["target"]], report.get("rss_growth_kib", 0))
            print(f"[{time.perf_counter() - started:7.0f} s] batch {done_batches}/{len(plan)} "
                  f"{report['target']}: {report.get('inputs', 0)} inputs", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started

    print(f"\n{sum(t['inputs'] for t in totals.values()):,} inputs in {elapsed:.0f} s "
          f"({len(plan)} batches of up to {args.batch:,}, {args.jobs} at a time; byte targets: "
          f"{args.variants} byte-edited variants per drawn input)\n")
    print("| target | inputs | ok | documented exceptions | panics | undocumented | crashes | hangs "
          "| max RSS growth over 1,200 replayed calls |")
    print("|:--|--:|--:|--:|--:|--:|--:|--:|--:|")
    grand = collections.Counter()
    for name in names:
        t = totals[name]
        grand.update(t)
        print(f"| {name} | {t['inputs']:,} | {t['ok']:,} | {t['documented']:,} | {t['panic']} | "
              f"{t['undocumented']} | {t['crashes']} | {t['hangs']} | {rss_growth[name] / 1024:.1f} MiB |")
    print(f"| **all** | {grand['inputs']:,} | {grand['ok']:,} | {grand['documented']:,} | {grand['panic']} | "
          f"{grand['undocumented']} | {grand['crashes']} | {grand['hangs']} | "
          f"{max(rss_growth.values(), default=0) / 1024:.1f} MiB |")
    kinds = collections.Counter()
    for t in totals.values():
        kinds.update({k[5:]: v for k, v in t.items() if k.startswith("type:")})
    print("\nexception types raised: " + ", ".join(f"{k} {v:,}" for k, v in kinds.most_common()))
    for key, value in examples.items():
        print(f"\nFINDING {key}\n  {value}")
    if args.json:
        print(json.dumps({name: dict(t) for name, t in totals.items()}))
    bad = grand["panic"] + grand["undocumented"] + grand["crashes"] + grand["hangs"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
