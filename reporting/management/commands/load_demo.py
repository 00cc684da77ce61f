"""Load the labelled demo data set and a demo login; only ``make run`` calls this.

Every record it writes says "[Demo]" in its title or name, so nobody mistakes it for a real
record. The initiatives are the lines of work the sources name; the figures are made up by a
seeded random generator, the same on every machine. Each record is written by its app's door
(``services.py``), with the demo's reason on its history. Safe to run again: if the demo set is
there, nothing is written (but the demo logins that are missing).

The demo set spans every app, the reporting cycle among them, so its command sits in the top
layer (``reporting``), the one that may call every app's doors.

Kyoto's reporting, for trying the cycle with the owner's and the reviewer's logins (dates are
reckoned from the day the set is loaded, with ``common.fiscal``):

- the current quarter's cycle, open and due in ``DUE_IN_DAYS`` days: its reports in every state
  (not started, draft, submitted, returned with a comment, approved, which published the
  initiative's progress update for the quarter);
- the previous fiscal year's closing cycle (Q4), past its due date: its reports and the year's
  figure reports (the actuals of the indicators with a target for that year) in every state, so
  that the board shows overdue items beside the others. Actuals are owed once a year, by the
  cycle that closes the year, so this is the cycle with figures (the current one too, in Q4).

The owner's login (``demo-owner-ku``, a unit editor of the office that leads most of Kyoto's
initiatives and the named owner of some) writes and submits; the reviewer's
(``demo-reviewer-ku``) returns and approves: nobody approves what they wrote.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from common.fiscal import fiscal_today, fiscal_year_of
from common.roles import DATA_STEWARD, EDITOR, LEADERSHIP, REVIEWER, UNIT_EDITOR
from common.services import record_save
from policies.models import (
    Alignment,
    Goal,
    Headcount,
    Indicator,
    IndicatorValue,
    LibraryIndicator,
)
from policies.services import alignment_create, indicator_create, indicator_target_record
from portfolio.models import (
    Activity,
    ActivityType,
    Agreement,
    AgreementKind,
    Initiative,
    PartnerInstitution,
    ProgressUpdate,
)
from portfolio.services import (
    activities_create,
    agreement_create,
    initiative_create,
    partner_create,
    progress_update_create,
)
from reporting.models import FigureReport, Report, ReportingCycle, State
from reporting.selectors import figures_owed_by, reports_owed_by
from reporting.services import (
    cycle_open,
    figure_approve,
    figure_return,
    figure_save,
    figure_submit,
    report_approve,
    report_return,
    report_save,
    report_submit,
)
from units.models import Institution, Person, Unit, UserScope
from units.services import person_create, person_login_link, unit_create, user_scope_create

DEMO = "[Demo]"
REASON = "Demo data set (make run)"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "portfolio-demo"
# (username, role, institutions, units): what each role sees, on the demo data.
DEMO_ROLE_LOGINS = [
    ("demo-leader-ku", LEADERSHIP, ["KU"], []),
    ("demo-leader-tmu", LEADERSHIP, ["TMU"], []),
    ("demo-editor-ku", EDITOR, ["KU"], []),
    ("demo-asean-center", UNIT_EDITOR, [], ["ASEAN-CENTER"]),
    ("demo-steward-ku", DATA_STEWARD, ["KU"], []),
    ("demo-owner-ku", UNIT_EDITOR, [], ["ISO-KU"]),
    ("demo-reviewer-ku", REVIEWER, ["KU"], []),
]
# The reporting cycle's two sides: who owes (and is the named owner of some initiatives), and
# who reviews.
DEMO_OWNER = "demo-owner-ku"
DEMO_OWNER_PERSON = f"{DEMO} Aiko Tanaka"
DEMO_REVIEWER = "demo-reviewer-ku"
# The current cycle is due this many days after the day the demo set is loaded.
DUE_IN_DAYS = 5
# The previous year's closing cycle fell due this many days after its period ended (or
# yesterday, if that day is yet to come): it is past due either way.
LATE_CYCLE_DUE_AFTER_DAYS = 30

# Kyoto's indicators besides the two of its goals above, so that the year's figure reports show
# every state: (goal code, code, name, unit of measure, first year's target, its yearly rise).
MORE_INDICATORS = [
    ("CONNECT", "OUTBOUND-KU", "Students sent overseas", "students", 80, 10),
    ("CONNECT", "VISITING", "Visiting researchers hosted", "researchers", 40, 5),
    ("BOOST", "JOINT-PUB", "Publications with partner universities", "publications", 200, 25),
]

# The state each demo item is brought to, by initiative or indicator code; an item not named stays
# not started. In the late cycle, what is not started, a draft or returned is overdue.
CURRENT_REPORTS = {
    "KU-DEMO-CENTERS": State.DRAFT,
    "KU-DEMO-CRISIS": State.SUBMITTED,
    "KU-DEMO-ONSITE": State.RETURNED,
    "KU-DEMO-RECRUIT": State.APPROVED,
    "KU-DEMO-WEB": State.SUBMITTED,
}
LATE_REPORTS = {
    "KU-DEMO-BASIC": State.DRAFT,
    "KU-DEMO-CENTERS": State.SUBMITTED,
    "KU-DEMO-CRISIS": State.RETURNED,
    "KU-DEMO-ONSITE": State.APPROVED,
    "KU-DEMO-RECRUIT": State.APPROVED,
    "KU-DEMO-WEB": State.APPROVED,
}
FIGURES = {
    "INBOUND": State.APPROVED,
    "JOINT-PUB": State.RETURNED,
    "OUTBOUND-KU": State.SUBMITTED,
    "VISITING": State.DRAFT,
}
# Who writes the reports of a unit's initiatives (the owner writes the rest, and the figures).
WRITERS = {"ASEAN-CENTER": "demo-asean-center"}
RETURN_COMMENT = f"{DEMO} Please name the partners who took part and add the quarter's figures."
APPROVE_COMMENT = f"{DEMO} Thank you: approved."

PARTNERS = [
    ("Bangkok", "TH"),
    ("Chiang Mai", "TH"),
    ("Kuala Lumpur", "MY"),
    ("Singapore", "SG"),
    ("Jakarta", "ID"),
    ("Hanoi", "VN"),
    ("Manila", "PH"),
    ("Heidelberg", "DE"),
    ("Paris", "FR"),
    ("Leiden", "NL"),
    ("Uppsala", "SE"),
    ("Edinburgh", "GB"),
    ("Bologna", "IT"),
    ("Washington, D.C.", "US"),
    ("Seattle", "US"),
    ("Toronto", "CA"),
    ("Vancouver", "CA"),
    ("Seoul", "KR"),
    ("Taipei", "TW"),
    ("Sydney", "AU"),
    ("Nairobi", "KE"),
    ("São Paulo", "BR"),
]

# (institution, code, title, goal codes, lead unit, status, health)
INITIATIVES = [
    (
        "KU",
        "KU-DEMO-ONSITE",
        "On-site Laboratory initiative",
        ["CONNECT.3"],
        "ISO-KU",
        "active",
        "on_track",
    ),
    (
        "KU",
        "KU-DEMO-RECRUIT",
        "Recruitment of excellent international students",
        ["CONNECT.4"],
        "ISO-KU",
        "active",
        "at_risk",
    ),
    (
        "KU",
        "KU-DEMO-CENTERS",
        "Reaching partners through the Overseas Centers",
        ["CONNECT.2", "BOOST.2"],
        "ASEAN-CENTER",
        "active",
        "on_track",
    ),
    (
        "KU",
        "KU-DEMO-WEB",
        "Web and information dissemination",
        ["BOOST.1"],
        "ISO-KU",
        "active",
        "on_track",
    ),
    (
        "KU",
        "KU-DEMO-BASIC",
        "Support of the Basic Concept",
        ["PROMOTE.1"],
        "ISO-KU",
        "planned",
        "on_track",
    ),
    (
        "KU",
        "KU-DEMO-CRISIS",
        "International crisis management",
        ["PROMOTE.3"],
        "ISO-KU",
        "active",
        "off_track",
    ),
    (
        "KU",
        "KU-DEMO-GOOD",
        "Information sharing and good practices",
        ["PROMOTE.2", "PROMOTE.4"],
        "INTL-OFFICES",
        "active",
        "at_risk",
    ),
    (
        "KU",
        "KU-DEMO-GOV",
        "University-wide collaborative support",
        ["STRENGTHEN.1"],
        "ISO-KU-NETWORK",
        "proposed",
        "on_track",
    ),
    (
        "TMU",
        "TMU-DEMO-JOINT",
        "International joint research",
        ["2.1"],
        "TMU-INTL",
        "active",
        "on_track",
    ),
    (
        "TMU",
        "TMU-DEMO-STUDY",
        "Sending more students overseas",
        ["1.4"],
        "TMU-INTL",
        "active",
        "at_risk",
    ),
    (
        "TMU",
        "TMU-DEMO-WELCOME",
        "Learning and living environment for international students",
        ["1.3", "3.3"],
        "TMU-INTL",
        "active",
        "on_track",
    ),
    ("TMU", "TMU-DEMO-PR", "International PR", ["3.2", "2.2"], "TMU-INTL", "completed", "on_track"),
]

# Japanese titles of some demo initiatives, so that both languages and the fallback mark show.
JAPANESE_TITLES = {
    "KU-DEMO-ONSITE": "オンサイトラボラトリー事業",
    "KU-DEMO-CRISIS": "国際危機管理",
    "TMU-DEMO-JOINT": "国際共同研究",
    "TMU-DEMO-STUDY": "海外への学生派遣の拡大",
    "TMU-DEMO-WELCOME": "留学生の学修・生活環境の整備",
    "TMU-DEMO-PR": "国際広報",
}
DEMO_JA = "[デモ]"


def demo_ja(title: str) -> str:
    """A Japanese demo title, labelled like the English ones; empty where there is none."""
    return f"{DEMO_JA} {title}" if title else ""


ALIGNMENTS = [
    (("TMU", "2.1"), ("KU", "CONNECT")),
    (("TMU", "3.2"), ("KU", "BOOST")),
    (("TMU", "1.3"), ("KU", "CONNECT.4")),
    (("TMU", "3.1"), ("KU", "STRENGTHEN")),
    (("TMU", "3.3"), ("KU", "PROMOTE")),
]


class Command(BaseCommand):
    help = "Load the labelled demo data set and create the demo login (skips what is there)."

    def handle(self, *args, **options) -> None:
        if Initiative.objects.filter(code="KU-DEMO-ONSITE").exists():
            self.stdout.write("Demo data set: already loaded")
            self.ensure_login()
            return
        with transaction.atomic():
            self.load(random.Random(2025))
            self.stdout.write(f"Demo data set: loaded {Activity.objects.count()} activities")
            # The cycle's items are written by the demo's owner and reviewer: logins first.
            self.ensure_login()
            self.load_reporting()
            self.load_disclosure()

    def ensure_login(self) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f"Demo login: {DEMO_USERNAME} (exists; its password is unchanged)")
        else:
            user_model.objects.create_superuser(DEMO_USERNAME, "", DEMO_PASSWORD)
            self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        self.ensure_role_logins()

    def ensure_role_logins(self) -> None:
        """One login per role, to try what each role sees (same password as the demo login)."""
        user_model = get_user_model()
        made = []
        for username, role, institutions, units in DEMO_ROLE_LOGINS:
            if user_model.objects.filter(username=username).exists():
                continue
            user = user_model.objects.create_user(
                username, "", DEMO_PASSWORD, is_staff=role != LEADERSHIP
            )
            user.groups.add(Group.objects.get(name=role))
            user_scope_create(
                scope=UserScope(user=user),
                institutions=Institution.objects.filter(code__in=institutions),
                units=Unit.objects.filter(code__in=units),
                user=None,
                reason="Demo login",
            )
            made.append(f"{username} ({role})")
        if made:
            self.stdout.write(f"Demo logins by role, same password: {', '.join(made)}")

    @transaction.atomic
    def load(self, rng: random.Random) -> None:
        institutions = {i.code: i for i in Institution.objects.all()}
        unit_create(
            unit=Unit(
                institution=institutions["TMU"],
                code="TMU-INTL",
                name=f"{DEMO} International office",
                kind="office",
            ),
            user=None,
            reason=REASON,
        )
        units = {
            (u.institution.code, u.code): u for u in Unit.objects.select_related("institution")
        }
        goals = {
            (g.framework.institution.code, g.code): g
            for g in Goal.objects.select_related("framework__institution")
        }
        people = [
            person_create(person=Person(name=f"{DEMO} {name}"), user=None, reason=REASON)
            for name in ["Aiko Tanaka", "Kenji Suzuki", "Maria Rossi", "John Miller", "Yuki Sato"]
        ]
        partners = [
            partner_create(
                partner=PartnerInstitution(
                    name=f"{DEMO} University of {city}", country=country, city=city
                ),
                user=None,
                reason=REASON,
            )
            for city, country in PARTNERS
        ]
        initiatives = []
        for inst, code, title, goal_codes, lead, status, health in INITIATIVES:
            # The owner and budget are drawn before the partners, as the seeded demo set has it.
            initiative = initiative_create(
                initiative=Initiative(
                    institution=institutions[inst],
                    code=code,
                    title=f"{DEMO} {title}",
                    title_ja=demo_ja(JAPANESE_TITLES.get(code, "")),
                    summary="Demo record for trying the product; not a real initiative.",
                    summary_ja="製品を試すためのデモの記録です。実在の取り組みではありません。",
                    lead_unit=units[(inst, lead)],
                    status=status,
                    health=health,
                    start_date=dt.date(2022, 4, 1),
                    owner=rng.choice(people),
                    budget_jpy=rng.randrange(1, 50) * 1_000_000,
                ),
                goals=[goals[(inst, g)] for g in goal_codes],
                partners=rng.sample(partners, 3),
                user=None,
                reason=REASON,
            )
            initiatives.append(initiative)
        for (a_inst, a_code), (b_inst, b_code) in ALIGNMENTS:
            alignment_create(
                alignment=Alignment(
                    source=goals[(a_inst, a_code)],
                    target=goals[(b_inst, b_code)],
                    note=f"{DEMO} Alignment for trying the crosswalk.",
                ),
                user=None,
                reason=REASON,
            )
        self.load_indicators(goals, rng)
        self.load_agreements(units, partners, rng)
        self.load_activities(initiatives, partners, rng)
        for initiative in initiatives[:6]:
            for quarter in (1, 2):
                progress_update_create(
                    update=ProgressUpdate(
                        initiative=initiative,
                        fiscal_year=2025,
                        quarter=quarter,
                        health=initiative.health,
                        narrative=f"{DEMO} Progress narrative, Q{quarter}.",
                    ),
                    user=None,
                    reason=REASON,
                )

    def load_indicators(self, goals: dict, rng: random.Random) -> None:
        for inst, goal_code, code, name, unit in [
            ("KU", "CONNECT", "INBOUND", "International students enrolled", "students"),
            ("KU", "BOOST", "PARTNERS", "Partnerships with leading universities", "agreements"),
            ("TMU", "1.4", "OUTBOUND", "Students sent overseas", "students"),
        ]:
            values = []
            for year in range(2022, 2026):
                target = Decimal(100 + 20 * (year - 2022))
                values.append(
                    IndicatorValue(
                        fiscal_year=year, target=target, actual=target + rng.randrange(-30, 30)
                    )
                )
            indicator_create(
                indicator=Indicator(
                    goal=goals[(inst, goal_code)],
                    code=code,
                    name=f"{DEMO} {name}",
                    unit_of_measure=unit,
                ),
                values=values,
                user=None,
                reason=REASON,
            )

    def load_agreements(self, units: dict, partners: list, rng: random.Random) -> None:
        for n, partner in enumerate(partners[:15]):
            signed = dt.date(2019 + n % 6, 1 + n % 12, 1)
            agreement_create(
                agreement=Agreement(
                    partner=partner,
                    unit=units[("KU", "ISO-KU")] if n % 3 else units[("TMU", "TMU-INTL")],
                    kind=rng.choice(AgreementKind.values),
                    title=f"{DEMO} Agreement {n + 1}",
                    signed_on=signed,
                    expires_on=signed.replace(year=signed.year + 5),
                ),
                user=None,
                reason=REASON,
            )

    def load_activities(self, initiatives: list, partners: list, rng: random.Random) -> None:
        first, days = dt.date(2022, 4, 1), (dt.date(2026, 10, 31) - dt.date(2022, 4, 1)).days
        activities = []
        for n in range(300):
            initiative = rng.choice(initiatives)
            partner = rng.choice(partners)
            kind = rng.choice(ActivityType.values)
            start = first + dt.timedelta(days=rng.randrange(days))
            activities.append(
                Activity(
                    external_ref=f"DEMO-{n + 1:04d}",
                    initiative=initiative,
                    unit=initiative.lead_unit,
                    activity_type=kind,
                    title=f"{DEMO} {ActivityType(kind).label}, {partner.city}",
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randrange(0, 5)),
                    country=partner.country,
                    city=partner.city,
                    partner=partner,
                    inbound_participants=rng.randrange(0, 40),
                    outbound_participants=rng.randrange(0, 25),
                )
            )
        activities_create(activities=activities, user=None, reason=REASON)

    def load_reporting(self) -> None:
        """Kyoto's two demo cycles (see the module's docstring), each item moved through the
        reporting doors by the login that would: the owner drafts and submits, the reviewer
        returns and approves."""
        user_model = get_user_model()
        owner = user_model.objects.get(username=DEMO_OWNER)
        reviewer = user_model.objects.get(username=DEMO_REVIEWER)
        writers = {unit: user_model.objects.get(username=name) for unit, name in WRITERS.items()}
        kyoto = Institution.objects.get(code="KU")
        person_login_link(
            person=Person.objects.get(name=DEMO_OWNER_PERSON), login=owner, user=None, reason=REASON
        )
        self.load_more_indicators(kyoto)
        today = fiscal_today()
        year = fiscal_year_of(today)
        current = ReportingCycle(
            institution=kyoto,
            fiscal_year=year,
            period=f"q{(today.month - 4) % 12 // 3 + 1}",
            due_date=today + dt.timedelta(days=DUE_IN_DAYS),
        )
        late = ReportingCycle(institution=kyoto, fiscal_year=year - 1, period="q4", due_date=today)
        late.due_date = min(
            late.ends + dt.timedelta(days=LATE_CYCLE_DUE_AFTER_DAYS), today - dt.timedelta(days=1)
        )
        for cycle, states in ((late, LATE_REPORTS), (current, CURRENT_REPORTS)):
            self.targets_for(cycle)
            cycle_open(cycle=cycle, user=None, reason=REASON)
            for report in cycle.reports.select_related("initiative__lead_unit"):
                writer = writers.get(report.initiative.lead_unit.code, owner)
                self.move_report(report, states.get(report.initiative.code), writer, reviewer)
            for figure in cycle.figures.select_related("indicator"):
                self.move_figure(figure, FIGURES.get(figure.indicator.code), owner, reviewer)
        owed = reports_owed_by(owner).count() + figures_owed_by(owner).count()
        waiting = (
            Report.objects.filter(cycle__institution=kyoto, state=State.SUBMITTED).count()
            + FigureReport.objects.filter(cycle__institution=kyoto, state=State.SUBMITTED).count()
        )
        self.stdout.write(
            f"Demo reporting cycles of KU: {current} (open, due {current.due_date}) and {late} "
            f"(past due since {late.due_date}); {DEMO_OWNER} owes {owed} items (My reports), "
            f"{DEMO_REVIEWER} has {waiting} waiting for review"
        )

    def load_more_indicators(self, kyoto: Institution) -> None:
        """Kyoto's further demo indicators, their targets and actuals drawn from no generator (the
        seeded one has drawn the rest of the set already)."""
        goals = {g.code: g for g in Goal.objects.filter(framework__institution=kyoto)}
        for goal_code, code, name, unit, first, rise in MORE_INDICATORS:
            values = []
            for n, year in enumerate(range(2022, 2026)):
                target = Decimal(first + rise * n)
                values.append(
                    IndicatorValue(fiscal_year=year, target=target, actual=target + (-1) ** n * 3)
                )
            indicator_create(
                indicator=Indicator(
                    goal=goals[goal_code],
                    code=code,
                    name=f"{DEMO} {name}",
                    unit_of_measure=unit,
                ),
                values=values,
                user=None,
                reason=REASON,
            )

    def load_disclosure(self) -> None:
        """Library indicators adopted by both institutions and shared in benchmarks (students sent
        under agreements, which the product counts from the demo's activities once the load
        commits; the international students' ratio, from a demo headcount sheet), and Kyoto's
        public pages with two of its missions disclosed. Tokyo Metropolitan's pages stay off."""
        library = {i.code: i for i in LibraryIndicator.objects.all()}
        if not {"PF-OUT-AGR", "TGU-02"} <= set(library):
            return  # the library is not loaded (load_sources)
        adoptions = [
            ("KU", "CONNECT", "PF-OUT-AGR", "students", True),
            ("KU", "CONNECT", "TGU-02", "%", True),
            ("TMU", "1.4", "PF-OUT-AGR", "students", False),
            ("TMU", "1.4", "TGU-02", "%", False),
        ]
        for n, (inst, goal_code, code, unit, public) in enumerate(adoptions):
            goal = Goal.objects.get(framework__institution__code=inst, code=goal_code)
            values = [
                IndicatorValue(
                    fiscal_year=year,
                    target=Decimal(
                        150 + 10 * (year - 2022) if unit == "students" else 9 + n + year - 2022
                    ),
                )
                for year in range(2022, 2026)
            ]
            indicator_create(
                indicator=Indicator(
                    goal=goal,
                    code=code,
                    name=f"{DEMO} {library[code].name}",
                    name_ja=demo_ja(library[code].name_ja),
                    unit_of_measure=unit,
                    library=library[code],
                    public=public,
                    benchmarked=True,
                ),
                values=values,
                user=None,
                reason=REASON,
            )
        for inst, every, international in (("KU", 22000, 2300), ("TMU", 9000, 700)):
            institution = Institution.objects.get(code=inst)
            for year in range(2022, 2026):
                for group, count in (("all", every), ("international", international)):
                    record_save(
                        Headcount(
                            institution=institution,
                            fiscal_year=year,
                            as_of=dt.date(year, 5, 1),
                            level="undergraduate",
                            group=group,
                            count=count + 150 * (year - 2022),
                        ),
                        user=None,
                        reason=REASON,
                    )
        kyoto = Institution.objects.get(code="KU")
        kyoto.public_pages = True
        record_save(kyoto, user=None, reason=REASON)
        for goal in Goal.objects.filter(
            framework__institution=kyoto, code__in=["CONNECT", "BOOST"]
        ):
            goal.public = True
            record_save(goal, user=None, reason=REASON)
        for indicator in Indicator.objects.filter(
            goal__framework__institution=kyoto, code="INBOUND"
        ):
            indicator.public = True
            record_save(indicator, user=None, reason=REASON)

    def targets_for(self, cycle: ReportingCycle) -> None:
        """A target for the cycle's year, where a cycle that closes the year owes figures and a
        demo indicator of the institution has none yet (a year after the demo's own figures): the
        last year's target, raised by a tenth."""
        if cycle.quarter != 4:
            return
        indicators = Indicator.objects.filter(
            goal__framework__institution=cycle.institution, name__startswith=DEMO
        ).exclude(values__fiscal_year=cycle.fiscal_year, values__target__isnull=False)
        for indicator in indicators:
            last = (
                indicator.values.filter(target__isnull=False, fiscal_year__lt=cycle.fiscal_year)
                .order_by("-fiscal_year")
                .first()
            )
            if last is None:
                continue
            indicator_target_record(
                indicator=indicator,
                fiscal_year=cycle.fiscal_year,
                target=last.target * Decimal("1.1"),
                user=None,
                reason=REASON,
            )

    @staticmethod
    def move_report(report: Report, state: str | None, writer, reviewer) -> None:
        """Bring a report from not started to ``state`` (None: it stays not started)."""
        if state is None or state == State.NOT_STARTED:
            return
        initiative = report.initiative
        report.health = initiative.health
        report.narrative = (
            f"{DEMO} What {initiative.code} did in {report.cycle}, and what comes next."
        )
        report_save(report=report, user=writer, reason=REASON)
        if state == State.DRAFT:
            return
        report_submit(report=report, user=writer, comment=REASON)
        if state == State.RETURNED:
            report_return(report=report, user=reviewer, comment=RETURN_COMMENT)
        elif state == State.APPROVED:
            report_approve(report=report, user=reviewer, comment=APPROVE_COMMENT)

    @staticmethod
    def move_figure(figure: FigureReport, state: str | None, writer, reviewer) -> None:
        """Bring a figure report from not started to ``state`` (None: it stays not started)."""
        if state is None or state == State.NOT_STARTED:
            return
        value = figure.indicator.values.filter(fiscal_year=figure.cycle.fiscal_year).first()
        figure.actual = (value.target if value and value.target else Decimal(100)) + 7
        figure.note = f"{DEMO} Counted by the office on the last day of the year."
        figure_save(figure=figure, user=writer, reason=REASON)
        if state == State.DRAFT:
            return
        figure_submit(figure=figure, user=writer, comment=REASON)
        if state == State.RETURNED:
            figure_return(figure=figure, user=reviewer, comment=RETURN_COMMENT)
        elif state == State.APPROVED:
            figure_approve(figure=figure, user=reviewer, comment=APPROVE_COMMENT)
