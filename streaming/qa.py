"""Q&A rules: ask (with a per-investor rate limit), vote once, moderate. Every change is
written to the database first; the caller then publishes ``as_message(question)`` on the
bus (``pitch:{id}``), so a client that reconnects gets the truth from the database."""

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from expo.accounts.models import User
from expo.db import utcnow
from i18n import N_
from streaming.models import Question, QuestionVote

MAX_LENGTH = 500
RATE_COUNT = 3  # questions per investor and pitch …
RATE_WINDOW = timedelta(seconds=60)  # … in this window
MODERATION = ("open", "answered", "hidden")


class QAError(ValueError):
    """A refused Q&A action; ``code`` for programs, ``message`` a msgid for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def as_message(question: Question) -> dict[str, object]:
    return {
        "type": "question",
        "id": question.id,
        "text": question.text,
        "author": question.author,
        "state": question.state,
        "votes": question.votes,
        "at": question.created_at.isoformat(),
    }


async def ask(session: AsyncSession, pitch_id: int, user: User, text: str) -> Question:
    text = " ".join(text.split())
    if not text:
        raise QAError("empty", N_("Write a question first."))
    if len(text) > MAX_LENGTH:
        raise QAError("too_long", N_("A question can have at most 500 characters."))
    recent = await session.scalar(
        select(func.count())
        .select_from(Question)
        .where(
            Question.pitch_id == pitch_id,
            Question.user_id == user.id,
            Question.created_at > utcnow() - RATE_WINDOW,
        )
    )
    if (recent or 0) >= RATE_COUNT:
        raise QAError("rate_limited", N_("You have asked several questions just now; please wait a minute."))
    question = Question(pitch_id=pitch_id, user_id=user.id, author=user.name, text=text, created_at=utcnow())
    session.add(question)
    await session.commit()
    return question


async def vote(session: AsyncSession, pitch_id: int, question_id: int, user: User) -> Question:
    question = await session.get(Question, question_id)
    if question is None or question.pitch_id != pitch_id or question.state == "hidden":
        raise QAError("not_found", N_("This question is no longer there."))
    session.add(QuestionVote(question_id=question_id, user_id=user.id))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise QAError("voted", N_("You have already voted for this question.")) from None
    await session.execute(update(Question).where(Question.id == question_id).values(votes=Question.votes + 1))
    await session.commit()
    await session.refresh(question)
    return question


async def moderate(session: AsyncSession, pitch_id: int, question_id: int, state: str) -> Question:
    if state not in MODERATION:
        raise QAError("bad_state", N_("Unknown question state."))
    question = await session.get(Question, question_id)
    if question is None or question.pitch_id != pitch_id:
        raise QAError("not_found", N_("This question is no longer there."))
    question.state = state
    await session.commit()
    return question


async def questions(session: AsyncSession, pitch_id: int, *, with_hidden: bool) -> list[Question]:
    query = select(Question).where(Question.pitch_id == pitch_id)
    if not with_hidden:
        query = query.where(Question.state != "hidden")
    return list((await session.scalars(query.order_by(Question.votes.desc(), Question.id))).all())


async def voted_by(session: AsyncSession, pitch_id: int, user: User | None) -> list[int]:
    if user is None:
        return []
    rows = await session.scalars(
        select(QuestionVote.question_id)
        .join(Question, QuestionVote.question_id == Question.id)
        .where(Question.pitch_id == pitch_id, QuestionVote.user_id == user.id)
    )
    return list(rows.all())
