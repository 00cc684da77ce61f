"""The preview's mapping step: each header found with the column it names, and replacements for
the values that fail, as a form the steward confirms (``imports.mapping``)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django_countries import countries

from imports.engine import COUNTRY, KINDS, error_groups
from imports.mapping import (
    BLANK,
    IGNORE,
    Mapping,
    header_key,
    mapping_store,
    needs_mapping,
    suggest,
)
from imports.models import ImportBatch

VALUES_OFFERED = 30  # distinct failing values the step offers a replacement for
NAME_MAX = 120


@dataclass
class HeaderChoice:
    index: int
    header: str
    selected: str
    suggested: bool  # chosen by the product, not yet by the steward


@dataclass
class ValueChoice:
    index: int
    column: str
    written: str
    rows: int
    message: str
    selected: str
    options: list[tuple[str, str]] | None  # None: the replacement is typed


def targets(kind) -> list[tuple[str, str]]:
    """The columns a header may name, as the template writes them in both languages."""
    return [(IGNORE, _("— leave out —"))] + [
        (column.name, f"{column.name} · {column.ja}") for column in kind.columns
    ]


def options_for(kind, column_name: str) -> list[tuple[str, str]] | None:
    column = next((c for c in kind.columns if c.name == column_name), None)
    if column is None or column.choices is None:
        return None
    offered = [("", _("— keep as written (the row fails) —")), (BLANK, _("(leave the cell empty)"))]
    # Named as the admin's own selects name them; the code is the option's value.
    if column.choices == COUNTRY:
        offered += [(code, str(name)) for code, name in countries]
    else:
        offered += [(value, str(label)) for value, label in column.choices.choices]
    return offered


def mapping_context(batch: ImportBatch, user) -> dict:
    """What the preview shows of the mapping step; nothing when the sheet needs none."""
    kind = KINDS[batch.kind]()
    headers = (batch.columns or {}).get("headers") or []
    chosen = Mapping.from_dict(batch.mapping) or Mapping()
    if batch.status != ImportBatch.Status.PREVIEWED:
        return {}
    value_errors = [error for error in batch.errors if error.get("value")]
    if not headers or (not chosen and not needs_mapping(kind, headers) and not value_errors):
        return {}
    suggested = suggest(kind, headers)
    header_choices = []
    for index, header in enumerate(headers):
        key = header_key(header)
        if key in chosen.columns:
            header_choices.append(HeaderChoice(index, header, chosen.columns[key], False))
        else:
            header_choices.append(HeaderChoice(index, header, suggested[index], True))
    value_choices = []
    for group in error_groups(value_errors)[:VALUES_OFFERED]:
        written = group.value
        selected = chosen.values.get(group.column, {}).get(header_key(written), "")
        value_choices.append(
            ValueChoice(
                len(value_choices),
                group.column,
                written,
                group.rows,
                group.message,
                selected,
                options_for(kind, group.column),
            )
        )
    store = mapping_store()
    return {
        "mapping_headers": header_choices,
        "mapping_targets": targets(kind),
        "mapping_values": value_choices,
        "mapping_name": chosen.name,
        "mapping_institutions": store.institutions(user) if store is not None else [],
    }


def mapping_from_post(batch: ImportBatch, post) -> tuple[Mapping, int | None]:
    """The mapping the steward confirmed, and the institution to save it for (if named)."""
    kind = KINDS[batch.kind]()
    names = {column.name for column in kind.columns}
    headers = (batch.columns or {}).get("headers") or []
    earlier = Mapping.from_dict(batch.mapping) or Mapping()
    columns = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        target = post.get(f"column-{index}", IGNORE)
        columns[key] = target if target in names else IGNORE
    values = {column: dict(replacements) for column, replacements in earlier.values.items()}
    for index in range(VALUES_OFFERED):
        column = post.get(f"value-{index}-column")
        written = post.get(f"value-{index}-written")
        replacement = (post.get(f"value-{index}") or "").strip()[:NAME_MAX]
        if column not in names or not written:
            continue
        if replacement:
            values.setdefault(column, {})[header_key(written)] = replacement
        else:
            values.get(column, {}).pop(header_key(written), None)
    name = (post.get("mapping-name") or "").strip()[:NAME_MAX]
    mapping = Mapping(columns, {c: v for c, v in values.items() if v}, name)
    institution = post.get("mapping-institution")
    save_for = int(institution) if name and institution and institution.isdigit() else None
    return mapping, save_for
