#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the Python package (which builds rust_ffi
# with cargo), then the Rust tests (including the header/.pxd drift check), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# valgrind's memcheck runs the C embedding test (tests/test_embedding.py); Debian's package.
if ! command -v valgrind >/dev/null; then
    (apt-get update -q && apt-get install -y -q valgrind) >/dev/null
fi

python -m pip install --upgrade pip >/dev/null
python -m pip install -e ".[test]"

# Rust: formatting and lints first (rustfmt.toml; warnings are errors).
cargo fmt --manifest-path rust_ffi/Cargo.toml --check
cargo clippy --all-targets --locked --manifest-path rust_ffi/Cargo.toml -- -D warnings

# Rust: extern functions called as C would, native comparison, summary decimals, and
# the drift check of include/barter_ffi.h and barter_cy/_ffi.pxd against the source.
cargo test --locked --manifest-path rust_ffi/Cargo.toml

python -m pytest -q tests
