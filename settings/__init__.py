"""Configuration: the only reader of YAML. Every other part gets plain dataclasses."""

from settings.config import (
    Config,
    ConfigError,
    DemoServer,
    HarvestSettings,
    HoldingsMapping,
    SourceConfig,
    WebSettings,
    default_config,
    load_config,
)

__all__ = [
    "Config",
    "ConfigError",
    "DemoServer",
    "HarvestSettings",
    "HoldingsMapping",
    "SourceConfig",
    "WebSettings",
    "default_config",
    "load_config",
]
