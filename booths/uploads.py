"""Uploads: the type is decided by the file's first bytes (never by its name or the
browser's claim), the size is limited (setting ``upload_max_mb``), the file is stored under
``var/uploads/booths/`` by a random name and served with a fixed, safe Content-Type.

Only PDF, PNG, JPEG, WebP and MP4 are accepted: an .exe renamed .pdf is refused.
"""

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DEMO_FILES = Path(__file__).resolve().parent / "demo_files"
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
    b"MSNV",
    b"3gp4",
    b"3gp5",
}


@dataclass(frozen=True)
class FileType:
    kind: str  # pdf | image | video
    content_type: str
    extension: str


PDF = FileType("pdf", "application/pdf", ".pdf")
PNG = FileType("image", "image/png", ".png")
JPEG = FileType("image", "image/jpeg", ".jpg")
WEBP = FileType("image", "image/webp", ".webp")
MP4 = FileType("video", "video/mp4", ".mp4")
TYPES = {t.content_type: t for t in (PDF, PNG, JPEG, WEBP, MP4)}


def sniff(head: bytes) -> FileType | None:
    """The type of a file from its first bytes (at least 16), or None when not allowed."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return MP4
    return None


def safe_filename(name: str, file_type: FileType) -> str:
    """A display name: no directories, control or path characters, the real extension."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:100] or "file"
    return stem + file_type.extension


def content_disposition(filename: str, inline: bool) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class UploadTooLarge(ValueError):
    pass


class UploadRefused(ValueError):
    pass


def upload_dir(var_dir: Path) -> Path:
    path = var_dir / "uploads" / "booths"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(var_dir: Path, stored_name: str) -> Path:
    if stored_name.startswith("demo:"):
        return DEMO_FILES / stored_name.removeprefix("demo:").split("#")[0]
    return upload_dir(var_dir) / stored_name


async def store(source: object, var_dir: Path, max_bytes: int) -> tuple[str, FileType, int]:
    """Copies an upload (an object with ``async read(n)``) to a new random file; returns
    (stored name, type, size). Nothing is left behind when it is refused."""
    directory = upload_dir(var_dir)
    temp = directory / f".part-{secrets.token_hex(12)}"
    size = 0
    file_type: FileType | None = None
    try:
        with temp.open("wb") as out:
            while chunk := await source.read(256 * 1024):  # type: ignore[attr-defined]
                if file_type is None:
                    file_type = sniff(chunk[:64])
                    if file_type is None:
                        raise UploadRefused()
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge()
                out.write(chunk)
        if file_type is None:
            raise UploadRefused()
        stored = secrets.token_hex(16) + file_type.extension
        os.replace(temp, directory / stored)
        return stored, file_type, size
    finally:
        temp.unlink(missing_ok=True)


def remove(var_dir: Path, stored_name: str) -> None:
    if not stored_name.startswith("demo:"):
        path_of(var_dir, stored_name).unlink(missing_ok=True)


def claimed_type(filename: str) -> FileType | None:
    """The allowed type a file's name claims (by its extension), to tell a visitor that a
    refused file is not what its name says."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    extension = {".jpeg": ".jpg"}.get(extension, extension)
    return next((t for t in TYPES.values() if t.extension == extension), None)
