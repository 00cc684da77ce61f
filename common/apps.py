from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give SQLite the code-key function that PostgreSQL builds from NORMALIZE and UPPER."""
    if connection.vendor == "sqlite":
        from common.text import code_key

        connection.connection.create_function("portfolio_code_key", 1, code_key, deterministic=True)


class CommonConfig(AppConfig):
    name = "common"

    def ready(self) -> None:
        connection_created.connect(register_sqlite_functions, dispatch_uid="portfolio_code_key")
        name_the_sign_in_records()


def name_the_sign_in_records() -> None:
    """django-axes's admin section is named after its package ("Axes"), in no language; name it
    for what it holds, translatably."""
    from django.apps import apps

    if apps.is_installed("axes"):
        apps.get_app_config("axes").verbose_name = gettext_lazy("Sign-in attempts")
