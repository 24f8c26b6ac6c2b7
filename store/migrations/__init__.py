"""Alembic's script folder for the record store: `env.py` and the revisions in `versions/`."""
