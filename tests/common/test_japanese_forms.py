"""Japanese forms of data: fiscal year labels, cp932 exports, and names as Windows writes them."""

import pytest

from common.fiscal import fiscal_year_label
from common.parsing import parse_fiscal_year


@pytest.mark.parametrize(
    "language, label",
    [
        ("ja", "2025年度"),
        ("ja-jp", "2025年度"),
        ("JA", "2025年度"),
        ("en", "FY2025"),
        ("th", "FY2025"),
    ],
)
def test_fiscal_year_label_in_each_language(language, label):
    assert fiscal_year_label(2025, language) == label


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_fiscal_year_label_reads_back_as_its_year(language):
    assert parse_fiscal_year(fiscal_year_label(2025, language)) == 2025
