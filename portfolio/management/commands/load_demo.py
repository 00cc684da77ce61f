"""Load the labelled demo data set and a demo login; only ``make run`` calls this.

Every record it writes says "[Demo]" in its title or name, so nobody mistakes it for a real
record. The initiatives are the lines of work the sources name; the figures are made up by a
seeded random generator, the same on every machine. Each record is written by its app's door
(``services.py``), with the demo's reason on its history. Safe to run again: if the demo set is
there, nothing is written.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from common.roles import DATA_STEWARD, EDITOR, LEADERSHIP, UNIT_EDITOR
from policies.models import Alignment, Goal, Indicator, IndicatorValue
from policies.services import alignment_create, indicator_create
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
from units.models import Institution, Person, Unit, UserScope
from units.services import person_create, unit_create, user_scope_create

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
]

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
        else:
            self.load(random.Random(2025))
            self.stdout.write(f"Demo data set: loaded {Activity.objects.count()} activities")
        self.ensure_login()

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
