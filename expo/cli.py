"""The ``expo`` command (also ``python -m expo``): serve, seed the demo, migrate, manage
users, solve meeting schedules. Errors print what to do and exit with status 2."""

import argparse
import asyncio
import dataclasses
import getpass
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from expo.settings import Settings


def _settings() -> "Settings":
    from expo.settings import Settings

    return Settings.from_env()


def multi_process_problem(settings: "Settings") -> str | None:
    """Why this configuration cannot run several server processes (None: it can)."""
    if settings.database_url.startswith("sqlite"):
        return (
            "SQLite takes one writing process; set EXPO_DATABASE_URL to PostgreSQL "
            "(postgresql+asyncpg://user:password@host/dbname) to run several workers"
        )
    if not settings.redis_url:
        return (
            "several workers share chat, presence, live counters, rate limits and cache "
            "invalidation through Redis; set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/0)"
        )
    return None


def worker_app() -> "Starlette":
    """The app of one worker of ``expo serve --workers N`` (uvicorn imports this by name in
    each worker process; the settings come from the environment the parent prepared)."""
    from expo.app import create_app

    return create_app(_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from expo.app import create_app

    settings = _settings()
    host, port = args.host or settings.host, args.port or settings.port
    derived = settings.public_url == f"http://{settings.host}:{settings.port}"  # EXPO_PUBLIC_URL not set
    if (host, port) != (settings.host, settings.port) and derived:
        # Links in mails and calendar feeds use the public URL: it follows --host/--port.
        settings = dataclasses.replace(settings, host=host, port=port, public_url=f"http://{host}:{port}")
    workers = args.workers
    if workers < 1:
        print("expo serve: --workers must be at least 1", file=sys.stderr)
        return 2
    problem = multi_process_problem(settings) if workers > 1 else None
    if problem:
        print(f"expo serve --workers {workers}: {problem}.", file=sys.stderr)
        return 2
    if args.migrate:
        from expo.migrate import upgrade

        upgrade(settings.database_url)
    options = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "ws_max_size": 64 * 1024,
        "proxy_headers": True,
        "lifespan": "on",
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return 0
    # uvicorn's supervisor: one listening socket, bound here and shared by N worker
    # processes (each its own event loop and app); it restarts a worker that dies and hands
    # SIGTERM on to all of them. The workers read the same settings from the environment.
    os.environ.update(EXPO_HOST=host, EXPO_PORT=str(port), EXPO_PUBLIC_URL=settings.public_url)
    uvicorn.run("expo.cli:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from expo.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url.split('@')[-1]}")
    return 0


def cmd_db_rollups(args: argparse.Namespace) -> int:
    """Recomputes the activity rollups (the figures' counts) from the activity log."""
    from expo.activity import rollups
    from expo.db import Database

    settings = _settings()

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                cells = await rollups.rebuild(session)
                await session.commit()
        finally:
            await db.close()
        return cells

    print(f"activity rollups rebuilt: {asyncio.run(run())} cells")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from expo.demo import seed
    from expo.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    created = asyncio.run(seed(settings.database_url, only_if_empty=not args.force))
    print("demo expo seeded" if created else "the database already holds an expo: demo data not added")
    return 0


INIT_PROMPTS = (  # (flag, form field, question); asked for when the flag is missing
    ("title", "title", "Title of the expo"),
    ("first_day", "first_day", "First day (YYYY-MM-DD)"),
    ("last_day", "last_day", "Last day (YYYY-MM-DD)"),
    ("timezone", "home_tz", "Home time zone (IANA, e.g. Asia/Shanghai)"),
    ("language", "default_locale", "Default language (en, zh_Hans, zh_Hant, ja, ko, id, ar)"),
    ("email", "email", "First organizer's email"),
    ("name", "name", "First organizer's name"),
)


def cmd_init(args: argparse.Namespace) -> int:
    """Creates a real expo and its first organizer on an empty database."""
    from expo.console.setup import ExpoExists, init_expo
    from expo.db import Database
    from expo.migrate import upgrade

    settings = _settings()
    interactive = sys.stdin.isatty() and not args.no_input
    defaults = {"timezone": settings.home_tz, "language": settings.default_locale}
    data: dict[str, str] = {}
    missing = []
    for flag, name, question in INIT_PROMPTS:
        value = getattr(args, flag)
        if value is None and interactive:
            default = defaults.get(flag, "")
            value = input(f"{question}{f' [{default}]' if default else ''}: ").strip() or default
        if value is None:
            value = defaults.get(flag)
        if not value:
            missing.append("--" + flag.replace("_", "-"))
        data[name] = value or ""
    password = args.password or (
        getpass.getpass("Organizer's password (at least 10 characters): ") if interactive else ""
    )
    if not password:
        missing.append("--password")
    if missing:
        print(f"expo init: missing {', '.join(missing)} (or run it in a terminal to be asked)", file=sys.stderr)
        return 2
    locale = data["default_locale"]
    data.update(password=password, slug=args.slug or "", **{f"title_{locale}": data.pop("title")})
    if args.tagline:
        data[f"tagline_{locale}"] = args.tagline
    upgrade(settings.database_url)

    async def run() -> int:
        from expo.accounts.validation import InvalidInput

        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                expo, organizer = await init_expo(session, data)
        except ExpoExists as exc:
            print(
                f"expo init: this database already holds an expo ({exc}); nothing was changed. "
                "Use another EXPO_DATABASE_URL for a new expo, or edit this one in the console "
                "(/organizer).",
                file=sys.stderr,
            )
            return 2
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                name = field.split("_")[0] if field.startswith(("title_", "tagline_")) else field
                print(f"expo init: {name}: {message}", file=sys.stderr)
            return 2
        finally:
            await db.close()
        url = settings.public_url or f"http://{settings.host}:{settings.port}"
        print(f"created the expo {expo.slug!r} ({expo.home_tz}, {expo.default_locale}) and organizer {organizer.email}")
        print("Next:")
        print("  1. expo serve                      (or make serve)")
        print(f"  2. sign in at {url}/login as {organizer.email}")
        print(f"  3. {url}/organizer: add districts and zones, project teams, halls;")
        print("     import your lists (teams and projects, districts, investors) from CSV or .xlsx;")
        print("     invite district hosts and team members; set up stages in the programme")
        return 0

    return asyncio.run(run())


def cmd_user_create(args: argparse.Namespace) -> int:
    from expo.accounts import Role
    from expo.accounts.service import create_user
    from expo.accounts.validation import InvalidInput
    from expo.db import Database

    password = args.password or getpass.getpass("Password (at least 10 characters): ")
    settings = _settings()

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                user = await create_user(
                    session,
                    email=args.email,
                    password=password,
                    name=args.name,
                    role=Role(args.role),
                    district_id=args.district,
                    team_id=args.team,
                    timezone=args.timezone or settings.home_tz,
                    locale=args.locale or settings.default_locale,
                )
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                print(f"expo: {field}: {message}", file=sys.stderr)
            return 2
        finally:
            await db.close()
        print(f"created {user.role} {user.email} (id {user.id})")
        return 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="expo", description="The online investment expo.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the expo over HTTP")
    serve.add_argument("--host", help="default: EXPO_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: EXPO_PORT or 8000")
    serve.add_argument("--migrate", action="store_true", help="upgrade the database first")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on the one port (default 1); more than 1 needs PostgreSQL and EXPO_REDIS_URL",
    )
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser("demo", help="migrate, and seed the demo expo if the database is empty")
    demo.add_argument("--force", action="store_true", help="seed even if an expo exists")
    demo.set_defaults(func=cmd_demo)

    init = commands.add_parser("init", help="create a real expo and its first organizer on an empty database")
    init.add_argument("--title", help="the expo's title (in the default language)")
    init.add_argument("--tagline", help="one line under the title")
    init.add_argument("--first-day", dest="first_day", help="YYYY-MM-DD, in the home time zone")
    init.add_argument("--last-day", dest="last_day", help="YYYY-MM-DD, in the home time zone")
    init.add_argument("--timezone", help="home time zone (IANA); default EXPO_HOME_TZ")
    init.add_argument("--language", help="default language; default EXPO_DEFAULT_LOCALE")
    init.add_argument("--slug", help="short name of the expo (default: from the title)")
    init.add_argument("--email", help="the first organizer's email")
    init.add_argument("--name", help="the first organizer's name")
    init.add_argument("--password", help="asked for when absent (in a terminal)")
    init.add_argument("--no-input", action="store_true", help="never prompt; fail on missing flags")
    init.set_defaults(func=cmd_init)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(func=cmd_db_upgrade)
    db.add_parser("rollups", help="recompute the activity rollups from the log").set_defaults(func=cmd_db_rollups)

    user = commands.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user of any role")
    create.add_argument("--role", required=True, choices=["organizer", "host", "team", "investor"])
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="asked for when absent")
    create.add_argument("--district", type=int, help="district id (hosts)")
    create.add_argument("--team", type=int, help="project team id (team members)")
    create.add_argument("--timezone")
    create.add_argument("--locale")
    create.set_defaults(func=cmd_user_create)

    # Like expo.app, the command line composes the packages' own subcommands.
    from expo.matchmaking.cli import register as register_schedule
    from streaming.cli import register as register_pitch

    register_schedule(commands)
    register_pitch(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["schedule"]:
        # Only the scheduler loads (no database or web stack, ~2 s on a loaded machine):
        # `expo schedule solve --time-limit S` counts S from the start of the process.
        from expo.matchmaking.cli import main as schedule_main

        return schedule_main(arguments, exit_at_once=argv is None)
    from expo.db import DatabaseURLError
    from expo.settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SettingsError, DatabaseURLError) as exc:
        print(f"expo: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"expo: {exc}. Is the database server running and the URL right (EXPO_DATABASE_URL)?",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
