from datetime import UTC, datetime

from i18n import Formatter, pick, valid_timezone

MOMENT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_times_are_shown_in_the_viewers_zone_and_locale() -> None:
    assert Formatter("en", "America/New_York").moment(MOMENT) == "Fri, Nov 27, 9:00\u202fPM"
    assert Formatter("ja", "Asia/Tokyo").moment(MOMENT) == "11月28日(土) 11:00"
    assert Formatter("zh_Hans", "Asia/Shanghai").time(MOMENT) == "10:00"


def test_money_follows_the_locale() -> None:
    assert Formatter("en", "UTC").money(1_250_000, "CNY") == "CN¥1,250,000.00"
    assert Formatter("id", "UTC").money(1_250_000, "USD") == "US$1.250.000,00"
    assert Formatter("zh_Hant", "UTC").compact_money(35_000_000, "CNY") == "CN¥3500萬"


def test_unknown_zone_falls_back_to_utc() -> None:
    assert Formatter("en", "Mars/Olympus").timezone_name == "UTC"
    assert not valid_timezone("Mars/Olympus") and valid_timezone("Asia/Shanghai") and not valid_timezone(None)


def test_pick_returns_the_wanted_language_or_says_which_fallback() -> None:
    field = {"en": "Harbour", "zh_Hans": "港城区"}
    assert (pick(field, "zh_Hans").text, pick(field, "zh_Hans").is_fallback) == ("港城区", False)
    assert (pick(field, "zh_Hant").text, pick(field, "zh_Hant").locale) == ("港城区", "zh_Hans")
    assert (pick(field, "ar").text, pick(field, "ar").locale, pick(field, "ar").is_fallback) == (
        "Harbour",
        "en",
        True,
    )
    assert pick({"ko": "부두"}, "ja").locale == "ko"
    assert pick({}, "en").text == ""
