# ruff: noqa: E501  (the table of answers is one row per kind of URL, one column per role)
"""Who may open what: every URL of the product, GET and POST, for every role and for outsiders.

The URLs come from the URL configuration itself, so a new page is covered without anyone
remembering to add it: a URL that no row of ``EXPECTED`` describes fails the test. Records of the
home institution are requested by its roles, by a user of another institution, by a signed-in
user without a role, and by an anonymous visitor. POSTs are empty: they reach each view's
permission check and its form without changing anything.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.models import WebhookSubscription
from api.services import delivery_create, subscription_create, token_create
from common.roles import ADMINISTRATOR, DATA_STEWARD, EDITOR, LEADERSHIP, REVIEWER, UNIT_EDITOR
from imports.formats import write_table
from imports.models import ImportBatch
from policies.models import Headcount, LibraryIndicator
from reporting.models import Period, ReportingCycle
from reporting.services import cycle_open, evidence_add
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    AlignmentFactory,
    AppointmentFactory,
    ExternalIdentityFactory,
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

ROLES = [
    "anonymous",
    "no_role",
    "leader",
    "editor",
    "unit_editor",
    "steward",
    "reviewer",
    "admin",
    "outsider",
]

# One row per kind of URL: a regular expression over the URL's name (or, for an unnamed URL, its
# pattern), then the answer for each role in ROLES order. "200" is the answer to GET and POST;
# "200|403" is GET's then POST's. 302 is a redirect to a login page, "302*" any other redirect.
# The records requested belong to the home institution; the unit editor's unit leads them.
EXPECTED = """
url                                         anon norole leader editor    unit      steward   reviewer  admin     outsider
admin:index                                 302  302    302    200       200       200       200       200       200
admin:login                                 200  200    200    302*|200  302*|200  302*|200  302*|200  302*|200  302*|200
admin:logout                                302* 302*   302*   405|302*  405|302*  405|302*  405|302*  405|302*  405|302*
admin:password_change                       302  302    302    200       200       200       200       200       200
admin:(password_change_done|jsi18n|autocomplete) 302  302    302    200|405   200|405   200|405   200|405   200|405   200|405
admin:view_on_site                          302  302    302    404       404       404       404       404       404
admin:app_list                              302  302    302    200       200       200       200       200       200
admin/\\(\\?P<url>.*                        302  302    302    404       404       404       404       404       404
admin/\\w+/\\w+/<path:object_id>/           302  302    302    302*      302*      302*      302*      302*      302*
# Users, roles and the sign-in log: administrators only.
admin:auth_(user|group)_\\w+                302  302    302    403       403       403       403       200       403
admin:axes_[a-z]+_(changelist|history|delete) 302  302    302    403       403       403       403       200       403
admin:axes_[a-z]+_change                    302  302    302    403       403       403       403       200|302*  403
admin:axes_[a-z]+_add                       302  302    302    403       403       403       403       403       403
# Institutions: administrators add and remove them; an editor corrects their own.
admin:units_institution_changelist          302  302    302    200       200       200       200       200       200
admin:units_institution_history             302  302    302    200       200       200       200       200       404
admin:units_institution_change              302  302    302    200       200|403   200|403   200|403   200       404
admin:units_institution_simple_history      302  302    302    200|403   200|403   200|403   200|403   200       404
admin:units_institution_add                 302  302    302    403       403       403       403       200       403
admin:units_institution_delete              302  302    302    403       403       403       403       200       404
# Regions: shared by every institution, kept by administrators.
admin:units_region_(changelist|history)     302  302    302    200       200       200       200       200       200
admin:units_region_(change|simple_history)  302  302    302    200|403   200|403   200|403   200|403   200       200|403
admin:units_region_(add|delete)             302  302    302    403       403       403       403       200       403
# People and partner institutions: shared by every institution, kept by editors.
admin:(units_person|portfolio_partnerinstitution)_(changelist|history) 302  302    302    200       200       200       200       200       200
admin:(units_person|portfolio_partnerinstitution)_change 302  302    302    200       200|403   200|403   200|403   200       200
admin:(units_person|portfolio_partnerinstitution)_simple_history 302  302    302    200|403   200|403   200|403   200|403   200       200|403
admin:(units_person|portfolio_partnerinstitution)_(add|delete) 302  302    302    200       403       403       403       200       200
# Records of one institution that its editors keep. An alignment is within reach of both
# institutions whose goals it joins: the outsider's institution holds the other end.
admin:policies_alignment_(changelist|history) 302  302    302    200       200       200       200       200       200
admin:policies_alignment_change             302  302    302    200       200|403   200|403   200|403   200       200
admin:policies_alignment_simple_history     302  302    302    200|403   200|403   200|403   200|403   200       200|403
admin:policies_alignment_(add|delete)       302  302    302    200       403       403       403       200       200
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_changelist 302  302    302    200       200       200       200       200       200
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_history 302  302    302    200       200       200       200       200       404
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_change 302  302    302    200       200|403   200|403   200|403   200       404
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_simple_history 302  302    302    200|403   200|403   200|403   200|403   200       404
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_add 302  302    302    200       403       403       403       200       200
admin:(units_unit|units_appointment|policies_(?!alignment|libraryindicator|headcount)[a-z]+)_delete 302  302    302    200       403       403       403       200       404
# The indicator library: shared by every institution, kept by administrators.
admin:policies_libraryindicator_(changelist|history) 302  302    302    200       200       200       200       200       200
admin:policies_libraryindicator_(change|simple_history) 302  302    302    200|403   200|403   200|403   200|403   200       200|403
admin:policies_libraryindicator_(add|delete) 302  302    302    403       403       403       403       200       403
# The headcount sheet: an institution's editors and data stewards keep it.
admin:policies_headcount_changelist         302  302    302    200       200       200       200       200       200
admin:policies_headcount_history            302  302    302    200       200       200       200       200       404
admin:policies_headcount_change             302  302    302    200       200|403   200       200|403   200       404
admin:policies_headcount_simple_history     302  302    302    200|403   200|403   200|403   200|403   200       404
admin:policies_headcount_add                302  302    302    200       403       200       403       200       200
admin:policies_headcount_delete             302  302    302    200       403       200       403       200       404
# Records that the editors of the unit that holds them keep too.
admin:portfolio_(agreement|initiative|activity|progressupdate)_changelist 302  302    302    200       200       200       200       200       200
admin:portfolio_(agreement|initiative|activity|progressupdate)_history 302  302    302    200       200       200       200       200       404
admin:portfolio_(agreement|initiative|activity|progressupdate)_change 302  302    302    200       200       200|403   200|403   200       404
admin:portfolio_(agreement|initiative|activity|progressupdate)_delete 302  302    302    200       200       403       403       200       404
admin:portfolio_(agreement|initiative|activity|progressupdate)_simple_history 302  302    302    200|403   200|403   200|403   200|403   200       404
admin:portfolio_(agreement|initiative|activity|progressupdate)_add 302  302    302    200       200       403       403       200       200
# Reporting cycles: administrators open them; everyone who reads the institution's records reads
# them. Nobody deletes a cycle, whose reports are the record of the round.
admin:reporting_reportingcycle_changelist   302  302    302    200       200       200       200       200       200
admin:reporting_reportingcycle_history      302  302    302    200       200       200       200       200       404
admin:reporting_reportingcycle_(change|simple_history) 302  302    302    200|403   200|403   200|403   200|403   200       404
admin:reporting_reportingcycle_add          302  302    302    403       403       403       403       200       403
admin:reporting_reportingcycle_delete       302  302    302    403       403       403       403       403       404
# A report or a figure is owed, never added or deleted by hand. Its owners (the editors of its
# institution, the unit editors of its initiative's lead unit or its goal's units) change and
# submit it; reviewers approve and return what is submitted (here nothing is: a message, and back
# to the page); owners and reviewers comment on reports. The steps are POSTs only.
admin:reporting_(report|figurereport)_changelist 302  302    302    200       200       200       200       200       200
admin:reporting_(report|figurereport)_history 302  302    302    200       200       200       200       200       404
admin:reporting_report_change               302  302    302    200       200       200|403   200|403   200       404
# The unit editor's unit leads the initiative but pursues none of the goals: the figure is not theirs.
admin:reporting_figurereport_change         302  302    302    200       200|403   200|403   200|403   200       404
admin:reporting_(report|figurereport)_simple_history 302  302    302    200|403   200|403   200|403   200|403   200       404
admin:reporting_(report|figurereport)_add   302  302    302    403       403       403       403       403       403
admin:reporting_(report|figurereport)_delete 302  302    302    403       403       403       403       403       404
admin:reporting_report_submit               302  302    302    405|302*  405|302*  405|403   405|403   405|302*  405|404
admin:reporting_figurereport_submit         302  302    302    405|302*  405|403   405|403   405|403   405|302*  405|404
admin:reporting_(report|figurereport)_(approve|return) 302  302    302    405|403   405|403   405|403   405|302*  405|302*  405|404
# A report's evidence files are downloads for whoever reads the report.
admin:reporting_report_evidence             302  302    302    200|405   200|405   200|405   200|405   200|405   404|405
admin:reporting_report_comment              302  302    302    405|302*  405|302*  405|403   405|302*  405|302*  405|404
# Imports: a data steward's own batches, which they may undo; an administrator undoes any.
admin:imports_importbatch_(changelist|history) 302  302    302    403       403       200       403       200       403
admin:imports_importbatch_change            302  302    302    403       403       200|403   403       200|403   403
admin:imports_importbatch_(add|delete)      302  302    302    403       403       403       403       403       403
admin:imports_importbatch_upload            302  302    302    403       403       200       403       200       403
admin:imports_importbatch_preview           302  302    302    403       403       200|302*  403       200|403   403
admin:imports_importbatch_errors            302  302    302    403       403       200       403       200       403
# Mapping a preview, or running a failed background run again: its uploader's, as confirming is.
admin:imports_importbatch_(map|retry)       302  302    302    403       403       302*      403       403       403
# A background run's progress, as JSON for its page: whoever may read the batch; nobody else
# learns that it exists.
admin:imports_importbatch_status            302  302    302    404       404       200|405   404       200|405   404
admin:imports_importbatch_undo              302  302    302    403       403       200|302*  403       200|302*  403
admin:imports_importbatch_(template|export) 302  302    302    200       200       200       200       200       200
# The dashboards: read-only pages of the reader's institutions.
dashboards:(overview|crosswalk|regions)     302  403    200|405 200|405   200|405   200|405   200|405   200|405   200|405
dashboards:(framework|goal|unit|initiative) 302  403    200|405 200|405   200|405   200|405   200|405   200|405   404|405
# The reporting cycle's boards: read-only pages for the dashboards' readers, of the cycle's
# institution (another institution's cycle is not found); an owner's page of what they owe.
reporting:(cycles|mine)                     302  403    200|405 200|405   200|405   200|405   200|405   200|405   200|405
reporting:cycle                             302  403    200|405 200|405   200|405   200|405   200|405   200|405   404|405
# The board's "Send a reminder" of an item still owed, a POST only: administrators and the editors
# and reviewers of the cycle's institution run the cycle; its other readers are refused.
reporting:remind_(report|figure)            302  403    405|403 405|302*  405|403   405|403   405|302*  405|302*  405|404
# The language switcher: set_language keeps a posted choice and sends everyone back (to "/" here).
set_language                                302* 302*   302*   302*      302*      302*      302*      302*      302*
# Browsers ask for /favicon.ico on their own: everyone is sent to the icon's static file.
favicon                                     302* 302*   302*   302*      302*      302*      302*      302*      302*
# Signing in and out, and passwords.
login                                       200  200    200    200       200       200       200       200       200
logout                                      405|302* 405|302* 405|302* 405|302*  405|302*  405|302*  405|302*  405|302*  405|302*
password_change                             302  200    200    200       200       200       200       200       200
password_change_done                        302  200|405 200|405 200|405   200|405   200|405   200|405   200|405   200|405
# API tokens: every staff user makes and lists their own (the editor holds the one requested
# here), an administrator lists and revokes anyone's; a token is revoked, never changed or deleted.
admin:api_apitoken_changelist               302  302    302    200       200       200       200       200       200
admin:api_apitoken_add                      302  302    302    200       200       200       200       200       200
admin:api_apitoken_history                  302  302    302    200       404       404       404       200       404
admin:api_apitoken_change                   302  302    302    200|403   404       404       404       200|403   404
admin:api_apitoken_delete                   302  302    302    403       404       404       404       403       404
# Webhooks are an administrator's: subscriptions (of the home institution here) and their
# deliveries, which are read, never added, changed or deleted.
# Another institution's subscription's history is not found, as every record's.
admin:api_webhooksubscription_(changelist|add|change|delete) 302  302    302    403       403       403       403       200       403
admin:api_webhooksubscription_(simple_)?history 302  302    302    403       403       403       403       200       404
admin:api_webhookdelivery_changelist        302  302    302    403       403       403       403       200       403
admin:api_webhookdelivery_change            302  302    302    403       403       403       403       200|403   403
admin:api_webhookdelivery_history           302  302    302    403       403       403       403       200       302*
admin:api_webhookdelivery_(add|delete)      302  302    302    403       403       403       403       403       403
# The REST API: a token's or a session's user who holds a role (no sign-in: 401, with the token's
# scheme), within their scope (another institution's record: not found). The reference records
# are read, never written (405); the writable resources take a JSON body only (a form's: 415)
# from the roles that may write them (API_WRITES, below, answers each method with a JSON body).
api:(api-root|schema|docs|(institution|region|unit|framework|goal|progressupdate|reportingcycle)-list) 401  403    200|405 200|405   200|405   200|405   200|405   200|405   200|405
api:(activity|agreement|initiative)-list    401  403    200|403 200|415   200|415   200|403   200|403   200|415   200|415
api:(alignment|indicator|indicatorvalue|partner)-list 401  403    200|403 200|415   200|403   200|403   200|403   200|415   200|415
# Import batches: a steward's own (the one here is the steward's), an administrator's all of them;
# rows are sent by the roles that import sheets (tests/api/test_bulk.py sends them).
api:importbatch-list                        401  403    200|403 200|403   200|403   200|415   200|403   200|415   200|403
api:importbatch-detail                      401  403    404|405 404|405   404|405   200|405   404|405   200|405   404|405
# An alignment is either end's: the other institution's editor reads it too.
api:(region|partner|alignment)-(detail|history) 401  403    200|405 200|405   200|405   200|405   200|405   200|405   200|405
api:(institution|unit|framework|goal|indicator|indicatorvalue|agreement|initiative|activity|progressupdate|reportingcycle)-(detail|history) 401  403    200|405 200|405   200|405   200|405   200|405   200|405   404|405
# Benchmarks: a dashboard page, for every reader of the dashboards (what it shows follows what
# their institution shares).
disclosure:benchmarks                       302  403    200|405 200|405   200|405   200|405   200|405   200|405   200|405
# The public disclosure pages: everyone reads them, for an institution whose public pages are on.
disclosure:public_(index|institution|goal)  200|405 200|405 200|405 200|405   200|405   200|405   200|405   200|405   200|405
# The annual report's PDF: the dashboards' readers, of their institution (another's is not found).
disclosure:annual_report(_goal)?            302  403    200|405 200|405   200|405   200|405   200|405   200|405   404|405
# Signing in with a university account: administrators read the identities that sign-ins made
# (never added, changed or deleted by hand) and grant the accounts that await access, whose own
# page is the account's.
admin:signin_(externalidentity|awaitingaccess)_(changelist|history) 302  302    302    403       403       403       403       200       403
admin:signin_externalidentity_change        302  302    302    403       403       403       403       200|403   403
admin:signin_awaitingaccess_change          302  302    302    403       403       403       403       302*      403
admin:signin_(externalidentity|awaitingaccess)_(add|delete) 302  302    302    403       403       403       403       403       403
# SAML 2 and OpenID Connect are off where no identity provider is configured, as here
# (tests/signin/ signs in through real ones).
saml2_(login|acs|ls|ls_post|metadata)       404  404    404    404       404       404       404       404       404
oidc_authentication_(init|callback)         404|405 404|405 404|405 404|405   404|405   404|405   404|405   404|405   404|405
# Password reset is off where no email is configured, as here (tests/test_password_reset.py).
password_reset(_confirm|_done|_complete)?   404  404    404    404       404       404       404       404       404
"""


def parse_table(text: str) -> list[tuple[re.Pattern, dict[str, tuple[str, str]]]]:
    rows = []
    for line in text.strip().splitlines()[1:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, *answers = line.split()
        assert len(answers) == len(ROLES), f"row {pattern!r} has {len(answers)} answers"
        by_role = {}
        for role, answer in zip(ROLES, answers, strict=True):
            get, _, post = answer.partition("|")
            by_role[role] = (get, post or get)
        rows.append((re.compile(pattern), by_role))
    return rows


TABLE = parse_table(EXPECTED)


@dataclass
class Route:
    key: str  # the URL's name, or its pattern where it has none
    pattern: str
    model: str  # "app_model" for admin URLs of a model


def routes(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every URL of the product, from the URL configuration."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            found += routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            match = re.match(r"admin/(\w+)/(\w+)/", full)
            model = f"{match[1]}_{match[2]}" if match else ""
            key = f"{namespace}{entry.name}" if entry.name else full
            found.append(Route(key, full, model))
    return found


def expected_for(route: Route) -> dict[str, tuple[str, str]]:
    matching = [answers for pattern, answers in TABLE if pattern.fullmatch(route.key)]
    assert matching, f"No row of EXPECTED says who may open {route.key} ({route.pattern})"
    assert len(matching) == 1, f"{len(matching)} rows of EXPECTED match {route.key}"
    return matching[0]


@pytest.fixture
def world(db, settings, tmp_path):
    """A home institution with one of each record, an outsiders' institution, and a user a role."""
    settings.IMPORT_DIR = tmp_path
    settings.EMAIL_HOST = ""  # whatever the environment says: password reset is off
    home = InstitutionFactory(code="HOME", public_pages=True)  # its public pages are on
    other = InstitutionFactory(code="OTHER")
    unit = UnitFactory(institution=home, code="CENTER")
    other_unit = UnitFactory(institution=other)
    framework = FrameworkFactory(institution=home)
    goal = GoalFactory(framework=framework, public=True)  # on the public pages
    other_goal = GoalFactory(framework=FrameworkFactory(institution=other))
    indicator = IndicatorFactory(goal=goal)
    initiative = InitiativeFactory(institution=home, lead_unit=unit)
    initiative.goals.add(goal)
    appointment = AppointmentFactory(unit=unit)
    users = {
        "no_role": UserFactory(username="no-role"),
        "leader": user_with_role(LEADERSHIP, institutions=[home], username="leader"),
        "editor": user_with_role(EDITOR, institutions=[home], username="editor", is_staff=True),
        "unit_editor": user_with_role(UNIT_EDITOR, units=[unit], username="unit", is_staff=True),
        "steward": user_with_role(
            DATA_STEWARD, institutions=[home], username="steward", is_staff=True
        ),
        "reviewer": user_with_role(
            REVIEWER, institutions=[home], username="reviewer", is_staff=True
        ),
        "admin": user_with_role(ADMINISTRATOR, username="administrator", is_staff=True),
        "outsider": user_with_role(
            EDITOR, institutions=[other], username="outsider", is_staff=True
        ),
    }
    content = write_table("csv", ["external_ref", "title"], [["X-1", "No date, so it fails"]])
    batch = ImportBatch.objects.create(
        kind="activities",
        file_name="fy2025.csv",
        stored_name="kept.csv",
        user=users["steward"],
        status=ImportBatch.Status.PREVIEWED,
        errors=[{"row": 2, "column": "start_date", "message": "This cell must not be empty."}],
    )
    (tmp_path / "kept.csv").write_bytes(content)
    axes_row = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "x"}
    axes_row |= {"http_accept": "*/*", "path_info": "/accounts/login/"}
    records = {
        "units_institution": home,
        "units_region": RegionFactory(),
        "units_unit": unit,
        "units_person": appointment.person,
        "units_appointment": appointment,
        "policies_framework": framework,
        "policies_goal": goal,
        "policies_alignment": AlignmentFactory(source=goal, target=other_goal),
        "policies_indicator": indicator,
        "policies_indicatorvalue": IndicatorValueFactory(indicator=indicator),
        "policies_libraryindicator": LibraryIndicator.objects.create(
            code="LIB-1", name="Shared", unit="count", source="The installation"
        ),
        "policies_headcount": Headcount.objects.create(
            institution=home,
            fiscal_year=2025,
            as_of=dt.date(2025, 5, 1),
            level="master",
            count=120,
        ),
        "portfolio_partnerinstitution": PartnerFactory(),
        "portfolio_agreement": AgreementFactory(unit=unit),
        "portfolio_initiative": initiative,
        "portfolio_activity": ActivityFactory(initiative=initiative, unit=unit),
        "portfolio_progressupdate": ProgressUpdateFactory(initiative=initiative),
        "imports_importbatch": batch,
        "auth_user": users["no_role"],
        "auth_group": Group.objects.get(name=LEADERSHIP),
        "axes_accessattempt": AccessAttempt.objects.create(
            **axes_row, get_data="", post_data="", failures_since_start=1
        ),
        "axes_accesslog": AccessLog.objects.create(**axes_row),
        "axes_accessfailurelog": AccessFailureLog.objects.create(**axes_row),
        "signin_externalidentity": ExternalIdentityFactory(),
    }
    records["signin_awaitingaccess"] = records["signin_externalidentity"].user
    cycle = cycle_open(
        cycle=ReportingCycle(
            institution=home,
            fiscal_year=records["policies_indicatorvalue"].fiscal_year,
            period=Period.YEAR,
            due_date=dt.date(2026, 4, 30),
        ),
        user=users["admin"],
        reason="The year's round",
    )
    records["reporting_reportingcycle"] = cycle
    records["reporting_report"] = cycle.reports.get()
    records["reporting_figurereport"] = cycle.figures.get()
    records["api_apitoken"] = token_create(
        users["editor"],
        name="Mobility system",
        read_only=True,
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        reason="A robot's token",
    )[0]
    records["home_goal_2"] = GoalFactory(framework=framework)
    records["api_webhooksubscription"] = subscription_create(
        WebhookSubscription(
            name="Mobility system", url="https://example.org/hook", institution=home
        ),
        user=users["admin"],
        reason="Keeps a copy",
    )
    records["api_webhookdelivery"] = delivery_create(
        subscription=records["api_webhooksubscription"].pk, events=[]
    )
    settings.MEDIA_ROOT = tmp_path
    records["reporting_evidence"] = evidence_add(
        report=records["reporting_report"],
        upload=SimpleUploadedFile("minutes.pdf", b"%PDF-1.7"),
        user=users["editor"],
    )
    other_unit.save()
    return users, records


DASHBOARD_RECORDS = {
    "dashboards:framework": "policies_framework",
    "dashboards:goal": "policies_goal",
    "dashboards:unit": "units_unit",
    "dashboards:initiative": "portfolio_initiative",
    "disclosure:public_goal": "policies_goal",
    "reporting:cycle": "reporting_reportingcycle",
    "reporting:remind_report": "reporting_reportingcycle",
    "reporting:remind_figure": "reporting_reportingcycle",
    "api:institution-detail": "units_institution",
    "api:region-detail": "units_region",
    "api:unit-detail": "units_unit",
    "api:framework-detail": "policies_framework",
    "api:goal-detail": "policies_goal",
    "api:indicator-detail": "policies_indicator",
    "api:indicatorvalue-detail": "policies_indicatorvalue",
    "api:partner-detail": "portfolio_partnerinstitution",
    "api:agreement-detail": "portfolio_agreement",
    "api:initiative-detail": "portfolio_initiative",
    "api:activity-detail": "portfolio_activity",
    "api:alignment-detail": "policies_alignment",
    "api:importbatch-detail": "imports_importbatch",
    "api:progressupdate-detail": "portfolio_progressupdate",
    "api:reportingcycle-detail": "reporting_reportingcycle",
}
# The items of a cycle that a URL names besides the cycle.
ITEM_RECORDS = {
    "reporting:remind_report": "reporting_report",
    "reporting:remind_figure": "reporting_figurereport",
}


def concrete(route: Route, records: dict) -> str:
    """The route with its parameters filled in with the home institution's records."""
    activity = records["portfolio_activity"]
    if route.key == "admin:view_on_site":
        return f"/admin/r/{ContentType.objects.get_for_model(activity).pk}/{activity.pk}/"
    if route.key == "admin:app_list":
        return "/admin/portfolio/"
    if route.key == "admin:autocomplete":
        return "/admin/autocomplete/?app_label=portfolio&model_name=activity&field_name=unit"
    if "(?P<url>" in route.pattern:
        return "/admin/no-such-page/"
    # A record's history in the API is found as the record is.
    key = route.key.replace("-history", "-detail")
    record = records.get(route.model) or records.get(DASHBOARD_RECORDS.get(key, ""))
    url = route.pattern
    if "^([^/]+)/history/([^/]+)/$" in url:
        version = record.history.earliest().history_id
        url = url.replace("^([^/]+)/history/([^/]+)/$", f"{record.pk}/history/{version}/")
    for placeholder, value in {
        "<path:object_id>": lambda: record.pk,
        "<id>": lambda: record.pk,
        "<int:pk>": lambda: record.pk,
        "<str:code>": lambda: records["units_institution"].code,
        "<str:pk>": lambda: record.pk,
        "<int:item>": lambda: records[ITEM_RECORDS[route.key]].pk,
        "<int:evidence_id>": lambda: records["reporting_evidence"].pk,
        "<int:institution>": lambda: records["units_institution"].pk,
        "<int:fiscal_year>": lambda: records["policies_indicatorvalue"].fiscal_year,
        "<int:goal>": lambda: records["policies_goal"].pk,
        "<str:kind>": lambda: "activities",
        "<str:file_format>": lambda: "csv",
        "<uidb64>/<token>": lambda: "MQ/set-password",
    }.items():
        if placeholder in url:
            url = url.replace(placeholder, str(value()))
    return "/" + url


def answer(response) -> str:
    if response.status_code in (301, 302):
        to = response["Location"]
        return "302" if "login" in to and "next=" in to else "302*"
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_table_says(client, world, role):
    users, records = world
    wrong = []
    for route in routes():
        url = concrete(route, records)
        expected_get, expected_post = expected_for(route)[role]
        for method, expected in (("get", expected_get), ("post", expected_post)):
            if role != "anonymous" and "_auth_user_id" not in client.session:
                client.force_login(users[role])  # again, after a log-out URL
            got = answer(getattr(client, method)(url))
            if got != expected:
                wrong.append(f"{method.upper()} {url} ({route.key}): {got}, expected {expected}")
    assert not wrong, f"{len(wrong)} answers differ for {role}:\n" + "\n".join(wrong)


def test_the_table_says_who_may_open_every_url():
    unexplained = []
    for route in routes():
        try:
            expected_for(route)
        except AssertionError as error:
            unexplained.append(str(error).splitlines()[0])
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("kind", ["report", "figurereport"])
def test_nobody_approves_what_they_submitted(client, world, kind):
    """A reviewer who is also an owner submits an item: its approval is refused to them (403) and
    left to another reviewer, who approves it."""
    from reporting.services import figure_submit, report_submit

    users, records = world
    home = records["units_institution"]
    both = user_with_role(EDITOR, institutions=[home], username="owner-and-reviewer", is_staff=True)
    both.groups.add(Group.objects.get(name=REVIEWER))
    item = records[f"reporting_{kind}"]
    if kind == "report":
        item.health, item.narrative = "on_track", "Two partners signed."
        report_submit(report=item, user=both)
    else:
        item.actual = 12
        figure_submit(figure=item, user=both)
    approve = f"/admin/reporting/{kind}/{item.pk}/approve/"
    client.force_login(both)
    assert client.post(approve, {"comment": ""}).status_code == 403
    item.refresh_from_db()
    assert item.state == "submitted"
    client.force_login(users["reviewer"])
    assert answer(client.post(approve, {"comment": ""})) == "302*"
    item.refresh_from_db()
    assert item.state == "approved" and item.reviewed_by == users["reviewer"]


# The API's writes, by a read-write token of each role's user (none for "anonymous"): the answer
# to each method of each writable resource. The bodies are valid for the home institution, so
# that a role allowed to write gets its record written (201, 200, 204); one whose scope does not
# reach the records the body names is refused what it names (400), or finds no record (404).
# Partners are every institution's: an editor of another edits them, as in the admin; an
# alignment is either end's, but its other institution's editor may not name this one's goal
# (what the admin's picker offers them). A record
# that others still refer to is kept (409): the indicator has figures, the initiative activities.
API_WRITES = """
resource        method  anonymous no_role leader editor    unit_editor steward reviewer admin outsider
activity        POST    401       403     403    201       201         403     403      201   400
activity        PUT     401       403     403    200       200         403     403      200   404
activity        PATCH   401       403     403    200       200         403     403      200   404
activity        DELETE  401       403     403    204       204         403     403      204   404
agreement       POST    401       403     403    201       201         403     403      201   400
agreement       PUT     401       403     403    200       200         403     403      200   404
agreement       PATCH   401       403     403    200       200         403     403      200   404
agreement       DELETE  401       403     403    204       204         403     403      204   404
indicator       POST    401       403     403    201       403         403     403      201   400
indicator       PUT     401       403     403    200       403         403     403      200   404
indicator       PATCH   401       403     403    200       403         403     403      200   404
indicator       DELETE  401       403     403    409       403         403     403      409   404
indicatorvalue  POST    401       403     403    201       403         403     403      201   400
indicatorvalue  PUT     401       403     403    200       403         403     403      200   404
indicatorvalue  PATCH   401       403     403    200       403         403     403      200   404
indicatorvalue  DELETE  401       403     403    204       403         403     403      204   404
initiative      POST    401       403     403    201       201         403     403      201   400
initiative      PUT     401       403     403    200       200         403     403      200   404
initiative      PATCH   401       403     403    200       200         403     403      200   404
initiative      DELETE  401       403     403    409       409         403     403      409   404
partner         POST    401       403     403    201       403         403     403      201   201
partner         PUT     401       403     403    200       403         403     403      200   200
partner         PATCH   401       403     403    200       403         403     403      200   200
partner         DELETE  401       403     403    204       403         403     403      204   204
alignment       POST    401       403     403    201       403         403     403      201   400
alignment       PUT     401       403     403    200       403         403     403      200   400
alignment       PATCH   401       403     403    200       403         403     403      200   400
alignment       DELETE  401       403     403    204       403         403     403      204   204
importbatch     POST    401       403     403    403       403         201     403      201   403
"""


def api_write_table() -> dict[tuple[str, str], dict[str, str]]:
    lines = [
        line.split()
        for line in API_WRITES.strip().splitlines()[1:]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return {
        (resource, method): dict(zip(ROLES, answers, strict=True))
        for resource, method, *answers in lines
    }


def api_write_bodies(records: dict) -> dict[str, dict]:
    """A valid new record of each writable resource, of the home institution."""
    unit, goal = records["units_unit"], records["policies_goal"]
    return {
        "activity": {"title": "Visit", "start_date": "2025-06-01", "unit": unit.pk},
        "partner": {"name": "Universitas Indonesia", "country": "ID"},
        "agreement": {
            "partner": records["portfolio_partnerinstitution"].pk,
            "unit": unit.pk,
            "kind": "academic_exchange",
            "signed_on": "2025-04-01",
        },
        "initiative": {
            "institution": records["units_institution"].code,
            "code": "NEW-1",
            "title": "Summer programme",
            "lead_unit": unit.pk,
            "goals": [goal.pk],
        },
        "indicator": {"goal": goal.pk, "code": "NEW-1", "name": "Partners", "unit_of_measure": "%"},
        "alignment": {
            "source": records["home_goal_2"].pk,
            "target": records["policies_alignment"].target_id,
        },
        "importbatch": {"kind": "partners", "rows": [{"name": "Universitas Gadjah Mada"}]},
        "indicatorvalue": {
            "indicator": records["policies_indicator"].pk,
            # A year the indicator has no figures for yet (the factory's years run on).
            "fiscal_year": records["policies_indicatorvalue"].fiscal_year + 1,
            "target": "5",
        },
    }


WRITTEN_RECORDS = {
    "alignment": "policies_alignment",
    "activity": "portfolio_activity",
    "partner": "portfolio_partnerinstitution",
    "agreement": "portfolio_agreement",
    "initiative": "portfolio_initiative",
    "indicator": "policies_indicator",
    "indicatorvalue": "policies_indicatorvalue",
}


def read_of(resource: str, record) -> dict:
    from api.urls import router

    viewset = next(v for _prefix, v, basename in router.registry if basename == resource)
    return dict(viewset.serializer_class(record).data)


def writable_resources() -> list[str]:
    from api.urls import router
    from api.writes import WritableMixin

    return sorted(
        basename
        for _prefix, viewset, basename in router.registry
        if issubclass(viewset, WritableMixin)
    )


def test_the_api_write_table_covers_every_write_of_every_resource():
    covered = set(api_write_table())
    wanted = {("importbatch", "POST")} | {
        (resource, method)
        for resource in writable_resources()
        for method in ("POST", "PUT", "PATCH", "DELETE")
    }
    assert wanted <= covered, sorted(wanted - covered)


@pytest.mark.parametrize("role", ROLES)
def test_every_api_write_answers_each_role_as_the_table_says(world, role):
    from django.db import transaction

    from common.admin import latest_version
    from tests.api.helpers import a_token

    users, records = world
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {a_token(users[role], read_only=False)}"
    api = Client(headers=headers)
    bodies = api_write_bodies(records)
    wrong = []
    for (resource, method), answers in api_write_table().items():
        record = records.get(WRITTEN_RECORDS.get(resource, ""))
        body = dict(bodies[resource])
        if method == "POST":
            url = reverse(f"api:{resource}-list")
        else:
            url = reverse(f"api:{resource}-detail", args=[record.pk])
        if method == "PUT":  # the record as a read gives it, changed
            body = {**read_of(resource, record), **dict([next(iter(body.items()))])}
        if method == "PATCH":
            body = dict([next(iter(body.items()))])
        etag = {"If-Match": f'"v{latest_version(record)}"'} if method in ("PUT", "PATCH") else {}
        with transaction.atomic():
            response = getattr(api, method.lower())(
                url, json.dumps(body), "application/json", headers=etag
            )
            transaction.set_rollback(True)
        if str(response.status_code) != answers[role]:
            wrong.append(
                f"{method} {url}: {response.status_code}, expected {answers[role]}: {response.content[:200]!r}"
            )
    assert not wrong, f"{len(wrong)} answers differ for {role}:\n" + "\n".join(wrong)
