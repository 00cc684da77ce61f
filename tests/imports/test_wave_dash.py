"""〜 and ～, − and －: one record, whichever computer wrote the sheet.

Japanese Windows saves a CSV in cp932, whose bytes 0x8160 and 0x817C Python reads as ～ FULLWIDTH
TILDE and － FULLWIDTH HYPHEN-MINUS, where a Mac or a browser writes 〜 WAVE DASH and − MINUS SIGN.
Imports match records, and the database keeps codes unique, on a key that folds them together.
"""

import csv
import importlib
import io
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL

from common.db import CodeKey
from common.text import TRIMMED, code_key
from imports.engine import KINDS
from imports.services import import_confirm, import_preview
from portfolio.models import Activity, Initiative, PartnerInstitution
from tests.factories import (
    InitiativeFactory,
    InstitutionFactory,
    PartnerFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
    scoped_everywhere,
)
from units.models import Institution, Unit

WAVE_DASH, FULLWIDTH_TILDE = "\u301c", "\uff5e"
MINUS_SIGN, FULLWIDTH_HYPHEN_MINUS = "\u2212", "\uff0d"
rebuild = importlib.import_module("common.migrations.0003_code_keys_fold_wave_dash_and_minus")


@pytest.fixture(autouse=True)
def import_folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def kyoto(db):
    """A partner and an initiative as typed on a Mac: 〜 WAVE DASH, − MINUS SIGN."""
    ku = InstitutionFactory(code="KU")
    partner = PartnerFactory(name=f"京都{WAVE_DASH}大阪大学連合", country="JP", city="Kyoto")
    initiative = InitiativeFactory(
        institution=ku, code=f"KU{MINUS_SIGN}2025", title="Onsite labs", lead_unit=None
    )
    return partner, initiative


@pytest.fixture
def steward(kyoto):
    user = UserFactory(username="steward", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="import_sheets"))
    return scoped_everywhere(user)


def cp932_sheet(kind: str, rows: list[dict]) -> bytes:
    """A CSV as Excel on Japanese Windows saves it, with the Japanese headers."""
    sheet = KINDS[kind]()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.headers("ja"))
    for row in rows:
        writer.writerow([row.get(column.name, "") for column in sheet.columns])
    return out.getvalue().encode("cp932")


def run(kind: str, content: bytes, user):
    batch, plan = import_preview(kind=kind, file_name="windows.csv", content=content, user=user)
    assert not plan.failed, plan.errors
    return import_confirm(batch=batch, user=user)


def test_windows_fullwidth_tilde_updates_the_partner_typed_with_a_wave_dash(kyoto, steward):
    content = cp932_sheet(
        "partners",
        [{"name": f"京都{FULLWIDTH_TILDE}大阪大学連合", "country": "JP", "city": "京都"}],
    )
    assert b"\x81\x60" in content  # what Windows writes, and Python reads back as ～
    plan = run("partners", content, steward)
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    partner = PartnerInstitution.objects.get()
    assert partner.city == "京都"
    # Text is kept as the latest sheet wrote it; only matching and uniqueness fold the variants.
    assert partner.name == f"京都{FULLWIDTH_TILDE}大阪大学連合"


def test_windows_fullwidth_hyphen_updates_the_initiative_coded_with_a_minus_sign(kyoto, steward):
    row = {"code": f"KU{FULLWIDTH_HYPHEN_MINUS}2025", "title": "Onsite labs abroad"}
    content = cp932_sheet("initiatives", [{**row, "institution": "KU"}])
    assert b"\x81\x7c" in content
    plan = run("initiatives", content, steward)
    assert plan.summary() == "0 new, 1 updated, 0 unchanged, 0 failed"
    assert list(Initiative.objects.values_list("title", flat=True)) == ["Onsite labs abroad"]


def test_an_activity_sheet_from_windows_finds_partner_and_initiative_by_their_variants(
    kyoto, steward
):
    partner, initiative = kyoto
    row = {
        "external_ref": "KU-2025-0001",
        "title": "合同シンポジウム",
        "start_date": "2025/4/1",
        "initiative": f"KU{FULLWIDTH_HYPHEN_MINUS}2025",
        "partner_institution": f"京都{FULLWIDTH_TILDE}大阪大学連合",
        "country": "JP",
    }
    plan = run("activities", cp932_sheet("activities", [row]), steward)
    assert plan.summary() == "1 new, 0 updated, 0 unchanged, 0 failed"
    activity = Activity.objects.get()
    assert (activity.partner, activity.initiative) == (partner, initiative)
    assert PartnerInstitution.objects.count() == Initiative.objects.count() == 1


def first_and_variant():
    """For each kind of code, a record made with one spelling and one made with its variant."""
    return [
        pytest.param(
            lambda: InstitutionFactory(code=f"K{WAVE_DASH}U"),
            lambda first: InstitutionFactory(code=f"K{FULLWIDTH_TILDE}U"),
            id="institution",
        ),
        pytest.param(
            lambda: RegionFactory(code=f"ASEAN{MINUS_SIGN}PLUS"),
            lambda first: RegionFactory(code="ASEAN-PLUS"),
            id="region",
        ),
        pytest.param(
            lambda: UnitFactory(code=f"ASEAN{MINUS_SIGN}1"),
            lambda first: UnitFactory(
                institution=first.institution, code=f"asean{FULLWIDTH_HYPHEN_MINUS}1"
            ),
            id="unit",
        ),
        pytest.param(
            lambda: InitiativeFactory(code="KU\u20152025"),  # ― HORIZONTAL BAR (Windows)
            lambda first: InitiativeFactory(institution=first.institution, code="KU\u20142025"),
            id="initiative",
        ),
        pytest.param(
            lambda: PartnerFactory(name=f"京都{WAVE_DASH}大学", country="JP"),
            lambda first: PartnerFactory(name=f"京都{FULLWIDTH_TILDE}大学", country="JP"),
            id="partner",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("make_first, make_variant", first_and_variant())
def test_the_database_refuses_a_second_record_differing_only_by_a_variant(make_first, make_variant):
    first = make_first()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_variant(first)


@pytest.mark.django_db
def test_a_form_reports_the_variant_as_the_same_code():
    unit = UnitFactory(code=f"ASEAN{MINUS_SIGN}1")
    twin = Unit(institution=unit.institution, code=f"ASEAN{FULLWIDTH_HYPHEN_MINUS}1", name="Twin")
    with pytest.raises(ValidationError, match="already has this code"):
        twin.validate_constraints()


@pytest.mark.parametrize(
    "written, variant",
    [
        (f"10月{WAVE_DASH}12月", f"10月{FULLWIDTH_TILDE}12月"),
        ("A\u223cB", "A~B"),  # ∼ TILDE OPERATOR
        ("A\u2053B", "A~B"),  # ⁓ SWUNG DASH
        (f"KU{MINUS_SIGN}1", f"KU{FULLWIDTH_HYPHEN_MINUS}1"),
        ("KU\u20101", "KU-1"),  # ‐ HYPHEN
        ("KU\u20111", "KU-1"),  # NON-BREAKING HYPHEN
        ("KU\u20131", "KU-1"),  # – EN DASH
        ("KU\u20141", "KU\u20151"),  # — EM DASH (Mac), ― HORIZONTAL BAR (Windows)
        ("A\u2016B", "A\u2225B"),  # ‖ (Mac), ∥ (Windows)
        ("\u3000ＣＯＮＮＥＣＴ\u3000", "connect"),
        ("Straße", "STRASSE"),
    ],
)
def test_variants_share_a_key(written, variant):
    assert code_key(written) == code_key(variant)


@pytest.mark.parametrize(
    "one, other",
    [
        ("センター", "センタ-"),  # ー is a letter of katakana words, not a dash
        ("A~B", "A-B"),
        ("KU 1", "KU-1"),
    ],
)
def test_other_characters_keep_their_own_key(one, other):
    assert code_key(one) != code_key(other)


def test_the_trimmed_white_space_is_all_that_nfkc_leaves():
    import unicodedata

    left = {
        character
        for character in map(chr, range(0x110000))
        if character.isspace() and unicodedata.normalize("NFKC", character) == character
    }
    assert set(TRIMMED) == left


@pytest.mark.django_db
def test_the_database_computes_the_same_key_as_python_for_every_character():
    """The key of every code point but the surrogates, between two letters, on this database.

    SQLite calls the Python function; PostgreSQL computes it in SQL, and a unique index there
    must agree with the import's matching character for character.
    """
    texts = [f"a{chr(point)}b" for point in range(1, 0x30000) if not 0xD800 <= point <= 0xDFFF]
    texts += [f"{space}A{space}" for space in TRIMMED] + ["\u3000ß\u3000", "ᾳ", "ǰ", "ı"]
    compiler = Institution.objects.all().query.get_compiler(connection=connection)
    key_sql, key_params = compiler.compile(CodeKey(RawSQL("written", ())))
    if connection.vendor == "postgresql":
        source, argument = "unnest(%s::text[]) AS t(written)", texts
    else:
        source, argument = "(SELECT value AS written FROM json_each(%s))", json.dumps(texts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT written, {key_sql} FROM {source}", [*key_params, argument])
        computed = dict(cursor.fetchall())
    differing = {text: key for text, key in computed.items() if key != code_key(text)}
    assert len(computed) == len(texts)
    assert not differing, list(differing.items())[:20]


UNIT_CONSTRAINT = next(c for c in Unit._meta.constraints if c.name == "units_unit_code_unique")


@pytest.fixture
def unit_index_built_with_the_old_key(transactional_db):
    """Units as a database indexed with the old key holds them: two codes it told apart."""
    with connection.schema_editor() as editor:
        editor.remove_constraint(Unit, UNIT_CONSTRAINT)
        editor.execute(f"CREATE INDEX {UNIT_CONSTRAINT.name} ON {Unit._meta.db_table} (code)")
    first = UnitFactory(code=f"ASEAN{WAVE_DASH}1")
    second = UnitFactory(institution=first.institution, code="asean~1")
    yield first, second
    Unit.objects.filter(pk__in=[first.pk, second.pk]).delete()
    with connection.schema_editor() as editor:
        editor.remove_constraint(Unit, UNIT_CONSTRAINT)  # the plain index, or the rebuilt one
        editor.add_constraint(Unit, UNIT_CONSTRAINT)


def test_the_rebuild_stops_naming_the_table_and_the_codes_that_now_collide(
    unit_index_built_with_the_old_key,
):
    first, _second = unit_index_built_with_the_old_key
    with pytest.raises(IntegrityError) as refused, connection.schema_editor() as editor:
        rebuild.rebuild_code_key_indexes(apps, editor)
    message = str(refused.value)
    assert f"units_unit (institution {first.institution_id}): “ASEAN〜1”, “asean~1”" in message
    # Nothing changed: the other tables keep their unique indexes.
    RegionFactory(code="EUROPE")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(code="europe")


def test_the_rebuild_makes_the_index_refuse_what_the_old_key_let_in(
    unit_index_built_with_the_old_key,
):
    first, second = unit_index_built_with_the_old_key
    second.code = "ASEAN-2"
    second.save()
    with connection.schema_editor() as editor:
        rebuild.rebuild_code_key_indexes(apps, editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(institution=first.institution, code=f"ASEAN{FULLWIDTH_TILDE}1")
