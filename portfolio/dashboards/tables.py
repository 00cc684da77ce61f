"""The tables the dashboards show, each downloadable as CSV with the page's filters.

A table is built from what the selectors read and holds plain values (and ``Link`` cells the page
shows as links); its download is written by the product's one writer (``imports.writing``), which
escapes text a spreadsheet would run as a formula, and named after what it holds.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Model
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries import countries

from common.bilingual import pick
from common.fiscal import fiscal_year_label as fy_label
from imports.writing import write_table
from policies.models import Framework, Goal, IndicatorValue
from portfolio.dashboards.filters import Filters, filter_notes
from portfolio.dashboards.selectors import Node, Tallies, Tally
from portfolio.models import (
    Activity,
    ActivityType,
    Agreement,
    Health,
    Initiative,
    InitiativeStatus,
    ProgressUpdate,
)
from units.models import Unit

STATUSES = list(InitiativeStatus)
HEALTHS = list(Health)


@dataclass
class Table:
    """A table shown on a page and downloadable as CSV; ``chart`` names a chart drawn from it.

    Its download is named after what it holds: the codes of the record it is about (``about``,
    where that is not the page's own record, as the overview's table of one framework), the page,
    the table (unless ``about`` names it) and the fiscal year.
    """

    id: str
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    chart: str = ""
    about: Model | None = None


@dataclass(frozen=True)
class Link:
    """A table cell that links to a page; its download holds the text only."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


def initiative_links(initiatives: Iterable[Initiative]) -> dict[int, Link]:
    """Each initiative's link, the URL reversed once for all of them (a table of hundreds)."""
    sample = reverse("dashboards:initiative", args=[PK_SAMPLE])
    head, _, tail = sample.partition(str(PK_SAMPLE))
    return {i.pk: Link(i.code, f"{head}{i.pk}{tail}") for i in initiatives}


def download(table: Table, filters: Filters, name: str) -> HttpResponse:
    """A table as CSV (UTF-8 with BOM, so Excel reads it), named ``name``.

    The CSV starts with the filters it was made with, one ``# …`` line each, and a blank line
    before the header row, so that a file passed on says which figures it holds.
    """
    # The product's one writer: text a spreadsheet would run as a formula gets a "'".
    response = HttpResponse(
        write_table("csv", table.headers, table.rows, notes=filter_notes(filters)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def codes_of(record: Model) -> list[str]:
    """The codes that name a record in a file name: its institution's first."""
    if isinstance(record, Framework):
        return [record.institution.code, record.code]
    if isinstance(record, Goal):
        return [*codes_of(record.framework), record.code]
    if isinstance(record, Unit | Initiative):
        return [record.institution.code, record.code]
    return [getattr(record, "code", str(record))]


def download_name(page: str, context: dict, table: Table) -> str:
    """``ku-iso-ku-overview-fy2025``: what a table holds, in ASCII, without a path's signs."""
    filters = context["filters"]
    about = table.about or next(
        (context[key] for key in ("initiative", "goal", "unit", "framework") if context.get(key)),
        None,
    )
    if about is not None:
        parts = codes_of(about)
    elif context.get("rows_fw") and context.get("cols_fw"):
        parts = [*codes_of(context["rows_fw"]), *codes_of(context["cols_fw"])]
    else:
        parts = [filters.institution.code] if filters.institution else []
    parts += [page] if table.about else [page, table.id]
    parts.append(f"fy{filters.fiscal_year}")
    # "1.3" is "1-3", not "13"; what ASCII cannot spell (a code in kanji) is left out.
    words = (slugify(re.sub(r"[^\w]+", "-", str(part))) for part in parts)
    return "-".join(dict.fromkeys(word for word in words if word)) or "table"


# --- Figures of goals ----------------------------------------------------------------------------


def figure_rows(nodes: list[Node]) -> list[list[object]]:
    return [
        [
            node.code,
            pick(node.title, node.title_ja).text,
            node.figures["initiatives"],
            *[node.figures["by_status"].get(s.value, 0) for s in STATUSES],
            *[node.figures["by_health"].get(h.value, 0) for h in HEALTHS],
            node.figures["activities_fy"],
            node.figures["activities_prev"],
            node.figures["inbound_fy"],
            node.figures["outbound_fy"],
            node.figures["partners"],
            node.figures["indicators"],
            node.figures["judged"],
            node.figures["on_track"],
            node.figures["measured_fy"],
            node.figures["units"],
        ]
        for node in nodes
    ]


def figure_headers(filters: Filters) -> list[str]:
    compared = filters.compared
    return [
        _("code"),
        _("goal"),
        _("initiatives"),
        *[str(s.label) for s in STATUSES],
        *[str(h.label) for h in HEALTHS],
        _("activities %(fy)s") % {"fy": compared.this},
        _("activities %(fy)s") % {"fy": compared.before},
        _("inbound %(fy)s") % {"fy": compared.this},
        _("outbound %(fy)s") % {"fy": compared.this},
        _("partners engaged"),
        _("indicators"),
        _("indicators judged on their latest actual"),
        _("indicators on track"),
        _("indicators measured in %(fy)s") % {"fy": fy_label(filters.fiscal_year)},
        _("units contributing"),
    ]


def overview_tables(filters: Filters, panels: list[dict]) -> list[Table]:
    """One table per framework, of its missions' figures."""
    return [
        Table(
            f"framework-{p['framework'].pk}",
            str(p["framework"]),
            figure_headers(filters),
            figure_rows(p["goals"]),
            about=p["framework"],
        )
        for p in panels
    ]


def framework_table(filters: Filters, framework: Framework, nodes: list[Node]) -> Table:
    return Table(
        "goals",
        _("%(framework)s: every goal") % {"framework": framework},
        figure_headers(filters),
        figure_rows(nodes),
    )


def indicator_table(title: str, values, *, with_goal: bool) -> Table:
    """Each indicator's target and actual per fiscal year, and whether it was on track; with
    the goal's code where the values are of several goals (``indicator__goal`` selected)."""
    on_track = {True: _("yes"), False: _("no"), None: ""}
    goal = [_("goal")] if with_goal else []
    headers = [_("indicator"), *goal, _("fiscal year"), _("target"), _("actual"), _("on track")]
    return Table(
        "indicators",
        title,
        [*headers, _("actual from")],
        [
            [
                str(v.indicator),
                *([v.indicator.goal.code] if with_goal else []),
                fy_label(v.fiscal_year),
                v.target,
                v.actual,
                on_track[v.indicator.on_track(v.target, v.actual)],
                actual_from(v),
            ]
            for v in values
        ],
    )


def actual_from(value) -> str:
    """Where an actual comes from: the office's own record, or a count the product makes from its
    records (``LibraryIndicator.computation``), or that count overridden, with the reason."""
    library = value.indicator.library
    if library is None or not library.computation:
        return ""
    if value.override_reason.strip():
        return _("overridden: %(reason)s") % {"reason": value.override_reason.strip()}
    return _("computed: %(how)s") % {"how": library.get_computation_display()}


def activities_by_year_table(by_year: Iterable[dict], *, participants: bool = True) -> Table:
    """Activities per fiscal year (``selectors.activities_by_year``), drawn as bars."""
    if participants:
        headers = [_("fiscal year"), _("activities"), _("inbound"), _("outbound")]
        rows = [[fy_label(r["fiscal_year"]), r["n"], r["inbound"], r["outbound"]] for r in by_year]
    else:
        headers = [_("fiscal year"), _("activities")]
        rows = [[fy_label(r["fiscal_year"]), r["n"]] for r in by_year]
    return Table("activities-by-year", _("Activities by fiscal year"), headers, rows, chart="bar")


PK_SAMPLE = 918273645  # a number no other part of the URL holds


# --- A goal's, a unit's and an initiative's page -------------------------------------------------


def choice_labels(model: type[Model], field: str) -> dict:
    """A field's choices as the reader reads them, translated once for a whole table (a model's
    ``get_FOO_display`` builds its dictionary of choices again for every row)."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def goal_tables(
    filters: Filters,
    initiatives: list[Initiative],
    by_year: Iterable[dict],
    by_type: Iterable[dict],
    values: Iterable[IndicatorValue],
    units: Iterable[Unit],
) -> list[Table]:
    type_labels = dict(ActivityType.choices)
    status, health = choice_labels(Initiative, "status"), choice_labels(Initiative, "health")
    kinds, links = choice_labels(Unit, "kind"), initiative_links(initiatives)
    return [
        Table(
            "initiatives",
            _("Initiatives"),
            [_("code"), _("title"), _("status"), _("health"), _("lead unit"), _("start"), _("end")],
            [
                [
                    links[i.pk],
                    i.shown("title").text,
                    status.get(i.status, i.status),
                    health.get(i.health, i.health),
                    str(i.lead_unit) if i.lead_unit else "",
                    i.start_date,
                    i.end_date,
                ]
                for i in initiatives
            ],
        ),
        activities_by_year_table(by_year),
        Table(
            "activities-by-type",
            _("Activities by type, %(fy)s") % {"fy": fy_label(filters.fiscal_year)},
            [_("type"), _("activities")],
            [[type_labels.get(r["activity_type"], r["activity_type"]), r["n"]] for r in by_type],
            chart="bar",
        ),
        indicator_table(_("Indicators: target and actual"), values, with_goal=False),
        Table(
            "units",
            _("Contributing units"),
            [_("unit"), _("kind")],
            [[str(u), kinds.get(u.kind, u.kind)] for u in units],
        ),
    ]


def unit_tables(
    filters: Filters,
    by_country: Iterable[dict],
    by_year: Iterable[dict],
    agreements: list[Agreement],
    initiatives: list[Initiative],
) -> list[Table]:
    names = dict(countries)
    status, health = choice_labels(Initiative, "status"), choice_labels(Initiative, "health")
    kinds, links = choice_labels(Agreement, "kind"), initiative_links(initiatives)
    return [
        Table(
            "activities-by-country",
            _("Activities by country, %(fy)s") % {"fy": fy_label(filters.fiscal_year)},
            [_("country"), _("activities"), _("inbound"), _("outbound"), _("partners")],
            [
                [
                    names.get(r["country"], r["country"] or "—"),
                    r["n"],
                    r["inbound"],
                    r["outbound"],
                    r["partners"],
                ]
                for r in by_country
            ],
            chart="bar",
        ),
        activities_by_year_table(by_year, participants=False),
        Table(
            "agreements",
            _("Agreements"),
            [_("partner"), _("kind"), _("signed"), _("expires"), _("expires within 180 days")],
            [
                [
                    a.partner.shown("name").text,
                    kinds.get(a.kind, a.kind),
                    a.signed_on,
                    a.expires_on,
                    _("expired") if a.expired else (_("yes") if a.expiring else ""),
                ]
                for a in agreements
            ],
        ),
        Table(
            "initiatives",
            _("Initiatives"),
            [_("code"), _("title"), _("status"), _("health"), _("lead unit")],
            [
                [
                    links[i.pk],
                    i.shown("title").text,
                    status.get(i.status, i.status),
                    health.get(i.health, i.health),
                    str(i.lead_unit) if i.lead_unit else "",
                ]
                for i in initiatives
            ],
        ),
    ]


def status_over_time(rows) -> list[list[object]]:
    """From an initiative's history (newest first): the day of each change of status or health."""
    statuses, healths = dict(InitiativeStatus.choices), dict(Health.choices)
    shown: list[list[object]] = []
    for date, status, health in reversed(rows):
        state = [statuses.get(status, status), healths.get(health, health)]
        if not shown or shown[-1][1:] != state:
            shown.append([timezone.localdate(date), *state])
    return shown


def initiative_tables(
    filters: Filters,
    states: list[tuple],
    by_year: list[dict],
    listed: list[Activity],
    values: Iterable[IndicatorValue],
    updates: list[ProgressUpdate],
) -> list[Table]:
    fy = filters.fiscal_year
    type_labels, names = dict(ActivityType.choices), dict(countries)
    in_year = next((r["n"] for r in by_year if r["fiscal_year"] == fy), 0)
    return [
        Table(
            "status",
            _("Status and health over time"),
            [_("from"), _("status"), _("health")],
            status_over_time(states),
        ),
        Table(
            "health",
            _("Health in the published progress updates"),
            [_("quarter"), _("health")],
            [
                [f"{fy_label(u.fiscal_year)} Q{u.quarter}", u.get_health_display()]
                for u in reversed(updates)
            ],
        ),
        activities_by_year_table(by_year),
        Table(
            "activities",
            _("Activities, %(fy)s (%(shown)s of %(count)s)")
            % {"fy": fy_label(fy), "shown": len(listed), "count": in_year},
            [
                _("date"),
                _("title"),
                _("type"),
                _("country"),
                _("partner"),
                _("unit"),
                _("inbound"),
                _("outbound"),
            ],
            [
                [
                    a.start_date,
                    a.title,
                    type_labels.get(a.activity_type, a.activity_type),
                    names.get(a.country.code, a.country.code) if a.country else "",
                    str(a.partner) if a.partner else "",
                    str(a.unit) if a.unit else "",
                    a.inbound_participants,
                    a.outbound_participants,
                ]
                for a in listed
            ],
        ),
        indicator_table(_("Indicators of its goals: target and actual"), values, with_goal=True),
    ]


# --- The crosswalk and the regions ---------------------------------------------------------------


def crosswalk_table(
    rows_fw: Framework, cols_fw: Framework, col_nodes: list[Node], matrix: list[dict]
) -> Table:
    return Table(
        "crosswalk",
        f"{rows_fw} × {cols_fw}",
        [_("goal"), *[n.code for n in col_nodes]],
        [
            [
                row["node"].code,
                *[f"{c['alignments']} / {c['initiatives']}" for c in row["cells"]],
            ]
            for row in matrix
        ],
    )


def region_tables(filters: Filters, tallies: Tallies) -> list[Table]:
    fy = filters.fiscal_year
    region_names = {region.code: str(region) for region in filters.regions}
    other = _("Other countries")
    names = dict(countries)
    return [
        Table(
            "regions",
            _("Regions, %(fy)s") % {"fy": fy_label(fy)},
            [_("region"), _("activities"), _("inbound"), _("outbound"), _("partners")],
            [
                [region_names.get(code, other), *tallies.by_region.get(code, Tally()).figures]
                for code in [*(region.code for region in filters.regions), None]
            ],
            chart="bar",
        ),
        Table(
            "countries",
            _("Countries, %(fy)s") % {"fy": fy_label(fy)},
            [
                _("country"),
                _("region"),
                _("activities"),
                _("inbound"),
                _("outbound"),
                _("partners"),
            ],
            [
                [
                    names.get(country, country or "—"),
                    region_names.get(tallies.region_of.get(country), other),
                    *reach.figures,
                ]
                for country, reach in sorted(
                    tallies.by_country.items(),
                    key=lambda item: (-item[1].activities, item[0] or ""),
                )
            ],
        ),
    ]
