"""Count the dashboards' kept figures again from the records, every slice of them.

    manage.py rebuild_figures

Needed only where records were written past the product (a database restored by hand, rows
changed in SQL): every write through the product keeps them up to date itself.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from portfolio.dashboards import services


class Command(BaseCommand):
    help = "Count the dashboards' kept figures again from the records."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():  # counted once, when marked
            count = services.mark_everything()
        services.refresh()
        self.stdout.write(f"{count} slices (institution × fiscal year) counted again.")
