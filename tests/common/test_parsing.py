import datetime as dt
import re
from decimal import Decimal

import pytest

from common.parsing import (
    parse_choice,
    parse_country,
    parse_date,
    parse_decimal,
    parse_fiscal_year,
    parse_int,
    split_list,
)
from portfolio.models import ActivityType


@pytest.mark.parametrize(
    "typed",
    [
        "2025-04-01",
        "2025/04/01",
        "2025/4/1",
        "2025年4月1日",
        "２０２５年４月１日",
        "２０２５／４／１",
        dt.date(2025, 4, 1),
        dt.datetime(2025, 4, 1, 0, 0),
        45748,
        "2025-04-01 00:00:00",
    ],
)
def test_each_date_form(typed):
    assert parse_date(typed) == dt.date(2025, 4, 1)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("令和7年4月1日", dt.date(2025, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("大正元年7月30日", dt.date(1912, 7, 30)),
        ("明治45年7月29日", dt.date(1912, 7, 29)),
        ("令和７年４月１日", dt.date(2025, 4, 1)),
        ("令和　7年 4月 1日", dt.date(2025, 4, 1)),
        ("㋿7年4月1日", dt.date(2025, 4, 1)),
        ("R7.4.1", dt.date(2025, 4, 1)),
        ("R7/4/1", dt.date(2025, 4, 1)),
        ("r07.04.01", dt.date(2025, 4, 1)),
        ("Ｒ７．４．１", dt.date(2025, 4, 1)),
        ("H31.4.30", dt.date(2019, 4, 30)),
        ("S64.1.7", dt.date(1989, 1, 7)),
    ],
)
def test_japanese_era_dates(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    "typed, message",
    [
        ("平成32年4月1日", "not a day of 平成: 平成 (Heisei) runs from 1989-01-08 to 2019-04-30"),
        ("H31.5.1", "not a day of 平成: 平成 (Heisei) runs from 1989-01-08 to 2019-04-30"),
        ("令和1年4月1日", "not a day of 令和: 令和 (Reiwa) began on 2019-05-01"),
        ("昭和64年1月8日", "not a day of 昭和: 昭和 (Shōwa) runs from 1926-12-25 to 1989-01-07"),
        ("大正元年7月29日", "not a day of 大正: 大正 (Taishō) runs from 1912-07-30"),
        ("令和0年4月1日", "year 0; the first year of 令和 is 1 (元年)"),
        ("令和7年2月29日", "not a day of the calendar"),
        ("明治3年4月1日", "lunisolar calendar"),
        ("R7.4/1", "not a date. Write dates as"),
    ],
)
def test_era_dates_outside_their_era_say_what_the_era_spans(typed, message):
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        parse_date(typed)
    assert str(refused.value).startswith(f"“{typed}”")


@pytest.mark.parametrize("typed", ["2025-02-30", "April 1", "1/4/2025", "12"])
def test_bad_dates_say_how_to_write_one(typed):
    with pytest.raises(ValueError, match=r"calendar|2025-04-01"):
        parse_date(typed)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("1,234", 1234),
        ("１，２３４", 1234),
        ("１２３４", 1234),
        ("１　２３４", 1234),
        ("1 234", 1234),
        (" 12 ", 12),
        (12.0, 12),
        ("", None),
    ],
)
def test_whole_numbers_with_separators_and_full_width_digits(typed, expected):
    assert parse_int(typed) == expected


@pytest.mark.parametrize("typed", ["12.5", "twelve", "-3"])
def test_bad_whole_numbers(typed):
    with pytest.raises(ValueError):
        parse_int(typed)


def test_decimals_and_yen():
    assert parse_decimal("1,234.50") == Decimal("1234.50")
    assert parse_decimal("￥１，０００") == Decimal(1000)
    assert parse_decimal("１，２３４．５") == Decimal("1234.5")
    assert parse_int("１，０００，０００円") == 1_000_000
    assert parse_int("1,000,000円") == 1_000_000


@pytest.mark.parametrize("typed", ["TH", "th", "Thailand", "タイ", "ＴＨ"])
def test_countries_by_code_english_or_japanese_name(typed):
    assert parse_country(typed) == "TH"


def test_kosovo_user_assigned_code_is_known():
    assert parse_country("XK") == "XK"


def test_unknown_country():
    with pytest.raises(ValueError, match="not a country"):
        parse_country("Atlantis")


@pytest.mark.parametrize("typed", ["2025", "FY2025", "2025年度", "２０２５年度", 2025])
def test_fiscal_year_forms(typed):
    assert parse_fiscal_year(typed) == 2025


def test_lists_split_on_either_semicolon():
    assert split_list("ISO-KU:CONNECT; ISO-KU:BOOST；ISO-KU:PROMOTE;") == [
        "ISO-KU:CONNECT",
        "ISO-KU:BOOST",
        "ISO-KU:PROMOTE",
    ]


def test_choices_by_value_or_label():
    assert parse_choice("Symposium or workshop", ActivityType) == "symposium"
    assert parse_choice("SYMPOSIUM", ActivityType) == "symposium"
    with pytest.raises(ValueError, match="not one of"):
        parse_choice("party", ActivityType)
