"""Japanese fiscal years: FY N runs from N-04-01 to (N+1)-03-31, reckoned in Asia/Tokyo."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_MONTH = 4


def fiscal_year_of(value: dt.date | dt.datetime) -> int:
    """The fiscal year a date, or an instant seen from Tokyo, falls in."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValueError("A naive datetime has no place in time; give it a time zone.")
        value = value.astimezone(TOKYO).date()
    return value.year if value.month >= FIRST_MONTH else value.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year."""
    return dt.date(fiscal_year, FIRST_MONTH, 1), dt.date(
        fiscal_year + 1, FIRST_MONTH, 1
    ) - dt.timedelta(days=1)


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.now())


def fiscal_year_label(year: int, language: str | None = None) -> str:
    """A fiscal year as written: ``2025年度`` in Japanese (``ja``, ``ja-jp``), else ``FY2025``.

    Without a language, the reader's (the active one).
    """
    if (language or get_language() or "en").split("-")[0].lower() == "ja":
        return f"{year}年度"
    return f"FY{year}"


def fiscal_today() -> dt.date:
    """Today's date as the fiscal calendar reckons it (in Tokyo)."""
    return timezone.now().astimezone(TOKYO).date()


def same_day_a_year_before(day: dt.date) -> dt.date:
    """The same day of the previous year; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
