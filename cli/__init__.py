"""The `unioncat` command: the only place that prints and chooses exit codes."""

from cli import admin, changes, check, corrections, leases, oai, pipeline, records, solr  # noqa: F401  (each module registers its commands)
from cli.base import main

__all__ = ["main"]
