"""What a published booth's staff may change at once, and what waits for an organizer.

The city office answers for what the expo shows in its name. Text that describes a booth
(tagline, description, contact, sector, its projects) is the staff's to keep current: it
goes live at once. Two things change who the booth says it is or what the expo hands out,
and go back to review while the booth stays online with what was approved:

- the booth's **name** (in any language): visitors keep reading the approved name until an
  organizer approves the new one (``Booth.pending_name``);
- **new documents and media**: hidden from visitors until approved (``Document.pending``).

Organizers' own edits are not reviewed, and neither are a draft's or a submitted booth's
(the whole booth is reviewed when it is published; publishing approves everything
pending). A booth's name is required in at least one language (``booths.editing``).
The rules as data, read by the code and shown in docs/booths.md:
"""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth, Document
from expo.accounts.models import User
from expo.accounts.roles import Role
from expo.db import utcnow

RULES = {
    "name": "review",
    "tagline": "live",
    "description": "live",
    "contact_email": "live",
    "sector": "live",
    "projects": "live",
    "documents": "review",
}


def reviewed(booth: Booth, user: User | None) -> bool:
    """Whether ``user``'s changes to ``booth`` wait for review (the rules above)."""
    return booth.status == "published" and (user is None or user.role != Role.ORGANIZER)


def current_name(booth: Booth) -> dict[str, str]:
    """The name as the staff last wrote it: the pending one, else the approved one."""
    return dict(booth.pending_name if booth.pending_name is not None else booth.name or {})


def propose_name(booth: Booth, name: dict[str, str]) -> None:
    """Keeps a reviewed booth's new name aside (or drops the proposal when it is the
    approved name again)."""
    booth.pending_name = None if name == (booth.name or {}) else name


async def pending_documents(session: AsyncSession, booth_id: int) -> list[Document]:
    query = select(Document).where(Document.booth_id == booth_id, Document.pending.is_(True)).order_by(Document.id)
    return list((await session.scalars(query)).all())


async def pending_booths(session: AsyncSession) -> set[int]:
    """Ids of the booths with a name or documents waiting for review."""
    named = await session.scalars(select(Booth.id).where(Booth.pending_name.is_not(None)))
    with_docs = await session.scalars(select(Document.booth_id).where(Document.pending.is_(True)).distinct())
    return set(named.all()) | set(with_docs.all())


async def approve(session: AsyncSession, booth: Booth) -> None:
    """Everything pending goes live: the new name, the new documents."""
    if booth.pending_name is not None:
        booth.name = booth.pending_name
        booth.pending_name = None
    await session.execute(update(Document).where(Document.booth_id == booth.id).values(pending=False))
    booth.updated_at = utcnow()


async def reject(session: AsyncSession, booth: Booth) -> list[str]:
    """Drops the proposed name and the pending documents; returns the documents' stored
    names (the caller removes the files after the commit)."""
    booth.pending_name = None
    docs = await pending_documents(session, booth.id)
    await session.execute(delete(Document).where(Document.booth_id == booth.id, Document.pending.is_(True)))
    booth.updated_at = utcnow()
    return [doc.stored_name for doc in docs]
