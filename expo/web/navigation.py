"""The site's main menu, by role: one list, built here, that base.html renders.

Each entry says who sees it (roles, "anonymous" for visitors not signed in), where it goes
and its label (a msgid, translated when shown). A page that people should reach from the
menu is one line in ``MENU`` (in the order it should appear); packages whose links depend on
more than the role (a notification bell) include their own partial after it in base.html
(agenda, meetings, pipeline do). ``dev_only`` entries show only in dev.
"""

from dataclasses import dataclass

from expo.accounts.roles import ANONYMOUS, EVERYONE, Role
from i18n import N_

ORGANIZER = frozenset({Role.ORGANIZER})
HOST = frozenset({Role.HOST})
STAFF = frozenset({Role.ORGANIZER, Role.HOST, Role.TEAM})
BOOTH_STAFF = frozenset({Role.HOST, Role.TEAM})
INVESTOR = frozenset({Role.INVESTOR})


@dataclass(frozen=True)
class Entry:
    href: str
    label: str
    roles: frozenset[str]
    dev_only: bool = False


MENU: tuple[Entry, ...] = (
    Entry("/", N_("Lobby"), EVERYONE),
    Entry("/booths", N_("Booths"), EVERYONE),
    Entry("/projects", N_("Projects"), EVERYONE),
    Entry("/pitches", N_("Live pitches"), EVERYONE),
    Entry("/bookmarks", N_("Bookmarks"), INVESTOR),
    Entry("/booths/mine", N_("My booths, inboxes and leads"), BOOTH_STAFF),
    Entry("/figures", N_("Figures"), HOST),
    Entry("/organizer", N_("Console"), ORGANIZER),
    Entry("/booths/mine", N_("Review queue"), ORGANIZER),
    Entry("/figures", N_("Figures"), ORGANIZER),
    # Invitations, announcements, accounts, imports, the outbox: in the console's own menu.
)


def menu(role: str | None, *, dev: bool) -> list[Entry]:
    """The entries that ``role`` (None: not signed in) sees, in order."""
    who = role or ANONYMOUS
    return [e for e in MENU if who in e.roles and (dev or not e.dev_only)]
