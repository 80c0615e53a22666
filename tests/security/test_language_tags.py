"""Languages are chosen with standard BCP 47 tags too (issue #12): ?lang=zh-Hant, zh-TW and
ar-EG choose Traditional Chinese, Traditional Chinese and Arabic instead of falling back."""

import pytest
from starlette.testclient import TestClient

from i18n import shipped


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh-Hant", "zh_Hant"),
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-CN", "zh_Hans"),
        ("ar-EG", "ar"),
        ("ja-JP", "ja"),
        ("zh_Hant", "zh_Hant"),
        ("en", "en"),
        ("xx-YY", None),
        ("", None),
        ("zh-Hant-TW-x-private", "zh_Hant"),
    ],
)
def test_shipped_accepts_codes_and_bcp47_tags(tag: str, code: str | None) -> None:
    assert shipped(tag) == code


@pytest.mark.parametrize(("tag", "served"), [("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("ar-EG", "ar")])
def test_lang_parameter_takes_bcp47_tags_on_pages_and_the_api(client: TestClient, tag: str, served: str) -> None:
    page = client.get(f"/login?lang={tag}")
    assert page.headers["content-language"] == served
    assert client.cookies.get("expo_lang") == shipped(tag)
    api = client.get(f"/api/booths?lang={tag}")
    assert (api.status_code, api.json()["lang"]) == (200, shipped(tag))
