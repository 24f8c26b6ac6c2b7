"""The settings package's one exception."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid."""
