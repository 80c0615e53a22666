"""The roles, and the sets of them that routes declare as allowed."""

from enum import StrEnum


class Role(StrEnum):
    ORGANIZER = "organizer"
    HOST = "host"  # a district host: belongs to a district or development zone
    TEAM = "team"  # a project-team member: belongs to a project team
    INVESTOR = "investor"


# Who may use a route: a frozenset of roles, where "anonymous" stands for a visitor who is
# not signed in.
ANONYMOUS = "anonymous"
ANY_USER: frozenset[str] = frozenset(Role)
EVERYONE: frozenset[str] = ANY_USER | {ANONYMOUS}
STAFF: frozenset[str] = frozenset({Role.ORGANIZER, Role.HOST, Role.TEAM})
ALL_PRINCIPALS: tuple[str, ...] = (ANONYMOUS, *Role)
