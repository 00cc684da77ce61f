"""Writes of records go through the service doors, which write history and tell the caches.

A ``save()``, ``delete()``, ``bulk_create``, ``bulk_update``, a link's ``.set()`` or a manager's
or queryset's write called anywhere else may leave no history row, and so no stale dashboard
either. The doors are the ``services.py`` modules (``common/services.py`` holds the doors of one
record, ``record_save`` and ``record_delete``, which the admin calls), the history rows written
in bulk beside a door's bulk writes (``common/history.py``), migrations and the restore command,
which puts back a backup row for row. A model's own ``save()`` (or ``delete()``)
calling ``super().save()`` is the write its caller asked for, not one more, and a form's
``save(commit=False)`` writes nothing.

Every record now goes through a door. ``NOT_RECORDS`` names, file by file with their count, the
writes of what is no record with history (a file, the role groups, a mail); it may only shrink,
and any other write outside a door fails.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "common",
    "imports",
    "units",
    "policies",
    "portfolio",
    "reporting",
    "config",
    "api",
    "signin",
)
WRITES = {"save", "delete", "bulk_create", "bulk_update"}
# A manager's or a queryset's writes: ``Model.objects.create(...)``, ``.filter(...).update(...)``
# (which writes no history row at all), and the like.
MANAGER_WRITES = {
    "create",
    "get_or_create",
    "update_or_create",
    "update",
    "create_user",
    "create_superuser",
}
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

DOORS = {"common/history.py", "common/management/commands/restore.py"}

# Writes of no record with history, which need no door: each count may go down, never up.
NOT_RECORDS = {
    # The role groups (created where missing) and their permissions, synchronised after migrate
    # with a migration's apps; groups keep no history.
    "common/roles.py": 2,
    # The demo's logins (auth's create_user, create_superuser): accounts, which keep no history.
    "reporting/management/commands/load_demo.py": 2,
    "imports/writing.py": 1,  # an openpyxl workbook saved to a buffer: a file sent, not a record
    "config/urls.py": 1,  # Django's PasswordResetForm.save(), which sends the reset mail
    "portfolio/dashboards/cache.py": 2,  # cache keys deleted (the marks of builds), no record
}


def calls_in(tree: ast.AST) -> Iterator[tuple[ast.Call, str | None]]:
    """Every call in ``tree``, with the name of the function it sits in (None: at module level)."""

    def visit(node: ast.AST, function: str | None) -> Iterator[tuple[ast.Call, str | None]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                yield child, function
            inner = child.name if isinstance(child, FUNCTIONS) else function
            yield from visit(child, inner)

    return visit(tree, None)


def is_own_write(call: ast.Call, function: str | None) -> bool:
    """``super().save(...)`` in a model's ``save()`` (or ``delete`` in ``delete()``): the write its
    caller asked for, with the model's own step before it, not a write of its own."""
    receiver = call.func.value
    return (
        call.func.attr == function
        and isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Name)
        and receiver.func.id == "super"
    )


def builds_only(call: ast.Call) -> bool:
    """``form.save(commit=False)``: a form's records built from its data, none of them written."""
    return any(
        keyword.arg == "commit"
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is False
        for keyword in call.keywords
    )


def through_manager(node: ast.expr) -> bool:
    """Whether an expression is, or is a chain of calls on, a model's ``objects`` manager."""
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            return True
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return False


def writes_in(path: Path) -> list[int]:
    """Lines of calls that write records: the four methods, ``.set(x)`` on a link, and the
    writes of a manager or queryset."""
    lines = []
    for call, function in calls_in(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(call.func, ast.Attribute) or is_own_write(call, function):
            continue
        if builds_only(call):
            continue
        name = call.func.attr
        is_link_set = (
            name == "set"
            and isinstance(call.func.value, (ast.Attribute, ast.Call))  # obj.goals, getattr(obj, f)
            and len(call.args) == 1  # a cache's set takes a key and a value
        )
        is_manager_write = name in MANAGER_WRITES and through_manager(call.func.value)
        if name in WRITES or is_link_set or is_manager_write:
            lines.append(call.lineno)
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
        if len(lines) > NOT_RECORDS.get(path, 0)
    }
    assert not grown, (
        "Records written outside a service door (services.py), at these lines; "
        f"call the door instead: {grown}"
    )


def test_the_list_of_writes_of_no_record_only_shrinks():
    found = outside_doors()
    stale = {
        path: (allowed, len(found.get(path, [])))
        for path, allowed in NOT_RECORDS.items()
        if len(found.get(path, [])) < allowed
    }
    assert not stale, f"Lower these counts in NOT_RECORDS to what is left: {stale}"


def test_the_check_sees_a_write_that_a_module_adds(tmp_path):
    module = tmp_path / "view.py"
    module.write_text(
        "def view(request, obj):\n"
        "    obj.title = 'x'\n"
        "    obj.save()\n"
        "    obj.goals.set([1])\n"
        "    cache.set('key', 'value')\n"
        "    Activity.objects.filter(pk=obj.pk).update(title='y')\n"
        "    Partner.objects.create(name='z')\n"
        "    Group.objects.get_or_create(name='Editor')\n"
        "    shown.update(names)\n"
        "    row.update(title='y')\n",
        encoding="utf-8",
    )
    # A dict's or a set's update is no write; a manager's and a queryset's are.
    assert writes_in(module) == [3, 4, 6, 7, 8]


def test_the_check_tells_a_models_own_save_from_a_write_in_a_model_method(tmp_path):
    module = tmp_path / "models.py"
    module.write_text(
        "class Initiative(models.Model):\n"
        "    def save(self, *args, **kwargs):\n"
        "        self.code = clean_code(self.code)\n"
        "        super().save(*args, **kwargs)\n"
        "\n"
        "    def delete(self, *args, **kwargs):\n"
        "        super().delete(*args, **kwargs)\n"
        "\n"
        "    def close(self):\n"
        "        self.status = 'completed'\n"
        "        self.save()\n"
        "        super().save()\n"
        "        self.lead_unit.save()\n"
        "\n"
        "    def save_copy(self):\n"
        "        super(Initiative, self).delete()\n",
        encoding="utf-8",
    )
    # The model's own save and delete pass; a save in any other method is a write, a super()
    # one too, and so is a delete in a method that is not delete().
    assert writes_in(module) == [11, 12, 13, 16]


def test_the_check_passes_a_form_that_only_builds_its_records(tmp_path):
    module = tmp_path / "admin.py"
    module.write_text(
        "def save_formset(self, request, form, formset, change):\n"
        "    rows = formset.save(commit=False)\n"
        "    form.save(commit=True)\n"
        "    form.save(commit=change)\n"
        "    form.save()\n",
        encoding="utf-8",
    )
    # Only a literal commit=False is known to write nothing.
    assert writes_in(module) == [3, 4, 5]
