"""Compiles the text reader (service/domain/text/ and the mentions it makes) with mypyc.

The pure-Python modules stay the source and the fallback: the service runs the same code either
way. Set DERMTRIAGE_PURE_PYTHON=1 to skip compiling.
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithRules(build_py):
    """Ships the top-level rules/ inside the package (service/rules), so a plain install
    serves its own rules; a checkout or an editable install reads rules/ itself."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "service" / "rules"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree("rules", target)


ext_modules = []
if not os.environ.get("DERMTRIAGE_PURE_PYTHON"):
    from mypyc.build import mypycify

    ext_modules = mypycify(
        [
            "service/domain/mentions.py",
            "service/domain/text/tokens.py",
            "service/domain/text/rules.py",
            "service/domain/text/reader.py",
            "service/domain/text/merge.py",
        ],
        opt_level="3",
    )

setup(ext_modules=ext_modules, cmdclass={"build_py": BuildWithRules})
