"""Helpers shared by the benchmarks in ``bench/``: building and running the Rust
baselines (``rust_ffi/examples/*.rs``), timing statistics, memory probes and Markdown
tables. Standard library only; imported by the scripts next to it (``bench/`` is not a
package, and scripts run as ``python bench/<name>.py`` have it on ``sys.path``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
MANIFEST = ROOT / "rust_ffi" / "Cargo.toml"


def log(message: str) -> None:
    """Progress messages go to stderr, so stdout holds only the results."""
    print(message, file=sys.stderr, flush=True)


# -- Rust baselines ------------------------------------------------------------------


def build_example(name: str) -> Path:
    """``cargo build --release --example NAME`` and the path of the built executable
    (taken from cargo's own JSON messages, so ``CARGO_TARGET_DIR`` is honoured)."""
    command = [
        "cargo", "build", "--release", "--example", name,
        "--manifest-path", str(MANIFEST), "--message-format=json-render-diagnostics",
    ]
    log("$ " + " ".join(command[:-1]))
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    for line in done.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") == "compiler-artifact" and message.get("target", {}).get("name") == name:
            if message.get("executable"):
                return Path(message["executable"])
    raise RuntimeError(f"cargo did not report an executable for example {name!r}")


def example_path(name: str) -> Path:
    """Where an already built release example lives (for ``--no-build``)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "rust_ffi" / "target"))
    path = target / "release" / "examples" / name
    if not path.exists():
        raise SystemExit(f"{path} does not exist; run without --no-build")
    return path


def run_example(executable: Path, args: Sequence[str], env: dict | None = None) -> dict:
    """Runs a baseline and parses the JSON object it prints on stdout."""
    command = [str(executable), *map(str, args)]
    done = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True,
        env=None if env is None else {**os.environ, **env},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- timing ----------------------------------------------------------------------------


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def time_call(
    fn: Callable[[], object],
    before: Callable[[], None] | None = None,
    cpu_clock: Callable[[], float] = time.process_time,
) -> tuple[float, float, object]:
    """Wall and CPU time of one ``fn()`` call (``before`` runs untimed first). The CPU
    clock is ``time.process_time`` (all threads, as for work on tokio's workers) or
    ``time.thread_time`` (work done in the calling thread). The result is returned so
    that dropping it stays outside the timed region, as in the Rust baselines."""
    if before is not None:
        before()
    cpu = cpu_clock()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    return wall, cpu_clock() - cpu, result


def settle() -> None:
    """Untimed clean-up between repeats, mirrored by the Rust baselines: a full
    collection and giving freed heap back to the OS (glibc keeps the memory freed by
    Rust's worker threads otherwise)."""
    gc.collect()
    malloc_trim()


_LIBC = None


def malloc_trim() -> None:
    global _LIBC
    if _LIBC is None:
        name = ctypes.util.find_library("c")
        try:
            _LIBC = ctypes.CDLL(name) if name else False
        except OSError:
            _LIBC = False
    if _LIBC and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


# -- memory ----------------------------------------------------------------------------


def _status_kb(field: str, path: str = "/proc/self/status") -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (``VmHWM``), 0 if unknown."""
    return _status_kb("VmHWM") * 1024


def rss_bytes() -> int:
    """Current resident set size of this process (``VmRSS``), 0 if unknown."""
    return _status_kb("VmRSS") * 1024


def reset_peak_rss() -> bool:
    """Resets ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def mem_available_bytes() -> int:
    """``MemAvailable`` from ``/proc/meminfo``, 0 if unknown."""
    return _status_kb("MemAvailable", "/proc/meminfo") * 1024


# -- formatting ------------------------------------------------------------------------


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.3f} s"


def fmt_ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    return f"{a / b:.3f}x"


def fmt_bytes(n: int | None) -> str:
    if not n:
        return "–"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; the first column left-aligned, the rest right."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    def line(row):
        return "| " + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
        ) + " |"
    rule = "|" + "|".join(
        (":" + "-" * (w + 1)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def environment_note() -> str:
    """One line naming the machine and interpreter, printed above the tables."""
    import platform

    try:
        import barter_cy

        native = barter_cy.native_version()
    except Exception as exc:  # noqa: BLE001 - informational only
        native = f"unavailable ({exc})"
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"barter_cy native {native}, MemAvailable {fmt_bytes(mem_available_bytes())}, "
        f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) at the end"
    )


# -- a benchmark side in a worker process of another interpreter ---------------------------


class RemoteSide:
    """Calls the methods of a benchmark side living in a worker process of another
    interpreter (``command``, e.g. a venv's python running the same script with a
    ``--...-worker`` flag): one JSON line per call each way; the worker's stderr is ours."""

    def __init__(self, command: list[str], label: str) -> None:
        log("$ " + " ".join(command))
        self.label = label
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=BENCH)

    def _call(self, method: str, **kwargs):
        self.proc.stdin.write(json.dumps({"method": method, "kwargs": kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.label} worker exited (status {self.proc.wait()}) during {method}()")
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"{self.label} worker, {method}(): {reply['error']}")
        return reply["result"]

    def __getattr__(self, method: str):
        return lambda **kwargs: self._call(method, **kwargs)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()


def serve_side(make_side: Callable[[], object]) -> int:
    """The worker end of :class:`RemoteSide`: requests on stdin, replies on the original
    stdout (fd 1 is pointed at stderr so nothing else can corrupt the protocol)."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        side = make_side()
    except SystemExit as exc:
        out.write(json.dumps({"error": str(exc)}) + "\n")
        out.flush()
        return 1
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"result": getattr(side, request["method"])(**request["kwargs"])}
        except BaseException as exc:  # noqa: BLE001 - sent back to the parent
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0
