"""The one settings object, built from the environment (``EXPO_`` prefix) and passed down.

Every setting is listed in ``SETTINGS_DOC`` and documented in docs/operations.md (a test
checks both). Nothing else in the project reads ``os.environ``.
"""

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from i18n import SHIPPED_LOCALES, valid_timezone


class SettingsError(ValueError):
    """A setting has a value the expo cannot use; the message says what to do."""


SETTINGS_DOC: dict[str, str] = {
    "EXPO_ENV": "`dev` (default: secret key generated and kept in var/, dev mail shown to "
    "organizers) or `production` (EXPO_SECRET_KEY required).",
    "EXPO_DATABASE_URL": "SQLAlchemy URL. Default `sqlite+aiosqlite:///var/expo.db`; "
    "PostgreSQL: `postgresql+asyncpg://user:password@host/dbname`.",
    "EXPO_REDIS_URL": "Redis URL for the cross-process bus (chat, Q&A, presence, "
    "announcements). Unset: an in-process bus (one server process).",
    "EXPO_SECRET_KEY": "Signs session cookies. Required in production; in dev one is "
    "generated once and kept in var/secret_key.",
    "EXPO_HOME_TZ": "The expo's home time zone (IANA). Default `Asia/Shanghai`.",
    "EXPO_DEFAULT_LOCALE": "UI language when nothing else decides: one of en, zh_Hans, "
    "zh_Hant, ja, ko, id, ar. Default `en`.",
    "EXPO_ICE_SERVERS": "JSON list of WebRTC ICE servers handed to browsers and to the media "
    'hub, e.g. `[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]`.'
    " Default `[]`: host candidates only, no public STUN server.",
    "EXPO_HOST": "Address `expo serve` listens on. Default `127.0.0.1`.",
    "EXPO_PORT": "Port `expo serve` listens on. Default `8000`.",
    "EXPO_VAR_DIR": "Where the SQLite file, the dev secret, uploads and recordings live. Default `var`.",
    "EXPO_SMTP_URL": "`smtp://user:password@host:port` (or `smtps://`) to send the mail "
    "outbox; unset: mails stay in the outbox (organizers see them in dev).",
    "EXPO_MAIL_FROM": "Sender address of outgoing mail. Default `expo@localhost`.",
    "EXPO_PUBLIC_URL": "The URL visitors use (for links in mails, e.g. "
    "`https://expo.example.org`). Default `http://{EXPO_HOST}:{EXPO_PORT}`.",
    "EXPO_HTTPS": "`1` when served over https (Secure cookies, HSTS). Default: on when "
    "EXPO_PUBLIC_URL starts with https.",
    "EXPO_LOGIN_RATE": "Failed logins allowed per (address, account) pair in 15 minutes (ten times that per "
    "address); an account attacked from many addresses is slowed, never locked. Default `10`.",
    "EXPO_LOG_LEVEL": "Python log level. Default `INFO`.",
    "EXPO_UPLOAD_MAX_MB": "Largest accepted booth upload (document, image, video), in MB. Default `20`.",
    "EXPO_CHAT_DIGEST_MINUTES": (
        "At most one mail per booth per this many minutes tells its staff about chat messages "
        "written while none of them was online. Default `5`."
    ),
    "EXPO_RECORDINGS_DIR": "Where live pitches are recorded for replay. Default `{EXPO_VAR_DIR}/recordings`.",
    "EXPO_WS_ORIGINS": "Extra origins (comma-separated, e.g. `https://expo.example.org`) whose pages may "
    "open the expo's WebSockets. The expo's own origin (EXPO_PUBLIC_URL, or the Host the socket was "
    "opened on) is always allowed; any other browser Origin is refused (close code 4403).",
    "EXPO_METRICS_TOKEN": "Bearer token that `/metrics` asks for (`Authorization: Bearer …`). Unset: "
    "`/metrics` answers only requests from the loopback address (127.0.0.1, ::1).",
    "EXPO_MEETING_REQUEST_DAYS": "Days a meeting request waits for an answer before it expires. Default `14`.",
    "EXPO_MEETING_OPEN_REQUESTS": "Open outgoing meeting requests one investor (or one team) may have at "
    "once; past it a new request is refused. Default `20`.",
    "EXPO_MAX_VIEWERS": "Most viewers of one live pitch per server process; past it WHEP answers 503 "
    "with Retry-After. Default `200`.",
    "EXPO_PIPELINE_STALE_DAYS": "Days a deal may stay in each pipeline stage before it is flagged, "
    "e.g. `target=60,intention=60,negotiating=90,signed=120,landed=180`. Unlisted stages keep "
    "these defaults; `funded` is never flagged.",
    "EXPO_PIPELINE_RATES": "Exchange rates to CNY used for the pipeline's totals (and stated on its "
    "pages), e.g. `USD=7.10,EUR=7.75`; they are also the currencies a deal may use. Default: "
    "CNY, USD, EUR, GBP, JPY, KRW, HKD, TWD, SGD, IDR, AED, SAR at rates of late 2026.",
    "EXPO_TURN_URLS": "Comma-separated URLs of the expo's own TURN server (coturn), e.g. "
    "`turn:turn.example.org:3478?transport=udp,turn:turn.example.org:3478?transport=tcp,"
    "turns:turn.example.org:443?transport=tcp`. Each page gets them with short-lived "
    "credentials (EXPO_TURN_SECRET). Default: none.",
    "EXPO_TURN_SECRET": "The secret shared with coturn (`use-auth-secret`, `static-auth-secret=`): "
    "TURN credentials are HMAC-SHA1 of `expiry:user` with it. Required with EXPO_TURN_URLS.",
    "EXPO_TURN_TTL": "How long handed-out TURN credentials stay valid, in seconds. Default `7200`.",
    "EXPO_SFU_URLS": "Comma-separated HTTP API URLs of Janus instances (Streaming plugin) that carry "
    "large pitch audiences, e.g. `http://10.0.0.5:8088/janus,http://10.0.0.6:8088/janus`; the hub "
    "sends them RTP at the URL's host. Default: none (the hub serves every viewer).",
    "EXPO_SFU_ADMIN_KEY": "The Streaming plugin's `admin_key` (janus.plugin.streaming.jcfg), needed to "
    "create mountpoints. Default: empty.",
    "EXPO_SFU_MAX_VIEWERS": "Most viewers the expo sends to one SFU instance (over all pitches); past it "
    "the next instance, then the hub. Default `2000`.",
}


@dataclass(frozen=True)
class Settings:
    env: str = "dev"
    database_url: str = "sqlite+aiosqlite:///var/expo.db"
    redis_url: str | None = None
    secret_key: str = field(default="", repr=False)
    home_tz: str = "Asia/Shanghai"
    default_locale: str = "en"
    ice_servers: tuple[Mapping[str, object], ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = Path("var")
    smtp_url: str | None = None
    mail_from: str = "expo@localhost"
    public_url: str = ""
    https: bool = False
    login_rate: int = 10
    log_level: str = "INFO"
    upload_max_mb: int = 20
    chat_digest_minutes: int = 5
    max_viewers: int = 200
    meeting_request_days: int = 14
    meeting_open_requests: int = 20
    recordings_dir: Path = Path("var/recordings")
    ws_origins: tuple[str, ...] = ()
    metrics_token: str = field(default="", repr=False)
    pipeline_stale_days: tuple[tuple[str, int], ...] = ()
    pipeline_rates: tuple[tuple[str, float], ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = field(default="", repr=False)
    turn_ttl: int = 7200
    sfu_urls: tuple[str, ...] = ()
    sfu_admin_key: str = field(default="", repr=False)
    sfu_max_viewers: int = 2000

    @property
    def dev(self) -> bool:
        return self.env != "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        get = env.get
        mode = get("EXPO_ENV", "dev")
        if mode not in ("dev", "production"):
            raise SettingsError("EXPO_ENV must be 'dev' or 'production'")
        var_dir = Path(get("EXPO_VAR_DIR", "var"))
        database_url = get("EXPO_DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir}/expo.db"
        home_tz = get("EXPO_HOME_TZ", "Asia/Shanghai")
        if not valid_timezone(home_tz):
            raise SettingsError(f"EXPO_HOME_TZ={home_tz!r} is not an IANA time zone")
        default_locale = get("EXPO_DEFAULT_LOCALE", "en")
        if default_locale not in SHIPPED_LOCALES:
            raise SettingsError(f"EXPO_DEFAULT_LOCALE={default_locale!r}: use one of {', '.join(SHIPPED_LOCALES)}")
        host = get("EXPO_HOST", "127.0.0.1")
        port = _int(get("EXPO_PORT", "8000"), "EXPO_PORT", 1, 65535)
        public_url = (get("EXPO_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/")
        https_raw = get("EXPO_HTTPS")
        https = public_url.startswith("https://") if https_raw is None else https_raw == "1"
        secret = get("EXPO_SECRET_KEY", "")
        if not secret:
            if mode == "production":
                raise SettingsError("EXPO_SECRET_KEY is required when EXPO_ENV=production")
            secret = _dev_secret(var_dir)
        turn_urls = tuple(u.strip() for u in get("EXPO_TURN_URLS", "").split(",") if u.strip())
        turn_secret = get("EXPO_TURN_SECRET", "")
        if turn_urls and not turn_secret:
            raise SettingsError("EXPO_TURN_URLS needs EXPO_TURN_SECRET (coturn's static-auth-secret)")
        if not all(u.split(":", 1)[0] in ("turn", "turns", "stun") for u in turn_urls):
            raise SettingsError("EXPO_TURN_URLS must be turn:, turns: or stun: URLs")
        sfu_urls = tuple(u.strip().rstrip("/") for u in get("EXPO_SFU_URLS", "").split(",") if u.strip())
        if not all(u.startswith(("http://", "https://")) for u in sfu_urls):
            raise SettingsError("EXPO_SFU_URLS must be http:// or https:// URLs of Janus' HTTP API (…/janus)")
        return cls(
            env=mode,
            database_url=database_url,
            redis_url=get("EXPO_REDIS_URL") or None,
            secret_key=secret,
            home_tz=home_tz,
            default_locale=default_locale,
            ice_servers=_ice_servers(get("EXPO_ICE_SERVERS", "[]")),
            host=host,
            port=port,
            var_dir=var_dir,
            smtp_url=get("EXPO_SMTP_URL") or None,
            mail_from=get("EXPO_MAIL_FROM", "expo@localhost"),
            public_url=public_url,
            https=https,
            login_rate=_int(get("EXPO_LOGIN_RATE", "10"), "EXPO_LOGIN_RATE", 1, 10_000),
            log_level=get("EXPO_LOG_LEVEL", "INFO").upper(),
            upload_max_mb=_int(get("EXPO_UPLOAD_MAX_MB", "20"), "EXPO_UPLOAD_MAX_MB", 1, 2048),
            chat_digest_minutes=_int(get("EXPO_CHAT_DIGEST_MINUTES", "5"), "EXPO_CHAT_DIGEST_MINUTES", 1, 1440),
            recordings_dir=Path(get("EXPO_RECORDINGS_DIR") or var_dir / "recordings"),
            max_viewers=_int(get("EXPO_MAX_VIEWERS", "200"), "EXPO_MAX_VIEWERS", 1, 100_000),
            meeting_request_days=_int(get("EXPO_MEETING_REQUEST_DAYS", "14"), "EXPO_MEETING_REQUEST_DAYS", 1, 365),
            meeting_open_requests=_int(
                get("EXPO_MEETING_OPEN_REQUESTS", "20"), "EXPO_MEETING_OPEN_REQUESTS", 1, 10_000
            ),
            ws_origins=tuple(o.strip().rstrip("/") for o in get("EXPO_WS_ORIGINS", "").split(",") if o.strip()),
            metrics_token=get("EXPO_METRICS_TOKEN", ""),
            pipeline_stale_days=_stale_days(get("EXPO_PIPELINE_STALE_DAYS", "")),
            pipeline_rates=_pairs(get("EXPO_PIPELINE_RATES", ""), "EXPO_PIPELINE_RATES", float),
            turn_urls=turn_urls,
            turn_secret=turn_secret,
            turn_ttl=_int(get("EXPO_TURN_TTL", "7200"), "EXPO_TURN_TTL", 60, 86_400 * 7),
            sfu_urls=sfu_urls,
            sfu_admin_key=get("EXPO_SFU_ADMIN_KEY", ""),
            sfu_max_viewers=_int(get("EXPO_SFU_MAX_VIEWERS", "2000"), "EXPO_SFU_MAX_VIEWERS", 1, 1_000_000),
        )


def _int(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} must be between {low} and {high}")
    return value


def _pairs(raw: str, name: str, kind: type) -> tuple[tuple[str, Any], ...]:  # type: ignore[type-arg]
    """``key=value,key=value`` with positive numeric values (checked by their owner for keys)."""
    out = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        try:
            number = kind(value.strip())
        except ValueError:
            number = None
        if not sep or not key.strip() or number is None or number <= 0:
            raise SettingsError(f"{name}: {item!r} is not key=positive number")
        out.append((key.strip(), number))
    return tuple(out)


def _stale_days(raw: str) -> tuple[tuple[str, int], ...]:
    pairs = _pairs(raw, "EXPO_PIPELINE_STALE_DAYS", int)
    stages = ("target", "intention", "negotiating", "signed", "landed")
    if any(key not in stages for key, _ in pairs):
        raise SettingsError(f"EXPO_PIPELINE_STALE_DAYS: stages are {', '.join(stages)}")
    return pairs  # type: ignore[return-value]


def _ice_servers(raw: str) -> tuple[Mapping[str, object], ...]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"EXPO_ICE_SERVERS is not valid JSON: {exc}") from None
    if not isinstance(value, list) or not all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in value
    ):
        raise SettingsError('EXPO_ICE_SERVERS must be a JSON list of {"urls": …} objects')
    return tuple(value)


def _dev_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
