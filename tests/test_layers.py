"""The apps depend one way: ``common`` ← ``imports`` ← ``units`` ← ``policies`` ← ``portfolio``
← ``reporting`` ← ``disclosure`` ← ``signin``.

See docs/ARCHITECTURE.md. A module that imports an app above its own would tie the kernel to one
use of it, and the next app (the reporting cycle, the API) would have to reach through the layers
to change anything.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "common",
    "imports",
    "units",
    "policies",
    "portfolio",
    "reporting",
    "disclosure",
    "signin",
]


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def upward_imports() -> dict[str, list[str]]:
    found = {}
    for rank, app in enumerate(LAYERS):
        above = set(LAYERS[rank + 1 :])
        for path in sorted((ROOT / app).rglob("*.py")):
            upward = sorted(imported_apps(path) & above)
            if upward:
                found[path.relative_to(ROOT).as_posix()] = upward
    return found


def test_no_app_imports_a_layer_above_it():
    assert upward_imports() == {}


def test_the_check_sees_an_import_from_above(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("from portfolio.models import Activity\nimport units.models\n")
    assert imported_apps(module) == {"portfolio", "units"}
