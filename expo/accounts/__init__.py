"""People and what they may do: users and roles, passwords, invitations, password resets.

Exports the models, ``Role``, and the domain functions in ``expo.accounts.service``.
Views live in ``expo.web.account_views``.
"""

from expo.accounts.models import Invitation, PasswordReset, User
from expo.accounts.roles import ANONYMOUS, ANY_USER, EVERYONE, STAFF, Role

__all__ = [
    "ANONYMOUS",
    "ANY_USER",
    "EVERYONE",
    "STAFF",
    "Invitation",
    "PasswordReset",
    "Role",
    "User",
]
