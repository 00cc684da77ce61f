"""Database expressions and rules that the models share."""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from common.text import FOLD_FROM, FOLD_TO, TRIMMED, clean_code


class CodedModel(models.Model):
    """A model whose ``code`` is stored in its clean form: NFKC (full-width to ASCII), trimmed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.code = clean_code(self.code)
        super().save(*args, **kwargs)


def ancestor_ids(node: models.Model, *, include_self: bool = False) -> list[int]:
    """Ids from a tree node up through its ``parent`` chain (trees here are a few levels deep)."""
    ids, current = ([node.pk] if include_self else []), node.parent
    while current is not None and current.pk not in ids:
        ids.append(current.pk)
        current = current.parent
    return ids


class CodeKey(models.Func):
    """The normalised form of a code or name, computed in the database: ``common.text.code_key``.

    SQLite calls that Python function, which ``common.apps`` registers on every connection.
    PostgreSQL builds it from NORMALIZE (NFKC), TRANSLATE (the folded variants), BTRIM (the same
    white space) and UPPER under the ICU root collation, whose full case mapping is Python's
    whatever the database's own locale. Unique indexes store the key: a change to it needs a
    migration that rebuilds them, as ``common`` 0003 (code keys fold wave dash and minus) does.
    """

    function = "portfolio_code_key"
    arity = 1
    output_field = models.CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        text = models.CharField()
        normalized = models.Func(
            *self.get_source_expressions(),
            template="NORMALIZE(%(expressions)s, NFKC)",
            output_field=text,
        )
        folded = models.Func(
            normalized, Value(FOLD_FROM), Value(FOLD_TO), function="TRANSLATE", output_field=text
        )
        trimmed = models.Func(folded, Value(TRIMMED), function="BTRIM", output_field=text)
        upper = models.Func(
            trimmed, template='UPPER(%(expressions)s COLLATE "und-x-icu")', output_field=text
        )
        return compiler.compile(upper)


def end_not_before_start(start: str, end: str, name: str, message: str) -> models.CheckConstraint:
    """A check that an optional end date does not come before its start."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{start}__isnull": True})
        | models.Q(**{f"{end}__gte": models.F(start)}),
        name=name,
        violation_error_message=message,
    )


def _not_a_listed_value(field_label: str) -> str:
    return _("Choose one of the listed values for %(field)s.") % {"field": field_label}


# Evaluated when a form reports the violation, in the reader's language, not at import time.
not_a_listed_value = lazy(_not_a_listed_value, str)


def in_choices(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    """Back a field's choices with the database."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}),
        name=name,
        violation_error_message=not_a_listed_value(field.replace("_", " ")),
    )


def count_related(model: type[models.Model], field: str) -> models.Func:
    """How many rows of ``model`` point at the outer query's row through ``field``, as a
    subquery (NetBox's ``count_related``): evaluated for the rows a page shows, where a joined
    ``Count`` groups every row of the list before the page is cut, and multiplies with any
    other join."""
    rows = (
        model._default_manager.filter(**{field: models.OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=models.Count("*"))
        .values("n")
    )
    return Coalesce(models.Subquery(rows), 0)
