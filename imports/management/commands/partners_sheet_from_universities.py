"""Turn a universities list (JSON as published by university-domains-list) into a partners sheet.

``manage.py partners_sheet_from_universities INPUT.json OUTPUT.xlsx`` writes the partners
template's columns: name, local name (empty), country (the ISO code), city (empty), website (the
first web page). A name listed twice for one country is written once, as a partner is identified
by name and country; the command says how many it merged.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.parsing import repair_c1_punctuation
from common.text import code_key
from imports.engine import KINDS
from imports.formats import format_of, write_table


def partner_rows(universities: list[dict]) -> tuple[list[list[object]], int]:
    rows, seen = [], set()
    for university in universities:
        # The published list carries Windows-1252 punctuation read as Latin-1 (U+0092 for ’).
        name = " ".join(repair_c1_punctuation(str(university.get("name") or "")).split())
        country = (university.get("alpha_two_code") or "").upper()
        key = (code_key(name), country)
        if not name or key in seen:
            continue
        seen.add(key)
        pages = university.get("web_pages") or [""]
        rows.append([name, "", country, "", pages[0]])
    return rows, len(universities) - len(rows)


class Command(BaseCommand):
    help = "Write a partners sheet from a universities JSON list."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("target", type=Path)

    def handle(self, *args, source: Path, target: Path, **options) -> None:
        try:
            universities = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": source, "error": error}
            ) from error
        rows, merged = partner_rows(universities)
        headers = KINDS["partners"]().headers("en")
        target.write_bytes(write_table(format_of(target.name), headers, rows))
        self.stdout.write(
            ngettext(
                "Wrote %(count)s partner to %(file)s (%(merged)s repeated names merged).",
                "Wrote %(count)s partners to %(file)s (%(merged)s repeated names merged).",
                len(rows),
            )
            % {"count": len(rows), "file": target, "merged": merged}
        )
