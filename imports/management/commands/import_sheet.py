"""``manage.py import_sheet KIND FILE --user USERNAME [--dry-run]``: import as the admin does."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from imports.engine import KINDS, Plan, error_groups
from imports.formats import SheetRefused
from imports.services import import_confirm, import_preview

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
            raise CommandError(_("No user “%(user)s”.") % {"user": user}) from error
        if not importer.has_perm("imports.import_sheets"):
            raise CommandError(
                _("%(user)s may not import spreadsheets (needs “Can import spreadsheets”).")
                % {"user": user}
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
            failed = plan.counts["failed"]
            # Not ngettext: the English stays "1 rows failed", which callers match on.
            raise CommandError(
                _("%(count)s rows failed; nothing was imported.") % {"count": failed}
            )
        if dry_run:
            self.stdout.write(_("Would import %(summary)s") % {"summary": plan.summary()})
        else:
            self.stdout.write(
                _("Imported as batch %(batch)s: %(summary)s")
                % {"batch": batch.pk, "summary": plan.summary()}
            )

    def report(self, plan: Plan) -> None:
        self.stdout.write(plan.summary())
        for note in plan.notes:
            self.stdout.write(_("Note: %(note)s") % {"note": note})
        header = plan.kind.header_of  # columns named as the reader's language heads them
        for error in plan.errors[:ERRORS_SHOWN]:
            self.stderr.write(
                _("Row %(row)s, column %(column)s: %(message)s")
                % {"row": error.row, "column": header(error.column), "message": error.message}
            )
        if len(plan.errors) > ERRORS_SHOWN:
            more = len(plan.errors) - ERRORS_SHOWN
            self.stderr.write(
                ngettext("… and %(count)s more error.", "… and %(count)s more errors.", more)
                % {"count": more}
            )
        groups = error_groups(plan.errors)
        if len(groups) < len(plan.errors):
            # The same fix for every row alike: each distinct problem once, with its rows.
            self.stderr.write(_("The errors, each distinct one once:"))
            for group in groups[:ERRORS_SHOWN]:
                self.stderr.write(
                    ngettext(
                        "%(rows)s row (from row %(first)s), column %(column)s: %(message)s",
                        "%(rows)s rows (from row %(first)s), column %(column)s: %(message)s",
                        group.rows,
                    )
                    % {
                        "rows": f"{group.rows:,}",
                        "first": group.first_row,
                        "column": header(group.column),
                        "message": group.message,
                    }
                )
