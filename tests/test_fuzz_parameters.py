"""No query parameter, however hostile, makes a page fail (an answer of 500).

Every dashboard page and every changelist of the admin is asked with each parameter it reads set
to each hostile value. The dashboards are asked by a superuser and by a leader of one
institution, the admin by a superuser and by an editor of one institution (a leader has no
admin). So are the admin's autocompletes (their term and page) and its add pages, whose fields
may be filled in from the URL. A bad value is answered as Django's admin answers one (200, or a
redirect to ``?e=1``) or ignored (the dashboards, an add page's field), never with a server error.

A dashboard reads each of its parameters whatever the others hold and answers only at the end,
so one request sets them all to one value. An admin list stops at the first filter it cannot use
(the redirect), which would hide what the next one does with the value: the superuser's requests
set one parameter at a time; the editor's, all of them at once, which is the scoped list's own
path through every filter that passes.
"""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import (
    ALL_VAR,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
)
from django.test import Client, RequestFactory
from django.urls import reverse

from common.fiscal import current_fiscal_year
from common.roles import EDITOR, LEADERSHIP
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    AlignmentFactory,
    AppointmentFactory,
    FrameworkFactory,
    GoalFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    ProgressUpdateFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "99999999999999999999",  # past any 64-bit column
    "-5",
    "abc' OR '1'='1 日本語🎓",  # not a number, SQL-ish, beyond ASCII
    "",
    "9" * 5000,  # longer than Python turns into an int
    "\x00",  # a NUL byte, which PostgreSQL refuses in any text
]
# Fiscal years as a reader might type them into the URL.
HOSTILE_TO_DASHBOARDS = [*HOSTILE, "2025.5", "１２", "0"]

# What the dashboards read from the query string (portfolio/dashboards: read_filters, respond,
# crosswalk), and a page number, which no dashboard reads.
DASHBOARD_PARAMETERS = ["fy", "institution", "unit", "status", "region", "csv", "a", "b", "page"]
DASHBOARD_PAGES = ["overview", "framework", "goal", "unit", "crosswalk", "regions"]
# What every changelist reads besides its filters, asked together (none stops the list before
# the others are read), and the page number, which "show all" would leave unread.
CHANGELIST_PARAMETERS = [SEARCH_VAR, ORDER_VAR, ALL_VAR, IS_FACETS_VAR, IS_POPUP_VAR]


@pytest.fixture
def world(settings):
    """Two institutions with one of each record; a superuser, a leader and an editor of one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick users
    # Every request builds its page: a page kept from an earlier request would test nothing.
    settings.CACHES = {
        **settings.CACHES,
        "dashboards": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    home, other = InstitutionFactory(code="HOME"), InstitutionFactory(code="OTHER")
    region = RegionFactory()
    unit = UnitFactory(institution=home, region=region)
    goal = GoalFactory(framework=FrameworkFactory(institution=home))
    GoalFactory(framework=goal.framework, parent=goal, kind="objective")
    other_goal = GoalFactory(framework=FrameworkFactory(institution=other))
    AlignmentFactory(source=goal, target=other_goal)
    initiative = InitiativeFactory(institution=home, lead_unit=unit)
    initiative.goals.add(goal)
    ActivityFactory(initiative=initiative, unit=unit)
    AgreementFactory(unit=unit, partner=PartnerFactory())
    AppointmentFactory(unit=unit)
    IndicatorValueFactory(indicator=IndicatorFactory(goal=goal), fiscal_year=2025)
    ProgressUpdateFactory(initiative=initiative)
    return {
        "records": {"framework": goal.framework, "goal": goal, "unit": unit},
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
        "leader": user_with_role(LEADERSHIP, institutions=[home], username="leader"),
        "editor": user_with_role(EDITOR, institutions=[home], username="editor", is_staff=True),
    }


def failures(client: Client, path: str, queries: list[dict[str, str]]) -> list[str]:
    """The queries of ``path`` that fail, and how."""
    failed = []
    for query in queries:
        shown = {name: value[:30] for name, value in query.items()}
        try:
            status = client.get(f"{path}?{urlencode(query)}").status_code
        except Exception as error:  # the test client raises what made the page fail
            failed.append(f"{shown}: {type(error).__name__}: {error}"[:300])
            continue
        if status >= 500:
            failed.append(f"{shown}: {status}")
    return failed


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("reader", ["superuser", "leader"])
@pytest.mark.parametrize("page", DASHBOARD_PAGES)
def test_no_parameter_of_a_dashboard_fails_it(world, page, reader):
    record = world["records"].get(page)
    path = reverse(f"dashboards:{page}", args=[record.pk] if record else [])
    client = signed_in(world[reader])
    assert client.get(path).status_code == 200
    queries = [dict.fromkeys(DASHBOARD_PARAMETERS, value) for value in HOSTILE_TO_DASHBOARDS]
    failed = failures(client, path, queries)
    assert not failed, f"{path} as {reader}:\n" + "\n".join(failed)


@pytest.mark.parametrize("page", ["framework", "goal", "unit"])
def test_a_record_id_past_any_column_is_not_found(world, page):
    client = signed_in(world["leader"])
    for pk in [0, 99999999999999999999]:
        assert client.get(reverse(f"dashboards:{page}", args=[pk])).status_code == 404


def test_a_fiscal_year_out_of_the_offered_years_shows_the_current_one(world):
    client = signed_in(world["leader"])
    current = current_fiscal_year()
    for typed in ["99999999999999999999", "-5", "2025.5", "abc", "１２", "1900", str(current + 1)]:
        page = client.get(reverse("dashboards:regions"), {"fy": typed}).content.decode()
        assert f'<option value="{current}" selected>' in page, typed
    page = client.get(reverse("dashboards:regions"), {"fy": "2025"}).content.decode()
    assert '<option value="2025" selected>' in page  # the activity's year is offered


def filter_parameters(model_admin, request) -> list[str]:
    """Each list filter's first parameter, as ``ChangeList.get_filters`` builds the filters (also
    those the list hides for want of choices); a field's ``__isnull`` one is Django's alone."""
    names = []
    for list_filter in model_admin.get_list_filter(request):
        if callable(list_filter):  # a SimpleListFilter
            spec = list_filter(request, {}, model_admin.model, model_admin)
        else:
            path, filter_class = (
                list_filter if isinstance(list_filter, (tuple, list)) else (list_filter, None)
            )
            field = get_fields_from_path(model_admin.model, path)[-1]
            spec = (filter_class or FieldListFilter.create)(
                field, request, {}, model_admin.model, model_admin, field_path=path
            )
        names += spec.expected_parameters()[:1]
    return names


def changelist_queries(model_admin, user, *, one_at_a_time: bool) -> list[dict[str, str]]:
    """Queries setting each parameter a changelist reads to each hostile value: the common ones,
    the page, the date hierarchy's (month and day within a valid year) and each filter's."""
    request = RequestFactory().get("/")
    request.user = user
    groups: list[tuple[dict[str, str], list[str]]] = [({}, CHANGELIST_PARAMETERS), ({}, [PAGE_VAR])]
    if field := model_admin.date_hierarchy:
        groups += [
            ({}, [f"{field}__year"]),
            ({f"{field}__year": "2025"}, [f"{field}__month"]),
            ({f"{field}__year": "2025", f"{field}__month": "4"}, [f"{field}__day"]),
        ]
    groups += [({}, [name]) for name in filter_parameters(model_admin, request)]
    if not one_at_a_time:
        together = {name: "" for _, names in groups for name in names}
        return [dict.fromkeys(together, value) for value in HOSTILE]
    return [
        {**fixed, **dict.fromkeys(names, value)} for fixed, names in groups for value in HOSTILE
    ]


REGISTERED = sorted(admin.site._registry.values(), key=lambda a: a.model._meta.label)


@pytest.mark.parametrize("reader", ["superuser", "editor"])
@pytest.mark.parametrize("model_admin", REGISTERED, ids=lambda a: a.model._meta.label)
def test_no_parameter_of_an_admin_list_fails_it(world, model_admin, reader):
    opts = model_admin.model._meta
    path = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    client = signed_in(world[reader])
    opened = client.get(path).status_code
    assert opened in (200, 403), f"{reader} opening {path}: {opened}"
    if opened == 403:
        return  # a reader refused the list has no parameter to try (tests/test_permissions.py)
    queries = changelist_queries(
        model_admin, world["superuser"], one_at_a_time=reader == "superuser"
    )
    failed = failures(client, path, queries)
    assert not failed, f"{path} as {reader}:\n" + "\n".join(failed)


def autocompletes(user) -> list[dict[str, str]]:
    """Every autocomplete the admin's forms use: the model and field whose picker asks it."""
    request = RequestFactory().get("/")
    request.user = user
    found = []
    for model_admin in REGISTERED:
        sources = [(model_admin.model, model_admin.get_autocomplete_fields(request))] + [
            (inline.model, inline.autocomplete_fields) for inline in model_admin.inlines
        ]
        for model, fields in sources:
            for field in fields:
                opts = model._meta
                found.append(
                    {
                        "app_label": opts.app_label,
                        "model_name": opts.model_name,
                        "field_name": field,
                    }
                )
    return found


@pytest.mark.parametrize("reader", ["superuser", "editor"])
def test_no_term_or_page_of_an_autocomplete_fails_it(world, reader):
    client = signed_in(world[reader])
    queries = [
        {**source, **asked}
        for source in autocompletes(world["superuser"])
        for value in HOSTILE
        for asked in ({"term": value}, {"term": "a", "page": value})
    ]
    assert len(queries) > 100
    failed = failures(client, reverse("admin:autocomplete"), queries)
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("model_admin", REGISTERED, ids=lambda a: a.model._meta.label)
def test_no_value_filled_in_from_the_url_fails_an_add_page(world, model_admin):
    """An add page's fields may be filled from its URL (``?unit=3``): every field, every value."""
    opts = model_admin.model._meta
    path = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    client = signed_in(world["superuser"])
    opened = client.get(path).status_code
    assert opened in (200, 403), f"opening {path}: {opened}"
    if opened == 403:
        return  # import batches and sign-in records are never added by hand
    names = [field.name for field in [*opts.concrete_fields, *opts.many_to_many]]
    failed = failures(client, path, [dict.fromkeys(names, value) for value in HOSTILE])
    assert not failed, f"{path}:\n" + "\n".join(failed)


def test_the_parameters_come_from_each_list_itself(world):
    """A filter or a date hierarchy added to an admin is fuzzed without anyone listing it."""
    from portfolio.models import Activity

    queries = changelist_queries(
        admin.site._registry[Activity], world["superuser"], one_at_a_time=True
    )
    asked = {name for query in queries for name in query}
    assert {"start_date__year", "start_date__day", "fiscal_year", "country__exact"} <= asked
    assert {"unit__institution__id__exact", SEARCH_VAR, ORDER_VAR, PAGE_VAR} <= asked


@pytest.mark.parametrize(
    "query",
    [
        {"start_date__year": "99999999999"},
        {"start_date__year": "9999"},  # no next year to end the range at
        {"start_date__year": "1"},
        {"start_date__year": "2025", "start_date__month": "13"},
        {"start_date__year": "2025", "start_date__month": "99999999999999999999"},
        {"start_date__month": "99999999999999999999"},  # a month without its year
        {"country": "\x00"},
        {"activity_type__exact": "\x00"},
    ],
)
def test_a_date_or_filter_the_list_cannot_use_is_refused_as_django_refuses_one(world, query):
    client = signed_in(world["superuser"])
    path = reverse("admin:portfolio_activity_changelist")
    response = client.get(path, query)
    assert (response.status_code, response["Location"]) == (302, f"{path}?e=1")
