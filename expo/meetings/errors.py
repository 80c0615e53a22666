"""The one error of the matchmaking domain: an English msgid (translated when shown), its
parameters (a datetime parameter is shown in the viewer's zone), and the HTTP status a
view should answer with."""

from collections.abc import Callable
from datetime import datetime
from typing import Any


class MeetingError(Exception):
    def __init__(self, message: str, status: int = 422, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.params = params

    def text(self, gettext: Callable[[str], str], fmt: Any = None) -> str:
        translated = gettext(self.message)
        if not self.params:
            return translated
        values = {
            k: (fmt.moment(v) if fmt is not None and isinstance(v, datetime) else v) for k, v in self.params.items()
        }
        return translated % values
