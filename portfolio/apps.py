from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = gettext_lazy("Portfolio")

    def ready(self) -> None:
        import portfolio.dashboards.cache  # (connects the signals that make cached pages stale)
        import portfolio.dashboards.services  # (connects the signals that mark kept figures)
        import portfolio.roles
        import portfolio.sheets  # noqa: F401  (registers its spreadsheet kinds)
        from common.triggers import install_rules_after_migrate
        from portfolio.rules import RULES

        post_migrate.connect(install_rules_after_migrate(RULES), sender=self, weak=False)
