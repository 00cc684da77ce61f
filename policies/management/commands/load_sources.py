"""Load the goals of the source documents (and the organisation they describe), and the shared
indicator library, from fixtures/.

Safe to run again: a fixture whose institution or region is already in the database is skipped, so
nothing an editor has changed since is overwritten. Every row loaded gets a history row whose
reason names the fixture file.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.db import transaction

from common.text import code_key
from policies.models import LibraryIndicator
from policies.services import source_record_load
from units.models import Institution, Region

SOURCE_FIXTURES = [
    "regions.json",
    "indicator_library.json",
    "kyoto_iso_ku.json",
    "tmu_basic_policies.json",
]
FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"


def already_loaded(records: list[dict]) -> str | None:
    """The code of an institution, region or library indicator of the fixture that the database
    already holds."""
    kept = {
        "units.institution": Institution,
        "units.region": Region,
        "policies.libraryindicator": LibraryIndicator,
    }
    for record in records:
        model = kept.get(record["model"])
        if model is None:
            continue
        code = record["fields"]["code"]
        if any(
            code_key(existing) == code_key(code)
            for existing in model.objects.values_list("code", flat=True)
        ):
            return code
    return None


@transaction.atomic
def load_fixture(path: Path) -> int:
    """Save each record of a fixture through its model, so it is validated and leaves history."""
    reason = f"Loaded from fixtures/{path.name}"
    count = 0
    with path.open(encoding="utf-8") as stream:
        for deserialized in serializers.deserialize(
            "json", stream, handle_forward_references=False
        ):
            source_record_load(
                obj=deserialized.object, links=deserialized.m2m_data or {}, reason=reason
            )
            count += 1
    return count


class Command(BaseCommand):
    help = "Load the source documents' goals and organisation (skips what is already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", default=SOURCE_FIXTURES, help="fixture files")

    def handle(self, *args, names: list[str], **options) -> None:
        for name in names:
            path = FIXTURE_DIR / name
            records = json.loads(path.read_text(encoding="utf-8"))
            present = already_loaded(records)
            if present:
                self.stdout.write(f"{name}: skipped, {present} is already loaded")
                continue
            self.stdout.write(f"{name}: loaded {load_fixture(path)} records")
