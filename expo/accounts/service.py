"""What can be done with accounts: register, authenticate, invite, reset a password.

Functions take an ``AsyncSession`` and commit themselves, so that a failure writes nothing.
"""

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts import sessions
from expo.accounts.models import Invitation, PasswordReset, User
from expo.accounts.passwords import hash_password, new_token, token_hash, verify_password
from expo.accounts.roles import Role
from expo.accounts.validation import Checker, InvalidInput, InvestorProfile
from expo.db import utcnow


def _(text: str) -> str:
    return text


INVITATION_TTL = timedelta(days=14)
RESET_TTL = timedelta(hours=2)


async def email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.scalar(select(func.count()).where(User.email == email.lower()))
    return bool(found)


async def _check_new_member(
    session: AsyncSession, c: Checker, email: str, role: Role, district_id: int | None, team_id: int | None
) -> None:
    """Raises ``InvalidInput`` for every problem found so far, a missing district or team,
    or an email already in use."""
    if role == Role.HOST and district_id is None:
        c.fail("district", _("A district host belongs to a district or zone."))
    if role == Role.TEAM and team_id is None:
        c.fail("team", _("A team member belongs to a project team."))
    c.raise_if_any()
    if await email_taken(session, email):
        raise InvalidInput({"email": _("An account with this email already exists.")})


async def register_investor(session: AsyncSession, profile: InvestorProfile) -> User:
    if await email_taken(session, profile.email):
        raise InvalidInput({"email": _("An account with this email already exists.")})
    user = User(
        email=profile.email,
        password_hash=hash_password(profile.password),
        name=profile.name,
        role=Role.INVESTOR,
        organization=profile.organization,
        country=profile.country,
        timezone=profile.timezone,
        locale=profile.locale,
        sectors=profile.sectors,
        ticket_min_usd=profile.ticket_min_usd,
        ticket_max_usd=profile.ticket_max_usd,
        shares_profile=True,
    )
    return await _insert(session, user)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: Role,
    district_id: int | None = None,
    team_id: int | None = None,
    timezone: str = "UTC",
    locale: str = "en",
    **extra: object,
) -> User:
    """Creates any user (CLI, demo, invitations); checks email, password and belonging."""
    c = Checker()
    email = c.email({"email": email})
    c.password({"password": password})
    name = c.text({"name": name}, "name", max_len=120)
    await _check_new_member(session, c, email, role, district_id, team_id)
    user = User(
        email=email,
        password_hash=hash_password(password),
        name=name,
        role=role,
        district_id=district_id,
        team_id=team_id,
        timezone=timezone,
        locale=locale,
        **extra,
    )
    return await _insert(session, user)


async def _insert(session: AsyncSession, user: User) -> User:
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent registration with the same email won the race
        await session.rollback()
        raise InvalidInput({"email": _("An account with this email already exists.")}) from None
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user if user is not None and user.active else None  # deactivated: cannot sign in


async def invite(
    session: AsyncSession,
    *,
    by: User,
    email: str,
    role: Role,
    district_id: int | None,
    team_id: int | None,
) -> str:
    """Stores a single-use invitation and queues its mail; returns the token for the link."""
    c = Checker()
    email = c.email({"email": email})
    if role not in (Role.HOST, Role.TEAM, Role.ORGANIZER):
        c.fail("role", _("Choose one of the offered values."))
    await _check_new_member(session, c, email, role, district_id, team_id)
    token, digest = new_token()
    session.add(
        Invitation(
            token_hash=digest,
            email=email,
            role=role,
            invited_by=by.id,
            district_id=district_id if role == Role.HOST else None,
            team_id=team_id if role == Role.TEAM else None,
            expires_at=utcnow() + INVITATION_TTL,
        )
    )
    return token


async def open_invitation(session: AsyncSession, token: str) -> Invitation | None:
    found = await session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if found is None or found.used_at is not None or found.expires_at < utcnow():
        return None
    return found


async def accept_invitation(
    session: AsyncSession, token: str, *, name: str, password: str, timezone: str, locale: str
) -> User:
    invitation = await open_invitation(session, token)
    if invitation is None:
        raise InvalidInput({"token": _("This invitation link is not valid any more.")})
    invitation.used_at = utcnow()
    return await create_user(
        session,
        email=invitation.email,
        password=password,
        name=name,
        role=Role(invitation.role),
        district_id=invitation.district_id,
        team_id=invitation.team_id,
        timezone=timezone,
        locale=locale,
    )


async def request_reset(session: AsyncSession, email: str) -> tuple[User, str] | None:
    """A reset token for the account with ``email``; ``None`` (and nothing stored) if none."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return None
    token, digest = new_token()
    session.add(PasswordReset(token_hash=digest, user_id=user.id, expires_at=utcnow() + RESET_TTL))
    return user, token


async def reset_password(session: AsyncSession, token: str, password: str) -> User:
    c = Checker()
    c.password({"password": password})
    c.raise_if_any()
    reset = await session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        raise InvalidInput({"token": _("This reset link is not valid any more.")})
    user = await session.get(User, reset.user_id)
    assert user is not None  # the foreign key guarantees it
    now = utcnow()
    # Every outstanding link of the user is void from now on, not only the one used.
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    await sessions.revoke_all(session, user.id)
    await session.commit()
    return user


__all__ = [
    "accept_invitation",
    "authenticate",
    "create_user",
    "email_taken",
    "invite",
    "open_invitation",
    "register_investor",
    "request_reset",
    "reset_password",
]
