import pytest

from i18n import match_locale, negotiate, parse_accept_language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-Hant-CN", "zh_Hant"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans-HK", "zh_Hans"),
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("id-ID", "id"),
        ("in-ID", "id"),
        ("ar-EG", "ar"),
        ("ar", "ar"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        ("../etc", None),
        ("x" * 100, None),
        ("zh_TW", "zh_Hant"),
    ],
)
def test_match_locale_is_script_aware(tag: str, expected: str | None) -> None:
    assert match_locale(tag) == expected


def test_accept_language_orders_by_quality_then_position() -> None:
    assert parse_accept_language("fr;q=0.9, zh-TW, en;q=0.1, *, de;q=0, ja;q=bad") == [
        "zh-TW",
        "fr",
        "en",
    ]


def test_negotiate_takes_the_first_servable_candidate() -> None:
    assert negotiate(["fr", None, "zh-HK", "ja"]) == "zh_Hant"
    assert negotiate(["fr", "de"]) is None
