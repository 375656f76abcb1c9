"""Build: cargo builds rust_ffi as a static library (release profile), then Cython
compiles barter_cy/_native.pyx and the extension links that library.

setuptools-rust is not used to link: it builds Python extension modules (cdylib), while
this project links a Rust *staticlib* into a Cython extension, so the cargo step is the
custom `build_ext` below. The environment variable CARGO_TARGET_DIR is honoured.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
CRATE = ROOT / "rust_ffi"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", CRATE / "target"))


def static_library() -> Path:
    return target_dir() / "release" / "libbarter_ffi.a"


class BuildWithCargo(build_ext):
    def run(self):
        cargo = shutil.which("cargo")
        if cargo is None:
            sys.exit("barter_cy needs cargo (Rust) to build rust_ffi: https://rustup.rs")
        subprocess.check_call(
            [cargo, "build", "--release", "--locked", "--manifest-path", str(CRATE / "Cargo.toml")],
            cwd=ROOT,
        )
        lib = static_library()
        for ext in self.extensions:
            ext.extra_objects = [str(lib)]
            ext.depends = [str(lib)]
        super().run()


extension = Extension(
    "barter_cy._native",
    ["barter_cy/_native.pyx"],
    include_dirs=[str(ROOT / "barter_cy" / "include")],
    libraries=["pthread", "dl", "m"],
    # Keep the Rust symbols private to the extension: only PyInit__native is exported.
    extra_link_args=["-Wl,--gc-sections", "-Wl,--exclude-libs,ALL"],
)

setup(
    ext_modules=cythonize(
        [extension],
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
    ),
    cmdclass={"build_ext": BuildWithCargo},
)
