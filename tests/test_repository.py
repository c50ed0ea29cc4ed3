"""The repository stands alone: every clinical citation resolves inside it, and nothing points
at a folder beside the checkout."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from service.adapters.rules_files import load_ruleset
from service.config import DEFAULT_RULES_DIR
from tests.support.casebook import load_cases
from tests.support.paths import ROOT

BASIS = ROOT / "docs" / "clinical-basis.md"
# "§1.1", "§9.3-9.4", "§3.1-3.2": a section, or a range of sections within one parent.
CITATION = re.compile(r"§\s?(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?")


def _sections() -> set[str]:
    """The section numbers of docs/clinical-basis.md: "1", "1.1", ... from its headings."""
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", BASIS.read_text(), flags=re.M))


def _cited(text: str) -> set[str]:
    out = set()
    for first, last in CITATION.findall(text):
        out.add(first)
        if last:
            out.add(last)
    return out


def _basis_citations(source: str) -> set[str]:
    """The sections a rule's source cites of the clinical basis: "clinical basis §9.3", not the
    sections of other documents it names ("NICE NG12 §1.7")."""
    return {n for part in source.split(";") if "clinical basis" in part.lower() for n in _cited(part)}


def test_the_clinical_basis_has_the_sections_a_reader_expects() -> None:
    sections = _sections()
    assert {"1.1", "1.2", "2.1", "3.3", "4", "9", "9.1", "9.7"} <= sections


def test_every_rule_source_cites_sections_the_clinical_basis_has() -> None:
    sections = _sections()
    rules = load_ruleset(DEFAULT_RULES_DIR).rulebook.rules.values()
    cited = {rule.id: _basis_citations(rule.source) for rule in rules}
    assert any(cited.values()), "no rule cites the clinical basis: the pattern is wrong"
    missing = {rule_id: sorted(c - sections) for rule_id, c in cited.items() if c - sections}
    assert not missing, f"rules cite sections docs/clinical-basis.md does not have: {missing}"


def test_every_rule_source_cites_the_clinical_basis() -> None:
    """Every rule's source names the section(s) of docs/clinical-basis.md its fact is in, so
    every source resolves inside the repository (the test above checks the sections exist)."""
    rules = load_ruleset(DEFAULT_RULES_DIR).rulebook.rules.values()
    uncited = sorted(rule.id for rule in rules if not _basis_citations(rule.source))
    assert not uncited, f"these rules' sources cite no section of docs/clinical-basis.md: {uncited}"


def test_every_case_reference_resolves_in_the_clinical_basis() -> None:
    sections = _sections()
    cases = load_cases()
    missing = {c.id: sorted(_cited(c.reference) - sections) for c in cases if _cited(c.reference) - sections}
    assert all(_cited(c.reference) for c in cases), "a case reference names no section"
    assert not missing, f"cases cite sections docs/clinical-basis.md does not have: {missing}"


def test_nothing_refers_to_a_folder_beside_the_checkout() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"\.\./shared|/work/|/tmp/|shared/(clinical-reference|vocabulary|api-contract)")
    offenders = [
        path
        for path in tracked
        if path.endswith((".py", ".md", ".yaml", ".proto", ".toml", "Makefile", "Dockerfile", ".sh", "run"))
        and path != "tests/test_repository.py"
        and outside.search((ROOT / path).read_text(encoding="utf-8"))
    ]
    assert not offenders, f"these files point outside the repository: {offenders}"


def _imports(path) -> set[str]:  # type: ignore[no-untyped-def]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_no_test_imports_another_test_module_or_bench() -> None:
    """Shared helpers live in tests/support; benchmarks are never a test's dependency (the
    import-linter contracts say the same of the service)."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imports(path) if m.split(".")[0] == "bench" or m.split(".")[-1].startswith("test_")
        )
        for path in (ROOT / "tests").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_readme_layout_matches_the_tree() -> None:
    """Every path the README's Layout table names exists, and every top-level folder and
    every package of service/ is in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\nLayout", 1)[1]
    rows = re.findall(r"^\| (`[^|]+`) \|", layout, flags=re.M)
    named = {p.strip("`").rstrip("/") for row in rows for p in re.findall(r"`([^`]+)`", row)}
    expanded = {f"service/{n}" if "/" not in n and n.endswith(".py") and n != "setup.py" else n for n in named}
    missing = sorted(n for n in expanded if not (ROOT / n).exists())
    assert not missing, f"the README's Layout names paths that do not exist: {missing}"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    folders = {path.split("/")[0] for path in tracked if "/" in path and not path.startswith(".")}
    packages = {
        "/".join(path.split("/")[:2]) for path in tracked if path.startswith("service/") and path.count("/") >= 2
    }
    unlisted = sorted((folders | packages) - expanded - {"service"})
    assert not unlisted, f"the README's Layout does not name: {unlisted}"


def test_the_service_has_no_import_cycle() -> None:
    import grimp  # import-linter's import graph

    graph = grimp.build_graph("service")
    cycles = sorted(
        {
            tuple(sorted((a, b)))
            for a in graph.modules
            for b in graph.find_modules_directly_imported_by(a)
            if graph.chain_exists(importer=b, imported=a)
        }
    )
    assert not cycles, f"modules that import each other, directly or through others: {cycles}"


# Tests named in the docs as evidence: "`tests/domain/test_text.py::test_x[an id]`", and after one
# on the same line "`::test_y`" (another test of that file) or "`[another id]`" (another
# parameter of that test). "[...]" and "[FILE:NAME]" stand for any parameter of the test.
_PLACEHOLDERS = ("[...]", "[FILE:NAME]")


def _cited_tests(text: str) -> set[str]:
    cited: set[str] = set()
    for line in text.splitlines():
        path = name = ""
        for token in re.findall(r"`([^`]*)`", line):
            full = re.fullmatch(r"(tests/[\w/]+\.py)::(\w+)(\[.*\])?", token)
            same_file = re.fullmatch(r"::(\w+)(\[.*\])?", token)
            same_test = re.fullmatch(r"\[.*\]", token)
            if full:
                path, name, param = full.group(1), full.group(2), full.group(3) or ""
            elif same_file and path:
                name, param = same_file.group(1), same_file.group(2) or ""
            elif same_test and name:
                param = token
            else:
                continue
            cited.add(f"{path}::{name}{param}")
    return cited


def test_every_test_the_docs_cite_as_evidence_exists() -> None:
    """The hazard log and the other docs name tests as evidence; each must be a test pytest collects."""
    cited = set().union(*(_cited_tests(d.read_text(encoding="utf-8")) for d in sorted((ROOT / "docs").glob("*.md"))))
    files = sorted({c.split("::")[0] for c in cited})
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    collected = set(run.stdout.splitlines())
    functions = {c.split("[")[0] for c in collected}
    parametrized = {c.split("[")[0] for c in collected if "[" in c}

    def found(test: str) -> bool:
        base = test.split("[")[0]
        if test.endswith(_PLACEHOLDERS):
            return base in parametrized
        return test in collected or ("[" not in test and base in functions)

    missing = sorted(c for c in cited if not found(c))
    assert len(cited) > 100 and not missing, f"docs cite tests pytest does not collect: {missing}"
