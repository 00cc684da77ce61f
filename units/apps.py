from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class UnitsConfig(AppConfig):
    name = "units"
    verbose_name = gettext_lazy("Institutions and units")

    def ready(self) -> None:
        from common.triggers import install_rules_after_migrate
        from units.rules import RULES

        post_migrate.connect(install_rules_after_migrate(RULES), sender=self, weak=False)

        from common.access import set_access_resolver
        from units.access import access_for

        set_access_resolver(access_for)

        from common.mapping import set_mapping_store
        from units.mappings import SavedMappings

        set_mapping_store(SavedMappings())
