"""Rebuild the unique indexes on code keys, which now fold 〜/～, −/－ and their look-alikes.

A unique index stores each row's key as computed when the index was built, so a changed
``common.text.code_key`` (and ``common.db.CodeKey``) needs every such index built again. This
finds the constraints in the migration state, so a model that gains one needs no change here;
indexes built by later migrations use the new key already.

Two stored codes that were distinct and now share a key stop the migration, naming the table and
the codes; nothing is changed. Give one of them another code, then migrate again.
"""

from django.db import IntegrityError, migrations
from django.db.models import Count, F, UniqueConstraint

from common.db import CodeKey


def code_key_constraints(apps) -> list[tuple[type, UniqueConstraint]]:
    return [
        (model, constraint)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
        and any(isinstance(expression, CodeKey) for expression in constraint.expressions)
    ]


def collisions(model, constraint: UniqueConstraint, using: str) -> list[str]:
    """``table (institution 3): “KU−1”, “KU-1”`` for each key that rows now share."""
    keys = {f"key_{i}": expression for i, expression in enumerate(constraint.expressions)}
    shown = [
        expression.source_expressions[0].name
        for expression in constraint.expressions
        if isinstance(expression, CodeKey)
    ]
    qualifiers = [
        (f"key_{i}", expression.name)
        for i, expression in enumerate(constraint.expressions)
        if isinstance(expression, F)
    ]
    rows = model._base_manager.using(using).annotate(**keys)
    if constraint.condition is not None:
        rows = rows.filter(constraint.condition)
    shared = rows.values(*keys).annotate(rows=Count("pk")).filter(rows__gt=1).order_by()
    found = []
    for group in shared:
        values = {name: group[name] for name in keys}
        if any(value is None for value in values.values()):
            continue  # NULLs never collide in a unique index
        codes = rows.filter(**values).order_by("pk").values_list(*shown)
        written = ", ".join(f"“{value}”" for row in codes for value in row)
        within = ", ".join(f"{field} {group[name]}" for name, field in qualifiers)
        found.append(f"{model._meta.db_table}{f' ({within})' if within else ''}: {written}")
    return found


def rebuild_code_key_indexes(apps, schema_editor) -> None:
    """Drop every code-key unique index, check the rows under the new key, build them again."""
    constraints = code_key_constraints(apps)
    for model, constraint in constraints:
        schema_editor.remove_constraint(model, constraint)
    using = schema_editor.connection.alias
    found = [line for model, c in constraints for line in collisions(model, c, using)]
    if found:
        raise IntegrityError(
            "Codes that were distinct now count as the same (〜 and ～, − and －, and other "
            "variants are one character to the unique key), so their unique index cannot be "
            "built. Give one code of each line another code, then migrate again:\n"
            + "\n".join(found)
        )
    for model, constraint in constraints:
        schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_importbatch_sha256"),
        ("policies", "0001_squashed_0003_goal_realises"),
        ("portfolio", "0001_squashed_0006_activity_mode"),
        ("units", "0001_squashed_0006_sheet_mapping"),
    ]

    operations = [
        # Backwards there is nothing to do: the indexes already hold the key the code computes.
        migrations.RunPython(rebuild_code_key_indexes, migrations.RunPython.noop),
    ]
