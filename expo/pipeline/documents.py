"""Files on a deal (agreement versions, the countersigned agreement, evidence of funds).

Checked like booth uploads: the type comes from the file's first bytes (PDF, PNG or JPEG
only: a scan or a signed PDF), never from its name or the browser's claim; the size is
limited by ``EXPO_UPLOAD_MAX_MB``; the file is stored under ``var/uploads/pipeline/`` by a
random name and served as an attachment with a fixed Content-Type.
"""

import os
import re
import secrets
import unicodedata
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from expo.pipeline.models import Deal, Document
from i18n import N_

KINDS = {
    "agreement": N_("Agreement (a version)"),
    "countersigned": N_("Countersigned agreement"),
    "funds_evidence": N_("Evidence of funds arrived"),
    "other": N_("Other document"),
}
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


class UploadError(ValueError):
    """Refused upload; ``message`` is a msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def file_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) decided by the first bytes, or None when not accepted."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def display_name(name: str, extension: str) -> str:
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    stem = (name.rsplit(".", 1)[0] if "." in name else name).strip(" .")[:100] or "document"
    return stem + extension


def directory(var_dir: Path) -> Path:
    path = var_dir / "uploads" / "pipeline"
    path.mkdir(parents=True, exist_ok=True)
    return path


DEMO_FILES = Path(__file__).resolve().parent / "demo_files"


def path_of(var_dir: Path, document: Document) -> Path:
    if document.stored_name.startswith("demo:"):  # the demo's documents ship with the code
        return DEMO_FILES / document.stored_name.removeprefix("demo:")
    return directory(var_dir) / document.stored_name


async def save(source: object, var_dir: Path, max_bytes: int) -> tuple[str, str, int]:
    """Copies an upload (``async read(n)``) to a random file: (stored name, type, size)."""
    folder = directory(var_dir)
    temp = folder / f".part-{secrets.token_hex(12)}"
    size, kind = 0, None
    try:
        with temp.open("wb") as out:
            while chunk := await source.read(256 * 1024):  # type: ignore[attr-defined]
                if kind is None and (kind := file_type(chunk[:16])) is None:
                    raise UploadError(N_("Only PDF, PNG or JPEG files are accepted."))
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(N_("This file is too large."))
                out.write(chunk)
        if kind is None:
            raise UploadError(N_("The file is empty."))
        stored = secrets.token_hex(16) + kind[1]
        os.replace(temp, folder / stored)
        return stored, kind[0], size
    finally:
        temp.unlink(missing_ok=True)


async def attach(
    session: AsyncSession, deal: Deal, by: User, kind: str, filename: str, stored: str, content_type: str, size: int
) -> Document:
    if kind not in KINDS:
        raise UploadError(N_("Choose one of the offered values."))
    version = (
        await session.scalar(
            select(func.coalesce(func.max(Document.version), 0)).where(
                Document.deal_id == deal.id, Document.kind == kind
            )
        )
        or 0
    ) + 1
    extension = {"application/pdf": ".pdf", "image/png": ".png"}.get(content_type, ".jpg")
    document = Document(
        deal_id=deal.id,
        kind=kind,
        version=version,
        filename=display_name(filename, extension),
        stored_name=stored,
        content_type=content_type,
        size=size,
        uploaded_by=by.id,
        uploaded_at=utcnow(),
    )
    session.add(document)
    return document
