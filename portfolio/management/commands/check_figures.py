"""Compare the dashboards' kept figures with the same figures counted from the records.

    manage.py check_figures            # every fiscal year, institution, status and region
    manage.py check_figures --rebuild  # count every slice again first

Exits with status 1, naming each figure that differs, where any does.
"""

from django.core.management.base import BaseCommand, CommandError

from common.fiscal import fiscal_year_label
from portfolio.dashboards import checks, services


class Command(BaseCommand):
    help = "Compare the dashboards' kept figures with the records (and rebuild them first)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="Count every slice again before comparing."
        )

    def handle(self, *args, rebuild: bool, **options) -> None:
        if rebuild:
            services.mark_everything()
        services.refresh()
        found = []
        chosen = checks.every_filter()
        for filters in chosen:
            for line in checks.differences(filters):
                found.append(
                    f"{fiscal_year_label(filters.fiscal_year, 'en')}, "
                    f"institution {filters.institution or 'all'}, "
                    f"status {filters.status or 'all'}, "
                    f"region {filters.region or 'all'}: {line}"
                )
        if found:
            for line in found:
                self.stderr.write(line)
            raise CommandError(f"{len(found)} kept figures differ from the records.")
        self.stdout.write(f"The kept figures equal the records under {len(chosen)} filter sets.")
