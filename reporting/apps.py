from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ReportingConfig(AppConfig):
    """Reporting cycles: what owners owe, their reports, the review, the reminders."""

    name = "reporting"
    verbose_name = gettext_lazy("Reporting")

    def ready(self) -> None:
        import reporting.roles  # grants the roles its permissions
        import reporting.sheets  # noqa: F401  (registers its spreadsheet kinds)
        from reporting.boards.panels import register

        register()  # the cycles' completion on the dashboards, the boards in their header
