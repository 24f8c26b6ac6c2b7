"""Configuration: the only reader of YAML. Every other part gets plain dataclasses."""

from settings.availability import AvailabilitySettings, MemberAvailability, TemplateMapping
from settings.config import (
    Config,
    DemoServer,
    HarvestSettings,
    HoldingsMapping,
    LeaseSettings,
    SourceConfig,
    default_config,
    load_config,
)
from settings.collections import CollectionSettings, Licence, MemberAccess
from settings.errors import ConfigError
from settings.interlending import InterlendingSettings, Iso18626Peer, MemberRules
from settings.mail import MailSettings
from settings.oai import OaiSettings
from settings.patrons import PatronSettings, Sip2Settings
from settings.pause import pause_point
from settings.search import SearchSettings
from settings.table import SETTINGS, Setting
from settings.web import (
    LoginThrottleSettings,
    WebSettings,
    public_base_url,
    require_secret_key,
    secret_key_problem,
)

__all__ = [
    "AvailabilitySettings",
    "MemberAvailability",
    "TemplateMapping",
    "CollectionSettings",
    "Config",
    "ConfigError",
    "DemoServer",
    "HarvestSettings",
    "HoldingsMapping",
    "LeaseSettings",
    "InterlendingSettings",
    "Iso18626Peer",
    "Licence",
    "LoginThrottleSettings",
    "MailSettings",
    "MemberAccess",
    "MemberRules",
    "OaiSettings",
    "PatronSettings",
    "Sip2Settings",
    "SETTINGS",
    "SearchSettings",
    "Setting",
    "SourceConfig",
    "WebSettings",
    "default_config",
    "load_config",
    "pause_point",
    "public_base_url",
    "require_secret_key",
    "secret_key_problem",
]
