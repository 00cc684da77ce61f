from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ImportsConfig(AppConfig):
    """The spreadsheet engine: files read within limits, sheet kinds, previews, imports, undo.

    It names no app: each app registers its sheet kinds when its ``ready()`` imports its
    ``sheets.py``, and ``units`` hands it the store of saved column mappings.
    """

    name = "imports"
    verbose_name = gettext_lazy("Imports and exports")

    def ready(self) -> None:
        import imports.roles  # noqa: F401  (grants the roles its permissions)
