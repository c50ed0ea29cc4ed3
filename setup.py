"""Compiles the text reader (service/core/text.py) to a C extension with mypyc.

The pure-Python module stays the source and the fallback: the service runs the same code either
way. Set DERMTRIAGE_PURE_PYTHON=1 to skip compiling.
"""

import os

from setuptools import setup

ext_modules = []
if not os.environ.get("DERMTRIAGE_PURE_PYTHON"):
    from mypyc.build import mypycify

    ext_modules = mypycify(["service/core/text.py"], opt_level="3")

setup(ext_modules=ext_modules)
