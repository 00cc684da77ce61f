"""Leadership dashboards: read-only pages of how each mission and policy is being pursued.

Every figure comes from an aggregate in the database (``portfolio.dashboards.selectors`` and
the QuerySets below); each page issues a fixed number of queries, whatever the number of rows.
Every table can be downloaded as CSV (``?csv=<table id>``) with the page's filters, written by
the product's one writer (``common.writing``). A filter's value in the URL that names nothing
(a fiscal year out of the years offered, an unknown unit) is ignored, never an error.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Min, Model, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_countries import countries

from common.access import Access, access_for, reach_of, readable_history
from common.bilingual import pick
from common.fiscal import current_fiscal_year, fiscal_today
from common.fiscal import fiscal_year_label as fy_label
from common.roles import DASHBOARDS
from common.writing import write_table
from policies.models import Alignment, Framework, Goal, IndicatorValue
from portfolio.dashboards.selectors import (
    HEALTHS,
    STATUSES,
    Scope,
    compute,
    flatten,
    goal_trees,
    serving,
)
from portfolio.models import (
    Activity,
    ActivityType,
    Agreement,
    Health,
    Initiative,
    InitiativeStatus,
    PartnerInstitution,
    ProgressUpdate,
)
from units.models import Institution, Region, Unit

EXPIRY_WARNING_DAYS = 180
LIST_LIMIT = 200


def dashboard(view):
    """A page for signed-in readers who may read the dashboards, of the institutions in reach."""

    read_only = require_safe(view)

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(DASHBOARDS):
            raise PermissionDenied
        return read_only(request, *args, **kwargs)

    return guarded


def reachable(request: HttpRequest, model: type[Model]) -> QuerySet:
    """The records of ``model`` that the reader's institutions hold."""
    return model.objects.filter(access_for(request.user).visible(model.reach))


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


def initiative_link(initiative: Initiative) -> Link:
    return Link(initiative.code, reverse("dashboards:initiative", args=[initiative.pk]))


@dataclass
class Filters:
    fiscal_year: int
    institution: Institution | None
    unit: Unit | None
    status: str
    region: Region | None
    years: list[int]
    institutions: list[Institution]
    regions: list[Region]
    units: list[Unit]
    access: Access

    @property
    def compared(self) -> "Compared":
        """What the figures of the chosen year are set against, as the pages label it."""
        return Compared.of(self.scope())

    def scope(self) -> Scope:
        return Scope(
            institution_ids=None if self.access.everything else self.access.institution_ids,
            fiscal_year=self.fiscal_year,
            institution_id=self.institution.pk if self.institution else None,
            unit_id=self.unit.pk if self.unit else None,
            status=self.status or None,
            countries=[c.code for c in self.region.countries] if self.region else None,
            today=fiscal_today(),
        )


@dataclass
class Compared:
    """The labels of the chosen year's figures and of those of the year before.

    While the chosen year runs, both cover the year up to the same day (``FY2026 to December 1``
    against ``FY2025 to December 1``); a year that is over is set against the whole year before.
    """

    this: str
    before: str
    so_far: bool

    @classmethod
    def of(cls, scope: Scope) -> "Compared":
        fy, cutoff = scope.fiscal_year, scope.year_so_far
        if cutoff is None:
            return cls(fy_label(fy), fy_label(fy - 1), so_far=False)
        day = date_format(cutoff, "MONTH_DAY_FORMAT")
        return cls(
            _("%(fy)s to %(day)s") % {"fy": fy_label(fy), "day": day},
            _("%(fy)s to %(day)s") % {"fy": fy_label(fy - 1), "day": day},
            so_far=True,
        )


def read_filters(request: HttpRequest) -> Filters:
    """The filters in the URL, so that a filtered page can be bookmarked and shared."""
    current = current_fiscal_year()
    # Two index look-ups: SQLite reads MIN and MAX from an index only one at a time.
    years = Activity.objects.order_by().values_list("fiscal_year", flat=True)
    first = min(years.aggregate(first=Min("fiscal_year"))["first"] or current, current)
    # A year with indicator figures and no activity is offered too.
    measured = IndicatorValue.objects.order_by().aggregate(first=Min("fiscal_year"))["first"]
    first = min(first, measured or first)
    last = max(years.aggregate(last=Max("fiscal_year"))["last"] or current, current)
    access = access_for(request.user)
    institutions = list(
        Institution.objects.filter(access.visible(Institution.reach)).order_by("code")
    )
    regions = list(Region.objects.all())
    institution = next((i for i in institutions if i.code == request.GET.get("institution")), None)
    region = next((r for r in regions if r.code == request.GET.get("region")), None)
    units = list(
        Unit.objects.filter(access.visible(Unit.reach))
        .select_related("institution")
        .order_by("institution__code", "name")
    )
    unit = next((u for u in units if str(u.pk) == request.GET.get("unit")), None)
    status = request.GET.get("status", "")
    return Filters(
        fiscal_year=chosen_year(request.GET.get("fy", ""), first, last, current),
        institution=institution,
        unit=unit,
        status=status if status in InitiativeStatus.values else "",
        region=region,
        years=list(range(last, first - 1, -1)),
        institutions=institutions,
        regions=regions,
        units=units,
        access=access,
    )


def chosen_year(typed: str, first: int, last: int, current: int) -> int:
    """The fiscal year asked for, if it is one the filter offers; else the current one.

    The filter offers the years from the first activity's to the later of the last one's and the
    current year. Anything else (``abc``, ``-5``, ``2025.5``, a year of twenty digits, which no
    database column holds) is not a year of these records: the page shows the current year, as
    the filter then says. A year has four digits at most (as a date's does), so no typed string
    is ever too long for ``int``.
    """
    if typed.isascii() and typed.isdigit() and len(typed) <= 4 and first <= int(typed) <= last:
        return int(typed)
    return current


def respond(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The page, or one of its tables as CSV (UTF-8 with BOM, so Excel reads it).

    The CSV starts with the filters it was made with, one ``# …`` line each, and a blank line
    before the header row, so that a file passed on says which figures it holds.
    """
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in context["tables"] if t.id == wanted), None)
        if table is not None:
            # The product's one writer: text a spreadsheet would run as a formula gets a "'".
            response = HttpResponse(
                write_table(
                    "csv", table.headers, table.rows, notes=filter_notes(context["filters"])
                ),
                content_type="text/csv; charset=utf-8",
            )
            name = download_name(request.resolver_match.url_name, context, table)
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
    query = request.GET.copy()
    query.pop("csv", None)
    context["query"] = query.urlencode()
    context["status_choices"] = InitiativeStatus.choices
    return render(request, template, context)


def filter_notes(filters: Filters) -> list[str]:
    """The filters a table was made with, as the first lines of its download."""
    everything = _("all")
    status = dict(InitiativeStatus.choices).get(filters.status, everything)
    return [
        f"# {label}: {value}"
        for label, value in (
            (_("fiscal year"), fy_label(filters.fiscal_year)),
            (_("institution"), filters.institution or everything),
            (_("unit"), filters.unit or everything),
            (_("status"), status),
            (_("region"), filters.region or everything),
        )
    ]


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


@dataclass
class Change:
    """One line of a page's recent changes: one save of a record, or one load of many."""

    newest: Model
    oldest: Model
    records: set = field(default_factory=set)
    # The reason given, from whichever of the change's rows carries one.
    reason: str = ""
    # The rows read ran out inside this change: it holds at least ``records`` records.
    cut: bool = False

    @classmethod
    def starting(cls, row: Model) -> "Change":
        return cls(row, row, {row.id}, row.history_change_reason or "")

    @property
    def date(self) -> dt.datetime:
        return self.newest.history_date

    @property
    def user(self):
        return self.newest.history_user

    @property
    def loaded(self) -> bool:
        """Many records written together (an import, the demo data set): one entry."""
        return len(self.records) > 1

    @property
    def kind(self) -> str:
        """Created, changed or deleted, for the save as a whole."""
        if self.newest.history_type == "-":
            return self.newest.get_history_type_display()
        return self.oldest.get_history_type_display()

    @property
    def record(self) -> Model:
        return self.newest.history_object

    @property
    def url(self) -> str:
        """The dashboard page of the record changed, where it has one and still exists."""
        if self.newest.instance_type is Initiative and self.newest.history_type != "-":
            return reverse("dashboards:initiative", args=[self.newest.id])
        return ""

    @property
    def summary(self) -> str:
        """``300 activities`` (``300 or more`` where the rows read ran out first)."""
        opts = self.newest.instance_type._meta
        count = len(self.records)
        name = opts.verbose_name if count == 1 else opts.verbose_name_plural
        if self.cut:
            return _("%(count)s or more %(records)s") % {"count": count, "records": name}
        return f"{count} {name}"

    def takes(self, row: Model) -> bool:
        """Whether ``row`` (the next older one) belongs to the same save or the same load.

        The rows of one save (its fields, then each list of links) follow each other within
        ``CHANGE_GAP``, by one author; so do a load's, of many records, for one reason.
        """
        if row.author_key != self.oldest.author_key:
            return False
        if self.oldest.history_date - row.history_date > CHANGE_GAP:
            return False
        reason = row.history_change_reason or ""
        return row.id == self.oldest.id or reason == self.reason or not (reason and self.reason)

    def add(self, row: Model) -> None:
        self.oldest = row
        self.records.add(row.id)
        self.reason = self.reason or row.history_change_reason or ""


# Rows of one save are written within milliseconds; a load's within a few of each other.
CHANGE_GAP = dt.timedelta(seconds=2)
# History rows read for a page's recent changes: one query, however many rows a load wrote.
CHANGE_ROWS_READ = 500


def recent_changes(filters: Filters, history: QuerySet, limit: int = 10) -> list[Change]:
    """The newest changes of a history, one line per save of a record and one per load of many,
    as the reader may read them (``readable_history``).

    A bounded number of the newest rows is read in one query and grouped here: a save that
    wrote several rows (its fields, then each list of links) is one line, and so are the
    hundreds of rows an import or the demo data set wrote at once.
    """
    # Grouped by who wrote them, though an author of another institution is not named.
    rows = readable_history(filters.access, history.annotate(author_key=F("history_user_id")))
    newest = list(
        rows.select_related("history_user").order_by("-history_date", "-history_id")[
            :CHANGE_ROWS_READ
        ]
    )
    changes: list[Change] = []
    for row in newest:
        if changes and changes[-1].takes(row):
            changes[-1].add(row)
        elif len(changes) == limit:
            break
        else:
            changes.append(Change.starting(row))
    else:
        if changes and len(newest) == CHANGE_ROWS_READ:
            changes[-1].cut = True
    return changes


def figure_rows(nodes) -> list[list[object]]:
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


@dashboard
def overview(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    frameworks = list(
        reachable(request, Framework)
        .select_related("institution")
        .order_by("institution__code", "code")
    )
    if filters.institution:
        frameworks = [f for f in frameworks if f.institution_id == filters.institution.pk]
    _nodes, roots = goal_trees(Goal.objects.filter(framework__in=frameworks))
    compute(roots, filters.scope())
    panels = [
        {"framework": framework, "goals": [r for r in roots if r.framework_id == framework.pk]}
        for framework in frameworks
    ]
    tables = [
        Table(
            f"framework-{p['framework'].pk}",
            str(p["framework"]),
            figure_headers(filters),
            figure_rows(p["goals"]),
            about=p["framework"],
        )
        for p in panels
    ]
    changes = recent_changes(
        filters, Initiative.history.filter(institution__in=[f.institution_id for f in frameworks])
    )
    return respond(
        request,
        "portfolio/overview.html",
        {
            "filters": filters,
            "panels": panels,
            "tables": tables,
            "changes": changes,
            "frameworks": frameworks,
        },
    )


@dashboard
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = read_filters(request)
    framework = get_object_or_404(
        reachable(request, Framework).select_related("institution"), pk=pk
    )
    _nodes, roots = goal_trees(framework.goals.all())
    ordered = flatten(roots)
    compute(ordered, filters.scope())
    table = Table(
        "goals",
        _("%(framework)s: every goal") % {"framework": framework},
        figure_headers(filters),
        figure_rows(ordered),
    )
    changes = recent_changes(filters, Goal.history.filter(framework_id=framework.pk))
    return respond(
        request,
        "portfolio/framework.html",
        {
            "filters": filters,
            "framework": framework,
            "nodes": ordered,
            "tables": [table],
            "changes": changes,
        },
    )


def indicator_table(title: str, values, *, with_goal: bool) -> Table:
    """Each indicator's target and actual per fiscal year, and whether it was on track; with
    the goal's code where the values are of several goals (``indicator__goal`` selected)."""
    on_track = {True: _("yes"), False: _("no"), None: ""}
    goal = [_("goal")] if with_goal else []
    return Table(
        "indicators",
        title,
        [_("indicator"), *goal, _("fiscal year"), _("target"), _("actual"), _("on track")],
        [
            [
                str(v.indicator),
                *([v.indicator.goal.code] if with_goal else []),
                fy_label(v.fiscal_year),
                v.target,
                v.actual,
                on_track[v.indicator.on_track(v.target, v.actual)],
            ]
            for v in values
        ],
    )


@dashboard
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = read_filters(request)
    goal = get_object_or_404(
        reachable(request, Goal).select_related("framework__institution", "parent"),
        pk=pk,
    )
    nodes, _roots = goal_trees(goal.framework.goals.all())
    node = nodes[goal.pk]
    compute([node], filters.scope())
    scope, fy = filters.scope(), filters.fiscal_year
    initiatives = list(
        scope.initiatives()
        .filter(pk__in=serving(node.subtree))
        .select_related("lead_unit")
        .order_by("code")[:LIST_LIMIT]
    )
    activities = scope.activities().filter(initiative_id__in=serving(node.subtree))
    by_year = (
        activities.values("fiscal_year")
        .annotate(
            n=Count("*"),
            inbound=Sum("inbound_participants"),
            outbound=Sum("outbound_participants"),
        )
        .order_by("fiscal_year")
    )
    by_type = (
        activities.filter(fiscal_year=fy)
        .values("activity_type")
        .annotate(n=Count("*"))
        .order_by("-n")
    )
    values = (
        IndicatorValue.objects.filter(indicator__goal_id__in=node.subtree)
        .select_related("indicator")
        .order_by("indicator__code", "fiscal_year")
    )
    units = Unit.objects.filter(
        Q(pk__in=Goal.units.through.objects.filter(goal_id__in=node.subtree).values("unit_id"))
        | Q(pk__in=scope.initiatives().filter(pk__in=serving(node.subtree)).values("lead_unit_id"))
        | Q(
            pk__in=Initiative.contributing_units.through.objects.filter(
                initiative_id__in=serving(node.subtree)
            ).values("unit_id")
        )
    ).order_by("name")
    # Strategy documents are public: every goal aligned with this one is named, with its
    # framework; only those of the reader's institutions link to their pages.
    crosswalk = aligned_goals(request, goal)
    type_labels = dict(ActivityType.choices)
    tables = [
        Table(
            "initiatives",
            _("Initiatives"),
            [_("code"), _("title"), _("status"), _("health"), _("lead unit"), _("start"), _("end")],
            [
                [
                    initiative_link(i),
                    i.shown("title").text,
                    i.get_status_display(),
                    i.get_health_display(),
                    str(i.lead_unit) if i.lead_unit else "",
                    i.start_date,
                    i.end_date,
                ]
                for i in initiatives
            ],
        ),
        Table(
            "activities-by-year",
            _("Activities by fiscal year"),
            [_("fiscal year"), _("activities"), _("inbound"), _("outbound")],
            [[fy_label(r["fiscal_year"]), r["n"], r["inbound"], r["outbound"]] for r in by_year],
            chart="bar",
        ),
        Table(
            "activities-by-type",
            _("Activities by type, %(fy)s") % {"fy": fy_label(fy)},
            [_("type"), _("activities")],
            [[type_labels.get(r["activity_type"], r["activity_type"]), r["n"]] for r in by_type],
            chart="bar",
        ),
        indicator_table(_("Indicators: target and actual"), values, with_goal=False),
        Table(
            "units",
            _("Contributing units"),
            [_("unit"), _("kind")],
            [[str(u), u.get_kind_display()] for u in units],
        ),
    ]
    changes = recent_changes(
        filters,
        Initiative.history.filter(
            id__in=Initiative.goals.through.objects.filter(goal_id__in=node.subtree).values(
                "initiative_id"
            )
        ),
    )
    return respond(
        request,
        "portfolio/goal.html",
        {
            "filters": filters,
            "goal": goal,
            "node": node,
            "tables": tables,
            "crosswalk": crosswalk,
            "initiatives": initiatives,
            "units": units,
            "changes": changes,
            "children": node.children,
        },
    )


@dashboard
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = read_filters(request)
    unit = get_object_or_404(
        reachable(request, Unit).select_related("institution", "region", "parent"),
        pk=pk,
    )
    fy = filters.fiscal_year
    goals = list(unit.goals.select_related("framework").order_by("framework__code", "code"))
    initiatives = list(
        filters.scope()
        .in_year(Initiative.objects.filter(Q(lead_unit=unit) | Q(contributing_units=unit)))
        .distinct()
        .select_related("lead_unit")
        .order_by("code")[:LIST_LIMIT]
    )
    activities = Activity.objects.filter(unit=unit)
    if filters.region:
        activities = activities.filter(country__in=[c.code for c in filters.region.countries])
    by_country = (
        activities.filter(fiscal_year=fy)
        .values("country")
        .annotate(
            n=Count("*"),
            inbound=Sum("inbound_participants"),
            outbound=Sum("outbound_participants"),
            partners=Count("partner", distinct=True),
        )
        .order_by("-n", "country")
    )
    by_year = activities.values("fiscal_year").annotate(n=Count("*")).order_by("fiscal_year")
    soon = timezone.localdate() + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    agreements = list(
        Agreement.objects.filter(unit=unit).select_related("partner").order_by("expires_on")
    )
    for agreement in agreements:
        agreement.expiring = bool(
            agreement.expires_on and timezone.localdate() <= agreement.expires_on <= soon
        )
        agreement.expired = bool(
            agreement.expires_on and agreement.expires_on < timezone.localdate()
        )
    names = dict(countries)
    tables = [
        Table(
            "activities-by-country",
            _("Activities by country, %(fy)s") % {"fy": fy_label(fy)},
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
        Table(
            "activities-by-year",
            _("Activities by fiscal year"),
            [_("fiscal year"), _("activities")],
            [[fy_label(r["fiscal_year"]), r["n"]] for r in by_year],
            chart="bar",
        ),
        Table(
            "agreements",
            _("Agreements"),
            [_("partner"), _("kind"), _("signed"), _("expires"), _("expires within 180 days")],
            [
                [
                    a.partner.shown("name").text,
                    a.get_kind_display(),
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
                    initiative_link(i),
                    i.shown("title").text,
                    i.get_status_display(),
                    i.get_health_display(),
                    str(i.lead_unit) if i.lead_unit else "",
                ]
                for i in initiatives
            ],
        ),
    ]
    changes = recent_changes(filters, Activity.history.filter(unit_id=unit.pk))
    return respond(
        request,
        "portfolio/unit.html",
        {
            "filters": filters,
            "unit": unit,
            "goals": goals,
            "initiatives": initiatives,
            "tables": tables,
            "changes": changes,
        },
    )


def aligned_goals(request: HttpRequest, goal: Goal) -> list[dict]:
    """The goals aligned with ``goal``, each with its note and whether the reader may open it."""
    aligned = Alignment.objects.filter(Q(source=goal) | Q(target=goal)).select_related(
        "source__framework__institution", "target__framework__institution"
    )
    readable = set(reachable(request, Framework).values_list("pk", flat=True))
    items = []
    for alignment in aligned:
        other = alignment.target if alignment.source_id == goal.pk else alignment.source
        items.append(
            {"goal": other, "note": alignment.note, "linked": other.framework_id in readable}
        )
    return items


def crosswalk_frameworks(request: HttpRequest) -> tuple[list[Framework], list[Framework]]:
    """The frameworks a reader may put in rows (their institutions') and in columns (those,
    and every framework a goal of theirs is aligned with: strategy documents are public)."""
    own = reachable(request, Framework)
    own_goals = Goal.objects.filter(framework__in=own)
    aligned = Goal.objects.filter(
        Q(alignments_in__source__in=own_goals) | Q(alignments_out__target__in=own_goals)
    )
    columns = list(
        Framework.objects.filter(Q(pk__in=own.values("pk")) | Q(goals__in=aligned))
        .distinct()
        .select_related("institution")
        .order_by("id")
    )
    own_ids = set(own.values_list("pk", flat=True))
    return [f for f in columns if f.pk in own_ids], columns


@dashboard
def crosswalk(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    frameworks, others = crosswalk_frameworks(request)
    readable = {f.pk for f in frameworks}
    rows_by_id = {str(f.pk): f for f in frameworks}
    rows_fw = rows_by_id.get(request.GET.get("a", ""), frameworks[0] if frameworks else None)
    cols_by_id = {str(f.pk): f for f in others if f != rows_fw}
    cols_fw = cols_by_id.get(request.GET.get("b", ""), next(iter(cols_by_id.values()), None))
    matrix, tables, col_nodes = [], [], []
    if rows_fw and cols_fw:
        nodes, _roots = goal_trees(Goal.objects.filter(framework__in=[rows_fw, cols_fw]))
        row_nodes = [n for n in nodes.values() if n.framework_id == rows_fw.pk and n.depth == 0]
        b_nodes = [n for n in nodes.values() if n.framework_id == cols_fw.pk]
        # The columns are the other framework's most detailed goals (TMU's directions).
        col_nodes = [n for n in b_nodes if n.depth > 0 and not n.children] or [
            n for n in b_nodes if n.depth == 0
        ]
        matrix = crosswalk_cells(row_nodes, col_nodes, filters.scope())
        for node in col_nodes:
            node.readable = node.framework_id in readable
        tables = [
            Table(
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
        ]
    own_goals = Goal.objects.filter(framework__in=frameworks)
    changes = recent_changes(
        filters,
        Alignment.history.filter(Q(source_id__in=own_goals) | Q(target_id__in=own_goals)),
    )
    return respond(
        request,
        "portfolio/crosswalk.html",
        {
            "filters": filters,
            "frameworks": frameworks,
            "column_frameworks": [f for f in others if f != rows_fw],
            "rows_fw": rows_fw,
            "cols_fw": cols_fw,
            "col_nodes": col_nodes,
            "matrix": matrix,
            "tables": tables,
            "changes": changes,
        },
    )


def crosswalk_cells(row_nodes, col_nodes, scope: Scope) -> list[dict]:
    """Per pair of goals: alignments between their subtrees, and initiatives on common ground.

    Initiatives on common ground serve both goals (frameworks of one institution) or, where the
    two goals are aligned, either of them. Two queries for the whole matrix.
    """
    pairs = [(r, c) for r in row_nodes for c in col_nodes]
    alignments = Alignment.objects.aggregate(
        **{
            f"a{r.id}_{c.id}": Count(
                "pk",
                filter=(
                    Q(source_id__in=r.subtree, target_id__in=c.subtree)
                    | Q(source_id__in=c.subtree, target_id__in=r.subtree)
                ),
            )
            for r, c in pairs
        }
    )
    both = scope.initiatives().aggregate(
        **{
            f"b{r.id}_{c.id}": Count(
                "pk", filter=Q(pk__in=serving(r.subtree)) & Q(pk__in=serving(c.subtree))
            )
            for r, c in pairs
        }
        | {
            f"e{r.id}_{c.id}": Count(
                "pk", filter=Q(pk__in=serving(r.subtree)) | Q(pk__in=serving(c.subtree))
            )
            for r, c in pairs
        }
    )
    matrix = []
    for r in row_nodes:
        cells = []
        for c in col_nodes:
            aligned = alignments[f"a{r.id}_{c.id}"]
            initiatives = both[f"e{r.id}_{c.id}"] if aligned else both[f"b{r.id}_{c.id}"]
            cells.append({"col": c, "alignments": aligned, "initiatives": initiatives})
        matrix.append({"node": r, "cells": cells})
    return matrix


@dataclass
class Tally:
    """Activities, participants and distinct partners of a country or a region."""

    activities: int = 0
    inbound: int = 0
    outbound: int = 0
    partners: set = field(default_factory=set)

    def add(self, row: dict) -> None:
        self.activities += row["n"]
        self.inbound += row["inbound"] or 0
        self.outbound += row["outbound"] or 0
        if row["partner_id"] is not None:
            self.partners.add(row["partner_id"])

    @property
    def figures(self) -> list[int]:
        return [self.activities, self.inbound, self.outbound, len(self.partners)]


@dashboard
def regions(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    scope, fy = filters.scope(), filters.fiscal_year
    # One scan, grouped by country and partner: few rows (a partner is mostly in one country),
    # from which the countries' and the regions' figures follow without counting a partner twice.
    pairs = (
        scope.activities()
        .filter(fiscal_year=fy)
        .values("country", "partner_id")
        .annotate(
            n=Count("*"),
            inbound=Sum("inbound_participants"),
            outbound=Sum("outbound_participants"),
        )
        .order_by()
    )
    # Each country falls under the first region (overseas centers' first) that holds it.
    region_of: dict[str, str] = {}
    for region in reversed(filters.regions):
        for country in region.countries:
            region_of[country.code] = region.code
    by_country: dict[str, Tally] = {}
    by_region: dict[str, Tally] = {}
    for row in pairs:
        for key, totals in (
            (row["country"], by_country),
            (region_of.get(row["country"]), by_region),
        ):
            totals.setdefault(key, Tally()).add(row)
    region_names = {region.code: str(region) for region in filters.regions}
    other = _("Other countries")
    names = dict(countries)
    tables = [
        Table(
            "regions",
            _("Regions, %(fy)s") % {"fy": fy_label(fy)},
            [_("region"), _("activities"), _("inbound"), _("outbound"), _("partners")],
            [
                [region_names.get(code, other), *by_region.get(code, Tally()).figures]
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
                    region_names.get(region_of.get(country), other),
                    *reach.figures,
                ]
                for country, reach in sorted(
                    by_country.items(), key=lambda item: (-item[1].activities, item[0] or "")
                )
            ],
        ),
    ]
    changes = recent_changes(filters, PartnerInstitution.history.all())
    return respond(
        request,
        "portfolio/regions.html",
        {"filters": filters, "tables": tables, "changes": changes},
    )


def status_over_time(rows) -> list[list[object]]:
    """From an initiative's history (newest first): the day of each change of status or health."""
    statuses, healths = dict(InitiativeStatus.choices), dict(Health.choices)
    shown: list[list[object]] = []
    for date, status, health in reversed(rows):
        state = [statuses.get(status, status), healths.get(health, health)]
        if not shown or shown[-1][1:] != state:
            shown.append([timezone.localdate(date), *state])
    return shown


@dashboard
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One initiative: what it pursues, who carries it, what it did, and how it has gone.

    The activities follow the region and unit filters and the fiscal year (their list, bounded,
    is of that year; their counts are of every year); the status and health are the record's
    own, so the status filter does not apply here.
    """
    filters = read_filters(request)
    access, fy = filters.access, filters.fiscal_year
    initiative = get_object_or_404(
        reachable(request, Initiative).select_related("institution", "lead_unit", "owner"), pk=pk
    )
    history = readable_history(access, Initiative.history.filter(id=initiative.pk))
    states = history.order_by("-history_date", "-history_id").values_list(
        "history_date", "status", "health"
    )[:LIST_LIMIT]
    goals = list(
        reachable(request, Goal)
        .filter(initiatives=initiative)
        .select_related("framework")
        .order_by("framework__code", "code")
    )
    units = list(
        reachable(request, Unit).filter(contributed_initiatives=initiative).order_by("name")
    )
    partners = PartnerInstitution.objects.filter(
        access.visible(reach_of(PartnerInstitution)), initiatives=initiative
    ).order_by("name")
    activities = reachable(request, Activity).filter(initiative=initiative)
    if filters.region:
        activities = activities.filter(country__in=[c.code for c in filters.region.countries])
    if filters.unit:
        activities = activities.filter(unit=filters.unit)
    by_year = list(
        activities.values("fiscal_year")
        .annotate(
            n=Count("*"),
            inbound=Sum("inbound_participants"),
            outbound=Sum("outbound_participants"),
        )
        .order_by("fiscal_year")
    )
    listed = list(
        activities.filter(fiscal_year=fy)
        .select_related("partner", "unit")
        .order_by("-start_date", "external_ref")[:LIST_LIMIT]
    )
    values = (
        IndicatorValue.objects.filter(
            access.visible(IndicatorValue.reach), indicator__goal__in=[g.pk for g in goals]
        )
        .select_related("indicator__goal")
        .order_by("indicator__goal__code", "indicator__code", "fiscal_year")[:LIST_LIMIT]
    )
    updates = list(
        reachable(request, ProgressUpdate)
        .filter(initiative=initiative)
        .select_related("author")
        .order_by("-fiscal_year", "-quarter")[:LIST_LIMIT]
    )
    type_labels, names = dict(ActivityType.choices), dict(countries)
    in_year = next((r["n"] for r in by_year if r["fiscal_year"] == fy), 0)
    tables = [
        Table(
            "status",
            _("Status and health over time"),
            [_("from"), _("status"), _("health")],
            status_over_time(list(states)),
        ),
        Table(
            "activities-by-year",
            _("Activities by fiscal year"),
            [_("fiscal year"), _("activities"), _("inbound"), _("outbound")],
            [[fy_label(r["fiscal_year"]), r["n"], r["inbound"], r["outbound"]] for r in by_year],
            chart="bar",
        ),
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
    changes = recent_changes(filters, Initiative.history.filter(id=initiative.pk))
    return respond(
        request,
        "portfolio/initiative.html",
        {
            "filters": filters,
            "initiative": initiative,
            "goals": goals,
            "units": units,
            "partners": partners,
            "updates": updates,
            "tables": tables,
            "changes": changes,
        },
    )
