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
        note_writes_for_the_replica()


def name_the_sign_in_records() -> None:
    """django-axes's admin section is named after its package ("Axes"), in no language; name it
    for what it holds, translatably."""
    from django.apps import apps

    if apps.is_installed("axes"):
        apps.get_app_config("axes").verbose_name = gettext_lazy("Sign-in attempts")


def note_writes_for_the_replica() -> None:
    """With a read replica, every committed write of records (each leaves history) notes the
    primary's position, so that no page is read from a replica that has not caught up with it
    (common/routers.py)."""
    from django.conf import settings
    from simple_history.signals import post_create_historical_record

    from common.history import history_written_in_bulk
    from common.routers import REPLICA, records_written

    if REPLICA not in settings.DATABASES:
        return

    post_create_historical_record.connect(records_written, dispatch_uid="replica_position")
    history_written_in_bulk.connect(records_written, dispatch_uid="replica_bulk_position")
