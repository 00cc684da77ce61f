from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = gettext_lazy("Strategies and goals")

    def ready(self) -> None:
        import policies.roles
        import policies.sheets  # noqa: F401  (registers its spreadsheet kinds)
        from common.triggers import install_rules_after_migrate
        from policies.rules import RULES

        post_migrate.connect(install_rules_after_migrate(RULES), sender=self, weak=False)
