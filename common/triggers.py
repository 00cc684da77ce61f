"""Rules across rows that a CHECK constraint cannot hold, kept by database triggers.

A rule names a table, the events it guards and a SQL condition over ``NEW`` (and ``OLD`` on update)
that is true when a write would break the rule. The same condition runs on SQLite and PostgreSQL;
both abort the write with an integrity error whose text starts with the rule's name, which the
models' ``clean`` methods anticipate with a readable message before the database is reached.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    table: str
    violated_when: str
    message: str
    events: tuple[str, ...] = ("INSERT", "UPDATE")

    @property
    def error_text(self) -> str:
        return f"{self.name}: {self.message}".replace("'", "''")


def _sqlite_statements(rule: Rule) -> list[str]:
    return [
        f"CREATE TRIGGER {rule.name}_{event.lower()} BEFORE {event} ON {rule.table} "
        f"FOR EACH ROW WHEN ({rule.violated_when}) "
        f"BEGIN SELECT RAISE(ABORT, '{rule.error_text}'); END"
        for event in rule.events
    ]


def _postgresql_statements(rule: Rule) -> list[str]:
    guard = rule.violated_when
    if "OLD." in guard and "INSERT" in rule.events:
        guard = f"TG_OP = 'UPDATE' AND ({guard})"
    return [
        f"CREATE OR REPLACE FUNCTION {rule.name}_fn() RETURNS trigger AS $$ "
        f"BEGIN IF {guard} THEN RAISE EXCEPTION USING ERRCODE = 'check_violation', "
        f"MESSAGE = '{rule.error_text}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {rule.name} BEFORE {' OR '.join(rule.events)} ON {rule.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {rule.name}_fn()",
    ]


def _drop_statements(rule: Rule, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {rule.name} ON {rule.table}",
            f"DROP FUNCTION IF EXISTS {rule.name}_fn()",
        ]
    return [f"DROP TRIGGER IF EXISTS {rule.name}_{event.lower()}" for event in rule.events]


def install_rules(connection, rules: Iterable[Rule]) -> None:
    """(Re)create the rules' triggers; safe to run after every migration.

    Installed after migrations rather than inside one, because SQLite drops a table's triggers
    whenever a later migration rebuilds that table.
    """
    build = _postgresql_statements if connection.vendor == "postgresql" else _sqlite_statements
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for rule in rules:
            if rule.table not in tables:
                continue
            for statement in [*_drop_statements(rule, connection.vendor), *build(rule)]:
                cursor.execute(statement)


def install_rules_after_migrate(rules: Iterable[Rule]):
    """A ``post_migrate`` receiver that installs an app's rules on the database just migrated."""
    from django.db import connections

    def receiver(using: str = "default", **kwargs) -> None:
        install_rules(connections[using], rules)

    return receiver
