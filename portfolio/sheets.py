"""Spreadsheets of the portfolio: partners, activities and initiatives (see imports.engine)."""

import datetime as dt
import re
from collections.abc import Hashable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.access import reach_of
from common.history import chunks
from common.messages import message, message_of
from common.parsing import (
    parse_choice,
    parse_country,
    parse_date,
    parse_int,
    plain_text,
    split_list,
    text,
)
from common.text import code_key
from imports.engine import (
    COUNTRY,
    CodeList,
    Column,
    Lookup,
    Parsed,
    RowErrors,
    SheetKind,
    choice_codes,
    country_codes,
    register,
)
from imports.mapping import header_key
from policies.models import Goal
from portfolio.models import (
    Activity,
    ActivityMode,
    ActivityType,
    Health,
    Initiative,
    InitiativeStatus,
    PartnerInstitution,
)
from units.models import Institution, Unit

QUALIFIED = re.compile(r"^(?P<name>.*?)\s*\[(?P<country>[A-Za-z]{2})\]$")
# What a sheet writes in the country column of an activity held online (compared by key).
ONLINE = frozenset(
    header_key(word)
    for word in (
        "Online",
        "Virtual",
        "Remote",
        "Web",
        "オンライン",
        "온라인",
        "线上",
        "線上",
        "在线",
    )
)


# A web address written without its scheme, as lists often do (``www.utwente.nl/en/``).
BARE_ADDRESS = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?$")


def with_scheme(website: str) -> str:
    """``https://`` put before an address that has no scheme; any other text as it is."""
    if website and "://" not in website and BARE_ADDRESS.match(website):
        return f"https://{website}"
    return website


def check_required(errors: RowErrors, column: str, value: object) -> None:
    if value in (None, ""):
        errors.add(column, message("This cell must not be empty."))


def check_dates(errors: RowErrors, start, end, column: str = "end_date") -> None:
    if start and end and end < start:
        errors.add(
            column,
            message("The end (%(end)s) is before the start (%(start)s).", end=end, start=start),
        )


class UnitsAndInitiatives:
    """Units and initiatives by code, or by ``INSTITUTION:CODE`` where a code is shared."""

    def load_units(self) -> Lookup:
        units = Lookup(
            message("unit"), message("Write it as INSTITUTION:CODE, for example KU:ISO-KU.")
        )
        for unit in Unit.objects.select_related("institution"):
            units.add(unit.code, unit)
            units.add(f"{unit.institution.code}:{unit.code}", unit)
        return units

    def load_initiatives(self) -> Lookup:
        initiatives = Lookup(message("initiative"), message("Write it as INSTITUTION:CODE."))
        for initiative in Initiative.objects.select_related("institution"):
            initiatives.add(initiative.code, initiative)
            initiatives.add(f"{initiative.institution.code}:{initiative.code}", initiative)
        return initiatives

    @staticmethod
    def reference(lookup: Lookup, obj) -> str:
        if obj is None:
            return ""
        return f"{obj.institution.code}:{obj.code}" if lookup.is_shared(obj.code) else obj.code

    def unit_codes(self, language: str, columns: tuple[str, ...]) -> CodeList:
        """The units the user's scope sees, each as a sheet names it, its name and institution."""
        lookup = self.load_units()
        units = Unit.objects.filter(self.access.visible(reach_of(Unit))).select_related(
            "institution"
        )
        rows = [
            (self.reference(lookup, unit), str(unit.shown("name", language)), unit.institution.code)
            for unit in units.order_by("institution__code", "code")
        ]
        return CodeList((_("unit"), _("name"), _("institution")), rows, columns)

    def initiative_codes(self, language: str, columns: tuple[str, ...]) -> CodeList:
        lookup = self.load_initiatives()
        visible = Initiative.objects.filter(self.access.visible(reach_of(Initiative)))
        rows = [
            (self.reference(lookup, initiative), str(initiative.shown("title", language)))
            for initiative in visible.select_related("institution").order_by(
                "institution__code", "code"
            )
        ]
        return CodeList((_("initiative"), _("title")), rows, columns)


class Partners:
    """Partners by English or Japanese name (NFKC, any case); ``Name [TH]`` picks one where a
    name is shared."""

    def load_partners(self) -> Lookup:
        partners = Lookup(
            message("partner institution"), message("Add the country, e.g. “Name [TH]”.")
        )
        for partner in PartnerInstitution.objects.all():
            partners.add(partner.name, partner)
            if partner.name_ja:
                partners.add(partner.name_ja, partner)
        return partners

    @staticmethod
    def find_partner(partners: Lookup, written: str, country: str = ""):
        match = QUALIFIED.match(written)
        if match:
            written, country = match["name"], match["country"].upper()
        return partners.find(
            written, narrow=lambda found: [p for p in found if p.country.code == country]
        )

    @staticmethod
    def partner_reference(partners: Lookup, partner) -> str:
        if partner is None:
            return ""
        if partners.is_shared(partner.name):
            return f"{partner.name} [{partner.country.code}]"
        return partner.name


@register
class PartnerSheet(SheetKind, Partners):
    key = "partners"
    label = gettext_lazy("Partner institutions")
    model = PartnerInstitution
    columns = [
        Column("name", "機関名", required=True),
        Column("local_name", "現地語名称"),
        Column("country", "国・地域", choices=COUNTRY),
        Column("city", "都市"),
        Column("website", "ウェブサイト"),
        # Added last, so that sheets laid out by position before it existed still line up.
        Column("name_ja", "機関名（日本語）"),
    ]
    url = URLValidator(schemes=["http", "https"])
    example = {
        "name": "Chulalongkorn University",
        "local_name": "จุฬาลงกรณ์มหาวิทยาลัย",
        "country": "TH",
        "city": "Bangkok",
        "website": "https://www.chula.ac.th/",
        "name_ja": "チュラロンコーン大学",
    }

    def code_lists(self, language: str) -> list[CodeList]:
        return [country_codes(_("country"), ("country",))]

    def prepare(self, rows: list[dict]) -> None:
        self.by_key = {
            (code_key(partner.name), partner.country.code): partner
            for partner in PartnerInstitution.objects.all()
        }

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        name = " ".join(plain_text(raw.get("name")).split())
        check_required(errors, "name", name)
        website = with_scheme(text(raw.get("website")))
        if website:
            try:
                self.url(website)
            except ValidationError:
                errors.add(
                    "website",
                    message("“%(website)s” is not a web address (https://…).", website=website),
                )
        values = {
            "name": name,
            "name_ja": plain_text(raw.get("name_ja")),
            "local_name": plain_text(raw.get("local_name")),
            "country": errors.cell(raw, "country", parse_country) or "",
            "city": plain_text(raw.get("city")),
            "website": website,
        }
        self.check_reach(errors, "name", PartnerInstitution)
        return Parsed(values)

    def key_of(self, parsed: Parsed) -> Hashable:
        return (code_key(parsed.values["name"]), parsed.values["country"])

    def existing(self, keys: list[Hashable]) -> dict:
        return {key: self.by_key[key] for key in keys if key in self.by_key}

    def export_queryset(self):
        return PartnerInstitution.objects.order_by("name", "country")

    def export_row(self, obj: PartnerInstitution) -> list[object]:
        return [obj.name, obj.local_name, obj.country.code, obj.city, obj.website, obj.name_ja]


@register
class ActivitySheet(SheetKind, UnitsAndInitiatives, Partners):
    key = "activities"
    label = gettext_lazy("Activities")
    model = Activity
    columns = [
        Column("external_ref", "外部参照", required=True),
        Column("title", "件名", required=True),
        Column("activity_type", "活動種別", choices=ActivityType),
        Column("start_date", "開始日", required=True, writes=("start_date", "fiscal_year")),
        Column("end_date", "終了日"),
        Column("unit", "部局", writes=("unit_id",)),
        Column("initiative", "取組", writes=("initiative_id",)),
        Column("country", "国・地域", choices=COUNTRY),
        Column("city", "都市"),
        Column("partner_institution", "相手機関", writes=("partner_id",)),
        Column("inbound_participants", "受入人数"),
        Column("outbound_participants", "派遣人数"),
        Column("description", "説明", multiline=True),
        # Added last, so that sheets laid out by position before it existed still line up.
        Column("mode", "形態", choices=ActivityMode),
    ]
    example = {
        "external_ref": "KU-2025-0001",
        "title": "Joint symposium on student mobility",
        "activity_type": ActivityType.SYMPOSIUM,
        "start_date": dt.date(2025, 4, 21),
        "end_date": dt.date(2025, 4, 22),
        "unit": "ISO-KU",
        "country": "TH",
        "city": "Bangkok",
        "partner_institution": "Chulalongkorn University",
        "inbound_participants": 12,
        "outbound_participants": 3,
        "description": "Two days of talks with partner universities.",
        "mode": ActivityMode.IN_PERSON,
    }

    def prepare(self, rows: list[dict]) -> None:
        self.units = self.load_units()
        self.initiatives = self.load_initiatives()
        self.partners = self.load_partners()

    def code_lists(self, language: str) -> list[CodeList]:
        return [
            self.unit_codes(language, ("unit",)),
            self.initiative_codes(language, ("initiative",)),
            choice_codes(_("activity type"), ActivityType, ("activity_type",)),
            country_codes(_("country"), ("country",)),
        ]

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        external_ref = text(raw.get("external_ref"))
        title = plain_text(raw.get("title"))
        check_required(errors, "external_ref", external_ref)
        check_required(errors, "title", title)
        start = errors.cell(raw, "start_date", parse_date)
        if start is None and not any(e.column == "start_date" for e in errors.items):
            errors.add("start_date", message("This cell must not be empty."))
        end = errors.cell(raw, "end_date", parse_date)
        check_dates(errors, start, end)
        unit = self.resolve(errors, raw, "unit", self.units)
        initiative = self.resolve(errors, raw, "initiative", self.initiatives)
        if unit is None and initiative is None and not errors.items:
            errors.add("unit", message("Give the unit or the initiative this activity belongs to."))
        if unit and initiative and unit.institution_id != initiative.institution_id:
            errors.add(
                "unit", message("The unit and the initiative belong to different institutions.")
            )
        self.check_reach(
            errors,
            "unit" if unit else "initiative",
            lambda: Activity(unit=unit, initiative=initiative),
            (unit and unit.pk, initiative and initiative.pk),
        )
        mode = errors.cell(raw, "mode", parse_choice, choices=ActivityMode)
        if header_key(raw.get("country")) in ONLINE:
            # "Online" where a country goes: an online activity, which has no country.
            country, mode = "", mode or ActivityMode.ONLINE
        else:
            country = errors.cell(raw, "country", parse_country) or ""
        partner = None
        if text(raw.get("partner_institution")):
            try:
                partner = self.find_partner(
                    self.partners, text(raw.get("partner_institution")), country
                )
            except ValueError as error:
                errors.add("partner_institution", message_of(error))
        city = plain_text(raw.get("city"))
        return Parsed(
            {
                "external_ref": external_ref,
                "title": title,
                "activity_type": errors.cell(
                    raw, "activity_type", parse_choice, choices=ActivityType
                )
                or ActivityType.OTHER,
                "mode": mode or ActivityMode.IN_PERSON,
                "start_date": start,
                "end_date": end,
                "fiscal_year": Activity.fiscal_year_of_start(start),
                "unit_id": unit.pk if unit else None,
                "initiative_id": initiative.pk if initiative else None,
                "country": country,
                "city": city,
                "partner_id": partner.pk if partner else None,
                "inbound_participants": errors.cell(raw, "inbound_participants", parse_int) or 0,
                "outbound_participants": errors.cell(raw, "outbound_participants", parse_int) or 0,
                "description": plain_text(raw.get("description")),
            }
        )

    @staticmethod
    def resolve(errors: RowErrors, raw: dict, column: str, lookup: Lookup):
        written = text(raw.get(column))
        if not written:
            return None
        try:
            return lookup.find(written)
        except ValueError as error:
            errors.add(column, message_of(error))
            return None

    def key_of(self, parsed: Parsed) -> Hashable:
        return parsed.values["external_ref"]

    def existing(self, keys: list[Hashable]) -> dict:

        found = {}
        for chunk in chunks(keys):
            for activity in Activity.objects.filter(external_ref__in=chunk):
                found[activity.external_ref] = activity
        return found

    def export_queryset(self):
        return Activity.objects.select_related(
            "unit__institution", "initiative__institution", "partner"
        ).order_by("external_ref")

    def export_row(self, obj: Activity) -> list[object]:
        if not hasattr(self, "units"):
            self.prepare([])
        return [
            obj.external_ref,
            obj.title,
            obj.activity_type,
            obj.start_date,
            obj.end_date,
            self.reference(self.units, obj.unit),
            self.reference(self.initiatives, obj.initiative),
            obj.country.code,
            obj.city,
            self.partner_reference(self.partners, obj.partner),
            obj.inbound_participants,
            obj.outbound_participants,
            obj.description,
            obj.mode,
        ]


@register
class InitiativeSheet(SheetKind, UnitsAndInitiatives, Partners):
    key = "initiatives"
    label = gettext_lazy("Initiatives")
    model = Initiative
    link_fields = ["goals", "contributing_units", "partners"]
    columns = [
        Column("code", "取組コード", required=True),
        Column("title", "名称", required=True),
        Column("summary", "概要", multiline=True),
        Column("institution", "大学", required=True, writes=("institution_id",)),
        Column("lead_unit", "主担当部局", writes=("lead_unit_id",)),
        Column("contributing_units", "協力部局"),
        Column("goals", "目標"),
        Column("partners", "相手機関"),
        Column("status", "状況", choices=InitiativeStatus),
        Column("health", "健全性", choices=Health),
        Column("start_date", "開始日"),
        Column("end_date", "終了日"),
        Column("budget_jpy", "予算（円）"),
        # Added last, so that sheets laid out by position before they existed still line up.
        Column("title_ja", "名称（日本語）"),
        Column("summary_ja", "概要（日本語）", multiline=True),
    ]
    example = {
        "code": "EXCHANGE-ASEAN",
        "title": "Short-term student exchange with ASEAN partners",
        "summary": "Two-week programmes in both directions each year.",
        "institution": "KU",
        "lead_unit": "ISO-KU",
        "status": InitiativeStatus.ACTIVE,
        "health": Health.ON_TRACK,
        "start_date": dt.date(2025, 4, 1),
        "end_date": dt.date(2028, 3, 31),
        "budget_jpy": 1_200_000,
        "title_ja": "ASEAN協定校との短期学生交流",
    }

    def code_lists(self, language: str) -> list[CodeList]:
        institutions = Institution.objects.filter(self.access.visible(reach_of(Institution)))
        goals = Goal.objects.filter(self.access.visible(reach_of(Goal))).select_related("framework")
        return [
            CodeList(
                (_("institution"), _("name")),
                [(i.code, str(i.shown("name", language))) for i in institutions.order_by("code")],
                ("institution",),
            ),
            self.unit_codes(language, ("lead_unit",)),
            # Goals, contributing units and partners take several values (“A; B”): listed,
            # not offered as a drop-down, which holds one.
            CodeList(
                (_("goal"), _("title")),
                [
                    (goal.reference, str(goal.shown("title", language)))
                    for goal in goals.order_by("framework__code", "code")
                ],
            ),
            choice_codes(_("status"), InitiativeStatus, ("status",)),
            choice_codes(_("health"), Health, ("health",)),
        ]

    def prepare(self, rows: list[dict]) -> None:
        self.institutions = Lookup(message("institution"))
        for institution in Institution.objects.all():
            self.institutions.add(institution.code, institution)
        self.units = self.load_units()
        self.partners = self.load_partners()
        self.goals = Lookup(message("goal"), message("Write it as FRAMEWORK:CODE."))
        for goal in Goal.objects.select_related("framework"):
            self.goals.add(f"{goal.framework.code}:{goal.code}", goal)
        self.by_key = {
            (initiative.institution_id, code_key(initiative.code)): initiative
            for initiative in Initiative.objects.all()
        }

    def parse(self, raw: dict, errors: RowErrors) -> Parsed | None:
        code, title = text(raw.get("code")), plain_text(raw.get("title"))
        check_required(errors, "code", code)
        check_required(errors, "title", title)
        institution = None
        try:
            institution = self.institutions.find(text(raw.get("institution")))
        except ValueError as error:
            errors.add("institution", message_of(error))
        start = errors.cell(raw, "start_date", parse_date)
        end = errors.cell(raw, "end_date", parse_date)
        check_dates(errors, start, end)
        lead = ActivitySheet.resolve(errors, raw, "lead_unit", self.units)
        units = self.resolve_list(errors, raw, "contributing_units", self.units.find)
        goals = self.resolve_list(errors, raw, "goals", self.goals.find)
        partners = self.resolve_list(
            errors, raw, "partners", lambda written: self.find_partner(self.partners, written)
        )
        if institution:
            for unit in [lead, *units]:
                if unit and unit.institution_id != institution.pk:
                    errors.add(
                        "lead_unit" if unit is lead else "contributing_units",
                        message("Unit %(unit)s belongs to another institution.", unit=unit.code),
                    )
            for goal in goals:
                if goal.framework.institution_id != institution.pk:
                    errors.add(
                        "goals",
                        message(
                            "Goal %(goal)s is not a goal of %(institution)s's frameworks.",
                            goal=goal.reference,
                            institution=institution.code,
                        ),
                    )
        self.check_reach(
            errors,
            "institution" if self.access.unit_ids is None else "lead_unit",
            lambda: Initiative(institution=institution, lead_unit=lead),
            (institution and institution.pk, lead and lead.pk),
        )
        return Parsed(
            {
                "code": code,
                "title": title,
                "summary": plain_text(raw.get("summary")),
                "title_ja": plain_text(raw.get("title_ja")),
                "summary_ja": plain_text(raw.get("summary_ja")),
                "institution_id": institution.pk if institution else None,
                "lead_unit_id": lead.pk if lead else None,
                "status": errors.cell(raw, "status", parse_choice, choices=InitiativeStatus)
                or InitiativeStatus.PROPOSED,
                "health": errors.cell(raw, "health", parse_choice, choices=Health)
                or Health.ON_TRACK,
                "start_date": start,
                "end_date": end,
                "budget_jpy": errors.cell(raw, "budget_jpy", parse_int),
            },
            links={
                "goals": {goal.pk for goal in goals},
                "contributing_units": {unit.pk for unit in units},
                "partners": {partner.pk for partner in partners},
            },
        )

    @staticmethod
    def resolve_list(errors: RowErrors, raw: dict, column: str, find) -> list:
        found = []
        for written in split_list(raw.get(column)):
            try:
                found.append(find(written))
            except ValueError as error:
                errors.add(column, message_of(error))
        return found

    def key_of(self, parsed: Parsed) -> Hashable:
        return (parsed.values["institution_id"], code_key(parsed.values["code"]))

    def existing(self, keys: list[Hashable]) -> dict:
        return {key: self.by_key[key] for key in keys if key in self.by_key}

    def export_queryset(self):
        return (
            Initiative.objects.select_related("institution", "lead_unit__institution")
            .prefetch_related("goals__framework", "contributing_units__institution", "partners")
            .order_by("institution__code", "code")
        )

    def export_row(self, obj: Initiative) -> list[object]:
        if not hasattr(self, "units"):
            self.prepare([])
        return [
            obj.code,
            obj.title,
            obj.summary,
            obj.institution.code,
            self.reference(self.units, obj.lead_unit),
            "; ".join(sorted(self.reference(self.units, u) for u in obj.contributing_units.all())),
            "; ".join(sorted(goal.reference for goal in obj.goals.all())),
            "; ".join(sorted(self.partner_reference(self.partners, p) for p in obj.partners.all())),
            obj.status,
            obj.health,
            obj.start_date,
            obj.end_date,
            obj.budget_jpy,
            obj.title_ja,
            obj.summary_ja,
        ]
