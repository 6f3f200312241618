"""The layout shows the architecture: the training core imports no command, no experiment management and no
built-in plugin, and the layout table in docs/design.md names exactly the files that exist."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "framework"
# `python -m framework.X` shims
ENTRY_POINTS = {"run", "evaluate", "predict", "export", "plugins", "compare", "generate"}


def imports(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved), anywhere in it."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out |= {f"{base}.{a.name}" for a in node.names} | {base}
    return out


def core_modules() -> list[Path]:
    return sorted(p for p in FRAMEWORK.glob("*.py") if p.stem not in ENTRY_POINTS)


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.name)
def test_the_core_imports_no_command_experiment_or_plugin(path):
    forbidden = ("framework.commands", "framework.experiments", "plugins",
                 *(f"framework.{m}" for m in ENTRY_POINTS))
    bad = sorted(m for m in imports(path) if any(m == f or m.startswith(f + ".") for f in forbidden))
    assert not bad, f"{path.name} imports {bad}"


def test_the_core_modules_import_no_circle():
    """Imports anywhere in a file count (a function-level import hides a circle, it does not remove it)."""
    mods = {f"framework.{p.stem}": p for p in core_modules() if p.stem != "__init__"}
    graph = {m: {i for i in imports(p) if i in mods and i != m} for m, p in mods.items()}

    def circle(m, path):
        for n in sorted(graph[m]):
            if n in path:
                return [*path[path.index(n):], n]
            found = circle(n, [*path, n])
            if found:
                return found
        return None

    for m in sorted(graph):
        found = circle(m, [m])
        assert found is None, " -> ".join(found)


def test_commands_do_not_reach_into_experiment_management():
    for path in (FRAMEWORK / "commands").glob("*.py"):
        assert not [m for m in imports(path) if m.startswith("framework.experiments")], path.name


def test_the_entry_point_shims_only_forward():
    for name in ENTRY_POINTS:
        text = (FRAMEWORK / f"{name}.py").read_text()
        assert len(text.splitlines()) <= 10 and "if __name__ == \"__main__\":" in text, name


def readme_layout() -> str:
    """The layout table, in docs/design.md (README points there)."""
    text = (ROOT / "docs" / "design.md").read_text()
    start = text.index("\n## Layout")
    end = text.find("\n## ", start + 1)
    return text[start: end if end > 0 else len(text)]


def test_readme_layout_table_names_exactly_the_files_that_exist():
    section = readme_layout()
    named = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        tokens = re.findall(r"`([^`]+)`", line.split("|")[1])  # first cell: `folder/` then its files, or paths
        prefix, names = (tokens[0], tokens[1:]) if tokens[0].endswith("/") else ("", tokens)
        named |= {prefix + n for n in names} or {prefix}
    actual = {str(p.relative_to(ROOT)) for p in FRAMEWORK.rglob("*.py")}
    actual |= {str(p.relative_to(ROOT)) for p in (ROOT / "plugins").glob("*.py")}
    actual |= {str(p.relative_to(ROOT)) + "/" for p in (ROOT / "plugins").iterdir() if p.is_dir()
               and not p.name.startswith("__")}
    assert sorted(actual - named) == [], "files missing from the layout table in docs/design.md"
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert missing == [], "docs/design.md's layout table names files not there"
