"""The roles of the product, defined once: which permissions each role's group holds.

A role is a Django group. ``sync_roles`` creates the groups and gives each exactly the permissions
listed here; a migration runs it, and so does every later ``migrate`` (a ``post_migrate``
receiver), so that a model added later reaches the roles that cover it. What a role may reach
(which institutions, which units) is each user's scope, kept in ``units.UserScope``.
"""

from collections.abc import Iterable

LEADERSHIP = "Leadership"
EDITOR = "Editor"
UNIT_EDITOR = "Unit editor"
DATA_STEWARD = "Data steward"
ADMINISTRATOR = "Administrator"
ROLES = [LEADERSHIP, EDITOR, UNIT_EDITOR, DATA_STEWARD, ADMINISTRATOR]

DASHBOARDS = "units.view_dashboards"
IMPORT = "common.import_sheets"
UNDO_IMPORT = "common.undo_importbatch"  # any batch
UNDO_OWN_IMPORT = "common.undo_own_importbatch"  # the batches one imported oneself

# Every record staff keep in the admin, by app; each has a historical model of the same name.
RECORDS = {
    "units": ["institution", "region", "unit", "person", "appointment"],
    "policies": ["framework", "goal", "alignment", "indicator", "indicatorvalue"],
    "portfolio": ["partnerinstitution", "agreement", "initiative", "activity", "progressupdate"],
}
# What an editor keeps: every record of their institutions. Institutions and regions are the
# installation's own frame, kept by administrators; an editor may correct their institution.
EDITOR_WRITES = {
    **{f"units.{m}": "acdv" for m in ["unit", "person", "appointment"]},
    "units.institution": "cv",
    **{f"policies.{m}": "acdv" for m in RECORDS["policies"]},
    **{f"portfolio.{m}": "acdv" for m in RECORDS["portfolio"]},
}
UNIT_EDITOR_WRITES = {
    f"portfolio.{m}": "acdv" for m in ["initiative", "activity", "agreement", "progressupdate"]
}
ACTIONS = {"a": "add", "c": "change", "d": "delete", "v": "view"}


def _records_and_history(action: str) -> list[str]:
    return [
        f"{app}.{action}_{prefix}{model}"
        for app, models in RECORDS.items()
        for model in models
        for prefix in ("", "historical")
    ]


def _writes(table: dict[str, str]) -> list[str]:
    return [
        f"{key.split('.')[0]}.{ACTIONS[letter]}_{key.split('.')[1]}"
        for key, letters in table.items()
        for letter in letters
    ]


READ_ALL = _records_and_history("view")

ROLE_PERMISSIONS: dict[str, list[str]] = {
    LEADERSHIP: [DASHBOARDS],
    EDITOR: [DASHBOARDS, *READ_ALL, *_writes(EDITOR_WRITES)],
    UNIT_EDITOR: [DASHBOARDS, *READ_ALL, *_writes(UNIT_EDITOR_WRITES)],
    DATA_STEWARD: [DASHBOARDS, *READ_ALL, IMPORT, UNDO_OWN_IMPORT, "common.view_importbatch"],
    ADMINISTRATOR: ["*"],  # every permission, now and of models added later
}


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
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(everything if names == ["*"] else _existing(names, by_name))


def _existing(names: Iterable[str], by_name: dict) -> list:
    # A permission of a model that a later migration adds is not there yet: the next sync adds it.
    return [by_name[name] for name in names if name in by_name]


def sync_roles_after_migrate(sender, **kwargs) -> None:
    from django.apps import apps as global_apps

    sync_roles(kwargs.get("apps") or global_apps)
