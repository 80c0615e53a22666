"""``expo pitch token ID [--rotate] [--viewer]``: print a pitch's WHIP publisher token (for
OBS), or its WHEP viewer token (for players of a registered-only pitch)."""

import argparse
import asyncio
import sys

from expo.agenda.models import PitchSession


def cmd_token(args: argparse.Namespace) -> int:
    from expo.db import Database
    from expo.settings import Settings
    from streaming import pitches

    settings = Settings.from_env()

    async def run() -> int:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                if await session.get(PitchSession, args.id) is None:
                    print(f"expo: no pitch with id {args.id}", file=sys.stderr)
                    return 2
                if args.viewer:
                    make = pitches.viewer_token
                else:
                    make = pitches.rotate_token if args.rotate else pitches.publisher_token
                token = await make(session, settings.secret_key, args.id)
        finally:
            await db.close()
        print(token)
        kind = "WHEP" if args.viewer else "WHIP"
        print(f"{kind} URL: {settings.public_url}/pitches/{args.id}/{kind.lower()}", file=sys.stderr)
        return 0

    return asyncio.run(run())


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    pitch = subparsers.add_parser("pitch", help="live pitches").add_subparsers(dest="pitch_command", required=True)
    token = pitch.add_parser("token", help="print a pitch's WHIP publisher token")
    token.add_argument("id", type=int, help="the pitch id (GET /api/pitches lists them)")
    token.add_argument("--rotate", action="store_true", help="make a new token; the old one stops working")
    token.add_argument(
        "--viewer",
        action="store_true",
        help="print the WHEP viewer token instead (for players without a signed-in session on registered-only pitches)",
    )
    token.set_defaults(func=cmd_token)
