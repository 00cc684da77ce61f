"""Count the computed indicators again from the records and write what changed.

The product does this on its own after every write of the records they are counted from; the
command is for a scheduled run (a year's snapshot day passes with no write) and after a restore.
"""

from django.core.management.base import BaseCommand

from disclosure.services import computed_refresh


class Command(BaseCommand):
    help = "Count the indicators the product computes again, and write the actuals that changed."

    def handle(self, *args, **options) -> None:
        changed = computed_refresh()
        if options["verbosity"]:
            self.stdout.write(f"{changed} computed actuals changed")
