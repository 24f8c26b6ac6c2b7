"""The staff workspace at /staff/: sign-in, the home page with what needs attention, search, clusters with
their evidence, previewed corrections with history and undo, review queues, comparison, accounts and requests between members.

Each module adds its routes to the one `staff` blueprint when imported here.
"""

from web.staff.blueprint import staff
from web.staff import (  # noqa: F401, E402
    accounts, clusters, compare, corrections, health, history, home, marks, queues, requests, session,
)

__all__ = ["staff"]
