"""The indicator library: MEXT's Top Global University indicators word for word, shared by every
institution, adopted by one goal each, with the office's own indicators still possible."""

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from policies.models import Computation, Indicator, IndicatorValue, LibraryIndicator
from tests.factories import GoalFactory, IndicatorFactory, IndicatorValueFactory

ROOT = Path(__file__).resolve().parent.parent.parent
MEXT = (ROOT / "tests" / "data" / "sources" / "mext-tgu-indicators.txt").read_text(encoding="utf-8")
FIXTURE = json.loads((ROOT / "fixtures" / "indicator_library.json").read_text(encoding="utf-8"))
NUMERALS = "①②③④⑤⑥⑦⑧⑨⑩"

pytestmark = pytest.mark.django_db


def mext_items() -> dict[str, str]:
    """MEXT's numbered indicators (①…⑩), each as written, without the list's commas."""
    items = {}
    for line in MEXT.splitlines():
        if line and line[0] in NUMERALS:
            items[line[0]] = line[1:].rstrip("、")
    return items


def tgu_rows() -> list[dict]:
    return [r["fields"] for r in FIXTURE if r["fields"]["code"].startswith("TGU-")]


def test_the_source_text_lists_ten_indicators():
    assert list(mext_items()) == list(NUMERALS)


def test_every_tgu_indicator_is_named_as_mext_publishes_it_and_cites_its_item():
    items, rows = mext_items(), tgu_rows()
    assert len(rows) == len(items) == 10
    for numeral, row in zip(NUMERALS, rows, strict=True):
        published = items[numeral]
        # Word for word; where MEXT adds an example in brackets, the name stops before it and
        # the counting note quotes the example.
        name, _, example = published.partition("(")
        assert row["name_ja"] == name, numeral
        if example:
            assert example.rstrip(")") in row["counting_ja"], numeral
        assert f"国際化関連 {numeral}" in row["source"], numeral
        assert row["source_url"].startswith("https://tgu.mext.go.jp/")
        assert row["name"] and row["counting"] and row["counting_ja"], numeral


def test_the_library_loads_with_the_sources_and_once(sources):
    assert LibraryIndicator.objects.count() == len(FIXTURE)
    tgu_02 = LibraryIndicator.objects.get(code="TGU-02")
    assert tgu_02.name_ja == "全学生に占める外国人留学生の割合"
    assert tgu_02.unit == "ratio" and tgu_02.computation == Computation.INTERNATIONAL_STUDENT_RATIO
    history = tgu_02.history.get()
    assert history.history_change_reason == "Loaded from fixtures/indicator_library.json"
    out = io.StringIO()
    call_command("load_sources", stdout=out)
    assert "indicator_library.json: skipped" in out.getvalue()
    assert LibraryIndicator.objects.count() == len(FIXTURE)


def test_an_institution_adopts_a_library_indicator_once_and_keeps_its_own(sources):
    library = LibraryIndicator.objects.get(code="TGU-05")
    goal = GoalFactory()
    adopted = IndicatorFactory(goal=goal, library=library, benchmarked=True)
    adopted.full_clean()
    own = IndicatorFactory(goal=goal)
    own.full_clean()  # an indicator of the office's own, from no library
    twin = Indicator(
        goal=GoalFactory(framework=goal.framework), code="X", name="x", library=library
    )
    twin.unit_of_measure = "%"
    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert "library" in refused.value.message_dict
    # Another institution adopts the same definition.
    Indicator(
        goal=GoalFactory(), code="X", name="x", unit_of_measure="%", library=library
    ).full_clean()


def test_only_a_library_indicator_is_benchmarked():
    indicator = IndicatorFactory(benchmarked=True)
    with pytest.raises(ValidationError) as refused:
        indicator.full_clean()
    assert "benchmarked" in refused.value.message_dict


def test_a_computed_actual_is_overridden_only_with_a_reason(sources):
    library = LibraryIndicator.objects.get(code="PF-OUT-AGR")
    value = IndicatorValueFactory(indicator=IndicatorFactory(library=library), actual=12)
    value.actual = Decimal("15")
    with pytest.raises(ValidationError) as refused:
        value.full_clean()
    assert "override_reason" in refused.value.message_dict
    value.override_reason = "Two exchanges were recorded late in the partner's system."
    value.full_clean()
    # The target alone may change: the computed actual stands.
    kept = IndicatorValue.objects.get(pk=value.pk)
    kept.target = Decimal("20")
    kept.full_clean()


def test_the_source_heading_names_the_document():
    assert re.search(r"文部科学省「スーパーグローバル大学創成支援事業」", MEXT)
