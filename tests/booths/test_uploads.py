"""Uploads are typed by content and size-limited; downloads are served safely, only to
those allowed, and counted."""

from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from booths.uploads import DEMO_FILES, safe_filename, sniff
from expo.settings import Settings
from tests.booths.test_pages import NOVA, csrf

PDF = (DEMO_FILES / "handbook.pdf").read_bytes()
PNG = (DEMO_FILES / "logo.png").read_bytes()


def uploaded_files(settings: Settings) -> list[Path]:
    directory = settings.var_dir / "uploads" / "booths"
    return sorted(directory.iterdir()) if directory.exists() else []


def upload(client: TestClient, booth: int, name: str, content: bytes, role: str = "document"):
    return client.post(
        f"/booths/{booth}/documents",
        files={"file": (name, content, "application/pdf")},
        data={"csrf_token": csrf(client), "role": role, "lang": "en", "title": "Deck"},
        follow_redirects=False,
    )


def test_sniff_decides_by_content_not_name() -> None:
    assert sniff(PDF[:64]).content_type == "application/pdf"
    assert sniff(PNG[:64]).content_type == "image/png"
    assert sniff(b"MZ\x90\x00" + b"\x00" * 60) is None
    assert sniff(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 50).content_type == "video/mp4"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ").content_type == "image/webp"
    assert safe_filename("../../etc/passwd.pdf", sniff(PDF)) == "passwd.pdf"
    assert safe_filename("..\\..\\boot.ini", sniff(PNG)) == "boot.png"
    assert safe_filename("\x00\u202e.pdf", sniff(PDF)) == "file.pdf"


def test_disguised_and_oversized_uploads_are_refused_and_leave_nothing(
    as_role: Callable[[str], TestClient], booths: dict[str, int], demo_settings: Settings
) -> None:
    team = as_role("team")
    nova = booths[NOVA]
    assert upload(team, nova, "report.pdf", b"MZ\x90\x00" + b"\x00" * 4000).status_code == 415
    assert upload(team, nova, "logo.png", PDF, role="logo").status_code == 415
    big = PDF + b"\x00" * (20 * 1024 * 1024)
    assert upload(team, nova, "big.pdf", big).status_code == 413
    assert uploaded_files(demo_settings) == []
    other = booths["team-lanhai-chip"]
    assert upload(team, other, "x.pdf", PDF).status_code == 403


def test_uploaded_pdf_is_served_safely_to_signed_in_people_and_counted(
    as_role: Callable[[str], TestClient], booths: dict[str, int], demo_settings: Settings
) -> None:
    team = as_role("team")
    nova = booths[NOVA]
    assert upload(team, nova, "../../secret/Deck 2026.pdf", PDF).status_code == 303
    [stored] = uploaded_files(demo_settings)
    assert stored.suffix == ".pdf" and "Deck" not in stored.name
    organizer = as_role("organizer")  # a published booth's new document waits for review
    assert [d["filename"] for d in organizer.get(f"/api/booths/{nova}").json()["documents"]].count("Deck 2026.pdf") == 0
    approve = organizer.post(
        f"/booths/{nova}/review", data={"csrf_token": csrf(organizer), "action": "approve"}, follow_redirects=False
    )
    assert approve.status_code == 303
    team = as_role("team")
    doc = next(d for d in team.get(f"/api/booths/{nova}").json()["documents"] if d["filename"] == "Deck 2026.pdf")
    anonymous = as_role("anonymous")
    assert anonymous.get(doc["url"], headers={"accept": "application/json"}).status_code == 401
    investor = as_role("investor")
    response = investor.get(doc["url"])
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="Deck 2026.pdf"')
    assert response.headers["x-content-type-options"] == "nosniff"
    after = investor.get(f"/api/booths/{nova}").json()["documents"]
    assert next(d for d in after if d["id"] == doc["id"])["downloads"] == 1
    leads = as_role("team").get(f"/api/booths/{nova}/leads").json()["items"]
    assert next(i for i in leads if i["investor"]["name"] == "Kenji Watanabe")["downloads"] == 1
