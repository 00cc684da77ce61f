"""Every list of history shows only what the reader's scope reaches (``readable_history``).

Partners, people and regions are shared by every institution, and an alignment by the two whose
goals it joins: users of other institutions change them too. A change by a user who shares none
of the reader's institutions is shown without their name and reason ("a user of another
institution"), on the dashboards' "Recent changes" and on the admin's history pages alike;
colleagues and administrators are named. Readers who reach everything see every name.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.roles import EDITOR, LEADERSHIP
from tests.admin_forms import form_data
from tests.factories import (
    ActivityFactory,
    AlignmentFactory,
    FrameworkFactory,
    GoalFactory,
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    PersonFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

# Everything that would name institution B's editor, or tell what they wrote.
BRAVO = {
    "username": "bravo-zq-editor",
    "first_name": "Zebedee",
    "last_name": "Quirinus",
    "reason": "Reason-of-bravo-XK41",
}
ALPHA_REASON = "Reason-of-alpha-QW"
HIDDEN = "a user of another institution"


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_in_admin(client: Client, obj, reason: str, **changes) -> None:
    data = {**form_data(client.get(change_url(obj))), **changes, "change_reason": reason}
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.fixture
def world(settings):
    """Institutions A and B; B's editor changes shared records, B's own and one of A's reach."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        **settings.CACHES,
        "dashboards": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    alpha, bravo = InstitutionFactory(code="ALPHA"), InstitutionFactory(code="BRAVO")
    made = {"alpha": alpha, "bravo": bravo}
    for code, institution in (("alpha", alpha), ("bravo", bravo)):
        unit = UnitFactory(institution=institution, code=f"{code}-U")
        goal = GoalFactory(framework=FrameworkFactory(institution=institution), code=f"{code}-G")
        initiative = InitiativeFactory(
            institution=institution, lead_unit=unit, code=f"{code}-I", title=f"{code} initiative"
        )
        initiative.goals.add(goal)
        made |= {f"{code}_unit": unit, f"{code}_goal": goal, f"{code}_initiative": initiative}
    partner, person, region = (
        PartnerFactory(name="Shared Partner"),
        PersonFactory(),
        RegionFactory(),
    )
    alignment = AlignmentFactory(source=made["alpha_goal"], target=made["bravo_goal"])
    # An activity of A's unit under B's initiative: within the reach of both institutions.
    crossing = ActivityFactory(
        unit=made["alpha_unit"], initiative=made["bravo_initiative"], partner=partner
    )
    ActivityFactory(unit=made["alpha_unit"], initiative=made["alpha_initiative"], partner=partner)
    made |= {"partner": partner, "person": person, "region": region, "alignment": alignment}

    names = {key: BRAVO[key] for key in ("username", "first_name", "last_name")}
    bravo_editor = user_with_role(EDITOR, institutions=[bravo], is_staff=True, **names)
    by_bravo = signed_in(bravo_editor)
    reason = BRAVO["reason"]
    edit_in_admin(by_bravo, partner, reason, city="Chiang Mai")
    edit_in_admin(by_bravo, person, reason, name="Renamed by B")
    edit_in_admin(by_bravo, made["bravo_initiative"], reason, title="Renamed by B")
    # B's editor may not save these in the admin (a region is an administrator's; the activity's
    # unit and the alignment's source are not B's to pick), but changed them all the same, say
    # before their scope changed: through the models, as a command would.
    for record, field, value in (
        (region, "note", "Changed by B"),
        (crossing, "title", "By B"),
        (alignment, "note", "Noted by B"),
    ):
        record._history_user, record._change_reason = bravo_editor, reason
        setattr(record, field, value)
        record.save()

    made["alpha_editor"] = user_with_role(
        EDITOR, institutions=[alpha], is_staff=True, username="alpha-editor"
    )
    edit_in_admin(
        signed_in(made["alpha_editor"]), partner, ALPHA_REASON, website="https://a.example"
    )
    made["alpha_leader"] = user_with_role(LEADERSHIP, institutions=[alpha], username="alpha-lead")
    made["bravo_editor"] = bravo_editor
    return made


def leaks(page: str) -> list[str]:
    return [value for value in BRAVO.values() if value.lower() in page.lower()]


def dashboard_urls(world) -> list[str]:
    return [
        reverse("dashboards:overview"),
        reverse("dashboards:framework", args=[world["alpha_goal"].framework_id]),
        reverse("dashboards:goal", args=[world["alpha_goal"].pk]),
        reverse("dashboards:unit", args=[world["alpha_unit"].pk]),
        reverse("dashboards:crosswalk"),
        reverse("dashboards:regions"),
    ]


def crawl(client: Client, start: list[str], *, within: tuple[str, ...], limit: int = 400) -> dict:
    """Every page reachable by links from ``start`` under the ``within`` paths: url -> text."""
    seen, queue = {}, list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            seen[url] = ""
            continue
        seen[url] = page = response.content.decode()
        for href in re.findall(r'href="([^"#]*)"', page):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or not parts.path.startswith(within):
                continue
            if any(word in parts.path for word in ("/logout", "/delete/", "/add/", "/password")):
                continue
            queue.append(parts.path + (f"?{parts.query}" if "csv=" in parts.query else ""))
    return seen


def test_a_leader_of_a_reads_no_name_or_reason_of_bs_editor_on_any_dashboard(world):
    leader = signed_in(world["alpha_leader"])
    pages = crawl(leader, dashboard_urls(world), within=("/",))
    assert set(dashboard_urls(world)) <= set(pages)
    leaked = {url: leaks(page) for url, page in pages.items() if leaks(page)}
    assert not leaked, leaked
    # The changes themselves are listed, without who made them.
    regions = pages[reverse("dashboards:regions")]
    assert "Shared Partner" in regions and HIDDEN in regions
    assert "alpha-editor" in regions and ALPHA_REASON in regions  # a colleague is named
    unit_page = pages[reverse("dashboards:unit", args=[world["alpha_unit"].pk])]
    assert "By B" in unit_page and HIDDEN in unit_page


def admin_pages_of(world, user) -> list[str]:
    """The admin's index, every list the user may open, and each record's change, history and
    version pages."""
    request = RequestFactory().get("/")
    request.user = user
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        for obj in model_admin.get_queryset(request)[:20]:
            urls += [change_url(obj), history_url(obj)]
            if hasattr(model, "history"):
                for version in obj.history.values_list("history_id", flat=True)[:5]:
                    urls.append(
                        reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_simple_history",
                            args=[obj.pk, version],
                        )
                    )
    return urls


def test_an_editor_of_a_reads_no_name_or_reason_of_bs_editor_in_the_admin(world):
    editor = signed_in(world["alpha_editor"])
    urls = admin_pages_of(world, world["alpha_editor"])
    assert history_url(world["partner"]) in urls and history_url(world["region"]) in urls
    pages = {url: editor.get(url) for url in urls}
    assert all(response.status_code == 200 for response in pages.values()), [
        (url, response.status_code)
        for url, response in pages.items()
        if response.status_code != 200
    ]
    leaked = {
        url: leaks(r.content.decode()) for url, r in pages.items() if leaks(r.content.decode())
    }
    assert not leaked, leaked
    for record in ("partner", "person", "region", "alignment"):
        page = pages[history_url(world[record])].content.decode()
        assert HIDDEN in page, record  # B's change is listed, its author not named
    partner_history = pages[history_url(world["partner"])].content.decode()
    assert "alpha-editor" in partner_history and ALPHA_REASON in partner_history
    assert "Chiang Mai" in partner_history  # what changed is the record's, and shown


def test_a_leader_of_a_reads_no_name_of_bs_editor_in_the_admin_either(world):
    leader = signed_in(world["alpha_leader"])
    for url in admin_pages_of(world, world["alpha_editor"]):
        response = leader.get(url)
        assert response.status_code == 302 or not leaks(response.content.decode()), url


def test_readers_who_reach_everything_see_every_name_and_reason(world):
    superuser = signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = superuser.get(history_url(world["partner"])).content.decode()
    assert BRAVO["username"] in page and BRAVO["reason"] in page and HIDDEN not in page
    regions = superuser.get(reverse("dashboards:regions")).content.decode()
    assert BRAVO["username"] in regions and BRAVO["reason"] in regions


def test_bs_editor_reads_their_own_changes_and_not_as_are(world):
    page = signed_in(world["bravo_editor"]).get(history_url(world["partner"])).content.decode()
    assert BRAVO["username"] in page and BRAVO["reason"] in page
    assert "alpha-editor" not in page and ALPHA_REASON not in page


def test_a_colleague_in_a_unit_of_the_readers_institution_is_named(world):
    """A unit editor's scope names units: their institution is that of their units."""
    from common.roles import UNIT_EDITOR

    unit_editor = user_with_role(
        UNIT_EDITOR, units=[world["alpha_unit"]], is_staff=True, username="alpha-unit-editor"
    )
    partner = world["partner"]
    partner._history_user, partner._change_reason = unit_editor, "Reason of the unit editor"
    partner.save()
    page = signed_in(world["alpha_leader"]).get(reverse("dashboards:regions")).content.decode()
    assert "alpha-unit-editor" in page and "Reason of the unit editor" in page


def test_recent_changes_cost_no_query_more_with_more_authors(world):
    leader = signed_in(world["alpha_leader"])
    url = reverse("dashboards:regions")
    leader.get(url)
    with CaptureQueriesContext(connection) as few:
        leader.get(url)
    partner = world["partner"]
    for number in range(8):
        partner._history_user = UserFactory(username=f"author-{number}")
        partner._change_reason = f"Change {number}"
        partner.city = f"City {number}"
        partner.save()
    with CaptureQueriesContext(connection) as many:
        page = leader.get(url).content.decode()
    assert page.count(HIDDEN) >= 8  # users without a scope belong to no institution of A's
    assert len(many) == len(few)
