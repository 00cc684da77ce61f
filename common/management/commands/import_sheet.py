"""``manage.py import_sheet KIND FILE --user USERNAME [--dry-run]``: import as the admin does."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.importing import KINDS, Plan
from common.services import import_confirm, import_preview
from common.sheets import SheetRefused

ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = "Import a spreadsheet (CSV, XLSX, ODS); exits non-zero if any row fails."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the user the import is attributed to")
        parser.add_argument("--dry-run", action="store_true", help="check and count; write nothing")

    def handle(self, *args, kind: str, file: Path, user: str, dry_run: bool, **options) -> None:
        try:
            importer = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user “{user}”.") from error
        if not importer.has_perm("common.import_sheets"):
            raise CommandError(
                f"{user} may not import spreadsheets (needs “Can import spreadsheets”)."
            )
        try:
            batch, plan = import_preview(
                kind=kind, file_name=file.name, content=file.read_bytes(), user=importer
            )
            if not dry_run and not plan.failed:
                plan = import_confirm(batch=batch, user=importer)
        except (SheetRefused, OSError) as error:
            raise CommandError(str(error)) from error
        self.report(plan)
        if plan.failed:
            raise CommandError(f"{plan.counts['failed']} rows failed; nothing was imported.")
        verb = "Would import" if dry_run else f"Imported as batch {batch.pk}:"
        self.stdout.write(f"{verb} {plan.summary()}")

    def report(self, plan: Plan) -> None:
        self.stdout.write(plan.summary())
        for note in plan.notes:
            self.stdout.write(f"Note: {note}")
        for error in plan.errors[:ERRORS_SHOWN]:
            self.stderr.write(f"Row {error.row}, column {error.column}: {error.message}")
        if len(plan.errors) > ERRORS_SHOWN:
            self.stderr.write(f"… and {len(plan.errors) - ERRORS_SHOWN} more errors.")
