"""What visitors and booth staff meet (issue 16): Arabic plural forms and CLDR language
names in the catalogs, search in Arabic and Korean through sector and district names, the
staff-offline digest in the outbox, the booth editing rules, the hall pages, and filter
errors shown on the form."""

import re
from collections.abc import Callable
from datetime import timedelta

from babel.messages.pofile import read_po
from sqlalchemy import select, update
from starlette.testclient import TestClient

from booths.models import Booth
from expo.accounts.models import User
from expo.accounts.validation import COUNTRIES
from expo.db import Database, utcnow
from expo.outbox import Mail
from expo.settings import Settings
from expo.web.templates import _language_name
from i18n import Catalogs
from tests.booths.test_chat import cookie_of, socket, until
from tests.booths.test_pages import NOVA, PENDING, csrf
from tests.conftest import ROOT
from tests.helpers import run


def test_arabic_counts_use_the_cldr_plural_forms() -> None:
    ar = Catalogs().get("ar")
    assert [ar.ngettext("%(num)s project", "%(num)s projects", n) % {"num": n} for n in (1, 2, 5, 11, 100)] == [
        "مشروع واحد",
        "مشروعان",
        "5 مشاريع",
        "11 مشروعًا",
        "100 مشروع",
    ]
    with (ROOT / "booths/locale/ar/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert plurals and catalog.num_plurals == 6
    for message in plurals:  # few (3-10) and many (11-99) differ from the singular-like other
        assert len(set(message.string)) >= 4, message.id


def test_language_names_are_cldr_names_in_the_readers_language() -> None:
    assert [_language_name("en", code) for code in ("ja", "zh_Hant", "zh_Hans", "ar", "ko")] == [
        "英語",
        "英文",
        "英语",
        "الإنجليزية",
        "영어",
    ]
    assert {"XA", "XB", "EZ", "EU", "UN", "ZZ", "QO"}.isdisjoint(COUNTRIES) and len(COUNTRIES) == 249


def test_pitch_page_names_the_spoken_language_in_the_page_language(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("anonymous")
    pitch = re.search(r'href="/pitches/(\d+)"', client.get("/pitches?lang=ja").text).group(1)
    page = client.get(f"/pitches/{pitch}?lang=ja").text
    assert "英語" in page or "中国語" in page
    assert "English" not in page.split('class="pitch-header"')[1].split("</header>")[0]


def _sectors(client: TestClient, q: str) -> set[str]:
    body = client.get("/api/projects", params={"q": q, "per_page": 100}).json()
    return {item["sector"] for item in body["items"]} if body["total"] else set()


def _districts(client: TestClient, q: str) -> set[str]:
    body = client.get("/api/projects", params={"q": q, "per_page": 100}).json()
    return {item["district"]["slug"] for item in body["items"]}


def test_search_in_arabic_and_korean_finds_projects_by_sector_and_district(
    as_role: Callable[[str], TestClient],
) -> None:
    client = as_role("anonymous")
    assert "biomedicine" in _sectors(client, "حيوي")  # a word of "الطب الحيوي", without the article
    assert "biomedicine" in _sectors(client, "الطب")
    assert "biomedicine" in _sectors(client, "바이오의약")  # the sector's Korean label
    assert _districts(client, "진산") == {"jinshan-bio"}  # the district's Korean name
    assert _districts(client, "الميناء") == {"harbour"}  # its Arabic name ("حي الميناء")


def test_staff_offline_digest_is_one_mail_per_booth_per_window_in_the_staffs_language(
    app_client: TestClient, booths: dict[str, int], demo_settings: Settings
) -> None:
    nova = booths[NOVA]

    async def prepare() -> None:
        db = Database(demo_settings.database_url)
        try:
            async with db.session() as session:
                await session.execute(update(User).where(User.email == "team@expo.example").values(locale="ja"))
                await session.commit()
        finally:
            await db.close()

    async def mails() -> list[Mail]:
        db = Database(demo_settings.database_url)
        try:
            async with db.session() as session:
                return list((await session.scalars(select(Mail).where(Mail.to == "team@expo.example"))).all())
        finally:
            await db.close()

    async def rewind() -> None:
        db = Database(demo_settings.database_url)
        try:
            async with db.session() as session:
                ago = utcnow() - timedelta(minutes=demo_settings.chat_digest_minutes + 1)
                await session.execute(update(Booth).where(Booth.id == nova).values(chat_digest_at=ago))
                await session.commit()
        finally:
            await db.close()

    run(prepare())
    investor = cookie_of(app_client, "investor")
    with socket(app_client, nova, investor) as visitor:
        until(visitor, "welcome")
        for body in ("First question", "Second question"):
            visitor.send_json({"type": "send", "body": body})
            until(visitor, "notice")
    [mail] = run(mails())
    assert "ノバ抗体医薬" in mail.subject and "返信を待っています" in mail.subject
    assert "Kenji Watanabe" in mail.body and f"/booths/{nova}/inbox" in mail.body and "未読メッセージ" in mail.body
    run(rewind())  # the window has passed: the next message sends the next digest
    with socket(app_client, nova, investor) as visitor:
        until(visitor, "welcome")
        visitor.send_json({"type": "send", "body": "Third question"})
        until(visitor, "notice")
    assert len(run(mails())) == 2


def test_published_booth_name_and_documents_wait_for_review_text_goes_live(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    nova = booths[NOVA]
    team = as_role("team")
    form = {"csrf_token": csrf(team), "lang": "en", "tagline": "Live at once", "description": "Line one\nLine two"}
    assert team.post(f"/booths/{nova}/edit", data={**form, "name": "Nova Renamed"}).status_code == 200
    visitor = as_role("anonymous").get(f"/api/booths/{nova}?lang=en").json()
    assert visitor["name"]["text"] == "Nova Antibody Therapeutics"
    assert visitor["tagline"]["text"] == "Live at once" and visitor["description"]["text"] == "Line one\nLine two"
    organizer = as_role("organizer")
    assert "Changes to review" in organizer.get("/booths/mine?lang=en").text
    organizer.post(f"/booths/{nova}/review", data={"csrf_token": csrf(organizer), "action": "approve"})
    assert as_role("anonymous").get(f"/api/booths/{nova}?lang=en").json()["name"]["text"] == "Nova Renamed"

    team = as_role("team")
    controls = team.post(f"/booths/{nova}/edit", data={**form, "csrf_token": csrf(team), "description": "a\x01b"})
    assert controls.status_code == 422 and "control characters" in controls.text

    organizer = as_role("organizer")  # not reviewed: an organizer empties every language but one
    for code in ("zh_Hans", "zh_Hant", "ja", "ko", "id", "ar"):
        organizer.post(f"/booths/{nova}/edit", data={**form, "csrf_token": csrf(organizer), "lang": code, "name": ""})
    last = organizer.post(f"/booths/{nova}/edit?lang=en", data={**form, "csrf_token": csrf(organizer), "name": ""})
    assert last.status_code == 422 and "A booth needs a name in at least one language." in last.text


def test_hall_lists_published_teams_as_links_and_the_district_booth(
    as_role: Callable[[str], TestClient], booths: dict[str, int]
) -> None:
    client = as_role("anonymous")
    page = client.get("/halls/district-jinshan-bio?lang=en").text
    cards = re.findall(r'<a class="card team" href="/booths/(\d+)">', page)
    assert cards and all(int(c) in booths.values() for c in cards)
    assert str(booths[PENDING]) not in cards  # a submitted (unpublished) booth's team is not shown
    assert f'href="/booths/{booths["district-jinshan-bio"]}"' in page


def test_bad_filter_is_shown_next_to_its_field_with_the_typed_values(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("anonymous")
    page = client.get("/projects", params={"amount_min": "5 million", "amount_max": "3", "q": "bio", "lang": "en"})
    assert page.status_code == 400 and '<form class="filters"' in page.text
    assert 'id="amount_min-error"' in page.text and "Enter a whole number." in page.text
    assert 'value="5 million"' in page.text and 'value="bio"' in page.text
    reversed_range = client.get("/map", params={"amount_min": "50", "amount_max": "3", "lang": "en"})
    assert reversed_range.status_code == 400 and "The maximum must not be below the minimum." in reversed_range.text
    assert client.get("/api/projects", params={"amount_min": "5 million"}).status_code == 400


def test_project_page_does_not_repeat_the_site(as_role: Callable[[str], TestClient]) -> None:
    client = as_role("anonymous")
    page = client.get("/projects?district=jinshan-bio&lang=ja").text
    project = re.search(r'href="/projects/(\d+)"', page).group(1)
    facts = client.get(f"/projects/{project}?lang=ja").text.split('<dl class="facts">')[1].split("</dl>")[0]
    assert facts.count("金山バイオメディカルパーク") == 1
