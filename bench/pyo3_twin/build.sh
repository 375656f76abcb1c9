#!/usr/bin/env bash
# Builds the PyO3 twin of barter_cy (bench/pyo3_twin) into the bench's own venv, next to
# an editable barter_cy, so that bench/bench_vs_pyo3.py can import both in one process.
#
#   bench/pyo3_twin/build.sh                 # venv bench/pyo3_twin/.venv (made if absent)
#   VENV=/tmp/venv-twin bench/pyo3_twin/build.sh
#   SKIP_BARTER_CY=1 bench/pyo3_twin/build.sh   # only (re)build the twin
#
# Then: bench/pyo3_twin/.venv/bin/python bench/bench_vs_pyo3.py [--quick]
#
# The twin's cargo target dir is bench/pyo3_twin/target (rust_ffi is compiled there again,
# with the same release profile as rust_ffi's own); barter_cy is built by its own setup.py
# (`pip install -e`), as anyone installs it. Nothing here touches rust_ffi or barter_cy's
# packaging. Rebuild both together (the default) so that both sides are compiled from the
# same rust_ffi sources. Cargo.lock started as a copy of rust_ffi's (same dependency
# versions) plus pyo3; it is not --locked, so cargo follows rust_ffi's dependency changes.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$HERE/.venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "+ $PYTHON -m venv $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install --quiet --upgrade pip
"$VPY" -m pip install --quiet "maturin>=1.5,<2"

if [ -z "${SKIP_BARTER_CY:-}" ]; then
    echo "+ pip install -e $ROOT (barter_cy)" >&2
    "$VPY" -m pip install -e "$ROOT"
fi

echo "+ maturin build --release (target dir $HERE/target)" >&2
rm -rf "$HERE/target/wheels"
(
    cd "$HERE"
    CARGO_TARGET_DIR="$HERE/target" "$VENV/bin/maturin" build --release \
        --interpreter "$VPY" --out "$HERE/target/wheels" --manifest-path "$HERE/Cargo.toml"
)
"$VPY" -m pip install --quiet --force-reinstall --no-deps "$HERE"/target/wheels/barter_pyo3_twin-*.whl
"$VPY" -c "import barter_cy, barter_pyo3_twin; print('barter_cy', barter_cy.__file__); print('barter_pyo3_twin', barter_pyo3_twin.__file__)"
