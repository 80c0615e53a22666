"""The whole database schema: the core's tables and those of booths and streaming.

Used where everything must be known at once (Alembic's env, the test that migrations match
the models). Like ``expo.app``, it composes packages; the core itself never imports it.
"""

import booths.models
import streaming.models
from expo.models import Base

__all__ = ["Base", "booths", "streaming"]
