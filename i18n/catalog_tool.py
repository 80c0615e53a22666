"""Maintaining the message catalogs: ``python -m i18n.catalog_tool extract|compile|check``.

- ``extract [PACKAGE]``: rewrites each package's (or one: i18n, booths, streaming)
  ``messages.pot`` from its sources and merges new msgids into every shipped locale's ``.po`` (``make messages``);
- ``compile``: builds the ``.mo`` files (``make catalogs``; .mo are not committed);
- ``check``: exits 1 naming every stale template, untranslated or fuzzy message.
"""

import subprocess
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from i18n.catalogs import CORE_PACKAGES, ROOT
from i18n.locales import SHIPPED_LOCALES

# package catalog dir → source dirs whose strings it holds
PACKAGES = {
    ROOT / "i18n" / "locale": [ROOT / "expo", ROOT / "i18n"],
    **{ROOT / "expo" / name / "locale": [ROOT / "expo" / name] for name in CORE_PACKAGES},
    ROOT / "booths" / "locale": [ROOT / "booths"],
    ROOT / "streaming" / "locale": [ROOT / "streaming"],
}
METHODS = [("**/migrations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
LOCALES = [code for code in SHIPPED_LOCALES if code != "en"]


def _ignored(source: Path) -> list[str]:
    """Subpackages of ``source`` that keep a catalog of their own (expo/meetings, …)."""
    return list(CORE_PACKAGES) if source == ROOT / "expo" else []


def extracted(sources: list[Path]) -> set[str]:
    """The msgids the sources use now (singular forms; plurals as their singular)."""
    found: set[str] = set()
    for source in sources:
        methods = [(f"{name}/**", "ignore") for name in _ignored(source)] + METHODS
        for _file, _line, message, _comments, _context in extract_from_dir(
            source, methods, OPTIONS, KEYWORDS, comment_tags=()
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


def extract(only: str | None = None) -> None:
    for catalog_dir, sources in PACKAGES.items():
        if only and catalog_dir.parent.name != only:
            continue
        if not extracted(sources):
            continue
        catalog_dir.mkdir(parents=True, exist_ok=True)
        pot = catalog_dir / "messages.pot"
        cfg = ROOT / "babel.cfg"
        _pybabel(
            "extract",
            "-F",
            str(cfg),
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "--no-wrap",
            "--ignore-dirs",
            " ".join([".*", "._", *(name for source in sources for name in _ignored(source))]),
            "-o",
            str(pot),
            *map(str, sources),
        )
        for code in LOCALES:
            po = catalog_dir / code / "LC_MESSAGES" / "messages.po"
            if po.exists():
                _pybabel(
                    "update",
                    "-i",
                    str(pot),
                    "-d",
                    str(catalog_dir),
                    "-l",
                    code,
                    "--no-fuzzy-matching",
                    "--ignore-obsolete",
                    "--no-wrap",
                )
            else:
                _pybabel("init", "-i", str(pot), "-d", str(catalog_dir), "-l", code, "--no-wrap")


def compile_all() -> None:
    for catalog_dir in PACKAGES:
        for po in catalog_dir.glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as handle:
                catalog = read_po(handle)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            po.with_suffix(".mo").write_bytes(buffer.getvalue())


def problems() -> list[str]:
    found: list[str] = []
    for catalog_dir, sources in PACKAGES.items():
        used = extracted(sources)
        pot = catalog_dir / "messages.pot"
        if not used and not pot.exists():
            continue
        if not pot.exists():
            found.append(f"{pot} is missing: run make messages")
            continue
        with pot.open("rb") as handle:
            template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
        for msgid in sorted(used - template):
            found.append(f"{pot}: stale, lacks {msgid!r} (run make messages)")
        for msgid in sorted(template - used):
            found.append(f"{pot}: stale, still has unused {msgid!r} (run make messages)")
        for code in LOCALES:
            po = catalog_dir / code / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                found.append(f"{po} is missing")
                continue
            with po.open("rb") as handle:
                catalog = read_po(handle)
            ids = set()
            for message in catalog:
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                ids.add(key)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy:
                    found.append(f"{po}: fuzzy {key!r}")
                elif not all(strings):
                    found.append(f"{po}: untranslated {key!r}")
            for msgid in sorted(template - ids):
                found.append(f"{po}: lacks {msgid!r} (run make messages)")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        extract(argv[1] if len(argv) > 1 else None)
    elif command == "compile":
        compile_all()
    elif command == "check":
        issues = problems()
        for line in issues:
            print(line)
        return 1 if issues else 0
    else:
        print("usage: python -m i18n.catalog_tool extract|compile|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
