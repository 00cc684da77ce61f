from django.apps import AppConfig
from django.db.backends.signals import connection_created


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """Give SQLite the code-key function that PostgreSQL builds from NORMALIZE and UPPER."""
    if connection.vendor == "sqlite":
        from common.text import code_key

        connection.connection.create_function("portfolio_code_key", 1, code_key, deterministic=True)


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Imports and exports"

    def ready(self) -> None:
        connection_created.connect(register_sqlite_functions, dispatch_uid="portfolio_code_key")
