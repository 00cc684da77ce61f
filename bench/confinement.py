"""What reading an upload in a confined child process costs, against reading it in this process.

Writes a 10,000-row activities sheet (XLSX and CSV) with the product's writer, then reads it with
``imports.formats.read_table`` alternately confined (a forked child with a memory and CPU limit,
the table sent back through a pipe: ``IMPORT_READ_CONFINED`` on, as in production) and in this
process (``IMPORT_READ_CONFINED`` off), and prints the medians and their ratio. The import itself
reads the file twice (preview and confirmation), so what confinement adds to an import is twice
the difference.

    .venv/bin/python bench/confinement.py [--rows 10000] [--repeat 7]
    .venv/bin/python bench/confinement.py --smoke
"""
# ruff: noqa: E402  (Django is set up before the product's modules are imported)

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django

django.setup()

from django.conf import settings

from imports.formats import read_table, write_table

SMOKE_TABLE = "Reading a"
HEADERS = [
    "external_ref",
    "title",
    "activity_type",
    "start_date",
    "end_date",
    "unit",
    "initiative",
    "country",
    "city",
    "partner_institution",
    "inbound_participants",
    "outbound_participants",
    "description",
]


def rows(count: int) -> list[list[object]]:
    start = dt.date(2025, 4, 1)
    return [
        [
            f"KU-ACT-{n:06d}",
            f"Delegation visit {n} 京都大学",
            "delegation_visit",
            start + dt.timedelta(days=n % 365),
            None,
            "KU:ASEAN",
            f"KU-I-{n % 500:04d}",
            "TH",
            "Bangkok",
            "Chulalongkorn University",
            n % 40,
            n % 25,
            "A visit to a partner.",
        ]
        for n in range(count)
    ]


def seconds(name: str, content: bytes, confined: bool) -> float:
    settings.IMPORT_READ_CONFINED = confined
    start = time.perf_counter()
    table = read_table(name, content)
    elapsed = time.perf_counter() - start
    assert len(table.rows) > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the tests")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = 200, 2
    data = rows(args.rows)
    print(f"Reading a {args.rows:,}-row sheet, median of {args.repeat} (interleaved):")
    print(f"{'format':<8}{'bytes':>12}{'here s':>10}{'confined s':>12}{'ratio':>8}{'added s':>10}")
    for kind in ("xlsx", "csv"):
        content = write_table(kind, HEADERS, data)
        here, confined = [], []
        for _ in range(args.repeat):
            here.append(seconds(f"bench.{kind}", content, confined=False))
            confined.append(seconds(f"bench.{kind}", content, confined=True))
        mid_here, mid_confined = statistics.median(here), statistics.median(confined)
        print(
            f"{kind:<8}{len(content):>12,}{mid_here:>10.3f}{mid_confined:>12.3f}"
            f"{mid_confined / mid_here:>8.2f}{mid_confined - mid_here:>10.3f}"
        )


if __name__ == "__main__":
    main()
