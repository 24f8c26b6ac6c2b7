"""The staff workspace at /staff/: sign-in, the home page with what needs attention, search, clusters with
their evidence, previewed corrections with history and undo, review queues, comparison and accounts.

Each module adds its routes to the one `staff` blueprint when imported here.
"""

from web.staff.blueprint import staff
from web.staff import accounts, clusters, compare, corrections, health, history, home, marks, queues, session  # noqa: F401, E402

__all__ = ["staff"]
