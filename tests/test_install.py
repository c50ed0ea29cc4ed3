"""Installed, not only checked out: a plain install serves the rules it ships.

The wheel is built as `pip install .` builds it (pure Python here, so the test takes seconds
rather than a mypyc compile; .ci/run installs the compiled image build the same way and serves
from it). It is installed into a folder of its own and run from outside the checkout, with no
DERMTRIAGE_RULES_DIR, so nothing but the installed package can supply the rules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from service.adapters.rules_files import load_ruleset
from service.config import DEFAULT_RULES_DIR
from tests.support.paths import ROOT


def tracked_python() -> set[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {n for n in tracked.split() if n.endswith(".py")}


def _source_tree(into: Path) -> Path:
    """The checkout's tracked files, copied: pip builds in the source folder, and a build/ left
    there from an earlier build could ship modules the source no longer has."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.split():
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


def test_a_plain_install_ships_and_serves_its_rules(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERMTRIAGE_")}
    env["DERMTRIAGE_PURE_PYTHON"] = "1"
    wheels = tmp_path / "wheels"
    source = _source_tree(tmp_path / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels, source],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("dermtriage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {n for n in names if n.endswith(".py")}
    expected = {n for n in tracked_python() if n.startswith("service/")}
    assert modules == expected, "the wheel ships exactly the package's tracked modules"
    shipped = {n.removeprefix("service/rules/") for n in names if n.startswith("service/rules/")}
    in_checkout = {str(p.relative_to(DEFAULT_RULES_DIR)) for p in DEFAULT_RULES_DIR.rglob("*.yaml")}
    assert shipped == in_checkout, "the wheel ships exactly the checkout's rules"
    assert not any(n.startswith(("tests/", "bench/", "tools/")) for n in names)

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, wheel],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    # The installed package first on the path; its dependencies from this environment.
    env["PYTHONPATH"] = str(target)
    check = subprocess.run(
        [sys.executable, "-m", "service", "rules", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    version = load_ruleset(DEFAULT_RULES_DIR).version
    assert check.stdout.startswith(f"rules OK: version {version},"), "the same rules, so the same version"
    where = subprocess.run(
        [sys.executable, "-c", "import service.config as c; print(c.DEFAULT_RULES_DIR)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert Path(where.stdout.strip()) == target / "service" / "rules"
