"""The annual report read back by Debian's poppler-utils (``pdftotext``): the goals' titles word
for word, the indicators' figures, and Japanese text intact in the Japanese report's fonts
(fonts-noto-cjk). ``make test-pdf`` runs these (and .ci/run, which installs both packages)."""

import subprocess

import pytest

from disclosure.report import TABLE_ROWS, annual_report_pdf
from tests.disclosure.annual_data import YEAR, add_initiatives, annual_world

pytestmark = [pytest.mark.pdf, pytest.mark.django_db]


@pytest.fixture
def world(db):
    world = annual_world()
    add_initiatives(world, 3)
    return world


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return " ".join(result.stdout.split())  # lines and columns joined by single spaces


def test_the_english_report_holds_the_goals_and_figures(world, tmp_path):
    text = text_of(annual_report_pdf(world["home"], YEAR, language="en"), tmp_path)
    for title in ("Advance international learning", "Send more students abroad"):
        assert title in text
    assert "Kyoto University" in text and "FY2025" in text
    assert "Students sent abroad" in text
    for figure in ("1,200", "1,187", "1,342", "1,400", "1,415", "1,500"):
        assert figure in text
    assert "INI-000" in text and "Exchange programme 1" in text
    assert "At risk" in text and "Off track" in text
    assert "Not theirs" not in text  # another institution's goal


def test_a_goal_of_many_initiatives_lists_those_beyond_its_table_by_code(world, tmp_path):
    add_initiatives(world, TABLE_ROWS, start=3)
    text = text_of(annual_report_pdf(world["home"], YEAR, language="en"), tmp_path)
    assert "And 3 more initiatives, by health:" in text
    last = f"INI-{TABLE_ROWS + 2:03d}"
    assert last in text and f"Exchange programme {TABLE_ROWS + 2}" not in text


def test_the_japanese_report_keeps_the_japanese_text_intact(world, tmp_path):
    text = text_of(annual_report_pdf(world["home"], YEAR, language="ja"), tmp_path)
    assert "国際的な学びの推進" in text
    assert "学生の海外派遣の拡大" in text
    assert "京都大学" in text and "2025年度" in text
    assert "海外派遣学生数" in text and "交流プログラム2" in text
    assert "1,415" in text


def test_a_goals_report_holds_the_goal_and_those_below_it(world, tmp_path):
    pdf = annual_report_pdf(world["home"], YEAR, language="en", goal=world["child"])
    text = text_of(pdf, tmp_path)
    assert "Send more students abroad" in text and "1,342" in text
    assert "Advance international learning" not in text
