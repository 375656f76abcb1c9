"""Builds the downstream extension against an installed barter_cy (a user's setup.py)."""

from pathlib import Path

import barter_cy
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    name="barter_cy_downstream",
    ext_modules=cythonize(
        [Extension("downstream", ["downstream.pyx"], include_dirs=[barter_cy.get_include()])],
        # Cython finds barter_cy/*.pxd on sys.path when barter_cy is installed normally;
        # an editable install hides the package from sys.path, so name its root.
        include_path=[str(Path(barter_cy.__file__).resolve().parent.parent)],
        language_level=3,
    ),
)
