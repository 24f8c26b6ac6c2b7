"""Alembic environment: always run by `store.migrations` code on a connection it passes in.

There is no alembic.ini: `store/versioning.py` builds the configuration, so
the store stays the only place that knows where the database is.
"""

from alembic import context

from store.schema import metadata

connection = context.config.attributes["connection"]
# batch mode lets a revision alter columns on SQLite, which cannot ALTER most things
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
