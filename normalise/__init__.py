"""MARC records into the plain `Record` model: pure functions, no I/O but reading bytes."""

from normalise.errors import NormaliseError
from normalise.flags import FLAGS
from normalise.marc import (
    ISO2709,
    ENTITY_FLAG,
    MARCXML,
    MarcReadError,
    RawRecord,
    ReadFailure,
    parse_marcxml_with_flags,
    keep_entity_references,
    parse_raw,
    read_file,
    read_iso2709_bytes,
    read_marcxml_bytes,
    read_xml,
)
from normalise.model import Contributor, Holding, HostItem, Identifier, Link, Record, Series, Subject, Vernacular
from normalise.normaliser import RULES_VERSION, normalise, normalise_raw
from normalise.text import fold, trim_punctuation

__all__ = [
    "ISO2709", "MARCXML", "MarcReadError", "RawRecord", "ReadFailure", "parse_raw", "read_file",
    "read_iso2709_bytes", "read_marcxml_bytes", "parse_marcxml_with_flags", "NormaliseError", "FLAGS",
    "ENTITY_FLAG", "keep_entity_references", "read_xml",
    "Contributor", "Holding", "HostItem", "Identifier", "Link", "Record", "Series", "Subject", "Vernacular",
    "normalise", "normalise_raw", "RULES_VERSION", "fold", "trim_punctuation",
]
