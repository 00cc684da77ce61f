"""``manage.py annual_report --institution KU --fiscal-year 2025 --language ja --output ku.pdf``:
the annual report's PDF, as the dashboards' overview downloads it, for a scheduled run.

The command reads every record (it is the operator's, not a reader's), so the report holds all of
the institution's goals. ``--goal FRAMEWORK/GOAL`` (codes, ``ISO-KU/CONNECT``) makes the report of
one goal and the goals below it. An institution or goal that no record has is refused, naming
the argument and what there is.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from disclosure.report import LANGUAGES, annual_report_pdf
from policies.models import Goal
from units.models import Institution


class Command(BaseCommand):
    help = "Write an institution's annual report of a fiscal year as a PDF."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--institution", required=True, help="the institution's code, e.g. KU")
        parser.add_argument("--fiscal-year", required=True, type=int, help="e.g. 2025")
        parser.add_argument("--language", choices=LANGUAGES, default="en")
        parser.add_argument("--output", required=True, type=Path, help="the PDF file to write")
        parser.add_argument("--goal", default="", help="FRAMEWORK/GOAL codes: one goal's report")

    def handle(self, *args, **options) -> None:
        code = options["institution"]
        institution = Institution.objects.filter(code__iexact=code).first()
        if institution is None:
            known = ", ".join(Institution.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("--institution: no institution has the code %(code)r (there are: %(known)s).")
                % {"code": code, "known": known or _("none")}
            )
        goal = None
        if options["goal"]:
            framework, _slash, goal_code = options["goal"].partition("/")
            goal = (
                Goal.objects.filter(
                    framework__institution=institution,
                    framework__code__iexact=framework,
                    code__iexact=goal_code,
                )
                .select_related("framework")
                .first()
            )
            if goal is None:
                raise CommandError(
                    _("--goal: %(institution)s has no goal %(goal)r (FRAMEWORK/GOAL codes).")
                    % {"institution": institution.code, "goal": options["goal"]}
                )
        content = annual_report_pdf(
            institution, options["fiscal_year"], language=options["language"], goal=goal
        )
        output: Path = options["output"]
        output.write_bytes(content)
        self.stdout.write(
            _("Wrote %(path)s (%(size)s bytes).") % {"path": output, "size": f"{len(content):,}"}
        )
