"""Writes of records go through the service doors, which write history and tell the caches.

A ``save()``, ``delete()``, ``bulk_create``, ``bulk_update`` or a link's ``.set()`` called anywhere
else is a write that may leave no history row, and so no stale dashboard either. The doors are
the ``services.py`` modules, the bulk history helpers (``common/history.py``), migrations and the
restore command, which puts back a backup row for row. Writes that still live elsewhere are listed
below, file by file with their count; the list may only shrink: a new write outside a door fails.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("common", "imports", "units", "policies", "portfolio", "config")
WRITES = {"save", "delete", "bulk_create", "bulk_update"}

DOORS = {"common/history.py", "common/management/commands/restore.py"}

# Writes not yet moved behind a door: each count may go down, never up.
NOT_YET_DOORS = {
    "common/admin.py": 3,  # inline rows of a change form, saved with the entry's reason
    "common/roles.py": 1,  # the roles' permissions, synchronised after migrate
    "portfolio/management/commands/load_demo.py": 6,
    "imports/writing.py": 1,  # an openpyxl workbook saved to a buffer: a file, not a record
    "common/db.py": 1,  # CodedModel.save's call of Model.save
    "portfolio/models.py": 2,  # the models' own save() calling Model.save
    "config/urls.py": 1,  # the password reset form's save(), which sends the mail
}


def writes_in(path: Path) -> list[int]:
    """Lines of calls that write records: the four methods, and ``.set(x)`` on a link."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        is_link_set = (
            name == "set"
            and isinstance(node.func.value, (ast.Attribute, ast.Call))  # obj.goals, getattr(obj, f)
            and len(node.args) == 1  # a cache's set takes a key and a value
        )
        if name in WRITES or is_link_set:
            lines.append(node.lineno)
    return lines


def outside_doors() -> dict[str, list[int]]:
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or path.name == "services.py" or relative in DOORS:
                continue
            lines = writes_in(path)
            if lines:
                found[relative] = lines
    return found


def test_no_record_is_written_outside_the_service_doors():
    grown = {
        path: lines
        for path, lines in outside_doors().items()
        if len(lines) > NOT_YET_DOORS.get(path, 0)
    }
    assert not grown, (
        "Records written outside a service door (services.py), at these lines; "
        f"call the door instead: {grown}"
    )


def test_the_list_of_writes_not_yet_behind_a_door_only_shrinks():
    found = outside_doors()
    stale = {
        path: (allowed, len(found.get(path, [])))
        for path, allowed in NOT_YET_DOORS.items()
        if len(found.get(path, [])) < allowed
    }
    assert not stale, f"Lower these counts in NOT_YET_DOORS to what is left: {stale}"


def test_the_check_sees_a_write_that_a_module_adds(tmp_path):
    module = tmp_path / "view.py"
    module.write_text(
        "def view(request, obj):\n"
        "    obj.title = 'x'\n"
        "    obj.save()\n"
        "    obj.goals.set([1])\n"
        "    cache.set('key', 'value')\n",
        encoding="utf-8",
    )
    assert writes_in(module) == [3, 4]
