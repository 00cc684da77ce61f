"""Countries as real sheets write them: names in any language, ISO long forms, short forms."""

import pytest
from django.utils import translation

from common.countries import find_country, name_key
from common.parsing import parse_country


@pytest.mark.parametrize(
    ("written", "code"),
    [
        # As the partner sheets and data sets write them.
        ("United States", "US"),
        ("Korea, Republic of", "KR"),
        ("Turkiye", "TR"),
        ("Taiwan, Province of China", "TW"),
        ("USA", "US"),
        ("UK", "GB"),
        ("UAE", "AE"),
        ("EEUU", "US"),
        ("EE. UU.", "US"),
        ("Korea", "KR"),
        ("미국", "US"),
        # Names in other languages CLDR carries, any case, width or accent.
        ("Estados Unidos", "US"),
        ("Deutschland", "DE"),
        ("대한민국", "KR"),
        ("ベトナム", "VN"),
        ("Viet Nam", "VN"),
        ("TÜRKİYE", "TR"),
        ("Côte d’Ivoire", "CI"),
        ("ｔｈａｉｌａｎｄ", "TH"),
        ("th", "TH"),
    ],
)
def test_a_country_as_data_writes_it_is_found(written, code):
    assert parse_country(written) == code


def test_a_name_two_countries_share_in_some_language_names_neither():
    # "Kongo" is both Congos in some language of CLDR: a guess would be wrong half the time.
    assert find_country("Kongo") is None


def test_keys_ignore_case_width_accents_stops_and_spaces():
    assert name_key("EE. UU.") == name_key("eeuu")
    assert name_key("Türkiye") == name_key("TURKIYE")


def test_a_mistyped_name_gets_a_suggestion_and_online_is_told_it_may_be_empty():
    with pytest.raises(ValueError) as mistyped:
        parse_country("Thailnd")
    assert "Did you mean Thailand (TH)?" in str(mistyped.value)
    with pytest.raises(ValueError) as online:
        parse_country("Online")
    assert "leave the cell empty where there is no country" in str(online.value)


def test_the_suggestion_is_in_the_readers_language():
    with pytest.raises(ValueError) as mistyped:
        parse_country("Thailnd")
    with translation.override("ja"):
        assert "タイ（TH）" in str(mistyped.value)  # named as the refusal is read, not raised
