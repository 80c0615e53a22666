"""Rendering pages: one Jinja2 environment for all packages, with per-request gettext.

Templates are namespaced per package (``expo/templates/expo/lobby.html``,
``booths/templates/booths/…``). ``{% trans %}`` and ``_()`` translate with the visitor's
catalog; every page gets ``fmt`` (dates, times, money in the viewer's locale and zone),
``pick`` (translated content with fallback), ``user``, ``csrf_token`` and the locale list.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

import jinja2
from babel import Locale
from babel.lists import format_list
from babel.support import NullTranslations
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from expo.fair.sectors import SECTORS, sector_label
from expo.web import navigation
from expo.web.csrf import csrf_token
from i18n import SHIPPED_LOCALES, Catalogs, FallbackNotes, locale_info, pick

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _zone_list() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def _newstyle(func: Callable[..., str]) -> Callable[..., str]:
    @jinja2.pass_eval_context
    def gettext(eval_ctx: jinja2.nodes.EvalContext, __string: str, **variables: Any) -> str:
        rv = func(__string)
        if eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - a message from our own catalog; variables escape
        return rv % variables  # type: ignore[no-any-return]

    return gettext


def _newstyle_plural(func: Callable[..., str]) -> Callable[..., str]:
    @jinja2.pass_eval_context
    def ngettext(eval_ctx: jinja2.nodes.EvalContext, __s: str, __p: str, __n: int, **variables: Any) -> str:
        variables.setdefault("num", __n)
        rv = func(__s, __p, __n)
        if eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - a message from our own catalog; variables escape
        return rv % variables  # type: ignore[no-any-return]

    return ngettext


@functools.lru_cache(maxsize=512)
def _language_name(code: str, viewer: str) -> str:
    """The name of language ``code`` in the viewer's language ("英語" for en, to ja)."""
    try:
        name = Locale.parse(code).get_display_name(locale_info(viewer).babel) or code
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if viewer not in ("zh_Hans", "zh_Hant", "ja", "ko", "ar") else name


def _lang_url(request: Request, code: str) -> str:
    """The current page in another language, as a local (host-less) URL."""
    params = dict(request.query_params)
    params["lang"] = code
    return f"{request.url.path}?{urlencode(params)}"


class Templates:
    def __init__(self, catalogs: Catalogs, template_dirs: Sequence[Path]) -> None:
        self.catalogs = catalogs
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
            autoescape=jinja2.select_autoescape(("html", "xml")),
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Read once per process: no stat() of every template and include per render
            # (5 % of a signed-in booth page's time). Restart the server to see template edits.
            auto_reload=False,
        )
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self._gettext = {
            code: (_newstyle(t.gettext), _newstyle_plural(t.ngettext), t)
            for code in SHIPPED_LOCALES
            for t in [catalogs.get(code)]
        }

    def translations(self, locale: str) -> NullTranslations:
        return self._gettext[locale][2]

    def context(self, request: Request) -> dict[str, Any]:
        locale = request.state.locale
        gettext, ngettext, translations = self._gettext[locale]
        settings = request.state.settings
        notes = FallbackNotes()  # one per rendering: the fallback languages shown, for _fallback_notice.html
        return {
            "request": request,
            "gettext": gettext,
            "_": gettext,
            "ngettext": ngettext,
            "locale": locale_info(locale),
            "locales": SHIPPED_LOCALES.values(),
            "fmt": request.state.fmt,
            "user": request.state.user,
            "tz_known": request.state.tz_known,
            "csrf_token": lambda: csrf_token(request),
            "pick": lambda field: notes.note(pick(field, locale, settings.default_locale)),
            "fallback_languages": notes.take,
            "language_list": lambda codes: format_list(
                [_language_name(code, locale) for code in codes], locale=locale_info(locale).babel
            ),
            "sector_label": lambda code: sector_label(code, translations),
            "sectors": SECTORS,
            "zones": _zone_list(),
            "locales_by_code": SHIPPED_LOCALES,
            "language_name": lambda code: _language_name(code, locale),
            "dev": settings.dev,
            "lang_url": lambda code: _lang_url(request, code),
            "menu": navigation.menu(getattr(request.state.user, "role", None), dev=settings.dev),
        }

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        values = self.context(request)
        values.update(context or {})
        html = self.env.get_template(name).render(values)
        return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def render_fragment(request: Request, name: str, context: Mapping[str, Any] | None = None) -> str:
    """A partial template rendered to a string, with the same context a page gets."""
    templates: Templates = request.state.templates
    values = templates.context(request)
    values.update(context or {})
    return templates.env.get_template(name).render(values)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    templates: Templates = request.state.templates
    return templates.render(request, name, context, status_code, headers)


def translate(request: Request, message: str) -> str:
    templates: Templates = request.state.templates
    return templates.translations(request.state.locale).gettext(message)
