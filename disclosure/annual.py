"""The annual report's download: a PDF of one institution's goals in a fiscal year, or of one goal
and the goals below it (``report.py`` builds it).

For signed-in readers of the dashboards (``units.view_dashboards``) whose scope reaches the
institution, as the dashboards' pages are: another institution's report, or a goal of another
institution, is not found (404), whoever asks. The report is in the language that
``?language=en`` or ``?language=ja`` names; without it (or with another value), in the reader's
active language (the one the site's language switcher sets).

- ``annual-report/<institution id>/<fiscal year>.pdf``
- ``annual-report/<institution id>/<fiscal year>/goals/<goal id>.pdf``

The dashboards' overview links to each institution's report of the year it shows, in both
languages (``overview_links``, registered as the overview's panel when this module is imported by
``apps.py``).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from common.access import access_for
from common.bilingual import reader_language
from disclosure.report import LANGUAGES, annual_report_pdf, report_name
from policies.models import Goal
from portfolio.dashboards.filters import Filters
from portfolio.dashboards.hooks import add_panel
from portfolio.dashboards.views import dashboard
from units.models import Institution

# The years a report may be asked for: a year of four digits, as the dashboards' filter's.
FIRST_YEAR, LAST_YEAR = 1900, 9999


def pdf_response(content: bytes, name: str) -> HttpResponse:
    """The PDF as a download named ``name``, as every file the product sends."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def report_language(request: HttpRequest) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in LANGUAGES else reader_language()


def reader_filters(request: HttpRequest, fiscal_year: int) -> Filters:
    if not FIRST_YEAR <= fiscal_year <= LAST_YEAR:
        raise Http404
    return Filters(fiscal_year=fiscal_year, access=access_for(request.user))


@dashboard
def institution_report(request: HttpRequest, institution: int, fiscal_year: int) -> HttpResponse:
    filters = reader_filters(request, fiscal_year)
    found = get_object_or_404(filters.reachable(Institution), pk=institution)
    language = report_language(request)
    content = annual_report_pdf(found, fiscal_year, language=language, access=filters.access)
    return pdf_response(content, report_name(found, fiscal_year, language))


@dashboard
def goal_report(
    request: HttpRequest, institution: int, fiscal_year: int, goal: int
) -> HttpResponse:
    filters = reader_filters(request, fiscal_year)
    found = get_object_or_404(filters.reachable(Institution), pk=institution)
    chosen = get_object_or_404(
        filters.reachable(Goal).select_related("framework"),
        pk=goal,
        framework__institution=found,
    )
    language = report_language(request)
    content = annual_report_pdf(
        found, fiscal_year, language=language, access=filters.access, goal=chosen
    )
    return pdf_response(content, report_name(found, fiscal_year, language, chosen))


def overview_links(filters: Filters, **records) -> dict | None:
    """The reports of the year the overview shows: of the institution chosen, else of each in
    the reader's reach (what the filter offers, read already: no query)."""
    institutions = [filters.institution] if filters.institution else filters.institutions
    reports = [
        {
            "institution": institution,
            "url": reverse("disclosure:annual_report", args=[institution.pk, filters.fiscal_year]),
        }
        for institution in institutions
    ]
    return {"reports": reports, "fiscal_year": filters.fiscal_year} if reports else None


add_panel("overview", "disclosure/_annual_report_link.html", overview_links)

urlpatterns: list = [
    path(
        "annual-report/<int:institution>/<int:fiscal_year>.pdf",
        institution_report,
        name="annual_report",
    ),
    path(
        "annual-report/<int:institution>/<int:fiscal_year>/goals/<int:goal>.pdf",
        goal_report,
        name="annual_report_goal",
    ),
]
