from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = _("Disclosure")

    def ready(self) -> None:
        import disclosure.annual  # noqa: F401 (the annual report's link on the overview)
        from disclosure import signals  # noqa: F401 (computed actuals follow their records)
        from disclosure.benchmarks import register as register_benchmarks

        register_benchmarks()  # the benchmarks in the dashboards' header
