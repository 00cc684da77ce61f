from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class UnitsConfig(AppConfig):
    name = "units"
    verbose_name = gettext_lazy("Institutions and units")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import units.roles  # noqa: F401  (grants the roles its permissions)
        from units.signals import use_preferred_language

        user_logged_in.connect(use_preferred_language, dispatch_uid="units_preferred_language")
        from common.roles import sync_roles_after_migrate

        # Keeps the role groups' permissions in step with the models after every migrate (here,
        # since the kernel has no models of its own and so no post_migrate signal).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="portfolio_roles")
        from common.triggers import install_rules_after_migrate
        from units.rules import RULES

        post_migrate.connect(install_rules_after_migrate(RULES), sender=self, weak=False)

        from common.access import set_access_resolver
        from units.access import AUTHORS, access_for

        set_access_resolver(access_for, authors=AUTHORS)

        from imports.mapping import set_mapping_store
        from units.mappings import SavedMappings

        set_mapping_store(SavedMappings())
