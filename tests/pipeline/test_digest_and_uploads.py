"""The daily digest goes once a day to owners of flagged deals; uploads are judged by their
first bytes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from expo.outbox import Mail
from expo.pipeline import deals, digest, documents
from expo.pipeline.config import Config
from tests.helpers import run
from tests.pipeline.conftest import World, in_session


def test_the_digest_mails_each_owner_once_a_day(world: World) -> None:
    async def scenario(session: AsyncSession) -> None:
        host = await session.get(User, world.host)
        base = {"investor_company": "c", "district_id": world.harbour, "owner_id": world.host}
        await deals.create(session, host, {**base, "title": "No action"})
        await deals.create(
            session, host, {**base, "title": "Fine", "next_action": "call", "next_action_due": date(2099, 1, 1)}
        )
        await session.commit()
        today = utcnow().date()
        words = {"These deals of yours need attention today:": "今日の案件:"}
        gettext = lambda locale, msgid: words.get(msgid, msgid)  # noqa: E731
        assert await digest.send_digest(session, today, Config(), gettext, "https://expo.example") == 1
        await session.commit()
        assert await digest.send_digest(session, today, Config(), gettext, "https://expo.example") is None
        mails = (await session.scalars(select(Mail))).all()
        assert [m.to for m in mails] == ["host@x.example"]
        assert mails[0].body.startswith("今日の案件:")
        assert "No action" in mails[0].body and "Fine" not in mails[0].body
        assert await digest.send_digest(session, today + timedelta(days=1), Config(), gettext, "") == 1

    in_session(world.url, scenario)


class Chunks:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, n: int) -> bytes:
        head, self.data = self.data[:n], self.data[n:]
        return head


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png"),
        (b"MZ\x90\x00 an exe named agreement.pdf", "Only PDF, PNG or JPEG files are accepted."),
        (b"", "The file is empty."),
        (b"%PDF-" + b"0" * 2000, "This file is too large."),
    ],
)
def test_uploads_are_judged_by_their_first_bytes(data: bytes, outcome: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> str:
        try:
            stored, content_type, size = await documents.save(Chunks(data), tmp_path, max_bytes=1000)
        except documents.UploadError as exc:
            return exc.message
        assert (tmp_path / "uploads" / "pipeline" / stored).read_bytes() == data and size == len(data)
        return content_type

    assert run(scenario()) == outcome
    assert not list((tmp_path / "uploads" / "pipeline").glob(".part-*"))
