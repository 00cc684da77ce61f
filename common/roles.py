"""The roles of the product, defined once: which permissions each role's group holds.

A role is a Django group. ``sync_roles`` creates the groups and gives each exactly the permissions
its apps grant it; a migration runs it, and so does every later ``migrate`` (a ``post_migrate``
receiver), so that a model added later reaches the roles that cover it. What a role may reach
(which institutions, which units) is each user's scope, kept in ``units.UserScope``.
"""

from collections.abc import Iterable

LEADERSHIP = "Leadership"
EDITOR = "Editor"
UNIT_EDITOR = "Unit editor"
DATA_STEWARD = "Data steward"
REVIEWER = "Reviewer"
ADMINISTRATOR = "Administrator"
ROLES = [LEADERSHIP, EDITOR, UNIT_EDITOR, DATA_STEWARD, REVIEWER, ADMINISTRATOR]
# The roles that read every record of their scope, and its history, in the admin.
RECORD_READERS = [EDITOR, UNIT_EDITOR, DATA_STEWARD, REVIEWER]

ACTIONS = {"a": "add", "c": "change", "d": "delete", "v": "view"}

# What each role holds, granted by the apps for their own models (each app's ``roles.py``, which
# its ``ready()`` imports): the kernel knows the roles, never the apps' permissions.
_granted: dict[str, list[str]] = {role: [] for role in ROLES if role != ADMINISTRATOR}


def grant(roles: Iterable[str], permissions: Iterable[str]) -> None:
    """Give each of ``roles`` the ``permissions`` ("app_label.codename")."""
    permissions = list(permissions)
    for role in roles:
        _granted[role].extend(name for name in permissions if name not in _granted[role])


def role_permissions() -> dict[str, list[str]]:
    """Each role's permissions; an administrator holds every one, now and of models added later."""
    return {**_granted, ADMINISTRATOR: ["*"]}


def records_and_history(app: str, models: Iterable[str], action: str = "view") -> list[str]:
    """The permissions for ``action`` on each record of ``models`` and on its history."""
    return [f"{app}.{action}_{prefix}{model}" for model in models for prefix in ("", "historical")]


def writes(app: str, table: dict[str, str]) -> list[str]:
    """Permissions from a table of models and letters: ``{"unit": "acdv"}`` adds, changes,
    deletes and views units."""
    return [
        f"{app}.{ACTIONS[letter]}_{model}" for model, letters in table.items() for letter in letters
    ]


def sync_roles(apps) -> None:
    """Create the role groups and give each exactly its permissions (``apps``: a migration's)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's app configs carry no models module, which create_permissions asks for.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    everything = list(permission_model.objects.all())
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in everything}
    for role, names in role_permissions().items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(everything if names == ["*"] else _existing(names, by_name))


def _existing(names: Iterable[str], by_name: dict) -> list:
    # A permission of a model that a later migration adds is not there yet: the next sync adds it.
    return [by_name[name] for name in names if name in by_name]


def sync_roles_after_migrate(sender, **kwargs) -> None:
    from django.apps import apps as global_apps

    sync_roles(kwargs.get("apps") or global_apps)
