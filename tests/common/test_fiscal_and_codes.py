import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from common.fiscal import current_fiscal_year, fiscal_year_bounds, fiscal_year_of
from common.text import clean_code, code_key

TOKYO = ZoneInfo("Asia/Tokyo")


def test_half_past_midnight_on_1_april_in_tokyo_is_the_new_fiscal_year():
    instant = dt.datetime(2025, 4, 1, 0, 30, tzinfo=TOKYO)
    # In UTC this is still 31 March, the previous fiscal year's last day.
    assert instant.astimezone(dt.UTC).date() == dt.date(2025, 3, 31)
    assert fiscal_year_of(instant) == 2025


def test_half_past_eleven_on_31_march_in_tokyo_is_the_old_fiscal_year():
    assert fiscal_year_of(dt.datetime(2026, 3, 31, 23, 30, tzinfo=TOKYO)) == 2025


def test_dates_on_either_side_of_the_boundary():
    assert fiscal_year_of(dt.date(2025, 3, 31)) == 2024
    assert fiscal_year_of(dt.date(2025, 4, 1)) == 2025
    assert fiscal_year_of(dt.date(2026, 1, 15)) == 2025


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2025) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        fiscal_year_of(dt.datetime(2025, 4, 1, 0, 30))


def test_current_fiscal_year_is_reckoned_in_tokyo(monkeypatch):
    # 2025-03-31 15:30 UTC is 2025-04-01 00:30 in Tokyo.
    utc_instant = dt.datetime(2025, 3, 31, 15, 30, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: utc_instant)
    assert current_fiscal_year() == 2025


def test_full_width_codes_normalise_to_ascii():
    assert clean_code(" ＣＯＮＮＥＣＴ ") == "CONNECT"
    assert clean_code("１．３") == "1.3"
    assert code_key("connect") == code_key("ＣＯＮＮＥＣＴ") == "CONNECT"
