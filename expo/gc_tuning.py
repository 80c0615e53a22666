"""Garbage-collector settings for a server process (applied by the app's lifespan).

Measured in bench/booths.py (issue 13): with 1,000 chat sockets open, CPython's full
(generation 2) collections took 220–720 ms, each one stalling the event loop and with it
every message being fanned out; they traversed the ~145,000 objects of the imported
modules (SQLAlchemy, Starlette, Babel, aiortc, …) that live as long as the process.
``tune()`` moves the objects alive after start into the permanent generation
(``gc.freeze()``), so full collections only look at what was made since, and raises the
thresholds so that the young generations are collected less often (a chat message to
1,000 sockets makes ~10,000 short-lived objects). ``restore()`` undoes both at shutdown
(the test suite starts many apps in one process).
"""

import gc
from collections.abc import Callable

THRESHOLDS = (20_000, 20, 50)


def tune() -> Callable[[], None]:
    """Freezes what is alive now and raises the thresholds; returns the undo."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

    def restore() -> None:
        gc.set_threshold(*before)
        gc.unfreeze()

    return restore
