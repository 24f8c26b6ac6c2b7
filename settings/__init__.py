"""Configuration: the only reader of YAML. Every other part gets plain dataclasses."""

from settings.config import (
    Config,
    ConfigError,
    DemoServer,
    HarvestSettings,
    HoldingsMapping,
    LeaseSettings,
    SourceConfig,
    WebSettings,
    default_config,
    load_config,
)
from settings.pause import pause_point

__all__ = [
    "Config",
    "ConfigError",
    "DemoServer",
    "HarvestSettings",
    "HoldingsMapping",
    "LeaseSettings",
    "SourceConfig",
    "WebSettings",
    "default_config",
    "load_config",
    "pause_point",
]
