"""Booking without double-booking: the claims' unique constraint decides races on SQLite and
PostgreSQL; bookings outside the grid or someone's availability are refused clearly;
availability edits never strand a booked meeting; the table cap holds."""

import asyncio

import pytest
from sqlalchemy import func, select

from expo.accounts.models import User
from expo.db import Database
from expo.meetings import booking
from expo.meetings.errors import MeetingError
from expo.meetings.models import Claim, Meeting
from expo.meetings.notify import Notifier
from i18n import Catalogs
from tests.helpers import run
from tests.meetings.builders import build_world

CATALOGS = Catalogs()


def notifier() -> Notifier:
    return Notifier(CATALOGS.get, "http://expo.test")


async def attempt(db: Database, investor_id: int, team_id: int, slot_id: int) -> str:
    async with db.session() as session:
        by = await session.get(User, investor_id)
        try:
            await booking.book(
                session, notifier(), investor_user_id=investor_id, team_id=team_id, slot_id=slot_id, by=by
            )
        except MeetingError as exc:
            return f"{exc.status} {exc.message}"
    return "booked"


def test_100_concurrent_bookings_of_one_participant_slot_give_one_meeting(database_url: str) -> None:
    world = run(build_world(database_url, investors=1, teams=100, slots=1))

    async def race() -> tuple[list[str], int, int]:
        db = Database(database_url)
        try:
            outcomes = await asyncio.gather(
                *(attempt(db, world.investors[0], team_id, world.slots[0]) for team_id in world.teams)
            )
            async with db.session() as session:
                meetings = await session.scalar(select(func.count()).select_from(Meeting))
                claims = await session.scalar(select(func.count()).select_from(Claim))
            return list(outcomes), int(meetings or 0), int(claims or 0)
        finally:
            await db.close()

    outcomes, meetings, claims = run(race())
    assert outcomes.count("booked") == 1
    assert outcomes.count("409 This slot was just booked by someone else; choose another one.") == 99
    assert (meetings, claims) == (1, 2)


def test_booking_outside_availability_or_the_grid_is_refused(database_url: str) -> None:
    world = run(build_world(database_url, slots=2, free=False))

    async def go() -> list[str]:
        db = Database(database_url)
        try:
            out = [await attempt(db, world.investors[0], world.teams[0], world.slots[0])]
            out.append(await attempt(db, world.investors[0], world.teams[0], 999_999))
            async with db.session() as session:
                await booking.set_availability(session, f"user:{world.investors[0]}", world.slots)
                await session.commit()
            out.append(await attempt(db, world.investors[0], world.teams[0], world.slots[0]))
            return out
        finally:
            await db.close()

    assert run(go()) == [
        "422 The investor is not available at this time.",
        "422 This time is not one of the expo's meeting slots.",
        "422 The team is not available at this time.",
    ]


def test_availability_edit_that_strands_a_meeting_is_refused_naming_it(database_url: str) -> None:
    world = run(build_world(database_url, slots=3))

    async def go() -> tuple[str, set[int]]:
        db = Database(database_url)
        try:
            assert await attempt(db, world.investors[0], world.teams[0], world.slots[1]) == "booked"
            async with db.session() as session:
                with pytest.raises(MeetingError) as refused:
                    await booking.set_availability(session, f"team:{world.teams[0]}", [world.slots[0]])
                await session.rollback()
                meeting = await session.scalar(select(Meeting))
                kept = await booking.available_slots(session, f"team:{world.teams[0]}")
            assert refused.value.status == 409
            assert refused.value.params["meeting_id"] == meeting.id
            assert refused.value.params["when"] == meeting.starts_at
            return refused.value.message, kept
        finally:
            await db.close()

    message, kept = run(go())
    assert message.startswith("You have a meeting booked at %(when)s")
    assert kept == set(world.slots)


def test_table_cap_limits_meetings_per_slot(database_url: str) -> None:
    world = run(build_world(database_url, investors=3, teams=3, slots=1, tables=2))

    async def go() -> list[str]:
        db = Database(database_url)
        try:
            return [await attempt(db, world.investors[k], world.teams[k], world.slots[0]) for k in range(3)]
        finally:
            await db.close()

    assert run(go()) == [
        "booked",
        "booked",
        "409 Every meeting table is taken in this slot; choose another one.",
    ]


def test_cancel_frees_the_slot_and_move_keeps_the_meeting_whole(database_url: str) -> None:
    world = run(build_world(database_url, investors=2, teams=1, slots=2))

    async def go() -> tuple[str, str, int, int]:
        db = Database(database_url)
        try:
            investor, other = world.investors
            assert await attempt(db, investor, world.teams[0], world.slots[0]) == "booked"
            assert await attempt(db, other, world.teams[0], world.slots[1]) == "booked"
            async with db.session() as session:
                meeting = await session.scalar(select(Meeting).where(Meeting.investor_user_id == investor))
                meeting_id = meeting.id
                by = await session.get(User, investor)
                with pytest.raises(MeetingError) as refused:  # the team is busy in slot 2
                    await booking.move(session, notifier(), meeting, world.slots[1], by)
                meeting = await session.get(Meeting, meeting_id)
                by = await session.get(User, investor)
                assert (meeting.slot_id, meeting.sequence) == (world.slots[0], 0)
                assert (
                    await session.scalar(select(func.count()).select_from(Claim).where(Claim.meeting_id == meeting.id))
                    == 2
                )
                await booking.cancel(session, notifier(), meeting, by)
                meeting = await session.get(Meeting, meeting.id)
            again = await attempt(db, investor, world.teams[0], world.slots[0])
            return refused.value.message, again, meeting.sequence, meeting.status == "cancelled"
        finally:
            await db.close()

    message, again, sequence, cancelled = run(go())
    assert message == "This slot was just booked by someone else; choose another one."
    assert (again, sequence, cancelled) == ("booked", 1, True)


def test_reminder_15_minutes_before_is_sent_once(database_url: str) -> None:
    from datetime import timedelta

    from expo.meetings.background import remind_due
    from expo.meetings.models import Notification
    from expo.outbox import Mail

    world = run(build_world(database_url, slots=1))

    async def go() -> tuple[int, int, int, int]:
        db = Database(database_url)
        try:
            assert await attempt(db, world.investors[0], world.teams[0], world.slots[0]) == "booked"
            async with db.session() as session:
                meeting = await session.scalar(select(Meeting))
                starts = meeting.starts_at
            early = await remind_due(db, notifier(), starts - timedelta(minutes=20))
            first = await remind_due(db, notifier(), starts - timedelta(minutes=10))
            again = await remind_due(db, notifier(), starts - timedelta(minutes=5))
            async with db.session() as session:
                reminders = await session.scalar(
                    select(func.count()).select_from(Notification).where(Notification.kind == "reminder")
                )
                mails = await session.scalar(
                    select(func.count()).select_from(Mail).where(Mail.subject.like("%starts at%"))
                )
            return early, first + again, int(reminders or 0), int(mails or 0)
        finally:
            await db.close()

    # one reminder to the investor and one to the team's member, mailed too
    assert run(go()) == (0, 1, 2, 2)
