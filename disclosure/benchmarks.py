"""Benchmarks: the figures of a library indicator side by side, institution by institution and
year by year, with the median of the institutions that share it.

An institution shares an indicator by marking its adoption ``benchmarked``; only then do its
figures show here, and only then does it see the others' (an administrator, who reaches every
institution, sees every shared table). The figures are the disclosed ones (``figures``): an
actual of a year with a reporting cycle shows once approved. Five queries, whatever the number
of institutions, indicators and years.
"""

from collections import defaultdict
from decimal import Decimal
from statistics import median

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.fiscal import fiscal_year_label
from disclosure.figures import disclosed_figures
from policies.models import Indicator, LibraryIndicator
from portfolio.dashboards.cache import cached_dashboard
from portfolio.dashboards.filters import read_filters
from portfolio.dashboards.hooks import add_header_link
from portfolio.dashboards.tables import Table
from portfolio.dashboards.views import dashboard, respond
from units.roles import DASHBOARDS


def shared_indicators() -> list[Indicator]:
    """Every adoption shared in benchmarks, of an institution that takes part."""
    return list(
        Indicator.objects.filter(benchmarked=True, library__isnull=False)
        .select_related("library", "goal__framework__institution")
        .order_by("library__order", "library__code", "goal__framework__institution__code")
    )


def benchmark_tables(shared: list[Indicator], reader_institutions, everything: bool) -> list:
    """One table per library indicator that the reader's institution shares (every shared one
    for an administrator): a row per sharing institution, a column per year, and the median."""
    by_library: dict[LibraryIndicator, list[Indicator]] = defaultdict(list)
    for indicator in shared:
        by_library[indicator.library].append(indicator)
    taking_part = {
        library: adoptions
        for library, adoptions in by_library.items()
        if everything
        or any(a.goal.framework.institution_id in reader_institutions for a in adoptions)
    }
    figures = disclosed_figures([a for adoptions in taking_part.values() for a in adoptions])
    tables = []
    for library, adoptions in taking_part.items():
        actual_of = {
            (a.pk, figure.fiscal_year): figure.actual
            for a in adoptions
            for figure in figures.get(a.pk, [])
            if figure.actual is not None
        }
        years = sorted({year for _pk, year in actual_of})
        rows = [
            [a.goal.framework.institution.shown("name").text]
            + [actual_of.get((a.pk, year), "") for year in years]
            for a in adoptions
        ]
        medians = []
        for year in years:
            values = [actual_of[(a.pk, year)] for a in adoptions if (a.pk, year) in actual_of]
            medians.append(Decimal(median(values)).quantize(Decimal("0.01")))
        rows.append([_("Median of those sharing"), *medians])
        tables.append(
            Table(
                id=f"benchmark-{library.code.lower()}",
                title=f"{library.code} {library.shown('name').text} ({library.get_unit_display()})",
                headers=[_("Institution")] + [fiscal_year_label(year) for year in years],
                rows=rows,
            )
        )
    return tables


@dashboard
def benchmarks(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    access = filters.access
    tables = benchmark_tables(shared_indicators(), access.institution_ids, access.everything)
    return respond(request, "disclosure/benchmarks.html", {"filters": filters, "tables": tables})


urlpatterns = [path("benchmarks/", cached_dashboard(benchmarks, across=True), name="benchmarks")]


def reads_dashboards(user) -> bool:
    return user.has_perm(DASHBOARDS)


def register() -> None:
    add_header_link(gettext_lazy("Benchmarks"), "disclosure:benchmarks", reads_dashboards)
